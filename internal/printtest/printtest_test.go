package printtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// redacting prints its secret as REDACTED through Format, but holds it in a
// plain string field.
type redacting struct{ Secret string }

func (r redacting) Format(f fmt.State, verb rune) { fmt.Fprint(f, "{REDACTED}") }

// hidden holds its secret behind a pointer to a string.
type hidden struct{ secret *string }

func (hidden) Format(f fmt.State, verb rune) { fmt.Fprint(f, "{REDACTED}") }

// TestLeaks: a Format method is not enough, a pointer to a string is.
func TestLeaks(t *testing.T) {
	const secret = "0123456789abcdef-secret"
	leaks := Leaks(redacting{secret}, secret)
	for _, how := range []string{"value %p:", "value %w:", "pointer %w:", "unexported field %v:", "value Errorf err %w:"} {
		if !slices.ContainsFunc(leaks, func(l string) bool { return strings.Contains(l, ", "+how) }) {
			t.Errorf("no leak found with %s", how)
		}
	}
	if slices.ContainsFunc(leaks, func(l string) bool { return strings.Contains(l, ", value %v:") }) {
		t.Error("a leak is reported for the value printed with v, which goes through Format")
	}
	s := secret
	if leaks := Leaks(hidden{&s}, secret); len(leaks) > 0 {
		t.Errorf("a secret behind a pointer to a string leaks: %q", leaks[0])
	}
}

// TestEncodings: the forms cover hex and byte lists.
func TestEncodings(t *testing.T) {
	enc := Encodings("AB")
	for _, want := range []string{"AB", "4142", "41 42", "65 66", "101 102", "U+0041 U+0042"} {
		if !slices.Contains(enc, want) {
			t.Errorf("Encodings(AB) lacks %q: %q", want, enc)
		}
	}
}
