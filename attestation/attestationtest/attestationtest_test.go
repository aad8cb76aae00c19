package attestationtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
)

// The root must never change: a KMS in another process and the enclave
// sample trust it by this fingerprint.
const rootSHA256 = "68a7fc6175b3477bc85f9147e0c3f8a06bc6e409a6cd43070ca098ea49859fac"

func TestRootIsStable(t *testing.T) {
	sum := sha256.Sum256(Root().Raw)
	if got := hex.EncodeToString(sum[:]); got != rootSHA256 {
		t.Fatalf("test root SHA-256 %s, want %s", got, rootSHA256)
	}
	if !strings.Contains(Root().Subject.CommonName, "TEST ONLY") {
		t.Errorf("root subject %q does not say TEST ONLY", Root().Subject)
	}
	for _, r := range attestation.EmbeddedRoots() {
		if r.Equal(Root()) {
			t.Fatal("the test root is an embedded root")
		}
	}
}

// Each CA key matches its certificate, and the chain is valid for decades.
func TestAuthorityKeys(t *testing.T) {
	for _, c := range []struct {
		name string
		cert *x509.Certificate
		key  *ecdsa.PrivateKey
	}{
		{"root", root, rootKey},
		{"region", region, regionKey},
		{"instance", instance, instanceKey},
	} {
		if !c.key.PublicKey.Equal(c.cert.PublicKey) {
			t.Errorf("%s key does not match its certificate", c.name)
		}
	}
	for _, c := range []string{root.NotAfter.String(), region.NotAfter.String(), zone.NotAfter.String(), instance.NotAfter.String()} {
		if !strings.HasPrefix(c, "2070-") {
			t.Errorf("CA valid until %s", c)
		}
	}
}

// A document carries a fresh leaf valid for three hours from just before
// its timestamp, and Options print without any key material.
func TestLeafValidity(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 600e6, time.UTC)
	raw, err := Issue(Options{Time: at})
	if err != nil {
		t.Fatal(err)
	}
	u, err := attestation.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	leaf := u.Chain[0]
	if !leaf.NotBefore.Before(at) || leaf.NotAfter.Sub(leaf.NotBefore) != 3*time.Hour || at.Sub(leaf.NotBefore) > 5*time.Second {
		t.Errorf("leaf valid %v to %v for a document at %v", leaf.NotBefore, leaf.NotAfter, at)
	}
	again, err := Issue(Options{Time: at})
	if err != nil {
		t.Fatal(err)
	}
	if u2, _ := attestation.Decode(again); u2.Chain[0].Equal(leaf) {
		t.Error("two documents share a leaf certificate")
	}
	s := fmt.Sprintf("%+v %+v", Options{PublicKey: []byte{1}}, *u)
	scalar, err := leafKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, new(big.Int).SetBytes(scalar).String()) || strings.Contains(s, hex.EncodeToString(scalar)) {
		t.Error("printing Options or a decoded document shows the leaf key")
	}
	if _, err := Issue(Options{Platform: 7}); err == nil {
		t.Error("unknown platform accepted")
	}

	// A document may reuse an earlier document's leaf, as a real enclave
	// does for hours; it verifies, and differs from the first.
	reused, err := Issue(Options{Time: at.Add(time.Hour), Leaf: leaf.Raw, Nonce: []byte("second")})
	if err != nil {
		t.Fatal(err)
	}
	d, err := attestation.Verify(reused, attestation.VerifyOptions{Roots: []*x509.Certificate{Root()}, AtDocumentTime: true})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Chain[0].Equal(leaf) || bytes.Equal(reused, raw) {
		t.Error("the leaf was not reused, or the document is the same")
	}
	if _, err := Issue(Options{PCRs: map[int][]byte{-1: nil}}); err == nil {
		t.Error("negative PCR index accepted")
	}
}
