//go:build !linux

package store

import (
	"errors"
	"os"
)

// datasync flushes f to stable storage (fsync: fdatasync is Linux's).
func datasync(f *os.File) error { return f.Sync() }

// allocate is not supported: the journal appends.
func allocate(f *os.File, off, n int64) error { return errors.ErrUnsupported }
