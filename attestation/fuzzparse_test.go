package attestation

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/qtenclave/qtenclave/testvectors"
)

// FuzzParse fuzzes the CBOR and COSE layers alone (parseSign1 and
// decodePayload, no X.509), which makes it fast enough for long runs.
// Property: an ErrMalformed and nothing, or a payload within every limit.
func FuzzParse(f *testing.F) {
	dir := filepath.Join("testdata", "nitro", "docs")
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add(readDoc(f, filepath.Join("nitro/docs", e.Name())))
	}
	f.Add(readDoc(f, "nitro/not_real/blocky-nitrite_selfsigned_attestation.b64"))
	qt, err := os.ReadFile("testdata/qingtian_test_authority.cbor")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(qt)
	// Every document of the test vectors.
	vf, err := testvectors.Load[testvectors.AttestationGroup]("attestation_test.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, g := range vf.TestGroups {
		for _, tc := range g.Tests {
			f.Add([]byte(tc.Doc))
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := parseSign1(raw)
		if (m == nil) == (err == nil) || (err != nil && !errors.Is(err, ErrMalformed)) {
			t.Fatalf("parseSign1 = %v, %v", m, err)
		}
		if err != nil {
			return
		}
		if len(m.signature) != 96 || len(m.payload) > maxDocumentSize {
			t.Fatalf("parseSign1 accepted a %d-byte signature", len(m.signature))
		}
		p, err := decodePayload(m.payload)
		if (p == nil) == (err == nil) || (err != nil && !errors.Is(err, ErrMalformed)) {
			t.Fatalf("decodePayload = %v, %v", p, err)
		}
		if err != nil {
			return
		}
		ok := p.moduleID != "" && len(p.moduleID) <= maxModuleID && p.digest == "SHA384" &&
			!p.timestamp.IsZero() && len(p.pcrs) >= 1 && len(p.pcrs) <= maxPCRs &&
			len(p.cert) >= 1 && len(p.cert) <= maxCertSize && len(p.cabundle) >= 1 && len(p.cabundle) <= maxCABundle &&
			len(p.publicKey) <= maxUserField && len(p.userData) <= maxUserField && len(p.nonce) <= maxUserField
		for i, v := range p.pcrs {
			ok = ok && i >= 0 && i < maxPCRs && (len(v) == 32 || len(v) == 48 || len(v) == 64)
		}
		for _, c := range p.cabundle {
			ok = ok && len(c) >= 1 && len(c) <= maxCertSize
		}
		if !ok {
			t.Fatalf("decodePayload accepted %+v", p)
		}
	})
}
