package attestation

import (
	"bytes"
	"crypto/x509"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"weak"
)

// The caches' bounds. A verifier that sees a handful of enclaves holds a
// few entries; the bounds are reached only by a fleet. Each entry is
// charged the memory it holds (see the charges below, measured on Go 1.26:
// a parsed P-384 certificate of 600 bytes holds about 3 KiB), and a cache
// evicts when either its entries or its charges would exceed its bound.
// Altogether the caches hold at most 208 MiB, what a fleet of 16,384
// enclaves, each with its current document, needs; each cache holds only
// what verified.
const (
	// maxCachedDocs and maxCachedDocBytes bound the verified documents: a
	// Nitro document (4.5 KiB, 16 PCRs of 48 bytes, an RSA-2048
	// public_key) is charged about 7.5 KiB, its bytes and its parsed
	// fields; one with every field at its largest about 58 KiB. A
	// document does not keep its chain alive (see signedDoc).
	maxCachedDocs     = 16384
	maxCachedDocBytes = 128 << 20

	// maxCachedLeaves and maxCachedLeafBytes bound the verified leaves,
	// each charged about 3.8 KiB (a Nitro leaf is 640 bytes).
	maxCachedLeaves    = 16384
	maxCachedLeafBytes = 64 << 20

	// maxCachedCAs and maxCachedCABytes bound the verified CA chains. Each
	// entry is one CA above a cached parent: AWS issues a CA for every
	// parent instance under a few zonal and regional ones, so a fleet
	// needs about one entry per host. A cached leaf keeps its CAs alive
	// when they are evicted; only a platform can make CAs.
	maxCachedCAs     = 4096
	maxCachedCABytes = 16 << 20
)

// Memory charged to cache entries, a little above what runtime.MemStats
// shows on Go 1.26 (TestCacheCharges holds them to the measurement).
const (
	// entryCharge covers an entry's slot and index in its cache, and the
	// chain or document structs.
	entryCharge = 512
	// pcrCharge covers one PCR's map slot and slice header.
	pcrCharge = 96
)

// certCharge is the memory of a parsed certificate: its DER, which the
// parsed fields point into, and about 2 KiB of parsed fields and key.
func certCharge(c *x509.Certificate) int { return 2048 + 2*len(c.Raw) }

// clockCache is a bounded map from a key (a SHA-256, or a hash that the
// caller checks against the value, see get) to an immutable value, safe for
// concurrent use. It evicts with CLOCK (second chance): a hit
// sets the entry's reference bit under the read lock, and the hand of the
// clock evicts the first entry whose bit is clear, clearing the bits it
// passes. So an entry used again since the hand last passed survives it,
// new entries start with a clear bit (a burst of documents seen once
// evicts unused entries, not those in use), and a hit never takes the
// write lock.
type clockCache[K comparable, V any] struct {
	mu         sync.RWMutex
	maxEntries int
	maxBytes   int
	index      map[K]int // key -> slot
	slots      []clockSlot[K, V]
	free       []int // empty slots
	hand       int
	bytes      int // the charges of the entries

	hits, misses atomic.Uint64 // lookups that found their key, and not
}

type clockSlot[K comparable, V any] struct {
	key        K
	val        *V // nil: the slot is empty
	charge     int
	referenced atomic.Bool
}

func newClockCache[K comparable, V any](maxEntries, maxBytes int) *clockCache[K, V] {
	return &clockCache[K, V]{maxEntries: maxEntries, maxBytes: maxBytes, index: make(map[K]int)}
}

// get returns the value cached under k, or nil. If match is not nil, a
// value for which it is false is not returned (and counts as a miss): the
// check of a key that is not a cryptographic hash.
func (c *clockCache[K, V]) get(k K, match func(*V) bool) *V {
	c.mu.RLock()
	var v *V
	if i, ok := c.index[k]; ok {
		s := &c.slots[i]
		if match == nil || match(s.val) {
			if !s.referenced.Load() {
				s.referenced.Store(true)
			}
			v = s.val
		}
	}
	c.mu.RUnlock()
	if v == nil {
		c.misses.Add(1)
	} else {
		c.hits.Add(1)
	}
	return v
}

// put caches v under k (replacing any value there), charged charge bytes,
// evicting entries until both bounds hold. A value larger than the
// cache's byte bound is not cached.
func (c *clockCache[K, V]) put(k K, v *V, charge int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.index[k]; ok {
		c.remove(i)
	}
	if charge > c.maxBytes || c.maxEntries <= 0 {
		return
	}
	for len(c.index) >= c.maxEntries || c.bytes+charge > c.maxBytes {
		c.evict()
	}
	var i int
	if n := len(c.free); n > 0 {
		i, c.free = c.free[n-1], c.free[:n-1]
	} else {
		i = len(c.slots)
		c.slots = append(c.slots, clockSlot[K, V]{})
	}
	s := &c.slots[i]
	s.key, s.val, s.charge = k, v, charge
	s.referenced.Store(false) // a second chance only once it is used again
	c.index[k] = i
	c.bytes += charge
}

// evict removes one entry. The cache must not be empty.
func (c *clockCache[K, V]) evict() {
	for {
		if c.hand >= len(c.slots) {
			c.hand = 0
		}
		i := c.hand
		c.hand++
		s := &c.slots[i]
		switch {
		case s.val == nil:
		case s.referenced.Load():
			s.referenced.Store(false)
		default:
			c.remove(i)
			return
		}
	}
}

func (c *clockCache[K, V]) remove(i int) {
	s := &c.slots[i]
	delete(c.index, s.key)
	c.bytes -= s.charge
	var zero K
	s.key, s.val, s.charge = zero, nil, 0
	c.free = append(c.free, i)
}

// setLimits changes the bounds, evicting as needed (for tests and
// benchmarks; zero entries caches nothing).
func (c *clockCache[K, V]) setLimits(maxEntries, maxBytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maxEntries, c.maxBytes = maxEntries, maxBytes
	for len(c.index) > 0 && (len(c.index) > maxEntries || c.bytes > maxBytes) {
		c.evict()
	}
}

// len returns the number of entries and their charges.
func (c *clockCache[K, V]) len() (entries, bytes int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.index), c.bytes
}

// reset empties the cache and zeroes its counts (for tests and cold
// benchmarks).
func (c *clockCache[K, V]) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.index)
	c.slots, c.free, c.hand, c.bytes = nil, nil, 0, 0
	c.hits.Store(0)
	c.misses.Store(0)
}

// signedDoc is a document whose signature and chain have been verified,
// and nothing else: validity, MaxAge, the platform and the policy are
// checked on every call. It is never modified, and never handed out:
// Verify returns copies (see document).
type signedDoc struct {
	// raw is a copy of the document's bytes: its cache key is a fast,
	// non-cryptographic hash (docKey), so a hit is a document equal to
	// raw byte for byte.
	raw []byte
	p   *payload // its cert and cabundle dropped: the chain holds them
	// rsaKey is the outcome of the RequireRSAPublicKey check of p's
	// public_key (nil: it passes), which depends on nothing else: worked
	// out once, when the document is cached, and returned on each call
	// that asks for the check.
	rsaKey error
	// chain is the verified chain, held by the leaf cache: the document
	// does not keep it alive, so that the leaf cache's bound is the
	// leaves' memory. Once the chain is collected, the document is
	// verified again in full.
	chain weak.Pointer[chain]
	// signedAs is the platform verifySignature was given (that of the
	// root, or VerifyOptions.Platform for another root), which decides the
	// readings of the signature tried; platform is the one it returned.
	signedAs, platform Platform
}

// docs holds verified documents under docKey of their exact bytes.
var docs = newClockCache[uint64, signedDoc](maxCachedDocs, maxCachedDocBytes)

// docSeed seeds docKey: random per process, so that which documents share
// a key cannot be chosen from outside (which would only cost their
// caching: a hit needs equal bytes).
var docSeed = maphash.MakeSeed()

// docKey is the cache key of a document: a hash that costs a tenth of a
// SHA-256, as a repeated document is hashed on every call. A hit is
// checked byte for byte against the cached copy (signedDoc.raw).
func docKey(doc []byte) uint64 { return maphash.Bytes(docSeed, doc) }

// lookupDoc returns the cached document whose bytes are doc, or nil.
func lookupDoc(doc []byte) *signedDoc {
	return docs.get(docKey(doc), func(d *signedDoc) bool { return bytes.Equal(d.raw, doc) })
}

// charge is the memory the entry holds.
func (d *signedDoc) charge() int {
	p := d.p
	n := entryCharge + len(d.raw) + len(p.moduleID) + len(p.publicKey) + len(p.userData) + len(p.nonce)
	for _, b := range p.pcrs {
		n += pcrCharge + len(b)
	}
	return n
}

// document returns what d attests, with its chain c, as a Document of its
// own: its PCRs and byte fields are copies, in one allocation, so that a
// caller that modifies them changes nothing for other callers. The
// certificates are shared, as the Document says.
func (d *signedDoc) document(c *chain) *Document {
	p := d.p
	n := len(p.publicKey) + len(p.userData) + len(p.nonce)
	for _, b := range p.pcrs {
		n += len(b)
	}
	buf := make([]byte, 0, n)
	clone := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		i := len(buf)
		buf = append(buf, b...)
		return buf[i:len(buf):len(buf)] // full: an append reallocates
	}
	pcrs := make(map[int][]byte, len(p.pcrs))
	for i, b := range p.pcrs {
		pcrs[i] = clone(b)
	}
	return &Document{
		Platform:  d.platform,
		ModuleID:  p.moduleID,
		Timestamp: p.timestamp,
		Digest:    p.digest,
		PCRs:      pcrs,
		PublicKey: clone(p.publicKey),
		UserData:  clone(p.userData),
		Nonce:     clone(p.nonce),
		Chain:     slices.Clone(c.certs),
	}
}
