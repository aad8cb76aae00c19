package core

import (
	"crypto/cipher"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"math/big"

	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/kms/internal/store"
)

// openedKey is a key's material, parsed: once per version of its record,
// then cached by the store beside the sealed record (store.OpenKey), so
// that an operation neither unseals nor parses it again.
//
// The parsed key is behind a function, which fmt prints as its address
// with every verb and at every depth (as keyspec.PrivateKey keeps its
// scalar): a cipher.AEAD shows its key schedule and an *rsa.PrivateKey its
// numbers to fmt otherwise.
type openedKey struct {
	parts func() *keyParts
}

// keyParts holds the parsed key: exactly one field is set, by the key's
// spec.
type keyParts struct {
	aead cipher.AEAD         // AES_256 (AES-256-GCM) and SM4 (SM4-GCM)
	ec   *keyspec.PrivateKey // EC_P256, ..., SM2, with its public key
	rsa  *rsa.PrivateKey     // RSA_2048, RSA_3072, RSA_4096, precomputed
}

func newOpenedKey(p *keyParts) *openedKey { return &openedKey{parts: func() *keyParts { return p }} }

func (o *openedKey) aead() cipher.AEAD       { return o.parts().aead }
func (o *openedKey) ec() *keyspec.PrivateKey { return o.parts().ec }
func (o *openedKey) rsa() *rsa.PrivateKey    { return o.parts().rsa }

// Destroy clears the RSA key's numbers (its big.Int words are this
// package's), and drops the rest: crypto/aes, gmsm's SM4 and crypto/ecdh
// keep their key schedules and scalars where Go gives no way to clear them.
func (o *openedKey) Destroy() {
	if k := o.rsa(); k != nil {
		for _, n := range append([]*big.Int{k.D, k.Precomputed.Dp, k.Precomputed.Dq, k.Precomputed.Qinv}, k.Primes...) {
			if n != nil {
				clear(n.Bits())
			}
		}
	}
	o.parts = func() *keyParts { return new(keyParts) }
}

var errStoredKey = errors.New("kms: stored key material does not parse")

// parseMaterial parses the material of a key of a create-key spec.
func parseMaterial(spec string, material []byte) (*openedKey, error) {
	info := keySpecs[spec]
	switch {
	case info.symmetric:
		aead, err := cmkAEAD(spec, material)
		if err != nil {
			return nil, err
		}
		return newOpenedKey(&keyParts{aead: aead}), nil
	case info.rsaBits != 0:
		k, err := x509.ParsePKCS8PrivateKey(material)
		rk, ok := k.(*rsa.PrivateKey)
		if err != nil || !ok || rk.N.BitLen() != info.rsaBits {
			return nil, errStoredKey
		}
		return newOpenedKey(&keyParts{rsa: rk}), nil
	case info.curve != "":
		k, err := keyspec.ParsePrivateKey(material)
		if err != nil || k.Spec().String() != info.curve {
			return nil, errStoredKey
		}
		return newOpenedKey(&keyParts{ec: k}), nil
	}
	return nil, errStoredKey
}

// openKey returns the parsed material of rec, which must have its material,
// with a lease on it: release it when done with the key.
func (k *KMS) openKey(rec *store.Record) (*openedKey, store.Lease, error) {
	l, err := k.store.OpenKey(rec, func(material []byte) (store.Parsed, error) {
		o, err := parseMaterial(rec.Spec, material)
		if err != nil {
			return nil, err
		}
		return o, nil
	})
	if err != nil {
		return nil, store.Lease{}, err
	}
	return l.Key().(*openedKey), l, nil
}
