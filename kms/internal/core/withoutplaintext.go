package core

import (
	"context"
)

// Data keys without plaintext: GenerateDataKeyWithoutPlaintext (AWS) and
// create-datakey-without-plaintext (Huawei) return a new data key only
// under the CMK, for a later Decrypt (by an attested enclave, say); their
// actions release no secret. GenerateDataKeyPairWithoutPlaintext is
// DataKeyPair without Plaintext or Recipient.
// (https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKeyWithoutPlaintext.html,
// https://support.huaweicloud.com/intl/en-us/api-dew/CreateDatakeyWithoutPlaintext.html:
// identity-policy action kms:cmk:createDataKeyWithoutPlaintext, 1.1 action
// kms:dek:create.)

var actGenerateDataKeyNoP = action{"kms:GenerateDataKeyWithoutPlaintext", []string{"kms:cmk:createDataKeyWithoutPlaintext", "kms:dek:create"}}

// GenerateDataKeyWithoutPlaintext makes an n-byte data key and returns it
// only encrypted under a symmetric CMK, binding aad. The plaintext key is
// cleared before it returns.
func (k *KMS) GenerateDataKeyWithoutPlaintext(ctx context.Context, c Caller, keyID string, n int, aad []byte) (*SecretOutput, error) {
	key, _, err := k.cmkFor(ctx, c, actGenerateDataKeyNoP, keyID, nil)
	if err != nil {
		return nil, err
	}
	dek, blob := newDataKey(key.aead, key.id, n, aad)
	clear(dek)
	return &SecretOutput{KeyID: key.id, Ciphertext: blob}, nil
}
