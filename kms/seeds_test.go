package kms

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/kms/huawei"
)

// TestSeedExamples sends the example requests of the seed pages, with only
// the key ID replaced (key IDs are random here).
func TestSeedExamples(t *testing.T) {
	k := newTestKMS(t, Options{})
	aes := k.createKey(t, "AES_256", "", "")
	p256 := k.createKey(t, "EC_P256", "KEY_AGREEMENT", "")

	// Seed 003, encrypt-datakey: a 64-byte DEK and its SHA-256, AAD "123aad".
	status, body := k.post(t, "encrypt-datakey", strings.ReplaceAll(`{
  "key_id" : "0d0466b0-e727-4d9c-b35d-f84bb474a37f",
  "plain_text" : "7549d9aea901767bf3c0b3e14b10722eaf6f59053bbd82045d04e075e809a0fe6ccab48f8e5efe74e4b18ff0512525e527b10331100f357bf42125d8d5ced94ffbc8ac72b0785ca7fe33eb6776ce3990b11e32b299d9c0a9ee0305fb9540f797",
  "datakey_plain_length" : "64",
  "additional_authenticated_data" : "123aad"
}`, "0d0466b0-e727-4d9c-b35d-f84bb474a37f", aes))
	require.Equal(t, 200, status, "%s", body)
	var enc huawei.EncryptDatakeyResponse
	require.NoError(t, json.Unmarshal(body, &enc))
	require.Equal(t, "64", enc.DatakeyLength)

	// Seed 000, derive-shared-secret: its P-256 public key.
	status, body = k.post(t, "derive-shared-secret", strings.ReplaceAll(`{
  "key_id" : "f1b8b45f-9f87-43e2-b00c-8a4ca6eb1e39",
  "key_agreement_algorithm" : "ECDH",
  "public_key" : "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4UPptf7NVo2H+8Mz1V1dMz9x+DGdQSFxwLsqkUSXy4XNgs6bnxMtUB3WuI9GGzIYw21R/+w4lJvNDxYjd/Q1sQ=="
}`, "f1b8b45f-9f87-43e2-b00c-8a4ca6eb1e39", p256))
	require.Equal(t, 200, status, "%s", body)
	var der huawei.DeriveSharedSecretResponse
	require.NoError(t, json.Unmarshal(body, &der))
	require.Len(t, mustB64(t, der.SharedSecret.Reveal()), 32)

	// Seed 002, create-ec-datakey-pair: its example as it is, "sequence" :
	// "sequence" included (the page calls sequence a 36-byte serial number
	// but sets no constraint, and its own example sends 8 bytes).
	example := strings.ReplaceAll(`{
  "key_id" : "0d0466b0-e727-4d9c-b35d-f84bb474a37f",
  "key_spec" : "ECC_NIST_P256",
  "with_plain_text" : true,
  "additional_authenticated_data" : "aad",
  "sequence" : "sequence"
}`, "0d0466b0-e727-4d9c-b35d-f84bb474a37f", aes)
	for _, seq := range []string{"sequence", "919c82d4-8046-4722-9094-35c3c6524cff"} {
		status, body = k.post(t, "create-ec-datakey-pair", strings.Replace(example, `"sequence" : "sequence"`, `"sequence" : "`+seq+`"`, 1))
		require.Equal(t, 200, status, "%s", body)
		var pair huawei.DataKeyPairResponse
		require.NoError(t, json.Unmarshal(body, &pair))
		require.NotEmpty(t, pair.PrivateKeyPlainText.Reveal())
		require.NotEmpty(t, pair.PrivateKeyCipherText)
		require.Equal(t, "ECC_NIST_P256", pair.KeySpec)
	}
	// A sequence longer than 36 bytes is KMS.0206, "Invalid sequence number".
	status, body = k.post(t, "create-ec-datakey-pair", strings.Replace(example, `"sequence" : "sequence"`, `"sequence" : "919c82d4-8046-4722-9094-35c3c6524cff0"`, 1))
	require.Equal(t, 400, status)
	require.Contains(t, string(body), "KMS.0206")
}

// TestSeedPin: pin and pin_type as the pages and the official SDK's models
// define them. pin_type's values (CipherText, the default, and PlainText)
// are accepted; a pin, which only level-4 cryptography testing honours, is
// refused with an error that names it, as is encrypt-datakey's level-4
// key_spec.
func TestSeedPin(t *testing.T) {
	k := newTestKMS(t, Options{})
	aes := k.createKey(t, "AES_256", "", "")
	dek := dekPlainText("AES_256", make([]byte, 32))
	ops := []struct{ op, body string }{
		{"create-datakey", `{"key_id":%q,"datakey_length":"256"%s}`},
		{"create-ec-datakey-pair", `{"key_id":%q,"key_spec":"ECC_NIST_P256"%s}`},
		{"create-rsa-datakey-pair", `{"key_id":%q,"key_spec":"RSA_2048","with_plain_text":false%s}`},
		{"encrypt-datakey", `{"key_id":%q,"plain_text":"` + dek + `","datakey_plain_length":"32"%s}`},
	}
	for _, op := range ops {
		for _, pinType := range []string{"", `,"pin_type":"CipherText"`, `,"pin_type":"PlainText"`} {
			status, body := k.post(t, op.op, fmt.Sprintf(op.body, aes, pinType))
			require.Equal(t, 200, status, "%s %s: %s", op.op, pinType, body)
		}
		for _, bad := range []struct{ field, naming string }{
			{`,"pin":"123456"`, "pin: PIN protection"},
			{`,"pin":"123456","pin_type":"PlainText"`, "pin: PIN protection"},
			{`,"pin_type":"plaintext"`, `pin_type "plaintext"`},
		} {
			status, body := k.post(t, op.op, fmt.Sprintf(op.body, aes, bad.field))
			require.Equal(t, 400, status, "%s %s: %s", op.op, bad.field, body)
			code, msg := huaweiError(t, body)
			require.Equal(t, "KMS.0308", code)
			require.Contains(t, msg, bad.naming)
			require.NotContains(t, string(body), "123456", "the error does not echo the PIN")
		}
	}
	for spec, naming := range map[string]string{"SM2": "key_spec SM2", "RSA": "key_spec RSA", "AES": `key_spec "AES"`} {
		status, body := k.post(t, "encrypt-datakey", fmt.Sprintf(ops[3].body, aes, `,"key_spec":"`+spec+`"`))
		require.Equal(t, 400, status)
		code, msg := huaweiError(t, body)
		require.Equal(t, "KMS.0308", code)
		require.Contains(t, msg, naming)
	}
}

// huaweiError decodes a Huawei error answer.
func huaweiError(t testing.TB, body []byte) (code, msg string) {
	t.Helper()
	var out map[string]any
	require.NoError(t, json.Unmarshal(body, &out), "%s", body)
	return errorOf(false, out)
}
