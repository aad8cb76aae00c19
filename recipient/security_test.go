package recipient

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"testing/cryptotest"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/envelope"
)

// TestUnpad compares the constant-time unpadding with a plain reference
// on every last byte value and every position of a wrong padding byte.
func TestUnpad(t *testing.T) {
	ref := func(b []byte) (int, bool) {
		p := int(b[len(b)-1])
		if p < 1 || p > blockSize {
			return 0, false
		}
		for _, c := range b[len(b)-p:] {
			if int(c) != p {
				return 0, false
			}
		}
		return p, true
	}
	for p := range 256 {
		for wrong := -1; wrong < blockSize; wrong++ {
			b := bytes.Repeat([]byte{byte(p)}, 2*blockSize)
			if wrong >= 0 {
				b[len(b)-1-wrong] ^= 0x40
				if wrong == 0 {
					continue // that changes p itself
				}
			}
			n, good := unpad(b)
			wn, wgood := ref(b)
			if n != wn || (good == 1) != wgood {
				t.Fatalf("p=%d wrong=%d: (%d, %d), want (%d, %v)", p, wrong, n, good, wn, wgood)
			}
		}
	}
}

// secretPlaintext is recognisable in any output it might leak into.
var secretPlaintext = []byte("PLAINTEXT-MUST-NOT-LEAK-0123456789")

// TestTampering changes single bytes of sealed envelopes (both shapes):
// every position, with every other value outside the encrypted key, IV and
// content, with three masks in the IV and content, and one in the encrypted
// key (each of those costs an RSA decryption).
//
// The envelope is not authenticated, so CBC lets a change to the IV or to
// any content block but the last open to different bytes; that is what the
// package documentation warns about. The test requires that every other
// change fails, and that no change ever opens to the original plaintext.
func TestTampering(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 42)
	key := testKey(t, 2048)
	for _, shape := range []envelope.Shape{envelope.AWS, envelope.DER} {
		blob, err := Seal(secretPlaintext, &key.PublicKey, SealOptions{Shape: shape})
		if err != nil {
			t.Fatal(err)
		}
		env, err := envelope.Parse(blob)
		if err != nil {
			t.Fatal(err)
		}
		ekAt := bytes.Index(blob, env.Recipients[0].EncryptedKey)
		ivAt := bytes.Index(blob, env.IV)
		ctAt := bytes.Index(blob, env.Ciphertext)
		ctEnd := ctAt + len(env.Ciphertext)
		lastBlock := ctEnd - blockSize
		var tries, parseErrs, decErrs, malleable int
		for i := range blob {
			inKey := i >= ekAt && i < ekAt+len(env.Recipients[0].EncryptedKey)
			inContent := i >= ivAt && i < ivAt+len(env.IV) || i >= ctAt && i < ctEnd
			var masks []byte
			switch {
			case inKey: // every change is an RSAES-OAEP failure
				masks = []byte{0x01}
			case inContent:
				masks = []byte{0x01, 0x80, 0xff}
			default:
				masks = make([]byte, 255)
				for m := range masks {
					masks[m] = byte(m + 1)
				}
			}
			for _, m := range masks {
				b := bytes.Clone(blob)
				b[i] ^= m
				tries++
				got, err := Open(b, key, OpenOptions{})
				checkNoLeak(t, err)
				switch {
				case err == nil:
					if bytes.Equal(got, secretPlaintext) {
						t.Fatalf("%v: byte %d ^ %#x opens to the original plaintext", shape, i, m)
					}
					if i < ivAt || i >= lastBlock || (i >= ivAt+len(env.IV) && i < ctAt) {
						t.Fatalf("%v: byte %d ^ %#x (outside the IV and the content's malleable blocks) opened", shape, i, m)
					}
					malleable++
				case got != nil:
					t.Fatalf("%v: byte %d: a result beside an error", shape, i)
				case errors.Is(err, ErrDecryption):
					decErrs++
				case errors.Is(err, envelope.ErrMalformed), errors.Is(err, envelope.ErrUnsupported):
					parseErrs++
				default:
					t.Fatalf("%v: byte %d ^ %#x: unexpected error %v", shape, i, m, err)
				}
			}
		}
		t.Logf("%v: %d tamperings of %d bytes: %d refused by the parser, %d ErrDecryption, %d opened to other bytes (CBC malleability of IV and content)",
			shape, tries, len(blob), parseErrs, decErrs, malleable)
	}
}

// checkNoLeak fails if an error shows the plaintext or the test keys'
// private values.
func checkNoLeak(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if s := err.Error(); containsSecret(t, s) {
		t.Fatalf("error leaks a secret: %s", s)
	}
}

var (
	needlesOnce sync.Once
	needles     []string
)

func containsSecret(t *testing.T, s string) bool {
	t.Helper()
	needlesOnce.Do(func() {
		needles = []string{string(secretPlaintext), hex.EncodeToString(secretPlaintext), fmt.Sprint(secretPlaintext[:8])}
		for _, bits := range testKeySizes {
			k := testKey(t, bits)
			for _, v := range append([]*big.Int{k.D}, k.Primes...) {
				b := v.Bytes()
				needles = append(needles, v.String()[:20], v.Text(16)[:20], hex.EncodeToString(b[:10]), fmt.Sprint(b[:6])[1:])
			}
		}
	})
	s = strings.ToLower(s)
	for _, n := range needles {
		if strings.Contains(s, n) {
			return true
		}
	}
	return false
}

// TestNoSecretsPrinted formats every exported type of this package and of
// package envelope, filled as in real use, with %v, %+v and %#v.
func TestNoSecretsPrinted(t *testing.T) {
	key := testKey(t, 2048)
	k := &Key{priv: key, der: mustSPKI(t, key)}
	blob, err := Seal(secretPlaintext, &key.PublicKey, SealOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env, err := envelope.Parse(blob)
	if err != nil {
		t.Fatal(err)
	}
	values := []any{
		k, *k,
		SealOptions{Shape: envelope.DER},
		OpenOptions{Certificate: parseCert(t, readCMSVector(t, "openssl_cms/rsa2048.crt.pem"))},
		env, *env, env.Recipients[0], env.Cipher, envelope.DER,
		ErrDecryption,
		&attestation.Document{PublicKey: k.PublicKeyDER()},
	}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
			if s := fmt.Sprintf(verb, v); containsSecret(t, s) {
				t.Errorf("%T printed with %s shows a secret", v, verb)
			}
		}
	}
	// The check itself works: a bare *rsa.PrivateKey does print its
	// private values (Go 1.26), which is why Key hides it behind a pointer.
	if !containsSecret(t, fmt.Sprintf("%+v", *key)) {
		t.Fatal("containsSecret misses a printed private key")
	}
}

// TestZeroedOnFailure checks that the content buffer is cleared when the
// padding check fails.
func TestZeroedOnFailure(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	iv := make([]byte, blockSize)
	ct, err := encryptContent(envelope.AES256CBC, key, iv, secretPlaintext)
	if err != nil {
		t.Fatal(err)
	}
	ct[len(ct)-blockSize-1] ^= 0x55 // corrupt the padding of the last block
	block, err := newBlock(envelope.AES256CBC, key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(ct))
	if n, ok := cbcOpen(block, iv, ct, out); ok || n != 0 {
		t.Fatalf("bad padding accepted: %d", n)
	}
	if !bytes.Equal(out, make([]byte, len(ct))) {
		t.Fatalf("output buffer not zeroed: %x", out)
	}
	if got, err := decryptContent(envelope.AES256CBC, key, iv, ct); !errors.Is(err, ErrDecryption) || got != nil {
		t.Fatalf("%q, %v", got, err)
	}
}

func mustSPKI(t *testing.T, k *rsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
