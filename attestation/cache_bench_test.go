package attestation

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// BenchmarkVerifyCached measures the caches in the style of
// BenchmarkVerify: bare P-384 ecdsa.Verify calls, the baseline, run
// interleaved with Verify in the same loop, ratio reported as "x". The
// options are a KMS's: the embedded roots and the fleet's, MaxAge, PCR0
// and an RSA recipient key.
//
//	identical:          the same document again (a KMS sees an enclave's
//	                    document on each of its calls), against 1 bare check
//	identical-parallel: the same, on every core
//	copy:               only the copy of the Document each call returns,
//	                    against 1 bare check
//	fleet-10000:        a fresh document from each of 10,000 enclave leaves
//	                    under 4 instance CAs, every leaf cached: the
//	                    document's own signature, against 1 bare check
//	new-leaf:           a fresh document from a new leaf under cached CAs:
//	                    the leaf's and the document's signatures, against 2
//
// The fleet (a root, a region, 2 zones, 4 instance CAs, 10,000 leaves with
// their own keys) is generated once per process; verifying its leaves into
// the cache takes a few seconds more. Each fresh document is signed in the
// loop, outside the timed parts.
func BenchmarkVerifyCached(b *testing.B) {
	f := benchFleet(b)
	spki := benchRSAKey(b)
	opts := VerifyOptions{
		Roots:               append(EmbeddedRoots(), f.root),
		MaxAge:              5 * time.Minute,
		PCRs:                map[int][]byte{0: fleetPCRs[0]},
		RequireRSAPublicKey: true,
	}
	verify := func(doc []byte) {
		if _, err := Verify(doc, opts); err != nil {
			panic(err)
		}
	}
	raw := f.issue(b, 0, time.Now(), spki, []byte("nonce 0"))
	key, digest, r, s := bareSignature(b, raw)
	baseline := func(n int) {
		for range n {
			if !ecdsa.Verify(key, digest, r, s) {
				panic("baseline signature does not verify")
			}
		}
	}

	b.Run("identical", func(b *testing.B) {
		runtime.LockOSThread() // for cpuClock
		defer runtime.UnlockOSThread()
		verify(raw)
		var ours, base time.Duration
		before := counts()
		for b.Loop() {
			t0 := cpuClock()
			verify(raw)
			t1 := cpuClock()
			baseline(1)
			ours, base = ours+t1-t0, base+cpuClock()-t1
		}
		report(b, ours, base, b.N)
		reportCounts(b, before)
	})
	b.Run("identical-parallel", func(b *testing.B) {
		runtime.LockOSThread() // for cpuClock
		defer runtime.UnlockOSThread()
		verify(raw)
		var mu sync.Mutex
		var ours, base time.Duration
		b.RunParallel(func(pb *testing.PB) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var o, ba time.Duration
			for pb.Next() {
				t0 := cpuClock()
				verify(raw)
				t1 := cpuClock()
				baseline(1)
				o, ba = o+t1-t0, ba+cpuClock()-t1
			}
			mu.Lock()
			ours, base = ours+o, base+ba
			mu.Unlock()
		})
		report(b, ours, base, b.N)
	})
	b.Run("copy", func(b *testing.B) {
		runtime.LockOSThread() // for cpuClock
		defer runtime.UnlockOSThread()
		verify(raw)
		d := lookupDoc(raw)
		if d == nil || d.chain.Value() == nil {
			b.Fatal("the document is not cached")
		}
		c := d.chain.Value()
		var ours, base time.Duration
		for b.Loop() {
			t0 := cpuClock()
			_ = d.document(c)
			t1 := cpuClock()
			baseline(1)
			ours, base = ours+t1-t0, base+cpuClock()-t1
		}
		report(b, ours, base, b.N)
	})
	b.Run("fleet-10000", func(b *testing.B) {
		runtime.LockOSThread() // for cpuClock
		defer runtime.UnlockOSThread()
		var ours, base time.Duration
		before := counts()
		k := 0
		for b.Loop() {
			// 7919 is prime: the leaves come in an order that visits all
			// 10,000 and every instance CA in turn.
			k++
			doc := f.issue(b, k*7919%len(f.leaves), time.Now(), spki, binary.BigEndian.AppendUint64(nil, uint64(k)))
			t0 := cpuClock()
			verify(doc)
			t1 := cpuClock()
			baseline(1)
			ours, base = ours+t1-t0, base+cpuClock()-t1
		}
		report(b, ours, base, b.N)
		reportCounts(b, before)
	})
	b.Run("new-leaf", func(b *testing.B) {
		runtime.LockOSThread() // for cpuClock
		defer runtime.UnlockOSThread()
		var ours, base time.Duration
		before := counts()
		k := 0
		for b.Loop() {
			k++
			doc := f.issueBy(b, f.newLeaf(b, len(f.leaves)+k), "i-new", time.Now(), spki, nil)
			t0 := cpuClock()
			verify(doc)
			t1 := cpuClock()
			baseline(2)
			ours, base = ours+t1-t0, base+cpuClock()-t1
		}
		report(b, ours, base, b.N)
		reportCounts(b, before)
	})
}

var (
	benchFleetOnce sync.Once
	benchFleetVal  *fleet
)

// benchFleet returns the fleet of 10,000 leaves, every one in the chain
// cache (again if a cold benchmark emptied it). The first 100 are verified
// by verifyChain; the rest, which the fleet made, are put in the cache as
// verifyChain puts them, without their 9,900 signature checks (a minute on
// a loaded machine). The benchmarks report leaf hits and misses, and
// TestFleet verifies a fleet's leaves.
func benchFleet(b *testing.B) *fleet {
	benchFleetOnce.Do(func() {
		t0 := time.Now()
		benchFleetVal = newFleet(b, 2, 2, 10000)
		b.Logf("fleet of %d leaves generated in %v", len(benchFleetVal.leaves), time.Since(t0).Round(time.Millisecond))
	})
	f := benchFleetVal
	for i, l := range f.leaves {
		if i < 100 {
			if _, err := verifyChain(l.der, l.bundle); err != nil {
				b.Fatal(err)
			}
			continue
		}
		leafKey := sha256.Sum256(l.der)
		if leaves.get(leafKey, nil) != nil {
			continue
		}
		keys := caKeys(l.bundle)
		cas, err := verifyCAs(l.bundle, keys[:len(l.bundle)])
		if err != nil {
			b.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(l.der)
		if err != nil {
			b.Fatal(err)
		}
		leaves.put(leafKey, cas.extend(leaf), entryCharge+certCharge(leaf))
	}
	if n, _ := leaves.len(); n < len(f.leaves) {
		b.Fatalf("%d leaves cached, fewer than the fleet's %d", n, len(f.leaves))
	}
	return f
}

// benchRSAKey returns the DER SubjectPublicKeyInfo of the TEST ONLY key in
// testdata/rsa2048.key.
func benchRSAKey(b testing.TB) []byte {
	pemBytes, err := os.ReadFile("testdata/rsa2048.key")
	if err != nil {
		b.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		b.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(k.(crypto.Signer).Public())
	if err != nil {
		b.Fatal(err)
	}
	return spki
}

type cacheCounts struct{ docHits, docMisses, leafHits, leafMisses, caHits, caMisses uint64 }

func counts() cacheCounts {
	return cacheCounts{docs.hits.Load(), docs.misses.Load(), leaves.hits.Load(), leaves.misses.Load(), cas.hits.Load(), cas.misses.Load()}
}

// reportCounts reports the caches' lookups per document since before.
func reportCounts(b *testing.B, before cacheCounts) {
	c := counts()
	n := float64(b.N)
	b.ReportMetric(float64(c.docHits-before.docHits)/n, "doc-hits/op")
	b.ReportMetric(float64(c.leafHits-before.leafHits)/n, "leaf-hits/op")
	b.ReportMetric(float64(c.leafMisses-before.leafMisses)/n, "leaf-misses/op")
	b.ReportMetric(float64(c.caMisses-before.caMisses)/n, "CA-misses/op")
}
