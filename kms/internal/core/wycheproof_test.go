package core

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"hash"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/qtenclave/qtenclave/internal/kwp"
)

// The Wycheproof RSAES-OAEP vectors (testdata/wycheproof, with their
// provenance and acceptance policy), decided by the KMS's own RSA
// decryption path: each group's private key is imported into an RSA key of
// its size, and every ciphertext goes through DecryptWith.

type oaepFile struct {
	NumberOfTests int         `json:"numberOfTests"`
	TestGroups    []oaepGroup `json:"testGroups"`
}

type oaepGroup struct {
	KeySize int    `json:"keySize"`
	SHA     string `json:"sha"`
	MGFSHA  string `json:"mgfSha"`
	PKCS8   string `json:"privateKeyPkcs8"`
	Tests   []struct {
		TCID   int      `json:"tcId"`
		Msg    string   `json:"msg"`
		CT     string   `json:"ct"`
		Label  string   `json:"label"`
		Result string   `json:"result"`
		Flags  []string `json:"flags"`
	} `json:"tests"`
}

// importRSA makes an external RSA ENCRYPT_DECRYPT key of spec and imports
// the PKCS#8 key into it, as import-key-material does.
func importRSA(t *testing.T, k *KMS, spec string, pkcs8 []byte) string {
	t.Helper()
	ctx := context.Background()
	key, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{Spec: spec, Usage: UsageEncryptDecrypt, Origin: "external"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.GetParametersForImport(ctx, testCaller, key.ID, keyEncryptionAlgorithm)
	if err != nil {
		t.Fatal(err)
	}
	wk, err := x509.ParsePKIXPublicKey(p.Public)
	if err != nil {
		t.Fatal(err)
	}
	kek := make([]byte, 32)
	rand.Read(kek)
	material, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, wk.(*rsa.PublicKey), kek, nil)
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := kwp.Wrap(kek, pkcs8)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.ImportKeyMaterial(ctx, testCaller, &ImportInput{KeyID: key.ID, Token: p.Token, EncryptedMaterial: material, EncryptedPrivate: wrapped}); err != nil {
		t.Fatal(err)
	}
	return key.ID
}

func TestWycheproofRSAOAEP(t *testing.T) {
	k := vectorKMS(t)
	ctx := context.Background()
	algs := map[string]string{"SHA-1": EncryptRSAOAEPSHA1, "SHA-256": EncryptRSAOAEPSHA256}
	hashes := map[string]func() hash.Hash{"SHA-1": sha1.New, "SHA-256": sha256.New}
	files, err := filepath.Glob(filepath.Join("testdata", "wycheproof", "rsa_oaep_*_test.json"))
	if err != nil || len(files) != 5 {
		t.Fatalf("vector files: %v, %v", files, err)
	}
	total := map[string]int{}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var f oaepFile
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, g := range f.TestGroups {
			alg := algs[g.SHA]
			if alg == "" || g.MGFSHA != g.SHA {
				t.Fatalf("%s: a group of %s / MGF1-%s, which no KMS algorithm is", name, g.SHA, g.MGFSHA)
			}
			other := EncryptRSAOAEPSHA256
			if alg == other {
				other = EncryptRSAOAEPSHA1
			}
			pkcs8 := mustHex(t, g.PKCS8)
			id := importRSA(t, k, "RSA_"+strconv.Itoa(g.KeySize), pkcs8)
			priv, err := x509.ParsePKCS8PrivateKey(pkcs8)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range g.Tests {
				msg, ct, label := mustHex(t, tc.Msg), mustHex(t, tc.CT), mustHex(t, tc.Label)
				out, err := k.DecryptWith(ctx, testCaller, &DecryptInput{KeyID: id, Ciphertext: ct, Algorithm: alg})
				switch {
				case tc.Result == "valid" && len(label) == 0:
					if err != nil || !bytes.Equal(out.Plaintext, msg) {
						t.Errorf("%s tcId %d (valid): %v", name, tc.TCID, err)
					}
					d, err := k.DecryptWith(ctx, testCaller, &DecryptInput{KeyID: id, Ciphertext: ct, Algorithm: other})
					if kind, _ := KindOf(err); kind != KindInvalidCiphertext || d != nil {
						t.Errorf("%s tcId %d: decrypts with %s too: %v", name, tc.TCID, other, err)
					}
					counts["valid"]++
				case tc.Result == "valid":
					// The vector is valid with its label, which the KMS never uses.
					if pt, err := rsa.DecryptOAEP(hashes[g.SHA](), nil, priv.(*rsa.PrivateKey), ct, label); err != nil || !bytes.Equal(pt, msg) {
						t.Fatalf("%s tcId %d: the vector does not decrypt with its label: %v", name, tc.TCID, err)
					}
					if kind, _ := KindOf(err); kind != KindInvalidCiphertext || out != nil {
						t.Errorf("%s tcId %d (valid with a label): the KMS decrypts it: %v", name, tc.TCID, err)
					}
					counts["valid, label"]++
				case tc.Result == "invalid":
					if kind, _ := KindOf(err); kind != KindInvalidCiphertext || out != nil {
						t.Errorf("%s tcId %d (invalid, %v): %v (kind %d)", name, tc.TCID, tc.Flags, err, kind)
					}
					counts["invalid"]++
				default:
					t.Fatalf("%s tcId %d: no policy for result %q", name, tc.TCID, tc.Result)
				}
			}
		}
		n := counts["valid"] + counts["valid, label"] + counts["invalid"]
		if n != f.NumberOfTests {
			t.Errorf("%s: %d of %d vectors decided", name, n, f.NumberOfTests)
		}
		t.Logf("%s: %d vectors decided: %v", filepath.Base(name), n, counts)
		for c, n := range counts {
			total[c] += n
		}
	}
	t.Logf("in all: %v", total)
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
