package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/qtenclave/qtenclave/internal/cpuclock"
)

func (s *Store) commits() int {
	s.commit.mu.Lock()
	defer s.commit.mu.Unlock()
	return s.commit.commits
}

// TestCommitAlone: a writer alone commits at once, one commit per write.
func TestCommitAlone(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	defer s.Close()
	for i := range 5 {
		require.NoError(t, s.Create(&Record{ID: strconv.Itoa(i)}))
		require.NoError(t, s.Update(strconv.Itoa(i), func(r *Record) error { r.State = 2; return nil }))
	}
	require.Equal(t, 10, s.commits())
}

// TestCommitConcurrent: concurrent writers share commits; every
// read-modify-write sees the ones before it, in memory and after a restart.
func TestCommitConcurrent(t *testing.T) {
	const writers = 64
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Create(&Record{ID: "counter"}))
	before := s.commits()
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			require.NoError(t, s.Create(&Record{ID: "k" + strconv.Itoa(i)}))
			require.NoError(t, s.Update("counter", func(r *Record) error { r.State++; return nil }))
		})
	}
	wg.Wait()
	commits := s.commits() - before
	require.Less(t, commits, 2*writers, "writers that came during a commit shared the next one")
	t.Logf("%d writes in %d commits", 2*writers, commits)
	check := func(s *Store) {
		got, err := s.Get("counter")
		require.NoError(t, err)
		require.Equal(t, writers, got.State, "no increment was lost")
		list, err := s.List()
		require.NoError(t, err)
		require.Len(t, list, writers+1)
	}
	check(s)
	require.NoError(t, s.Close())
	s, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	check(s)
}

// batch queues the writes of fn (each run in its own goroutine) behind a
// commit held open, then lets them go as one batch.
func batch(t *testing.T, s *Store, fns ...func() error) []error {
	before := s.commits()
	errs := queued(t, s, fns...)
	require.Equal(t, before+1, s.commits(), "one commit")
	return errs
}

// queued queues the writes of fn (each run in its own goroutine, in order)
// behind a commit held open, then lets them go and waits for them.
func queued(t *testing.T, s *Store, fns ...func() error) []error {
	c := &s.commit
	c.mu.Lock()
	require.False(t, c.busy)
	c.busy = true
	c.mu.Unlock()
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = fn() })
		for { // queued in order
			c.mu.Lock()
			n := len(c.queue)
			c.mu.Unlock()
			if n == i+1 {
				break
			}
			runtime.Gosched()
		}
	}
	c.mu.Lock()
	first := c.queue[0]
	c.mu.Unlock()
	first.lead <- true
	wg.Wait()
	return errs
}

// TestCommitBatchBound: a commit takes at most maxBatch writes, the first
// ones queued; the others lead the next commits, in their order.
func TestCommitBatchBound(t *testing.T) {
	defer func(n int) { maxBatch = n }(maxBatch)
	maxBatch = 3
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Create(&Record{ID: "counter"}))
	before, seq := s.commits(), s.journal.seq
	var fns []func() error
	for i := range 7 {
		fns = append(fns, func() error {
			return s.Update("counter", func(r *Record) error {
				if r.State != i {
					return fmt.Errorf("write %d after %d writes", i, r.State)
				}
				r.State++
				return nil
			})
		})
	}
	for _, err := range queued(t, s, fns...) {
		require.NoError(t, err)
	}
	require.Equal(t, before+3, s.commits(), "3 + 3 + 1")
	require.Equal(t, seq+3, s.journal.seq, "one entry per commit")
	require.NoError(t, s.Close())
	s, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	got, err := s.Get("counter")
	require.NoError(t, err)
	require.Equal(t, 7, got.State)
}

// TestCommitBatch: in one batch, each write sees the ones before it; a
// write's failure (its function's error or panic, a record that exists or
// does not) fails it alone.
func TestCommitBatch(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	defer s.Close()
	stop := errors.New("stop")
	var panicked any
	errs := batch(t, s,
		func() error { return s.Create(&Record{ID: "a"}) },
		func() error { return s.Update("a", func(r *Record) error { r.Alias = "x"; return nil }) },
		func() error { return s.Update("a", func(r *Record) error { r.Alias += "y"; return stop }) },
		func() error { return s.Create(&Record{ID: "a"}) },
		func() error { return s.Update("b", func(r *Record) error { return nil }) },
		func() (err error) {
			defer func() { panicked = recover() }()
			return s.Update("a", func(r *Record) error { r.Alias = "z"; panic("in fn") })
		},
		func() error { return s.Update("a", func(r *Record) error { r.Alias += "w"; return nil }) },
	)
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.Equal(t, stop, errs[2])
	require.Error(t, errs[3], "a exists, from earlier in the batch")
	require.ErrorIs(t, errs[4], ErrNotFound)
	require.Equal(t, "in fn", panicked, "the panic is raised in its writer's goroutine")
	require.NoError(t, errs[6])
	got, err := s.Get("a")
	require.NoError(t, err)
	require.Equal(t, "xw", got.Alias)
}

// TestCommitFails: a commit that fails changes nothing in memory.
func TestCommitFails(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, s.Create(&Record{ID: "a"}))
	require.NoError(t, s.journal.f.Close())
	require.ErrorIs(t, s.Create(&Record{ID: "b"}), os.ErrClosed)
	require.ErrorIs(t, s.Update("a", func(r *Record) error { r.State = 3; return nil }), os.ErrClosed)
	_, err = s.Get("b")
	require.ErrorIs(t, err, ErrNotFound)
	got, err := s.Get("a")
	require.NoError(t, err)
	require.Zero(t, got.State)
}

// BenchmarkCreateDurable measures a lone writer's Create on disk against its
// baseline, one bare bbolt transaction (fsync included) writing a record of
// the same size, interleaved: "x" is the ratio of their wall times (the
// fsync is waited for, not computed). bbolt's Batch, which the store used
// before, waited up to 10 ms for company first.
func BenchmarkCreateDurable(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	db, err := bolt.Open(b.TempDir()+"/bare.db", 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(keysBucket); return err }); err != nil {
		b.Fatal(err)
	}
	sealed := s.Seal("x", make([]byte, 32))
	var ours, base time.Duration
	var cpu time.Duration
	i := 0
	for b.Loop() {
		i++
		id := fmt.Sprintf("%036d", i)
		rec := &Record{ID: id, Spec: "AES_256", Usage: "ENCRYPT_DECRYPT", Origin: "kms", State: 2, Sealed: sealed}
		t0, c0 := time.Now(), cpuclock.Process()
		if err := s.Create(rec); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		cpu += cpuclock.Process() - c0
		err := db.Update(func(tx *bolt.Tx) error {
			v, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			return tx.Bucket(keysBucket).Put([]byte(id), v)
		})
		if err != nil {
			b.Fatal(err)
		}
		ours, base = ours+t1.Sub(t0), base+time.Since(t1)
	}
	b.ReportMetric(float64(ours.Microseconds())/float64(b.N)/1000, "ours-ms/op")
	b.ReportMetric(float64(base.Microseconds())/float64(b.N)/1000, "bare-ms/op")
	b.ReportMetric(float64(ours)/float64(base), "x")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "ours-cpu-us/op")
}

// TestCommitBatchAliases: Change and Delete are group-committed like Create
// and Update; in one batch the alias index is exact, and a write that would
// take an alias another record keeps (in memory or earlier in the batch)
// fails alone. The index is the same after a restart.
func TestCommitBatchAliases(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	withAlias := func(id string, names ...string) *Record {
		r := &Record{ID: id}
		for _, n := range names {
			r.Aliases = append(r.Aliases, Alias{Name: n})
		}
		return r
	}
	addAlias := func(name string) func(*Record) error {
		return func(r *Record) error { r.Aliases = append(r.Aliases, Alias{Name: name}); return nil }
	}
	errs := batch(t, s,
		func() error { return s.Create(withAlias("a", "x")) },
		func() error { return s.Create(withAlias("b", "x")) },
		func() error { return s.Create(withAlias("c")) },
		func() error { // move x from a to c
			return s.Change(func(tx *Tx) error {
				require.Equal(t, "a", tx.AliasOwner("x"), "the batch's earlier writes are seen")
				a, c := tx.Get("a"), tx.Get("c")
				a.Aliases, c.Aliases = nil, a.Aliases
				tx.Put(a)
				tx.Put(c)
				return nil
			})
		},
		func() error { return s.Create(withAlias("b", "y")) },
		func() error { return s.Update("a", addAlias("x")) },
		func() error { return s.Delete("c") },
		func() error { return s.Update("b", addAlias("x")) },
		func() error { return s.Update("a", addAlias("y")) },
		func() error { return s.Delete("c") },
		func() error { return s.Change(func(tx *Tx) error { tx.Put(withAlias("d")); return nil }) },
	)
	require.NoError(t, errs[0])
	require.ErrorIs(t, errs[1], ErrAliasExists, "x is a's, from earlier in the batch")
	require.NoError(t, errs[2])
	require.NoError(t, errs[3])
	require.NoError(t, errs[4], "b was not created by the failed write")
	require.ErrorIs(t, errs[5], ErrAliasExists, "x is c's now")
	require.NoError(t, errs[6])
	require.NoError(t, errs[7], "x was freed by c's deletion")
	require.ErrorIs(t, errs[8], ErrAliasExists, "y is b's")
	require.ErrorIs(t, errs[9], ErrNotFound)
	require.ErrorIs(t, errs[10], ErrNotFound, "Put does not create")
	check := func(s *Store) {
		require.Equal(t, "b", s.AliasOwner("x"))
		require.Equal(t, "b", s.AliasOwner("y"))
		a, err := s.Get("a")
		require.NoError(t, err)
		require.Empty(t, a.Aliases)
		b, err := s.Get("b")
		require.NoError(t, err)
		require.Equal(t, []Alias{{Name: "y"}, {Name: "x"}}, b.Aliases)
		_, err = s.Get("c")
		require.ErrorIs(t, err, ErrNotFound)
		list, err := s.List()
		require.NoError(t, err)
		require.Len(t, list, 2)
	}
	check(s)
	require.NoError(t, s.Close())
	s, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	check(s)
}

// TestCommitDropsKeys: Change and Delete drop the parsed key material of
// the records they put or delete, as Update does.
func TestCommitDropsKeys(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	defer s.Close()
	p := &parser{t: t}
	for _, id := range []string{"a", "b"} {
		require.NoError(t, s.Create(newKeyRecord(s, id)))
		rec, err := s.Get(id)
		require.NoError(t, err)
		l, err := s.OpenKey(rec, p.parse)
		require.NoError(t, err)
		l.Release()
	}
	require.Zero(t, p.destroyed())
	require.NoError(t, s.Change(func(tx *Tx) error {
		r := tx.Get("a")
		r.State = 3
		tx.Put(r)
		return nil
	}))
	require.Equal(t, 1, p.destroyed(), "a's key dropped by Change")
	require.NoError(t, s.Delete("b"))
	require.Equal(t, 2, p.destroyed(), "b's key dropped by Delete")
}
