package keyspec

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Wycheproof vectors pinned at C2SP/wycheproof commit dac1dd47 (see
// testdata/PROVENANCE.md).
var wycheproofFiles = []struct {
	file     string
	ecpoint  bool // public key is a bare SEC 1 point, not a SubjectPublicKeyInfo
	numTests int  // as counted in PROVENANCE.md
}{
	{"ecdh_secp256r1_test.json", false, 612},
	{"ecdh_secp384r1_test.json", false, 1047},
	{"ecdh_secp521r1_test.json", false, 916},
	{"ecdh_secp256k1_test.json", false, 752},
	{"ecdh_secp256r1_ecpoint_test.json", true, 355},
	{"ecdh_secp384r1_ecpoint_test.json", true, 790},
	{"ecdh_secp521r1_ecpoint_test.json", true, 661},
}

var wycheproofCurves = map[string]Spec{
	"secp256r1": P256,
	"secp384r1": P384,
	"secp521r1": P521,
	"secp256k1": Secp256k1,
}

type wycheproofECDH struct {
	NumberOfTests int `json:"numberOfTests"`
	TestGroups    []struct {
		Curve    string `json:"curve"`
		Encoding string `json:"encoding"`
		Tests    []struct {
			TcID    int      `json:"tcId"`
			Comment string   `json:"comment"`
			Flags   []string `json:"flags"`
			Public  string   `json:"public"`
			Private string   `json:"private"`
			Shared  string   `json:"shared"`
			Result  string   `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// acceptablePolicy decides a Wycheproof "acceptable" case, as written in
// the package documentation: compressed public keys are accepted (and must
// then give the expected secret); every other acceptable case (non-DER
// ASN.1, explicit or modified curve parameters) is rejected.
func acceptablePolicy(flags []string) bool {
	return slices.Contains(flags, "CompressedPublic")
}

// fixedFromHex returns a Wycheproof, NIST or SM2 vector integer (a private
// key or a coordinate) in big-endian hex that may carry extra or fewer leading zeros,
// as bytes of the spec's size.
func fixedFromHex(s Spec, h string) ([]byte, error) {
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimLeft(b, "\x00")
	size := curves[s].size
	if len(b) > size {
		return nil, fmt.Errorf("integer of %d bytes for %v", len(b), s)
	}
	return append(make([]byte, size-len(b)), b...), nil
}

func TestWycheproofECDH(t *testing.T) {
	for _, f := range wycheproofFiles {
		t.Run(f.file, func(t *testing.T) {
			var file wycheproofECDH
			if err := json.Unmarshal(readTestdata(t, "wycheproof/"+f.file), &file); err != nil {
				t.Fatal(err)
			}
			var total, valid, invalid, accepted, rejected, failed int
			keys := map[string]*PrivateKey{}
			for _, g := range file.TestGroups {
				s, ok := wycheproofCurves[g.Curve]
				if !ok {
					t.Fatalf("group curve %q is not one of ours", g.Curve)
				}
				if want := map[bool]string{false: "asn", true: "ecpoint"}[f.ecpoint]; g.Encoding != want {
					t.Fatalf("group encoding %q, want %q", g.Encoding, want)
				}
				for _, tc := range g.Tests {
					total++
					var wantAccept bool
					switch tc.Result {
					case "valid":
						wantAccept = true
						valid++
					case "invalid":
						invalid++
					case "acceptable":
						wantAccept = acceptablePolicy(tc.Flags)
						if wantAccept {
							accepted++
						} else {
							rejected++
						}
					default:
						t.Fatalf("tcId %d: result %q", tc.TcID, tc.Result)
					}
					// Cases share few private keys (37 among 916 for P-521):
					// derive each public key once.
					priv, ok := keys[tc.Private]
					if !ok {
						scalar, err := fixedFromHex(s, tc.Private)
						if err != nil {
							t.Fatalf("tcId %d: %v", tc.TcID, err)
						}
						if priv, err = NewPrivateKey(s, scalar); err != nil {
							t.Fatalf("tcId %d: private key: %v", tc.TcID, err)
						}
						keys[tc.Private] = priv
					}
					if err := runWycheproofCase(priv, f.ecpoint, tc.Public, tc.Shared, wantAccept); err != nil {
						failed++
						t.Errorf("tcId %d (%s, %s, %v): %v", tc.TcID, tc.Result, tc.Comment, tc.Flags, err)
					}
				}
			}
			if total != file.NumberOfTests || total != f.numTests {
				t.Errorf("ran %d cases; the file says %d, PROVENANCE.md %d", total, file.NumberOfTests, f.numTests)
			}
			t.Logf("wycheproof %s: %d cases: %d passed (%d valid computed, %d invalid rejected, %d acceptable accepted by policy, %d acceptable rejected by policy), %d failed, 0 skipped",
				f.file, total, total-failed, valid, invalid, accepted, rejected, failed)
		})
	}
}

// runWycheproofCase runs one case and returns why it did not come out as
// wanted.
func runWycheproofCase(priv *PrivateKey, ecpoint bool, public, shared string, wantAccept bool) error {
	pubBytes, err := hex.DecodeString(public)
	if err != nil {
		return err
	}
	var pub *PublicKey
	if ecpoint {
		pub, err = NewPublicKey(priv.Spec(), pubBytes)
	} else {
		pub, err = ParsePublicKey(pubBytes)
	}
	var z []byte
	if err == nil {
		z, err = priv.ECDH(pub)
	}
	switch {
	case err != nil && wantAccept:
		return fmt.Errorf("rejected: %v", err)
	case err != nil:
		if !errors.Is(err, ErrInvalidKey) && !errors.Is(err, ErrUnknownSpec) && !errors.Is(err, ErrSpecMismatch) {
			return fmt.Errorf("rejected without a sentinel error: %v", err)
		}
		if z != nil || (pub != nil && ecpoint) {
			return fmt.Errorf("rejected but returned a result")
		}
		return nil
	case !wantAccept:
		return fmt.Errorf("accepted, shared %x", z)
	}
	want, err := hex.DecodeString(shared)
	if err != nil {
		return err
	}
	if !bytes.Equal(z, want) {
		return fmt.Errorf("shared %x, want %x", z, want)
	}
	return nil
}

// readTestdata returns the contents of a file under testdata (external
// vectors: see testdata/PROVENANCE.md).
func readTestdata(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(rel)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
