package attestation_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
)

var (
	testRoots   = []*x509.Certificate{attestationtest.Root()}
	testTime    = time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	dialects    = []attestation.Platform{attestation.Nitro, attestation.QingTian}
	testOptions = attestation.VerifyOptions{Roots: testRoots, AtDocumentTime: true}
)

func issue(t testing.TB, opts attestationtest.Options) []byte {
	t.Helper()
	if opts.Time.IsZero() {
		opts.Time = testTime
	}
	raw, err := attestationtest.Issue(opts)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// rsaSPKI is the DER SubjectPublicKeyInfo of a TEST ONLY RSA-2048 key.
func rsaSPKI(t testing.TB) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&testRSAKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestAuthorityDialectsAndQuirks(t *testing.T) {
	quirks := []struct {
		name string
		q    attestationtest.Quirk
	}{
		{"none", 0},
		{"indefinite", attestationtest.IndefiniteLength},
		{"highS", attestationtest.HighS},
		{"unknownKey", attestationtest.UnknownKey},
		{"pubkey", attestationtest.PubkeyName},
		{"tagged", attestationtest.Tagged},
		{"nonMinimal", attestationtest.NonMinimalInts},
		{"omitAbsent", attestationtest.OmitAbsent},
		{"all", attestationtest.IndefiniteLength | attestationtest.HighS | attestationtest.UnknownKey |
			attestationtest.PubkeyName | attestationtest.Tagged | attestationtest.NonMinimalInts},
	}
	full := bytes.Repeat([]byte{0x01}, 1024)
	for _, p := range dialects {
		for _, q := range quirks {
			for _, fields := range []struct {
				name                  string
				key, userData, nonce  []byte
				wantUserData, wantNil bool
			}{
				{name: "absent"},
				{name: "rsa", key: rsaSPKI(t), userData: []byte("hello"), nonce: []byte{1, 2, 3}},
				{name: "1024", key: full, userData: full, nonce: full},
			} {
				t.Run(p.String()+"/"+q.name+"/"+fields.name, func(t *testing.T) {
					raw := issue(t, attestationtest.Options{
						Platform: p, Quirks: q.q, PublicKey: fields.key, UserData: fields.userData, Nonce: fields.nonce,
						ModuleID: "i-quirks",
					})
					opts := testOptions
					opts.PublicKey, opts.UserData, opts.Nonce = fields.key, fields.userData, fields.nonce
					doc, err := attestation.Verify(raw, opts)
					if err != nil {
						t.Fatal(err)
					}
					if doc.Platform != p || doc.ModuleID != "i-quirks" || !doc.Timestamp.Equal(testTime) || doc.Digest != "SHA384" {
						t.Errorf("doc = %v %q %v %q", doc.Platform, doc.ModuleID, doc.Timestamp, doc.Digest)
					}
					if len(doc.PCRs) != 16 || len(doc.PCRs[0]) != 48 || len(doc.Chain) != 5 || !doc.Chain[4].Equal(attestationtest.Root()) {
						t.Errorf("%d PCRs, chain of %d", len(doc.PCRs), len(doc.Chain))
					}
					if !bytes.Equal(doc.PublicKey, fields.key) || !bytes.Equal(doc.UserData, fields.userData) || !bytes.Equal(doc.Nonce, fields.nonce) {
						t.Errorf("fields %x %x %x", doc.PublicKey, doc.UserData, doc.Nonce)
					}
					// Nitro's null (or an omitted field) reads as nil,
					// QingTian's empty string as empty but not nil.
					if wantNil := p == attestation.Nitro || q.q&attestationtest.OmitAbsent != 0; fields.nonce == nil &&
						((doc.Nonce == nil) != wantNil || (doc.UserData == nil) != wantNil || (doc.PublicKey == nil) != wantNil) {
						t.Errorf("absent fields = %#v %#v %#v, want nil: %v", doc.Nonce, doc.UserData, doc.PublicKey, wantNil)
					}
				})
			}
		}
	}
}

func TestAuthorityMalformations(t *testing.T) {
	for _, tc := range []struct {
		m    attestationtest.Malformation
		name string
		want error
	}{
		{attestationtest.DuplicateKey, "DuplicateKey", attestation.ErrMalformed},
		{attestationtest.TrailingBytes, "TrailingBytes", attestation.ErrMalformed},
		{attestationtest.WrongAlg, "WrongAlg", attestation.ErrMalformed},
		{attestationtest.WrongCurve, "WrongCurve", attestation.ErrMalformed},
		{attestationtest.BothKeyNames, "BothKeyNames", attestation.ErrMalformed},
		{attestationtest.MissingTimestamp, "MissingTimestamp", attestation.ErrMalformed},
		{attestationtest.WrongType, "WrongType", attestation.ErrMalformed},
		{attestationtest.IndefiniteField, "IndefiniteField", attestation.ErrMalformed},
		{attestationtest.BadChainOrder, "BadChainOrder", attestation.ErrUntrusted},
		{attestationtest.BrokenPathLen, "BrokenPathLen", attestation.ErrUntrusted},
		{attestationtest.LeafIsCA, "LeafIsCA", attestation.ErrUntrusted},
		{attestationtest.UntrustedRoot, "UntrustedRoot", attestation.ErrUntrusted},
		{attestationtest.TamperedCertificate, "TamperedCertificate", attestation.ErrUntrusted},
		{attestationtest.TamperedPayload, "TamperedPayload", attestation.ErrSignature},
		{attestationtest.TamperedSignature, "TamperedSignature", attestation.ErrSignature},
		{attestationtest.ExpiredLeaf, "ExpiredLeaf", attestation.ErrExpired},
		{attestationtest.TimestampBeforeCA, "TimestampBeforeCA", attestation.ErrNotYetValid},
		{attestationtest.CriticalNameConstraints, "CriticalNameConstraints", attestation.ErrUntrusted},
	} {
		for _, p := range dialects {
			for _, q := range []attestationtest.Quirk{0, attestationtest.IndefiniteLength | attestationtest.Tagged} {
				t.Run(p.String()+"/"+tc.name, func(t *testing.T) {
					raw := issue(t, attestationtest.Options{Platform: p, Malformation: tc.m, Quirks: q, Nonce: []byte("n")})
					doc, err := attestation.Verify(raw, testOptions)
					if !errors.Is(err, tc.want) || doc != nil {
						t.Fatalf("Verify = %v, %v; want %v", doc, err, tc.want)
					}
					if _, err := attestation.Verify(raw, attestation.VerifyOptions{Roots: testRoots, Time: testTime.Add(time.Minute)}); !errors.Is(err, tc.want) {
						t.Errorf("Verify at an explicit time = %v; want %v", err, tc.want)
					}
				})
			}
		}
	}
}

// The test root is not trusted by default, and the embedded roots do not
// vouch for test documents.
func TestAuthorityRootNotEmbedded(t *testing.T) {
	for _, r := range attestation.EmbeddedRoots() {
		if r.Equal(attestationtest.Root()) {
			t.Fatal("the test root is embedded")
		}
	}
	for _, p := range dialects {
		raw := issue(t, attestationtest.Options{Platform: p})
		if _, err := attestation.Verify(raw, attestation.VerifyOptions{AtDocumentTime: true}); !errors.Is(err, attestation.ErrUntrusted) {
			t.Errorf("%v: %v, want ErrUntrusted", p, err)
		}
		// With the test root among others, it verifies.
		roots := append(attestation.EmbeddedRoots(), attestationtest.Root())
		if _, err := attestation.Verify(raw, attestation.VerifyOptions{Roots: roots, AtDocumentTime: true}); err != nil {
			t.Errorf("%v with the test root added: %v", p, err)
		}
	}
}

func TestVerifyTime(t *testing.T) {
	raw := issue(t, attestationtest.Options{})
	for _, tc := range []struct {
		name string
		opts attestation.VerifyOptions
		want error
	}{
		{"document", attestation.VerifyOptions{AtDocumentTime: true}, nil},
		{"document ignores Time", attestation.VerifyOptions{AtDocumentTime: true, Time: testTime.Add(-time.Hour)}, nil},
		{"just after", attestation.VerifyOptions{Time: testTime.Add(time.Second)}, nil},
		{"2h59 after", attestation.VerifyOptions{Time: testTime.Add(2*time.Hour + 59*time.Minute)}, nil},
		{"3h01 after", attestation.VerifyOptions{Time: testTime.Add(3*time.Hour + time.Minute)}, attestation.ErrExpired},
		{"before the leaf", attestation.VerifyOptions{Time: testTime.Add(-time.Minute)}, attestation.ErrExpired},
		{"now", attestation.VerifyOptions{}, attestation.ErrExpired},
		{"max age ok", attestation.VerifyOptions{Time: testTime.Add(time.Minute), MaxAge: 2 * time.Minute}, nil},
		{"max age exceeded", attestation.VerifyOptions{Time: testTime.Add(3 * time.Minute), MaxAge: 2 * time.Minute}, attestation.ErrExpired},
		// A timestamp 2s after the verification time: within the clock skew.
		{"2s in the future", attestation.VerifyOptions{Time: testTime.Add(-2 * time.Second), MaxAge: time.Hour}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Roots = testRoots
			doc, err := attestation.Verify(raw, tc.opts)
			if !errors.Is(err, tc.want) || (err != nil) != (doc == nil) {
				t.Fatalf("Verify = %v, %v; want %v", doc, err, tc.want)
			}
		})
	}
	// The current time, for a document issued now.
	fresh, err := attestationtest.Issue(attestationtest.Options{Platform: attestation.QingTian})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attestation.Verify(fresh, attestation.VerifyOptions{Roots: testRoots, MaxAge: time.Minute}); err != nil {
		t.Errorf("fresh document now: %v", err)
	}
}

func TestVerifyPolicy(t *testing.T) {
	spki := rsaSPKI(t)
	pcrs := map[int][]byte{0: bytes.Repeat([]byte{0xaa}, 48), 1: bytes.Repeat([]byte{0xbb}, 48), 2: make([]byte, 48), 16: bytes.Repeat([]byte{0xcc}, 48)}
	debug := map[int][]byte{0: make([]byte, 48), 1: make([]byte, 48), 2: make([]byte, 48), 3: bytes.Repeat([]byte{1}, 48)}
	ecSPKI, err := x509.MarshalPKIXPublicKey(attestationtest.Root().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	small, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: new(big.Int).Rsh(testRSAKey.N, 1024), E: 65537})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range dialects {
		for _, tc := range []struct {
			name string
			iss  attestationtest.Options
			opts attestation.VerifyOptions
			want error
		}{
			{"all match", attestationtest.Options{PCRs: pcrs, PublicKey: spki, Nonce: []byte("n"), UserData: []byte("u")},
				attestation.VerifyOptions{PCRs: map[int][]byte{0: pcrs[0], 16: pcrs[16]}, PublicKey: spki, Nonce: []byte("n"), UserData: []byte("u"), RequireRSAPublicKey: true}, nil},
			{"pcr differs", attestationtest.Options{PCRs: pcrs}, attestation.VerifyOptions{PCRs: map[int][]byte{1: pcrs[0]}}, attestation.ErrPolicy},
			{"pcr absent", attestationtest.Options{PCRs: pcrs}, attestation.VerifyOptions{PCRs: map[int][]byte{5: pcrs[0]}}, attestation.ErrPolicy},
			{"nonce differs", attestationtest.Options{Nonce: []byte("n")}, attestation.VerifyOptions{Nonce: []byte("m")}, attestation.ErrPolicy},
			{"nonce absent", attestationtest.Options{}, attestation.VerifyOptions{Nonce: []byte("n")}, attestation.ErrPolicy},
			{"user data differs", attestationtest.Options{UserData: []byte("u")}, attestation.VerifyOptions{UserData: []byte("v")}, attestation.ErrPolicy},
			{"key differs", attestationtest.Options{PublicKey: spki}, attestation.VerifyOptions{PublicKey: ecSPKI}, attestation.ErrPolicy},
			{"key not RSA", attestationtest.Options{PublicKey: ecSPKI}, attestation.VerifyOptions{RequireRSAPublicKey: true}, attestation.ErrPolicy},
			{"key RSA-1024", attestationtest.Options{PublicKey: small}, attestation.VerifyOptions{RequireRSAPublicKey: true}, attestation.ErrPolicy},
			{"key not SPKI", attestationtest.Options{PublicKey: []byte("-----BEGIN PUBLIC KEY-----")}, attestation.VerifyOptions{RequireRSAPublicKey: true}, attestation.ErrPolicy},
			{"key absent", attestationtest.Options{}, attestation.VerifyOptions{RequireRSAPublicKey: true}, attestation.ErrPolicy},
			{"debug", attestationtest.Options{PCRs: debug}, attestation.VerifyOptions{}, attestation.ErrPolicy},
			{"debug allowed", attestationtest.Options{PCRs: debug}, attestation.VerifyOptions{AllowDebug: true}, nil},
			{"platform pinned", attestationtest.Options{}, attestation.VerifyOptions{Platform: p}, nil},
		} {
			t.Run(p.String()+"/"+tc.name, func(t *testing.T) {
				tc.iss.Platform = p
				raw := issue(t, tc.iss)
				tc.opts.Roots, tc.opts.AtDocumentTime = testRoots, true
				doc, err := attestation.Verify(raw, tc.opts)
				if !errors.Is(err, tc.want) || (err != nil) != (doc == nil) {
					t.Fatalf("Verify = %v, %v; want %v", doc, err, tc.want)
				}
			})
		}
	}
}

// A QingTian document read as Nitro fails: the little-endian reading is
// tried only for QingTian.
func TestQingTianSignatureOrderOnlyForQingTian(t *testing.T) {
	raw := issue(t, attestationtest.Options{Platform: attestation.QingTian})
	if _, err := attestation.Verify(raw, attestation.VerifyOptions{Roots: testRoots, AtDocumentTime: true, Platform: attestation.Nitro}); !errors.Is(err, attestation.ErrSignature) {
		t.Errorf("QingTian document as Nitro: %v, want ErrSignature", err)
	}
	raw = issue(t, attestationtest.Options{Platform: attestation.Nitro})
	doc, err := attestation.Verify(raw, attestation.VerifyOptions{Roots: testRoots, AtDocumentTime: true, Platform: attestation.QingTian})
	if err != nil || doc.Platform != attestation.QingTian {
		t.Errorf("big-endian document as QingTian (the standard order is tried first): %v", err)
	}
}

// Every single-byte change to a document is rejected, with a sentinel that
// fits where the byte is.
func TestSingleByteTampering(t *testing.T) {
	for _, p := range dialects {
		t.Run(p.String(), func(t *testing.T) {
			raw := issue(t, attestationtest.Options{Platform: p, Nonce: []byte("nonce"), PublicKey: rsaSPKI(t)})
			u, err := attestation.Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			tamperEveryByte(t, raw, u.Chain, testOptions)
		})
	}
}
