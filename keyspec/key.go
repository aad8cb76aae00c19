package keyspec

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/subtle"
	"fmt"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	gmecdh "github.com/emmansun/gmsm/ecdh"
)

// PublicKey is a validated public key of one spec: a point on its curve,
// never the point at infinity. Make one with NewPublicKey or
// ParsePublicKey; the zero PublicKey is not usable.
type PublicKey struct {
	spec  Spec
	point []byte // SEC 1 uncompressed, 1+2*size bytes

	// Exactly one is set, by spec.
	nist *ecdh.PublicKey
	k1   *secp256k1.PublicKey
	sm2  *gmecdh.PublicKey
}

// PrivateKey is a private key of one spec, with its public key. fmt never
// shows the private scalar, with any verb. Make one with GenerateKey,
// NewPrivateKey or ParsePrivateKey; the zero PrivateKey is not usable.
type PrivateKey struct {
	spec Spec
	pub  *PublicKey

	// secret returns the library key. It is a function because fmt prints
	// a function as its address whatever the verb and the nesting, while it
	// follows pointers (even unexported ones) when a verb does not fit,
	// as with %s.
	secret func() secretKey
}

// secretKey is the library key behind a PrivateKey: exactly one field is
// set, by spec.
type secretKey struct {
	nist *ecdh.PrivateKey
	k1   *secp256k1.PrivateKey
	sm2  *gmecdh.PrivateKey
}

// newPrivateKey wraps a valid library key of spec s, with its public key.
func newPrivateKey(s Spec, sk secretKey) *PrivateKey {
	pub := &PublicKey{spec: s}
	switch s {
	case P256, P384, P521:
		pub.nist = sk.nist.PublicKey()
		pub.point = pub.nist.Bytes()
	case Secp256k1:
		pub.k1 = sk.k1.PubKey()
		pub.point = pub.k1.SerializeUncompressed()
	case SM2:
		pub.sm2 = sk.sm2.PublicKey()
		pub.point = pub.sm2.Bytes()
	}
	return &PrivateKey{spec: s, pub: pub, secret: func() secretKey { return sk }}
}

// nistECDH returns the crypto/ecdh curve of a NIST spec, or nil.
func nistECDH(s Spec) ecdh.Curve {
	switch s {
	case P256:
		return ecdh.P256()
	case P384:
		return ecdh.P384()
	case P521:
		return ecdh.P521()
	}
	return nil
}

// GenerateKey returns a new private key of the spec, from crypto/rand.
func GenerateKey(s Spec) (*PrivateKey, error) {
	switch s {
	case P256, P384, P521:
		k, err := nistECDH(s).GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("keyspec: generating %v key: %w", s, err)
		}
		return newPrivateKey(s, secretKey{nist: k}), nil
	case Secp256k1:
		k, err := secp256k1.GeneratePrivateKey()
		if err != nil {
			return nil, fmt.Errorf("keyspec: generating %v key: %w", s, err)
		}
		return newPrivateKey(s, secretKey{k1: k}), nil
	case SM2:
		k, err := gmecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("keyspec: generating %v key: %w", s, err)
		}
		return newPrivateKey(s, secretKey{sm2: k}), nil
	}
	return nil, fmt.Errorf("%w: %v", ErrUnknownSpec, s)
}

// NewPrivateKey returns the private key of the spec with the given scalar:
// big-endian, exactly the curve's size (32, 48 or 66 bytes), in [1, n-1].
func NewPrivateKey(s Spec, scalar []byte) (*PrivateKey, error) {
	if !s.valid() {
		return nil, fmt.Errorf("%w: %v", ErrUnknownSpec, s)
	}
	if len(scalar) != curves[s].size {
		return nil, fmt.Errorf("%w: %v scalar of %d bytes, want %d", ErrInvalidKey, s, len(scalar), curves[s].size)
	}
	switch s {
	case P256, P384, P521:
		k, err := nistECDH(s).NewPrivateKey(scalar)
		if err != nil {
			return nil, fmt.Errorf("%w: %v scalar out of range", ErrInvalidKey, s)
		}
		return newPrivateKey(s, secretKey{nist: k}), nil
	case Secp256k1:
		var d secp256k1.ModNScalar
		if overflow := d.SetByteSlice(scalar); overflow || d.IsZero() {
			return nil, fmt.Errorf("%w: %v scalar out of range", ErrInvalidKey, s)
		}
		return newPrivateKey(s, secretKey{k1: secp256k1.NewPrivateKey(&d)}), nil
	default: // SM2
		k, err := gmecdh.P256().NewPrivateKey(scalar)
		if err != nil {
			return nil, fmt.Errorf("%w: %v scalar out of range", ErrInvalidKey, s)
		}
		return newPrivateKey(s, secretKey{sm2: k}), nil
	}
}

// NewPublicKey returns the public key of the spec encoded as a SEC 1 point:
// uncompressed (04 x y) or compressed (02 or 03, then x). The point must be
// on the spec's curve.
func NewPublicKey(s Spec, point []byte) (*PublicKey, error) {
	if !s.valid() {
		return nil, fmt.Errorf("%w: %v", ErrUnknownSpec, s)
	}
	p, err := decodePoint(s, point)
	if err != nil {
		return nil, err
	}
	pub := &PublicKey{spec: s, point: p}
	switch s {
	case P256, P384, P521:
		pub.nist, err = nistECDH(s).NewPublicKey(p)
	case Secp256k1:
		pub.k1, err = secp256k1.ParsePubKey(p)
	case SM2:
		pub.sm2, err = gmecdh.P256().NewPublicKey(p)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v point is not on the curve", ErrInvalidKey, s)
	}
	return pub, nil
}

// Spec returns the key's spec.
func (k *PublicKey) Spec() Spec { return k.spec }

// Bytes returns the key as an uncompressed SEC 1 point (04 x y).
func (k *PublicKey) Bytes() []byte { return append([]byte(nil), k.point...) }

// Equal reports whether k and x are the same public key of the same spec.
func (k *PublicKey) Equal(x *PublicKey) bool {
	return x != nil && k.spec == x.spec && subtle.ConstantTimeCompare(k.point, x.point) == 1
}

// Spec returns the key's spec.
func (k *PrivateKey) Spec() Spec { return k.spec }

// PublicKey returns the public key of k.
func (k *PrivateKey) PublicKey() *PublicKey { return k.pub }

// ECDH returns the shared secret of k and the peer's public key: the
// x-coordinate of k·peer, big-endian, of the curve's size. The peer must be
// of the same spec (ErrSpecMismatch otherwise); its point was validated when
// it was parsed.
func (k *PrivateKey) ECDH(peer *PublicKey) ([]byte, error) {
	if peer == nil || peer.spec != k.spec {
		return nil, fmt.Errorf("%w: private key %v, peer key %v", ErrSpecMismatch, k.spec, peerSpec(peer))
	}
	var (
		z   []byte
		err error
		sk  = k.secret()
	)
	switch k.spec {
	case P256, P384, P521:
		z, err = sk.nist.ECDH(peer.nist)
	case Secp256k1:
		// The curve has prime order and both inputs are valid, so the
		// product is never the point at infinity.
		z = secp256k1.GenerateSharedSecret(sk.k1, peer.k1)
	case SM2:
		z, err = sk.sm2.ECDH(peer.sm2)
	}
	if err != nil {
		// Unreachable for valid keys of prime-order curves.
		return nil, fmt.Errorf("%w: %v ECDH failed", ErrInvalidKey, k.spec)
	}
	return z, nil
}

func peerSpec(p *PublicKey) Spec {
	if p == nil {
		return 0
	}
	return p.spec
}

// scalar returns the private scalar, big-endian, of the curve's size.
func (k *PrivateKey) scalar() []byte {
	sk := k.secret()
	switch k.spec {
	case P256, P384, P521:
		return sk.nist.Bytes()
	case Secp256k1:
		return sk.k1.Serialize()
	default:
		return sk.sm2.Bytes()
	}
}
