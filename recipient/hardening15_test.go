package recipient_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/recipient"
	"github.com/qtenclave/qtenclave/testvectors"
)

// TestVectorsRecipientKey holds attestation's requireRsaPublicKey policy to
// what sealing does (issue 15, item 4): every attestation vector with a
// recipient key case (flags RequireRsaPublicKey, MalformedRsaKey) is a
// genuine document, which verifies without the policy; SealToDocument must
// then seal to it exactly when the vector, under requireRsaPublicKey, is
// valid, and fail (with no envelope) when the policy refuses the key. So a
// KMS that checks the policy first never meets a key it cannot seal to.
// Where the key is one of envelope_test.json's, the envelope opens to the
// message.
func TestVectorsRecipientKey(t *testing.T) {
	f, err := testvectors.Load[testvectors.AttestationGroup]("attestation_test.json")
	if err != nil {
		t.Fatal(err)
	}
	keys := envelopeKeys(t)
	msg := []byte("qtenclave: a secret for the enclave")
	n, opened := 0, 0
	for _, g := range f.TestGroups {
		roots := make([]*x509.Certificate, len(g.Roots))
		for i, r := range g.Roots {
			if roots[i], err = x509.ParseCertificate(r); err != nil {
				t.Fatal(err)
			}
		}
		for i := range g.Tests {
			tc := &g.Tests[i]
			if !tc.HasFlag("RequireRsaPublicKey") && !tc.HasFlag("MalformedRsaKey") {
				continue
			}
			n++
			doc, err := attestation.Verify(tc.Doc, attestation.VerifyOptions{
				Roots: roots, Time: tc.Time, MaxAge: time.Duration(tc.MaxAgeMs) * time.Millisecond, AllowDebug: tc.AllowDebug, Nonce: tc.Nonce,
			})
			if err != nil {
				t.Errorf("%v: the document does not verify without the key policy: %v", tc, err)
				continue
			}
			// Sealable exactly when the key policy was asked for and is met;
			// the MalformedRsaKey vector without the policy is valid, but
			// its key is not sealable.
			sealable := tc.RequireRSAPublicKey && tc.Result == "valid"
			env, err := recipient.SealToDocument(msg, doc, recipient.SealOptions{})
			switch {
			case sealable && err != nil:
				t.Errorf("%v: the policy accepts the key, SealToDocument fails: %v", tc, err)
			case !sealable && err == nil:
				t.Errorf("%v: the policy refuses the key, SealToDocument seals to it", tc)
			case !sealable && env != nil:
				t.Errorf("%v: an envelope beside the error %v", tc, err)
			case sealable:
				if k := keys[string(doc.PublicKey)]; k != nil {
					got, err := recipient.Open(env, k, recipient.OpenOptions{})
					if err != nil || !bytes.Equal(got, msg) {
						t.Errorf("%v: the envelope opens to %q, %v", tc, got, err)
					}
					opened++
				}
			}
		}
	}
	if n < 30 || opened < 6 {
		t.Fatalf("%d recipient key vectors, %d envelopes opened: the vectors lost their recipient key cases", n, opened)
	}
	t.Logf("%d recipient key vectors decided, %d envelopes opened", n, opened)
}

// envelopeKeys returns envelope_test.json's RSA keys by their DER
// SubjectPublicKeyInfo.
func envelopeKeys(t *testing.T) map[string]*rsa.PrivateKey {
	t.Helper()
	f, err := testvectors.Load[testvectors.EnvelopeGroup]("envelope_test.json")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]*rsa.PrivateKey{}
	for _, g := range f.TestGroups {
		k, err := x509.ParsePKCS8PrivateKey(g.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		spki, err := x509.MarshalPKIXPublicKey(k.(*rsa.PrivateKey).Public())
		if err != nil {
			t.Fatal(err)
		}
		keys[string(spki)] = k.(*rsa.PrivateKey)
	}
	return keys
}
