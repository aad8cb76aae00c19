package attestation

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"
)

// The cache never changes a result: a warm Verify returns what a cold one
// does, and rejects what a cold one rejects.
func TestChainCacheInvisible(t *testing.T) {
	raw := readDoc(t, "nitro/docs/marlin-nitroprover_sample_attestation.cbor")
	at := VerifyOptions{AtDocumentTime: true}
	resetCaches()
	cold, err := Verify(raw, at)
	if err != nil {
		t.Fatal(err)
	}
	entries := func() [3]int {
		d, _ := docs.len()
		l, _ := leaves.len()
		c, _ := cas.len()
		return [3]int{d, l, c}
	}
	if n := entries(); n != [3]int{1, 1, 4} {
		t.Fatalf("cache entries (documents, leaves, CAs) = %v after one document, want [1 1 4]", n)
	}
	warm, err := Verify(raw, at)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cold, warm) {
		t.Errorf("warm result differs from cold")
	}
	if &cold.Chain[0] == &warm.Chain[0] || &cold.PCRs[0][0] == &warm.PCRs[0][0] || &cold.UserData[0] == &warm.UserData[0] {
		t.Errorf("results share their slices")
	}
	// Warm, and still: expired outside the validity, untrusted without
	// the root, and a policy is still applied.
	for _, tc := range []struct {
		opts VerifyOptions
		want error
	}{
		{VerifyOptions{}, ErrExpired},
		{VerifyOptions{Time: cold.Chain[0].NotAfter.Add(time.Second)}, ErrExpired},
		{VerifyOptions{Time: cold.Chain[0].NotBefore.Add(-time.Second)}, ErrExpired},
		{VerifyOptions{AtDocumentTime: true, Roots: EmbeddedRoots()[1:]}, ErrUntrusted},
		{VerifyOptions{AtDocumentTime: true, Nonce: []byte{1}}, ErrPolicy},
		{VerifyOptions{AtDocumentTime: true, Platform: QingTian}, ErrPolicy},
	} {
		if doc, err := Verify(raw, tc.opts); !errors.Is(err, tc.want) || doc != nil {
			t.Errorf("warm Verify(%+v) = %v, %v; want %v", tc.opts, doc, err, tc.want)
		}
	}
	if n := entries(); n != [3]int{1, 1, 4} {
		t.Errorf("cache entries = %v, want [1 1 4]", n)
	}
	if h, m := docs.hits.Load(), docs.misses.Load(); h != 7 || m != 1 {
		t.Errorf("document cache: %d hits, %d misses; want 7, 1", h, m)
	}
}

// A document is found in the cache only by its exact bytes: another
// document under the same key (docKey is not collision resistant) is a
// miss, verified in full, with the result a cold Verify gives; and a
// document that verified is cached with its own copy of the bytes.
func TestDocumentCacheExactBytes(t *testing.T) {
	raw := readDoc(t, "nitro/docs/marlin-nitroprover_sample_attestation.cbor")
	at := VerifyOptions{AtDocumentTime: true}
	resetCaches()
	defer resetCaches()
	if _, err := Verify(raw, at); err != nil {
		t.Fatal(err)
	}
	d := lookupDoc(raw)
	if d == nil {
		t.Fatal("the document is not cached")
	}
	if &d.raw[0] == &raw[0] {
		t.Error("the cache keeps the caller's bytes")
	}
	// Forge a collision: the entry of raw under the key of a document
	// that differs in its last byte (the signature's).
	other := bytes.Clone(raw)
	other[len(other)-1] ^= 1
	docs.put(docKey(other), d, d.charge())
	before := docs.misses.Load()
	if lookupDoc(other) != nil {
		t.Fatal("another document's entry was found under a shared key")
	}
	if docs.misses.Load() != before+1 {
		t.Error("a key whose bytes differ did not count as a miss")
	}
	doc, err := Verify(other, at)
	if !errors.Is(err, ErrSignature) || doc != nil {
		t.Errorf("Verify of a document under another's key = %v, %v; want %v", doc, err, ErrSignature)
	}
	// The caller changing its bytes after Verify changes nothing cached.
	mine := bytes.Clone(raw)
	resetCaches()
	if _, err := Verify(mine, at); err != nil {
		t.Fatal(err)
	}
	mine[len(mine)-1] ^= 1
	if _, err := Verify(raw, at); err != nil {
		t.Errorf("after the caller changed its copy: %v", err)
	}
	if lookupDoc(mine) != nil {
		t.Error("changed bytes found the cached document")
	}
}

// The clock cache holds its bounds in entries and bytes, and evicts what
// is not used before what is.
func TestClockCache(t *testing.T) {
	c := newClockCache[[32]byte, int](8, 1000)
	key := func(i int) [32]byte { return sha256.Sum256([]byte{byte(i), byte(i >> 8)}) }
	for i := range 8 {
		c.put(key(i), &i, 100)
	}
	// 0..3 are used: the next four entries evict 4..7.
	for i := range 4 {
		if v := c.get(key(i), nil); v == nil || *v != i {
			t.Fatalf("get(%d) = %v", i, v)
		}
	}
	for i := 8; i < 12; i++ {
		c.put(key(i), &i, 100)
		if n, b := c.len(); n > 8 || b > 1000 {
			t.Fatalf("%d entries, %d bytes: over the bounds", n, b)
		}
	}
	for i := range 12 {
		if got := c.get(key(i), nil) != nil; got != (i < 4 || i >= 8) {
			t.Errorf("entry %d cached: %v", i, got)
		}
	}
	// The byte bound: one entry of 650 evicts until it fits; one over the
	// bound is not cached.
	big := 650
	c.put(key(100), &big, 650)
	if n, b := c.len(); b > 1000 || c.get(key(100), nil) == nil {
		t.Errorf("%d entries, %d bytes after a large entry", n, b)
	}
	c.put(key(101), &big, 1001)
	if c.get(key(101), nil) != nil {
		t.Errorf("an entry over the byte bound was cached")
	}
	// Replacing an entry charges it once.
	c.reset()
	c.put(key(1), &big, 300)
	c.put(key(1), &big, 400)
	if n, b := c.len(); n != 1 || b != 400 {
		t.Errorf("after a replacement: %d entries, %d bytes; want 1, 400", n, b)
	}
	c.setLimits(0, 1000)
	if n, _ := c.len(); n != 0 {
		t.Errorf("%d entries in a cache of 0", n)
	}
	c.put(key(2), &big, 1)
	if n, _ := c.len(); n != 0 {
		t.Errorf("a cache of 0 cached an entry")
	}
}

// A cabundle's prefixes have the keys they have in any cabundle, and
// different splits of the same bytes have different keys.
func TestCAKeys(t *testing.T) {
	ab, c := []byte("ab"), []byte("c")
	k := caKeys([][]byte{ab, c})
	if k1 := caKeys([][]byte{ab}); k1[0] != k[0] {
		t.Errorf("the key of [ab] differs in [ab c]")
	}
	keys := map[[32]byte]string{}
	for name, k := range map[string][32]byte{
		"ab":     k[0],
		"ab|c":   k[1],
		"a":      caKeys([][]byte{[]byte("a")})[0],
		"a|bc":   caKeys([][]byte{[]byte("a"), []byte("bc")})[1],
		"abc":    caKeys([][]byte{[]byte("abc")})[0],
		"ab|c|":  caKeys([][]byte{ab, c, nil})[2],
		"|ab|c":  caKeys([][]byte{nil, ab, c})[2],
		"c":      caKeys([][]byte{c})[0],
		"c|ab":   caKeys([][]byte{c, ab})[1],
		"(none)": {},
	} {
		if other, ok := keys[k]; ok {
			t.Errorf("%s and %s share a key", name, other)
		}
		keys[k] = name
	}
}

func TestVerifyConcurrent(t *testing.T) {
	resetCaches()
	var docs [][]byte
	for _, f := range []string{"marlin-nitroprover_sample_attestation2.cbor", "marlin-nitroprover_script_attestation.cbor", "open-contracts_attestation_doc.cbor"} {
		docs = append(docs, readDoc(t, "nitro/docs/"+f))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 6 {
				if _, err := Verify(docs[(g+i)%len(docs)], VerifyOptions{AtDocumentTime: true}); err != nil {
					t.Error(err)
				}
				if _, err := Verify(docs[(g+i)%len(docs)], VerifyOptions{}); !errors.Is(err, ErrExpired) {
					t.Errorf("now: %v", err)
				}
			}
		})
	}
	wg.Wait()
}
