package attestation

// Internals for the external tests.

// MaxClockSkew is maxClockSkew.
const MaxClockSkew = maxClockSkew

// ResetChainCache empties the verified-document and chain caches and
// zeroes their counts, so that a test can compare a cold verification with
// a warm one.
func ResetChainCache() { resetCaches() }

func resetCaches() {
	docs.reset()
	cas.reset()
	leaves.reset()
}

// CacheCounts are the caches' hit and miss counts since the last reset.
// A lookup is a hit if it finds its key. Each verification that misses the
// document cache looks its leaf up once, and the CA cache from the whole
// cabundle down to the longest cached prefix: so CAMisses counts the CA
// certificates verified.
type CacheCounts struct {
	DocHits, DocMisses   uint64
	LeafHits, LeafMisses uint64
	CAHits, CAMisses     uint64
}

// ReadCacheCounts returns the caches' counts.
func ReadCacheCounts() CacheCounts {
	return CacheCounts{
		docs.hits.Load(), docs.misses.Load(),
		leaves.hits.Load(), leaves.misses.Load(),
		cas.hits.Load(), cas.misses.Load(),
	}
}

// Sub returns the counts from since to c.
func (c CacheCounts) Sub(since CacheCounts) CacheCounts {
	return CacheCounts{
		c.DocHits - since.DocHits, c.DocMisses - since.DocMisses,
		c.LeafHits - since.LeafHits, c.LeafMisses - since.LeafMisses,
		c.CAHits - since.CAHits, c.CAMisses - since.CAMisses,
	}
}

// CachedDocs returns the number of cached documents.
func CachedDocs() int {
	n, _ := docs.len()
	return n
}

// LimitCaches bounds each cache to n entries (0 caches nothing) and
// returns a function that restores the bounds.
func LimitCaches(n int) (restore func()) {
	docs.setLimits(n, maxCachedDocBytes)
	leaves.setLimits(n, maxCachedLeafBytes)
	cas.setLimits(n, maxCachedCABytes)
	return func() {
		docs.setLimits(maxCachedDocs, maxCachedDocBytes)
		leaves.setLimits(maxCachedLeaves, maxCachedLeafBytes)
		cas.setLimits(maxCachedCAs, maxCachedCABytes)
	}
}
