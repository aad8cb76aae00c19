package attestation_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
)

// verifyColdWarm verifies raw with an empty chain cache, then again with
// the chain cached, and fails the test unless both give the same outcome:
// the cache must never change a result.
func verifyColdWarm(t *testing.T, raw []byte, opts attestation.VerifyOptions) (*attestation.Document, error) {
	t.Helper()
	attestation.ResetChainCache()
	cold, coldErr := attestation.Verify(raw, opts)
	warm, warmErr := attestation.Verify(raw, opts)
	if (cold == nil) != (warm == nil) || (coldErr == nil) != (warmErr == nil) || (coldErr != nil && coldErr.Error() != warmErr.Error()) {
		t.Fatalf("cold Verify = %v, %v; warm = %v, %v", cold, coldErr, warm, warmErr)
	}
	if (cold == nil) == (coldErr == nil) {
		t.Fatalf("Verify = %v, %v: want a document or an error", cold, coldErr)
	}
	return cold, coldErr
}

// The document's timestamp must lie within every certificate's validity,
// not only the leaf's: here the instance CA becomes valid an hour after
// the timestamp, and every certificate is valid at the verification time.
func TestTimestampWithinEveryCertificate(t *testing.T) {
	for _, p := range dialects {
		raw := issue(t, attestationtest.Options{Platform: p, Malformation: attestationtest.TimestampBeforeCA})
		for _, opts := range []attestation.VerifyOptions{
			{Roots: testRoots, Time: testTime.Add(2 * time.Hour)},
			{Roots: testRoots, Time: testTime.Add(2 * time.Hour), MaxAge: 3 * time.Hour},
			{Roots: testRoots, AtDocumentTime: true},
		} {
			_, err := verifyColdWarm(t, raw, opts)
			if !errors.Is(err, attestation.ErrNotYetValid) || !errors.Is(err, attestation.ErrExpired) {
				t.Errorf("%v at %v (document time %v): %v; want ErrNotYetValid (and ErrExpired)", p, opts.Time, opts.AtDocumentTime, err)
			}
		}
		// A good document verified at the same time shares the CAs' chain
		// in the cache with neither outcome changed.
		good := issue(t, attestationtest.Options{Platform: p})
		if _, err := verifyColdWarm(t, good, attestation.VerifyOptions{Roots: testRoots, Time: testTime.Add(2 * time.Hour)}); err != nil {
			t.Errorf("%v: good document: %v", p, err)
		}
	}
}

// A timestamp in the future of the verification time, beyond the clock
// skew, is rejected whether or not MaxAge is set. The leaf here became
// valid an hour before the document, as a real leaf that signs documents
// for hours does, so every certificate is valid at every time tried.
func TestFutureTimestamp(t *testing.T) {
	if s := attestation.MaxClockSkew; s <= 0 || s > 10*time.Minute {
		t.Fatalf("MaxClockSkew = %v: want a small positive allowance", s)
	}
	raw := issue(t, attestationtest.Options{LeafNotBefore: testTime.Add(-time.Hour)})
	skew := attestation.MaxClockSkew
	for _, tc := range []struct {
		name   string
		before time.Duration // how long before the document's timestamp to verify
		maxAge time.Duration
		want   error
	}{
		{"at the timestamp", 0, 0, nil},
		{"within the skew", skew - time.Second, 0, nil},
		{"at the skew", skew, 0, nil},
		{"beyond the skew", skew + time.Millisecond, 0, attestation.ErrNotYetValid},
		{"half an hour early", 30 * time.Minute, 0, attestation.ErrNotYetValid},
		{"half an hour early, max age", 30 * time.Minute, time.Hour, attestation.ErrNotYetValid},
		{"within the skew, max age", skew - time.Second, time.Minute, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := attestation.VerifyOptions{Roots: testRoots, Time: testTime.Add(-tc.before), MaxAge: tc.maxAge}
			_, err := verifyColdWarm(t, raw, opts)
			if !errors.Is(err, tc.want) || (tc.want != nil && !errors.Is(err, attestation.ErrExpired)) {
				t.Fatalf("Verify %v before the timestamp = %v; want %v", tc.before, err, tc.want)
			}
		})
	}
}

// A certificate not yet valid is reported as such, and is still
// ErrExpired for callers that treat every validity failure alike; an
// expired one is not ErrNotYetValid.
func TestNotYetValid(t *testing.T) {
	raw := issue(t, attestationtest.Options{})
	_, err := verifyColdWarm(t, raw, attestation.VerifyOptions{Roots: testRoots, Time: testTime.Add(-time.Hour)})
	if !errors.Is(err, attestation.ErrNotYetValid) || !errors.Is(err, attestation.ErrExpired) {
		t.Errorf("an hour before the leaf: %v; want ErrNotYetValid and ErrExpired", err)
	}
	if err != nil && bytes.Contains([]byte(err.Error()), []byte("expired")) {
		t.Errorf("not-yet-valid error says expired: %v", err)
	}
	_, err = verifyColdWarm(t, raw, attestation.VerifyOptions{Roots: testRoots, Time: testTime.Add(4 * time.Hour)})
	if !errors.Is(err, attestation.ErrExpired) || errors.Is(err, attestation.ErrNotYetValid) {
		t.Errorf("after the leaf: %v; want ErrExpired only", err)
	}
	_, err = verifyColdWarm(t, issue(t, attestationtest.Options{Malformation: attestationtest.ExpiredLeaf}), testOptions)
	if !errors.Is(err, attestation.ErrExpired) || errors.Is(err, attestation.ErrNotYetValid) {
		t.Errorf("timestamp after the leaf's validity: %v; want ErrExpired only", err)
	}
}

// A critical extension that Verify does not enforce is rejected, even one
// that crypto/x509 parses: here a nameConstraints that the leaf's DNS name
// violates.
func TestCriticalNameConstraints(t *testing.T) {
	for _, p := range dialects {
		raw := issue(t, attestationtest.Options{Platform: p, Malformation: attestationtest.CriticalNameConstraints})
		if _, err := verifyColdWarm(t, raw, testOptions); !errors.Is(err, attestation.ErrUntrusted) {
			t.Errorf("%v: %v; want ErrUntrusted", p, err)
		}
	}
}

// RequireRSAPublicKey refuses exactly the keys that crypto/rsa refuses to
// encrypt to (with ErrPolicy, as a KMS must answer 4xx, not fail later),
// and the sizes a KMS recipient may not have.
func TestRequireRSAPublicKeyMirrorsCryptoRSA(t *testing.T) {
	n := testRSAKey.N
	even := new(big.Int).Add(n, big.NewInt(1))
	for _, tc := range []struct {
		name string
		n    *big.Int
		e    int
		ok   bool
	}{
		{"65537", n, 65537, true},
		{"3", n, 3, true},
		{"2^31-1", n, 1<<31 - 1, true},
		{"1", n, 1, false},
		{"2", n, 2, false},
		{"4", n, 4, false},
		{"65536", n, 65536, false},
		{"2^31+1", n, 1<<31 + 1, false},
		{"2^32+1", n, 1<<32 + 1, false},
		{"even modulus", even, 65537, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pub := &rsa.PublicKey{N: tc.n, E: tc.e}
			_, encErr := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, []byte("secret"), nil)
			if (encErr == nil) != tc.ok {
				t.Fatalf("crypto/rsa EncryptOAEP: %v; the table says ok=%v", encErr, tc.ok)
			}
			spki, err := x509.MarshalPKIXPublicKey(pub)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range dialects {
				raw := issue(t, attestationtest.Options{Platform: p, PublicKey: spki})
				opts := testOptions
				opts.RequireRSAPublicKey = true
				doc, err := attestation.Verify(raw, opts)
				if tc.ok && err != nil {
					t.Errorf("%v: %v", p, err)
				}
				if !tc.ok && (!errors.Is(err, attestation.ErrPolicy) || doc != nil) {
					t.Errorf("%v: Verify = %v; want ErrPolicy (crypto/rsa says %v)", p, err, encErr)
				}
			}
		})
	}
}

// An empty user_data, nonce or public_key is an empty, non-nil slice,
// distinct from a null or absent one (nil); a non-nil empty slice in
// VerifyOptions requires the field present and empty.
func TestEmptyFieldsDistinctFromAbsent(t *testing.T) {
	empty := []byte{}
	nitroNull := issue(t, attestationtest.Options{Platform: attestation.Nitro})
	nitroAbsent := issue(t, attestationtest.Options{Platform: attestation.Nitro, Quirks: attestationtest.OmitAbsent})
	nitroEmpty := issue(t, attestationtest.Options{Platform: attestation.Nitro, Nonce: empty, UserData: empty, PublicKey: empty})
	qtEmpty := issue(t, attestationtest.Options{Platform: attestation.QingTian}) // QingTian sends unused fields as h''
	for _, tc := range []struct {
		name  string
		raw   []byte
		empty bool
	}{
		{"nitro null", nitroNull, false},
		{"nitro absent", nitroAbsent, false},
		{"nitro empty", nitroEmpty, true},
		{"qingtian empty", qtEmpty, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := attestation.Verify(tc.raw, testOptions)
			if err != nil {
				t.Fatal(err)
			}
			u, err := attestation.Decode(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			for name, v := range map[string][]byte{
				"Nonce": doc.Nonce, "UserData": doc.UserData, "PublicKey": doc.PublicKey,
				"Decode Nonce": u.Nonce, "Decode UserData": u.UserData, "Decode PublicKey": u.PublicKey,
			} {
				if len(v) != 0 || (v != nil) != tc.empty {
					t.Errorf("%s = %#v; want empty=%v", name, v, tc.empty)
				}
			}
			for name, opts := range map[string]attestation.VerifyOptions{
				"Nonce":    {Nonce: empty},
				"UserData": {UserData: empty},
			} {
				opts.Roots, opts.AtDocumentTime = testRoots, true
				_, err := attestation.Verify(tc.raw, opts)
				if tc.empty && err != nil {
					t.Errorf("require empty %s: %v", name, err)
				}
				if !tc.empty && !errors.Is(err, attestation.ErrPolicy) {
					t.Errorf("require empty %s of a null or absent one: %v; want ErrPolicy", name, err)
				}
			}
			if _, err := attestation.Verify(tc.raw, attestation.VerifyOptions{Roots: testRoots, AtDocumentTime: true, Nonce: []byte{0}}); !errors.Is(err, attestation.ErrPolicy) {
				t.Errorf("require nonce 00: %v; want ErrPolicy", err)
			}
		})
	}
}
