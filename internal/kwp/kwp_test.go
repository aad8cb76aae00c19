package kwp

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// TestKWPWycheproof runs every case of Wycheproof's aes_kwp_test.json
// (testdata/README.md): valid cases must wrap to ct and unwrap to msg;
// invalid ones must fail to unwrap with ErrUnwrap. The file has no
// "acceptable" case.
func TestKWPWycheproof(t *testing.T) {
	var f struct {
		NumberOfTests int
		TestGroups    []struct {
			KeySize int
			Tests   []struct {
				TcID    int `json:"tcId"`
				Comment string
				Key     string
				Msg     string
				Ct      string
				Result  string
			}
		}
	}
	b, err := os.ReadFile("testdata/aes_kwp_test.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			key, _ := hex.DecodeString(tc.Key)
			msg, _ := hex.DecodeString(tc.Msg)
			ct, _ := hex.DecodeString(tc.Ct)
			got, err := Unwrap(key, ct)
			switch tc.Result {
			case "valid":
				if err != nil || !bytes.Equal(got, msg) {
					t.Errorf("tc %d (%s): unwrap = %x, %v", tc.TcID, tc.Comment, got, err)
				}
				w, err := Wrap(key, msg)
				if err != nil || !bytes.Equal(w, ct) {
					t.Errorf("tc %d (%s): wrap = %x, %v", tc.TcID, tc.Comment, w, err)
				}
			case "invalid":
				if !errors.Is(err, ErrUnwrap) || got != nil {
					t.Errorf("tc %d (%s): unwrap of invalid input = %x, %v", tc.TcID, tc.Comment, got, err)
				}
			default:
				t.Fatalf("tc %d: unexpected result %q", tc.TcID, tc.Result)
			}
			count[tc.Result]++
		}
	}
	if n := count["valid"] + count["invalid"]; n != f.NumberOfTests {
		t.Fatalf("ran %d cases, file has %d", n, f.NumberOfTests)
	}
	t.Logf("aes_kwp_test.json: %d valid, %d invalid", count["valid"], count["invalid"])
}

func FuzzUnwrapKWP(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 32)
	w, _ := Wrap(key, []byte("a private key of some length....."))
	f.Add(w)
	f.Add(make([]byte, 16))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Unwrap(key, in)
		if err != nil {
			if out != nil || !errors.Is(err, ErrUnwrap) {
				t.Fatalf("failed unwrap returned %x, %v", out, err)
			}
			return
		}
		again, err := Wrap(key, out)
		if err != nil || !bytes.Equal(again, in) {
			t.Fatalf("unwrap/wrap does not round-trip")
		}
	})
}
