package main

import (
	"fmt"
	"math/big"
)

// The ECDH family for the key specs Wycheproof has no vectors for: SM2
// (sm2p256v1, GB/T 32918.5) with both public key encodings, and
// secp256k1 with bare SEC 1 points. The curve arithmetic is written out
// here with math/big (affine short Weierstrass, y^2 = x^3 + ax + b), not
// taken from any library: this is vector generation, not production code,
// and its speed and timing do not matter.

type curveParams struct {
	name      string
	p, a, b   *big.Int
	n, gx, gy *big.Int
	size      int
	oid       []int
}

func hexInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("bad hex " + s)
	}
	return n
}

var (
	// sm2p256v1, GB/T 32918.5-2017 (GM/T 0003.5-2012), the recommended curve.
	sm2Curve = &curveParams{
		name: "sm2p256v1",
		p:    hexInt("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF"),
		a:    hexInt("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"),
		b:    hexInt("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"),
		n:    hexInt("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123"),
		gx:   hexInt("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"),
		gy:   hexInt("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"),
		size: 32,
		oid:  []int{1, 2, 156, 10197, 1, 301},
	}
	// secp256k1, SEC 2 version 2.0, section 2.4.1.
	secp256k1Curve = &curveParams{
		name: "secp256k1",
		p:    hexInt("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F"),
		a:    big.NewInt(0),
		b:    big.NewInt(7),
		n:    hexInt("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"),
		gx:   hexInt("79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798"),
		gy:   hexInt("483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8"),
		size: 32,
		oid:  []int{1, 3, 132, 0, 10},
	}
	oidECPublicKey = []int{1, 2, 840, 10045, 2, 1}
	oidP256        = []int{1, 2, 840, 10045, 3, 1, 7}
)

// point is an affine point; nil is the point at infinity.
type point struct{ x, y *big.Int }

func (c *curveParams) mod(v *big.Int) *big.Int { return v.Mod(v, c.p) }

// onCurve reports whether (x, y) satisfies the curve equation with
// coordinates in [0, p).
func (c *curveParams) onCurve(x, y *big.Int) bool {
	if x.Sign() < 0 || x.Cmp(c.p) >= 0 || y.Sign() < 0 || y.Cmp(c.p) >= 0 {
		return false
	}
	return c.mod(new(big.Int).Mul(y, y)).Cmp(c.rhs(x, c.b)) == 0
}

// rhs is x^3 + ax + b mod p.
func (c *curveParams) rhs(x, b *big.Int) *big.Int {
	r := new(big.Int).Exp(x, big.NewInt(3), c.p)
	r.Add(r, new(big.Int).Mul(c.a, x))
	r.Add(r, b)
	return c.mod(r)
}

func (c *curveParams) add(p, q *point) *point {
	switch {
	case p == nil:
		return q
	case q == nil:
		return p
	}
	var l *big.Int
	if p.x.Cmp(q.x) == 0 {
		if new(big.Int).Add(p.y, q.y).Cmp(c.p) == 0 || p.y.Sign() == 0 && q.y.Sign() == 0 {
			return nil // p = -q
		}
		// Doubling: l = (3x^2 + a) / 2y.
		num := new(big.Int).Mul(p.x, p.x)
		num.Mul(num, big.NewInt(3)).Add(num, c.a)
		den := new(big.Int).Lsh(p.y, 1)
		l = num.Mul(num, den.ModInverse(c.mod(den), c.p))
	} else {
		num := new(big.Int).Sub(q.y, p.y)
		den := c.mod(new(big.Int).Sub(q.x, p.x))
		l = num.Mul(num, den.ModInverse(den, c.p))
	}
	c.mod(l)
	x := new(big.Int).Mul(l, l)
	x.Sub(x, p.x).Sub(x, q.x)
	c.mod(x)
	y := new(big.Int).Sub(p.x, x)
	y.Mul(y, l).Sub(y, p.y)
	c.mod(y)
	return &point{x, y}
}

// mul is k*p by double and add (variable time: test vectors only).
func (c *curveParams) mul(k *big.Int, p *point) *point {
	var r *point
	for i := k.BitLen() - 1; i >= 0; i-- {
		r = c.add(r, r)
		if k.Bit(i) == 1 {
			r = c.add(r, p)
		}
	}
	return r
}

func (c *curveParams) g() *point { return &point{c.gx, c.gy} }

// sqrt returns a square root of v mod p (p = 3 mod 4 for both curves), or
// nil.
func (c *curveParams) sqrt(v *big.Int) *big.Int {
	e := new(big.Int).Add(c.p, big.NewInt(1))
	e.Rsh(e, 2)
	r := new(big.Int).Exp(v, e, c.p)
	if c.mod(new(big.Int).Mul(r, r)).Cmp(c.mod(new(big.Int).Set(v))) != 0 {
		return nil
	}
	return r
}

func (c *curveParams) fixed(v *big.Int) []byte { return v.FillBytes(make([]byte, c.size)) }

func (c *curveParams) uncompressed(p *point) []byte {
	return concat([]byte{4}, c.fixed(p.x), c.fixed(p.y))
}

func (c *curveParams) compressed(p *point) []byte {
	return concat([]byte{byte(2 + p.y.Bit(0))}, c.fixed(p.x))
}

// scalar returns a deterministic private scalar in [1, n-2] for a label.
func (c *curveParams) scalar(label string) *big.Int {
	d := new(big.Int).SetBytes(bytesOf("ecdh "+c.name+" "+label, c.size+8))
	d.Mod(d, new(big.Int).Sub(c.n, big.NewInt(2)))
	return d.Add(d, big.NewInt(1))
}

// spki encodes a SubjectPublicKeyInfo with the given algorithm OID, curve
// parameter (encoded, or nil) and point.
func spki(alg []int, param []byte, pt []byte) []byte {
	algID := concat(oid(alg...))
	if param != nil {
		algID = append(algID, param...)
	}
	return seq(seq(algID), tlv(0x03, append([]byte{0}, pt...)))
}

type ecdhGroup struct {
	Type     string      `json:"type"`
	Curve    string      `json:"curve"`
	Encoding string      `json:"encoding"`
	Tests    []*ecdhTest `json:"tests"`
}

type ecdhTest struct {
	common
	Public  hexBytes `json:"public"`
	Private hexBytes `json:"private"`
	Shared  hexBytes `json:"shared"`
	Result  string   `json:"result"`
	Failure string   `json:"failure,omitempty"`
}

// Failure classes of the ECDH family.
const (
	failInvalidKey   = "invalid_key"   // malformed encoding, point not on the curve, infinity
	failUnknownSpec  = "unknown_spec"  // a well-formed key of a curve or algorithm that is none of the specs
	failSpecMismatch = "spec_mismatch" // a valid key of another spec than the private key's
)

var ecdhNotes = map[string]note{
	"Normal":                  {"BASIC", "A random key pair."},
	"EdgeCasePrivateKey":      {"EDGE_CASE", "The private scalar is 1, 2, or n-2 (SM2 private keys are in [1, n-2])."},
	"EdgeCaseSharedSecret":    {"EDGE_CASE", "The shared x-coordinate starts with zero bytes: it must keep its full length."},
	"PeerIsGenerator":         {"EDGE_CASE", "The peer's public key is the base point G."},
	"CompressedPublic":        {"EDGE_CASE", "The public key is a compressed point (02 or 03, then x). qtenclave accepts compressed points; an implementation may accept only uncompressed ones."},
	"CompressedPoint":         {"EDGE_CASE", "The public key is a compressed point (02 or 03, then x). qtenclave accepts compressed points; an implementation may accept only uncompressed ones."},
	"InvalidCompressedPublic": {"MODIFIED_PARAMETER", "A compressed point whose x has no point on the curve."},
	"InvalidPublic":           {"MODIFIED_PARAMETER", "The public point is not on the curve, is the point at infinity, or has a coordinate out of range."},
	"InvalidCurveAttack":      {"CONFIDENTIALITY", "The public point lies on another curve y^2 = x^3 + ax + b' (an invalid-curve attack): a verifier that skips the on-curve check leaks its private key."},
	"InvalidEncoding":         {"MODIFIED_PARAMETER", "The point encoding is wrong: hybrid (06, 07), a wrong length, or an unknown prefix."},
	"InvalidAsn":              {"BER_ENCODING", "The SubjectPublicKeyInfo is not DER: trailing data, a BIT STRING with unused bits, a long-form length."},
	"WrongCurve":              {"MODIFIED_PARAMETER", "The public key is of another curve (P-256) than the private key."},
	"UnknownCurve":            {"MODIFIED_PARAMETER", "The named curve is none of the key specs' curves."},
	"UnnamedCurve":            {"EDGE_CASE", "The curve is given by explicit parameters, which RFC 5480 forbids. qtenclave rejects them."},
	"Sm2AlgorithmOid":         {"EDGE_CASE", "The SM2 key is labelled with the GM/T 0006 algorithm identifier 1.2.156.10197.1.301 (or its .1 / .3 sub-arcs) instead of id-ecPublicKey, with the curve parameter absent, NULL or sm2p256v1, as some Chinese tooling writes. qtenclave accepts these."},
}

func ecdhFile(name, alg string, c *curveParams, ecpoint bool) *vectorFile {
	schema := "ecdh_test_schema.json"
	enc := "asn"
	typ := "EcdhTest"
	if ecpoint {
		schema, enc, typ = "ecdh_ecpoint_test_schema.json", "ecpoint", "EcdhEcpointTest"
	}
	return &vectorFile{
		name:             name,
		Algorithm:        alg,
		Schema:           schema,
		GeneratorVersion: generatorVersion,
		Header: []string{
			"ECDH on " + c.name + " in Wycheproof's " + typ + " layout: private is a big-endian scalar, public the peer's key",
			"(" + map[bool]string{false: "a DER SubjectPublicKeyInfo", true: "a SEC 1 point"}[ecpoint] + "), shared the x-coordinate of private * public, of fixed length.",
			"Wycheproof has no vectors for this curve" + map[bool]string{false: "", true: " with bare points"}[ecpoint] + ". Every key is a TEST KEY of the qtenclave test vectors.",
		},
		Notes:      ecdhNotes,
		TestGroups: []any{&ecdhGroup{Type: typ, Curve: c.name, Encoding: enc}},
	}
}

// ecdhCases adds the cases of a curve to f's only group; wrap turns a SEC 1
// point into the public key encoding (SPKI or the bare point).
func ecdhCases(f *vectorFile, c *curveParams, wrap func([]byte) []byte, compressedFlag string) {
	g := f.TestGroups[0].(*ecdhGroup)
	add := func(comment string, d *big.Int, pub []byte, shared []byte, result, failure string, flags ...string) {
		g.Tests = append(g.Tests, &ecdhTest{common: f.newCommon(comment, flags...), Public: pub, Private: c.fixed(d), Shared: shared, Result: result, Failure: failure})
	}
	pair := func(label string) (*big.Int, *point, []byte) {
		d := c.scalar(label + " private")
		q := c.mul(c.scalar(label+" peer"), c.g())
		return d, q, c.fixed(c.mul(d, q).x)
	}
	for i := range 16 {
		d, q, z := pair(fmt.Sprintf("normal %d", i))
		add("random key pair", d, wrap(c.uncompressed(q)), z, valid, "", "Normal")
	}
	for _, d := range []*big.Int{big.NewInt(1), big.NewInt(2), new(big.Int).Sub(c.n, big.NewInt(2))} {
		_, q, _ := pair("edge private")
		add(fmt.Sprintf("private key %x", d), d, wrap(c.uncompressed(q)), c.fixed(c.mul(d, q).x), valid, "", "EdgeCasePrivateKey")
	}
	{
		d := c.scalar("generator")
		add("the peer's key is the base point", d, wrap(c.uncompressed(c.g())), c.fixed(c.mul(d, c.g()).x), valid, "", "PeerIsGenerator")
	}
	// A shared secret with a leading zero byte: search deterministically.
	for i, found := 0, 0; found < 2; i++ {
		d, q, z := pair(fmt.Sprintf("leading zero %d", i))
		if z[0] == 0 {
			add("the shared x-coordinate starts with a zero byte", d, wrap(c.uncompressed(q)), z, valid, "", "EdgeCaseSharedSecret")
			found++
		}
	}
	for i := range 4 {
		d, q, z := pair(fmt.Sprintf("compressed %d", i))
		add(fmt.Sprintf("compressed public key (0%d)", 2+q.y.Bit(0)), d, wrap(c.compressed(q)), z, acceptable, failInvalidKey, compressedFlag)
	}

	d, q, _ := pair("invalid")
	up := c.uncompressed(q)
	offCurve := cloneBytes(up)
	offCurve[len(offCurve)-1] ^= 0x01
	add("y + 1: not on the curve", d, wrap(offCurve), nil, invalid, failInvalidKey, "InvalidPublic")
	add("the point at infinity (00)", d, wrap([]byte{0}), nil, invalid, failInvalidKey, "InvalidPublic")
	add("(0, 0)", d, wrap(concat([]byte{4}, make([]byte, 2*c.size))), nil, invalid, failInvalidKey, "InvalidPublic")
	{
		// x + p, y: the same residue, out of range; fits 32 bytes only if
		// x + p < 2^256, so use y + p where it fits, else x.
		big256 := new(big.Int).Lsh(big.NewInt(1), 256)
		if xp := new(big.Int).Add(q.x, c.p); xp.Cmp(big256) < 0 {
			add("x + p: a coordinate out of range", d, wrap(concat([]byte{4}, c.fixed(xp), c.fixed(q.y))), nil, invalid, failInvalidKey, "InvalidPublic")
		}
		if yp := new(big.Int).Add(q.y, c.p); yp.Cmp(big256) < 0 {
			add("y + p: a coordinate out of range", d, wrap(concat([]byte{4}, c.fixed(q.x), c.fixed(yp))), nil, invalid, failInvalidKey, "InvalidPublic")
		}
		add("x = p", d, wrap(concat([]byte{4}, c.fixed(c.p), c.fixed(q.y))), nil, invalid, failInvalidKey, "InvalidPublic")
		add("compressed x = p", d, wrap(concat([]byte{2}, c.fixed(c.p))), nil, invalid, failInvalidKey, "InvalidPublic")
		neg := &point{q.x, c.mod(new(big.Int).Sub(c.p, q.y))}
		add("compressed with the wrong parity bit: the negated point", d, wrap(concat([]byte{byte(2 + neg.y.Bit(0))}, c.fixed(q.x))), c.fixed(c.mul(d, neg).x), acceptable, failInvalidKey, compressedFlag)
	}
	for i, found := 0, 0; found < 2; i++ {
		x := new(big.Int).SetBytes(bytesOf(fmt.Sprintf("no root %d", i), c.size))
		x.Mod(x, c.p)
		if c.sqrt(c.rhs(x, c.b)) == nil {
			add("compressed x with no point on the curve", d, wrap(concat([]byte{2}, c.fixed(x))), nil, invalid, failInvalidKey, "InvalidCompressedPublic")
			found++
		}
	}
	for i := range 4 {
		// A point on y^2 = x^3 + ax + b' for another b'.
		x := new(big.Int).SetBytes(bytesOf(fmt.Sprintf("twist x %d", i), c.size))
		y := new(big.Int).SetBytes(bytesOf(fmt.Sprintf("twist y %d", i), c.size))
		x.Mod(x, c.p)
		y.Mod(y, c.p)
		add("a point on another curve (invalid-curve attack)", d, wrap(concat([]byte{4}, c.fixed(x), c.fixed(y))), nil, invalid, failInvalidKey, "InvalidCurveAttack")
	}
	add("hybrid encoding (06/07)", d, wrap(concat([]byte{byte(6 + q.y.Bit(0))}, c.fixed(q.x), c.fixed(q.y))), nil, invalid, failInvalidKey, "InvalidEncoding")
	add("uncompressed, last byte missing", d, wrap(up[:len(up)-1]), nil, invalid, failInvalidKey, "InvalidEncoding")
	add("uncompressed, a byte too many", d, wrap(append(cloneBytes(up), 0)), nil, invalid, failInvalidKey, "InvalidEncoding")
	add("x alone, without a prefix", d, wrap(c.fixed(q.x)), nil, invalid, failInvalidKey, "InvalidEncoding")
	add("prefix 05", d, wrap(concat([]byte{5}, up[1:])), nil, invalid, failInvalidKey, "InvalidEncoding")
	add("empty", d, wrap([]byte{}), nil, invalid, failInvalidKey, "InvalidEncoding")
}

func cloneBytes(b []byte) []byte { return append([]byte(nil), b...) }

// sm2ECDHFile is ecdh_sm2_test.json (SubjectPublicKeyInfo) or
// ecdh_sm2_ecpoint_test.json (bare points).
func sm2ECDHFile(ecpoint bool) *vectorFile {
	c := sm2Curve
	if ecpoint {
		f := ecdhFile("ecdh_sm2_ecpoint_test.json", "ECDH", c, true)
		ecdhCases(f, c, func(p []byte) []byte { return p }, "CompressedPoint")
		return f
	}
	f := ecdhFile("ecdh_sm2_test.json", "ECDH", c, false)
	named := func(p []byte) []byte { return spki(oidECPublicKey, oid(c.oid...), p) }
	ecdhCases(f, c, named, "CompressedPublic")
	g := f.TestGroups[0].(*ecdhGroup)
	add := func(comment string, d *big.Int, pub []byte, shared []byte, result, failure string, flags ...string) {
		g.Tests = append(g.Tests, &ecdhTest{common: f.newCommon(comment, flags...), Public: pub, Private: c.fixed(d), Shared: shared, Result: result, Failure: failure})
	}
	d := c.scalar("asn private")
	q := c.mul(c.scalar("asn peer"), c.g())
	z := c.fixed(c.mul(d, q).x)
	up := c.uncompressed(q)
	sm2Alg := []int{1, 2, 156, 10197, 1, 301}
	for _, v := range []struct {
		what  string
		alg   []int
		param []byte
	}{
		{"algorithm 1.2.156.10197.1.301, no parameters", sm2Alg, nil},
		{"algorithm 1.2.156.10197.1.301, NULL parameters", sm2Alg, derNull},
		{"algorithm 1.2.156.10197.1.301, curve sm2p256v1", sm2Alg, oid(c.oid...)},
		{"algorithm 1.2.156.10197.1.301.1 (SM2 signature), no parameters", append(sm2Alg[:6:6], 1), nil},
		{"algorithm 1.2.156.10197.1.301.3 (SM2 encryption), curve sm2p256v1", append(sm2Alg[:6:6], 3), oid(c.oid...)},
	} {
		add(v.what, d, spki(v.alg, v.param, up), z, acceptable, failUnknownSpec, "Sm2AlgorithmOid")
	}
	// The same point under P-256's name is not on P-256.
	add("an SM2 point labelled as P-256", d, spki(oidECPublicKey, oid(oidP256...), up), nil, invalid, failInvalidKey, "WrongCurve")
	// A valid P-256 key: P-256's generator.
	p256G := concat([]byte{4},
		hexInt("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296").FillBytes(make([]byte, 32)),
		hexInt("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5").FillBytes(make([]byte, 32)))
	add("a valid P-256 public key", d, spki(oidECPublicKey, oid(oidP256...), p256G), nil, invalid, failSpecMismatch, "WrongCurve")
	add("named curve brainpoolP256r1", d, spki(oidECPublicKey, oid(1, 3, 36, 3, 3, 2, 8, 1, 1, 7), up), nil, invalid, failUnknownSpec, "UnknownCurve")
	explicit := seq(derInt(1), seq(oid(1, 2, 840, 10045, 1, 1), tlv(tagInteger, append([]byte{0}, c.fixed(c.p)...))),
		seq(oct(c.fixed(c.a)), oct(c.fixed(c.b))), oct(c.uncompressed(c.g())), tlv(tagInteger, append([]byte{0}, c.fixed(c.n)...)), derInt(1))
	add("explicit curve parameters of sm2p256v1", d, spki(oidECPublicKey, explicit, up), z, acceptable, failInvalidKey, "UnnamedCurve")
	good := named(up)
	add("a byte after the SubjectPublicKeyInfo", d, append(cloneBytes(good), 0), nil, invalid, failInvalidKey, "InvalidAsn")
	withUnused := cloneBytes(good)
	withUnused[len(withUnused)-len(up)-1] = 1 // the BIT STRING's unused-bits count
	add("the BIT STRING with 1 unused bit", d, withUnused, nil, invalid, failInvalidKey, "InvalidAsn")
	long := concat([]byte{0x30, 0x81, good[1]}, good[2:])
	add("the outer SEQUENCE length in long form", d, long, nil, invalid, failInvalidKey, "InvalidAsn")
	add("parameters absent with id-ecPublicKey", d, spki(oidECPublicKey, nil, up), nil, invalid, failInvalidKey, "InvalidAsn")
	return f
}

// secp256k1ECPointFile is ecdh_secp256k1_ecpoint_test.json, the file
// Wycheproof lacks.
func secp256k1ECPointFile() *vectorFile {
	c := secp256k1Curve
	f := ecdhFile("ecdh_secp256k1_ecpoint_test.json", "ECDH", c, true)
	ecdhCases(f, c, func(p []byte) []byte { return p }, "CompressedPoint")
	return f
}
