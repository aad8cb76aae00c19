package httpsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"sync"
)

// A MAC is a key for HMAC-SHA256, ready for many messages from any number
// of goroutines: a verifier holds one per secret (or SigV4 signing key) and
// keeps its keyed states for reuse. hmac.New hashes the key's two padded
// blocks and allocates some five objects each time; a reused state starts
// from the keyed state it saved.
type MAC struct {
	key   []byte
	state sync.Pool // of *macState
}

// macState is a keyed HMAC and a scratch buffer that the canonical forms
// are built in, so that a verification allocates neither.
type macState struct {
	mac hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// maxPooledBuf bounds the scratch buffer kept with a state: a request with
// headers larger than this builds its canonical form in a buffer that is
// dropped afterwards.
const maxPooledBuf = 4 << 10

// NewMAC returns a MAC for key, which it copies.
func NewMAC(key []byte) *MAC {
	return &MAC{key: append([]byte(nil), key...)}
}

func (m *MAC) get() *macState {
	if s, ok := m.state.Get().(*macState); ok {
		s.mac.Reset()
		return s
	}
	return &macState{mac: hmac.New(sha256.New, m.key), buf: make([]byte, 0, 1024)}
}

func (m *MAC) put(s *macState) {
	if cap(s.buf) > maxPooledBuf {
		s.buf = make([]byte, 0, 1024)
	}
	m.state.Put(s)
}

// Sum returns the HMAC-SHA256 of data.
func (m *MAC) Sum(data []byte) [sha256.Size]byte {
	s := m.get()
	defer m.put(s)
	return s.hmac(data)
}

// hmac returns the HMAC-SHA256 of data under the state's key.
func (s *macState) hmac(data []byte) [sha256.Size]byte {
	s.mac.Write(data)
	s.mac.Sum(s.sum[:0])
	return s.sum
}

// Format prints a MAC without its key, whatever the verb.
func (m *MAC) Format(f fmt.State, verb rune) { io.WriteString(f, "httpsig.MAC{key redacted}") }
