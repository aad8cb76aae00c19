package keyspec

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/x509"
	"slices"
	"testing"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// interleave runs ours and baseline alternately in one b.Loop (switching
// which goes first every iteration), so that load from other processes on
// a shared machine falls on both alike. It reports the median time of each
// and the ratio of the medians (and of the minimums): on a loaded machine a
// preemption adds milliseconds to a few iterations, which would swamp a
// ratio of sums but not of medians. The benchmark's own ns/op is the mean
// of both together.
func interleave(b *testing.B, oursName, baseName string, ours, baseline func()) {
	b.Helper()
	var tOurs, tBase []time.Duration
	for b.Loop() {
		if len(tOurs)%2 == 0 {
			t0 := time.Now()
			ours()
			t1 := time.Now()
			baseline()
			tOurs = append(tOurs, t1.Sub(t0))
			tBase = append(tBase, time.Since(t1))
		} else {
			t0 := time.Now()
			baseline()
			t1 := time.Now()
			ours()
			tBase = append(tBase, t1.Sub(t0))
			tOurs = append(tOurs, time.Since(t1))
		}
	}
	slices.Sort(tOurs)
	slices.Sort(tBase)
	mOurs, mBase := tOurs[len(tOurs)/2], tBase[len(tBase)/2]
	b.ReportMetric(float64(mOurs.Nanoseconds()), oursName+"-median-ns/op")
	b.ReportMetric(float64(mBase.Nanoseconds()), baseName+"-median-ns/op")
	b.ReportMetric(float64(mOurs)/float64(mBase), oursName+"/"+baseName)
	b.ReportMetric(float64(tOurs[0])/float64(tBase[0]), oursName+"/"+baseName+"-min")
}

// BenchmarkECDH compares PrivateKey.ECDH per spec with the bare library
// call underneath on the same, already parsed keys: crypto/ecdh for the
// NIST curves, decred's GenerateSharedSecret for secp256k1, gmsm's ecdh for
// SM2. Goal: ours/baseline <= 1.1.
func BenchmarkECDH(b *testing.B) {
	for _, s := range allSpecs {
		b.Run(s.String(), func(b *testing.B) {
			priv, peer := testKey(b, s, "a"), testKey(b, s, "b").PublicKey()
			sk := priv.secret()
			var bare func() ([]byte, error)
			switch s {
			case P256, P384, P521:
				bare = func() ([]byte, error) { return sk.nist.ECDH(peer.nist) }
			case Secp256k1:
				bare = func() ([]byte, error) { return secp256k1.GenerateSharedSecret(sk.k1, peer.k1), nil }
			case SM2:
				bare = func() ([]byte, error) { return sk.sm2.ECDH(peer.sm2) }
			}
			interleave(b, "ours", "baseline",
				func() {
					if _, err := priv.ECDH(peer); err != nil {
						b.Fatal(err)
					}
				},
				func() {
					if _, err := bare(); err != nil {
						b.Fatal(err)
					}
				})
		})
	}
}

// BenchmarkSM2VsP256 compares ECDH on SM2 with ECDH on P-256, both through
// this package. Goal: sm2/p256 <= 2.
func BenchmarkSM2VsP256(b *testing.B) {
	sm2Priv, sm2Peer := testKey(b, SM2, "a"), testKey(b, SM2, "b").PublicKey()
	p256Priv, p256Peer := testKey(b, P256, "a"), testKey(b, P256, "b").PublicKey()
	interleave(b, "sm2", "p256",
		func() {
			if _, err := sm2Priv.ECDH(sm2Peer); err != nil {
				b.Fatal(err)
			}
		},
		func() {
			if _, err := p256Priv.ECDH(p256Peer); err != nil {
				b.Fatal(err)
			}
		})
}

// BenchmarkDeriveFromSPKI measures what derive-shared-secret does per
// request on the NIST specs, parsing the peer's SubjectPublicKeyInfo and
// computing ECDH, against the standard library doing the same
// (x509.ParsePKIXPublicKey, then crypto/ecdh).
func BenchmarkDeriveFromSPKI(b *testing.B) {
	for _, s := range []Spec{P256, P384, P521} {
		b.Run(s.String(), func(b *testing.B) {
			priv := testKey(b, s, "a")
			der := testKey(b, s, "b").PublicKey().MarshalPKIX()
			sk := priv.secret().nist
			interleave(b, "ours", "stdlib",
				func() {
					peer, err := ParsePublicKey(der)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := priv.ECDH(peer); err != nil {
						b.Fatal(err)
					}
				},
				func() {
					pub, err := x509.ParsePKIXPublicKey(der)
					if err != nil {
						b.Fatal(err)
					}
					var peer *ecdh.PublicKey
					if peer, err = pub.(*ecdsa.PublicKey).ECDH(); err != nil {
						b.Fatal(err)
					}
					if _, err := sk.ECDH(peer); err != nil {
						b.Fatal(err)
					}
				})
		})
	}
}
