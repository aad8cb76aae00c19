package attestation_test

import (
	"bytes"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
)

// testPCR0 is attestationtest's default PCR0.
var testPCR0 = func() []byte {
	h := sha512.Sum384([]byte("qtenclave test PCR0"))
	return h[:]
}()

// sameOutcome fails unless two results of Verify are the same: equal
// documents, or the same error (the same sentinel, the same text).
func sameOutcome(t *testing.T, what string, doc1 *attestation.Document, err1 error, doc2 *attestation.Document, err2 error) {
	t.Helper()
	if !reflect.DeepEqual(doc1, doc2) || (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
		t.Errorf("%s: %v, %v; cold: %v, %v", what, doc1, err1, doc2, err2)
	}
}

// A document in the cache (its signature and chain verified) still fails
// every check that depends on the call: the leaf's validity, the clock
// skew, MaxAge, every policy, the platform and the roots; each failure is
// the one a cold Verify gives, and the document still verifies after it.
func TestCachedDocumentStillFails(t *testing.T) {
	spki := rsaSPKI(t)
	nonce, userData := []byte("challenge 42"), []byte("user data")
	raw := issue(t, attestationtest.Options{PublicKey: spki, Nonce: nonce, UserData: userData, LeafNotBefore: testTime.Add(-time.Hour)})
	u, err := attestation.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	leaf := u.Chain[0]
	good := attestation.VerifyOptions{
		Roots: testRoots, Time: testTime.Add(time.Minute), MaxAge: 5 * time.Minute,
		PCRs: map[int][]byte{0: testPCR0}, Nonce: nonce, UserData: userData, PublicKey: spki, RequireRSAPublicKey: true,
	}
	with := func(change func(*attestation.VerifyOptions)) attestation.VerifyOptions {
		o := good
		o.PCRs = map[int][]byte{0: testPCR0}
		change(&o)
		return o
	}
	otherPCR := bytes.Repeat([]byte{7}, 48)
	for _, tc := range []struct {
		name     string
		opts     attestation.VerifyOptions
		want     error
		reverify bool // the options ask for another reading of the signature
	}{
		{"leaf expired", with(func(o *attestation.VerifyOptions) { o.Time, o.MaxAge = leaf.NotAfter.Add(time.Second), 0 }), attestation.ErrExpired, false},
		{"leaf expired, at a later time", with(func(o *attestation.VerifyOptions) { o.Time, o.MaxAge = leaf.NotAfter.Add(30*24*time.Hour), 0 }), attestation.ErrExpired, false},
		{"leaf not yet valid", with(func(o *attestation.VerifyOptions) { o.Time = leaf.NotBefore.Add(-time.Second) }), attestation.ErrNotYetValid, false},
		{"beyond the clock skew", with(func(o *attestation.VerifyOptions) { o.Time = testTime.Add(-attestation.MaxClockSkew - time.Second) }), attestation.ErrNotYetValid, false},
		{"MaxAge", with(func(o *attestation.VerifyOptions) { o.Time = testTime.Add(6 * time.Minute) }), attestation.ErrExpired, false},
		{"MaxAge, shorter", with(func(o *attestation.VerifyOptions) { o.MaxAge = 30 * time.Second }), attestation.ErrExpired, false},
		{"PCR0 differs", with(func(o *attestation.VerifyOptions) { o.PCRs[0] = otherPCR }), attestation.ErrPolicy, false},
		{"PCR3 differs", with(func(o *attestation.VerifyOptions) { o.PCRs[3] = otherPCR }), attestation.ErrPolicy, false},
		{"PCR20 absent", with(func(o *attestation.VerifyOptions) { o.PCRs[20] = otherPCR }), attestation.ErrPolicy, false},
		{"nonce differs", with(func(o *attestation.VerifyOptions) { o.Nonce = []byte("challenge 43") }), attestation.ErrPolicy, false},
		{"user data differs", with(func(o *attestation.VerifyOptions) { o.UserData = []byte{} }), attestation.ErrPolicy, false},
		{"public key differs", with(func(o *attestation.VerifyOptions) { o.PublicKey = spki[:len(spki)-1] }), attestation.ErrPolicy, false},
		{"other roots", with(func(o *attestation.VerifyOptions) { o.Roots = nil }), attestation.ErrUntrusted, false},
		{"no roots", with(func(o *attestation.VerifyOptions) { o.Roots = []*x509.Certificate{} }), attestation.ErrUntrusted, false},
		{"a nil root", with(func(o *attestation.VerifyOptions) { o.Roots = []*x509.Certificate{nil} }), attestation.ErrUntrusted, false},
		{"embedded roots", with(func(o *attestation.VerifyOptions) { o.Roots = attestation.EmbeddedRoots() }), attestation.ErrUntrusted, false},
		{"platform Nitro", with(func(o *attestation.VerifyOptions) { o.Platform = attestation.Nitro }), nil, true},
		{"at the document's time", with(func(o *attestation.VerifyOptions) { o.AtDocumentTime = true }), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attestation.ResetChainCache()
			if _, err := attestation.Verify(raw, good); err != nil {
				t.Fatal(err)
			}
			before := attestation.ReadCacheCounts()
			warm, warmErr := attestation.Verify(raw, tc.opts)
			if got := attestation.ReadCacheCounts().Sub(before); (got.DocHits != 1 || got.DocMisses != 0 || got.LeafHits+got.LeafMisses != 0) && !tc.reverify {
				t.Errorf("counts %+v: want one document hit and nothing else", got)
			}
			if !errors.Is(warmErr, tc.want) || (warmErr == nil) != (tc.want == nil) || (warm == nil) == (warmErr == nil) {
				t.Errorf("warm Verify = %v, %v; want %v", warm, warmErr, tc.want)
			}
			if _, err := attestation.Verify(raw, good); err != nil {
				t.Errorf("after it: %v", err)
			}
			attestation.ResetChainCache()
			cold, coldErr := attestation.Verify(raw, tc.opts)
			sameOutcome(t, "warm", warm, warmErr, cold, coldErr)
		})
	}
}

// Policies that need a document of their own: debug mode, and a
// public_key that is not an RSA key.
func TestCachedDocumentStillFailsPolicy(t *testing.T) {
	zero := make(map[int][]byte, 16)
	for i := range 16 {
		zero[i] = make([]byte, 48)
	}
	ecSPKI, err := x509.MarshalPKIXPublicKey(attestationtest.Root().PublicKey) // a P-384 key
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		doc        attestationtest.Options
		pass, fail attestation.VerifyOptions
		failWith   error
	}{
		{"debug", attestationtest.Options{PCRs: zero},
			attestation.VerifyOptions{Roots: testRoots, AtDocumentTime: true, AllowDebug: true},
			attestation.VerifyOptions{Roots: testRoots, AtDocumentTime: true}, attestation.ErrPolicy},
		{"EC public key", attestationtest.Options{PublicKey: ecSPKI},
			attestation.VerifyOptions{Roots: testRoots, AtDocumentTime: true, PublicKey: ecSPKI},
			attestation.VerifyOptions{Roots: testRoots, AtDocumentTime: true, RequireRSAPublicKey: true}, attestation.ErrPolicy},
		{"QingTian, platform Nitro", attestationtest.Options{Platform: attestation.QingTian},
			attestation.VerifyOptions{Roots: testRoots, AtDocumentTime: true},
			attestation.VerifyOptions{Roots: testRoots, AtDocumentTime: true, Platform: attestation.Nitro}, attestation.ErrSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := issue(t, tc.doc)
			attestation.ResetChainCache()
			if _, err := attestation.Verify(raw, tc.pass); err != nil {
				t.Fatal(err)
			}
			warm, warmErr := attestation.Verify(raw, tc.fail)
			if !errors.Is(warmErr, tc.failWith) || warm != nil {
				t.Errorf("warm Verify = %v, %v; want %v", warm, warmErr, tc.failWith)
			}
			if _, err := attestation.Verify(raw, tc.pass); err != nil {
				t.Errorf("after it: %v", err)
			}
			attestation.ResetChainCache()
			cold, coldErr := attestation.Verify(raw, tc.fail)
			sameOutcome(t, "warm", warm, warmErr, cold, coldErr)
		})
	}
}

// A document whose signature or chain fails is not cached, and fails
// again in full; one whose signature and chain verify is cached even if it
// fails later checks, which it then fails on every call.
func TestFailingDocumentsNotCached(t *testing.T) {
	for _, m := range []attestationtest.Malformation{
		attestationtest.TamperedSignature, attestationtest.TamperedPayload, attestationtest.TamperedCertificate,
		attestationtest.UntrustedRoot, attestationtest.BadChainOrder, attestationtest.BrokenPathLen,
		attestationtest.LeafIsCA, attestationtest.WrongCurve, attestationtest.CriticalNameConstraints, attestationtest.DuplicateKey,
	} {
		for _, p := range dialects {
			raw := issue(t, attestationtest.Options{Platform: p, Malformation: m})
			attestation.ResetChainCache()
			_, err1 := attestation.Verify(raw, testOptions)
			_, err2 := attestation.Verify(raw, testOptions)
			c := attestation.ReadCacheCounts()
			if err1 == nil || err2 == nil || err1.Error() != err2.Error() || attestation.CachedDocs() != 0 || c.DocHits != 0 || c.DocMisses != 2 {
				t.Errorf("%v malformation %d: %v, then %v; %d cached, counts %+v", p, m, err1, err2, attestation.CachedDocs(), c)
			}
		}
	}
	for _, m := range []attestationtest.Malformation{attestationtest.ExpiredLeaf, attestationtest.TimestampBeforeCA} {
		raw := issue(t, attestationtest.Options{Malformation: m})
		attestation.ResetChainCache()
		_, err1 := attestation.Verify(raw, testOptions)
		_, err2 := attestation.Verify(raw, testOptions)
		c := attestation.ReadCacheCounts()
		if !errors.Is(err1, attestation.ErrExpired) || err2 == nil || err1.Error() != err2.Error() || attestation.CachedDocs() != 1 || c.DocHits != 1 {
			t.Errorf("malformation %d: %v, then %v; %d cached, counts %+v", m, err1, err2, attestation.CachedDocs(), c)
		}
	}
}

// Each Verify returns a Document of its own: what one caller changes in
// it, another never sees.
func TestCachedDocumentIsCallersOwn(t *testing.T) {
	raw := issue(t, attestationtest.Options{PublicKey: rsaSPKI(t), UserData: []byte("user"), Nonce: []byte("nonce")})
	attestation.ResetChainCache()
	want, err := attestation.Verify(raw, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := attestation.Verify(raw, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(doc, want) {
		t.Fatal("cached document differs")
	}
	keyLen := len(doc.PublicKey)
	doc.PCRs[0][0] ^= 1
	doc.PCRs[1] = nil
	doc.PCRs[40] = []byte{1}
	doc.PublicKey[0] ^= 1
	doc.PublicKey = append(doc.PublicKey, 0xff) // may not write into user_data
	doc.UserData[0] ^= 1
	doc.Nonce[0] ^= 1
	doc.Chain[0] = nil
	if doc.UserData[0] != 'u'^1 || len(doc.PublicKey) != keyLen+1 {
		t.Errorf("fields overlap: user_data %q", doc.UserData)
	}
	again, err := attestation.Verify(raw, testOptions)
	if err != nil || !reflect.DeepEqual(again, want) {
		t.Errorf("after a caller changed its document: %v, %v", again, err)
	}
	if c := attestation.ReadCacheCounts(); c.DocHits != 2 || c.DocMisses != 1 {
		t.Errorf("counts %+v: want 2 document hits after 1 miss", c)
	}
}

// A new leaf under known CAs checks one certificate signature: the leaf's.
func TestNewLeafUnderKnownCAs(t *testing.T) {
	attestation.ResetChainCache()
	for i, want := range []attestation.CacheCounts{
		{DocMisses: 1, LeafMisses: 1, CAMisses: 4},
		{DocMisses: 1, LeafMisses: 1, CAHits: 1},
		{DocMisses: 1, LeafMisses: 1, CAHits: 1},
	} {
		raw := issue(t, attestationtest.Options{Platform: dialects[i%2], Nonce: []byte{byte(i)}})
		before := attestation.ReadCacheCounts()
		if _, err := attestation.Verify(raw, testOptions); err != nil {
			t.Fatal(err)
		}
		if got := attestation.ReadCacheCounts().Sub(before); got != want {
			t.Errorf("document %d: counts %+v, want %+v", i, got, want)
		}
	}
}

// 64 verifiers at once, over caches too small for their documents, mix
// hits, misses, evictions and failures; each result is the one a cold
// Verify gives.
func TestVerifyConcurrentMixed(t *testing.T) {
	defer attestation.LimitCaches(3)()
	attestation.ResetChainCache()
	defer attestation.ResetChainCache()

	type job struct {
		raw  []byte
		opts attestation.VerifyOptions
		doc  *attestation.Document
		err  error
	}
	var jobs []*job
	later := testOptions
	later.AtDocumentTime, later.Time = false, testTime.Add(4*time.Hour)
	nonce := testOptions
	nonce.Nonce = []byte("other")
	for i, o := range []attestationtest.Options{
		{Platform: attestation.Nitro, Nonce: []byte("n")},
		{Platform: attestation.QingTian, Nonce: []byte("n")},
		{Quirks: attestationtest.IndefiniteLength | attestationtest.Tagged},
		{Platform: attestation.QingTian, PublicKey: rsaSPKI(t)},
		{Malformation: attestationtest.TamperedSignature},
		{Malformation: attestationtest.UntrustedRoot},
		{Platform: attestation.QingTian, Malformation: attestationtest.BrokenPathLen},
		{Malformation: attestationtest.ExpiredLeaf},
	} {
		o.ModuleID = fmt.Sprintf("i-concurrent-%d", i)
		raw := issue(t, o)
		for _, opts := range []attestation.VerifyOptions{testOptions, later, nonce} {
			jobs = append(jobs, &job{raw: raw, opts: opts})
		}
	}
	for _, j := range jobs {
		attestation.ResetChainCache()
		j.doc, j.err = attestation.Verify(j.raw, j.opts)
	}

	rounds := 12
	if raceEnabled {
		rounds = 3
	}
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range rounds {
				j := jobs[r.IntN(len(jobs))]
				doc, err := attestation.Verify(j.raw, j.opts)
				if !reflect.DeepEqual(doc, j.doc) || (err == nil) != (j.err == nil) || (err != nil && err.Error() != j.err.Error()) {
					t.Errorf("Verify = %v, %v; cold: %v, %v", doc, err, j.doc, j.err)
					return
				}
			}
		})
	}
	wg.Wait()
	c := attestation.ReadCacheCounts()
	t.Logf("counts %+v", c)
	if c.DocHits == 0 || c.DocMisses == 0 {
		t.Errorf("counts %+v: want both document hits and misses", c)
	}
}
