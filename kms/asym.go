package kms

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"

	"github.com/qtenclave/qtenclave/keyspec"
)

// Asymmetric keys are kept as PKCS#8 DER and published as DER
// SubjectPublicKeyInfo. RSA uses the standard library; the five EC specs use
// package keyspec, which validates every point it reads.

// generateKeyPair returns a new key of a data key pair spec (ECC_NIST_P256,
// ..., SM2, RSA_2048, ...) as PKCS#8 and SPKI.
func generateKeyPair(spec string) (pkcs8, spki []byte, err error) {
	if bits, ok := rsaPairSpecs[spec]; ok {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return nil, nil, err
		}
		return marshalRSA(k)
	}
	s, err := keyspec.ParseSpec(spec)
	if err != nil || !ecPairSpecs[spec] {
		return nil, nil, errors.New("kms: unknown key spec " + spec)
	}
	k, err := keyspec.GenerateKey(s)
	if err != nil {
		return nil, nil, err
	}
	return k.MarshalPKCS8(), k.PublicKey().MarshalPKIX(), nil
}

func marshalRSA(k *rsa.PrivateKey) (pkcs8, spki []byte, err error) {
	if pkcs8, err = x509.MarshalPKCS8PrivateKey(k); err != nil {
		return nil, nil, err
	}
	if spki, err = x509.MarshalPKIXPublicKey(&k.PublicKey); err != nil {
		return nil, nil, err
	}
	return pkcs8, spki, nil
}

// pairSpecOf returns the data key pair spec name of a create-key spec.
func pairSpecOf(createSpec string) string {
	if c := keySpecs[createSpec].curve; c != "" {
		return c
	}
	return createSpec // RSA_2048 etc. are spelled the same
}

var errKeyMismatch = errors.New("kms: private key does not match the key spec")

// publicOfPKCS8 checks that der is a PKCS#8 private key of the data key pair
// spec and returns its public key as SPKI.
func publicOfPKCS8(spec string, der []byte) ([]byte, error) {
	if bits, ok := rsaPairSpecs[spec]; ok {
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, errKeyMismatch
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok || rk.N.BitLen() != bits {
			return nil, errKeyMismatch
		}
		return x509.MarshalPKIXPublicKey(&rk.PublicKey)
	}
	k, err := keyspec.ParsePrivateKey(der)
	if err != nil || k.Spec().String() != spec {
		return nil, errKeyMismatch
	}
	return k.PublicKey().MarshalPKIX(), nil
}

// agree computes ECDH between a stored private key (PKCS#8 of spec) and a
// peer's SPKI, returning the x-coordinate. A peer key that does not parse or
// is not on its curve is a kindInvalidPublicKey error; one of another spec
// is a kindSpecMismatch error.
func agree(spec string, pkcs8, peerSPKI []byte) ([]byte, error) {
	priv, err := keyspec.ParsePrivateKey(pkcs8)
	if err != nil || priv.Spec().String() != spec {
		return nil, errors.New("kms: stored private key does not parse")
	}
	peer, err := keyspec.ParsePublicKey(peerSPKI)
	if errors.Is(err, keyspec.ErrUnknownSpec) {
		return nil, wrapf(kindSpecMismatch, err, "public_key is not a key of spec %s", spec)
	}
	if err != nil {
		return nil, wrapf(kindInvalidPublicKey, err, "public_key is not a valid DER SubjectPublicKeyInfo of an EC key")
	}
	secret, err := priv.ECDH(peer)
	if errors.Is(err, keyspec.ErrSpecMismatch) {
		return nil, wrapf(kindSpecMismatch, err, "public_key is a %v key, the key is %s", peer.Spec(), spec)
	}
	if err != nil {
		return nil, wrapf(kindInvalidPublicKey, err, "public_key does not agree with the key")
	}
	return secret, nil
}
