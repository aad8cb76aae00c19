package store

import (
	"fmt"
	"sync"
)

// The write path: group commit without a timer.
//
// Every change to the records (Create, Update, Change, Delete) is a write,
// queued. A writer that finds no commit under way commits at once, alone:
// nothing waits for company. Writers that arrive while a commit is under
// way (its sync takes a millisecond or more) queue, and the next commit
// takes them (up to maxBatch) in one journal entry, one sync (journal.go);
// its leader is the first of them, handed the lead by the writer before
// it. So one client's write costs one sync, and many clients' writes share
// them.
//
// The leader runs the writes in their order, each as a transaction (Tx)
// over the records as they stand plus the earlier writes of its batch (a
// view), so a read-modify-write always sees the last change, committed or
// in its batch, and the alias index of the view is exact: a write whose
// record would take an alias that another keeps fails with ErrAliasExists.
// A write's own failure (its function's error or panic, a record that
// exists, an alias taken) fails it alone and leaves the view as it was; a
// failed commit fails every write of the batch, and the records in memory
// stay as they were on disk. A write returns only once its commit is on
// disk (or failed): acknowledged means durable. Every record put or
// deleted loses its parsed key material (keycache.go).

// write is one change to the records, waiting for its commit.
type write struct {
	fn    func(*Tx) error // the change, run by the leader
	err   error           // the outcome, set by the leader
	panic any             // fn's panic, raised again in the writer's goroutine
	lead  chan bool       // receives false when the write is done, true to lead
}

// maxBatch bounds the writes of one commit, and so the size of a journal
// entry (journal.go); a variable for tests.
var maxBatch = 1024

// committer queues writes and knows whether a commit is under way.
type committer struct {
	mu      sync.Mutex // held briefly, to queue or take the queue
	queue   []*write
	busy    bool // a leader is committing
	commits int  // commits made, for tests
}

// do queues a write of fn and returns once it is committed (or failed).
// fn may run on another writer's goroutine; a panic in fn is raised again
// in the caller's.
func (s *Store) do(fn func(*Tx) error) error {
	w := &write{fn: fn, lead: make(chan bool, 1)}
	c := &s.commit
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
	if len(batch) > maxBatch {
		batch = batch[:maxBatch:maxBatch] // w is first: the rest lead later
	}
	c.queue = c.queue[len(batch):]
	c.mu.Unlock()

	s.jmu.Lock()
	s.apply(batch)
	if j := s.journal; j != nil && j.err == nil && j.size >= checkpointBytes {
		s.checkpoint() // on failure, tried again at the next commit
	}
	s.jmu.Unlock()

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

// view is the records as a batch sees them: those in memory plus the
// batch's writes so far. Only the leader uses it; the records in memory
// change only when the batch is committed, by the leader.
type view struct {
	s      *Store
	puts   map[string]*Record
	dels   map[string]bool
	owners map[string]string // alias name -> key ID, "" for an alias removed
}

func (v *view) get(id string) *Record {
	if v.dels[id] {
		return nil
	}
	if r, ok := v.puts[id]; ok {
		return r
	}
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	return v.s.recs[id]
}

func (v *view) owner(name string) string {
	if id, ok := v.owners[name]; ok {
		return id
	}
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	return v.s.aliases[name]
}

// check refuses what tx may not commit over the view: a put of a record
// that does not exist (unless tx creates it), a create of one that does,
// an alias that two records would keep.
func (v *view) check(tx *Tx) error {
	owners := map[string]string{}
	for id, rec := range tx.puts {
		switch exists := v.get(id) != nil; {
		case tx.creates[id] && exists:
			return fmt.Errorf("kms: key %s exists", id)
		case !tx.creates[id] && !exists:
			return fmt.Errorf("kms: key %s: %w", id, ErrNotFound)
		}
		for _, a := range rec.Aliases {
			if o, ok := owners[a.Name]; ok && o != id {
				return fmt.Errorf("%w: %s", ErrAliasExists, a.Name)
			}
			owners[a.Name] = id
			// The owner in the view keeps the name unless tx deletes it
			// or puts it without it (then owners has caught a put with
			// it).
			if o := v.owner(a.Name); o != "" && o != id && !tx.dels[o] && tx.puts[o] == nil {
				return fmt.Errorf("%w: %s", ErrAliasExists, a.Name)
			}
		}
	}
	return nil
}

// merge adds tx's puts and deletions to the view, moving aliases in its
// index: first every name that a changed record had is released, then the
// names of the records put are taken.
func (v *view) merge(tx *Tx) {
	release := func(id string) {
		if old := v.get(id); old != nil {
			for _, a := range old.Aliases {
				if v.owner(a.Name) == id {
					v.owners[a.Name] = ""
				}
			}
		}
	}
	for id := range tx.dels {
		release(id)
	}
	for id := range tx.puts {
		release(id)
	}
	for id := range tx.dels {
		v.dels[id] = true
		delete(v.puts, id)
	}
	for id, rec := range tx.puts {
		v.puts[id] = rec
		delete(v.dels, id)
		for _, a := range rec.Aliases {
			v.owners[a.Name] = id
		}
	}
}

// apply runs a batch: each write as a transaction over the view, then one
// journal entry for all that succeeded, then the records in memory.
func (s *Store) apply(batch []*write) {
	v := &view{s: s, puts: map[string]*Record{}, dels: map[string]bool{}, owners: map[string]string{}}
	var ok []*write
	for _, w := range batch {
		tx := &Tx{v: v, puts: map[string]*Record{}, dels: map[string]bool{}}
		if w.panic, w.err = call(w.fn, tx); w.err != nil || w.panic != nil {
			continue
		}
		if w.err = v.check(tx); w.err != nil {
			continue
		}
		v.merge(tx)
		ok = append(ok, w)
	}
	if len(ok) == 0 || len(v.puts)+len(v.dels) == 0 {
		return
	}
	if s.journal != nil {
		if err := s.appendEntry(v.puts, v.dels); err != nil {
			for _, w := range ok {
				w.err = err
			}
			return
		}
	}
	s.mu.Lock()
	for id := range v.dels {
		delete(s.recs, id)
		s.keys.invalidate(id)
	}
	for id, rec := range v.puts {
		s.recs[id] = rec
		s.keys.invalidate(id)
	}
	for name, id := range v.owners {
		if id == "" {
			delete(s.aliases, name)
		} else {
			s.aliases[name] = id
		}
	}
	s.mu.Unlock()
}

// call calls fn, catching a panic to raise it again in the writer's
// goroutine: the leader runs other writers' functions, and a panic must not
// stop it from finishing their commit.
func call(fn func(*Tx) error, tx *Tx) (p any, err error) {
	defer func() {
		if p = recover(); p != nil {
			err = nil
		}
	}()
	return nil, fn(tx)
}
