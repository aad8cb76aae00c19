package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStoreRecords(t *testing.T) {
	s, err := Open("")
	require.NoError(t, err)
	defer s.Close()
	a := &Record{ID: "a", Spec: "AES_256", State: 5, Created: 2}
	b := &Record{ID: "b", Spec: "SM4", State: 2, Created: 1}
	require.NoError(t, s.Create(a))
	require.NoError(t, s.Create(b))
	require.Error(t, s.Create(&Record{ID: "a"}), "an ID is created once")

	got, err := s.Get("a")
	require.NoError(t, err)
	require.Equal(t, a, got)
	_, err = s.Get("c")
	require.True(t, errors.Is(err, ErrNotFound))
	require.True(t, errors.Is(s.Update("c", func(*Record) error { return nil }), ErrNotFound))

	// Update works on a copy: a failed update changes nothing, a good one
	// replaces the record without touching the one handed out before.
	stop := errors.New("stop")
	require.Equal(t, stop, s.Update("a", func(r *Record) error { r.State = 2; return stop }))
	require.NoError(t, s.Update("a", func(r *Record) error { r.State = 2; return nil }))
	require.Equal(t, 5, got.State)
	got, err = s.Get("a")
	require.NoError(t, err)
	require.Equal(t, 2, got.State)

	list, err := s.List()
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "b", list[0].ID, "oldest first")
}

func TestStoreSeal(t *testing.T) {
	s, err := Open("")
	require.NoError(t, err)
	defer s.Close()
	material := bytes.Repeat([]byte{0x5a}, 32)
	sealed := s.Seal("key-1", material)
	require.False(t, bytes.Contains(sealed, material))
	got, err := s.Unseal("key-1", sealed)
	require.NoError(t, err)
	require.Equal(t, material, got)
	_, err = s.Unseal("key-2", sealed)
	require.Error(t, err, "sealed material is bound to its label")
	sealed[len(sealed)-1] ^= 1
	_, err = s.Unseal("key-1", sealed)
	require.Error(t, err)
	_, err = s.Unseal("key-1", sealed[:10])
	require.Error(t, err)
}

// TestStoreReopen: records and the master key survive a restart; a
// database whose master key is gone is refused, not silently re-keyed.
func TestStoreReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	material := []byte("0123456789abcdef0123456789abcdef")
	rec := &Record{ID: "k", Spec: "AES_256", State: 2, Sealed: s.Seal("k", material)}
	require.NoError(t, s.Create(rec))
	require.NoError(t, s.Close())

	s, err = Open(dir)
	require.NoError(t, err)
	got, err := s.Get("k")
	require.NoError(t, err)
	require.Equal(t, rec, got)
	opened, err := s.Unseal("k", got.Sealed)
	require.NoError(t, err)
	require.Equal(t, material, opened)
	require.NoError(t, s.Close())

	info, err := os.Stat(filepath.Join(dir, masterKeyFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	require.NoError(t, os.Remove(filepath.Join(dir, masterKeyFile)))
	_, err = Open(dir)
	require.Error(t, err)
	_, err = os.Stat(filepath.Join(dir, masterKeyFile))
	require.True(t, os.IsNotExist(err), "no new master key was made")
}
