package main

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"testing"
)

// Known answers for the primitives the generator writes out itself, from
// the standards' own examples.

func TestSM3(t *testing.T) {
	// GB/T 32905-2016, examples 1 and 2.
	for _, c := range []struct{ in, want string }{
		{"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
		{"abcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcd", "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
	} {
		if got := sm3([]byte(c.in)); hex.EncodeToString(got[:]) != c.want {
			t.Errorf("SM3(%q) = %x", c.in, got)
		}
	}
}

func TestKWP(t *testing.T) {
	// RFC 5649, section 6.
	kek, _ := hex.DecodeString("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8")
	for _, c := range []struct{ key, want string }{
		{"c37b7e6492584340bed12207808941155068f738", "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"},
		{"466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"},
	} {
		key, _ := hex.DecodeString(c.key)
		if got := kwp(kek, key, uint32(len(key)), 0); hex.EncodeToString(got) != c.want {
			t.Errorf("KWP(%s) = %x", c.key, got)
		}
	}
	// RFC 3394, section 4.1.
	kek, _ = hex.DecodeString("000102030405060708090A0B0C0D0E0F")
	key, _ := hex.DecodeString("00112233445566778899AABBCCDDEEFF")
	if got := kw3394(kek, key); hex.EncodeToString(got) != "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5" {
		t.Errorf("KW = %x", got)
	}
}

func TestCurves(t *testing.T) {
	for _, c := range []*curveParams{sm2Curve, secp256k1Curve} {
		if !c.onCurve(c.gx, c.gy) {
			t.Errorf("%s: G is not on the curve", c.name)
		}
		if c.mul(c.n, c.g()) != nil {
			t.Errorf("%s: n*G is not the point at infinity", c.name)
		}
		if p := c.mul(big.NewInt(3), c.g()); !c.onCurve(p.x, p.y) || !bytes.Equal(c.uncompressed(p), c.uncompressed(c.add(c.g(), c.add(c.g(), c.g())))) {
			t.Errorf("%s: 3G", c.name)
		}
	}
	// The key pair of the GM/T 0003.5 (GB/T 32918.5) examples on the
	// recommended curve: d*G.
	d := hexInt("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
	p := sm2Curve.mul(d, sm2Curve.g())
	if hex.EncodeToString(sm2Curve.uncompressed(p)) != "04"+
		"09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"+
		"ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13" {
		t.Errorf("SM2 d*G = %x", sm2Curve.uncompressed(p))
	}
	// secp256k1: 2G (SEC 2 / widely published).
	two := secp256k1Curve.mul(big.NewInt(2), secp256k1Curve.g())
	if two.x.Text(16) != "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5" {
		t.Errorf("secp256k1 2G x = %x", two.x)
	}
}
