package core

import (
	"regexp"
	"testing"
)

// keyIDPattern is the seed pages' key ID format, the reference that
// ValidKeyID's hand-written check must agree with.
var keyIDPattern = regexp.MustCompile(`^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$`)

// TestValidKeyID checks ValidKeyID against the pattern on a valid ID with
// every byte of it replaced by each byte value, cut, lengthened, and on
// newKeyID's IDs.
func TestValidKeyID(t *testing.T) {
	const valid = "0123abcd-wxyz-4a5b-8c9d-0123456789yz"
	check := func(id string) {
		t.Helper()
		if got, want := ValidKeyID(id), keyIDPattern.MatchString(id); got != want {
			t.Fatalf("ValidKeyID(%q) = %t, want %t", id, got, want)
		}
	}
	if !ValidKeyID(valid) {
		t.Fatalf("ValidKeyID(%q) = false", valid)
	}
	for i := range len(valid) {
		for c := range 256 {
			b := []byte(valid)
			b[i] = byte(c)
			check(string(b))
		}
		check(valid[:i])
		check(valid[:i] + valid[i+1:])
		check(valid[:i] + "a" + valid[i:])
	}
	check(valid + "\n")
	for range 100 {
		check(newKeyID())
	}
}

func FuzzValidKeyID(f *testing.F) {
	f.Add("0123abcd-wxyz-4a5b-8c9d-0123456789yz")
	f.Add(newKeyID())
	f.Add("0123abcd-wxyz-4a5b-8c9d-0123456789yZ")
	f.Fuzz(func(t *testing.T, id string) {
		if got, want := ValidKeyID(id), keyIDPattern.MatchString(id); got != want {
			t.Fatalf("ValidKeyID(%q) = %t, want %t", id, got, want)
		}
	})
}
