package keyspec

import (
	"encoding/asn1"
	"fmt"
	"strconv"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// maxKeyDER bounds every DER input before parsing. The largest well-formed
// key read here, a P-521 PKCS#8 key with its public point, is 241 bytes;
// 2 KiB leaves room for PKCS#8 attributes while refusing anything that
// cannot be a key of these curves.
const maxKeyDER = 2048

var (
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1} // RFC 5480 id-ecPublicKey
	oidSM2         = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301}

	tagECParameters = cbasn1.Tag(0).Constructed().ContextSpecific() // ECPrivateKey parameters, PKCS#8 attributes
	tagECPublicKey  = cbasn1.Tag(1).Constructed().ContextSpecific() // ECPrivateKey publicKey
)

func specByOID(oid asn1.ObjectIdentifier) (Spec, bool) {
	for s := P256; s <= SM2; s++ {
		if curves[s].oid.Equal(oid) {
			return s, true
		}
	}
	return 0, false
}

// parseAlgorithm reads the contents of an AlgorithmIdentifier of an EC key
// (RFC 5480 section 2.1.1): id-ecPublicKey with a named curve.
//
// It also holds the one SM2 leniency: GM/T 0006 names SM2
// (1.2.156.10197.1.301) and its signature, key exchange and encryption
// sub-algorithms (.1, .2, .3), and some Chinese tooling writes one of those
// as the key algorithm, with the curve parameter absent, NULL or
// sm2p256v1. All of these mean an sm2p256v1 key.
func parseAlgorithm(alg cryptobyte.String) (Spec, error) {
	var oid asn1.ObjectIdentifier
	if !alg.ReadASN1ObjectIdentifier(&oid) {
		return 0, fmt.Errorf("%w: malformed AlgorithmIdentifier", ErrInvalidKey)
	}
	if oid.Equal(oidECPublicKey) {
		var curve asn1.ObjectIdentifier
		if alg.PeekASN1Tag(cbasn1.SEQUENCE) {
			return 0, fmt.Errorf("%w: explicit curve parameters are not supported, only named curves", ErrInvalidKey)
		}
		if !alg.ReadASN1ObjectIdentifier(&curve) || !alg.Empty() {
			return 0, fmt.Errorf("%w: malformed EC parameters", ErrInvalidKey)
		}
		s, ok := specByOID(curve)
		if !ok {
			return 0, fmt.Errorf("%w: curve %s", ErrUnknownSpec, oidString(curve))
		}
		return s, nil
	}
	if isSM2Arc(oid) {
		var param asn1.ObjectIdentifier
		switch {
		case alg.Empty():
		case alg.PeekASN1Tag(cbasn1.NULL):
			var null cryptobyte.String
			if !alg.ReadASN1(&null, cbasn1.NULL) || !null.Empty() {
				return 0, fmt.Errorf("%w: malformed SM2 parameters", ErrInvalidKey)
			}
		case alg.ReadASN1ObjectIdentifier(&param) && param.Equal(oidSM2):
		default:
			return 0, fmt.Errorf("%w: malformed SM2 parameters", ErrInvalidKey)
		}
		if !alg.Empty() {
			return 0, fmt.Errorf("%w: malformed SM2 parameters", ErrInvalidKey)
		}
		return SM2, nil
	}
	return 0, fmt.Errorf("%w: key algorithm %s", ErrUnknownSpec, oidString(oid))
}

// isSM2Arc reports whether oid is 1.2.156.10197.1.301 or its .1, .2 or .3.
func isSM2Arc(oid asn1.ObjectIdentifier) bool {
	switch {
	case oid.Equal(oidSM2):
		return true
	case len(oid) == len(oidSM2)+1 && oidSM2.Equal(oid[:len(oidSM2)]):
		return oid[len(oidSM2)] >= 1 && oid[len(oidSM2)] <= 3
	}
	return false
}

// maxOIDArcs bounds how much of an unknown OID an error message repeats:
// real curve and algorithm OIDs have at most 10 arcs, and hostile input
// should not grow error messages or logs.
const maxOIDArcs = 12

func oidString(oid asn1.ObjectIdentifier) string {
	if len(oid) > maxOIDArcs {
		return "(an OID of " + strconv.Itoa(len(oid)) + " arcs)"
	}
	return oid.String()
}

func addAlgorithm(b *cryptobyte.Builder, s Spec) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidECPublicKey)
		b.AddASN1ObjectIdentifier(curves[s].oid)
	})
}

// readPoint reads a BIT STRING holding a SEC 1 point of spec s.
func readPoint(in *cryptobyte.String, s Spec) (*PublicKey, error) {
	var bits asn1.BitString
	if !in.ReadASN1BitString(&bits) || bits.BitLength != 8*len(bits.Bytes) {
		return nil, fmt.Errorf("%w: malformed public key BIT STRING", ErrInvalidKey)
	}
	return NewPublicKey(s, bits.Bytes)
}

// ParsePublicKey parses a DER SubjectPublicKeyInfo (RFC 5480) holding a
// public key of one of the five specs, as carried by the base64 public_key
// fields of the KMS APIs. It fails with ErrUnknownSpec for a well-formed key
// of another curve or algorithm, and with ErrInvalidKey for anything else
// that is wrong.
func ParsePublicKey(der []byte) (*PublicKey, error) {
	if len(der) > maxKeyDER {
		return nil, fmt.Errorf("%w: SubjectPublicKeyInfo of %d bytes", ErrInvalidKey, len(der))
	}
	input := cryptobyte.String(der)
	var spki, alg cryptobyte.String
	if !input.ReadASN1(&spki, cbasn1.SEQUENCE) || !input.Empty() ||
		!spki.ReadASN1(&alg, cbasn1.SEQUENCE) {
		return nil, fmt.Errorf("%w: malformed SubjectPublicKeyInfo", ErrInvalidKey)
	}
	s, err := parseAlgorithm(alg)
	if err != nil {
		return nil, err
	}
	pub, err := readPoint(&spki, s)
	if err != nil {
		return nil, err
	}
	if !spki.Empty() {
		return nil, fmt.Errorf("%w: trailing data in SubjectPublicKeyInfo", ErrInvalidKey)
	}
	return pub, nil
}

// MarshalPKIX returns the key as a DER SubjectPublicKeyInfo: id-ecPublicKey,
// the named curve, and the uncompressed point.
func (k *PublicKey) MarshalPKIX() []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addAlgorithm(b, k.spec)
		b.AddASN1BitString(k.point)
	})
	return b.BytesOrPanic()
}

// ParsePrivateKey parses a DER private key of one of the five specs, either
// PKCS#8 PrivateKeyInfo (RFC 5208, version 0, as the KMS APIs carry it) or
// SEC 1 ECPrivateKey (RFC 5915, which must then name its curve). If the
// encoding includes the public key, it must match the private scalar. It
// fails with ErrUnknownSpec for a well-formed key of another curve or
// algorithm, and with ErrInvalidKey for anything else that is wrong.
func ParsePrivateKey(der []byte) (*PrivateKey, error) {
	if len(der) > maxKeyDER {
		return nil, fmt.Errorf("%w: private key of %d bytes", ErrInvalidKey, len(der))
	}
	input := cryptobyte.String(der)
	var seq cryptobyte.String
	var version int
	if !input.ReadASN1(&seq, cbasn1.SEQUENCE) || !input.Empty() || !seq.ReadASN1Integer(&version) {
		return nil, fmt.Errorf("%w: malformed private key", ErrInvalidKey)
	}
	switch version {
	case 0: // PKCS#8 PrivateKeyInfo
		var alg, inner cryptobyte.String
		if !seq.ReadASN1(&alg, cbasn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: malformed PKCS#8 PrivateKeyInfo", ErrInvalidKey)
		}
		s, err := parseAlgorithm(alg)
		if err != nil {
			return nil, err
		}
		if !seq.ReadASN1(&inner, cbasn1.OCTET_STRING) ||
			!seq.SkipOptionalASN1(tagECParameters) || // attributes: not interpreted
			!seq.Empty() {
			return nil, fmt.Errorf("%w: malformed PKCS#8 PrivateKeyInfo", ErrInvalidKey)
		}
		return parseECPrivateKey(inner, s)
	case 1: // SEC 1 ECPrivateKey
		return parseECPrivateKey(cryptobyte.String(der), 0)
	}
	return nil, fmt.Errorf("%w: private key version %d", ErrInvalidKey, version)
}

// parseECPrivateKey parses an RFC 5915 ECPrivateKey. s is the spec named by
// the enclosing PKCS#8 algorithm, or 0 if there is none; the curve parameter
// must then be present.
func parseECPrivateKey(der cryptobyte.String, s Spec) (*PrivateKey, error) {
	var seq, d, params, pubField cryptobyte.String
	var version int
	var hasParams, hasPub bool
	if !der.ReadASN1(&seq, cbasn1.SEQUENCE) || !der.Empty() ||
		!seq.ReadASN1Integer(&version) || version != 1 ||
		!seq.ReadASN1(&d, cbasn1.OCTET_STRING) ||
		!seq.ReadOptionalASN1(&params, &hasParams, tagECParameters) ||
		!seq.ReadOptionalASN1(&pubField, &hasPub, tagECPublicKey) ||
		!seq.Empty() {
		return nil, fmt.Errorf("%w: malformed ECPrivateKey", ErrInvalidKey)
	}
	if hasParams {
		var oid asn1.ObjectIdentifier
		if !params.ReadASN1ObjectIdentifier(&oid) || !params.Empty() {
			return nil, fmt.Errorf("%w: ECPrivateKey parameters are not a named curve", ErrInvalidKey)
		}
		ps, ok := specByOID(oid)
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: curve %s", ErrUnknownSpec, oidString(oid))
		case s != 0 && ps != s:
			return nil, fmt.Errorf("%w: ECPrivateKey curve %v differs from the algorithm's %v", ErrInvalidKey, ps, s)
		}
		s = ps
	}
	if s == 0 {
		return nil, fmt.Errorf("%w: ECPrivateKey does not name its curve", ErrInvalidKey)
	}
	// RFC 5915 fixes the scalar's length to the curve's size; encoders that
	// dropped leading zeros are accepted (this is the only place).
	size := curves[s].size
	if len(d) == 0 || len(d) > size {
		return nil, fmt.Errorf("%w: %v scalar of %d bytes", ErrInvalidKey, s, len(d))
	}
	scalar := make([]byte, size)
	copy(scalar[size-len(d):], d)
	k, err := NewPrivateKey(s, scalar)
	clear(scalar)
	if err != nil {
		return nil, err
	}
	if hasPub {
		pub, err := readPoint(&pubField, s)
		if err != nil {
			return nil, err
		}
		if !pubField.Empty() || !pub.Equal(k.pub) {
			return nil, fmt.Errorf("%w: ECPrivateKey public key does not match the private key", ErrInvalidKey)
		}
	}
	return k, nil
}

// MarshalPKCS8 returns the key as DER PKCS#8 PrivateKeyInfo, as OpenSSL 3
// writes it: id-ecPublicKey with the named curve, and an ECPrivateKey with
// the public key and without the curve parameter.
func (k *PrivateKey) MarshalPKCS8() []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(0)
		addAlgorithm(b, k.spec)
		b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) {
			k.addECPrivateKey(b, false)
		})
	})
	return b.BytesOrPanic()
}

// MarshalSEC1 returns the key as a DER SEC 1 ECPrivateKey (RFC 5915) with
// the named curve and the public key, as "openssl ec" writes it.
func (k *PrivateKey) MarshalSEC1() []byte {
	var b cryptobyte.Builder
	k.addECPrivateKey(&b, true)
	return b.BytesOrPanic()
}

func (k *PrivateKey) addECPrivateKey(b *cryptobyte.Builder, withCurve bool) {
	scalar := k.scalar()
	defer clear(scalar)
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1OctetString(scalar)
		if withCurve {
			b.AddASN1(tagECParameters, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(curves[k.spec].oid)
			})
		}
		b.AddASN1(tagECPublicKey, func(b *cryptobyte.Builder) {
			b.AddASN1BitString(k.pub.point)
		})
	})
}
