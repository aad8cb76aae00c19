package kms

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/qtenclave/qtenclave/kms/internal/store"
	"github.com/stretchr/testify/require"
)

// TestServerWrongMasterKey: a server is not started on a master key that is
// not its store's.
func TestServerWrongMasterKey(t *testing.T) {
	dir := t.TempDir()
	k := newTestKMS(t, Options{DataDir: dir})
	k.createKey(t, "AES_256", "", "")
	require.NoError(t, k.srv.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "master.key"), bytes.Repeat([]byte{1}, 32), 0o600))
	srv, err := NewServer(Options{DataDir: dir, Token: testToken})
	require.Nil(t, srv)
	require.True(t, errors.Is(err, store.ErrWrongMasterKey), "%v", err)
}

// TestServerWarnsLoosePermissions: the server logs a warning at start for a
// master key or data directory that others may read.
func TestServerWarnsLoosePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	dir := t.TempDir()
	start := func() string {
		var logs bytes.Buffer
		srv, err := NewServer(Options{DataDir: dir, Token: testToken, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
		require.NoError(t, err)
		require.NoError(t, srv.Close())
		return logs.String()
	}
	require.NoError(t, os.Chmod(dir, 0o700))
	require.Empty(t, start())
	require.NoError(t, os.Chmod(filepath.Join(dir, "master.key"), 0o644))
	logs := start()
	require.Contains(t, logs, `"level":"WARN"`)
	require.Contains(t, logs, "master.key is mode 0644")
}
