package huawei

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// Secret is a secret string of the API: a credential of the Client, or key
// material in plaintext in a request or response body. It encodes to JSON as
// the string; fmt prints it as REDACTED (nothing when it is empty) with every
// verb, and log/slog as REDACTED.
//
// The string is kept behind a pointer because some of fmt's paths call no
// Format method: %p of a struct value, %w of something that is not an error,
// and any verb on an unexported field print the fields of a struct as they
// are. With the secret behind a pointer, they print an address.
//
// The zero Secret is empty. Compare Secrets with Reveal, not ==.
type Secret struct {
	s *string
}

// NewSecret returns s as a Secret.
func NewSecret(s string) Secret {
	if s == "" {
		return Secret{}
	}
	return Secret{&s}
}

// Reveal returns the secret string: "" for an empty Secret.
func (s Secret) Reveal() string {
	if s.s == nil {
		return ""
	}
	return *s.s
}

// IsZero reports whether s is empty. A Secret field tagged omitzero is left
// out of JSON when it is empty.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

// Format prints REDACTED, or nothing when s is empty, whatever the verb.
func (s Secret) Format(f fmt.State, verb rune) {
	if !s.IsZero() {
		io.WriteString(f, redacted)
	}
}

// LogValue makes log/slog print REDACTED.
func (s Secret) LogValue() slog.Value {
	if s.IsZero() {
		return slog.StringValue("")
	}
	return slog.StringValue(redacted)
}

// MarshalJSON encodes the secret string as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.Reveal()) }

// UnmarshalJSON decodes a JSON string (or null, which leaves s empty).
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = NewSecret(v)
	return nil
}

const redacted = "REDACTED"
