package main

import (
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"slices"
)

// The KMS payload family: the plain_text of encrypt-datakey, and the
// wrapped key material of import-key-material.

type datakeyGroup struct {
	Type    string         `json:"type"`
	KeySpec string         `json:"keySpec"`
	Digest  string         `json:"digest"`
	Tests   []*datakeyTest `json:"tests"`
}

type datakeyTest struct {
	common
	DatakeyLength int      `json:"datakeyLength"`
	PlainText     hexBytes `json:"plainText"`
	Datakey       hexBytes `json:"datakey"`
	Result        string   `json:"result"`
	Failure       string   `json:"failure,omitempty"`
}

// Failure classes of the KMS payload family.
const (
	failInvalidLength  = "invalid_length"  // plain_text is not datakeyLength + 32 bytes
	failDigestMismatch = "digest_mismatch" // the digest is not the DEK's
	failImportDecrypt  = "decryption"      // the key material does not decrypt or unwrap, or has the wrong size
	failKeyMismatch    = "key_mismatch"    // the unwrapped private key is not a PKCS#8 key of the key spec
)

var datakeyNotes = map[string]note{
	"Normal":           {"BASIC", "plain_text is the DEK followed by its 32-byte digest: SHA-256 for an AES CMK, SM3 for an SM4 CMK."},
	"DatakeyLength":    {"EDGE_CASE", "A DEK of 1 or 1024 bytes, the ends of datakey_plain_length's range."},
	"SeedExample":      {"FUNCTIONALITY", "The example request of Huawei Cloud's encrypt-datakey page (https://support.huaweicloud.com/intl/en-us/api-dew/EncryptDatakey.html): a 64-byte DEK and its SHA-256."},
	"ModifiedDigest":   {"MODIFIED_PARAMETER", "The digest does not match the DEK (a bit flipped, or the digest of other bytes)."},
	"WrongDigest":      {"MODIFIED_PARAMETER", "The digest is the other algorithm's: SM3 for an AES CMK, SHA-256 for an SM4 CMK."},
	"DigestFirst":      {"MODIFIED_PARAMETER", "The digest comes before the DEK."},
	"WrongLength":      {"MODIFIED_PARAMETER", "plain_text is not datakeyLength + 32 bytes: the digest is missing, truncated or longer, or the length names another DEK size."},
	"DigestOfPrefixed": {"MODIFIED_PARAMETER", "The digest covers the DEK and more."},
}

func datakeyFile() *vectorFile {
	f := &vectorFile{
		name:             "kms_encrypt_datakey_test.json",
		Algorithm:        "KmsEncryptDatakeyPlainText",
		Schema:           "kms_encrypt_datakey_test_schema.json",
		GeneratorVersion: generatorVersion,
		Header: []string{
			"The plain_text of Huawei Cloud KMS encrypt-datakey (hex on the wire, bytes here): the plaintext DEK of",
			"datakeyLength bytes followed by the SHA-256 (AES CMK) or SM3 (SM4 CMK) of the DEK, 32 bytes.",
			"A KMS must refuse a plain_text whose length or digest is wrong. datakey is the DEK of a valid test.",
		},
		Notes: datakeyNotes,
	}
	sha := func(b []byte) []byte { h := sha256.Sum256(b); return h[:] }
	sm := func(b []byte) []byte { h := sm3(b); return h[:] }
	for _, grp := range []struct {
		spec, digest string
		h, other     func([]byte) []byte
	}{{"AES_256", "SHA-256", sha, sm}, {"SM4", "SM3", sm, sha}} {
		g := &datakeyGroup{Type: "KmsEncryptDatakey", KeySpec: grp.spec, Digest: grp.digest}
		add := func(comment string, n int, plain, dek []byte, result, failure string, flags ...string) {
			g.Tests = append(g.Tests, &datakeyTest{common: f.newCommon(comment, flags...), DatakeyLength: n, PlainText: plain, Datakey: dek, Result: result, Failure: failure})
		}
		for _, n := range []int{16, 24, 32, 48, 64, 128, 512} {
			dek := bytesOf(fmt.Sprintf("dek %s %d", grp.spec, n), n)
			add(fmt.Sprintf("a %d-byte DEK", n), n, concat(dek, grp.h(dek)), dek, valid, "", "Normal")
		}
		for _, n := range []int{1, 1024} {
			dek := bytesOf(fmt.Sprintf("dek %s %d", grp.spec, n), n)
			add(fmt.Sprintf("a %d-byte DEK", n), n, concat(dek, grp.h(dek)), dek, valid, "", "DatakeyLength")
		}
		if grp.spec == "AES_256" {
			seed := hexOf("7549d9aea901767bf3c0b3e14b10722eaf6f59053bbd82045d04e075e809a0fe6ccab48f8e5efe74e4b18ff0512525e527b10331100f357bf42125d8d5ced94ffbc8ac72b0785ca7fe33eb6776ce3990b11e32b299d9c0a9ee0305fb9540f797")
			add("the example of Huawei Cloud's encrypt-datakey page", 64, seed, seed[:64], valid, "", "SeedExample")
		}
		dek := bytesOf("dek "+grp.spec+" bad", 32)
		good := concat(dek, grp.h(dek))
		flip := func(i int) []byte { b := slices.Clone(good); b[i] ^= 0x01; return b }
		add("the digest's first bit flipped", 32, flip(32), nil, invalid, failDigestMismatch, "ModifiedDigest")
		add("the digest's last bit flipped", 32, flip(63), nil, invalid, failDigestMismatch, "ModifiedDigest")
		add("the DEK's first bit flipped", 32, flip(0), nil, invalid, failDigestMismatch, "ModifiedDigest")
		add("the digest of the other algorithm", 32, concat(dek, grp.other(dek)), nil, invalid, failDigestMismatch, "WrongDigest")
		add("the digest before the DEK", 32, concat(grp.h(dek), dek), nil, invalid, failDigestMismatch, "DigestFirst")
		add("the digest of the DEK and a zero byte", 32, concat(dek, grp.h(append(slices.Clone(dek), 0))), nil, invalid, failDigestMismatch, "DigestOfPrefixed")
		add("the digest of an empty string", 32, concat(dek, grp.h(nil)), nil, invalid, failDigestMismatch, "ModifiedDigest")
		add("the digest all zero", 32, concat(dek, make([]byte, 32)), nil, invalid, failDigestMismatch, "ModifiedDigest")
		add("the DEK alone", 32, dek, nil, invalid, failInvalidLength, "WrongLength")
		add("the digest one byte short", 32, good[:63], nil, invalid, failInvalidLength, "WrongLength")
		add("a byte after the digest", 32, append(slices.Clone(good), 0), nil, invalid, failInvalidLength, "WrongLength")
		add("datakeyLength 16 for a 32-byte DEK", 16, good, nil, invalid, failInvalidLength, "WrongLength")
		add("datakeyLength 64 for a 32-byte DEK", 64, good, nil, invalid, failInvalidLength, "WrongLength")
		add("the digest alone", 32, grp.h(dek), nil, invalid, failInvalidLength, "WrongLength")
		f.TestGroups = append(f.TestGroups, g)
	}
	return f
}

type importGroup struct {
	Type        string        `json:"type"`
	KeySpec     string        `json:"keySpec"`
	WrappingKey hexBytes      `json:"wrappingKeyPkcs8"`
	Tests       []*importTest `json:"tests"`
}

type importTest struct {
	common
	EncryptedKeyMaterial hexBytes `json:"encryptedKeyMaterial"`
	EncryptedPrivateKey  hexBytes `json:"encryptedPrivateKey,omitempty"`
	KeyMaterial          hexBytes `json:"keyMaterial,omitempty"`
	PublicKey            hexBytes `json:"publicKey,omitempty"`
	Result               string   `json:"result"`
	Failure              string   `json:"failure,omitempty"`
}

var importNotes = map[string]note{
	"Normal":               {"BASIC", "Key material as import-key-material carries it: for a symmetric key, RSAES-OAEP-SHA-256 of the key; for an asymmetric key, RSAES-OAEP-SHA-256 of an AES-256 intermediate key, and the PKCS#8 private key wrapped under it with AES key wrap with padding (RFC 5649)."},
	"IntermediateKeySize":  {"EDGE_CASE", "An AES-128 or AES-192 intermediate key."},
	"ShortWrappedKey":      {"EDGE_CASE", "The wrapped private key is under 150 bytes (a secp256k1 PKCS#8 key is 135 bytes): valid here, but its base64 form is shorter than the 200 characters Huawei Cloud's encrypted_privatekey rule requires, so the Huawei front end refuses the request before the payload is looked at."},
	"ModifiedEncryptedKey": {"CONFIDENTIALITY", "The OAEP ciphertext was changed, is for another key, or used other OAEP parameters (SHA-1, a label)."},
	"WrongKeyLength":       {"MODIFIED_PARAMETER", "The decrypted key material or intermediate key has the wrong length."},
	"ModifiedWrap":         {"CONFIDENTIALITY", "The wrapped private key was changed or truncated, or wrapped under another intermediate key."},
	"WrongWrapAlgorithm":   {"MODIFIED_PARAMETER", "The private key was wrapped with RFC 3394 key wrap (no padding, IV A6A6A6A6A6A6A6A6) instead of RFC 5649."},
	"BadWrapPadding":       {"MODIFIED_PARAMETER", "An RFC 5649 wrap whose message length indicator or padding bytes are wrong."},
	"KeyMismatch":          {"MODIFIED_PARAMETER", "The unwrapped private key is not a PKCS#8 key of the key spec: another curve, or not a key at all."},
}

// ecPKCS8 returns the PKCS#8 encoding (as OpenSSL 3 writes it: the
// ECPrivateKey with the public key and without parameters) and the SPKI
// of a TEST KEY of a curve.
func ecPKCS8(spec, label string) (priv, pub []byte) {
	switch spec {
	case "EC_P256", "EC_P384", "EC_P521":
		c := map[string]elliptic.Curve{"EC_P256": elliptic.P256(), "EC_P384": elliptic.P384(), "EC_P521": elliptic.P521()}[spec]
		k := ecKey(c, label)
		priv, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic(err)
		}
		pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			panic(err)
		}
		return priv, pub
	}
	c := map[string]*curveParams{"SECP256K1": secp256k1Curve, "SM2": sm2Curve}[spec]
	d := c.scalar(label)
	q := c.uncompressed(c.mul(d, c.g()))
	ecPriv := seq(derInt(1), oct(c.fixed(d)), tlv(tagCtx1C, tlv(0x03, append([]byte{0}, q...))))
	priv = seq(derInt(0), seq(oid(oidECPublicKey...), oid(c.oid...)), oct(ecPriv))
	return priv, spki(oidECPublicKey, oid(c.oid...), q)
}

func importFile() *vectorFile {
	f := &vectorFile{
		name:             "kms_import_key_material_test.json",
		Algorithm:        "KmsImportKeyMaterial",
		Schema:           "kms_import_key_material_test_schema.json",
		GeneratorVersion: generatorVersion,
		Header: []string{
			"The key material of Huawei Cloud KMS import-key-material (base64 on the wire, bytes here), wrapped to the",
			"RSA wrapping key that get-parameters-for-import handed out (wrapping_algorithm RSAES_OAEP_SHA_256).",
			"Symmetric keys: encryptedKeyMaterial = RSAES-OAEP-SHA-256(key). Asymmetric keys: encryptedKeyMaterial =",
			"RSAES-OAEP-SHA-256(intermediate AES key) and encryptedPrivateKey = AES-KWP (RFC 5649) of the PKCS#8 private key",
			"under it. keyMaterial is what a KMS must store; publicKey the SPKI of an imported private key.",
			"Every key is a TEST KEY of the qtenclave test vectors.",
		},
		Notes: importNotes,
	}
	wrap := rsaTestKey("test-rsa2048-wrap.key.pem")
	other := rsaTestKey("test-rsa2048-b.key.pem")
	for _, spec := range []string{"AES_256", "SM4"} {
		n := map[string]int{"AES_256": 32, "SM4": 16}[spec]
		g := &importGroup{Type: "KmsImportKeyMaterial", KeySpec: spec, WrappingKey: pkcs8(wrap)}
		add := func(comment string, ekm, material []byte, result, failure string, flags ...string) {
			g.Tests = append(g.Tests, &importTest{common: f.newCommon(comment, flags...), EncryptedKeyMaterial: ekm, KeyMaterial: material, Result: result, Failure: failure})
		}
		for i := range 3 {
			m := bytesOf(fmt.Sprintf("material %s %d", spec, i), n)
			add(fmt.Sprintf("a %d-byte key", n), oaepEncrypt(&wrap.PublicKey, m, oaepSHA256, fmt.Sprintf("import %s %d", spec, i)), m, valid, "", "Normal")
		}
		m := bytesOf("material "+spec, n)
		ekm := oaepEncrypt(&wrap.PublicKey, m, oaepSHA256, "import "+spec)
		flipped := slices.Clone(ekm)
		flipped[100] ^= 0x01
		add("a bit of the OAEP ciphertext flipped", flipped, nil, invalid, failImportDecrypt, "ModifiedEncryptedKey")
		add("encrypted to another RSA key", oaepEncrypt(&other.PublicKey, m, oaepSHA256, "import other "+spec), nil, invalid, failImportDecrypt, "ModifiedEncryptedKey")
		add("encrypted with SHA-1 OAEP", oaepEncrypt(&wrap.PublicKey, m, oaepSHA1, "import sha1 "+spec), nil, invalid, failImportDecrypt, "ModifiedEncryptedKey")
		add("encrypted with the label \"label\"", oaepEncrypt(&wrap.PublicKey, m, oaepParams{hash: sha256.New, mgfHash: sha256.New, label: []byte("label")}, "import label "+spec), nil, invalid, failImportDecrypt, "ModifiedEncryptedKey")
		add("the ciphertext one byte short", ekm[1:], nil, invalid, failImportDecrypt, "ModifiedEncryptedKey")
		for _, k := range []int{n - 1, n + 1, 48 - n} {
			mk := bytesOf(fmt.Sprintf("material %s size %d", spec, k), k)
			add(fmt.Sprintf("a %d-byte key for %s", k, spec), oaepEncrypt(&wrap.PublicKey, mk, oaepSHA256, fmt.Sprintf("import size %s %d", spec, k)), nil, invalid, failImportDecrypt, "WrongKeyLength")
		}
		f.TestGroups = append(f.TestGroups, g)
	}
	for _, spec := range []string{"EC_P256", "EC_P384", "EC_P521", "SECP256K1", "SM2"} {
		g := &importGroup{Type: "KmsImportKeyMaterial", KeySpec: spec, WrappingKey: pkcs8(wrap)}
		add := func(comment string, ekm, epk, material, public []byte, result, failure string, flags ...string) {
			g.Tests = append(g.Tests, &importTest{common: f.newCommon(comment, flags...), EncryptedKeyMaterial: ekm, EncryptedPrivateKey: epk, KeyMaterial: material, PublicKey: public, Result: result, Failure: failure})
		}
		priv, pub := ecPKCS8(spec, "import "+spec)
		short := []string{}
		if w := len(kwp(make([]byte, 32), priv, uint32(len(priv)), 0)); 4*((w+2)/3) < 200 {
			short = append(short, "ShortWrappedKey")
		}
		for _, kn := range []int{32, 16, 24} {
			ik := bytesOf(fmt.Sprintf("intermediate %s %d", spec, kn), kn)
			flags := append([]string{"Normal"}, short...)
			if kn != 32 {
				flags = append([]string{"IntermediateKeySize"}, short...)
			}
			add(fmt.Sprintf("an AES-%d intermediate key", 8*kn), oaepEncrypt(&wrap.PublicKey, ik, oaepSHA256, fmt.Sprintf("import %s %d", spec, kn)), kwp(ik, priv, uint32(len(priv)), 0), priv, pub, valid, "", flags...)
		}
		ik := bytesOf("intermediate "+spec, 32)
		ekm := oaepEncrypt(&wrap.PublicKey, ik, oaepSHA256, "import "+spec)
		wrapped := kwp(ik, priv, uint32(len(priv)), 0)
		flippedEKM := slices.Clone(ekm)
		flippedEKM[7] ^= 0x01
		add("a bit of the encrypted intermediate key flipped", flippedEKM, wrapped, nil, nil, invalid, failImportDecrypt, "ModifiedEncryptedKey")
		add("the intermediate key encrypted with SHA-1 OAEP", oaepEncrypt(&wrap.PublicKey, ik, oaepSHA1, "import sha1 "+spec), wrapped, nil, nil, invalid, failImportDecrypt, "ModifiedEncryptedKey")
		ik20 := bytesOf("intermediate 20 "+spec, 20)
		add("a 20-byte intermediate key", oaepEncrypt(&wrap.PublicKey, ik20, oaepSHA256, "import 20 "+spec), wrapped, nil, nil, invalid, failImportDecrypt, "WrongKeyLength")
		for _, at := range []int{0, 8, len(wrapped) - 1} {
			w := slices.Clone(wrapped)
			w[at] ^= 0x01
			add(fmt.Sprintf("byte %d of the wrapped key changed", at), ekm, w, nil, nil, invalid, failImportDecrypt, "ModifiedWrap")
		}
		add("the wrapped key's last 8 bytes missing", ekm, wrapped[:len(wrapped)-8], nil, nil, invalid, failImportDecrypt, "ModifiedWrap")
		add("the wrapped key's last byte missing", ekm, wrapped[:len(wrapped)-1], nil, nil, invalid, failImportDecrypt, "ModifiedWrap")
		add("wrapped under another intermediate key", ekm, kwp(bytesOf("another intermediate", 32), priv, uint32(len(priv)), 0), nil, nil, invalid, failImportDecrypt, "ModifiedWrap")
		padded := append(slices.Clone(priv), make([]byte, (8-len(priv)%8)%8)...)
		add("wrapped with RFC 3394 (zero-padded to 8 bytes)", ekm, kw3394(ik, padded), nil, nil, invalid, failImportDecrypt, "WrongWrapAlgorithm")
		if len(priv)%8 != 0 {
			add("RFC 5649 padding bytes not zero", ekm, kwp(ik, priv, uint32(len(priv)), 0x5a), nil, nil, invalid, failImportDecrypt, "BadWrapPadding")
		}
		add("message length indicator one too large", ekm, kwp(ik, priv, uint32(len(priv)+8), 0), nil, nil, invalid, failImportDecrypt, "BadWrapPadding")
		add("message length indicator 8 too small", ekm, kwp(ik, priv, uint32(len(priv)-8), 0), nil, nil, invalid, failImportDecrypt, "BadWrapPadding")
		otherSpec := map[string]string{"EC_P256": "EC_P384", "EC_P384": "EC_P256", "EC_P521": "EC_P256", "SECP256K1": "SM2", "SM2": "EC_P256"}[spec]
		op, _ := ecPKCS8(otherSpec, "import mismatch "+spec)
		add("a private key of "+otherSpec, ekm, kwp(ik, op, uint32(len(op)), 0), nil, nil, invalid, failKeyMismatch, "KeyMismatch")
		junk := bytesOf("junk "+spec, 121)
		add("121 bytes that are not a key", ekm, kwp(ik, junk, uint32(len(junk)), 0), nil, nil, invalid, failKeyMismatch, "KeyMismatch")
		f.TestGroups = append(f.TestGroups, g)
	}
	return f
}

func hexOf(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
