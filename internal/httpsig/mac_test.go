package httpsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestMAC: a MAC's sums are HMAC-SHA256's, from many goroutines at once
// (run with -race), and no fmt verb prints its key (a MAC is not copied:
// it holds a sync.Pool, which vet keeps from being copied).
func TestMAC(t *testing.T) {
	key := []byte("a key that must not be printed")
	m := NewMAC(key)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				msg := []byte(strings.Repeat("m", g*200+i))
				ref := hmac.New(sha256.New, key)
				ref.Write(msg)
				if got := m.Sum(msg); !hmac.Equal(got[:], ref.Sum(nil)) {
					t.Errorf("Sum(%d bytes) differs from HMAC-SHA256", len(msg))
					return
				}
			}
		})
	}
	wg.Wait()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for _, v := range []any{m, struct{ M *MAC }{m}, []*MAC{m}} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, string(key)) || strings.Contains(out, fmt.Sprintf("%x", key)) || strings.Contains(out, fmt.Sprint(key)) {
				t.Errorf("%s of %T prints the key: %s", verb, v, out)
			}
		}
	}
}

// TestCanonicalPieces holds the allocation-free pieces of the canonical
// forms to what they replaced: a header looked up through its canonical
// form, a path escaped segment by segment, a value's spaces collapsed.
func TestCanonicalPieces(t *testing.T) {
	h := http.Header{}
	for _, k := range []string{"X-Amz-Date", "Content-Type", "X-Amz-Target", "Amz-Sdk-Invocation-Id", "X-Custom_Header", "Weird Key", "X-1-2"} {
		h[k] = []string{"v-" + k}
	}
	for _, name := range []string{"x-amz-date", "content-type", "x-amz-target", "amz-sdk-invocation-id", "x-custom_header", "weird key", "x-1-2", "missing", "", "-x", "x--y", strings.Repeat("a", 80), "ünïcode"} {
		if got, want := headerValuesOf(h, name), h.Values(name); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("headerValuesOf(%q) = %q, want %q", name, got, want)
		}
	}
	for _, path := range []string{"", "/", "/a/b", "//x//", "/v1.0/p/kms/describe-key", "/a%2Fb/c d/é", "no-slash"} {
		segs := strings.Split(path, "/")
		for i, s := range segs {
			segs[i] = escape(s)
		}
		if got, want := string(appendEscaped(nil, path, true)), strings.Join(segs, "/"); got != want {
			t.Errorf("appendEscaped(%q) = %q, want %q", path, got, want)
		}
	}
	for _, v := range []string{"", "a", " a ", "a  b", "a \t b", "\ta\t", "a   b  c", "  ", "a b", "x\u00a0"} {
		want := strings.TrimSpace(strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == ' ' }), " "))
		if got := string(appendCollapsed(nil, v)); got != want {
			t.Errorf("appendCollapsed(%q) = %q, want %q", v, got, want)
		}
	}
}
