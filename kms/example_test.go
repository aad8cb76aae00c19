package kms_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/qtenclave/qtenclave/kms"
	"github.com/qtenclave/qtenclave/kms/huawei"
)

// A local KMS in memory, and a client of its Huawei REST API.
func startKMS() (*huawei.Client, func()) {
	srv, err := kms.NewServer(kms.Options{Token: "example-token"})
	if err != nil {
		panic(err)
	}
	hs := httptest.NewServer(srv)
	c := &huawei.Client{Endpoint: hs.URL, ProjectID: "0123456789abcdef0123456789abcdef", Token: huawei.NewSecret("example-token")}
	return c, func() { hs.Close(); srv.Close() }
}

// Envelope encryption: the KMS encrypts a data key under a master key
// (plain_text is the data key and its SHA-256) and decrypts it back.
func Example() {
	c, stop := startKMS()
	defer stop()
	ctx := context.Background()

	key, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "example", KeySpec: "AES_256"})
	if err != nil {
		panic(err)
	}
	dek := bytes.Repeat([]byte{0x42}, 32)
	digest := sha256.Sum256(dek)
	enc, err := c.EncryptDatakey(ctx, &huawei.EncryptDatakeyRequest{
		KeyID:              key.KeyInfo.KeyID,
		PlainText:          huawei.NewSecret(hex.EncodeToString(append(dek, digest[:]...))),
		DatakeyPlainLength: "32",
	})
	if err != nil {
		panic(err)
	}
	dec, err := c.DecryptDatakey(ctx, &huawei.DecryptDatakeyRequest{
		KeyID:               key.KeyInfo.KeyID,
		CipherText:          enc.CipherText,
		DatakeyCipherLength: enc.DatakeyLength,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("data key length:", dec.DatakeyLength)
	fmt.Println("round trip:", dec.DataKey.Reveal() == hex.EncodeToString(dek))

	// A digest that does not match its data key is refused.
	_, err = c.EncryptDatakey(ctx, &huawei.EncryptDatakeyRequest{
		KeyID:              key.KeyInfo.KeyID,
		PlainText:          huawei.NewSecret(hex.EncodeToString(append(dek, make([]byte, 32)...))),
		DatakeyPlainLength: "32",
	})
	var apiErr *huawei.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
	}
	// Output:
	// data key length: 32
	// round trip: true
	// 400 KMS.0705
}

// Serve answers both APIs on one listener until its context is done: here
// an AWS JSON 1.1 request (as the AWS SDKs send it, authenticated with the
// seed pages' X-Auth-Token instead of a signature).
func ExampleServer_Serve() {
	srv, err := kms.NewServer(kms.Options{Token: "example-token"})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()

	req, err := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/", strings.NewReader(`{"NumberOfBytes":32}`))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "TrentService.GenerateRandom")
	req.Header.Set("X-Auth-Token", "example-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.HasPrefix(string(body), `{"Plaintext":"`))

	stop() // graceful shutdown: Serve returns nil
	fmt.Println("serve:", <-done)
	// Output:
	// 200 true
	// serve: <nil>
}

// A key whose secrets only an attested enclave image may receive: Huawei's
// create-key recipient_attestation writes the key policy, and a request
// without a recipient is denied (403 KMS.0904) before anything is
// computed. Encrypting under the key stays allowed.
func ExampleOptions_recipientAttestation() {
	c, stop := startKMS()
	defer stop()
	ctx := context.Background()
	pcr0 := strings.Repeat("ab", 48) // the enclave image's measurement
	key, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{
		KeyAlias: "enclave-only", KeySpec: "AES_256",
		RecipientAttestation: map[string]string{"PCR0": pcr0},
	})
	if err != nil {
		panic(err)
	}
	if _, err := c.EncryptData(ctx, &huawei.EncryptDataRequest{KeyID: key.KeyInfo.KeyID, PlainText: huawei.NewSecret("hello")}); err != nil {
		panic(err)
	}
	_, err = c.CreateDatakey(ctx, &huawei.CreateDatakeyRequest{KeyID: key.KeyInfo.KeyID})
	var apiErr *huawei.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
		fmt.Println(strings.Contains(apiErr.Message, "kms:GenerateDataKey"), strings.Contains(apiErr.Message, "explicit deny"))
	}
	// Output:
	// 403 KMS.0904
	// true true
}
