package store

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/qtenclave/qtenclave/internal/printtest"
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

// replaceMasterKey overwrites dir's master key with another one (0x42...).
func replaceMasterKey(t *testing.T, dir string) []byte {
	t.Helper()
	wrong := bytes.Repeat([]byte{0x42}, masterKeyLen)
	require.NoError(t, os.WriteFile(filepath.Join(dir, masterKeyFile), wrong, 0o600))
	return wrong
}

// requireWrongMasterKey checks that err is ErrWrongMasterKey and that its
// message, one line, shows no key.
func requireWrongMasterKey(t *testing.T, err error, keys ...[]byte) {
	t.Helper()
	require.ErrorIs(t, err, ErrWrongMasterKey)
	msg := err.Error()
	require.NotContains(t, msg, "\n")
	for _, k := range keys {
		require.NotContains(t, msg, string(k))
		require.NotContains(t, strings.ToLower(msg), hex.EncodeToString(k))
		require.NotContains(t, msg, base64.StdEncoding.EncodeToString(k))
	}
}

// TestStoreWrongMasterKey: a master key that is not the store's is refused
// at Open, whether the store holds sealed records or none yet, instead of
// every later use of a key failing.
func TestStoreWrongMasterKey(t *testing.T) {
	t.Run("records", func(t *testing.T) {
		dir := t.TempDir()
		s, err := Open(dir)
		require.NoError(t, err)
		require.NoError(t, s.Create(&Record{ID: "k", Spec: "AES_256", State: 2, Sealed: s.Seal("k", make([]byte, 32))}))
		require.NoError(t, s.Close())
		right, err := os.ReadFile(filepath.Join(dir, masterKeyFile))
		require.NoError(t, err)

		wrong := replaceMasterKey(t, dir)
		s, err = Open(dir)
		require.Nil(t, s)
		requireWrongMasterKey(t, err, right, wrong)

		require.NoError(t, os.WriteFile(filepath.Join(dir, masterKeyFile), right, 0o600))
		s, err = Open(dir)
		require.NoError(t, err, "the right key still opens the store")
		require.NoError(t, s.Close())
	})
	t.Run("empty", func(t *testing.T) {
		dir := t.TempDir()
		s, err := Open(dir)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		wrong := replaceMasterKey(t, dir)
		s, err = Open(dir)
		require.Nil(t, s)
		requireWrongMasterKey(t, err, wrong)
	})
}

// dropCheck removes the check value, as in a store made before it existed.
func dropCheck(t *testing.T, dir string) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, dbFile), 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(metaBucket) }))
	require.NoError(t, db.Close())
}

// TestStoreCheckValueAdded: a store made before the check value existed
// opens with its master key and gets the check value written then; with a
// wrong master key it is refused if it holds a sealed record. A store
// without sealed records has nothing to check a key against.
func TestStoreCheckValueAdded(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Create(&Record{ID: "pending", Spec: "AES_256", State: 5, Origin: "external"}))
	require.NoError(t, s.Create(&Record{ID: "k", Spec: "AES_256", State: 2, Sealed: s.Seal("k", make([]byte, 32))}))
	require.NoError(t, s.Close())
	right, err := os.ReadFile(filepath.Join(dir, masterKeyFile))
	require.NoError(t, err)

	dropCheck(t, dir)
	wrong := replaceMasterKey(t, dir)
	_, err = Open(dir)
	requireWrongMasterKey(t, err, right, wrong)

	require.NoError(t, os.WriteFile(filepath.Join(dir, masterKeyFile), right, 0o600))
	s, err = Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	replaceMasterKey(t, dir)
	_, err = Open(dir)
	require.ErrorIs(t, err, ErrWrongMasterKey, "the check value was written at the last open")

	// No sealed record: any key is accepted once, then it is the key.
	dir = t.TempDir()
	s, err = Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Create(&Record{ID: "pending", Spec: "AES_256", State: 5, Origin: "external"}))
	require.NoError(t, s.Close())
	dropCheck(t, dir)
	replaceMasterKey(t, dir)
	s, err = Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

// TestStorePermissions: a master key or data directory that group or
// others may read or write is reported; the modes Open makes are not.
func TestStorePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.Empty(t, LoosePermissions(dir), "Open makes 0700 and 0600")

	require.NoError(t, os.Chmod(filepath.Join(dir, masterKeyFile), 0o640))
	w := LoosePermissions(dir)
	require.Len(t, w, 1)
	require.Contains(t, w[0], masterKeyFile)
	require.Contains(t, w[0], "0640")

	require.NoError(t, os.Chmod(dir, 0o755))
	require.NoError(t, os.Chmod(filepath.Join(dir, dbFile), 0o622))
	require.Len(t, LoosePermissions(dir), 3)

	require.NoError(t, os.Chmod(dir, 0o711))
	require.NoError(t, os.Chmod(filepath.Join(dir, masterKeyFile), 0o600))
	require.NoError(t, os.Chmod(filepath.Join(dir, dbFile), 0o644))
	require.Empty(t, LoosePermissions(dir), "traversal of the directory and a readable database are fine")
}

// TestStoreNotPrinted: no fmt verb prints the master key or its AES key
// schedule from a store, a pointer to it or anything that holds one.
func TestStoreNotPrinted(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Create(&Record{ID: "k", Spec: "AES_256", State: 2, Sealed: s.Seal("k", make([]byte, 32))}))
	master, err := os.ReadFile(filepath.Join(dir, masterKeyFile))
	require.NoError(t, err)
	// The AES-256 key schedule starts with the key, as words (little-endian with AES-NI).
	var words []string
	for i := 0; i < len(master); i += 4 {
		words = append(words, strconv.FormatUint(uint64(binary.LittleEndian.Uint32(master[i:])), 10))
	}
	secrets := append([]string{string(master)}, strings.Join(words[:2], " "))
	for _, v := range []any{s, *s.sealer} {
		for _, leak := range printtest.Leaks(v, secrets...) {
			t.Error("prints the master key:", leak)
		}
	}
	// The check itself: printing the cipher directly shows the schedule.
	require.Contains(t, fmt.Sprint(*s.sealer.aead), strings.Join(words[:2], " "))
}
