//go:build !linux

package store

import "os"

// datasync flushes f to stable storage (fsync: fdatasync is Linux's).
func datasync(f *os.File) error { return f.Sync() }
