package keyspec

import (
	"bytes"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// FuzzParsePublicKey checks that ParsePublicKey never panics, fails with a
// sentinel error and a nil key, or returns a key whose MarshalPKIX parses
// back to the same key and bytes.
func FuzzParsePublicKey(f *testing.F) {
	// Every SubjectPublicKeyInfo of the Wycheproof ECDH files.
	for _, fw := range wycheproofFiles {
		if fw.ecpoint {
			continue
		}
		var file wycheproofECDH
		if err := json.Unmarshal(readTestdata(f, "wycheproof/"+fw.file), &file); err != nil {
			f.Fatal(err)
		}
		for _, g := range file.TestGroups {
			for _, tc := range g.Tests {
				der, err := hex.DecodeString(tc.Public)
				if err != nil {
					f.Fatal(err)
				}
				f.Add(der)
			}
		}
	}
	for _, s := range allSpecs {
		pub := testKey(f, s, "a").PublicKey()
		f.Add(pub.MarshalPKIX())
		f.Add(spki(oidECPublicKey, oidDER(curves[s].oid), compress(pub.Bytes())))
	}
	sm2 := testKey(f, SM2, "a").PublicKey().Bytes()
	f.Add(spki(append(oidSM2, 1), nil, sm2))
	f.Add(spki(oidSM2, []byte{5, 0}, sm2))
	f.Add(spki(append(oidSM2, 3), oidDER(oidSM2), compress(sm2)))

	f.Fuzz(func(t *testing.T, data []byte) {
		pub, err := ParsePublicKey(data)
		if err != nil {
			if pub != nil || !isSentinel(err) {
				t.Fatalf("error %v with key %v, or not a sentinel", err, pub)
			}
			return
		}
		der := pub.MarshalPKIX()
		again, err := ParsePublicKey(der)
		if err != nil || !again.Equal(pub) || !bytes.Equal(again.MarshalPKIX(), der) {
			t.Fatalf("MarshalPKIX does not round-trip: %v", err)
		}
		point, err := NewPublicKey(pub.Spec(), pub.Bytes())
		if err != nil || !point.Equal(pub) {
			t.Fatalf("Bytes does not round-trip: %v", err)
		}
	})
}

// FuzzParsePrivateKey checks that ParsePrivateKey never panics, fails with
// a sentinel error and a nil key, or returns a key whose PKCS#8 and SEC 1
// encodings parse back to the same key and bytes.
func FuzzParsePrivateKey(f *testing.F) {
	for _, s := range allSpecs {
		for _, who := range []string{"a", "b"} {
			k := testKey(f, s, who)
			f.Add(testKeyDER(f, s, who)) // as OpenSSL wrote it
			f.Add(k.MarshalSEC1())
			f.Add(sec1WithPublicKey(k, compress(k.PublicKey().Bytes())))
		}
	}
	f.Add([]byte{0x30, 0x00})
	f.Add(append(asn1Prefix(), 0x02, 0x01, 0x00))

	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePrivateKey(data)
		if err != nil {
			if k != nil || !isSentinel(err) {
				t.Fatalf("error %v with key, or not a sentinel", err)
			}
			return
		}
		pkcs8, sec1 := k.MarshalPKCS8(), k.MarshalSEC1()
		for _, der := range [][]byte{pkcs8, sec1} {
			again, err := ParsePrivateKey(der)
			if err != nil || again.Spec() != k.Spec() || !again.PublicKey().Equal(k.PublicKey()) ||
				!bytes.Equal(again.MarshalPKCS8(), pkcs8) || !bytes.Equal(again.MarshalSEC1(), sec1) {
				t.Fatalf("private key does not round-trip: %v", err)
			}
		}
	})
}

// asn1Prefix returns the start of a SEQUENCE of indefinite length: BER,
// which must be refused.
func asn1Prefix() []byte {
	der, _ := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true})
	return append(der[:1:1], 0x80)
}
