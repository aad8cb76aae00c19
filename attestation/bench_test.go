package attestation

import (
	"crypto/ecdsa"
	"crypto/sha512"
	"math/big"
	"os"
	"testing"
	"time"
)

// The benchmarks verify a real document and run their baseline, bare P-384
// ecdsa.Verify calls, in the same run, reporting ours/baseline as "x".
//
//	cold:          nothing cached: 4 chain signatures + the document's = 5 checks
//	warm:          the chain is cached: 1 check
//	warm-qingtian: the same for a QingTian document (little-endian r, s)
//	parallel:      warm, on every core
func BenchmarkVerify(b *testing.B) {
	raw := readDoc(b, "nitro/docs/open-contracts_attestation_doc.cbor")
	opts := VerifyOptions{AtDocumentTime: true}
	key, digest, r, s := bareSignature(b, raw)
	verifyN := func(n int) {
		for range n {
			if !ecdsa.Verify(key, digest, r, s) {
				b.Fatal("baseline signature does not verify")
			}
		}
	}
	verify := func() {
		if _, err := Verify(raw, opts); err != nil {
			b.Fatal(err)
		}
	}

	var base5, base1, baseParallel time.Duration
	b.Run("baseline-5xP384", func(b *testing.B) {
		for b.Loop() {
			verifyN(5)
		}
		base5 = b.Elapsed() / time.Duration(b.N)
	})
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			chains.reset()
			verify()
		}
		reportRatio(b, base5)
	})
	b.Run("baseline-1xP384", func(b *testing.B) {
		for b.Loop() {
			verifyN(1)
		}
		base1 = b.Elapsed() / time.Duration(b.N)
	})
	b.Run("warm", func(b *testing.B) {
		verify()
		for b.Loop() {
			verify()
		}
		reportRatio(b, base1)
	})
	b.Run("warm-qingtian", func(b *testing.B) {
		qt, err := os.ReadFile("testdata/qingtian_test_authority.cbor")
		if err != nil {
			b.Fatal(err)
		}
		u, err := Decode(qt)
		if err != nil {
			b.Fatal(err)
		}
		qtOpts := VerifyOptions{Roots: u.Chain[len(u.Chain)-1:], AtDocumentTime: true, Platform: QingTian}
		for b.Loop() {
			if doc, err := Verify(qt, qtOpts); err != nil || doc.Platform != QingTian {
				b.Fatal(err)
			}
		}
		reportRatio(b, base1)
	})
	b.Run("baseline-parallel-1xP384", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				verifyN(1)
			}
		})
		baseParallel = b.Elapsed() / time.Duration(b.N)
	})
	b.Run("parallel-warm", func(b *testing.B) {
		verify()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				verify()
			}
		})
		reportRatio(b, baseParallel)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	})
}

// reportRatio reports ns/op over the baseline's, if the baseline ran.
func reportRatio(b *testing.B, base time.Duration) {
	if base > 0 {
		b.ReportMetric(float64(b.Elapsed()/time.Duration(b.N))/float64(base), "x")
	}
}

// bareSignature returns the document's own leaf key, Sig_structure digest
// and (r, s): what one bare ecdsa.Verify checks.
func bareSignature(b *testing.B, raw []byte) (*ecdsa.PublicKey, []byte, *big.Int, *big.Int) {
	m, err := parseSign1(raw)
	if err != nil {
		b.Fatal(err)
	}
	u, err := Decode(raw)
	if err != nil {
		b.Fatal(err)
	}
	h := sha512.New384()
	h.Write([]byte{0x84, 0x6a})
	h.Write([]byte("Signature1"))
	h.Write(bstrHead(len(m.protected)))
	h.Write(m.protected)
	h.Write([]byte{0x40})
	h.Write(bstrHead(len(m.payload)))
	h.Write(m.payload)
	return u.Chain[0].PublicKey.(*ecdsa.PublicKey), h.Sum(nil), new(big.Int).SetBytes(m.signature[:48]), new(big.Int).SetBytes(m.signature[48:])
}
