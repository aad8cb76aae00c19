package recipient

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"

	"github.com/qtenclave/qtenclave/envelope"
)

// Wycheproof acceptance policy: there are no "acceptable" cases in these
// files; every "valid" case must decrypt to its message and every "invalid"
// case must fail with ErrDecryption. Any other result fails the test.

type wycheproofFile[G any] struct {
	Algorithm     string `json:"algorithm"`
	NumberOfTests int    `json:"numberOfTests"`
	TestGroups    []G    `json:"testGroups"`
}

type wycheproofCase struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Flags   []string `json:"flags"`
	Key     string   `json:"key"`
	IV      string   `json:"iv"`
	Msg     string   `json:"msg"`
	CT      string   `json:"ct"`
	Label   string   `json:"label"`
	Result  string   `json:"result"`
}

type tally struct{ valid, invalid int }

func (c *wycheproofCase) decode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("tcId %d: %v", c.TcID, err)
	}
	return b
}

// check records one decided case, failing the test unless the outcome is
// what the file says.
func (c *wycheproofCase) check(t *testing.T, n *tally, got []byte, err error) {
	t.Helper()
	switch c.Result {
	case "valid":
		if err != nil || !bytes.Equal(got, c.decode(t, c.Msg)) {
			t.Errorf("tcId %d (%s): valid case: %x, %v", c.TcID, c.Comment, got, err)
			return
		}
		n.valid++
	case "invalid":
		if !errors.Is(err, ErrDecryption) || got != nil {
			t.Errorf("tcId %d (%s): invalid case: %x, %v", c.TcID, c.Comment, got, err)
			return
		}
		n.invalid++
	default:
		t.Errorf("tcId %d: result %q is not covered by the policy", c.TcID, c.Result)
	}
}

func TestWycheproofRSAOAEP(t *testing.T) {
	for _, name := range []string{
		"wycheproof/rsa_oaep_2048_sha256_mgf1sha256_test.json",
		"wycheproof/rsa_oaep_3072_sha256_mgf1sha256_test.json",
		"wycheproof/rsa_oaep_4096_sha256_mgf1sha256_test.json",
	} {
		var f wycheproofFile[struct {
			SHA        string           `json:"sha"`
			MGFSHA     string           `json:"mgfSha"`
			PrivateKey string           `json:"privateKeyPkcs8"`
			Tests      []wycheproofCase `json:"tests"`
		}]
		if err := json.Unmarshal(readTestdata(t, name), &f); err != nil {
			t.Fatal(err)
		}
		var n tally
		for _, g := range f.TestGroups {
			if g.SHA != "SHA-256" || g.MGFSHA != "SHA-256" {
				t.Fatalf("%s: group with %s/%s", name, g.SHA, g.MGFSHA)
			}
			der, err := hex.DecodeString(g.PrivateKey)
			if err != nil {
				t.Fatal(err)
			}
			key := parseKey(t, der)
			for _, c := range g.Tests {
				got, err := oaepDecrypt(key, c.decode(t, c.CT), c.decode(t, c.Label))
				c.check(t, &n, got, err)
			}
		}
		if n.valid+n.invalid != f.NumberOfTests {
			t.Errorf("%s: decided %d of %d cases", name, n.valid+n.invalid, f.NumberOfTests)
		}
		t.Logf("%s: %d cases: %d valid opened, %d invalid refused", name, f.NumberOfTests, n.valid, n.invalid)
	}
}

func TestWycheproofAESCBC(t *testing.T) {
	const name = "wycheproof/aes_cbc_pkcs5_test.json"
	var f wycheproofFile[struct {
		KeySize int              `json:"keySize"`
		IVSize  int              `json:"ivSize"`
		Tests   []wycheproofCase `json:"tests"`
	}]
	if err := json.Unmarshal(readTestdata(t, name), &f); err != nil {
		t.Fatal(err)
	}
	ciphers := map[int]envelope.Cipher{128: envelope.AES128CBC, 192: envelope.AES192CBC, 256: envelope.AES256CBC}
	var n tally
	for _, g := range f.TestGroups {
		c, ok := ciphers[g.KeySize]
		if !ok || g.IVSize != 128 {
			t.Fatalf("group with key size %d, IV size %d", g.KeySize, g.IVSize)
		}
		for _, tc := range g.Tests {
			key, iv, ct := tc.decode(t, tc.Key), tc.decode(t, tc.IV), tc.decode(t, tc.CT)
			got, err := decryptContent(c, key, iv, ct)
			tc.check(t, &n, got, err)
			if tc.Result == "valid" { // and encryption gives the same ciphertext
				enc, err := encryptContent(c, key, iv, tc.decode(t, tc.Msg))
				if err != nil || !bytes.Equal(enc, ct) {
					t.Errorf("tcId %d: encryption differs: %v", tc.TcID, err)
				}
			}
		}
	}
	if n.valid+n.invalid != f.NumberOfTests {
		t.Errorf("%s: decided %d of %d cases", name, n.valid+n.invalid, f.NumberOfTests)
	}
	t.Logf("%s: %d cases: %d valid opened, %d invalid refused", name, f.NumberOfTests, n.valid, n.invalid)
}
