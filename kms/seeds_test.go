package kms

import (
	"encoding/json"
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

	// Seed 002, create-ec-datakey-pair: its example sends "sequence" :
	// "sequence", which breaks the page's own rule (a 36-byte serial
	// number); the rule is honoured. With a 36-byte sequence it succeeds.
	example := strings.ReplaceAll(`{
  "key_id" : "0d0466b0-e727-4d9c-b35d-f84bb474a37f",
  "key_spec" : "ECC_NIST_P256",
  "with_plain_text" : true,
  "additional_authenticated_data" : "aad",
  "sequence" : "sequence"
}`, "0d0466b0-e727-4d9c-b35d-f84bb474a37f", aes)
	status, body = k.post(t, "create-ec-datakey-pair", example)
	require.Equal(t, 400, status)
	require.Contains(t, string(body), "KMS.0206")
	status, body = k.post(t, "create-ec-datakey-pair", strings.Replace(example, `"sequence" : "sequence"`, `"sequence" : "919c82d4-8046-4722-9094-35c3c6524cff"`, 1))
	require.Equal(t, 200, status, "%s", body)
	var pair huawei.DataKeyPairResponse
	require.NoError(t, json.Unmarshal(body, &pair))
	require.NotEmpty(t, pair.PrivateKeyPlainText.Reveal())
	require.NotEmpty(t, pair.PrivateKeyCipherText)
}
