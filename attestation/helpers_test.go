package attestation_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qtenclave/qtenclave/attestation"
)

// testRSAKey is the TEST ONLY key of testdata/rsa2048.key.
var testRSAKey = func() *rsa.PrivateKey {
	b, err := os.ReadFile("testdata/rsa2048.key")
	if err != nil {
		panic(err)
	}
	block, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		panic(err)
	}
	return k.(*rsa.PrivateKey)
}()

// readDoc reads a document under testdata: raw CBOR, or base64 text (.b64).
func readDoc(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", rel))
	if err != nil {
		tb.Fatal(err)
	}
	if strings.HasSuffix(rel, ".b64") {
		d, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil {
			tb.Fatalf("%s: %v", rel, err)
		}
		b = d
	}
	return b
}

// tamperEveryByte flips the low bit of each byte of raw in turn (and all
// bits of every 5th byte) and checks that Verify rejects the result with a sentinel that fits
// where the byte is: in the signature ErrSignature; in a certificate
// ErrMalformed (it no longer parses) or ErrUntrusted; elsewhere
// ErrMalformed (structure) or ErrSignature (content). Every byte is
// checked, except with -short (every 11th) or -race (every 97th).
func tamperEveryByte(t *testing.T, raw []byte, chain []*x509.Certificate, opts attestation.VerifyOptions) {
	t.Helper()
	if _, err := attestation.Verify(raw, opts); err != nil {
		t.Fatalf("untampered: %v", err)
	}
	type span struct{ from, to int }
	var certs []span
	for _, c := range chain {
		i := bytes.Index(raw, c.Raw)
		if i < 0 {
			t.Fatalf("certificate %s not found in the document", c.Subject)
		}
		certs = append(certs, span{i, i + len(c.Raw)})
	}
	sig := span{len(raw) - 96, len(raw)}
	stride := 1
	switch {
	case raceEnabled:
		stride = 97
	case testing.Short():
		stride = 11
	}
	mutated := bytes.Clone(raw)
	counts := map[string]int{}
	for i := 0; i < len(raw); i += stride {
		region, allowed := "structure or content", []error{attestation.ErrMalformed, attestation.ErrSignature}
		if i >= sig.from {
			region, allowed = "signature", []error{attestation.ErrSignature}
		}
		for _, c := range certs {
			if i >= c.from && i < c.to {
				region, allowed = "certificate", []error{attestation.ErrMalformed, attestation.ErrUntrusted}
			}
		}
		masks := []byte{0x01}
		if i%5 == 0 {
			masks = append(masks, 0xff)
		}
		for _, mask := range masks {
			mutated[i] ^= mask
			doc, err := attestation.Verify(mutated, opts)
			mutated[i] ^= mask
			ok := false
			for _, want := range allowed {
				ok = ok || errors.Is(err, want)
			}
			if !ok || doc != nil {
				t.Fatalf("byte %d (%s) ^ %#x: Verify = %v, %v; want one of %v", i, region, mask, doc, err, allowed)
			}
			counts[region]++
		}
	}
	t.Logf("%d tamperings rejected: %v", counts["signature"]+counts["certificate"]+counts["structure or content"], counts)
}

func TestSingleByteTamperingRealDocument(t *testing.T) {
	for _, f := range []string{"open-contracts_attestation_doc.cbor", "evervault_beta_valid-attestation-doc.cbor"} {
		t.Run(f, func(t *testing.T) {
			raw := readDoc(t, "nitro/docs/"+f)
			u, err := attestation.Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			tamperEveryByte(t, raw, u.Chain, attestation.VerifyOptions{AtDocumentTime: true})
		})
	}
}
