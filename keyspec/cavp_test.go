package keyspec

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// TestCAVPKASECCCDH runs the P-256, P-384 and P-521 sections of NIST CAVS
// 14.1 KAS_ECC_CDH_PrimitiveTest.txt (testdata/PROVENANCE.md): the IUT's
// private key must give its public key QIUT, and ECDH with the peer's
// QCAVS must give ZIUT.
func TestCAVPKASECCCDH(t *testing.T) {
	sections := map[string]Spec{"[P-256]": P256, "[P-384]": P384, "[P-521]": P521}
	data := readTestdata(t, "nist_cavp/KAS_ECC_CDH_PrimitiveTest_P256_P384_P521.txt")

	var s Spec
	var section string
	c := map[string]string{}
	total, failed := 0, 0
	perSection := map[string]int{}
	run := func() {
		if len(c) == 0 {
			return
		}
		total++
		perSection[section]++
		if err := runCAVPCase(s, c); err != "" {
			failed++
			t.Errorf("%s COUNT = %s: %s", section, c["COUNT"], err)
		}
		clear(c)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			run()
			var ok bool
			if s, ok = sections[line]; !ok {
				t.Fatalf("unexpected section %s", line)
			}
			section = line
		case strings.HasPrefix(line, "COUNT = "):
			run()
			c["COUNT"] = strings.TrimPrefix(line, "COUNT = ")
		default:
			k, v, ok := strings.Cut(line, " = ")
			if !ok || s == 0 {
				t.Fatalf("unexpected line %q", line)
			}
			c[k] = v
		}
	}
	run()
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if total != 75 || perSection["[P-256]"] != 25 || perSection["[P-384]"] != 25 || perSection["[P-521]"] != 25 {
		t.Errorf("ran %d cases (%v), want 75, 25 per curve", total, perSection)
	}
	t.Logf("nist cavp KAS_ECC_CDH_PrimitiveTest: %d cases: %d passed, %d failed, 0 skipped", total, total-failed, failed)
}

func runCAVPCase(s Spec, c map[string]string) string {
	field := func(name string) []byte {
		b, err := fixedFromHex(s, c[name])
		if err != nil || c[name] == "" {
			return nil
		}
		return b
	}
	point := func(x, y string) []byte {
		bx, by := field(x), field(y)
		if bx == nil || by == nil {
			return nil
		}
		return append(append([]byte{pointUncompressed}, bx...), by...)
	}
	d, qiut, qcavs, ziut := field("dIUT"), point("QIUTx", "QIUTy"), point("QCAVSx", "QCAVSy"), field("ZIUT")
	if d == nil || qiut == nil || qcavs == nil || ziut == nil {
		return "incomplete or malformed case"
	}
	priv, err := NewPrivateKey(s, d)
	if err != nil {
		return "dIUT: " + err.Error()
	}
	if got := priv.PublicKey().Bytes(); !bytes.Equal(got, qiut) {
		return "QIUT = " + hex.EncodeToString(got)
	}
	// The peer key travels as a SubjectPublicKeyInfo, as in a KMS request.
	peer, err := NewPublicKey(s, qcavs)
	if err == nil {
		peer, err = ParsePublicKey(peer.MarshalPKIX())
	}
	if err != nil {
		return "QCAVS: " + err.Error()
	}
	z, err := priv.ECDH(peer)
	if err != nil {
		return "ECDH: " + err.Error()
	}
	if !bytes.Equal(z, ziut) {
		return "Z = " + hex.EncodeToString(z)
	}
	return ""
}
