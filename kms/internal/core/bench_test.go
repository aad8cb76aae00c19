package core

import (
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/kms/policy"
)

// BenchmarkDecryptRecipientPolicy measures what policy evaluation costs a
// Decrypt with a recipient. Each iteration runs the whole Decrypt (lookup,
// document verification, authorization under a PCR0 key policy and, the
// caller being a Huawei one, a Huawei IAM policy with a PCR0 condition,
// the AES-GCM open and the seal to the enclave's RSA key), then the policy
// evaluation alone (the condition context built from the document's PCRs
// and authorize), interleaved in one loop so that the machine's noise falls
// on both. "policy/decrypt" is the share of a Decrypt that the policies
// take (the issue's budget is 0.05).
func BenchmarkDecryptRecipientPolicy(b *testing.B) {
	// The enclave's test key, as the kms package's tests use it.
	pemBytes, err := os.ReadFile("../../testdata/test_enclave_rsa2048_key.pem")
	if err != nil {
		b.Fatal(err)
	}
	blk, _ := pem.Decode(pemBytes)
	priv, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		b.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(priv.(crypto.Signer).Public())
	if err != nil {
		b.Fatal(err)
	}
	doc, err := attestationtest.Issue(attestationtest.Options{PublicKey: spki})
	if err != nil {
		b.Fatal(err)
	}
	unverified, err := attestation.Decode(doc)
	if err != nil {
		b.Fatal(err)
	}
	pcr0 := hex.EncodeToString(unverified.PCRs[0])
	iam, err := policy.ParseHuawei([]byte(`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["kms:cmk:create","kms:cmk:encrypt"]},
		{"Effect":"Allow","Action":["kms:cmk:decrypt","kms:dek:decrypt"],"Resource":["*"],"Condition":{"StringEqualsIgnoreCase":{"kms:RecipientAttestation/PCR0":["` + pcr0 + `"]}}}]}`))
	if err != nil {
		b.Fatal(err)
	}
	k, err := New(Options{Roots: []*x509.Certificate{attestationtest.Root()}, HuaweiPolicies: []*policy.Policy{iam}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { k.Close() })
	c := Caller{API: APIHuawei, Credential: CredentialAKSK}
	secret := `["kms:Decrypt","kms:DeriveSharedSecret","kms:GenerateDataKey","kms:GenerateDataKeyPair"]`
	key, err := k.CreateKey(b.Context(), c, &CreateKeyInput{Policy: []byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"NotAction":` + secret + `,"Resource":"*"},
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":` + secret + `,"Resource":"*",
		 "Condition":{"StringEqualsIgnoreCase":{"kms:RecipientAttestation:ImageSha384":"` + pcr0 + `"}}}]}`)})
	if err != nil {
		b.Fatal(err)
	}
	blob, err := k.Encrypt(b.Context(), c, key.ID, []byte("a 32-byte data key, for example."), nil)
	if err != nil {
		b.Fatal(err)
	}
	r := &Recipient{Document: doc}
	v, err := k.verifyRecipient(b.Context(), r)
	if err != nil {
		b.Fatal(err)
	}
	rec, err := k.lookup(key.ID)
	if err != nil {
		b.Fatal(err)
	}

	var decrypt, policies time.Duration
	for b.Loop() {
		t0 := time.Now()
		out, err := k.Decrypt(b.Context(), c, "", blob, nil, r)
		t1 := time.Now()
		if err != nil || out.ForRecipient == nil {
			b.Fatal(err)
		}
		attested := &verifiedRecipient{doc: v.doc, context: attestationContext(v.doc.PCRs)}
		err = k.authorize(c, actDecrypt, rec, attested)
		t2 := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		decrypt += t1.Sub(t0)
		policies += t2.Sub(t1)
	}
	b.ReportMetric(float64(decrypt.Nanoseconds())/float64(b.N), "decrypt-ns/op")
	b.ReportMetric(float64(policies.Nanoseconds())/float64(b.N), "policy-ns/op")
	b.ReportMetric(float64(policies)/float64(decrypt), "policy/decrypt")
}
