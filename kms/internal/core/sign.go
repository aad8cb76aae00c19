package core

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"slices"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"

	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/kms/internal/store"
)

// Signing: Sign and Verify with a SIGN_VERIFY key, as AWS KMS defines them
// (https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html,
// API_Verify.html) and Huawei's sign and verify do
// (https://support.huaweicloud.com/intl/en-us/api-dew/Sign.html,
// ValidateSignature.html). Algorithms carry AWS's names; the Huawei front end
// maps its SM2DSA_SM3 to SM2DSA.
//
// Each key spec signs with the algorithms of AWS's key spec reference
// (https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html):
// RSA keys with RSASSA-PSS (MGF1 with the same hash, a salt as long as the
// hash) and RSASSA-PKCS1-v1_5, each with SHA-256, SHA-384 or SHA-512; an EC
// key with ECDSA and the hash of its curve's size (P-256 and secp256k1
// SHA-256, P-384 SHA-384, P-521 SHA-512), DER signatures; SM2 keys with SM2DSA
// (GB/T 32918.2), DER signatures, whose RAW message is hashed as SM3(Z_A ||
// M) with the distinguishing ID 1234567812345678, the default that AWS
// documents (Verify: "By default, KMS uses 1234567812345678 as the
// distinguishing ID";
// https://docs.aws.amazon.com/kms/latest/developerguide/offline-operations.html#key-spec-sm-offline-verification).

// Signing algorithms.
const (
	SignRSAPSSSHA256   = "RSASSA_PSS_SHA_256"
	SignRSAPSSSHA384   = "RSASSA_PSS_SHA_384"
	SignRSAPSSSHA512   = "RSASSA_PSS_SHA_512"
	SignRSAPKCS1SHA256 = "RSASSA_PKCS1_V1_5_SHA_256"
	SignRSAPKCS1SHA384 = "RSASSA_PKCS1_V1_5_SHA_384"
	SignRSAPKCS1SHA512 = "RSASSA_PKCS1_V1_5_SHA_512"
	SignECDSASHA256    = "ECDSA_SHA_256"
	SignECDSASHA384    = "ECDSA_SHA_384"
	SignECDSASHA512    = "ECDSA_SHA_512"
	SignSM2DSA         = "SM2DSA"
)

// MaxSignMessage bounds the message of Sign and Verify: 4096 bytes, AWS's
// limit, and Huawei's ("less than 4096 bytes" in the English page, "0-4096"
// in others). A longer message is signed as a digest (MessageType DIGEST).
const MaxSignMessage = 4096

// sm2DefaultUID is the SM2 distinguishing ID of Z_A: GM/T 0009-2012's
// default, which AWS KMS uses.
var sm2DefaultUID = []byte("1234567812345678")

// signingAlgorithm is what a signing algorithm does.
type signingAlgorithm struct {
	hash crypto.Hash // SHA-256, -384 or -512; 0 for SM2DSA (SM3 over Z_A || M)
	pss  bool        // RSASSA-PSS, else PKCS #1 v1.5 (RSA keys only)
}

var signingAlgorithms = map[string]signingAlgorithm{
	SignRSAPSSSHA256:   {crypto.SHA256, true},
	SignRSAPSSSHA384:   {crypto.SHA384, true},
	SignRSAPSSSHA512:   {crypto.SHA512, true},
	SignRSAPKCS1SHA256: {crypto.SHA256, false},
	SignRSAPKCS1SHA384: {crypto.SHA384, false},
	SignRSAPKCS1SHA512: {crypto.SHA512, false},
	SignECDSASHA256:    {crypto.SHA256, false},
	SignECDSASHA384:    {crypto.SHA384, false},
	SignECDSASHA512:    {crypto.SHA512, false},
	SignSM2DSA:         {},
}

// signingAlgorithmsOf lists the signing algorithms of a create-key spec.
func signingAlgorithmsOf(spec string) []string {
	info := keySpecs[spec]
	switch {
	case info.rsaBits != 0:
		return []string{SignRSAPSSSHA256, SignRSAPSSSHA384, SignRSAPSSSHA512, SignRSAPKCS1SHA256, SignRSAPKCS1SHA384, SignRSAPKCS1SHA512}
	case spec == "EC_P256", spec == "SECP256K1":
		return []string{SignECDSASHA256}
	case spec == "EC_P384":
		return []string{SignECDSASHA384}
	case spec == "EC_P521":
		return []string{SignECDSASHA512}
	case spec == "SM2":
		return []string{SignSM2DSA}
	}
	return nil
}

// SigningAlgorithms lists the algorithms the key signs with: none unless it
// is a SIGN_VERIFY key.
func (k *Key) SigningAlgorithms() []string {
	if !k.HasUsage(UsageSignVerify) {
		return nil
	}
	return signingAlgorithmsOf(k.Spec)
}

// IsSigningAlgorithm reports whether alg is one of the signing algorithms.
func IsSigningAlgorithm(alg string) bool {
	_, ok := signingAlgorithms[alg]
	return ok
}

// SignInput is a request to sign a message, or to verify its signature.
type SignInput struct {
	KeyID     string
	Message   []byte // 1 to MaxSignMessage bytes: the message, or its digest
	Digest    bool   // Message is a digest (MessageType DIGEST), else the message (RAW)
	Algorithm string // a signing algorithm of the key
	Signature []byte // Verify only
}

// SignOutput is a signature, or a verified one.
type SignOutput struct {
	KeyID     string
	Algorithm string
	Signature []byte // Sign only
}

var (
	actSign   = action{"kms:Sign", []string{"kms:cmk:sign"}}
	actVerify = action{"kms:Verify", []string{"kms:cmk:verify"}}
)

// Sign signs a message or a digest with the private key of a SIGN_VERIFY
// key.
func (k *KMS) Sign(ctx context.Context, c Caller, in *SignInput) (*SignOutput, error) {
	rec, alg, digest, err := k.signingKey(ctx, c, actSign, in)
	if err != nil {
		return nil, err
	}
	key, lease, err := k.openKey(rec)
	if err != nil {
		return nil, err
	}
	defer lease.Release()
	sig, err := signDigest(key, alg, digest)
	if err != nil {
		return nil, err
	}
	return &SignOutput{KeyID: rec.ID, Algorithm: in.Algorithm, Signature: sig}, nil
}

// Verify checks a signature of a message or a digest with the public key of
// a SIGN_VERIFY key. A signature that does not verify, whatever is wrong
// with it, is a KindInvalidSignature error.
func (k *KMS) Verify(ctx context.Context, c Caller, in *SignInput) (*SignOutput, error) {
	rec, alg, digest, err := k.signingKey(ctx, c, actVerify, in)
	if err != nil {
		return nil, err
	}
	if len(in.Signature) == 0 {
		return nil, Errorf(KindMissingParameter, "the signature is missing")
	}
	if !verifyDigest(pairSpecOf(rec.Spec), rec.Public, alg, digest, in.Signature) {
		return nil, Errorf(KindInvalidSignature, "the signature does not verify")
	}
	return &SignOutput{KeyID: rec.ID, Algorithm: in.Algorithm}, nil
}

// signingKey takes the steps that Sign and Verify share: the key, the
// caller's authorization, the key's usage and algorithm, and the digest
// to sign or verify.
func (k *KMS) signingKey(ctx context.Context, c Caller, act action, in *SignInput) (*store.Record, signingAlgorithm, []byte, error) {
	alg, ok := signingAlgorithms[in.Algorithm]
	if !ok {
		return nil, alg, nil, Errorf(KindInvalidParameter, "signing algorithm %.64q is not a signing algorithm", in.Algorithm)
	}
	if len(in.Message) == 0 {
		return nil, alg, nil, Errorf(KindMissingParameter, "the message is missing")
	}
	if len(in.Message) > MaxSignMessage {
		return nil, alg, nil, Errorf(KindInvalidParameter, "the message is longer than %d bytes: sign its digest", MaxSignMessage)
	}
	rec, _, err := k.keyFor(ctx, c, act, in.KeyID, nil)
	if err != nil {
		return nil, alg, nil, err
	}
	if err := usable(rec, UsageSignVerify); err != nil {
		return nil, alg, nil, err
	}
	if !slices.Contains(signingAlgorithmsOf(rec.Spec), in.Algorithm) {
		return nil, alg, nil, Errorf(KindInvalidKeyUsage, "key %s of spec %s does not sign with %s", rec.ID, rec.Spec, in.Algorithm)
	}
	digest, err := messageDigest(alg, rec.Public, in.Message, in.Digest)
	if err != nil {
		return nil, alg, nil, err
	}
	return rec, alg, digest, nil
}

// messageDigest returns what the algorithm signs: the hash of a RAW
// message, or a DIGEST message as it is, which must then be as long as the
// algorithm's hash. For SM2DSA it is e = SM3(Z_A || M), Z_A computed from
// the key's public key (spki) and the default distinguishing ID.
func messageDigest(alg signingAlgorithm, spki, msg []byte, isDigest bool) ([]byte, error) {
	size := sm3.Size
	if alg.hash != 0 {
		size = alg.hash.Size()
	}
	if isDigest {
		if len(msg) != size {
			return nil, Errorf(KindInvalidParameter, "the digest is %d bytes, not the %d of the signing algorithm's hash", len(msg), size)
		}
		return msg, nil
	}
	switch alg.hash {
	case crypto.SHA256:
		h := sha256.Sum256(msg)
		return h[:], nil
	case crypto.SHA384:
		h := sha512.Sum384(msg)
		return h[:], nil
	case crypto.SHA512:
		h := sha512.Sum512(msg)
		return h[:], nil
	}
	pub, err := sm2Public(spki)
	if err != nil {
		return nil, err
	}
	za, err := sm2.CalculateZA(pub, sm2DefaultUID)
	if err != nil {
		return nil, err
	}
	h := sm3.New()
	h.Write(za)
	h.Write(msg)
	return h.Sum(nil), nil
}

// signDigest signs a digest with a key's private key, parsed (openKey).
func signDigest(key *openedKey, alg signingAlgorithm, digest []byte) ([]byte, error) {
	if priv := key.rsa(); priv != nil {
		if alg.pss {
			return rsa.SignPSS(rand.Reader, priv, alg.hash, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(nil, priv, alg.hash, digest)
	}
	switch priv := key.priv().(type) {
	case *secp256k1.PrivateKey:
		return k1ecdsa.Sign(priv, digest).Serialize(), nil
	case *sm2.PrivateKey:
		// No signer options: digest is e, already hashed with Z_A.
		return sm2.SignASN1(rand.Reader, priv, digest, nil)
	case *ecdsa.PrivateKey:
		return ecdsa.SignASN1(rand.Reader, priv, digest)
	}
	return nil, errStoredKey
}

// verifyDigest checks a signature of a digest with a key's public key (DER
// SPKI of a data key pair spec). Signatures are DER for EC keys and exactly
// as long as the modulus for RSA keys; PSS salts are as long as the hash.
func verifyDigest(spec string, spki []byte, alg signingAlgorithm, digest, sig []byte) bool {
	switch spec {
	case "ECC_SECG_P256K1":
		pk, err := keyspec.ParsePublicKey(spki)
		if err != nil {
			return false
		}
		pub, err := secp256k1.ParsePubKey(pk.Bytes())
		if err != nil {
			return false
		}
		s, err := k1ecdsa.ParseDERSignature(sig)
		return err == nil && s.Verify(digest, pub)
	case "SM2":
		pub, err := sm2Public(spki)
		return err == nil && sm2.VerifyASN1(pub, digest, sig)
	}
	key, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		return false
	}
	switch pub := key.(type) {
	case *rsa.PublicKey:
		if len(sig) != pub.Size() {
			return false
		}
		if alg.pss {
			return rsa.VerifyPSS(pub, alg.hash, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		}
		return rsa.VerifyPKCS1v15(pub, alg.hash, digest, sig) == nil
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(pub, digest, sig)
	}
	return false
}

// errStoredKey is the failure to read a key the server stored itself: an
// internal error.
var errStoredKey = errors.New("kms: stored key does not parse")

// sm2Public reads an SM2 public key (DER SPKI, as keyspec writes it).
func sm2Public(spki []byte) (*ecdsa.PublicKey, error) {
	key, err := smx509.ParsePKIXPublicKey(spki)
	pub, ok := key.(*ecdsa.PublicKey)
	if err != nil || !ok || !sm2.IsSM2PublicKey(pub) {
		return nil, errStoredKey
	}
	return pub, nil
}

// ecScalar returns the private scalar of a stored EC key (PKCS#8), read
// through keyspec, which validates it, from its SEC 1 form (RFC 5915).
// Callers clear it after use.
func ecScalar(pkcs8 []byte) ([]byte, error) {
	k, err := keyspec.ParsePrivateKey(pkcs8)
	if err != nil {
		return nil, errStoredKey
	}
	sec1 := k.MarshalSEC1()
	defer clear(sec1)
	var ecPrivateKey struct {
		Version    int
		PrivateKey []byte
		Curve      asn1.RawValue `asn1:"optional,explicit,tag:0"`
		Public     asn1.RawValue `asn1:"optional,explicit,tag:1"`
	}
	if rest, err := asn1.Unmarshal(sec1, &ecPrivateKey); err != nil || len(rest) != 0 {
		return nil, errStoredKey
	}
	scalar := append([]byte(nil), ecPrivateKey.PrivateKey...)
	clear(ecPrivateKey.PrivateKey)
	return scalar, nil
}
