package keyspec

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// sm2Vectors is the part of testdata/sm/sm_vectors.json
// (testdata/PROVENANCE.md) that is about keys and ECDH.
type sm2Vectors struct {
	ScalarBaseMult []struct {
		Curve string `json:"curve"`
		D     string `json:"d"`
		X     string `json:"x"`
		Y     string `json:"y"`
		Note  string `json:"note"`
	} `json:"sm2_scalar_base_mult"`
	ECDH []struct {
		Name  string `json:"name"`
		Curve string `json:"curve"`
		Cases []struct {
			Private         string `json:"private"`
			PublicOfPrivate string `json:"public_of_private"`
			PeerPublic      string `json:"peer_public"`
		} `json:"cases"`
		SharedX string `json:"shared_x"`
	} `json:"sm2_ecdh"`
}

// sm2KMSCurve is the only SM2 curve a KMS uses. The vectors also hold
// cases on the Fp-256 example curve of the standard's annexes, which no
// KMS key spec names; they are counted as skipped, with that reason.
const sm2KMSCurve = "sm2p256v1"

func TestSM2Vectors(t *testing.T) {
	var v sm2Vectors
	if err := json.Unmarshal(readTestdata(t, "sm/sm_vectors.json"), &v); err != nil {
		t.Fatal(err)
	}

	t.Run("scalar_base_mult", func(t *testing.T) {
		passed, skipped := 0, 0
		for i, c := range v.ScalarBaseMult {
			if c.Curve != sm2KMSCurve {
				skipped++
				continue
			}
			want := append([]byte{pointUncompressed}, append(mustFixed(t, c.X), mustFixed(t, c.Y)...)...)
			k, err := NewPrivateKey(SM2, mustFixed(t, c.D))
			if err != nil {
				t.Errorf("case %d (%s): %v", i, c.Note, err)
				continue
			}
			if got := k.PublicKey().Bytes(); !bytes.Equal(got, want) {
				t.Errorf("case %d (%s): public key %x, want %x", i, c.Note, got, want)
				continue
			}
			passed++
		}
		if passed+skipped != 6 {
			t.Errorf("ran %d cases, PROVENANCE.md counts 6", passed+skipped)
		}
		t.Logf("sm2 vectors sm2_scalar_base_mult: %d cases: %d passed, %d failed, %d skipped (not on %s)",
			len(v.ScalarBaseMult), passed, len(v.ScalarBaseMult)-passed-skipped, skipped, sm2KMSCurve)
	})

	t.Run("ecdh", func(t *testing.T) {
		total, passed, skipped := 0, 0, 0
		for _, g := range v.ECDH {
			for i, c := range g.Cases {
				total++
				if g.Curve != sm2KMSCurve {
					skipped++
					continue
				}
				k, err := NewPrivateKey(SM2, mustFixed(t, c.Private))
				if err != nil {
					t.Errorf("%s case %d: %v", g.Name, i, err)
					continue
				}
				if got, want := k.PublicKey().Bytes(), mustHex(t, c.PublicOfPrivate); !bytes.Equal(got, want) {
					t.Errorf("%s case %d: public key %x, want %x", g.Name, i, got, want)
					continue
				}
				peer, err := NewPublicKey(SM2, mustHex(t, c.PeerPublic))
				if err == nil {
					peer, err = ParsePublicKey(peer.MarshalPKIX())
				}
				if err != nil {
					t.Errorf("%s case %d: peer: %v", g.Name, i, err)
					continue
				}
				z, err := k.ECDH(peer)
				if err != nil {
					t.Errorf("%s case %d: %v", g.Name, i, err)
					continue
				}
				if want := mustHex(t, g.SharedX); !bytes.Equal(z, want) {
					t.Errorf("%s case %d: shared %x, want %x", g.Name, i, z, want)
					continue
				}
				passed++
			}
		}
		if total != 4 || passed != 2 {
			t.Errorf("ran %d cases, %d on %s; PROVENANCE.md counts 4, 2 on the recommended curve", total, passed, sm2KMSCurve)
		}
		t.Logf("sm2 vectors sm2_ecdh: %d cases: %d passed, %d failed, %d skipped (Fp-256 example curve of the annexes, not %s, which is the only SM2 curve of the KMS key spec)",
			total, passed, total-passed-skipped, skipped, sm2KMSCurve)
	})
}

func mustHex(t *testing.T, h string) []byte {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustFixed(t *testing.T, h string) []byte {
	t.Helper()
	b, err := fixedFromHex(SM2, h)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
