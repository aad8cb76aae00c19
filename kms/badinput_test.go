package kms

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/kms/huawei"
)

// badCase is one broken rule: a body sent to an operation and the status and
// error_code it must get.
type badCase struct {
	name   string
	op     string
	body   string
	status int
	code   string
}

// js encodes a map as a JSON body.
func js(m map[string]any) string {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// runBadCases sends every case and checks the answer: the status, the code,
// the error shape and nothing else (no key, secret or ciphertext), and that
// no key was created by any of them.
func runBadCases(t *testing.T, k *testKMS, cases []badCase) {
	t.Helper()
	before := k.keyCount(t)
	for _, tc := range cases {
		t.Run(tc.op+"/"+tc.name, func(t *testing.T) {
			status, body := k.post(t, tc.op, tc.body)
			var e struct {
				Error struct {
					Code string `json:"error_code"`
					Msg  string `json:"error_msg"`
				} `json:"error"`
			}
			var all map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(body, &all), "%s", body)
			require.Len(t, all, 1, "an error answer carries only the error: %s", body)
			require.NoError(t, json.Unmarshal(body, &e))
			require.Equal(t, tc.status, status, "%s", body)
			require.Equal(t, tc.code, e.Error.Code, "%s", body)
			require.NotEmpty(t, e.Error.Msg)
		})
	}
	require.Equal(t, before, k.keyCount(t), "a rejected request stored a key")
}

func TestBadInputs(t *testing.T) {
	k := newTestKMS(t, Options{})
	ctx := context.Background()
	aes := k.createKey(t, "AES_256", "", "")
	sm4 := k.createKey(t, "SM4", "", "")
	rsaSign := k.createKey(t, "RSA_2048", "", "")
	ext := k.createKey(t, "AES_256", "", "external")
	extRSA := k.createKey(t, "RSA_2048", "", "external")
	unknown := "00000000-0000-4000-8000-000000000000"

	params, err := k.client.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{KeyID: ext, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
	require.NoError(t, err)
	paramsRSA, err := k.client.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{KeyID: extRSA, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
	require.NoError(t, err)
	good, err := huawei.WrapKeyMaterial(params, make([]byte, 32))
	require.NoError(t, err)
	goodRSA, err := huawei.WrapKeyMaterial(paramsRSA, readTestKey(t, "test_rsa2048_key.pem"))
	require.NoError(t, err)
	wrongSpec, err := huawei.WrapKeyMaterial(paramsRSA, readTestKey(t, "test_p256_key.pem"))
	require.NoError(t, err)
	forged := strings.Repeat("A", 400)
	tok := mustB64(t, params.ImportToken)
	tok[len(tok)-1] ^= 1
	tampered := base64.StdEncoding.EncodeToString(tok)

	dek := make([]byte, 32)
	enc, err := k.client.EncryptDatakey(ctx, &huawei.EncryptDatakeyRequest{KeyID: aes, PlainText: huawei.NewSecret(dekPlainText("AES_256", dek)), DatakeyPlainLength: "32"})
	require.NoError(t, err)
	ct, _ := hex.DecodeString(enc.CipherText)
	ct[len(ct)-1] ^= 1
	tamperedCT := hex.EncodeToString(ct)
	badDigest := dekPlainText("AES_256", dek)
	badDigest = badDigest[:len(badDigest)-2] + "00"
	seq := "919c82d4-8046-4722-9094-35c3c6524cff"

	const (
		s400 = http.StatusBadRequest
		s404 = http.StatusNotFound
	)
	cases := []badCase{
		// Body shape, common to every operation.
		{"not json", "describe-key", `{"key_id":`, s400, "KMS.0202"},
		{"array", "describe-key", `[]`, s400, "KMS.0202"},
		{"trailing data", "describe-key", js(map[string]any{"key_id": aes}) + `{}`, s400, "KMS.0202"},
		{"unknown field", "describe-key", js(map[string]any{"key_id": aes, "key_idx": "1"}), s400, "KMS.0202"},
		{"field case", "describe-key", js(map[string]any{"Key_Id": aes}), s400, "KMS.0202"},
		{"duplicate field", "describe-key", `{"key_id":"` + unknown + `","key_id":"` + aes + `"}`, s400, "KMS.0202"},
		{"wrong type", "describe-key", `{"key_id":5}`, s400, "KMS.0202"},
		{"too deep", "derive-shared-secret", `{"recipient":{"a":[[[1]]]}}`, s400, "KMS.0202"},

		// create-key
		{"missing alias", "create-key", js(map[string]any{"key_spec": "AES_256"}), s400, "KMS.0204"},
		{"alias charset", "create-key", js(map[string]any{"key_alias": "a b"}), s400, "KMS.1101"},
		{"alias length", "create-key", js(map[string]any{"key_alias": strings.Repeat("a", 256)}), s400, "KMS.1101"},
		{"unknown spec", "create-key", js(map[string]any{"key_alias": "a", "key_spec": "AES_128"}), s400, "KMS.0308"},
		{"data key pair spec", "create-key", js(map[string]any{"key_alias": "a", "key_spec": "ECC_NIST_P256"}), s400, "KMS.0308"},
		{"unknown usage", "create-key", js(map[string]any{"key_alias": "a", "key_usage": "WRAP"}), s400, "KMS.0308"},
		{"AES agreement", "create-key", js(map[string]any{"key_alias": "a", "key_spec": "AES_256", "key_usage": "KEY_AGREEMENT"}), s400, "KMS.0308"},
		{"AES signing", "create-key", js(map[string]any{"key_alias": "a", "key_spec": "AES_256", "key_usage": "SIGN_VERIFY"}), s400, "KMS.0308"},
		{"RSA agreement", "create-key", js(map[string]any{"key_alias": "a", "key_spec": "RSA_2048", "key_usage": "KEY_AGREEMENT"}), s400, "KMS.0308"},
		{"origin case", "create-key", js(map[string]any{"key_alias": "a", "origin": "EXTERNAL"}), s400, "KMS.0308"},
		{"description length", "create-key", js(map[string]any{"key_alias": "a", "key_description": strings.Repeat("d", 256)}), s400, "KMS.0308"},
		{"sequence length", "create-key", js(map[string]any{"key_alias": "a", "sequence": strings.Repeat("s", 37)}), s400, "KMS.0206"},
		{"seed 001 usage", "create-key", js(map[string]any{"key_alias": "a", "key_spec": "EC_P256", "key_usage": "DERIVE_SHARED_SECRET"}), s400, "KMS.0308"},
		{"pcr index", "create-key", js(map[string]any{"key_alias": "a", "recipient_attestation": map[string]string{"PCR32": strings.Repeat("00", 48)}}), s400, "KMS.0308"},
		{"pcr hex", "create-key", js(map[string]any{"key_alias": "a", "recipient_attestation": map[string]string{"PCR0": "zz"}}), s400, "KMS.0308"},
		{"pcr length", "create-key", js(map[string]any{"key_alias": "a", "recipient_attestation": map[string]string{"PCR0": "00"}}), s400, "KMS.0308"},
		{"pcr on signing key", "create-key", js(map[string]any{"key_alias": "a", "key_spec": "RSA_2048", "recipient_attestation": map[string]string{"PCR0": strings.Repeat("00", 48)}}), s400, "KMS.0308"},

		// describe-key and get-publickey
		{"missing key_id", "describe-key", `{}`, s400, "KMS.0204"},
		{"short key_id", "describe-key", js(map[string]any{"key_id": aes[:35]}), s400, "KMS.0205"},
		{"upper-case key_id", "describe-key", js(map[string]any{"key_id": strings.ToUpper(aes)}), s400, "KMS.0205"},
		{"key_id with braces", "describe-key", js(map[string]any{"key_id": "{" + aes[1:35] + "}"}), s400, "KMS.0205"},
		{"unknown key", "describe-key", js(map[string]any{"key_id": unknown}), s404, "KMS.0701"},
		{"bad sequence", "describe-key", js(map[string]any{"key_id": aes, "sequence": seq + "0"}), s400, "KMS.0206"},
		{"symmetric key", "get-publickey", js(map[string]any{"key_id": aes}), s400, "KMS.0702"},
		{"pending import", "get-publickey", js(map[string]any{"key_id": extRSA}), s400, "KMS.0708"},
		{"unknown key", "get-publickey", js(map[string]any{"key_id": unknown}), s404, "KMS.0701"},

		// list-keys
		{"limit zero", "list-keys", js(map[string]any{"limit": "0"}), s400, "KMS.0308"},
		{"limit text", "list-keys", js(map[string]any{"limit": "ten"}), s400, "KMS.0308"},
		{"limit number", "list-keys", `{"limit":10}`, s400, "KMS.0202"},
		{"marker", "list-keys", js(map[string]any{"marker": "-1"}), s400, "KMS.0308"},
		{"key_state", "list-keys", js(map[string]any{"key_state": "6"}), s400, "KMS.0308"},
		{"key_spec", "list-keys", js(map[string]any{"key_spec": "ECC_NIST_P256"}), s400, "KMS.0308"},

		// derive-shared-secret: the rules that need no EC key.
		{"missing algorithm", "derive-shared-secret", js(map[string]any{"key_id": aes, "public_key": "AA=="}), s400, "KMS.0204"},
		{"unknown algorithm", "derive-shared-secret", js(map[string]any{"key_id": aes, "key_agreement_algorithm": "ECMQV", "public_key": "AA=="}), s400, "KMS.0308"},
		{"missing public key", "derive-shared-secret", js(map[string]any{"key_id": aes, "key_agreement_algorithm": "ECDH"}), s400, "KMS.0204"},
		{"public key base64", "derive-shared-secret", js(map[string]any{"key_id": aes, "key_agreement_algorithm": "ECDH", "public_key": "M@@"}), s400, "KMS.0308"},
		{"bad key_id", "derive-shared-secret", js(map[string]any{"key_id": "f1b8b45f", "key_agreement_algorithm": "ECDH", "public_key": "AA=="}), s400, "KMS.0205"},
		{"symmetric key", "derive-shared-secret", js(map[string]any{"key_id": aes, "key_agreement_algorithm": "ECDH", "public_key": "AA=="}), s400, "KMS.0702"},
		{"signing key", "derive-shared-secret", js(map[string]any{"key_id": rsaSign, "key_agreement_algorithm": "ECDH", "public_key": "AA=="}), s400, "KMS.0702"},
		{"unknown key", "derive-shared-secret", js(map[string]any{"key_id": unknown, "key_agreement_algorithm": "ECDH", "public_key": "AA=="}), s404, "KMS.0701"},
		{"recipient without document", "derive-shared-secret", js(map[string]any{"key_id": aes, "key_agreement_algorithm": "ECDH", "public_key": "AA==", "recipient": map[string]any{}}), s400, "KMS.0204"},
		{"recipient document base64", "derive-shared-secret", js(map[string]any{"key_id": aes, "key_agreement_algorithm": "ECDH", "public_key": "AA==", "recipient": map[string]any{"attestation_document": "!!"}}), s400, "KMS.0308"},
		{"recipient document size", "derive-shared-secret", js(map[string]any{"key_id": aes, "key_agreement_algorithm": "ECDH", "public_key": "AA==", "recipient": map[string]any{"attestation_document": strings.Repeat("AAAA", 11000)}}), s400, "KMS.0308"},

		// create-ec-datakey-pair and create-rsa-datakey-pair
		{"missing key_spec", "create-ec-datakey-pair", js(map[string]any{"key_id": aes}), s400, "KMS.0204"},
		{"rsa spec", "create-ec-datakey-pair", js(map[string]any{"key_id": aes, "key_spec": "RSA_2048"}), s400, "KMS.0308"},
		{"create-key spec", "create-ec-datakey-pair", js(map[string]any{"key_id": aes, "key_spec": "EC_P256"}), s400, "KMS.0308"},
		{"ec spec", "create-rsa-datakey-pair", js(map[string]any{"key_id": aes, "key_spec": "ECC_NIST_P256"}), s400, "KMS.0308"},
		{"aad length", "create-rsa-datakey-pair", js(map[string]any{"key_id": aes, "key_spec": "RSA_2048", "additional_authenticated_data": strings.Repeat("a", 129)}), s400, "KMS.0308"},
		{"pin", "create-rsa-datakey-pair", js(map[string]any{"key_id": aes, "key_spec": "RSA_2048", "pin": "1234"}), s400, "KMS.0308"},
		{"pin_type", "create-rsa-datakey-pair", js(map[string]any{"key_id": aes, "key_spec": "RSA_2048", "pin_type": "Cipher"}), s400, "KMS.0308"},
		{"sequence", "create-rsa-datakey-pair", js(map[string]any{"key_id": aes, "key_spec": "RSA_2048", "sequence": seq + "0"}), s400, "KMS.0206"},
		{"with_plain_text type", "create-rsa-datakey-pair", js(map[string]any{"key_id": aes, "key_spec": "RSA_2048", "with_plain_text": "true"}), s400, "KMS.0202"},
		{"plaintext and recipient", "create-rsa-datakey-pair", js(map[string]any{"key_id": aes, "key_spec": "RSA_2048", "with_plain_text": true, "recipient": map[string]any{"attestation_document": "AAAA"}}), s400, "KMS.0308"},
		{"asymmetric CMK", "create-rsa-datakey-pair", js(map[string]any{"key_id": rsaSign, "key_spec": "RSA_2048"}), s400, "KMS.0702"},
		{"pending CMK", "create-rsa-datakey-pair", js(map[string]any{"key_id": ext, "key_spec": "RSA_2048"}), s400, "KMS.0708"},
		{"unknown CMK", "create-rsa-datakey-pair", js(map[string]any{"key_id": unknown, "key_spec": "RSA_2048"}), s404, "KMS.0701"},

		// encrypt-datakey
		{"missing plain_text", "encrypt-datakey", js(map[string]any{"key_id": aes, "datakey_plain_length": "32"}), s400, "KMS.0204"},
		{"plain_text hex", "encrypt-datakey", js(map[string]any{"key_id": aes, "plain_text": "xyz", "datakey_plain_length": "32"}), s400, "KMS.0308"},
		{"missing length", "encrypt-datakey", js(map[string]any{"key_id": aes, "plain_text": dekPlainText("AES_256", dek)}), s400, "KMS.0204"},
		{"length zero", "encrypt-datakey", js(map[string]any{"key_id": aes, "plain_text": dekPlainText("AES_256", dek), "datakey_plain_length": "0"}), s400, "KMS.0308"},
		{"length 1025", "encrypt-datakey", js(map[string]any{"key_id": aes, "plain_text": dekPlainText("AES_256", dek), "datakey_plain_length": "1025"}), s400, "KMS.0308"},
		{"length leading zero", "encrypt-datakey", js(map[string]any{"key_id": aes, "plain_text": dekPlainText("AES_256", dek), "datakey_plain_length": "032"}), s400, "KMS.0308"},
		{"length as number", "encrypt-datakey", `{"key_id":"` + aes + `","plain_text":"` + dekPlainText("AES_256", dek) + `","datakey_plain_length":32}`, s400, "KMS.0202"},
		{"length mismatch", "encrypt-datakey", js(map[string]any{"key_id": aes, "plain_text": dekPlainText("AES_256", dek), "datakey_plain_length": "31"}), s400, "KMS.0308"},
		{"digest mismatch", "encrypt-datakey", js(map[string]any{"key_id": aes, "plain_text": badDigest, "datakey_plain_length": "32"}), s400, "KMS.0705"},
		{"SHA-256 for SM4 key", "encrypt-datakey", js(map[string]any{"key_id": sm4, "plain_text": dekPlainText("AES_256", dek), "datakey_plain_length": "32"}), s400, "KMS.0705"},
		{"SM3 for AES key", "encrypt-datakey", js(map[string]any{"key_id": aes, "plain_text": dekPlainText("SM4", dek), "datakey_plain_length": "32"}), s400, "KMS.0705"},
		{"aad length", "encrypt-datakey", js(map[string]any{"key_id": aes, "plain_text": dekPlainText("AES_256", dek), "datakey_plain_length": "32", "additional_authenticated_data": strings.Repeat("a", 129)}), s400, "KMS.0308"},
		{"level-4 key_spec", "encrypt-datakey", js(map[string]any{"key_id": aes, "plain_text": dekPlainText("AES_256", dek), "datakey_plain_length": "32", "key_spec": "SM2"}), s400, "KMS.0308"},
		{"asymmetric CMK", "encrypt-datakey", js(map[string]any{"key_id": rsaSign, "plain_text": dekPlainText("AES_256", dek), "datakey_plain_length": "32"}), s400, "KMS.0702"},
		{"unknown CMK", "encrypt-datakey", js(map[string]any{"key_id": unknown, "plain_text": dekPlainText("AES_256", dek), "datakey_plain_length": "32"}), s404, "KMS.0701"},

		// decrypt-datakey
		{"cipher_text hex", "decrypt-datakey", js(map[string]any{"key_id": aes, "cipher_text": "0x12", "datakey_cipher_length": "32"}), s400, "KMS.0308"},
		{"length mismatch", "decrypt-datakey", js(map[string]any{"key_id": aes, "cipher_text": enc.CipherText, "datakey_cipher_length": "31"}), s400, "KMS.0308"},
		{"length range", "decrypt-datakey", js(map[string]any{"key_id": aes, "cipher_text": enc.CipherText, "datakey_cipher_length": "2000"}), s400, "KMS.0308"},
		{"tampered", "decrypt-datakey", js(map[string]any{"key_id": aes, "cipher_text": tamperedCT, "datakey_cipher_length": "32"}), s400, "KMS.0706"},
		{"other key", "decrypt-datakey", js(map[string]any{"key_id": sm4, "cipher_text": enc.CipherText, "datakey_cipher_length": "32"}), s400, "KMS.0706"},
		{"wrong aad", "decrypt-datakey", js(map[string]any{"key_id": aes, "cipher_text": enc.CipherText, "datakey_cipher_length": "32", "additional_authenticated_data": "x"}), s400, "KMS.0706"},

		// get-parameters-for-import
		{"missing algorithm", "get-parameters-for-import", js(map[string]any{"key_id": ext}), s400, "KMS.0204"},
		{"unknown algorithm", "get-parameters-for-import", js(map[string]any{"key_id": ext, "wrapping_algorithm": "RSAES_OAEP_SHA_1"}), s400, "KMS.0308"},
		{"SM2_ENCRYPT", "get-parameters-for-import", js(map[string]any{"key_id": ext, "wrapping_algorithm": "SM2_ENCRYPT"}), s400, "KMS.0308"},
		{"kms origin", "get-parameters-for-import", js(map[string]any{"key_id": aes, "wrapping_algorithm": "RSAES_OAEP_SHA_256"}), s400, "KMS.0309"},
		{"unknown key", "get-parameters-for-import", js(map[string]any{"key_id": unknown, "wrapping_algorithm": "RSAES_OAEP_SHA_256"}), s404, "KMS.0701"},

		// import-key-material
		{"missing token", "import-key-material", js(map[string]any{"key_id": ext, "encrypted_key_material": good.EncryptedKeyMaterial}), s400, "KMS.0204"},
		{"token too short", "import-key-material", js(map[string]any{"key_id": ext, "import_token": "AAAA", "encrypted_key_material": good.EncryptedKeyMaterial}), s400, "KMS.0308"},
		{"token charset", "import-key-material", js(map[string]any{"key_id": ext, "import_token": strings.Repeat("-", 300), "encrypted_key_material": good.EncryptedKeyMaterial}), s400, "KMS.0308"},
		{"forged token", "import-key-material", js(map[string]any{"key_id": ext, "import_token": forged, "encrypted_key_material": good.EncryptedKeyMaterial}), s400, "KMS.0707"},
		{"tampered token", "import-key-material", js(map[string]any{"key_id": ext, "import_token": tampered, "encrypted_key_material": good.EncryptedKeyMaterial}), s400, "KMS.0707"},
		{"token of another key", "import-key-material", js(map[string]any{"key_id": ext, "import_token": paramsRSA.ImportToken, "encrypted_key_material": good.EncryptedKeyMaterial}), s400, "KMS.0707"},
		{"material length", "import-key-material", js(map[string]any{"key_id": ext, "import_token": params.ImportToken, "encrypted_key_material": "AAAA"}), s400, "KMS.0308"},
		{"material garbage", "import-key-material", js(map[string]any{"key_id": ext, "import_token": params.ImportToken, "encrypted_key_material": strings.Repeat("A", 344)}), s400, "KMS.0311"},
		{"material for another token", "import-key-material", js(map[string]any{"key_id": ext, "import_token": params.ImportToken, "encrypted_key_material": goodRSA.EncryptedKeyMaterial}), s400, "KMS.0311"},
		{"private key for symmetric", "import-key-material", js(map[string]any{"key_id": ext, "import_token": params.ImportToken, "encrypted_key_material": good.EncryptedKeyMaterial, "encrypted_privatekey": goodRSA.EncryptedPrivatekey}), s400, "KMS.0308"},
		{"missing private key", "import-key-material", js(map[string]any{"key_id": extRSA, "import_token": paramsRSA.ImportToken, "encrypted_key_material": goodRSA.EncryptedKeyMaterial}), s400, "KMS.0204"},
		{"private key tampered", "import-key-material", js(map[string]any{"key_id": extRSA, "import_token": paramsRSA.ImportToken, "encrypted_key_material": goodRSA.EncryptedKeyMaterial, "encrypted_privatekey": strings.Repeat("A", 200)}), s400, "KMS.0311"},
		{"private key of another spec", "import-key-material", js(map[string]any{"key_id": extRSA, "import_token": paramsRSA.ImportToken, "encrypted_key_material": wrongSpec.EncryptedKeyMaterial, "encrypted_privatekey": wrongSpec.EncryptedPrivatekey}), s400, "KMS.0703"},
		{"expiration in the past", "import-key-material", js(map[string]any{"key_id": ext, "import_token": params.ImportToken, "encrypted_key_material": good.EncryptedKeyMaterial, "expiration_time": 1550291833}), s400, "KMS.0308"},
		{"expiration zero", "import-key-material", js(map[string]any{"key_id": ext, "import_token": params.ImportToken, "encrypted_key_material": good.EncryptedKeyMaterial, "expiration_time": 0}), s400, "KMS.0308"},
		{"kms origin", "import-key-material", js(map[string]any{"key_id": aes, "import_token": params.ImportToken, "encrypted_key_material": good.EncryptedKeyMaterial}), s400, "KMS.0309"},
	}
	runBadCases(t, k, cases)

	// No failed import changed a key: both still wait for material.
	for _, id := range []string{ext, extRSA} {
		d, err := k.client.DescribeKey(ctx, &huawei.KeyRequest{KeyID: id})
		require.NoError(t, err)
		require.Equal(t, "5", d.KeyInfo.KeyState, id)
	}
	// And the good requests still work afterwards.
	require.NoError(t, k.client.ImportKeyMaterial(ctx, good))
	require.NoError(t, k.client.ImportKeyMaterial(ctx, goodRSA))
	// After the import, the key no longer takes parameters.
	_, err = k.client.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{KeyID: ext, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
	requireAPIError(t, err, 400, "KMS.0310")
}

// TestRequestShape covers what is refused before any operation runs.
func TestRequestShape(t *testing.T) {
	k := newTestKMS(t, Options{})
	id := k.createKey(t, "AES_256", "", "")
	body := js(map[string]any{"key_id": id})
	cases := []struct {
		name, method, path, ctype, body string
		header                          map[string]string
		status                          int
		code                            string
	}{
		{"ok", "POST", "/v1.0/" + testProject + "/kms/describe-key", "application/json", body, nil, 200, ""},
		{"GET", "GET", "/v1.0/" + testProject + "/kms/describe-key", "application/json", "", nil, 405, "KMS.0201"},
		{"unknown op", "POST", "/v1.0/" + testProject + "/kms/delete-key", "application/json", body, nil, 400, "KMS.0201"},
		{"short project", "POST", "/v1.0/abc/kms/describe-key", "application/json", body, nil, 400, "KMS.0201"},
		{"other version", "POST", "/v2.0/" + testProject + "/kms/describe-key", "application/json", body, nil, 400, "KMS.0201"},
		{"query", "POST", "/v1.0/" + testProject + "/kms/describe-key?x=1", "application/json", body, nil, 400, "KMS.0201"},
		{"project header", "POST", "/v1.0/" + testProject + "/kms/describe-key", "application/json", body, map[string]string{"X-Project-Id": strings.Repeat("f", 32)}, 400, "KMS.0201"},
		{"content type", "POST", "/v1.0/" + testProject + "/kms/describe-key", "text/plain", body, nil, 400, "KMS.0202"},
		{"oversized", "POST", "/v1.0/" + testProject + "/kms/describe-key", "application/json", `{"key_id":"` + strings.Repeat("a", maxBodyBytes) + `"}`, nil, 400, "KMS.0203"},
		{"empty", "POST", "/v1.0/" + testProject + "/kms/describe-key", "application/json", "", nil, 400, "KMS.0204"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, k.url+tc.path, strings.NewReader(tc.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", tc.ctype)
			req.Header.Set("X-Auth-Token", testToken)
			for h, v := range tc.header {
				req.Header.Set(h, v)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode)
			require.NotEmpty(t, resp.Header.Get("X-Request-Id"))
			require.Contains(t, resp.Header.Get("Content-Type"), "application/json")
			if tc.code != "" {
				var e struct {
					Error struct {
						ErrorCode string `json:"error_code"`
					} `json:"error"`
				}
				require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
				require.Equal(t, tc.code, e.Error.ErrorCode)
			}
		})
	}
	_ = fmt.Sprint
}
