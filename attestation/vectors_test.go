package attestation_test

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/testvectors"
)

// failureSentinels maps the failure classes of testvectors'
// attestation_test.json to this package's sentinel errors.
var failureSentinels = map[string]error{
	"malformed": attestation.ErrMalformed,
	"untrusted": attestation.ErrUntrusted,
	"signature": attestation.ErrSignature,
	"expired":   attestation.ErrExpired,
	"policy":    attestation.ErrPolicy,
}

// acceptAttestation decides an "acceptable" vector as this package does:
// QingTian signatures are read both ways, a cabundle may hold up to 8
// certificates (maxCABundle), and only basicConstraints and keyUsage may be
// critical (a critical extension is never accepted unenforced).
func acceptAttestation(tc *testvectors.AttestationTest) bool {
	switch {
	case tc.HasFlag("BigEndianSignature"), tc.HasFlag("LongChain"):
		return true
	case tc.HasFlag("OverlongChain"), tc.HasFlag("UnenforcedCriticalExtension"):
		return false
	}
	panic("no policy for acceptable vector " + tc.String())
}

// TestVectors decides every vector of attestation_test.json: a valid one
// must verify and report the expected fields, an invalid one must fail
// with its class's sentinel and a nil Document.
func TestVectors(t *testing.T) {
	f, err := testvectors.Load[testvectors.AttestationGroup]("attestation_test.json")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, g := range f.TestGroups {
		var roots []*x509.Certificate
		for _, r := range g.Roots {
			c, err := x509.ParseCertificate(r)
			if err != nil {
				t.Fatal(err)
			}
			roots = append(roots, c)
		}
		platform := map[string]attestation.Platform{"nitro": attestation.Nitro, "qingtian": attestation.QingTian}[g.Platform]
		if platform == 0 {
			t.Fatalf("group platform %q", g.Platform)
		}
		for i := range g.Tests {
			tc := &g.Tests[i]
			opts := attestation.VerifyOptions{
				Roots:      roots,
				Platform:   platform,
				Time:       tc.Time,
				MaxAge:     time.Duration(tc.MaxAgeMs) * time.Millisecond,
				AllowDebug: tc.AllowDebug,
				Nonce:      tc.Nonce,

				RequireRSAPublicKey: tc.RequireRSAPublicKey,
			}
			accept := tc.Result == "valid" || tc.Result == "acceptable" && acceptAttestation(tc)
			doc, err := attestation.Verify(tc.Doc, opts)
			switch {
			case accept && err != nil:
				t.Errorf("%v: rejected: %v", tc, err)
			case accept:
				checkExpected(t, tc, doc, platform)
			case err == nil:
				t.Errorf("%v: accepted", tc)
			case doc != nil:
				t.Errorf("%v: a Document beside the error %v", tc, err)
			case !errors.Is(err, failureSentinels[tc.Failure]):
				t.Errorf("%v: %v, want class %s", tc, err, tc.Failure)
			}
			counts[tc.Result]++
		}
	}
	t.Logf("attestation_test.json: %d vectors decided: %v", f.NumberOfTests, counts)
}

func checkExpected(t *testing.T, tc *testvectors.AttestationTest, doc *attestation.Document, platform attestation.Platform) {
	t.Helper()
	e := tc.Expected
	if e == nil {
		t.Fatalf("%v: no expected values", tc)
	}
	if doc.Platform != platform || doc.ModuleID != e.ModuleID || doc.Digest != e.Digest || doc.Timestamp.UnixMilli() != e.TimestampMs {
		t.Errorf("%v: platform %v, module_id %q, digest %q, timestamp %v", tc, doc.Platform, doc.ModuleID, doc.Digest, doc.Timestamp)
	}
	if len(doc.PCRs) != len(e.PCRs) {
		t.Errorf("%v: %d PCRs, want %d", tc, len(doc.PCRs), len(e.PCRs))
	}
	for k, v := range e.PCRs {
		i, _ := strconv.Atoi(k)
		if hex.EncodeToString(doc.PCRs[i]) != v {
			t.Errorf("%v: PCR%d = %x, want %s", tc, i, doc.PCRs[i], v)
		}
	}
	// An empty byte string and null or absent are all "not set" here.
	for _, f := range []struct {
		name      string
		got, want []byte
	}{{"public_key", doc.PublicKey, e.PublicKey}, {"user_data", doc.UserData, e.UserData}, {"nonce", doc.Nonce, e.Nonce}} {
		if !bytes.Equal(f.got, f.want) {
			t.Errorf("%v: %s = %x, want %x", tc, f.name, f.got, f.want)
		}
	}
}

// vectorDocs returns every document of attestation_test.json, as fuzz
// seeds.
func vectorDocs(tb testing.TB) [][]byte {
	f, err := testvectors.Load[testvectors.AttestationGroup]("attestation_test.json")
	if err != nil {
		tb.Fatal(err)
	}
	var docs [][]byte
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			docs = append(docs, tc.Doc)
		}
	}
	return docs
}
