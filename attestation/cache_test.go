package attestation

import (
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
	chains.reset()
	cold, err := Verify(raw, at)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(chains.m); n != 2 {
		t.Fatalf("%d cache entries after one document, want 2 (cabundle, leaf)", n)
	}
	warm, err := Verify(raw, at)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cold, warm) {
		t.Errorf("warm result differs from cold")
	}
	if &cold.Chain[0] == &warm.Chain[0] {
		t.Errorf("the chain slice is shared between results")
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
	if n := len(chains.m); n != 2 {
		t.Errorf("%d cache entries, want 2", n)
	}
}

// A known cabundle with a new leaf costs one certificate check; a new
// cabundle a full one. Both land in the cache, which stays bounded.
func TestChainCacheBounded(t *testing.T) {
	chains.reset()
	bundle := [][]byte{nitroRoot.Raw}
	for i := range maxCachedChains + 10 {
		chains.put(cacheKey('B', []byte{byte(i), byte(i >> 8)}, bundle), &chain{})
		if len(chains.m) > maxCachedChains {
			t.Fatalf("%d entries, more than %d", len(chains.m), maxCachedChains)
		}
	}
	chains.reset()
}

func TestCacheKeyDistinguishesSplits(t *testing.T) {
	a, b := []byte("ab"), []byte("c")
	keys := map[[32]byte]string{}
	for name, k := range map[string][32]byte{
		"L ab|c":  cacheKey('L', a, [][]byte{b}),
		"B ab|c":  cacheKey('B', a, [][]byte{b}),
		"L a|bc":  cacheKey('L', []byte("a"), [][]byte{[]byte("bc")}),
		"L abc|":  cacheKey('L', []byte("abc"), nil),
		"L ab|c|": cacheKey('L', a, [][]byte{b, nil}),
	} {
		if other, ok := keys[k]; ok {
			t.Errorf("%s and %s share a key", name, other)
		}
		keys[k] = name
	}
}

func TestVerifyConcurrent(t *testing.T) {
	chains.reset()
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
