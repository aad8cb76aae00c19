package recipient

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"errors"
	"io"
	"testing"

	"github.com/qtenclave/qtenclave/envelope"
)

// tableKey answers like RSAES-OAEP decryption with a real key, from a table
// of the seed envelopes' encrypted keys: any other ciphertext fails, as a
// changed OAEP block does. It keeps the RSA private operation (crypto/rsa's,
// checked by the Wycheproof tests) out of the fuzz loop, so the fuzzer
// spends its time on parsing, recipient matching and unpadding.
type tableKey struct {
	pub   *rsa.PublicKey
	table map[string][]byte
}

func (k *tableKey) Public() crypto.PublicKey { return k.pub }

func (k *tableKey) Decrypt(_ io.Reader, ciphertext []byte, _ crypto.DecrypterOpts) ([]byte, error) {
	if cek, ok := k.table[string(ciphertext)]; ok {
		return bytes.Clone(cek), nil
	}
	return nil, errors.New("decryption error")
}

// FuzzOpen: Open never panics, returns a result or an error but not both,
// fails after parsing only with ErrDecryption, and never puts the
// plaintext in an error.
func FuzzOpen(f *testing.F) {
	priv := parseKey(f, readCMSVector(f, "aws_kms_recipient/edgebit_recipient_rsa2048.key.pem"))
	key := &tableKey{pub: &priv.PublicKey, table: map[string][]byte{}}
	seeds := [][]byte{readCMSVector(f, "aws_kms_recipient/edgebit_ciphertext_for_recipient.ber")}
	for _, shape := range []envelope.Shape{envelope.AWS, envelope.DER} {
		for _, n := range []int{0, 32, 100} {
			b, err := Seal(bytes.Repeat(secretPlaintext, n/len(secretPlaintext)+1)[:n], &priv.PublicKey, SealOptions{Shape: shape})
			if err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, b)
		}
	}
	for _, s := range seeds {
		env, err := envelope.Parse(s)
		if err != nil {
			f.Fatal(err)
		}
		ek := env.Recipients[0].EncryptedKey
		cek, err := rsa.DecryptOAEP(crypto.SHA256.New(), nil, priv, ek, nil)
		if err != nil {
			f.Fatal(err)
		}
		key.table[string(ek)] = cek
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, err := Open(b, key, OpenOptions{})
		switch {
		case err == nil:
			if pt == nil {
				t.Fatal("nil result without an error")
			}
		case pt != nil:
			t.Fatal("result beside an error")
		case errors.Is(err, ErrDecryption), errors.Is(err, envelope.ErrMalformed), errors.Is(err, envelope.ErrUnsupported):
			if bytes.Contains([]byte(err.Error()), secretPlaintext[:8]) {
				t.Fatalf("error shows the plaintext: %v", err)
			}
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	})
}
