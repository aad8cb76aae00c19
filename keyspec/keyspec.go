// Package keyspec implements the five elliptic-curve key specs of the KMS
// APIs (ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1 and
// SM2): key generation, the encodings that travel in KMS requests and
// responses, and ECDH with full validation of the peer's public key.
//
// For most uses: name the spec with [ParseSpec], make a key with
// [GenerateKey] or read one with [ParsePrivateKey] (PKCS#8, as carried by
// private_key_plain_text and inside ciphertext_recipient), read the peer's
// key with [ParsePublicKey] (DER SubjectPublicKeyInfo, the base64
// public_key field), and call [PrivateKey.ECDH]. The result is the raw
// shared secret: the x-coordinate of the shared point, big-endian, of fixed
// length (32, 48, 66, 32 and 32 bytes for the five specs), exactly what
// derive-shared-secret returns. It is not a key: hash it with a KDF before
// use.
//
// The NIST curves are computed by crypto/ecdh, secp256k1 by
// github.com/decred/dcrd/dcrec/secp256k1/v4, and SM2 (the sm2p256v1 curve
// of GB/T 32918.5) by github.com/emmansun/gmsm/ecdh.
//
// # Encodings
//
// Public keys are read from a SubjectPublicKeyInfo ([ParsePublicKey]) or a
// bare SEC 1 point ([NewPublicKey]), and always written as uncompressed
// points ([PublicKey.Bytes], [PublicKey.MarshalPKIX]). Private keys are read
// from PKCS#8 PrivateKeyInfo or SEC 1 ECPrivateKey ([ParsePrivateKey]) or a
// bare scalar ([NewPrivateKey]), and written as PKCS#8
// ([PrivateKey.MarshalPKCS8]) or SEC 1 ([PrivateKey.MarshalSEC1]) in the
// byte-exact form OpenSSL 3 writes. Every writer's output is accepted by
// the matching reader, which returns an equal key.
//
// # Leniency, all of it
//
//   - Compressed points (SEC 1 prefix 02 or 03) are accepted wherever a
//     point is read, for every spec. Decompression either finds the unique
//     point on the curve with that x and parity or fails, so the set of
//     accepted keys is exactly the set of valid points; nothing weaker gets
//     through. Hybrid points (06, 07) and the point at infinity (00) are
//     rejected. Output is always uncompressed.
//   - SM2 keys are also read with the key-algorithm identifiers of GM/T 0006
//     used by some Chinese tooling (1.2.156.10197.1.301 and its .1, .2 and
//     .3 sub-arcs in place of id-ecPublicKey, with the curve parameter
//     absent, NULL or sm2p256v1). Output uses id-ecPublicKey with the
//     sm2p256v1 named curve, as OpenSSL 3 does.
//   - The private scalar inside ECPrivateKey may be shorter than the curve's
//     size (encoders that dropped leading zeros); it is never longer.
//
// Everything else is strict DER: no BER lengths, no trailing data, no
// explicit curve parameters (RFC 5480 forbids them; Wycheproof's
// "UnnamedCurve" cases), no unused bits in BIT STRINGs.
//
// # Wycheproof acceptable cases
//
// Wycheproof marks some ECDH cases "acceptable": either outcome is allowed.
// This package accepts those flagged CompressedPublic (and computes the
// expected shared secret), and rejects all others (InvalidAsn,
// UnnamedCurve, UnusedParam, ModifiedCofactor, ModifiedGenerator,
// ModifiedCurveParameter, NoCofactor, WrongOrder), which are
// non-DER encodings or explicit curve parameters.
//
// # Security limits
//
//   - ECDH on secp256k1, and computing a secp256k1 public key, use decred's
//     variable-time scalar multiplication (ScalarMultNonConst, with
//     key-dependent table lookups): an attacker who can time operations or
//     watch the cache on the same machine may learn the private key. Prefer
//     the other specs where that matters. The NIST and SM2 implementations
//     are constant time.
//   - The shared secret is the bare x-coordinate, with no key derivation:
//     callers must hash it (for example with HKDF) before use as a key.
//   - Private key bytes never appear in errors or in fmt output of the
//     exported types, with any verb and however deeply nested: the scalar
//     is reachable only through an unexported function value. The bytes
//     returned by MarshalPKCS8 and MarshalSEC1 are the caller's to protect,
//     and Go cannot promise to erase copies of secrets from memory.
//
// # Not checked
//
//   - Nothing ties a key to its KMS key usage (KEY_AGREEMENT or signing):
//     that is the caller's policy.
//   - PKCS#8 attributes are skipped, not interpreted.
package keyspec

import (
	"crypto/elliptic"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
)

// Spec is one of the five EC key specs. The zero Spec is invalid.
type Spec uint8

// The five key specs, named after the curves.
const (
	P256      Spec = iota + 1 // ECC_NIST_P256 (EC_P256): NIST P-256, secp256r1
	P384                      // ECC_NIST_P384 (EC_P384, EC_384): NIST P-384, secp384r1
	P521                      // ECC_NIST_P521: NIST P-521, secp521r1
	Secp256k1                 // ECC_SECG_P256K1 (SECP256K1): SEC 2 secp256k1
	SM2                       // SM2: sm2p256v1 of GB/T 32918.5
)

var (
	// ErrUnknownSpec means a spec name, curve or key algorithm is not one
	// of the five.
	ErrUnknownSpec = errors.New("keyspec: unknown key spec")
	// ErrInvalidKey means a key encoding is malformed, a point is not on
	// its curve (or is the point at infinity), a scalar is out of range, or
	// the parts of a private key disagree.
	ErrInvalidKey = errors.New("keyspec: invalid key")
	// ErrSpecMismatch means ECDH was asked between keys of different specs.
	ErrSpecMismatch = errors.New("keyspec: key specs do not match")
)

// names maps every accepted spelling to its spec. The KMS APIs are not
// uniform: create-ec-datakey-pair and AWS use ECC_NIST_P256 etc., Huawei's
// create-key uses EC_P256, EC_P384 and SECP256K1, and the
// derive-shared-secret page writes EC_384.
var names = map[string]Spec{
	"ECC_NIST_P256":   P256,
	"EC_P256":         P256,
	"ECC_NIST_P384":   P384,
	"EC_P384":         P384,
	"EC_384":          P384,
	"ECC_NIST_P521":   P521,
	"ECC_SECG_P256K1": Secp256k1,
	"SECP256K1":       Secp256k1,
	"SM2":             SM2,
}

// ParseSpec returns the spec named by a KMS key spec string. Names are
// case-sensitive, as on the wire.
func ParseSpec(name string) (Spec, error) {
	if s, ok := names[name]; ok {
		return s, nil
	}
	// The name is request data, not a secret; quote it bounded.
	return 0, fmt.Errorf("%w: %.40q", ErrUnknownSpec, name)
}

// String returns the data key pair name of the spec: ECC_NIST_P256,
// ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1 or SM2.
func (s Spec) String() string {
	if !s.valid() {
		return fmt.Sprintf("keyspec.Spec(%d)", uint8(s))
	}
	return curves[s].name
}

func (s Spec) valid() bool { return s >= P256 && s <= SM2 }

// curve holds what this package needs to know about a spec's curve.
type curve struct {
	name string
	oid  asn1.ObjectIdentifier // RFC 5480 / SEC 2 / GM/T 0006 named curve
	size int                   // bytes in a coordinate, a scalar and a shared secret
	// y² = x³ + a·x + b over GF(p); a is -3 or 0 for these five curves.
	p, a, b *big.Int
}

var curves = [...]curve{
	P256: nistCurve("ECC_NIST_P256", asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}, elliptic.P256()),
	P384: nistCurve("ECC_NIST_P384", asn1.ObjectIdentifier{1, 3, 132, 0, 34}, elliptic.P384()),
	P521: nistCurve("ECC_NIST_P521", asn1.ObjectIdentifier{1, 3, 132, 0, 35}, elliptic.P521()),
	Secp256k1: {
		name: "ECC_SECG_P256K1",
		oid:  asn1.ObjectIdentifier{1, 3, 132, 0, 10},
		size: 32,
		p:    secp256k1P,
		a:    big.NewInt(0),
		b:    big.NewInt(7),
	},
	SM2: nistCurve("SM2", asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301}, sm2.P256()),
}

// secp256k1P is the field prime of secp256k1 (SEC 2, 2.4.1): decred offers
// it only through the deprecated elliptic.Curve interface.
var secp256k1P, _ = new(big.Int).SetString("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f", 16)

// nistCurve describes a curve with a = -3 (the NIST curves and SM2).
func nistCurve(name string, oid asn1.ObjectIdentifier, c elliptic.Curve) curve {
	params := c.Params()
	return curve{
		name: name,
		oid:  oid,
		size: (params.BitSize + 7) / 8,
		p:    params.P,
		a:    big.NewInt(-3),
		b:    params.B,
	}
}
