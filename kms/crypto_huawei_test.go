package kms

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/kms/huawei"
)

// The Huawei front end's sign, verify, create-datakey-without-plaintext
// and the asymmetric algorithms of encrypt-data and decrypt-data, over
// HTTP with package huawei's client and raw bodies.

// huaweiDigest returns what a Huawei DIGEST message is for msg under alg:
// the hash of msg, or for SM2DSA_SM3 e = SM3(Z_A || msg) with the default
// distinguishing ID.
func huaweiDigest(t *testing.T, alg string, spki, msg []byte) []byte {
	t.Helper()
	switch {
	case strings.HasSuffix(alg, "_256"):
		h := sha256.Sum256(msg)
		return h[:]
	case strings.HasSuffix(alg, "_384"):
		h := sha512.Sum384(msg)
		return h[:]
	case strings.HasSuffix(alg, "_512"):
		h := sha512.Sum512(msg)
		return h[:]
	}
	key, err := smx509.ParsePKIXPublicKey(spki)
	require.NoError(t, err)
	za, err := sm2.CalculateZA(key.(*ecdsa.PublicKey), []byte("1234567812345678"))
	require.NoError(t, err)
	h := sm3.New()
	h.Write(za)
	h.Write(msg)
	return h.Sum(nil)
}

// TestHuaweiSignVerify: every signing key spec signs digests (the default
// message type) and raw messages with each of its algorithms; verify
// answers "true" for its own signatures and "false" for others; the AWS
// front end verifies the same signatures.
func TestHuaweiSignVerify(t *testing.T) {
	k := newTestKMS(t, Options{})
	ctx := context.Background()
	msg := []byte("sign me on the Huawei front end")
	algs := map[string][]string{
		"RSA_2048":  {"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"},
		"EC_P256":   {"ECDSA_SHA_256"},
		"EC_P384":   {"ECDSA_SHA_384"},
		"SECP256K1": {"ECDSA_SHA_256"},
		"SM2":       {"SM2DSA_SM3"},
	}
	for spec, list := range algs {
		id := k.createKey(t, spec, "SIGN_VERIFY", "")
		pub, err := k.client.GetPublicKey(ctx, &huawei.KeyRequest{KeyID: id})
		require.NoError(t, err)
		spki := mustB64(t, pub.PublicKey)
		for _, alg := range list {
			name := spec + "/" + alg
			digest := huaweiDigest(t, alg, spki, msg)
			s, err := k.signed.Sign(ctx, &huawei.SignRequest{KeyID: id, Message: b64(digest), SigningAlgorithm: alg})
			require.NoError(t, err, name)
			require.Equal(t, id, s.KeyID)
			v, err := k.client.Verify(ctx, &huawei.VerifyRequest{KeyID: id, Message: b64(digest), Signature: s.Signature, SigningAlgorithm: alg, MessageType: "DIGEST"})
			require.NoError(t, err, name)
			require.Equal(t, "true", v.SignatureValid, name)
			// The AWS front end verifies the raw message.
			awsAlg := strings.TrimSuffix(alg, "_SM3")
			k.aws(t, "Verify", map[string]any{"KeyId": id, "Message": b64(msg), "Signature": s.Signature, "SigningAlgorithm": awsAlg})

			bad := mustB64(t, s.Signature)
			bad[len(bad)-1] ^= 0x40
			v, err = k.client.Verify(ctx, &huawei.VerifyRequest{KeyID: id, Message: b64(digest), Signature: b64(bad), SigningAlgorithm: alg})
			require.NoError(t, err, name)
			require.Equal(t, "false", v.SignatureValid, name)

			if alg == "SM2DSA_SM3" {
				status, body := k.post(t, "sign", js(map[string]any{"key_id": id, "message": b64(msg), "signing_algorithm": alg, "message_type": "RAW"}))
				require.Equal(t, http.StatusBadRequest, status)
				code, msg := huaweiError(t, body)
				require.Equal(t, "KMS.0308", code)
				require.Contains(t, msg, "digests only")
				continue
			}
			s, err = k.client.Sign(ctx, &huawei.SignRequest{KeyID: id, Message: b64(msg), SigningAlgorithm: alg, MessageType: "RAW", Sequence: "sequence"})
			require.NoError(t, err, name)
			v, err = k.client.Verify(ctx, &huawei.VerifyRequest{KeyID: id, Message: b64(digest), Signature: s.Signature, SigningAlgorithm: alg})
			require.NoError(t, err, name)
			require.Equal(t, "true", v.SignatureValid, name)
		}
	}

	ec := k.createKey(t, "EC_P256", "SIGN_VERIFY", "")
	aes := k.createKey(t, "AES_256", "", "")
	digest := sha256.Sum256(msg)
	for _, c := range []struct {
		name, op string
		body     map[string]any
		code     string
	}{
		{"missing message", "sign", map[string]any{"key_id": ec, "signing_algorithm": "ECDSA_SHA_256"}, "KMS.0204"},
		{"message base64", "sign", map[string]any{"key_id": ec, "message": "!!", "signing_algorithm": "ECDSA_SHA_256"}, "KMS.0308"},
		{"message length", "sign", map[string]any{"key_id": ec, "message": b64(make([]byte, 4097)), "signing_algorithm": "ECDSA_SHA_256", "message_type": "RAW"}, "KMS.0308"},
		{"missing algorithm", "sign", map[string]any{"key_id": ec, "message": b64(digest[:])}, "KMS.0204"},
		{"AWS's SM2 name", "sign", map[string]any{"key_id": ec, "message": b64(digest[:]), "signing_algorithm": "SM2DSA"}, "KMS.0308"},
		{"message type", "sign", map[string]any{"key_id": ec, "message": b64(digest[:]), "signing_algorithm": "ECDSA_SHA_256", "message_type": "digest"}, "KMS.0308"},
		{"digest length", "sign", map[string]any{"key_id": ec, "message": b64(msg), "signing_algorithm": "ECDSA_SHA_256"}, "KMS.0308"},
		{"other curve's algorithm", "sign", map[string]any{"key_id": ec, "message": b64(make([]byte, 48)), "signing_algorithm": "ECDSA_SHA_384"}, "KMS.0702"},
		{"symmetric key", "sign", map[string]any{"key_id": aes, "message": b64(digest[:]), "signing_algorithm": "ECDSA_SHA_256"}, "KMS.0702"},
		{"bad key_id", "sign", map[string]any{"key_id": "x", "message": b64(digest[:]), "signing_algorithm": "ECDSA_SHA_256"}, "KMS.0205"},
		{"sequence", "sign", map[string]any{"key_id": ec, "message": b64(digest[:]), "signing_algorithm": "ECDSA_SHA_256", "sequence": strings.Repeat("s", 37)}, "KMS.0206"},
		{"missing signature", "verify", map[string]any{"key_id": ec, "message": b64(digest[:]), "signing_algorithm": "ECDSA_SHA_256"}, "KMS.0204"},
		{"signature base64", "verify", map[string]any{"key_id": ec, "message": b64(digest[:]), "signature": "@@", "signing_algorithm": "ECDSA_SHA_256"}, "KMS.0308"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := k.post(t, c.op, js(c.body))
			require.Equal(t, http.StatusBadRequest, status, "%s", body)
			code, _ := huaweiError(t, body)
			require.Equal(t, c.code, code, "%s", body)
		})
	}
	status, body := k.post(t, "sign", js(map[string]any{"key_id": "0d0466b0-e727-4d9c-b35d-f84bb474a37f", "message": b64(digest[:]), "signing_algorithm": "ECDSA_SHA_256"}))
	require.Equal(t, http.StatusNotFound, status, "%s", body)
}

// TestHuaweiAsymmetricData: encrypt-data and decrypt-data with RSA
// (RSAES_OAEP_SHA_256) and SM2 (SM2_ENCRYPT) keys.
func TestHuaweiAsymmetricData(t *testing.T) {
	k := newTestKMS(t, Options{})
	ctx := context.Background()
	rsaKey := k.createKey(t, "RSA_2048", "ENCRYPT_DECRYPT", "")
	sm2Key := k.createKey(t, "SM2", "ENCRYPT_DECRYPT", "")
	for _, c := range []struct{ id, alg string }{{rsaKey, "RSAES_OAEP_SHA_256"}, {sm2Key, "SM2_ENCRYPT"}} {
		enc, err := k.client.EncryptData(ctx, &huawei.EncryptDataRequest{KeyID: c.id, PlainText: huawei.NewSecret("asymmetric text"), EncryptionAlgorithm: c.alg})
		require.NoError(t, err, c.alg)
		require.Equal(t, c.id, enc.KeyID)
		dec, err := k.signed.DecryptData(ctx, &huawei.DecryptDataRequest{CipherText: enc.CipherText, KeyID: c.id, EncryptionAlgorithm: c.alg})
		require.NoError(t, err, c.alg)
		require.Equal(t, "asymmetric text", dec.PlainText.Reveal())
		require.Equal(t, b64([]byte("asymmetric text")), dec.PlainTextBase64.Reveal())
		require.Equal(t, c.id, dec.KeyID)

		for _, bad := range []struct {
			name string
			body map[string]any
			code string
		}{
			{"no key_id", map[string]any{"cipher_text": enc.CipherText, "encryption_algorithm": c.alg}, "KMS.0204"},
			{"no algorithm", map[string]any{"cipher_text": enc.CipherText, "key_id": c.id}, "KMS.0702"},
			{"aad", map[string]any{"cipher_text": enc.CipherText, "key_id": c.id, "encryption_algorithm": c.alg, "additional_authenticated_data": "x"}, "KMS.0308"},
			{"SHA-1", map[string]any{"cipher_text": enc.CipherText, "key_id": c.id, "encryption_algorithm": "RSAES_OAEP_SHA_1"}, "KMS.0308"},
			{"AWS's SM2 name", map[string]any{"cipher_text": enc.CipherText, "key_id": c.id, "encryption_algorithm": "SM2PKE"}, "KMS.0308"},
		} {
			status, body := k.post(t, "decrypt-data", js(bad.body))
			require.Equal(t, http.StatusBadRequest, status, "%s %s: %s", c.alg, bad.name, body)
			code, _ := huaweiError(t, body)
			require.Equal(t, bad.code, code, "%s %s: %s", c.alg, bad.name, body)
		}
		ct := mustB64(t, enc.CipherText)
		ct[len(ct)-1] ^= 1
		status, body := k.post(t, "decrypt-data", js(map[string]any{"cipher_text": b64(ct), "key_id": c.id, "encryption_algorithm": c.alg}))
		require.Equal(t, http.StatusBadRequest, status)
		code, _ := huaweiError(t, body)
		require.Equal(t, "KMS.0706", code)
	}
	// RSA_2048 with SHA-256 takes 190 bytes; SM2 1024.
	for id, max := range map[string]int{rsaKey: 190, sm2Key: 1024} {
		alg := map[bool]string{true: "RSAES_OAEP_SHA_256", false: "SM2_ENCRYPT"}[id == rsaKey]
		status, body := k.post(t, "encrypt-data", js(map[string]any{"key_id": id, "plain_text": strings.Repeat("p", max), "encryption_algorithm": alg}))
		require.Equal(t, http.StatusOK, status, "%s", body)
		status, body = k.post(t, "encrypt-data", js(map[string]any{"key_id": id, "plain_text": strings.Repeat("p", max+1), "encryption_algorithm": alg}))
		require.Equal(t, http.StatusBadRequest, status, "%s", body)
		code, _ := huaweiError(t, body)
		require.Equal(t, "KMS.0308", code)
	}
	status, body := k.post(t, "encrypt-data", js(map[string]any{"key_id": rsaKey, "plain_text": "x"}))
	require.Equal(t, http.StatusBadRequest, status)
	code, _ := huaweiError(t, body)
	require.Equal(t, "KMS.0702", code, "SYMMETRIC_DEFAULT on an RSA key")
}

// TestHuaweiCreateDatakeyWithoutPlaintext: the data key comes back only
// under the CMK; decrypt-datakey opens it.
func TestHuaweiCreateDatakeyWithoutPlaintext(t *testing.T) {
	k := newTestKMS(t, Options{})
	ctx := context.Background()
	for _, spec := range []string{"AES_256", "SM4"} {
		id := k.createKey(t, spec, "", "")
		out, err := k.signed.CreateDatakeyWithoutPlaintext(ctx, &huawei.CreateDatakeyRequest{KeyID: id, DatakeyLength: "512", AdditionalAuthenticatedData: "aad", Sequence: "919c82d4-8046-4722-9094-35c3c6524cff"})
		require.NoError(t, err)
		require.Equal(t, id, out.KeyID)
		dk, err := k.client.DecryptDatakey(ctx, &huawei.DecryptDatakeyRequest{KeyID: id, CipherText: out.CipherText, DatakeyCipherLength: "64", AdditionalAuthenticatedData: "aad"})
		require.NoError(t, err)
		key, err := hex.DecodeString(dk.DataKey.Reveal())
		require.NoError(t, err)
		require.Len(t, key, 64)

		status, body := k.post(t, "create-datakey-without-plaintext", js(map[string]any{"key_id": id, "key_spec": "AES_128"}))
		require.Equal(t, http.StatusOK, status, "%s", body)
		var raw map[string]any
		require.NoError(t, json.Unmarshal(body, &raw))
		require.Len(t, raw, 2, "key_id and cipher_text only: %s", body)
		ct, err := hex.DecodeString(raw["cipher_text"].(string))
		require.NoError(t, err)
		_, err = k.client.DecryptDatakey(ctx, &huawei.DecryptDatakeyRequest{KeyID: id, CipherText: hex.EncodeToString(ct), DatakeyCipherLength: "16"})
		require.NoError(t, err)
	}
	id := k.createKey(t, "AES_256", "", "")
	for _, c := range []struct {
		name string
		body map[string]any
		code string
	}{
		{"pin", map[string]any{"key_id": id, "pin": "1234"}, "KMS.0308"},
		{"recipient", map[string]any{"key_id": id, "recipient": map[string]any{"attestation_document": "AAAA"}}, "KMS.0308"},
		{"hmac spec", map[string]any{"key_id": id, "key_spec": "HMAC_256"}, "KMS.0308"},
		{"length", map[string]any{"key_id": id, "datakey_length": "7"}, "KMS.0308"},
		{"aad", map[string]any{"key_id": id, "additional_authenticated_data": strings.Repeat("a", 129)}, "KMS.0308"},
		{"no key", map[string]any{"datakey_length": "256"}, "KMS.0204"},
	} {
		status, body := k.post(t, "create-datakey-without-plaintext", js(c.body))
		require.Equal(t, http.StatusBadRequest, status, "%s: %s", c.name, body)
		code, _ := huaweiError(t, body)
		require.Equal(t, c.code, code, "%s: %s", c.name, body)
	}
	rsaKey := k.createKey(t, "RSA_2048", "ENCRYPT_DECRYPT", "")
	status, body := k.post(t, "create-datakey-without-plaintext", fmt.Sprintf(`{"key_id":%q}`, rsaKey))
	require.Equal(t, http.StatusBadRequest, status)
	code, _ := huaweiError(t, body)
	require.Equal(t, "KMS.0702", code)
}
