package store

import (
	"os"
	"syscall"
)

// datasync flushes f's data and the metadata needed to read it back (its
// length), not its times: fdatasync(2), as bbolt syncs on Linux.
func datasync(f *os.File) error {
	return onFD(f, "fdatasync", func(fd int) error { return syscall.Fdatasync(fd) })
}

// allocate allocates n bytes of f from off, extending its length: the
// space reads as zeros.
func allocate(f *os.File, off, n int64) error {
	return onFD(f, "fallocate", func(fd int) error { return syscall.Fallocate(fd, 0, off, n) })
}

// onFD runs a system call on f's descriptor, again while it is
// interrupted.
func onFD(f *os.File, op string, call func(fd int) error) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		for {
			if serr = call(int(fd)); serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: op, Path: f.Name(), Err: serr}
	}
	return nil
}
