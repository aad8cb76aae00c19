package main

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
)

// The fuzz targets of the CLI's own parsers, seeded from the real files of
// testdata/seeds (see its README) and forms derived from them.

// FuzzDocumentInput: decodeDocument detects raw CBOR, hex and base64.
// Properties: a document or an error, never a panic; raw input comes back
// unchanged; hex decodes to what re-encodes to the input; and for every
// decoded document, its hex is read back as hex, and (for a COSE_Sign1)
// its base64 as base64, so that hex-first detection never misreads a
// document.
func FuzzDocumentInput(f *testing.F) {
	raw := mustRead(f, "testdata/seeds/evervault_beta_valid-attestation-doc.cbor")
	h := hex.EncodeToString(raw)
	for _, s := range [][]byte{
		raw,
		[]byte(h),
		[]byte(strings.ToUpper(h[:200]) + "\r\n" + h[200:] + "\n"),
		[]byte(base64.StdEncoding.EncodeToString(raw)),
		[]byte(base64.RawURLEncoding.EncodeToString(raw)),
		mustRead(f, "testdata/seeds/blocky-nitrite_nitro_attestation.b64"),
		[]byte("84a0"), []byte("84a"), []byte("hKA="), []byte("not a document"), []byte(" \n"), {},
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, enc, err := decodeDocument(b)
		if (err == nil) == (doc == nil) {
			t.Fatalf("decodeDocument = %x, %q, %v", doc, enc, err)
		}
		if err != nil {
			return
		}
		if len(doc) > len(b) {
			t.Fatalf("%d bytes decoded from %d", len(doc), len(b))
		}
		switch enc {
		case encRaw:
			if !bytes.Equal(doc, b) {
				t.Fatal("raw input changed")
			}
		case encHex:
			text := strings.Join(strings.Fields(strings.ToLower(string(b))), "")
			if hex.EncodeToString(doc) != text {
				t.Fatal("hex does not round-trip")
			}
		case encBase64:
		default:
			t.Fatalf("encoding %q", enc)
		}
		if len(doc) == 0 {
			return
		}
		if again, enc, err := decodeDocument([]byte(hex.EncodeToString(doc))); err != nil || enc != encHex || !bytes.Equal(again, doc) {
			t.Fatalf("hex of a document read as %q: %v", enc, err)
		}
		if doc[0] == 0x84 || doc[0] == 0xd2 {
			for _, e := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
				if again, enc, err := decodeDocument([]byte(e.EncodeToString(doc))); err != nil || enc != encBase64 || !bytes.Equal(again, doc) {
					t.Fatalf("base64 of a COSE_Sign1 read as %q: %v", enc, err)
				}
			}
			if again, enc, err := decodeDocument(doc); err != nil || enc != encRaw || !bytes.Equal(again, doc) {
				t.Fatalf("a COSE_Sign1 read as %q: %v", enc, err)
			}
		}
	})
}

// FuzzKeyPEM: the PEM key parsers of seal --to and open --key. Properties:
// a key or an error, never a panic; a key round-trips through its DER
// encoding; no error quotes the key (no 12 characters of the base64 body).
func FuzzKeyPEM(f *testing.F) {
	keyPEM := mustRead(f, seedKey)
	blk, _ := pem.Decode(keyPEM)
	key, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
	if err != nil {
		f.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	pkix, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	ecPKIX, _ := x509.MarshalPKIXPublicKey(attestation.EmbeddedRoots()[0].PublicKey)
	for _, s := range [][]byte{
		keyPEM,
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&key.PublicKey)}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecPKIX}),
		append(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}), "trailing"...),
		[]byte("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var body string
		if blk, _ := pem.Decode(b); blk != nil {
			body = base64.StdEncoding.EncodeToString(blk.Bytes)
		}
		quotes := func(err error) bool {
			for i := 0; i+12 <= len(body) && i < 1024; i++ {
				if strings.Contains(err.Error(), body[i:i+12]) {
					return true
				}
			}
			return false
		}

		pub, isPEM, err := parsePEMPublicKey(b)
		switch {
		case !isPEM && (pub != nil || err != nil):
			t.Fatalf("not PEM, yet %v, %v", pub, err)
		case isPEM && (pub == nil) == (err == nil):
			t.Fatalf("parsePEMPublicKey = %v, %v", pub, err)
		case err != nil && quotes(err):
			t.Fatalf("error quotes the key: %v", err)
		case pub != nil:
			der, err := x509.MarshalPKIXPublicKey(pub)
			if err != nil {
				t.Fatal(err)
			}
			back, err := x509.ParsePKIXPublicKey(der)
			if err != nil || !pub.Equal(back) {
				t.Fatalf("public key does not round-trip: %v", err)
			}
		}

		priv, err := parsePrivateKeyPEM(b)
		switch {
		case (priv == nil) == (err == nil):
			t.Fatalf("parsePrivateKeyPEM = %v, %v", priv, err)
		case err != nil && quotes(err):
			t.Fatalf("error quotes the key: %v", err)
		case priv != nil:
			k, ok := priv.(*rsa.PrivateKey)
			if !ok {
				t.Fatalf("%T", priv)
			}
			back, err := x509.ParsePKCS1PrivateKey(x509.MarshalPKCS1PrivateKey(k))
			if err != nil || !k.Equal(back) {
				t.Fatalf("private key does not round-trip: %v", err)
			}
		}
	})
}

// FuzzRootsPEM: the --root file parser. Properties: one to maxRoots
// certificates or an error, never a panic; each certificate re-parses from
// its DER to itself.
func FuzzRootsPEM(f *testing.F) {
	cert := func(c *x509.Certificate) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	u, err := attestation.Decode(mustRead(f, "testdata/seeds/evervault_beta_valid-attestation-doc.cbor"))
	if err != nil {
		f.Fatal(err)
	}
	var bundle []byte
	for _, c := range u.Chain[1:] {
		bundle = append(bundle, cert(c)...)
	}
	for _, s := range [][]byte{
		cert(attestation.EmbeddedRoots()[0]),
		cert(attestation.EmbeddedRoots()[1]),
		cert(attestationtest.Root()),
		bundle,
		append(append([]byte("a comment\n"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{0x30, 0}})...), cert(u.Chain[0])...),
		[]byte("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		roots, err := parseRoots(b)
		if (roots == nil) == (err == nil) || len(roots) > maxRoots {
			t.Fatalf("parseRoots = %d certificates, %v", len(roots), err)
		}
		for _, r := range roots {
			back, err := x509.ParseCertificate(r.Raw)
			if err != nil || !back.Equal(r) {
				t.Fatalf("certificate does not round-trip: %v", err)
			}
		}
	})
}

// FuzzSecretFile: the --token-file and --secret-key-file parser.
// Properties: the secret is the input less one line ending, non-empty
// printable ASCII without spaces; or the error is one of four fixed values,
// which can quote nothing of the input.
func FuzzSecretFile(f *testing.F) {
	for _, s := range []string{"script-token\n", "sk-from-file\r\n", "no-newline", "", "\n", "\r\n", "two\nlines\n", "a space", "tab\there", "nul\x00", "é\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseSecret(bytes.Clone(b))
		if err != nil {
			if s != "" {
				t.Fatalf("secret %q beside %v", s, err)
			}
			for _, e := range []error{errSecretEmpty, errSecretLines, errSecretCharacter, errSecretTooLong} {
				if err == e {
					return
				}
			}
			t.Fatalf("error %v is not one of the fixed values", err)
		}
		if s == "" || strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0 {
			t.Fatalf("secret %q", s)
		}
		if in := string(b); in != s && in != s+"\n" && in != s+"\r\n" {
			t.Fatalf("secret %q from %q", s, in)
		}
	})
}
