package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/qtenclave/qtenclave/internal/sharedvec"
)

// TestMain makes the test binary double as the qtenclave command, so that
// the scripts in testdata/script run it as a program.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"qtenclave": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/script/*.txtar. Scripts find the shared test
// vectors in $VECTORS and this repository's test keys in $TESTKEYS.
func TestScripts(t *testing.T) {
	vectors := sharedvec.Dir(t)
	keys, err := filepath.Abs(filepath.Join("..", "..", "recipient", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("VECTORS", vectors)
			env.Setenv("TESTKEYS", keys)
			return nil
		},
		RequireExplicitExec: true,
	})
}
