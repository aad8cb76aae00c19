package store

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStoreChange checks aliases, tags and deletion through Change: one
// owner per alias, in memory and after a reopen, and all or nothing.
func TestStoreChange(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Create(&Record{ID: "a", Created: 1}))
	require.NoError(t, s.Create(&Record{ID: "b", Created: 2}))

	require.NoError(t, s.Change(func(tx *Tx) error {
		r := tx.Get("a")
		r.Aliases = append(r.Aliases, Alias{Name: "alias/x", Created: 1, Updated: 1})
		r.Tags = map[string]string{"k": "v"}
		tx.Put(r)
		return nil
	}))
	require.Equal(t, "a", s.AliasOwner("alias/x"))

	// b cannot take a's alias; nothing of the change is kept.
	err = s.Change(func(tx *Tx) error {
		r := tx.Get("b")
		r.Description = "changed"
		r.Aliases = []Alias{{Name: "alias/x"}}
		tx.Put(r)
		return nil
	})
	require.ErrorIs(t, err, ErrAliasExists)
	b, err := s.Get("b")
	require.NoError(t, err)
	require.Empty(t, b.Description)

	// Moving the alias from a to b in one change is allowed.
	require.NoError(t, s.Change(func(tx *Tx) error {
		a, b := tx.Get("a"), tx.Get("b")
		a.Aliases, b.Aliases = nil, a.Aliases
		tx.Put(a)
		tx.Put(b)
		return nil
	}))
	require.Equal(t, "b", s.AliasOwner("alias/x"))

	// Records handed out are not changed by a later change (Get copies).
	a, err := s.Get("a")
	require.NoError(t, err)
	require.NoError(t, s.Change(func(tx *Tx) error {
		r := tx.Get("a")
		r.Tags["k"] = "w"
		tx.Put(r)
		return nil
	}))
	require.Equal(t, "v", a.Tags["k"])

	// fn's error aborts the change and is returned as is.
	stop := errors.New("stop")
	require.Equal(t, stop, s.Change(func(tx *Tx) error { tx.Delete("a"); return stop }))
	_, err = s.Get("a")
	require.NoError(t, err)

	require.NoError(t, s.Delete("b"))
	require.ErrorIs(t, s.Delete("b"), ErrNotFound)
	require.Empty(t, s.AliasOwner("alias/x"), "a deleted key's aliases go with it")
	require.NoError(t, s.Close())

	s, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Get("b")
	require.ErrorIs(t, err, ErrNotFound)
	a, err = s.Get("a")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"k": "w"}, a.Tags)
	require.Empty(t, s.AliasOwner("alias/x"))
}

// TestStoreAliasIndexReopen checks that the alias index is rebuilt on open.
func TestStoreAliasIndexReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Create(&Record{ID: "a"}))
	require.NoError(t, s.Change(func(tx *Tx) error {
		r := tx.Get("a")
		r.Aliases = []Alias{{Name: "alias/y"}}
		tx.Put(r)
		return nil
	}))
	require.NoError(t, s.Close())
	s, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, "a", s.AliasOwner("alias/y"))
}
