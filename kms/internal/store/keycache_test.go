package store

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/internal/printtest"
)

// fakeKey is a parsed key that counts its uses and destruction: Destroy
// fails the test if a lease still uses it.
type fakeKey struct {
	t         *testing.T
	secret    []byte
	inUse     atomic.Int32
	destroyed atomic.Int32
}

func (k *fakeKey) Destroy() {
	if k.inUse.Load() != 0 {
		k.t.Error("destroyed while in use")
	}
	if k.destroyed.Add(1) != 1 {
		k.t.Error("destroyed twice")
	}
	clear(k.secret)
}

// parser parses material into fakeKeys, counting the parses.
type parser struct {
	t      *testing.T
	parses atomic.Int32
	mu     sync.Mutex
	keys   []*fakeKey
}

func (p *parser) parse(material []byte) (Parsed, error) {
	p.parses.Add(1)
	k := &fakeKey{t: p.t, secret: append([]byte(nil), material...)}
	p.mu.Lock()
	p.keys = append(p.keys, k)
	p.mu.Unlock()
	return k, nil
}

func (p *parser) destroyed() (n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range p.keys {
		n += int(k.destroyed.Load())
	}
	return n
}

func newKeyRecord(s *Store, id string) *Record {
	return &Record{ID: id, Spec: "AES_256", State: 2, Sealed: s.Seal(id, []byte("material of "+id))}
}

// TestKeyCache: a version of a record is parsed once; an update drops its
// entry, which is destroyed once its last lease is released; an old version
// is parsed for one use.
func TestKeyCache(t *testing.T) {
	s, err := Open("")
	require.NoError(t, err)
	p := &parser{t: t}
	require.NoError(t, s.Create(newKeyRecord(s, "k")))
	rec, err := s.Get("k")
	require.NoError(t, err)

	l1, err := s.OpenKey(rec, p.parse)
	require.NoError(t, err)
	l2, err := s.OpenKey(rec, p.parse)
	require.NoError(t, err)
	require.EqualValues(t, 1, p.parses.Load())
	require.Same(t, l1.Key(), l2.Key())
	k1 := l1.Key().(*fakeKey)
	require.Equal(t, "material of k", string(k1.secret))
	l2.Release()

	require.NoError(t, s.Update("k", func(r *Record) error { r.State = 3; return nil }))
	require.Zero(t, p.destroyed(), "dropped, but still leased")
	l1.Release()
	require.Equal(t, 1, p.destroyed(), "destroyed at its last release")
	require.Empty(t, k1.secret[0], "cleared")

	l3, err := s.OpenKey(rec, p.parse)
	require.NoError(t, err)
	require.EqualValues(t, 2, p.parses.Load(), "the old version is parsed again")
	l3.Release()
	require.Equal(t, 2, p.destroyed(), "and not kept")

	cur, err := s.Get("k")
	require.NoError(t, err)
	for range 2 {
		l, err := s.OpenKey(cur, p.parse)
		require.NoError(t, err)
		l.Release()
	}
	require.EqualValues(t, 3, p.parses.Load(), "the new version is cached")
	require.NoError(t, s.Close())
	require.Equal(t, 3, p.destroyed(), "Close drops every key")

	// Failures cache nothing.
	s, err = Open("")
	require.NoError(t, err)
	defer s.Close()
	bad := errors.New("bad")
	_, err = s.OpenKey(newKeyRecord(s, "x"), func([]byte) (Parsed, error) { return nil, bad })
	require.Equal(t, bad, err)
	_, err = s.OpenKey(&Record{ID: "y", Sealed: []byte("not sealed")}, p.parse)
	require.Error(t, err)
	require.Zero(t, Lease{}.Key())
	Lease{}.Release()
}

// TestKeyCacheEviction: the cache holds maxCachedKeys entries; CLOCK evicts
// one not used since the hand passed, destroyed when its lease ends.
func TestKeyCacheEviction(t *testing.T) {
	s, err := Open("")
	require.NoError(t, err)
	defer s.Close()
	p := &parser{t: t}
	var recs []*Record
	for i := range maxCachedKeys + 1 {
		rec := newKeyRecord(s, strconv.Itoa(i))
		require.NoError(t, s.Create(rec))
		recs = append(recs, rec)
	}
	held, err := s.OpenKey(recs[0], p.parse)
	require.NoError(t, err)
	for _, rec := range recs[1:maxCachedKeys] {
		l, err := s.OpenKey(rec, p.parse)
		require.NoError(t, err)
		l.Release()
	}
	require.Zero(t, p.destroyed())
	l, err := s.OpenKey(recs[maxCachedKeys], p.parse) // evicts one
	require.NoError(t, err)
	l.Release()
	require.Len(t, s.keys.m, maxCachedKeys)
	_, cached := s.keys.m[recs[0].ID]
	if !cached {
		require.Zero(t, p.destroyed(), "the leased one waits for its release")
		held.Release()
	} else {
		held.Release()
	}
	require.Equal(t, 1, p.destroyed())
}

// TestKeyCacheRace: concurrent users, updates and evictions; Destroy checks
// that nobody uses a key it destroys, and destroys it once.
func TestKeyCacheRace(t *testing.T) {
	s, err := Open("")
	require.NoError(t, err)
	p := &parser{t: t}
	const keys = 8
	for i := range keys {
		require.NoError(t, s.Create(newKeyRecord(s, strconv.Itoa(i))))
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				id := strconv.Itoa((g + i) % keys)
				if i%50 == 0 {
					require.NoError(t, s.Update(id, func(r *Record) error { r.Created++; return nil }))
				}
				rec, err := s.Get(id)
				require.NoError(t, err)
				l, err := s.OpenKey(rec, p.parse)
				require.NoError(t, err)
				k := l.Key().(*fakeKey)
				k.inUse.Add(1)
				require.Equal(t, "material of "+id, string(k.secret))
				k.inUse.Add(-1)
				l.Release()
			}
		})
	}
	wg.Wait()
	require.NoError(t, s.Close())
	require.EqualValues(t, p.parses.Load(), p.destroyed(), "every parsed key is destroyed once")
}

// TestKeyCacheNotPrinted: no fmt verb prints a cached key's material from
// the store, a lease or an entry.
func TestKeyCacheNotPrinted(t *testing.T) {
	s, err := Open("")
	require.NoError(t, err)
	defer s.Close()
	rec := newKeyRecord(s, "k")
	require.NoError(t, s.Create(rec))
	l, err := s.OpenKey(rec, func(material []byte) (Parsed, error) {
		return &fakeKey{t: t, secret: append([]byte(nil), material...)}, nil
	})
	require.NoError(t, err)
	defer l.Release()
	for _, v := range []any{s, l, *l.e, &s.keys} {
		for _, leak := range printtest.Leaks(v, "material of k") {
			t.Error("prints key material:", leak)
		}
	}
}
