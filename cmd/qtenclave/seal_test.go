package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestSealOpenExitCodes checks the exit codes of the CLI contract, which
// the scripts only see as zero or not: 2 for usage, 1 for failures.
func TestSealOpenExitCodes(t *testing.T) {
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"seal"}, 2},
		{[]string{"seal", "--to"}, 2},
		{[]string{"seal", "--to", "k.pem", "extra"}, 2},
		{[]string{"seal", "--to", "k.pem", "--shape", "xml"}, 2},
		{[]string{"seal", "--to", "k.pem", "--at", "yesterday"}, 2},
		{[]string{"seal", "--nope"}, 2},
		{[]string{"seal", "--to", "-"}, 2},
		{[]string{"seal", "--to", "k.pem", "--root", "testdata/does-not-exist.pem"}, 2},
		{[]string{"seal", "--to", "testdata/does-not-exist.pem"}, 1},
		{[]string{"open"}, 2},
		{[]string{"open", "--key", "k.pem", "extra"}, 2},
		{[]string{"open", "--key", "testdata/does-not-exist.pem"}, 1},
	} {
		var stdout, stderr bytes.Buffer
		if got := run(c.args, strings.NewReader("x"), &stdout, &stderr); got != c.want {
			t.Errorf("%q: exit %d, want %d (%s)", c.args, got, c.want, stderr.Bytes())
		}
		if stdout.Len() != 0 || stderr.Len() == 0 {
			t.Errorf("%q: stdout %q, stderr %q", c.args, stdout.Bytes(), stderr.Bytes())
		}
	}
}
