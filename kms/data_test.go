package kms

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/recipient"
)

// TestDataOperations: create-datakey, encrypt-data, decrypt-data and
// gen-random round-trip, share their ciphertexts with the other operations
// of both front ends, and seal to a recipient.
func TestDataOperations(t *testing.T) {
	k := newAttestedKMS(t)
	e := newEnclave(t)
	ctx := t.Context()
	aes := k.createKey(t, "AES_256", "", "")
	sm4 := k.createKey(t, "SM4", "", "")

	// create-datakey: 256 bits by default, key_spec or datakey_length
	// (which wins); its cipher_text opens with decrypt-datakey.
	for _, tc := range []struct {
		req  huawei.CreateDatakeyRequest
		bits int
	}{
		{huawei.CreateDatakeyRequest{KeyID: aes}, 256},
		{huawei.CreateDatakeyRequest{KeyID: aes, KeySpec: "AES_128"}, 128},
		{huawei.CreateDatakeyRequest{KeyID: sm4, KeySpec: "SM4"}, 128},
		{huawei.CreateDatakeyRequest{KeyID: aes, KeySpec: "AES_128", DatakeyLength: "512"}, 512},
		{huawei.CreateDatakeyRequest{KeyID: sm4, DatakeyLength: "8", AdditionalAuthenticatedData: "aad"}, 8},
	} {
		out, err := k.client.CreateDatakey(ctx, &tc.req)
		require.NoError(t, err)
		require.Equal(t, tc.req.KeyID, out.KeyID)
		dek := mustHex(t, out.PlainText.Reveal())
		require.Len(t, dek, tc.bits/8)
		n := itoa(tc.bits / 8)
		dec, err := k.client.DecryptDatakey(ctx, &huawei.DecryptDatakeyRequest{KeyID: tc.req.KeyID, CipherText: out.CipherText, DatakeyCipherLength: n, AdditionalAuthenticatedData: tc.req.AdditionalAuthenticatedData})
		require.NoError(t, err)
		require.Equal(t, out.PlainText, dec.DataKey)
		require.NotEmpty(t, dec.DatakeyDgst)
	}

	// encrypt-data and decrypt-data, and AWS Decrypt of the same ciphertext.
	enc, err := k.client.EncryptData(ctx, &huawei.EncryptDataRequest{KeyID: aes, PlainText: huawei.NewSecret("hello, enclave")})
	require.NoError(t, err)
	dec, err := k.client.DecryptData(ctx, &huawei.DecryptDataRequest{CipherText: enc.CipherText})
	require.NoError(t, err)
	require.Equal(t, "hello, enclave", dec.PlainText.Reveal())
	require.Equal(t, b64([]byte("hello, enclave")), dec.PlainTextBase64.Reveal())
	require.Equal(t, aes, dec.KeyID)
	require.Equal(t, []byte("hello, enclave"), blob(t, k.aws(t, "Decrypt", map[string]any{"CiphertextBlob": enc.CipherText})["Plaintext"]))
	// AWS Encrypt's ciphertext opens with decrypt-data.
	awsCT := k.aws(t, "Encrypt", map[string]any{"KeyId": aes, "Plaintext": b64([]byte("from AWS"))})["CiphertextBlob"].(string)
	dec, err = k.client.DecryptData(ctx, &huawei.DecryptDataRequest{CipherText: awsCT, KeyID: aes})
	require.NoError(t, err)
	require.Equal(t, "from AWS", dec.PlainText.Reveal())

	// gen-random.
	r, err := k.client.GenRandom(ctx, &huawei.GenRandomRequest{RandomDataLength: "512"})
	require.NoError(t, err)
	require.Len(t, mustHex(t, r.RandomData.Reveal()), 64)

	// With a recipient, the secret is sealed and absent in plaintext.
	rcpt := e.recipient(t, nil)
	cd, err := k.client.CreateDatakey(ctx, &huawei.CreateDatakeyRequest{KeyID: aes, Recipient: rcpt})
	require.NoError(t, err)
	require.Empty(t, cd.PlainText)
	dek, err := recipient.Open(mustB64(t, cd.CiphertextRecipient), e.key, recipient.OpenOptions{})
	require.NoError(t, err)
	dd, err := k.client.DecryptDatakey(ctx, &huawei.DecryptDatakeyRequest{KeyID: aes, CipherText: cd.CipherText, DatakeyCipherLength: "32", Recipient: rcpt})
	require.NoError(t, err)
	require.Empty(t, dd.DataKey)
	require.Empty(t, dd.DatakeyDgst, "the data key's digest is not given beside its envelope")
	require.Equal(t, "32", dd.DatakeyLength)
	again, err := recipient.Open(mustB64(t, dd.CiphertextRecipient), e.key, recipient.OpenOptions{})
	require.NoError(t, err)
	require.Equal(t, dek, again)
	ddata, err := k.client.DecryptData(ctx, &huawei.DecryptDataRequest{CipherText: enc.CipherText, Recipient: rcpt})
	require.NoError(t, err)
	require.Empty(t, ddata.PlainText)
	require.Empty(t, ddata.PlainTextBase64)
	pt, err := recipient.Open(mustB64(t, ddata.CiphertextRecipient), e.key, recipient.OpenOptions{})
	require.NoError(t, err)
	require.Equal(t, "hello, enclave", string(pt))
	gr, err := k.client.GenRandom(ctx, &huawei.GenRandomRequest{RandomDataLength: "256", Recipient: rcpt})
	require.NoError(t, err)
	require.Empty(t, gr.RandomData)
	rb, err := recipient.Open(mustB64(t, gr.CiphertextRecipient), e.key, recipient.OpenOptions{})
	require.NoError(t, err)
	require.Len(t, rb, 32)

	// The field rules.
	const s400 = http.StatusBadRequest
	other := k.createKey(t, "AES_256", "", "")
	runBadCases(t, k, []badCase{
		{"missing key_id", "create-datakey", `{}`, s400, "KMS.0204"},
		{"HMAC spec", "create-datakey", js(map[string]any{"key_id": aes, "key_spec": "HMAC_256"}), s400, "KMS.0308"},
		{"unknown spec", "create-datakey", js(map[string]any{"key_id": aes, "key_spec": "AES_512"}), s400, "KMS.0308"},
		{"length not multiple of 8", "create-datakey", js(map[string]any{"key_id": aes, "datakey_length": "12"}), s400, "KMS.0308"},
		{"length too long", "create-datakey", js(map[string]any{"key_id": aes, "datakey_length": "8200"}), s400, "KMS.0308"},
		{"length zero", "create-datakey", js(map[string]any{"key_id": aes, "datakey_length": "0"}), s400, "KMS.0308"},
		{"length as number", "create-datakey", `{"key_id":"` + aes + `","datakey_length":256}`, s400, "KMS.0202"},
		{"aad too long", "create-datakey", js(map[string]any{"key_id": aes, "additional_authenticated_data": strings.Repeat("a", 129)}), s400, "KMS.0308"},
		{"pin", "create-datakey", js(map[string]any{"key_id": aes, "pin": "1234"}), s400, "KMS.0308"},
		{"asymmetric key", "create-datakey", js(map[string]any{"key_id": k.createKey(t, "EC_P256", "KEY_AGREEMENT", "")}), s400, "KMS.0702"},
		{"missing plain_text", "encrypt-data", js(map[string]any{"key_id": aes}), s400, "KMS.0204"},
		{"plain_text too long", "encrypt-data", js(map[string]any{"key_id": aes, "plain_text": strings.Repeat("p", 4097)}), s400, "KMS.0308"},
		{"plain_text two lines", "encrypt-data", js(map[string]any{"key_id": aes, "plain_text": "a\nb"}), s400, "KMS.0308"},
		{"RSA algorithm on a symmetric key", "encrypt-data", js(map[string]any{"key_id": aes, "plain_text": "p", "encryption_algorithm": "RSAES_OAEP_SHA_256"}), s400, "KMS.0702"},
		{"OAEP SHA-1", "encrypt-data", js(map[string]any{"key_id": aes, "plain_text": "p", "encryption_algorithm": "RSAES_OAEP_SHA_1"}), s400, "KMS.0308"},
		{"unknown algorithm", "encrypt-data", js(map[string]any{"key_id": aes, "plain_text": "p", "encryption_algorithm": "AES"}), s400, "KMS.0308"},
		{"missing cipher_text", "decrypt-data", `{}`, s400, "KMS.0204"},
		{"cipher_text charset", "decrypt-data", js(map[string]any{"cipher_text": "not*base64"}), s400, "KMS.0308"},
		{"cipher_text too long", "decrypt-data", js(map[string]any{"cipher_text": strings.Repeat("A", 5652)}), s400, "KMS.0308"},
		{"cipher_text of another key", "decrypt-data", js(map[string]any{"cipher_text": enc.CipherText, "key_id": other}), s400, "KMS.0706"},
		{"wrong aad", "decrypt-data", js(map[string]any{"cipher_text": enc.CipherText, "additional_authenticated_data": "x"}), s400, "KMS.0706"},
		{"truncated", "decrypt-data", js(map[string]any{"cipher_text": enc.CipherText[:40]}), s400, "KMS.0706"},
		{"missing length", "gen-random", `{}`, s400, "KMS.0204"},
		{"length not multiple of 8", "gen-random", js(map[string]any{"random_data_length": "7"}), s400, "KMS.0308"},
		{"length too long", "gen-random", js(map[string]any{"random_data_length": "8192" + "0"}), s400, "KMS.0308"},
		{"bad recipient", "gen-random", js(map[string]any{"random_data_length": "8", "recipient": map[string]any{"attestation_document": b64([]byte("not a document"))}}), s400, "KMS.0901"},
	})
}
