package store

import "errors"

// The lifecycle of records: aliases (names that are unique across the
// store), deletion, and changes of several records in one transaction.

// Alias is a name of a key, unique across the store, kept in the record of
// the key it names.
type Alias struct {
	Name    string `json:"name"`
	Created int64  `json:"created"` // milliseconds since the epoch
	Updated int64  `json:"updated"` // milliseconds since the epoch
}

// ErrAliasExists is the error of Change when a record would take an alias
// that another record keeps.
var ErrAliasExists = errors.New("kms: alias exists")

// index moves the aliases of old (nil for none) to rec (nil for none) in
// the alias index. Callers hold s.mu.
func (s *Store) index(old, rec *Record) {
	if old != nil {
		for _, a := range old.Aliases {
			if s.aliases[a.Name] == old.ID {
				delete(s.aliases, a.Name)
			}
		}
	}
	if rec != nil {
		for _, a := range rec.Aliases {
			s.aliases[a.Name] = rec.ID
		}
	}
}

// AliasOwner returns the ID of the key that the alias names, or "".
func (s *Store) AliasOwner(name string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.aliases[name]
}

// Delete removes a record, on disk first. A record that does not exist is
// ErrNotFound.
func (s *Store) Delete(id string) error {
	return s.Change(func(tx *Tx) error {
		if tx.Get(id) == nil {
			return ErrNotFound
		}
		tx.Delete(id)
		return nil
	})
}

// Tx is a change of records that Change commits at once. It sees the
// records as they stand plus the writes committed before it in its batch
// (commit.go).
type Tx struct {
	v       *view
	puts    map[string]*Record
	dels    map[string]bool
	creates map[string]bool // puts of new records (Create)
}

// Get returns a copy of the record id as the transaction sees it, or nil.
// The copy's slices and maps are its own: a caller may change them and Put
// the record.
func (tx *Tx) Get(id string) *Record {
	if tx.dels[id] {
		return nil
	}
	rec := tx.puts[id]
	if rec == nil {
		if rec = tx.v.get(id); rec == nil {
			return nil
		}
	}
	c := *rec
	c.Aliases = append([]Alias(nil), rec.Aliases...)
	if rec.Tags != nil {
		c.Tags = make(map[string]string, len(rec.Tags))
		for k, v := range rec.Tags {
			c.Tags[k] = v
		}
	}
	return &c
}

// AliasOwner returns the ID of the key that the alias names, as the
// transaction sees it, or "".
func (tx *Tx) AliasOwner(name string) string {
	for id, rec := range tx.puts {
		for _, a := range rec.Aliases {
			if a.Name == name {
				return id
			}
		}
	}
	id := tx.v.owner(name)
	if id == "" || tx.dels[id] || tx.puts[id] != nil {
		return "" // deleted, or changed without it
	}
	return id
}

// Put stores rec, which must exist (records are created with Create).
func (tx *Tx) Put(rec *Record) { tx.puts[rec.ID] = rec; delete(tx.dels, rec.ID) }

// Delete removes the record id.
func (tx *Tx) Delete(id string) { tx.dels[id] = true; delete(tx.puts, id); delete(tx.creates, id) }

// create stores a new record.
func (tx *Tx) create(rec *Record) {
	if tx.creates == nil {
		tx.creates = map[string]bool{}
	}
	tx.creates[rec.ID] = true
	tx.Put(rec)
}

// Change runs fn with a transaction and commits what it put and deleted in
// one write, on disk first; fn's error aborts the change and is returned as
// is. fn sees every write acknowledged before (and those committed with
// it, in their order), and may run on another writer's goroutine; a panic
// in fn is raised again in the caller's. A record that would take an alias
// that another keeps is refused with ErrAliasExists, a put of a record
// that does not exist with ErrNotFound.
func (s *Store) Change(fn func(tx *Tx) error) error { return s.do(fn) }
