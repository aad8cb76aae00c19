package recipient

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"
)

// Key is an enclave's ephemeral RSA key: the private key never leaves it,
// and its public half goes into the attestation document as public_key.
// It prints no key material with fmt, and is safe for concurrent use.
type Key struct {
	priv *rsa.PrivateKey
	der  []byte // DER SubjectPublicKeyInfo
}

var _ crypto.Decrypter = (*Key)(nil)

// GenerateKey makes a new RSA key of 2048, 3072 or 4096 bits (the sizes KMS
// accepts) from crypto/rand. AWS documents 2048, which is the fastest.
func GenerateKey(bits int) (*Key, error) {
	switch bits {
	case 2048, 3072, 4096:
	default:
		return nil, fmt.Errorf("recipient: RSA key of %d bits (want 2048, 3072 or 4096)", bits)
	}
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	return &Key{priv: priv, der: der}, nil
}

// Public returns the *rsa.PublicKey.
func (k *Key) Public() crypto.PublicKey { return &k.priv.PublicKey }

// PublicKeyDER returns the DER SubjectPublicKeyInfo of the public key: the
// attestation document's public_key, whose SHA-256 KMS uses as the
// envelope's recipient identifier.
func (k *Key) PublicKeyDER() []byte { return bytes.Clone(k.der) }

// Decrypt decrypts with the private key, as *rsa.PrivateKey does; Open calls
// it with *rsa.OAEPOptions.
func (k *Key) Decrypt(rand io.Reader, ciphertext []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	return k.priv.Decrypt(rand, ciphertext, opts)
}

func (k *Key) spki() []byte { return k.der }
