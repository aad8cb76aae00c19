package attestation_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
)

var sentinels = []error{attestation.ErrMalformed, attestation.ErrSignature, attestation.ErrUntrusted, attestation.ErrExpired, attestation.ErrPolicy}

// fuzzSeeds adds the real documents (and the not_real one), test
// documents in both dialects with every quirk, and every document of the
// test vectors.
func fuzzSeeds(f *testing.F) {
	for _, doc := range vectorDocs(f) {
		f.Add(doc)
	}
	dir := filepath.Join("testdata", "nitro", "docs")
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add(readDoc(f, filepath.Join("nitro/docs", e.Name())))
	}
	f.Add(readDoc(f, "nitro/not_real/blocky-nitrite_selfsigned_attestation.b64"))
	all := attestationtest.IndefiniteLength | attestationtest.HighS | attestationtest.UnknownKey | attestationtest.PubkeyName | attestationtest.Tagged
	for _, p := range dialects {
		for _, q := range []attestationtest.Quirk{0, all, attestationtest.OmitAbsent} {
			f.Add(issue(f, attestationtest.Options{Platform: p, Quirks: q, Nonce: []byte("nonce"), UserData: []byte("u")}))
		}
	}
}

// FuzzDecode: Decode returns a document or an ErrMalformed, never both,
// never a panic; what it returns is within the limits.
func FuzzDecode(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		u, err := attestation.Decode(raw)
		if (u == nil) == (err == nil) {
			t.Fatalf("Decode = %v, %v", u, err)
		}
		if err != nil {
			if !errors.Is(err, attestation.ErrMalformed) {
				t.Fatalf("Decode error %v is not ErrMalformed", err)
			}
			return
		}
		if u.ModuleID == "" || u.Digest != "SHA384" || u.Timestamp.IsZero() || len(u.PCRs) == 0 || len(u.PCRs) > 32 || len(u.Chain) < 2 {
			t.Fatalf("Decode accepted %+v", u)
		}
	})
}

// FuzzVerify: Verify returns a document or one of its sentinels, never
// both, never a panic; a verified document decodes to the same fields.
func FuzzVerify(f *testing.F) {
	fuzzSeeds(f)
	roots := append(attestation.EmbeddedRoots(), attestationtest.Root())
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := attestation.Verify(raw, attestation.VerifyOptions{Roots: roots, AtDocumentTime: true, AllowDebug: true})
		if (doc == nil) == (err == nil) {
			t.Fatalf("Verify = %v, %v", doc, err)
		}
		if err != nil {
			n := 0
			for _, s := range sentinels {
				if errors.Is(err, s) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("Verify error %v wraps %d sentinels", err, n)
			}
			return
		}
		u, err := attestation.Decode(raw)
		if err != nil {
			t.Fatalf("verified but does not decode: %v", err)
		}
		if u.ModuleID != doc.ModuleID || !u.Timestamp.Equal(doc.Timestamp) || !bytes.Equal(u.Nonce, doc.Nonce) || !bytes.Equal(u.PublicKey, doc.PublicKey) ||
			!bytes.Equal(u.Chain[0].Raw, doc.Chain[0].Raw) || doc.Timestamp.After(doc.Chain[0].NotAfter.Add(time.Second)) {
			t.Fatalf("Decode and Verify disagree")
		}
	})
}
