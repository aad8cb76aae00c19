package kms

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestReadBody: a body is read whole when it is as long as its
// Content-Length and within maxBodyBytes, with or without a
// Content-Length; a longer body than the limit is a *http.MaxBytesError,
// and a body that is shorter or longer than its Content-Length (a handler
// called directly can be given one) is another error.
func TestReadBody(t *testing.T) {
	limit := bytes.Repeat([]byte("a"), maxBodyBytes)
	for _, tc := range []struct {
		name     string
		body     []byte
		length   int64 // Content-Length; -1: unknown
		tooLarge bool  // a *http.MaxBytesError
		fails    bool  // another error
	}{
		{name: "empty", body: nil, length: 0},
		{name: "as announced", body: []byte(`{"KeyId":"k"}`), length: 13},
		{name: "unknown length", body: []byte(`{"KeyId":"k"}`), length: -1},
		{name: "at the limit", body: limit, length: maxBodyBytes},
		{name: "at the limit, unknown length", body: limit, length: -1},
		{name: "over the limit", body: append(limit, 'a'), length: maxBodyBytes + 1, tooLarge: true},
		{name: "over the limit, unknown length", body: append(limit, 'a'), length: -1, tooLarge: true},
		{name: "over the limit, announced at it", body: append(limit, 'a'), length: maxBodyBytes, tooLarge: true},
		{name: "shorter than announced", body: []byte(`{}`), length: 3, fails: true},
		{name: "longer than announced", body: []byte(`{}`), length: 1, fails: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(tc.body)), tc.length
			got, buf, err := readBody(httptest.NewRecorder(), r)
			if buf != nil {
				if err != nil || len(tc.body) >= maxPooledBody {
					t.Errorf("a pooled buffer for %d bytes (error %v)", len(tc.body), err)
				}
				defer releaseBody(buf)
			}
			var mbe *http.MaxBytesError
			switch {
			case tc.tooLarge:
				if !errors.As(err, &mbe) || got != nil {
					t.Fatalf("got %d bytes, %v; want a MaxBytesError", len(got), err)
				}
			case tc.fails:
				if err == nil || errors.As(err, &mbe) || got != nil {
					t.Fatalf("got %d bytes, %v; want an error that is not a MaxBytesError", len(got), err)
				}
			case err != nil || !bytes.Equal(got, tc.body):
				t.Fatalf("got %q, %v; want %q", got, err, tc.body)
			}
		})
	}
}

// TestReadBodyPooledCleared: a body read into a pooled buffer (a small one,
// whose Content-Length is known) is cleared when the buffer is released,
// and when the read fails; what a later request reads in the buffer is
// its own body only.
func TestReadBodyPooledCleared(t *testing.T) {
	secret := []byte(`{"Plaintext":"c2VjcmV0IHNlY3JldCBzZWNyZXQ="}`)
	read := func(body []byte, length int64) ([]byte, *[]byte, error) {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), length
		return readBody(httptest.NewRecorder(), r)
	}
	got, buf, err := read(secret, int64(len(secret)))
	if err != nil || buf == nil || !bytes.Equal(got, secret) {
		t.Fatalf("got %q, pooled %t, %v", got, buf != nil, err)
	}
	whole := (*buf)[:cap(*buf)]
	releaseBody(buf)
	if len(*buf) != 0 || !bytes.Equal(whole, make([]byte, len(whole))) {
		t.Fatal("a released body buffer still holds the body")
	}

	// A read that fails (the body is longer than announced) returns no
	// buffer, and the one it used is cleared.
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(secret)), int64(len(secret)-1)
	spy := make([]byte, 0, 1024)
	bodyBufs.Put(&spy) // most likely the next Get's
	if got, buf, err := readBody(httptest.NewRecorder(), r); err == nil || got != nil || buf != nil {
		t.Fatalf("got %q, pooled %t, %v; want an error alone", got, buf != nil, err)
	}
	if !bytes.Equal(spy[:cap(spy)], make([]byte, cap(spy))) {
		t.Fatal("a failed read left the body in a pooled buffer")
	}
}
