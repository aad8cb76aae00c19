package core

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"

	"github.com/qtenclave/qtenclave/keyspec"
)

// Asymmetric keys are kept as PKCS#8 DER and published as DER
// SubjectPublicKeyInfo. RSA uses the standard library; the five EC specs use
// package keyspec, which validates every point it reads.

// Data key pair specs: the five curves of create-ec-datakey-pair and the
// three RSA sizes of create-rsa-datakey-pair.
var (
	ecPairSpecs  = map[string]bool{"ECC_NIST_P256": true, "ECC_NIST_P384": true, "ECC_NIST_P521": true, "ECC_SECG_P256K1": true, "SM2": true}
	rsaPairSpecs = map[string]int{"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
)

// IsECPairSpec reports whether spec is an EC data key pair spec
// (ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SM2).
func IsECPairSpec(spec string) bool { return ecPairSpecs[spec] }

// IsRSAPairSpec reports whether spec is an RSA data key pair spec (RSA_2048,
// RSA_3072, RSA_4096).
func IsRSAPairSpec(spec string) bool { return rsaPairSpecs[spec] != 0 }

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

// agree computes ECDH between a stored private key of spec and a peer's
// SPKI, returning the x-coordinate. A peer key that does not parse or is not
// on its curve is a KindInvalidPublicKey error; one of another spec is a
// KindSpecMismatch error.
func agree(spec string, priv *keyspec.PrivateKey, peerSPKI []byte) ([]byte, error) {
	peer, err := keyspec.ParsePublicKey(peerSPKI)
	if errors.Is(err, keyspec.ErrUnknownSpec) {
		return nil, Wrapf(KindSpecMismatch, err, "public_key is not a key of spec %s", spec)
	}
	if err != nil {
		return nil, Wrapf(KindInvalidPublicKey, err, "public_key is not a valid DER SubjectPublicKeyInfo of an EC key")
	}
	secret, err := priv.ECDH(peer)
	if errors.Is(err, keyspec.ErrSpecMismatch) {
		return nil, Wrapf(KindSpecMismatch, err, "public_key is a %v key, the key is %s", peer.Spec(), spec)
	}
	if err != nil {
		return nil, Wrapf(KindInvalidPublicKey, err, "public_key does not agree with the key")
	}
	return secret, nil
}

// DeriveInput is a request for an ECDH shared secret.
type DeriveInput struct {
	KeyID     string
	Peer      []byte     // DER SubjectPublicKeyInfo
	Recipient *Recipient // nil: the secret is returned in plaintext
}

// DeriveOutput is a shared secret: exactly one of Secret and ForRecipient is
// set.
type DeriveOutput struct {
	KeyID        string
	Origin       string // the key's origin: kms or external
	Secret       []byte // set without a recipient
	ForRecipient []byte // set with one
}

// DeriveSharedSecret runs ECDH between a KEY_AGREEMENT key and the peer's
// public key. With a recipient, the secret is sealed to the attested enclave
// and not returned.
func (k *KMS) DeriveSharedSecret(ctx context.Context, c Caller, in *DeriveInput) (*DeriveOutput, error) {
	// The recipient verifies and the policy allows before any secret is
	// computed.
	rec, v, err := k.keyFor(ctx, c, actDeriveSharedSecret, in.KeyID, in.Recipient)
	if err != nil {
		return nil, err
	}
	if err := usable(rec, UsageKeyAgreement); err != nil {
		return nil, err
	}
	key, lease, err := k.openKey(rec)
	if err != nil {
		return nil, err
	}
	secret, err := agree(pairSpecOf(rec.Spec), key.ec(), in.Peer)
	lease.Release()
	if err != nil {
		return nil, err
	}
	if v == nil {
		return &DeriveOutput{KeyID: rec.ID, Origin: rec.Origin, Secret: secret}, nil
	}
	defer clear(secret)
	env, err := v.seal(secret)
	if err != nil {
		return nil, err
	}
	return &DeriveOutput{KeyID: rec.ID, Origin: rec.Origin, ForRecipient: env}, nil
}

// DataKeyPairInput is a request for a data key pair under a symmetric CMK.
type DataKeyPairInput struct {
	KeyID     string // a symmetric ENCRYPT_DECRYPT CMK
	Spec      string // ECC_NIST_P256, ..., RSA_4096
	Plaintext bool   // return the private key in plaintext (ignored with a recipient); false: the action is kms:GenerateDataKeyPairWithoutPlaintext
	AAD       []byte
	Recipient *Recipient
}

// DataKeyPairOutput is a data key pair: its private key under the CMK, and
// at most one of PrivatePlaintext and ForRecipient.
type DataKeyPairOutput struct {
	KeyID             string
	Spec              string
	Public            []byte // DER SPKI
	PrivateCiphertext []byte // PKCS#8 under the CMK
	PrivatePlaintext  []byte // PKCS#8, when asked for
	ForRecipient      []byte // PKCS#8 sealed to the enclave, with a recipient
}

// DataKeyPair makes a key pair and returns its private key encrypted under
// the CMK, plus in plaintext or sealed to a recipient.
func (k *KMS) DataKeyPair(ctx context.Context, c Caller, in *DataKeyPairInput) (*DataKeyPairOutput, error) {
	if !ecPairSpecs[in.Spec] && rsaPairSpecs[in.Spec] == 0 {
		return nil, Errorf(KindInvalidParameter, "key_spec %q is not a data key pair spec", in.Spec)
	}
	act := actGenerateDataKeyPair
	if !in.Plaintext && in.Recipient == nil {
		act = actGenerateDataKeyPairNoP
	}
	// The recipient verifies and the policy allows before the (slow, for
	// RSA) key generation.
	key, v, err := k.cmkFor(ctx, c, act, in.KeyID, in.Recipient)
	if err != nil {
		return nil, err
	}
	priv, pub, err := generateKeyPair(in.Spec)
	if err != nil {
		return nil, err
	}
	out := &DataKeyPairOutput{
		KeyID:             key.id,
		Spec:              in.Spec,
		Public:            pub,
		PrivateCiphertext: sealBlob(key.aead, key.id, priv, in.AAD),
	}
	switch {
	case v != nil:
		if out.ForRecipient, err = v.seal(priv); err != nil {
			return nil, err
		}
		clear(priv)
	case in.Plaintext:
		out.PrivatePlaintext = priv
	default:
		clear(priv)
	}
	return out, nil
}
