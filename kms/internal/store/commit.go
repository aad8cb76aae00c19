package store

import (
	"encoding/json"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// The write path: group commit without a timer.
//
// Every change to the records (Create, Update) is a write, queued. A writer
// that finds no commit under way commits at once, alone: nothing waits for
// company. Writers that arrive while a commit is under way (its fsync takes
// a millisecond or more) queue, and the next commit takes all of them in
// one bbolt transaction, one fsync; its leader is the first of them, handed
// the lead by the writer before it. So one client's write costs one fsync,
// and many clients' writes share them.
//
// The leader applies the writes in their order to the records as they
// stand plus the earlier writes of its batch, so a read-modify-write
// (Update) always sees the last change, committed or in its batch. A
// write's own failure (Update's function, a record that exists) fails it
// alone; a failed commit fails every write of the batch, and the records in
// memory stay as they were on disk. A write returns only once its commit is
// on disk (or failed): acknowledged means durable.

// write is one change to the records, waiting for its commit.
type write struct {
	id     string
	create *Record             // Create: the new record
	update func(*Record) error // Update: applied to a copy of the record
	err    error               // the outcome, set by the leader
	panic  any                 // update's panic, raised again in the writer's goroutine
	lead   chan bool           // receives false when the write is done, true to lead
}

// committer queues writes and knows whether a commit is under way.
type committer struct {
	mu      sync.Mutex // held briefly, to queue or take the queue
	queue   []*write
	busy    bool // a leader is committing
	commits int  // commits made, for tests
}

// do queues w and returns once it is committed (or failed).
func (s *Store) do(w *write) error {
	c := &s.commit
	w.lead = make(chan bool, 1)
	c.mu.Lock()
	c.queue = append(c.queue, w)
	if c.busy {
		c.mu.Unlock()
		if lead := <-w.lead; !lead {
			return w.result()
		}
		c.mu.Lock() // handed the lead: w is still queued
	}
	c.busy = true
	batch := c.queue
	c.queue = nil
	c.mu.Unlock()

	s.apply(batch)

	c.mu.Lock()
	c.commits++
	var next *write
	if len(c.queue) > 0 {
		next = c.queue[0] // busy stays set: next leads
	} else {
		c.busy = false
	}
	c.mu.Unlock()
	for _, o := range batch {
		if o != w {
			o.lead <- false
		}
	}
	if next != nil {
		next.lead <- true
	}
	return w.result()
}

func (w *write) result() error {
	if w.panic != nil {
		panic(w.panic)
	}
	return w.err
}

// apply runs a batch: each write against the records as they stand plus
// the batch's earlier writes, then one transaction for all that succeeded,
// then the records in memory.
func (s *Store) apply(batch []*write) {
	staged := make(map[string]*Record, len(batch))
	current := func(id string) *Record {
		if r, ok := staged[id]; ok {
			return r
		}
		s.mu.RLock()
		defer s.mu.RUnlock()
		return s.recs[id]
	}
	var ok []*write
	for _, w := range batch {
		old := current(w.id)
		var rec *Record
		switch {
		case w.create != nil && old != nil:
			w.err = fmt.Errorf("kms: key %s exists", w.id)
			continue
		case w.create != nil:
			rec = w.create
		case old == nil:
			w.err = ErrNotFound
			continue
		default:
			cp := *old
			if w.panic, w.err = callUpdate(w.update, &cp); w.err != nil || w.panic != nil {
				continue
			}
			rec = &cp
		}
		staged[w.id] = rec
		ok = append(ok, w)
	}
	if len(ok) == 0 {
		return
	}
	if s.db != nil {
		err := s.db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket(keysBucket)
			for id, rec := range staged {
				b, err := json.Marshal(rec)
				if err != nil {
					return err
				}
				if err := bk.Put([]byte(id), b); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			for _, w := range ok {
				w.err = err
			}
			return
		}
	}
	s.mu.Lock()
	for id, rec := range staged {
		s.recs[id] = rec
		s.keys.invalidate(id)
	}
	s.mu.Unlock()
}

// callUpdate calls fn, catching a panic to raise it again in the writer's
// goroutine: the leader runs other writers' functions, and a panic must not
// stop it from finishing their commit.
func callUpdate(fn func(*Record) error, rec *Record) (p any, err error) {
	defer func() {
		if p = recover(); p != nil {
			err = nil
		}
	}()
	return nil, fn(rec)
}
