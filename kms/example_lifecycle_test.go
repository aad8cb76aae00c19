package kms_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/qtenclave/qtenclave/kms/huawei"
)

// The key lifecycle: a disabled key refuses its material (KMS.0209), a key
// scheduled for deletion too (KMS.0210), and cancelling the deletion leaves
// it disabled until it is enabled again.
func Example_lifecycle() {
	c, stop := startKMS()
	defer stop()
	ctx := context.Background()

	key, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "lifecycle", KeySpec: "AES_256"})
	if err != nil {
		panic(err)
	}
	id := key.KeyInfo.KeyID
	encrypt := func() string {
		_, err := c.EncryptData(ctx, &huawei.EncryptDataRequest{KeyID: id, PlainText: huawei.NewSecret("hello")})
		var ae *huawei.APIError
		if errors.As(err, &ae) {
			return ae.Code
		}
		if err != nil {
			panic(err)
		}
		return "ok"
	}
	fmt.Println("enabled:", encrypt())
	if _, err := c.DisableKey(ctx, &huawei.KeyRequest{KeyID: id}); err != nil {
		panic(err)
	}
	fmt.Println("disabled:", encrypt())
	s, err := c.ScheduleKeyDeletion(ctx, &huawei.ScheduleKeyDeletionRequest{KeyID: id, PendingDays: "7"})
	if err != nil {
		panic(err)
	}
	fmt.Println("key_state", s.KeyState, "pending deletion:", encrypt())
	s, err = c.CancelKeyDeletion(ctx, &huawei.KeyRequest{KeyID: id})
	if err != nil {
		panic(err)
	}
	fmt.Println("key_state", s.KeyState, "after cancel-key-deletion")
	if _, err := c.EnableKey(ctx, &huawei.KeyRequest{KeyID: id}); err != nil {
		panic(err)
	}
	fmt.Println("enabled again:", encrypt())
	// Output:
	// enabled: ok
	// disabled: KMS.0209
	// key_state 4 pending deletion: KMS.0210
	// key_state 3 after cancel-key-deletion
	// enabled again: ok
}
