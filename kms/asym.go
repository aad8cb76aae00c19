package kms

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
)

// Asymmetric keys are kept as PKCS#8 DER and published as DER
// SubjectPublicKeyInfo. RSA uses the standard library; the EC specs use
// keyspec, the project's one implementation of the KMS curves.

// errNoCurves reports an EC operation before keyspec is wired in.
var errNoCurves = errors.New("kms: EC key specs are not available in this build")

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
	if ecPairSpecs[spec] {
		return nil, nil, errNoCurves
	}
	return nil, nil, errors.New("kms: unknown key spec " + spec)
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
	info := keySpecs[createSpec]
	if info.curve != "" {
		return info.curve
	}
	return createSpec // RSA_2048 etc. are spelled the same
}

// publicOfPKCS8 checks that der is a PKCS#8 private key of the data key pair
// spec and returns its public key as SPKI.
func publicOfPKCS8(spec string, der []byte) ([]byte, error) {
	if bits, ok := rsaPairSpecs[spec]; ok {
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, errors.New("kms: private key is not PKCS#8")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok || rk.N.BitLen() != bits {
			return nil, errors.New("kms: private key does not match the key spec")
		}
		return x509.MarshalPKIXPublicKey(&rk.PublicKey)
	}
	if ecPairSpecs[spec] {
		return nil, errNoCurves
	}
	return nil, errors.New("kms: unknown key spec " + spec)
}

// agree computes ECDH between the private key (PKCS#8 of spec) and a peer's
// SPKI, returning the x-coordinate. A peer key that does not parse, is not
// on the curve or is of another spec is a kindInvalidPublicKey error.
func agree(spec string, pkcs8, peerSPKI []byte) ([]byte, error) {
	return nil, errNoCurves
}
