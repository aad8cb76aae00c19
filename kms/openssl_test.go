package kms

import (
	"bytes"
	"context"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// The KMS's signatures and asymmetric ciphertexts checked against OpenSSL
// (openssl pkeyutl, OpenSSL 3), both ways: OpenSSL verifies the KMS's
// signatures with the public key of GetPublicKey and decrypts the KMS's
// ciphertexts with the imported private key; the KMS verifies OpenSSL's
// signatures and decrypts OpenSSL's ciphertexts. The keys OpenSSL holds
// are the test keys of testdata, imported into the KMS.

// openssl returns the openssl binary, or skips the test without one, unless
// QTENCLAVE_REQUIRE_OPENSSL is set.
func openssl(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("QTENCLAVE_REQUIRE_OPENSSL") != "" {
			t.Fatal("openssl is not on PATH")
		}
		t.Skip("openssl is not on PATH")
	}
	return p
}

// runOpenSSL runs openssl with args in dir and returns its stdout.
func runOpenSSL(t *testing.T, bin, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("openssl %s: %v: %s%s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes()
}

// importTestKey creates an external key of spec and usage and imports the
// test key file into it (through the core, past seed 004's minimum length of
// encrypted_privatekey, which a secp256k1 key does not reach).
func importTestKey(t *testing.T, k *testKMS, spec, usage, file string) string {
	t.Helper()
	ctx := context.Background()
	id := k.createKey(t, spec, usage, "external")
	p, err := k.client.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{KeyID: id, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
	require.NoError(t, err)
	req, err := huawei.WrapKeyMaterial(p, readTestKey(t, file))
	require.NoError(t, err)
	err = k.srv.core.ImportKeyMaterial(ctx, testCaller, &core.ImportInput{
		KeyID: id, Token: mustB64(t, req.ImportToken), EncryptedMaterial: mustB64(t, req.EncryptedKeyMaterial), EncryptedPrivate: mustB64(t, req.EncryptedPrivatekey),
	})
	require.NoError(t, err)
	return id
}

// writePublicPEM writes the key's public key, as GetPublicKey gives it, as a
// PEM file.
func writePublicPEM(t *testing.T, k *testKMS, dir, id string) string {
	t.Helper()
	spki := blob(t, k.aws(t, "GetPublicKey", map[string]any{"KeyId": id})["PublicKey"])
	p := filepath.Join(dir, id+".pub.pem")
	require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}), 0o600))
	return p
}

// signOptions are openssl pkeyutl's options for a signing algorithm, over a
// raw message.
func signOptions(alg string) []string {
	digest := "sha256"
	switch {
	case strings.HasSuffix(alg, "384"):
		digest = "sha384"
	case strings.HasSuffix(alg, "512"):
		digest = "sha512"
	case alg == "SM2DSA":
		return []string{"-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678"}
	}
	opts := []string{"-rawin", "-digest", digest}
	if strings.Contains(alg, "PSS") {
		opts = append(opts, "-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:digest")
	}
	return opts
}

// TestOpenSSLSignatures: for every signing key spec and algorithm, OpenSSL
// verifies the KMS's signature of a raw message, and the KMS verifies
// OpenSSL's.
func TestOpenSSLSignatures(t *testing.T) {
	bin := openssl(t)
	k := newTestKMS(t, Options{})
	dir := t.TempDir()
	msg := []byte("a message OpenSSL and the KMS both sign")
	msgFile := filepath.Join(dir, "msg")
	require.NoError(t, os.WriteFile(msgFile, msg, 0o600))
	keys := []struct{ spec, file string }{
		{"RSA_2048", "test_rsa2048_key.pem"}, {"RSA_3072", "test_rsa3072_key.pem"}, {"RSA_4096", "test_rsa4096_key.pem"},
		{"EC_P256", "test_p256_key.pem"}, {"EC_P384", "test_p384_key.pem"}, {"EC_P521", "test_p521_key.pem"},
		{"SECP256K1", "test_secp256k1_key.pem"}, {"SM2", "test_sm2_key.pem"},
	}
	checked := 0
	for _, key := range keys {
		id := importTestKey(t, k, key.spec, "SIGN_VERIFY", key.file)
		pub := writePublicPEM(t, k, dir, id)
		priv := filepath.Join("testdata", key.file)
		privAbs, err := filepath.Abs(priv)
		require.NoError(t, err)
		md := k.aws(t, "DescribeKey", map[string]any{"KeyId": id})["KeyMetadata"].(map[string]any)
		for _, a := range md["SigningAlgorithms"].([]any) {
			alg := a.(string)
			name := key.spec + "/" + alg
			// KMS signs, OpenSSL verifies.
			sig := blob(t, k.aws(t, "Sign", map[string]any{"KeyId": id, "Message": b64(msg), "SigningAlgorithm": alg})["Signature"])
			sigFile := filepath.Join(dir, "kms.sig")
			require.NoError(t, os.WriteFile(sigFile, sig, 0o600))
			out := runOpenSSL(t, bin, dir, append([]string{"pkeyutl", "-verify", "-pubin", "-inkey", pub, "-in", msgFile, "-sigfile", sigFile}, signOptions(alg)...)...)
			require.Contains(t, string(out), "Signature Verified Successfully", name)
			// OpenSSL signs, KMS verifies.
			osig := runOpenSSL(t, bin, dir, append([]string{"pkeyutl", "-sign", "-inkey", privAbs, "-in", msgFile}, signOptions(alg)...)...)
			v := k.aws(t, "Verify", map[string]any{"KeyId": id, "Message": b64(msg), "Signature": b64(osig), "SigningAlgorithm": alg})
			require.Equal(t, true, v["SignatureValid"], name)
			// And OpenSSL's signature of another message does not verify.
			k.awsFail(t, awsRequest{target: "Verify", body: js(map[string]any{"KeyId": id, "Message": b64([]byte("another")), "Signature": b64(osig), "SigningAlgorithm": alg})}, 400, "KMSInvalidSignatureException")
			checked++
		}
	}
	t.Logf("%d signing algorithms checked both ways with %s", checked, strings.TrimSpace(string(runOpenSSL(t, bin, dir, "version"))))
}

// TestOpenSSLEncryption: OpenSSL's RSAES-OAEP (SHA-1 and SHA-256, MGF1 with
// the same hash) and SM2 ciphertexts decrypt with the KMS's Decrypt, and
// the KMS's Encrypt gives ciphertexts OpenSSL decrypts with the imported
// key.
func TestOpenSSLEncryption(t *testing.T) {
	bin := openssl(t)
	k := newTestKMS(t, Options{})
	dir := t.TempDir()
	pt := []byte("encrypted by one, decrypted by the other")
	ptFile := filepath.Join(dir, "pt")
	require.NoError(t, os.WriteFile(ptFile, pt, 0o600))
	checked := 0
	for _, key := range []struct{ spec, file string }{
		{"RSA_2048", "test_rsa2048_key.pem"}, {"RSA_3072", "test_rsa3072_key.pem"}, {"RSA_4096", "test_rsa4096_key.pem"}, {"SM2", "test_sm2_key.pem"},
	} {
		id := importTestKey(t, k, key.spec, "ENCRYPT_DECRYPT", key.file)
		pub := writePublicPEM(t, k, dir, id)
		privAbs, err := filepath.Abs(filepath.Join("testdata", key.file))
		require.NoError(t, err)
		algs := map[string][]string{"RSAES_OAEP_SHA_1": {"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha1"},
			"RSAES_OAEP_SHA_256": {"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256"}}
		if key.spec == "SM2" {
			algs = map[string][]string{"SM2PKE": nil}
		}
		for alg, opts := range algs {
			name := key.spec + "/" + alg
			// OpenSSL encrypts with the public key of GetPublicKey; the KMS decrypts.
			ct := runOpenSSL(t, bin, dir, append([]string{"pkeyutl", "-encrypt", "-pubin", "-inkey", pub, "-in", ptFile}, opts...)...)
			dec := k.aws(t, "Decrypt", map[string]any{"KeyId": id, "CiphertextBlob": b64(ct), "EncryptionAlgorithm": alg})
			require.Equal(t, pt, blob(t, dec["Plaintext"]), name)
			// The KMS encrypts; OpenSSL decrypts with the private key.
			enc := blob(t, k.aws(t, "Encrypt", map[string]any{"KeyId": id, "Plaintext": b64(pt), "EncryptionAlgorithm": alg})["CiphertextBlob"])
			ctFile := filepath.Join(dir, "kms.ct")
			require.NoError(t, os.WriteFile(ctFile, enc, 0o600))
			got := runOpenSSL(t, bin, dir, append([]string{"pkeyutl", "-decrypt", "-inkey", privAbs, "-in", ctFile}, opts...)...)
			require.Equal(t, pt, got, name)
			checked++
		}
	}
	t.Logf("%d encryption algorithms checked both ways", checked)
}
