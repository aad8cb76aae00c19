package store

import "sync"

// Parsed key material, cached beside the sealed records.
//
// Every use of a key used to unseal its material (AES-GCM under the master
// key) and parse it (an AES key schedule, a PKCS#8 key and its public key).
// OpenKey does that once per version of a record and keeps the result for
// the next uses, in memory only: records on disk stay sealed. A version is
// the *Record itself (records are replaced, never modified), so an update
// can never be served the key of the version before; the commit that
// replaces or removes a record also drops its entry at once.
//
// A dropped entry (the record changed, or the cache evicted it) is
// destroyed, Parsed.Destroy clearing what it can, once the last Lease on it
// is released; until then its users keep a consistent key. The cache holds
// at most maxCachedKeys entries and evicts with CLOCK (a key used since the
// hand last passed stays).
//
// The parsed keys are kept behind a function value: fmt prints a function
// as its address, with every verb and at every depth, so no printing of the
// store, the cache or a Lease shows key material.

// maxCachedKeys bounds the cache: an RSA-4096 key is about 5 KiB parsed, so
// the cache holds at most a few MiB; a development KMS rarely has this many
// keys in use.
const maxCachedKeys = 1024

// Parsed is key material that OpenKey's caller parsed from a record.
type Parsed interface {
	// Destroy clears what the parsed key owns, as far as its types let
	// it (Go's crypto packages keep key schedules and scalars out of
	// reach). It is called once, after the entry is dropped and no Lease
	// holds it.
	Destroy()
}

// Lease is a use of a parsed key. Release it when done; the zero Lease
// holds nothing.
type Lease struct {
	e *cachedKey
}

// Key returns the parsed key.
func (l Lease) Key() Parsed {
	if l.e == nil {
		return nil
	}
	return l.e.key()
}

// Release ends the use. A forgotten Release leaves a dropped key to the
// garbage collector, undestroyed.
func (l Lease) Release() {
	if l.e != nil {
		l.e.cache.release(l.e)
	}
}

type cachedKey struct {
	cache *keyCache
	rec   *Record       // the version it was parsed from
	key   func() Parsed // see above: never a field that fmt would follow
	refs  int
	used  bool // CLOCK's reference bit
	slot  int  // index in ring; -1 once dropped
}

type keyCache struct {
	mu   sync.Mutex
	m    map[string]*cachedKey
	ring []*cachedKey // nil slots are free
	hand int
	// misses counts parses, for tests.
	misses int
}

// OpenKey returns a lease on the parsed key material of rec: cached, or
// unsealed and given to parse, whose result is cached if rec is still the
// record's current version. parse must not keep material, which is cleared
// after it returns.
func (s *Store) OpenKey(rec *Record, parse func(material []byte) (Parsed, error)) (Lease, error) {
	c := &s.keys
	c.mu.Lock()
	if e := c.m[rec.ID]; e != nil && e.rec == rec {
		e.refs++
		e.used = true
		c.mu.Unlock()
		return Lease{e}, nil
	}
	c.misses++
	c.mu.Unlock()

	material, err := s.Unseal(rec.ID, rec.Sealed)
	if err != nil {
		return Lease{}, err
	}
	p, err := parse(material)
	clear(material)
	if err != nil {
		return Lease{}, err
	}
	e := &cachedKey{cache: c, rec: rec, key: func() Parsed { return p }, refs: 1, slot: -1}

	s.mu.RLock() // the commit drops entries under s.mu: a current rec stays current until RUnlock
	defer s.mu.RUnlock()
	if s.recs[rec.ID] != rec {
		return Lease{e}, nil // an old version (or another store's): used once, then destroyed
	}
	c.mu.Lock()
	if old := c.m[rec.ID]; old != nil && old.rec == rec {
		// Parsed meanwhile by another user: take that one.
		old.refs++
		old.used = true
		c.mu.Unlock()
		p.Destroy()
		return Lease{old}, nil
	}
	var dead []*cachedKey
	if old := c.m[rec.ID]; old != nil {
		dead = append(dead, c.drop(old))
	}
	dead = append(dead, c.insert(e))
	c.mu.Unlock()
	destroy(dead)
	return Lease{e}, nil
}

// insert adds e, evicting an entry if the cache is full; it returns the
// evicted entry if it is now to be destroyed.
func (c *keyCache) insert(e *cachedKey) *cachedKey {
	if c.m == nil {
		c.m = make(map[string]*cachedKey)
		c.ring = make([]*cachedKey, maxCachedKeys)
	}
	var dead *cachedKey
	for {
		slot := c.ring[c.hand]
		if slot == nil {
			break
		}
		if !slot.used {
			dead = c.drop(slot)
			break
		}
		slot.used = false
		c.hand = (c.hand + 1) % len(c.ring)
	}
	c.ring[c.hand], e.slot = e, c.hand
	c.hand = (c.hand + 1) % len(c.ring)
	c.m[e.rec.ID] = e
	return dead
}

// drop removes e from the cache; it returns e if no lease holds it, for the
// caller to destroy outside the lock.
func (c *keyCache) drop(e *cachedKey) *cachedKey {
	delete(c.m, e.rec.ID)
	c.ring[e.slot], e.slot = nil, -1
	if e.refs == 0 {
		return e
	}
	return nil
}

// invalidate drops the entry of a record that changed. The caller holds
// s.mu.
func (c *keyCache) invalidate(id string) {
	c.mu.Lock()
	var dead *cachedKey
	if e := c.m[id]; e != nil {
		dead = c.drop(e)
	}
	c.mu.Unlock()
	destroy([]*cachedKey{dead})
}

// dropAll drops every entry.
func (c *keyCache) dropAll() {
	c.mu.Lock()
	var dead []*cachedKey
	for _, e := range c.m {
		dead = append(dead, c.drop(e))
	}
	c.mu.Unlock()
	destroy(dead)
}

func (c *keyCache) release(e *cachedKey) {
	c.mu.Lock()
	e.refs--
	last := e.refs == 0 && e.slot < 0
	c.mu.Unlock()
	if last {
		destroy([]*cachedKey{e})
	}
}

func destroy(entries []*cachedKey) {
	for _, e := range entries {
		if e != nil {
			e.key().Destroy()
			e.key = func() Parsed { return nil }
		}
	}
}
