package store

import (
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

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

// Tx is a change of records that Change commits at once.
type Tx struct {
	s    *Store
	puts map[string]*Record
	dels map[string]bool
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
		var err error
		if rec, err = tx.s.Get(id); err != nil {
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
	id := tx.s.AliasOwner(name)
	if id == "" || tx.dels[id] || tx.puts[id] != nil {
		return "" // deleted, or changed without it
	}
	return id
}

// Put stores rec, which must exist (records are created with Create).
func (tx *Tx) Put(rec *Record) { tx.puts[rec.ID] = rec; delete(tx.dels, rec.ID) }

// Delete removes the record id.
func (tx *Tx) Delete(id string) { tx.dels[id] = true; delete(tx.puts, id) }

// Change runs fn with a transaction and commits what it put and deleted in
// one write, on disk first; fn's error aborts the change and is returned as
// is. Changes are serialized with Update. A record that would take an alias
// that another keeps is refused with ErrAliasExists.
func (s *Store) Change(fn func(tx *Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx := &Tx{s: s, puts: map[string]*Record{}, dels: map[string]bool{}}
	if err := fn(tx); err != nil {
		return err
	}
	owners := map[string]string{}
	for id, rec := range tx.puts {
		if _, err := s.Get(id); err != nil {
			return fmt.Errorf("kms: key %s: %w", id, err)
		}
		for _, a := range rec.Aliases {
			if o, ok := owners[a.Name]; ok && o != id {
				return fmt.Errorf("%w: %s", ErrAliasExists, a.Name)
			}
			owners[a.Name] = id
			// The stored owner keeps the name unless it is deleted or
			// put without it (then owners has caught a put with it).
			if o := s.AliasOwner(a.Name); o != "" && o != id && !tx.dels[o] && tx.puts[o] == nil {
				return fmt.Errorf("%w: %s", ErrAliasExists, a.Name)
			}
		}
	}
	if s.db != nil {
		enc := make(map[string][]byte, len(tx.puts))
		for id, rec := range tx.puts {
			b, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			enc[id] = b
		}
		err := s.db.Update(func(btx *bolt.Tx) error {
			bk := btx.Bucket(keysBucket)
			for id, b := range enc {
				if err := bk.Put([]byte(id), b); err != nil {
					return err
				}
			}
			for id := range tx.dels {
				if err := bk.Delete([]byte(id)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range tx.dels {
		s.index(s.recs[id], nil)
		delete(s.recs, id)
	}
	for id, rec := range tx.puts {
		s.index(s.recs[id], rec)
		s.recs[id] = rec
	}
	return nil
}
