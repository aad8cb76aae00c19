package interop

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/recipient"
)

// TestAWSCLICrypto: the AWS CLI (Debian's 2.9.19) runs the cryptographic
// operations of issue 12 against the local KMS, as a user would: sign and
// verify (RAW and DIGEST) with RSA, secp256k1 and SM2 keys, RSA encrypt and
// decrypt with both OAEP hashes, re-encrypt, the data keys without
// plaintext, and the errors AWS documents (KMSInvalidSignatureException,
// IncorrectKeyException, InvalidKeyUsageException), each exit 254 with
// AWS's "An error occurred (Type)".
func TestAWSCLICrypto(t *testing.T) {
	c := newCLI(t, startKMS(t))
	must := func(args ...string) map[string]any {
		t.Helper()
		out := c.run(args...)
		if out == nil {
			t.Fatalf("aws kms %s: exit %d: %s", strings.Join(args, " "), c.code, c.stderr)
		}
		return out
	}
	fails := func(typ string, args ...string) {
		t.Helper()
		if out := c.run(args...); out != nil || c.code != 254 || !strings.Contains(c.stderr, "An error occurred ("+typ+") when calling the") {
			t.Fatalf("aws kms %s: %v, exit %d: %s, want %s", args[0], out, c.code, c.stderr, typ)
		}
	}
	msg := c.file("msg", []byte("signed by the AWS CLI's request"))
	digest := sha256.Sum256([]byte("signed by the AWS CLI's request"))
	digestFile := c.file("digest", digest[:])
	// One signing algorithm per kind of key (RSASSA-PSS, ECDSA on
	// secp256k1, SM2DSA): the CLI is slow to start, and the SDK's test and
	// the kms package's openssl test cover every algorithm.
	for i, k := range []struct{ spec, alg string }{{"RSA_2048", "RSASSA_PSS_SHA_256"}, {"ECC_SECG_P256K1", "ECDSA_SHA_256"}, {"SM2", "SM2DSA"}} {
		key := must("create-key", "--key-spec", k.spec, "--key-usage", "SIGN_VERIFY")["KeyMetadata"].(map[string]any)
		if algs, _ := key["SigningAlgorithms"].([]any); len(algs) == 0 {
			t.Fatalf("%s: create-key: %v", k.spec, key)
		}
		id := key["KeyId"].(string)
		out := must("sign", "--key-id", id, "--message", "fileb://"+msg, "--signing-algorithm", k.alg)
		sig := c.file("sig", c.blob(out["Signature"]))
		if v := must("verify", "--key-id", id, "--message", "fileb://"+msg, "--signature", "fileb://"+sig, "--signing-algorithm", k.alg); v["SignatureValid"] != true {
			t.Fatalf("%s %s: verify: %v", k.spec, k.alg, v)
		}
		switch i {
		case 0:
			if pk := must("get-public-key", "--key-id", id); len(pk["SigningAlgorithms"].([]any)) != 6 {
				t.Fatalf("get-public-key: %v", pk)
			}
			fails("KMSInvalidSignatureException", "verify", "--key-id", id, "--message", "fileb://"+digestFile, "--signature", "fileb://"+sig, "--signing-algorithm", k.alg)
		case 1:
			d := must("sign", "--key-id", id, "--message", "fileb://"+digestFile, "--message-type", "DIGEST", "--signing-algorithm", k.alg)
			dsig := c.file("dsig", c.blob(d["Signature"]))
			must("verify", "--key-id", id, "--message", "fileb://"+msg, "--signature", "fileb://"+dsig, "--signing-algorithm", k.alg)
		}
	}

	rsaKey := must("create-key", "--key-spec", "RSA_2048", "--key-usage", "ENCRYPT_DECRYPT")["KeyMetadata"].(map[string]any)
	rsaID := rsaKey["KeyId"].(string)
	if algs, _ := rsaKey["EncryptionAlgorithms"].([]any); len(algs) != 2 {
		t.Fatalf("RSA key: %v", rsaKey)
	}
	pt := []byte("encrypted with RSA by the CLI")
	ptFile := c.file("pt", pt)
	for _, alg := range []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"} {
		enc := must("encrypt", "--key-id", rsaID, "--plaintext", "fileb://"+ptFile, "--encryption-algorithm", alg)
		ct := c.file("ct", c.blob(enc["CiphertextBlob"]))
		dec := must("decrypt", "--key-id", rsaID, "--ciphertext-blob", "fileb://"+ct, "--encryption-algorithm", alg)
		if !bytes.Equal(c.blob(dec["Plaintext"]), pt) || dec["EncryptionAlgorithm"] != alg {
			t.Fatalf("%s: decrypt: %v", alg, dec)
		}
		if alg == "RSAES_OAEP_SHA_1" {
			fails("InvalidKeyUsageException", "decrypt", "--key-id", rsaID, "--ciphertext-blob", "fileb://"+ct)
		}
	}

	a := must("create-key")["KeyMetadata"].(map[string]any)["KeyId"].(string)
	b := must("create-key")["KeyMetadata"].(map[string]any)["KeyId"].(string)
	dk := must("generate-data-key-without-plaintext", "--key-id", a, "--key-spec", "AES_256", "--encryption-context", "purpose=cli")
	if _, ok := dk["Plaintext"]; ok {
		t.Fatalf("generate-data-key-without-plaintext: %v", dk)
	}
	dkFile := c.file("dk", c.blob(dk["CiphertextBlob"]))
	re := must("re-encrypt", "--ciphertext-blob", "fileb://"+dkFile, "--source-encryption-context", "purpose=cli", "--destination-key-id", b)
	if !strings.HasSuffix(re["SourceKeyId"].(string), a) || !strings.HasSuffix(re["KeyId"].(string), b) {
		t.Fatalf("re-encrypt: %v", re)
	}
	reFile := c.file("re", c.blob(re["CiphertextBlob"]))
	if dec := must("decrypt", "--ciphertext-blob", "fileb://"+reFile); len(c.blob(dec["Plaintext"])) != 32 {
		t.Fatalf("decrypt of the re-encrypted data key: %v", dec)
	}
	fails("IncorrectKeyException", "decrypt", "--key-id", a, "--ciphertext-blob", "fileb://"+reFile)
	toRSA := must("re-encrypt", "--ciphertext-blob", "fileb://"+reFile, "--destination-key-id", rsaID, "--destination-encryption-algorithm", "RSAES_OAEP_SHA_256")
	if toRSA["DestinationEncryptionAlgorithm"] != "RSAES_OAEP_SHA_256" {
		t.Fatalf("re-encrypt to RSA: %v", toRSA)
	}
	pair := must("generate-data-key-pair-without-plaintext", "--key-id", a, "--key-pair-spec", "ECC_NIST_P384")
	if _, ok := pair["PrivateKeyPlaintext"]; ok || pair["KeyPairSpec"] != "ECC_NIST_P384" {
		t.Fatalf("generate-data-key-pair-without-plaintext: %v", pair)
	}
}

// TestAWSCLIDataKeys: the AWS CLI runs the data operations that the other
// CLI tests leave out: generate-data-key (by --key-spec and by
// --number-of-bytes, with an encryption context) opened by decrypt,
// generate-data-key-pair, generate-random, list-keys (the CLI walks the
// pages itself) and derive-shared-secret, then each operation that takes a
// Recipient with an attestation document, whose CiphertextForRecipient the
// enclave opens. derive-shared-secret and --recipient are newer than
// Debian's awscli 2.9.19: runNewer gives that CLI the newer members.
func TestAWSCLIDataKeys(t *testing.T) {
	c := newCLI(t, startKMS(t))
	enc := newEnclave(t)
	check := func(out map[string]any, args ...string) map[string]any {
		t.Helper()
		if out == nil {
			t.Fatalf("aws kms %s: exit %d: %s", strings.Join(args, " "), c.code, c.stderr)
		}
		return out
	}
	must := func(args ...string) map[string]any { t.Helper(); return check(c.run(args...), args...) }
	mustNewer := func(args ...string) map[string]any { t.Helper(); return check(c.runNewer(args...), args...) }
	fails := func(typ string, args ...string) {
		t.Helper()
		if out := c.runNewer(args...); out != nil || c.code != 254 || !strings.Contains(c.stderr, "An error occurred ("+typ+") when calling the") {
			t.Fatalf("aws kms %s: %v, exit %d: %s, want %s", args[0], out, c.code, c.stderr, typ)
		}
	}

	sym := must("create-key")["KeyMetadata"].(map[string]any)["KeyId"].(string)
	dk := must("generate-data-key", "--key-id", sym, "--key-spec", "AES_256", "--encryption-context", "app=cli")
	plain := c.blob(dk["Plaintext"])
	ct := c.file("dk", c.blob(dk["CiphertextBlob"]))
	if dec := must("decrypt", "--ciphertext-blob", "fileb://"+ct, "--encryption-context", "app=cli"); len(plain) != 32 || !bytes.Equal(c.blob(dec["Plaintext"]), plain) {
		t.Fatalf("decrypt of generate-data-key's key: %v", dec)
	}
	fails("InvalidCiphertextException", "decrypt", "--ciphertext-blob", "fileb://"+ct)
	if dk := must("generate-data-key", "--key-id", sym, "--number-of-bytes", "16"); len(c.blob(dk["Plaintext"])) != 16 {
		t.Fatalf("generate-data-key --number-of-bytes 16: %v", dk)
	}
	pair := must("generate-data-key-pair", "--key-id", sym, "--key-pair-spec", "ECC_NIST_P256")
	if !bytes.Equal(publicOfPKCS8(t, types.DataKeyPairSpecEccNistP256, c.blob(pair["PrivateKeyPlaintext"])), c.blob(pair["PublicKey"])) || pair["KeyPairSpec"] != "ECC_NIST_P256" {
		t.Fatalf("generate-data-key-pair: %v", pair)
	}
	if r := must("generate-random", "--number-of-bytes", "48"); len(c.blob(r["Plaintext"])) != 48 {
		t.Fatalf("generate-random: %v", r)
	}
	fails("ValidationException", "generate-random", "--number-of-bytes", "1025")

	agree := must("create-key", "--key-spec", "ECC_NIST_P256", "--key-usage", "KEY_AGREEMENT")["KeyMetadata"].(map[string]any)["KeyId"].(string)
	peer := readSpecKey(t, "test_p256_key.pem")
	peerFile := "fileb://" + c.file("peer", peer.PublicKey().MarshalPKIX())
	kmsPub, err := keyspec.ParsePublicKey(c.blob(must("get-public-key", "--key-id", agree)["PublicKey"]))
	if err != nil {
		t.Fatal(err)
	}
	want, err := peer.ECDH(kmsPub)
	if err != nil {
		t.Fatal(err)
	}
	ds := mustNewer("derive-shared-secret", "--key-id", agree, "--key-agreement-algorithm", "ECDH", "--public-key", peerFile)
	if !bytes.Equal(c.blob(ds["SharedSecret"]), want) || ds["KeyAgreementAlgorithm"] != "ECDH" || ds["KeyOrigin"] != "AWS_KMS" {
		t.Fatalf("derive-shared-secret: %v", ds)
	}
	fails("InvalidKeyUsageException", "derive-shared-secret", "--key-id", sym, "--key-agreement-algorithm", "ECDH", "--public-key", peerFile)

	keys := map[string]bool{}
	for _, k := range must("list-keys", "--page-size", "1")["Keys"].([]any) {
		keys[k.(map[string]any)["KeyId"].(string)] = true
	}
	if len(keys) != 2 || !keys[sym] || !keys[agree] {
		t.Fatalf("list-keys: %v", keys)
	}

	// The operations with a Recipient: no plaintext, an envelope for the
	// enclave.
	rcpt := "AttestationDocument=" + base64.StdEncoding.EncodeToString(enc.document(t, attestationtest.Options{})) + ",KeyEncryptionAlgorithm=RSAES_OAEP_SHA_256"
	sealed := func(out map[string]any, what string) []byte {
		t.Helper()
		for _, secret := range []string{"Plaintext", "PrivateKeyPlaintext", "SharedSecret"} {
			if _, ok := out[secret]; ok {
				t.Fatalf("%s with a recipient returned %s", what, secret)
			}
		}
		return c.blob(out["CiphertextForRecipient"])
	}
	dk = mustNewer("generate-data-key", "--key-id", sym, "--key-spec", "AES_256", "--recipient", rcpt)
	key := enc.open(t, sealed(dk, "generate-data-key"), recipient.Open)
	ct = c.file("dk2", c.blob(dk["CiphertextBlob"]))
	if dec := must("decrypt", "--ciphertext-blob", "fileb://"+ct); !bytes.Equal(c.blob(dec["Plaintext"]), key) {
		t.Fatal("generate-data-key with a recipient: the envelope is not the ciphertext's key")
	}
	if got := enc.open(t, sealed(mustNewer("decrypt", "--ciphertext-blob", "fileb://"+ct, "--recipient", rcpt), "decrypt"), recipient.Open); !bytes.Equal(got, key) {
		t.Fatal("decrypt with a recipient")
	}
	pair = mustNewer("generate-data-key-pair", "--key-id", sym, "--key-pair-spec", "ECC_NIST_P384", "--recipient", rcpt)
	pkcs8 := enc.open(t, sealed(pair, "generate-data-key-pair"), recipient.OpenPrivateKey)
	if !bytes.Equal(publicOfPKCS8(t, types.DataKeyPairSpecEccNistP384, pkcs8), c.blob(pair["PublicKey"])) {
		t.Fatal("generate-data-key-pair with a recipient: the private key does not match PublicKey")
	}
	if r := enc.open(t, sealed(mustNewer("generate-random", "--number-of-bytes", "24", "--recipient", rcpt), "generate-random"), recipient.Open); len(r) != 24 {
		t.Fatalf("generate-random with a recipient: %d bytes", len(r))
	}
	ds = mustNewer("derive-shared-secret", "--key-id", agree, "--key-agreement-algorithm", "ECDH", "--public-key", peerFile, "--recipient", rcpt)
	if got := enc.open(t, sealed(ds, "derive-shared-secret"), recipient.OpenSharedSecret); !bytes.Equal(got, want) {
		t.Fatal("derive-shared-secret with a recipient: the envelope is not the secret")
	}
}
