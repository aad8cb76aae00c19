package envelope

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ ber, der string }{
		{"3000", "3000"},
		{"30800000", "3000"},
		{"3080020101 0000", "3003020101"},
		{"30 80 30 80 0000 0000", "3002 3000"},
		// constructed OCTET STRINGs, nested, definite or not, are joined
		{"2480 040101 040102 0000", "04020102"},
		{"2480 2480 040101 0000 2406 040102 040103 0000", "0403010203"},
		{"2400", "0400"},
		// an implicitly tagged constructed [0] keeps its chunks (parse joins them)
		{"a080 040101 0000", "a003040101"},
		// a child may be indefinite inside a definite parent
		{"3004 30800000", "30023000"},
	} {
		ber, der := unhexSpaced(t, c.ber), unhexSpaced(t, c.der)
		got, err := normalize(ber)
		if err != nil || !bytes.Equal(got, der) {
			t.Errorf("%s: %x, %v; want %x", c.ber, got, err, der)
		}
	}
	// Long lengths stay minimal, and chunks of a long string are joined.
	long := append([]byte{0x04, 0x81, 0x80}, make([]byte, 0x80)...)
	if got, err := normalize(long); err != nil || !bytes.Equal(got, long) {
		t.Errorf("long OCTET STRING: %v", err)
	}
	chunked := append(append([]byte{0x24, 0x80, 0x04, 0x7f}, make([]byte, 0x7f)...), 0x04, 0x01, 0x00, 0x00, 0x00)
	if got, err := normalize(chunked); err != nil || !bytes.Equal(got, long) {
		t.Errorf("chunked OCTET STRING: %x, %v", got, err)
	}
	for _, bad := range []string{
		"", "30", "3080", "308000", "3081", "308100", "30810100", "3082000100",
		"3001", "1f0100", "0480", "2480 020101 0000", "2480 a00100 0000",
		"2302 0300", "0c80 0000", "3000 00", "0000", "3002 0000",
		"3080 0400", "30 84 00000001 00",
	} {
		if got, err := normalize(unhexSpaced(t, bad)); err == nil || got != nil || !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %x, %v", bad, got, err)
		}
	}
}

func unhexSpaced(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLimits(t *testing.T) {
	// maxElements: a SEQUENCE of too many empty SEQUENCEs.
	many := bytes.Repeat([]byte{0x30, 0x00}, maxElements)
	in := append([]byte{0x30, 0x83, byte(len(many) >> 16), byte(len(many) >> 8), byte(len(many))}, many...)
	if _, err := normalize(in); !errors.Is(err, ErrMalformed) {
		t.Errorf("too many elements: %v", err)
	}
	if _, err := normalize(in[:len(in)-2]); err == nil {
		t.Error("truncated input accepted")
	}
	fits := bytes.Repeat([]byte{0x30, 0x00}, maxElements-1)
	in = append([]byte{0x30, 0x83, byte(len(fits) >> 16), byte(len(fits) >> 8), byte(len(fits))}, fits...)
	if _, err := normalize(in); err == nil {
		t.Error("long form length 0x83 with a small value accepted") // non-minimal
	}
	in = append([]byte{0x30, 0x82, byte(len(fits) >> 8), byte(len(fits))}, fits...)
	if _, err := normalize(in); err != nil {
		t.Errorf("%d elements: %v", maxElements, err)
	}
	// maxDepth: nesting exactly at the limit passes, one more fails.
	if _, err := normalize(deep(maxDepth + 1)); err != nil {
		t.Errorf("depth %d: %v", maxDepth, err)
	}
	if _, err := normalize(deep(maxDepth + 2)); !errors.Is(err, ErrMalformed) {
		t.Errorf("depth %d: %v", maxDepth+1, err)
	}
}
