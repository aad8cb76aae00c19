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
			got, err := readBody(httptest.NewRecorder(), r)
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
