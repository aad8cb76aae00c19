package core

import (
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"math/big"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

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

// keyParts holds the parsed key: aead, rsa or ec is set, by the key's
// spec, and beside ec the same key as its signing library takes it.
type keyParts struct {
	aead cipher.AEAD // AES_256 (AES-256-GCM) and SM4 (SM4-GCM)
	// cmk is aead with its key's ID and spec, made once (openKey) for
	// the symmetric data path.
	cmk *cmk
	ec  *keyspec.PrivateKey // EC_P256, ..., SM2, with its public key
	rsa *rsa.PrivateKey     // RSA_2048, RSA_3072, RSA_4096, precomputed
	// priv is the EC key for signing and SM2 decryption: an
	// *ecdsa.PrivateKey (NIST curves), *sm2.PrivateKey or
	// *secp256k1.PrivateKey; nil if that library refuses the material
	// (then signing with it fails with errStoredKey).
	priv any
}

func newOpenedKey(p *keyParts) *openedKey { return &openedKey{parts: func() *keyParts { return p }} }

func (o *openedKey) aead() cipher.AEAD       { return o.parts().aead }
func (o *openedKey) cmk() *cmk               { return o.parts().cmk }
func (o *openedKey) ec() *keyspec.PrivateKey { return o.parts().ec }
func (o *openedKey) rsa() *rsa.PrivateKey    { return o.parts().rsa }
func (o *openedKey) priv() any               { return o.parts().priv }

// Destroy clears the RSA key's numbers and an SM2 or secp256k1 signing
// key's scalar (their words are this package's), and drops the rest:
// crypto/aes, gmsm's SM4, crypto/ecdh and crypto/ecdsa keep their key
// schedules and scalars where Go gives no way to clear them.
func (o *openedKey) Destroy() {
	var secret []*big.Int
	if k := o.rsa(); k != nil {
		secret = append([]*big.Int{k.D, k.Precomputed.Dp, k.Precomputed.Dq, k.Precomputed.Qinv}, k.Primes...)
	}
	switch k := o.priv().(type) {
	case *sm2.PrivateKey: // gmsm signs and decrypts with D itself
		secret = append(secret, k.D)
	case *secp256k1.PrivateKey:
		k.Zero()
	}
	for _, n := range secret {
		if n != nil {
			clear(n.Bits())
		}
	}
	o.parts = func() *keyParts { return new(keyParts) }
}

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
		return newOpenedKey(&keyParts{ec: k, priv: signingKey(info.curve, material)}), nil
	}
	return nil, errStoredKey
}

// signingKey parses the PKCS#8 material of an EC key of a data key pair
// spec for its signing library, or returns nil.
func signingKey(spec string, pkcs8 []byte) any {
	switch spec {
	case "ECC_SECG_P256K1":
		scalar, err := ecScalar(pkcs8)
		if err != nil {
			return nil
		}
		defer clear(scalar)
		return secp256k1.PrivKeyFromBytes(scalar)
	case "SM2":
		if k, err := smx509.ParsePKCS8PrivateKey(pkcs8); err == nil {
			if priv, ok := k.(*sm2.PrivateKey); ok {
				return priv
			}
		}
		return nil
	}
	if k, err := x509.ParsePKCS8PrivateKey(pkcs8); err == nil {
		if priv, ok := k.(*ecdsa.PrivateKey); ok {
			return priv
		}
	}
	return nil
}

// openKey returns the parsed material of rec, which must have its material,
// with a lease on it: release it when done with the key.
func (k *KMS) openKey(rec *store.Record) (*openedKey, store.Lease, error) {
	l, err := k.store.OpenKey(rec, func(material []byte) (store.Parsed, error) {
		o, err := parseMaterial(rec.Spec, material)
		if err != nil {
			return nil, err
		}
		if p := o.parts(); p.aead != nil {
			p.cmk = &cmk{id: rec.ID, spec: rec.Spec, aead: p.aead}
		}
		return o, nil
	})
	if err != nil {
		return nil, store.Lease{}, err
	}
	return l.Key().(*openedKey), l, nil
}
