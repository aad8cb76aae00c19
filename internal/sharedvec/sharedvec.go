// Package sharedvec finds the project's external test vectors in
// ../shared/vectors (relative to the module root), outside the repository.
//
// It is on its way out: tests read their external vectors from the testdata of the
// package that uses them, so that a plain clone passes. The last user is
// kms/kwp_test.go (Wycheproof's aes_kwp_test.json); once it reads the file
// from the repository, delete this package.
//
// Tests never skip when the vectors are missing: they fail with a message
// that says where the files were looked for.
package sharedvec

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the absolute path of ../shared/vectors seen from the module
// root, found by walking up from the working directory to go.mod.
func Dir(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatalf("sharedvec: %v", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			vec := filepath.Join(dir, "..", "shared", "vectors")
			if _, err := os.Stat(vec); err != nil {
				tb.Fatalf("sharedvec: test vectors not found at %s: clone the repository beside shared/ (%v)", vec, err)
			}
			return vec
		}
		if filepath.Dir(dir) == dir {
			tb.Fatalf("sharedvec: no go.mod above %s", wd)
		}
	}
}

// Path returns the path of a file or directory under ../shared/vectors and
// fails the test if it does not exist.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(Dir(tb), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("sharedvec: missing test vector %s: %v", rel, err)
	}
	return p
}

// Read returns the contents of a file under ../shared/vectors.
func Read(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(Path(tb, rel))
	if err != nil {
		tb.Fatalf("sharedvec: %v", err)
	}
	return b
}

// Root returns the contents of a trusted root certificate in ../shared/roots.
func Root(tb testing.TB, name string) []byte {
	tb.Helper()
	p := filepath.Join(Dir(tb), "..", "roots", name)
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatalf("sharedvec: missing root %s: %v", p, err)
	}
	return b
}
