package keyspec

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/qtenclave/qtenclave/testvectors"
)

// ecdhFailures maps the failure classes of testvectors' ECDH files to this
// package's sentinels.
var ecdhFailures = map[string]error{
	"invalid_key":   ErrInvalidKey,
	"unknown_spec":  ErrUnknownSpec,
	"spec_mismatch": ErrSpecMismatch,
}

// acceptECDH decides an "acceptable" ECDH vector as the package
// documentation says: compressed points and the GM/T SM2 algorithm
// identifiers are accepted, explicit curve parameters are not.
func acceptECDH(tc *testvectors.ECDHTest) bool {
	switch {
	case tc.HasFlag("CompressedPublic"), tc.HasFlag("CompressedPoint"), tc.HasFlag("Sm2AlgorithmOid"):
		return true
	case tc.HasFlag("UnnamedCurve"):
		return false
	}
	panic("no policy for acceptable vector " + tc.String())
}

// TestVectors runs the ECDH files of testvectors (the specs Wycheproof has
// no vectors for): each valid vector must give its shared secret, each
// invalid one fail with its class's sentinel and no result.
func TestVectors(t *testing.T) {
	for _, name := range []string{"ecdh_sm2_test.json", "ecdh_sm2_ecpoint_test.json", "ecdh_secp256k1_ecpoint_test.json"} {
		f, err := testvectors.Load[testvectors.ECDHGroup](name)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, g := range f.TestGroups {
			s, ok := map[string]Spec{"sm2p256v1": SM2, "secp256k1": Secp256k1}[g.Curve]
			if !ok || (g.Encoding != "asn" && g.Encoding != "ecpoint") {
				t.Fatalf("%s: group curve %q, encoding %q", name, g.Curve, g.Encoding)
			}
			for i := range g.Tests {
				tc := &g.Tests[i]
				accept := tc.Result == "valid" || tc.Result == "acceptable" && acceptECDH(tc)
				scalar, err := fixedFromHex(s, hex.EncodeToString(tc.Private))
				if err != nil {
					t.Fatalf("%s %v: %v", name, tc, err)
				}
				priv, err := NewPrivateKey(s, scalar)
				if err != nil {
					t.Fatalf("%s %v: private key: %v", name, tc, err)
				}
				var pub *PublicKey
				if g.Encoding == "asn" {
					pub, err = ParsePublicKey(tc.Public)
				} else {
					pub, err = NewPublicKey(s, tc.Public)
				}
				var z []byte
				if err == nil {
					z, err = priv.ECDH(pub)
				}
				switch {
				case accept && err != nil:
					t.Errorf("%s %v: %v", name, tc, err)
				case accept && !bytes.Equal(z, tc.Shared):
					t.Errorf("%s %v: shared %x, want %x", name, tc, z, tc.Shared)
				case accept:
				case err == nil:
					t.Errorf("%s %v: accepted, shared %x", name, tc, z)
				case z != nil:
					t.Errorf("%s %v: a result beside the error %v", name, tc, err)
				case !errors.Is(err, ecdhFailures[tc.Failure]):
					t.Errorf("%s %v: %v, want class %s", name, tc, err, tc.Failure)
				}
				counts[tc.Result]++
			}
		}
		t.Logf("%s: %d vectors decided: %v", name, f.NumberOfTests, counts)
	}
}
