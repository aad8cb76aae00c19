package kms

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/keyspec"
)

// The AWS front end's cryptographic operations over HTTP: CreateKey's
// spec and usage combinations, Sign and Verify, RSA and SM2 Encrypt and
// Decrypt, ReEncrypt, and the data keys without plaintext, with the error
// types AWS documents for each.

// TestAWSCreateKeyUsages: every KeySpec with every KeyUsage, allowed as AWS
// allows them (API_CreateKey, KeyUsage), each described with the
// algorithms of its usage.
func TestAWSCreateKeyUsages(t *testing.T) {
	k := newTestKMS(t, Options{})
	ok := map[string][]string{
		"SYMMETRIC_DEFAULT": {"ENCRYPT_DECRYPT"},
		"RSA_2048":          {"ENCRYPT_DECRYPT", "SIGN_VERIFY"},
		"RSA_3072":          {"ENCRYPT_DECRYPT", "SIGN_VERIFY"},
		"ECC_NIST_P256":     {"SIGN_VERIFY", "KEY_AGREEMENT"},
		"ECC_NIST_P384":     {"SIGN_VERIFY", "KEY_AGREEMENT"},
		"ECC_NIST_P521":     {"SIGN_VERIFY", "KEY_AGREEMENT"},
		"ECC_SECG_P256K1":   {"SIGN_VERIFY"},
		"SM2":               {"ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT"},
	}
	signing := map[string][]any{
		"RSA_2048":        {"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"},
		"ECC_NIST_P256":   {"ECDSA_SHA_256"},
		"ECC_NIST_P384":   {"ECDSA_SHA_384"},
		"ECC_NIST_P521":   {"ECDSA_SHA_512"},
		"ECC_SECG_P256K1": {"ECDSA_SHA_256"},
		"SM2":             {"SM2DSA"},
	}
	signing["RSA_3072"] = signing["RSA_2048"]
	encryption := map[string][]any{"SYMMETRIC_DEFAULT": {"SYMMETRIC_DEFAULT"}, "RSA_2048": {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}, "SM2": {"SM2PKE"}}
	encryption["RSA_3072"] = encryption["RSA_2048"]
	for spec, usages := range ok {
		for _, usage := range []string{"ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT"} {
			req := awsRequest{target: "CreateKey", body: js(map[string]any{"KeySpec": spec, "KeyUsage": usage})}
			if !strings.Contains(strings.Join(usages, " "), usage) {
				k.awsFail(t, req, http.StatusBadRequest, "ValidationException")
				continue
			}
			id, _ := k.awsCreateKey(t, spec, usage)
			md := k.aws(t, "DescribeKey", map[string]any{"KeyId": id})["KeyMetadata"].(map[string]any)
			require.Equal(t, usage, md["KeyUsage"])
			var wantEnc, wantSign, wantAgree any
			switch usage {
			case "ENCRYPT_DECRYPT":
				wantEnc = encryption[spec]
			case "SIGN_VERIFY":
				wantSign = signing[spec]
			case "KEY_AGREEMENT":
				wantAgree = []any{"ECDH"}
			}
			require.Equal(t, wantEnc, md["EncryptionAlgorithms"], "%s %s", spec, usage)
			require.Equal(t, wantSign, md["SigningAlgorithms"], "%s %s", spec, usage)
			require.Equal(t, wantAgree, md["KeyAgreementAlgorithms"], "%s %s", spec, usage)
			if spec == "SYMMETRIC_DEFAULT" {
				continue
			}
			pk := k.aws(t, "GetPublicKey", map[string]any{"KeyId": id})
			require.Equal(t, wantEnc, pk["EncryptionAlgorithms"], "%s %s", spec, usage)
			require.Equal(t, wantSign, pk["SigningAlgorithms"], "%s %s", spec, usage)
			require.Equal(t, usage, pk["KeyUsage"])
		}
	}
}

// TestAWSSignVerify: Sign and Verify with every signing key, RAW and
// DIGEST, and their errors.
func TestAWSSignVerify(t *testing.T) {
	k := newTestKMS(t, Options{})
	msg := []byte("a message to sign")
	for _, spec := range []string{"RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SM2"} {
		id, arn := k.awsCreateKey(t, spec, "SIGN_VERIFY")
		md := k.aws(t, "DescribeKey", map[string]any{"KeyId": id})["KeyMetadata"].(map[string]any)
		for _, a := range md["SigningAlgorithms"].([]any) {
			alg := a.(string)
			out := k.aws(t, "Sign", map[string]any{"KeyId": arn, "Message": b64(msg), "SigningAlgorithm": alg})
			require.Equal(t, arn, out["KeyId"])
			require.Equal(t, alg, out["SigningAlgorithm"])
			sig := out["Signature"].(string)
			v := k.aws(t, "Verify", map[string]any{"KeyId": id, "Message": b64(msg), "MessageType": "RAW", "Signature": sig, "SigningAlgorithm": alg})
			require.Equal(t, true, v["SignatureValid"])
			require.Equal(t, arn, v["KeyId"])
			require.Equal(t, alg, v["SigningAlgorithm"])

			bad := blob(t, sig)
			bad[len(bad)-1] ^= 0x80
			k.awsFail(t, awsRequest{target: "Verify", body: js(map[string]any{"KeyId": id, "Message": b64(msg), "Signature": b64(bad), "SigningAlgorithm": alg})}, http.StatusBadRequest, "KMSInvalidSignatureException")
			k.awsFail(t, awsRequest{target: "Verify", body: js(map[string]any{"KeyId": id, "Message": b64([]byte("other")), "Signature": sig, "SigningAlgorithm": alg})}, http.StatusBadRequest, "KMSInvalidSignatureException")

			if strings.HasPrefix(alg, "SM2") {
				continue // its digest needs Z_A: the openssl test checks SM2DSA DIGEST
			}
			var digest []byte
			switch {
			case strings.HasSuffix(alg, "256"):
				h := sha256.Sum256(msg)
				digest = h[:]
			default:
				continue // SHA-384/512 DIGEST: the core's test
			}
			d := k.aws(t, "Sign", map[string]any{"KeyId": id, "Message": b64(digest), "MessageType": "DIGEST", "SigningAlgorithm": alg})
			k.aws(t, "Verify", map[string]any{"KeyId": id, "Message": b64(msg), "Signature": d["Signature"], "SigningAlgorithm": alg})
			k.awsFail(t, awsRequest{target: "Sign", body: js(map[string]any{"KeyId": id, "Message": b64(digest[:31]), "MessageType": "DIGEST", "SigningAlgorithm": alg})}, http.StatusBadRequest, "ValidationException")
		}
		// An algorithm of another key spec.
		other := "ECDSA_SHA_384"
		if spec == "ECC_NIST_P384" {
			other = "RSASSA_PSS_SHA_256"
		}
		k.awsFail(t, awsRequest{target: "Sign", body: js(map[string]any{"KeyId": id, "Message": b64(msg), "SigningAlgorithm": other})}, http.StatusBadRequest, "InvalidKeyUsageException")
	}

	id, _ := k.awsCreateKey(t, "ECC_NIST_P256", "SIGN_VERIFY")
	sym, _ := k.awsCreateKey(t, "", "")
	fail := func(name, op string, body map[string]any, typ string) {
		t.Run(name, func(t *testing.T) {
			k.awsFail(t, awsRequest{target: op, body: js(body)}, http.StatusBadRequest, typ)
		})
	}
	fail("no message", "Sign", map[string]any{"KeyId": id, "SigningAlgorithm": "ECDSA_SHA_256"}, "ValidationException")
	fail("long message", "Sign", map[string]any{"KeyId": id, "Message": b64(make([]byte, 4097)), "SigningAlgorithm": "ECDSA_SHA_256"}, "ValidationException")
	fail("no algorithm", "Sign", map[string]any{"KeyId": id, "Message": b64(msg)}, "ValidationException")
	fail("unknown algorithm", "Sign", map[string]any{"KeyId": id, "Message": b64(msg), "SigningAlgorithm": "ECDSA_SHA_1"}, "ValidationException")
	fail("Ed25519 algorithm", "Sign", map[string]any{"KeyId": id, "Message": b64(msg), "SigningAlgorithm": "ED25519_SHA_512"}, "UnsupportedOperationException")
	fail("unknown message type", "Sign", map[string]any{"KeyId": id, "Message": b64(msg), "MessageType": "HASH", "SigningAlgorithm": "ECDSA_SHA_256"}, "ValidationException")
	fail("EXTERNAL_MU", "Sign", map[string]any{"KeyId": id, "Message": b64(msg), "MessageType": "EXTERNAL_MU", "SigningAlgorithm": "ECDSA_SHA_256"}, "UnsupportedOperationException")
	fail("symmetric key", "Sign", map[string]any{"KeyId": sym, "Message": b64(msg), "SigningAlgorithm": "ECDSA_SHA_256"}, "InvalidKeyUsageException")
	fail("unknown key", "Sign", map[string]any{"KeyId": "0d0466b0-e727-4d9c-b35d-f84bb474a37f", "Message": b64(msg), "SigningAlgorithm": "ECDSA_SHA_256"}, "NotFoundException")
	fail("no signature", "Verify", map[string]any{"KeyId": id, "Message": b64(msg), "SigningAlgorithm": "ECDSA_SHA_256"}, "ValidationException")
	fail("dry run", "Sign", map[string]any{"KeyId": id, "Message": b64(msg), "SigningAlgorithm": "ECDSA_SHA_256", "DryRun": true}, "SerializationException")
}

// TestAWSAsymmetricEncryption: RSA and SM2 keys encrypt and decrypt with
// their algorithms; Decrypt needs the key and the algorithm; encryption
// contexts belong to symmetric keys.
func TestAWSAsymmetricEncryption(t *testing.T) {
	k := newTestKMS(t, Options{})
	rsaID, rsaARN := k.awsCreateKey(t, "RSA_2048", "ENCRYPT_DECRYPT")
	sm2ID, _ := k.awsCreateKey(t, "SM2", "ENCRYPT_DECRYPT")
	pt := []byte("asymmetric secret")
	for _, c := range []struct{ id, alg string }{{rsaID, "RSAES_OAEP_SHA_1"}, {rsaID, "RSAES_OAEP_SHA_256"}, {sm2ID, "SM2PKE"}} {
		enc := k.aws(t, "Encrypt", map[string]any{"KeyId": c.id, "Plaintext": b64(pt), "EncryptionAlgorithm": c.alg})
		require.Equal(t, c.alg, enc["EncryptionAlgorithm"])
		ct := enc["CiphertextBlob"].(string)
		if c.id == rsaID {
			require.Len(t, blob(t, ct), 256)
			require.Equal(t, rsaARN, enc["KeyId"])
		}
		dec := k.aws(t, "Decrypt", map[string]any{"KeyId": c.id, "CiphertextBlob": ct, "EncryptionAlgorithm": c.alg})
		require.Equal(t, pt, blob(t, dec["Plaintext"]))
		require.Equal(t, c.alg, dec["EncryptionAlgorithm"])
		bad := func(body map[string]any, typ string) {
			t.Helper()
			k.awsFail(t, awsRequest{target: "Decrypt", body: js(body)}, http.StatusBadRequest, typ)
		}
		bad(map[string]any{"CiphertextBlob": ct, "EncryptionAlgorithm": c.alg}, "ValidationException")
		bad(map[string]any{"KeyId": c.id, "CiphertextBlob": ct}, "InvalidKeyUsageException")
		bad(map[string]any{"KeyId": c.id, "CiphertextBlob": ct, "EncryptionAlgorithm": c.alg, "EncryptionContext": map[string]string{"a": "b"}}, "ValidationException")
		tampered := blob(t, ct)
		tampered[10] ^= 1
		bad(map[string]any{"KeyId": c.id, "CiphertextBlob": b64(tampered), "EncryptionAlgorithm": c.alg}, "InvalidCiphertextException")
		k.awsFail(t, awsRequest{target: "Encrypt", body: js(map[string]any{"KeyId": c.id, "Plaintext": b64(pt), "EncryptionAlgorithm": c.alg, "EncryptionContext": map[string]string{"a": "b"}})}, http.StatusBadRequest, "ValidationException")
	}
	enc := k.aws(t, "Encrypt", map[string]any{"KeyId": rsaID, "Plaintext": b64(pt), "EncryptionAlgorithm": "RSAES_OAEP_SHA_1"})
	k.awsFail(t, awsRequest{target: "Decrypt", body: js(map[string]any{"KeyId": rsaID, "CiphertextBlob": enc["CiphertextBlob"], "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"})}, http.StatusBadRequest, "InvalidCiphertextException")
	// AWS's plaintext limits for RSA_2048: 214 bytes with SHA-1, 190 with SHA-256.
	for alg, max := range map[string]int{"RSAES_OAEP_SHA_1": 214, "RSAES_OAEP_SHA_256": 190} {
		k.aws(t, "Encrypt", map[string]any{"KeyId": rsaID, "Plaintext": b64(make([]byte, max)), "EncryptionAlgorithm": alg})
		k.awsFail(t, awsRequest{target: "Encrypt", body: js(map[string]any{"KeyId": rsaID, "Plaintext": b64(make([]byte, max+1)), "EncryptionAlgorithm": alg})}, http.StatusBadRequest, "ValidationException")
	}
	k.awsFail(t, awsRequest{target: "Encrypt", body: js(map[string]any{"KeyId": rsaID, "Plaintext": b64(pt)})}, http.StatusBadRequest, "InvalidKeyUsageException")
	k.awsFail(t, awsRequest{target: "Encrypt", body: js(map[string]any{"KeyId": rsaID, "Plaintext": b64(pt), "EncryptionAlgorithm": "RSAES_PKCS1"})}, http.StatusBadRequest, "ValidationException")
	sign, _ := k.awsCreateKey(t, "RSA_2048", "SIGN_VERIFY")
	k.awsFail(t, awsRequest{target: "Encrypt", body: js(map[string]any{"KeyId": sign, "Plaintext": b64(pt), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"})}, http.StatusBadRequest, "InvalidKeyUsageException")
}

// TestAWSReEncrypt: ReEncrypt between symmetric keys, with new contexts,
// and to and from an RSA key; the answer never carries the plaintext.
func TestAWSReEncrypt(t *testing.T) {
	k := newTestKMS(t, Options{})
	a, aARN := k.awsCreateKey(t, "", "")
	b, bARN := k.awsCreateKey(t, "", "")
	r, rARN := k.awsCreateKey(t, "RSA_2048", "ENCRYPT_DECRYPT")
	pt := []byte("moved, never shown")
	ca := map[string]string{"k": "a"}
	enc := k.aws(t, "Encrypt", map[string]any{"KeyId": a, "Plaintext": b64(pt), "EncryptionContext": ca})

	out := k.aws(t, "ReEncrypt", map[string]any{"CiphertextBlob": enc["CiphertextBlob"], "SourceEncryptionContext": ca, "DestinationKeyId": bARN, "DestinationEncryptionContext": map[string]string{"k": "b"}})
	require.Equal(t, aARN, out["SourceKeyId"])
	require.Equal(t, bARN, out["KeyId"])
	require.Equal(t, "SYMMETRIC_DEFAULT", out["SourceEncryptionAlgorithm"])
	require.Equal(t, "SYMMETRIC_DEFAULT", out["DestinationEncryptionAlgorithm"])
	require.Len(t, out, 5)
	require.NotContains(t, js(out), b64(pt))
	dec := k.aws(t, "Decrypt", map[string]any{"CiphertextBlob": out["CiphertextBlob"], "EncryptionContext": map[string]string{"k": "b"}})
	require.Equal(t, pt, blob(t, dec["Plaintext"]))
	require.Equal(t, bARN, dec["KeyId"])

	toRSA := k.aws(t, "ReEncrypt", map[string]any{"CiphertextBlob": out["CiphertextBlob"], "SourceKeyId": b, "SourceEncryptionContext": map[string]string{"k": "b"}, "DestinationKeyId": r, "DestinationEncryptionAlgorithm": "RSAES_OAEP_SHA_256"})
	require.Equal(t, rARN, toRSA["KeyId"])
	require.Equal(t, "RSAES_OAEP_SHA_256", toRSA["DestinationEncryptionAlgorithm"])
	back := k.aws(t, "ReEncrypt", map[string]any{"CiphertextBlob": toRSA["CiphertextBlob"], "SourceKeyId": r, "SourceEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "DestinationKeyId": a})
	require.Equal(t, rARN, back["SourceKeyId"])
	dec = k.aws(t, "Decrypt", map[string]any{"CiphertextBlob": back["CiphertextBlob"]})
	require.Equal(t, pt, blob(t, dec["Plaintext"]))

	fail := func(name string, body map[string]any, typ string) {
		t.Run(name, func(t *testing.T) {
			k.awsFail(t, awsRequest{target: "ReEncrypt", body: js(body)}, http.StatusBadRequest, typ)
		})
	}
	ct := back["CiphertextBlob"]
	fail("another source key", map[string]any{"CiphertextBlob": ct, "SourceKeyId": b, "DestinationKeyId": b}, "IncorrectKeyException")
	fail("wrong source context", map[string]any{"CiphertextBlob": ct, "SourceEncryptionContext": ca, "DestinationKeyId": b}, "InvalidCiphertextException")
	fail("no destination", map[string]any{"CiphertextBlob": ct}, "ValidationException")
	fail("no ciphertext", map[string]any{"DestinationKeyId": b}, "ValidationException")
	fail("RSA destination without algorithm", map[string]any{"CiphertextBlob": ct, "DestinationKeyId": r}, "InvalidKeyUsageException")
	fail("RSA destination with a context", map[string]any{"CiphertextBlob": ct, "DestinationKeyId": r, "DestinationEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "DestinationEncryptionContext": ca}, "ValidationException")
	fail("RSA source without key", map[string]any{"CiphertextBlob": toRSA["CiphertextBlob"], "SourceEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "DestinationKeyId": a}, "ValidationException")
	fail("unknown destination", map[string]any{"CiphertextBlob": ct, "DestinationKeyId": "0d0466b0-e727-4d9c-b35d-f84bb474a37f"}, "NotFoundException")
	fail("bad algorithm", map[string]any{"CiphertextBlob": ct, "DestinationKeyId": b, "DestinationEncryptionAlgorithm": "AES"}, "ValidationException")
}

// TestAWSWithoutPlaintext: GenerateDataKeyWithoutPlaintext and
// GenerateDataKeyPairWithoutPlaintext answer only ciphertexts (and the
// public key), which Decrypt opens.
func TestAWSWithoutPlaintext(t *testing.T) {
	k := newTestKMS(t, Options{})
	id, arn := k.awsCreateKey(t, "", "")
	ctx := map[string]string{"use": "dek"}
	out := k.aws(t, "GenerateDataKeyWithoutPlaintext", map[string]any{"KeyId": id, "KeySpec": "AES_256", "EncryptionContext": ctx})
	require.Len(t, out, 2, "CiphertextBlob and KeyId only: %v", out)
	require.Equal(t, arn, out["KeyId"])
	dec := k.aws(t, "Decrypt", map[string]any{"CiphertextBlob": out["CiphertextBlob"], "EncryptionContext": ctx})
	require.Len(t, blob(t, dec["Plaintext"]), 32)
	out = k.aws(t, "GenerateDataKeyWithoutPlaintext", map[string]any{"KeyId": id, "NumberOfBytes": 7})
	require.Len(t, blob(t, k.aws(t, "Decrypt", map[string]any{"CiphertextBlob": out["CiphertextBlob"]})["Plaintext"]), 7)
	k.awsFail(t, awsRequest{target: "GenerateDataKeyWithoutPlaintext", body: js(map[string]any{"KeyId": id})}, http.StatusBadRequest, "ValidationException")
	k.awsFail(t, awsRequest{target: "GenerateDataKeyWithoutPlaintext", body: js(map[string]any{"KeyId": id, "KeySpec": "AES_256", "Recipient": map[string]any{}})}, http.StatusBadRequest, "SerializationException")

	for _, spec := range []string{"ECC_NIST_P256", "RSA_2048", "SM2"} {
		out := k.aws(t, "GenerateDataKeyPairWithoutPlaintext", map[string]any{"KeyId": arn, "KeyPairSpec": spec, "EncryptionContext": ctx})
		require.Len(t, out, 4, "no private key in plaintext: %v", out)
		require.Equal(t, spec, out["KeyPairSpec"])
		require.Equal(t, arn, out["KeyId"])
		priv := blob(t, k.aws(t, "Decrypt", map[string]any{"CiphertextBlob": out["PrivateKeyCiphertextBlob"], "EncryptionContext": ctx})["Plaintext"])
		require.Equal(t, blob(t, out["PublicKey"]), publicOf(t, spec, priv))
	}
	k.awsFail(t, awsRequest{target: "GenerateDataKeyPairWithoutPlaintext", body: js(map[string]any{"KeyId": id, "KeyPairSpec": "RSA_1024"})}, http.StatusBadRequest, "ValidationException")
	rsaKey, _ := k.awsCreateKey(t, "RSA_2048", "ENCRYPT_DECRYPT")
	k.awsFail(t, awsRequest{target: "GenerateDataKeyPairWithoutPlaintext", body: js(map[string]any{"KeyId": rsaKey, "KeyPairSpec": "ECC_NIST_P256"})}, http.StatusBadRequest, "InvalidKeyUsageException")
}

// publicOf returns the SPKI of a PKCS#8 private key of a data key pair
// spec.
func publicOf(t *testing.T, spec string, pkcs8 []byte) []byte {
	t.Helper()
	if strings.HasPrefix(spec, "RSA") {
		k, err := x509.ParsePKCS8PrivateKey(pkcs8)
		require.NoError(t, err)
		spki, err := x509.MarshalPKIXPublicKey(k.(interface{ Public() crypto.PublicKey }).Public())
		require.NoError(t, err)
		return spki
	}
	k, err := keyspec.ParsePrivateKey(pkcs8)
	require.NoError(t, err)
	return k.PublicKey().MarshalPKIX()
}
