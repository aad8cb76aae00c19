package attestation

import (
	"crypto/ecdsa"
	"crypto/sha512"
	"math/big"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// The benchmarks verify a real document and run their baseline, bare P-384
// ecdsa.Verify calls, interleaved in the same loop so that both see the
// same machine load. Each reports ours and the baseline in ns per
// document, and their ratio as "x".
//
//	cold:          nothing cached: 4 chain signatures + the document's, against 5 bare checks
//	warm:          the chain is cached, against 1 bare check
//	warm-qingtian: the same for a QingTian document (little-endian r, s)
//	parallel-warm: warm, on every core, against 1 bare check on every core
//
// The document cache is off in all four (each verifies the same bytes
// over and over): BenchmarkVerifyCached measures it.
func BenchmarkVerify(b *testing.B) {
	defer docs.setLimits(maxCachedDocs, maxCachedDocBytes)
	docs.setLimits(0, 0)
	raw := readDoc(b, "nitro/docs/open-contracts_attestation_doc.cbor")
	key, digest, r, s := bareSignature(b, raw)
	baseline := func(n int) {
		for range n {
			if !ecdsa.Verify(key, digest, r, s) {
				panic("baseline signature does not verify")
			}
		}
	}
	qt, err := os.ReadFile("testdata/qingtian_test_authority.cbor")
	if err != nil {
		b.Fatal(err)
	}
	u, err := Decode(qt)
	if err != nil {
		b.Fatal(err)
	}
	nitroOpts := VerifyOptions{AtDocumentTime: true}
	qtOpts := VerifyOptions{Roots: u.Chain[len(u.Chain)-1:], AtDocumentTime: true, Platform: QingTian}
	verify := func(doc []byte, opts VerifyOptions) {
		if _, err := Verify(doc, opts); err != nil {
			panic(err)
		}
	}

	for _, bc := range []struct {
		name   string
		doc    []byte
		opts   VerifyOptions
		cold   bool
		checks int
	}{
		{"cold", raw, nitroOpts, true, 5},
		{"warm", raw, nitroOpts, false, 1},
		{"warm-qingtian", qt, qtOpts, false, 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			runtime.LockOSThread() // for cpuClock
			defer runtime.UnlockOSThread()
			verify(bc.doc, bc.opts)
			var ours, base time.Duration
			for b.Loop() {
				if bc.cold {
					cas.reset()
					leaves.reset()
				}
				t0 := cpuClock()
				verify(bc.doc, bc.opts)
				t1 := cpuClock()
				baseline(bc.checks)
				ours, base = ours+t1-t0, base+cpuClock()-t1
			}
			report(b, ours, base, b.N)
		})
	}
	b.Run("parallel-warm", func(b *testing.B) {
		runtime.LockOSThread() // for cpuClock
		defer runtime.UnlockOSThread()
		verify(raw, nitroOpts)
		var mu sync.Mutex
		var ours, base time.Duration
		b.RunParallel(func(pb *testing.PB) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var o, ba time.Duration
			for pb.Next() {
				t0 := cpuClock()
				verify(raw, nitroOpts)
				t1 := cpuClock()
				baseline(1)
				o, ba = o+t1-t0, ba+cpuClock()-t1
			}
			mu.Lock()
			ours, base = ours+o, base+ba
			mu.Unlock()
		})
		report(b, ours, base, b.N)
		b.ReportMetric(float64(b.N)/(b.Elapsed().Seconds()*float64(ours)/float64(ours+base)), "docs/s")
	})
}

// report reports ours and the baseline per document, and their ratio.
func report(b *testing.B, ours, base time.Duration, n int) {
	b.ReportMetric(float64(ours.Nanoseconds())/float64(n), "ours-ns/doc")
	b.ReportMetric(float64(base.Nanoseconds())/float64(n), "baseline-ns/doc")
	b.ReportMetric(float64(ours)/float64(base), "x")
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
