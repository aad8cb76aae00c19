package keyspec

import (
	"bytes"
	"crypto/elliptic"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var allSpecs = []Spec{P256, P384, P521, Secp256k1, SM2}

// testKeyName is the spec's part of the testdata file names.
var testKeyName = map[Spec]string{P256: "p256", P384: "p384", P521: "p521", Secp256k1: "secp256k1", SM2: "sm2"}

// testKeyDER returns the PKCS#8 DER of testdata/test-key-<spec>-<who>.pem.
func testKeyDER(t testing.TB, s Spec, who string) []byte {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("testdata/test-key-%s-%s.pem", testKeyName[s], who))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("testdata key of %v: no PRIVATE KEY block", s)
	}
	return block.Bytes
}

func testKey(t testing.TB, s Spec, who string) *PrivateKey {
	t.Helper()
	k, err := ParsePrivateKey(testKeyDER(t, s, who))
	if err != nil {
		t.Fatalf("testdata key %v %s: %v", s, who, err)
	}
	return k
}

// isSentinel reports whether err is one of the package's sentinel errors.
func isSentinel(err error) bool {
	return errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrUnknownSpec) || errors.Is(err, ErrSpecMismatch)
}

func TestParseSpec(t *testing.T) {
	good := map[string]Spec{
		"ECC_NIST_P256": P256, "EC_P256": P256,
		"ECC_NIST_P384": P384, "EC_P384": P384, "EC_384": P384,
		"ECC_NIST_P521":   P521,
		"ECC_SECG_P256K1": Secp256k1, "SECP256K1": Secp256k1,
		"SM2": SM2,
	}
	for name, want := range good {
		got, err := ParseSpec(name)
		if err != nil || got != want {
			t.Errorf("ParseSpec(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, name := range []string{"", "ecc_nist_p256", "EC_P521", "P-256", "RSA_2048", "SM2 ", "AES_256", strings.Repeat("X", 1<<16)} {
		got, err := ParseSpec(name)
		if got != 0 || !errors.Is(err, ErrUnknownSpec) {
			t.Errorf("ParseSpec(%.20q) = %v, %v; want ErrUnknownSpec", name, got, err)
		}
		if len(err.Error()) > 100 {
			t.Errorf("ParseSpec error of %d bytes echoes its input", len(err.Error()))
		}
	}
	for _, s := range allSpecs {
		if got, err := ParseSpec(s.String()); got != s || err != nil {
			t.Errorf("ParseSpec(%v.String()) = %v, %v", s, got, err)
		}
	}
	if got := Spec(0).String(); got != "keyspec.Spec(0)" {
		t.Errorf("Spec(0).String() = %q", got)
	}
}

func TestInvalidSpec(t *testing.T) {
	for _, s := range []Spec{0, SM2 + 1, 255} {
		if k, err := GenerateKey(s); k != nil || !errors.Is(err, ErrUnknownSpec) {
			t.Errorf("GenerateKey(%v) = %v, %v", s, k, err)
		}
		if k, err := NewPrivateKey(s, make([]byte, 32)); k != nil || !errors.Is(err, ErrUnknownSpec) {
			t.Errorf("NewPrivateKey(%v) = %v, %v", s, k, err)
		}
		if k, err := NewPublicKey(s, testKey(t, P256, "a").PublicKey().Bytes()); k != nil || !errors.Is(err, ErrUnknownSpec) {
			t.Errorf("NewPublicKey(%v) = %v, %v", s, k, err)
		}
	}
}

// TestOpenSSLTestKeys checks the pregenerated OpenSSL keys without running
// OpenSSL: our PKCS#8 is byte-identical to OpenSSL's, and ECDH gives what
// "openssl pkeyutl -derive" gave.
func TestOpenSSLTestKeys(t *testing.T) {
	for _, s := range allSpecs {
		t.Run(s.String(), func(t *testing.T) {
			a, b := testKey(t, s, "a"), testKey(t, s, "b")
			if a.Spec() != s || a.PublicKey().Spec() != s {
				t.Fatalf("spec %v, public key spec %v", a.Spec(), a.PublicKey().Spec())
			}
			if got := a.MarshalPKCS8(); !bytes.Equal(got, testKeyDER(t, s, "a")) {
				t.Errorf("MarshalPKCS8 differs from OpenSSL's PKCS#8:\n got %x\nwant %x", got, testKeyDER(t, s, "a"))
			}
			zab, err := a.ECDH(b.PublicKey())
			if err != nil {
				t.Fatal(err)
			}
			zba, err := b.ECDH(a.PublicKey())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(zab, zba) || len(zab) != curves[s].size {
				t.Fatalf("ECDH not symmetric or of the wrong size: %x, %x", zab, zba)
			}
			if s == SM2 {
				return // OpenSSL 3.0 refuses to derive with SM2 keys: checked against the SM2 vectors instead.
			}
			data, err := os.ReadFile(fmt.Sprintf("testdata/test-key-%s-ab.shared.hex", testKeyName[s]))
			if err != nil {
				t.Fatal(err)
			}
			want, err := hex.DecodeString(strings.TrimSpace(string(data)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(zab, want) {
				t.Errorf("ECDH = %x, openssl pkeyutl -derive = %x", zab, want)
			}
		})
	}
}

// compress returns the compressed SEC 1 form of an uncompressed point.
func compress(point []byte) []byte {
	size := (len(point) - 1) / 2
	return append([]byte{2 | point[len(point)-1]&1}, point[1:1+size]...)
}

func TestRoundTrips(t *testing.T) {
	for _, s := range allSpecs {
		t.Run(s.String(), func(t *testing.T) {
			keys := []*PrivateKey{testKey(t, s, "a"), testKey(t, s, "b")}
			k, err := GenerateKey(s)
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
			for _, k := range keys {
				pub := k.PublicKey()
				point := pub.Bytes()
				if len(point) != 1+2*curves[s].size || point[0] != 4 {
					t.Fatalf("Bytes() is not an uncompressed point: %x", point)
				}

				spki := pub.MarshalPKIX()
				p2, err := ParsePublicKey(spki)
				if err != nil || !p2.Equal(pub) || p2.Spec() != s || !bytes.Equal(p2.MarshalPKIX(), spki) {
					t.Errorf("SubjectPublicKeyInfo round trip: %v", err)
				}
				for name, enc := range map[string][]byte{"uncompressed": point, "compressed": compress(point)} {
					p3, err := NewPublicKey(s, enc)
					if err != nil || !p3.Equal(pub) || !bytes.Equal(p3.Bytes(), point) {
						t.Errorf("%s point round trip: %v", name, err)
					}
				}

				pkcs8 := k.MarshalPKCS8()
				sec1 := k.MarshalSEC1()
				for name, der := range map[string][]byte{"PKCS#8": pkcs8, "SEC 1": sec1} {
					k2, err := ParsePrivateKey(der)
					if err != nil {
						t.Errorf("%s: %v", name, err)
						continue
					}
					if k2.Spec() != s || !k2.PublicKey().Equal(pub) ||
						!bytes.Equal(k2.MarshalPKCS8(), pkcs8) || !bytes.Equal(k2.MarshalSEC1(), sec1) {
						t.Errorf("%s round trip changed the key", name)
					}
				}
				k3, err := NewPrivateKey(s, k.scalar())
				if err != nil || !bytes.Equal(k3.MarshalPKCS8(), pkcs8) {
					t.Errorf("scalar round trip: %v", err)
				}
			}
			// Keys from GenerateKey differ.
			k2, err := GenerateKey(s)
			if err != nil {
				t.Fatal(err)
			}
			if k2.PublicKey().Equal(k.PublicKey()) {
				t.Error("two generated keys are equal")
			}
		})
	}
}

func TestSpecMismatch(t *testing.T) {
	for _, a := range allSpecs {
		k := testKey(t, a, "a")
		if z, err := k.ECDH(nil); z != nil || !errors.Is(err, ErrSpecMismatch) {
			t.Errorf("%v ECDH(nil) = %x, %v", a, z, err)
		}
		for _, b := range allSpecs {
			if a == b {
				continue
			}
			z, err := k.ECDH(testKey(t, b, "b").PublicKey())
			if z != nil || !errors.Is(err, ErrSpecMismatch) {
				t.Errorf("%v ECDH(%v key) = %x, %v; want ErrSpecMismatch", a, b, z, err)
			}
		}
	}
	// The same point read as another spec is still refused: P-256 and SM2
	// share sizes, but a P-256 point is not an SM2 point.
	p := testKey(t, P256, "a").PublicKey().Bytes()
	if k, err := NewPublicKey(SM2, p); k != nil || !errors.Is(err, ErrInvalidKey) {
		t.Errorf("P-256 point as SM2 = %v, %v", k, err)
	}
}

// TestNoSecretsPrinted checks that fmt shows no private key bytes, with
// any verb, for every exported type, and that errors about private keys do
// not either.
func TestNoSecretsPrinted(t *testing.T) {
	for _, s := range allSpecs {
		k := testKey(t, s, "a")
		scalar := k.scalar()
		secretForms := []string{
			hex.EncodeToString(scalar),
			strings.ToUpper(hex.EncodeToString(scalar)),
			strings.Trim(fmt.Sprint(scalar), "[]"), // fmt's decimal bytes
			fmt.Sprintf("%#v", scalar)[8:],         // {0x.., ...}
			new(big.Int).SetBytes(scalar).String(), // decimal integer
			fmt.Sprintf("%x", scalar[:8]),          // a prefix is a leak too
			strings.Trim(fmt.Sprint(scalar[:8]), "[]"),
		}
		type holder struct{ key *PrivateKey } // as a caller's struct would hold it
		for _, v := range []any{k, *k, k.PublicKey(), s, holder{k}, &holder{k}, []*PrivateKey{k}, map[string]any{"k": k}} {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d"} {
				out := fmt.Sprintf(verb, v)
				for _, secret := range secretForms {
					if strings.Contains(out, secret) {
						t.Errorf("%v: fmt %s of %T shows private key bytes: %s", s, verb, v, out)
					}
				}
			}
		}
		// Errors from private keys that fail to parse.
		bad := [][]byte{
			sec1WithPublicKey(k, testKey(t, s, "b").PublicKey().Bytes()), // mismatched public key
			append(k.MarshalPKCS8(), 0),                                  // trailing byte
			k.MarshalPKCS8()[:len(k.MarshalPKCS8())-1],                   // truncated
		}
		for i, der := range bad {
			got, err := ParsePrivateKey(der)
			if got != nil || !errors.Is(err, ErrInvalidKey) {
				t.Errorf("%v bad key %d: %v, %v", s, i, got, err)
				continue
			}
			for _, secret := range secretForms {
				if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
					t.Errorf("%v: error shows private key bytes: %v", s, err)
				}
			}
		}
	}
}

// sec1WithPublicKey returns k as an ECPrivateKey with the given point as
// its publicKey field.
func sec1WithPublicKey(k *PrivateKey, point []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1OctetString(k.scalar())
		b.AddASN1(tagECParameters, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(curves[k.spec].oid) })
		b.AddASN1(tagECPublicKey, func(b *cryptobyte.Builder) { b.AddASN1BitString(point) })
	})
	return b.BytesOrPanic()
}

// spki builds a SubjectPublicKeyInfo from an algorithm OID, optional
// parameter bytes (already DER) and a point.
func spki(alg asn1.ObjectIdentifier, params []byte, point []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(alg)
			b.AddBytes(params)
		})
		b.AddASN1BitString(point)
	})
	return b.BytesOrPanic()
}

func oidDER(oid asn1.ObjectIdentifier) []byte {
	der, err := asn1.Marshal(oid)
	if err != nil {
		panic(err)
	}
	return der
}

// TestSM2AlgorithmForms checks the one SM2 leniency: the GM/T 0006
// algorithm identifiers some Chinese tooling writes in place of
// id-ecPublicKey.
func TestSM2AlgorithmForms(t *testing.T) {
	k := testKey(t, SM2, "a")
	point := k.PublicKey().Bytes()
	null := []byte{0x05, 0x00}
	for _, alg := range []asn1.ObjectIdentifier{oidSM2, append(oidSM2, 1), append(oidSM2, 2), append(oidSM2, 3)} {
		for _, params := range [][]byte{nil, null, oidDER(oidSM2)} {
			der := spki(alg, params, point)
			pub, err := ParsePublicKey(der)
			if err != nil || !pub.Equal(k.PublicKey()) {
				t.Errorf("algorithm %v params %x: %v", alg, params, err)
				continue
			}
			if !bytes.Equal(pub.MarshalPKIX(), k.PublicKey().MarshalPKIX()) {
				t.Errorf("algorithm %v: output is not the canonical form", alg)
			}
		}
	}
	// The same algorithm identifiers as PKCS#8 privateKeyAlgorithm.
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(0)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(append(oidSM2, 1)) })
		b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) { k.addECPrivateKey(b, false) })
	})
	if k2, err := ParsePrivateKey(b.BytesOrPanic()); err != nil || !k2.PublicKey().Equal(k.PublicKey()) {
		t.Errorf("PKCS#8 with algorithm sm2-1: %v", err)
	}

	// Not accepted: other sub-arcs, other parameters, other curves.
	bad := []struct {
		alg    asn1.ObjectIdentifier
		params []byte
		point  []byte
	}{
		{append(oidSM2, 4), nil, point},
		{append(oidSM2, 1, 1), nil, point},
		{asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 302}, nil, point},            // SM9
		{oidSM2, oidDER(curves[P256].oid), point},                                // SM2 algorithm, P-256 curve
		{oidSM2, append(oidDER(oidSM2), null...), point},                         // two parameters
		{oidSM2, []byte{0x05, 0x01, 0x00}, point},                                // NULL with content
		{oidSM2, nil, testKey(t, P256, "a").PublicKey().Bytes()},                 // a P-256 point
		{oidECPublicKey, []byte{0x30, 0x00}, point},                              // explicit parameters
		{oidECPublicKey, nil, point},                                             // no curve
		{oidECPublicKey, null, point},                                            // implicitCurve
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}, null, point},         // RSA
		{oidECPublicKey, oidDER(asn1.ObjectIdentifier{1, 3, 132, 0, 33}), point}, // P-224
	}
	for _, c := range bad {
		if pub, err := ParsePublicKey(spki(c.alg, c.params, c.point)); pub != nil || !isSentinel(err) {
			t.Errorf("algorithm %v params %x: %v, %v; want an error", c.alg, c.params, pub, err)
		}
	}
}

func TestPointEncodings(t *testing.T) {
	for _, s := range allSpecs {
		k := testKey(t, s, "a")
		point := k.PublicKey().Bytes()
		size := curves[s].size
		p := curves[s].p.FillBytes(make([]byte, size))
		hybrid := append([]byte{6 | point[len(point)-1]&1}, point[1:]...)
		// An x with no point: x³+ax+b is not a square.
		var noPoint []byte
		for x := int64(1); noPoint == nil; x++ {
			cand := append([]byte{2}, big.NewInt(x).FillBytes(make([]byte, size))...)
			if _, err := decodePoint(s, cand); err != nil {
				noPoint = cand
			}
		}
		offCurve := bytes.Clone(point)
		offCurve[len(offCurve)-1] ^= 1
		for name, enc := range map[string][]byte{
			"empty":               nil,
			"infinity":            {0},
			"hybrid":              hybrid,
			"bad prefix":          append([]byte{5}, point[1:]...),
			"short":               point[:len(point)-1],
			"long":                append(bytes.Clone(point), 0),
			"compressed long":     append(compress(point), 0),
			"compressed short":    compress(point)[:size],
			"compressed x = p":    append([]byte{2}, p...),
			"compressed no point": noPoint,
			"x = p":               append(append([]byte{4}, p...), point[1+size:]...),
			"y = p":               append(append([]byte{4}, point[1:1+size]...), p...),
			"off curve":           offCurve,
			"zero":                make([]byte, 1+2*size),
		} {
			if pub, err := NewPublicKey(s, enc); pub != nil || !errors.Is(err, ErrInvalidKey) {
				t.Errorf("%v %s: %v, %v; want ErrInvalidKey", s, name, pub, err)
			}
			// The same inside a SubjectPublicKeyInfo.
			if pub, err := ParsePublicKey(spki(oidECPublicKey, oidDER(curves[s].oid), enc)); pub != nil || !errors.Is(err, ErrInvalidKey) {
				t.Errorf("%v SubjectPublicKeyInfo %s: %v, %v; want ErrInvalidKey", s, name, pub, err)
			}
		}
	}
}

func TestPrivateKeyEncodings(t *testing.T) {
	for _, s := range allSpecs {
		k := testKey(t, s, "a")
		size := curves[s].size
		n := map[Spec]*big.Int{
			P256:      elliptic.P256().Params().N,
			P384:      elliptic.P384().Params().N,
			P521:      elliptic.P521().Params().N,
			Secp256k1: secp256k1N, // SEC 2, 2.4.1
			SM2:       sm2.P256().Params().N,
		}[s]
		nMinus1 := new(big.Int).Sub(n, big.NewInt(1)).FillBytes(make([]byte, size))
		if _, err := NewPrivateKey(s, nMinus1); err != nil {
			t.Errorf("%v: n-1 refused: %v", s, err)
		}
		one := big.NewInt(1).FillBytes(make([]byte, size))
		k1, err := NewPrivateKey(s, one)
		if err != nil {
			t.Fatalf("%v: 1 refused: %v", s, err)
		}
		// A scalar with leading zeros, written without them, is accepted.
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(1)
			b.AddASN1OctetString([]byte{1})
			b.AddASN1(tagECParameters, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(curves[s].oid) })
		})
		if got, err := ParsePrivateKey(b.BytesOrPanic()); err != nil || !got.PublicKey().Equal(k1.PublicKey()) {
			t.Errorf("%v: short scalar: %v", s, err)
		}

		for name, scalar := range map[string][]byte{
			"zero":  make([]byte, size),
			"n":     n.FillBytes(make([]byte, size)),
			"max":   bytes.Repeat([]byte{0xff}, size),
			"short": one[1:],
			"long":  append([]byte{0}, one...),
			"empty": nil,
		} {
			if got, err := NewPrivateKey(s, scalar); got != nil || !errors.Is(err, ErrInvalidKey) {
				t.Errorf("%v NewPrivateKey(%s) = %v, %v", s, name, got, err)
			}
		}

		other := P256
		if s == P256 {
			other = P384
		}
		sec1 := k.MarshalSEC1()
		pkcs8 := k.MarshalPKCS8()
		// SEC 1 without the curve, PKCS#8 with a disagreeing curve.
		var noCurve, wrongCurve, v2, withAttrs cryptobyte.Builder
		noCurve.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(1)
			b.AddASN1OctetString(k.scalar())
		})
		wrongCurve.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(0)
			addAlgorithm(b, s)
			b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1Int64(1)
					b.AddASN1OctetString(k.scalar())
					b.AddASN1(tagECParameters, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(curves[other].oid) })
				})
			})
		})
		v2.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(2)
			addAlgorithm(b, s)
			b.AddASN1OctetString(sec1)
		})
		withAttrs.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(0)
			addAlgorithm(b, s)
			b.AddASN1OctetString(sec1)
			b.AddASN1(tagECParameters, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {})
			})
		})
		// PKCS#8 attributes are skipped.
		if got, err := ParsePrivateKey(withAttrs.BytesOrPanic()); err != nil || !got.PublicKey().Equal(k.PublicKey()) {
			t.Errorf("%v: PKCS#8 with attributes: %v", s, err)
		}
		for name, der := range map[string][]byte{
			"empty":               nil,
			"SEC 1 without curve": noCurve.BytesOrPanic(),
			"PKCS#8 wrong curve":  wrongCurve.BytesOrPanic(),
			"PKCS#8 version 2":    v2.BytesOrPanic(),
			"mismatched public":   sec1WithPublicKey(k, testKey(t, s, "b").PublicKey().Bytes()),
			"off-curve public":    sec1WithPublicKey(k, append([]byte{4}, make([]byte, 2*size)...)),
			"PKCS#8 trailing":     append(bytes.Clone(pkcs8), 0, 0),
			"SEC 1 trailing":      append(bytes.Clone(sec1), 0, 0),
			"too long":            make([]byte, maxKeyDER+1),
			"SPKI":                k.PublicKey().MarshalPKIX(),
		} {
			if got, err := ParsePrivateKey(der); got != nil || !errors.Is(err, ErrInvalidKey) {
				t.Errorf("%v ParsePrivateKey(%s) = %v, %v; want ErrInvalidKey", s, name, got, err)
			}
		}
		// Public key parsers refuse private keys.
		for _, der := range [][]byte{pkcs8, sec1} {
			if got, err := ParsePublicKey(der); got != nil || !errors.Is(err, ErrInvalidKey) {
				t.Errorf("%v ParsePublicKey(private key) = %v, %v", s, got, err)
			}
		}
	}
}

func TestLongOIDNotEchoed(t *testing.T) {
	long := make(asn1.ObjectIdentifier, 200)
	for i := range long {
		long[i] = 1 + i
	}
	_, err := ParsePublicKey(spki(long, nil, []byte{4}))
	if !errors.Is(err, ErrUnknownSpec) || len(err.Error()) > 100 {
		t.Errorf("error %q", err)
	}
}

// secp256k1N is the order of secp256k1's base point (SEC 2, 2.4.1).
var secp256k1N, _ = new(big.Int).SetString("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16)
