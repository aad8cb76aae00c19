package recipient

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/envelope"
)

var testKeySizes = []int{2048, 3072, 4096}

// parseKey reads an RSA private key in PEM or DER, PKCS#1 or PKCS#8.
func parseKey(tb testing.TB, b []byte) *rsa.PrivateKey {
	tb.Helper()
	if blk, _ := pem.Decode(b); blk != nil {
		b = blk.Bytes
	}
	if k, err := x509.ParsePKCS1PrivateKey(b); err == nil {
		return k
	}
	k, err := x509.ParsePKCS8PrivateKey(b)
	if err != nil {
		tb.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

func parseCert(tb testing.TB, b []byte) *x509.Certificate {
	tb.Helper()
	if blk, _ := pem.Decode(b); blk != nil {
		b = blk.Bytes
	}
	c, err := x509.ParseCertificate(b)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

var testKeys sync.Map // bits -> *rsa.PrivateKey

// testKey returns the pregenerated test key of the given size.
func testKey(tb testing.TB, bits int) *rsa.PrivateKey {
	tb.Helper()
	if k, ok := testKeys.Load(bits); ok {
		return k.(*rsa.PrivateKey)
	}
	b, err := os.ReadFile(testKeyPath(bits))
	if err != nil {
		tb.Fatal(err)
	}
	k := parseKey(tb, b)
	testKeys.Store(bits, k)
	return k
}

func testKeyPath(bits int) string {
	return filepath.Join("testdata", fmt.Sprintf("test_rsa%d.key.pem", bits))
}

func TestOpenEdgebit(t *testing.T) {
	key := parseKey(t, readCMSVector(t, "aws_kms_recipient/edgebit_recipient_rsa2048.key.pem"))
	want, err := hex.DecodeString(strings.TrimSpace(string(readCMSVector(t, "aws_kms_recipient/edgebit_plaintext.hex"))))
	if err != nil {
		t.Fatal(err)
	}
	blob := readCMSVector(t, "aws_kms_recipient/edgebit_ciphertext_for_recipient.ber")
	got, err := Open(blob, key, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("plaintext %x, want %x", got, want)
	}
	// The rid is the SHA-256 of the key's SPKI, so the blob also opens
	// when it has company.
	blob2 := withDecoy(t, blob)
	if got, err := Open(blob2, key, OpenOptions{}); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("with a decoy recipient: %x, %v", got, err)
	}
	// The same secret as a shared secret payload (32 bytes).
	if got, err := OpenSharedSecret(blob, key, OpenOptions{}); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("OpenSharedSecret: %x, %v", got, err)
	}
	if got, err := OpenPrivateKey(blob, key, OpenOptions{}); !errors.Is(err, ErrDecryption) || got != nil {
		t.Fatalf("OpenPrivateKey of a data key: %x, %v", got, err)
	}
}

// withDecoy adds a second recipient in front of the first, so that Open
// must find the right one by its identifier.
func withDecoy(t *testing.T, blob []byte) []byte {
	t.Helper()
	env, err := envelope.Parse(blob)
	if err != nil {
		t.Fatal(err)
	}
	decoy := envelope.Recipient{SubjectKeyID: bytes.Repeat([]byte{7}, 32), EncryptedKey: bytes.Repeat([]byte{1}, 256)}
	env.Recipients = append([]envelope.Recipient{decoy}, env.Recipients...)
	out, err := env.Marshal(envelope.DER)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOpenOtherImplementations opens every RSA-OAEP envelope that OpenSSL
// and openHiTLS made, with the bare key and with the certificate.
func TestOpenOtherImplementations(t *testing.T) {
	osslKey := parseKey(t, readCMSVector(t, "openssl_cms/rsa2048.key.pem"))
	osslCert := parseCert(t, readCMSVector(t, "openssl_cms/rsa2048.crt.pem"))
	hitlsKey := parseKey(t, readCMSVector(t, "cms_openhitls/recip1.key.der"))
	hitlsCert := parseCert(t, readCMSVector(t, "cms_openhitls/recip1.crt.der"))
	osslMsg := readCMSVector(t, "openssl_cms/msg.txt")
	hitlsMsg := readCMSVector(t, "cms_openhitls/message.txt")
	cases := []struct {
		file  string
		key   *rsa.PrivateKey
		cert  *x509.Certificate
		msg   []byte
		byKey bool // the rid can be computed from the bare key
	}{
		{"openssl_cms/env_rsaoaep_aes256cbc_issuerserial.der", osslKey, osslCert, osslMsg, false},
		{"openssl_cms/env_rsaoaep_aes256cbc_ski.der", osslKey, osslCert, osslMsg, true},
		{"openssl_cms/env_rsaoaep_aes256cbc_ski_from_barekey.der", osslKey, osslCert, osslMsg, true},
		{"openssl_cms/env_rsaoaep_sm4cbc_issuerserial.der", osslKey, osslCert, osslMsg, false},
		{"cms_openhitls/envdata_rsa_oaep.der", hitlsKey, hitlsCert, hitlsMsg, false},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			blob := readCMSVector(t, c.file)
			for _, opts := range []OpenOptions{{}, {Certificate: c.cert}} {
				got, err := Open(blob, c.key, opts)
				if err != nil || !bytes.Equal(got, c.msg) {
					t.Fatalf("cert %v: %q, %v", opts.Certificate != nil, got, err)
				}
			}
			// With a decoy in front, the bare key finds an SKI recipient
			// (SHA-1 key identifier), and the certificate finds any.
			blob2 := withDecoy(t, blob)
			if got, err := Open(blob2, c.key, OpenOptions{Certificate: c.cert}); err != nil || !bytes.Equal(got, c.msg) {
				t.Fatalf("with decoy and certificate: %q, %v", got, err)
			}
			got, err := Open(blob2, c.key, OpenOptions{})
			if c.byKey != (err == nil) {
				t.Fatalf("with decoy and bare key: %q, %v", got, err)
			}
			if err != nil && !errors.Is(err, ErrDecryption) {
				t.Fatalf("with decoy and bare key: %v", err)
			}
		})
	}
}

func TestRefusePKCS1v15(t *testing.T) {
	key := parseKey(t, readCMSVector(t, "cms_openhitls/recip1.key.der"))
	for _, f := range []string{
		"cms_openhitls/envdata_rsa_pkcsv15.der",
		"cms_openhitls/case7-two_ktri_recip.der",
		"cms_openhitls/case8-ktri_ski.der",
	} {
		got, err := Open(readCMSVector(t, f), key, OpenOptions{})
		if !errors.Is(err, envelope.ErrUnsupported) || got != nil {
			t.Errorf("%s: %q, %v", f, got, err)
		}
		if !strings.Contains(err.Error(), "PKCS#1 v1.5") {
			t.Errorf("%s: the error does not say why: %v", f, err)
		}
	}
}

func TestSealOpen(t *testing.T) {
	for _, bits := range testKeySizes {
		key := testKey(t, bits)
		for _, shape := range []envelope.Shape{envelope.AWS, envelope.DER} {
			for _, n := range []int{0, 1, 15, 16, 17, 32, 4096} {
				msg := make([]byte, n)
				rand.Read(msg)
				blob, err := Seal(msg, &key.PublicKey, SealOptions{Shape: shape})
				if err != nil {
					t.Fatal(err)
				}
				got, err := Open(blob, key, OpenOptions{})
				if err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("%d %v %d: %v", bits, shape, n, err)
				}
				if (blob[1] == 0x80) != (shape == envelope.AWS) {
					t.Fatalf("%v: outer length byte %#x", shape, blob[1])
				}
				// Another key is refused with the one error.
				other := testKey(t, testKeySizes[(bits/1024)%3])
				if got, err := Open(blob, other, OpenOptions{}); !errors.Is(err, ErrDecryption) || got != nil {
					t.Fatalf("other key: %v", err)
				}
			}
		}
	}
}

// TestSealAWSShape checks that sealed envelopes have exactly the layout of
// real KMS output: only the key, IV and content differ from the edgebit
// blob.
func TestSealAWSShape(t *testing.T) {
	real := readCMSVector(t, "aws_kms_recipient/edgebit_ciphertext_for_recipient.ber")
	key := testKey(t, 2048)
	blob, err := Seal(make([]byte, 32), &key.PublicKey, SealOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(blob) != len(real) {
		t.Fatalf("length %d, real KMS %d", len(blob), len(real))
	}
	// Offsets from `openssl asn1parse` of the real blob: SKI 33..65,
	// encryptedKey 131..387, IV 415..431, content 435..483.
	for _, r := range [][2]int{{33, 65}, {131, 387}, {415, 431}, {435, 483}} {
		copy(blob[r[0]:r[1]], real[r[0]:r[1]])
	}
	if !bytes.Equal(blob, real) {
		t.Fatalf("layout differs from real KMS output:\n got %x\nwant %x", blob, real)
	}
}

func TestSealRefuses(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := Seal([]byte("x"), &small.PublicKey, SealOptions{}); err == nil || b != nil {
		t.Error("sealed to RSA-1024")
	}
	if b, err := Seal([]byte("x"), nil, SealOptions{}); err == nil || b != nil {
		t.Error("sealed to nil")
	}
	key := testKey(t, 2048)
	if b, err := Seal(make([]byte, maxPlaintext+1), &key.PublicKey, SealOptions{}); err == nil || b != nil {
		t.Error("sealed an oversized plaintext")
	}
	if b, err := Seal(make([]byte, maxPlaintext), &key.PublicKey, SealOptions{}); err != nil {
		t.Errorf("largest plaintext: %v", err)
	} else if _, err := Open(b, key, OpenOptions{}); err != nil {
		t.Errorf("largest plaintext does not open: %v", err)
	}
	if b, err := Seal([]byte("x"), &key.PublicKey, SealOptions{Shape: envelope.Shape(9)}); err == nil || b != nil {
		t.Error("sealed in an unknown shape")
	}
}

func TestSealToDocument(t *testing.T) {
	key := testKey(t, 3072)
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	doc := &attestation.Document{Platform: attestation.Nitro, PublicKey: spki}
	blob, err := SealToDocument([]byte("secret"), doc, SealOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Open(blob, key, OpenOptions{}); err != nil || string(got) != "secret" {
		t.Fatalf("%q, %v", got, err)
	}

	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecSPKI, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]*attestation.Document{
		"nil":       nil,
		"no key":    {},
		"EC key":    {PublicKey: ecSPKI},
		"garbage":   {PublicKey: []byte{0x30, 0x00}},
		"trailing":  {PublicKey: append(bytes.Clone(spki), 0)},
		"user_data": {UserData: spki},
	} {
		if b, err := SealToDocument([]byte("secret"), d, SealOptions{}); err == nil || b != nil {
			t.Errorf("%s: sealed", name)
		}
	}
}

// TestSealToVerifiedDocument is the intended path: a document issued by the
// test authority, verified, then sealed to.
func TestSealToVerifiedDocument(t *testing.T) {
	key := testKey(t, 2048)
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, p := range []attestation.Platform{attestation.Nitro, attestation.QingTian} {
		raw, err := attestationtest.Issue(attestationtest.Options{Platform: p, Time: at, PublicKey: spki})
		if err != nil {
			t.Fatal(err)
		}
		doc, err := attestation.Verify(raw, attestation.VerifyOptions{
			Roots: []*x509.Certificate{attestationtest.Root()}, Time: at, RequireRSAPublicKey: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		blob, err := SealToDocument([]byte("for the verified enclave"), doc, SealOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Open(blob, key, OpenOptions{}); err != nil || string(got) != "for the verified enclave" {
			t.Fatalf("%v: %q, %v", p, got, err)
		}
	}
}

func TestOpenRefusesBadKeys(t *testing.T) {
	blob := readCMSVector(t, "aws_kms_recipient/edgebit_ciphertext_for_recipient.ber")
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := Open(blob, ecDecrypter{ec}, OpenOptions{}); err == nil || b != nil {
		t.Error("opened with an EC key")
	}
	if b, err := Open(blob, nil, OpenOptions{}); err == nil || b != nil {
		t.Error("opened with a nil key")
	}
	cert := parseCert(t, readCMSVector(t, "openssl_cms/rsa2048.crt.pem"))
	if b, err := Open(blob, testKey(t, 2048), OpenOptions{Certificate: cert}); err == nil || b != nil {
		t.Error("opened with a certificate of another key")
	}
}

// ecDecrypter is a crypto.Decrypter with a non-RSA public key.
type ecDecrypter struct{ *ecdsa.PrivateKey }

func (ecDecrypter) Decrypt(io.Reader, []byte, crypto.DecrypterOpts) ([]byte, error) {
	return nil, errors.New("not RSA")
}

func TestGenerateKey(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1)
	k, err := GenerateKey(2048)
	if err != nil {
		t.Fatal(err)
	}
	spki := k.PublicKeyDER()
	pub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil || !k.Public().(*rsa.PublicKey).Equal(pub) {
		t.Fatalf("PublicKeyDER does not hold the public key: %v", err)
	}
	spki[0] ^= 1 // a copy
	if bytes.Equal(spki, k.PublicKeyDER()) {
		t.Fatal("PublicKeyDER returns the key's own buffer")
	}
	doc := &attestation.Document{PublicKey: k.PublicKeyDER()}
	blob, err := SealToDocument([]byte("hello"), doc, SealOptions{Shape: envelope.DER})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Open(blob, k, OpenOptions{}); err != nil || string(got) != "hello" {
		t.Fatalf("%q, %v", got, err)
	}
	for _, bits := range []int{0, 1024, 2047, 8192} {
		if k, err := GenerateKey(bits); err == nil || k != nil {
			t.Errorf("GenerateKey(%d) succeeded", bits)
		}
	}
}

func TestPayloads(t *testing.T) {
	key := testKey(t, 2048)
	pkcs8 := func(t *testing.T, c elliptic.Curve) []byte {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	p256 := pkcs8(t, elliptic.P256())
	for _, c := range []struct {
		name     string
		payload  []byte
		secretOK bool
		keyOK    bool
	}{
		{"secret32", bytes.Repeat([]byte{1}, 32), true, false},
		{"secret48", bytes.Repeat([]byte{1}, 48), true, false},
		{"secret66", bytes.Repeat([]byte{1}, 66), true, false},
		{"secret33", bytes.Repeat([]byte{1}, 33), false, false},
		{"empty", nil, false, false},
		{"pkcs8 P-256", p256, false, true},
		{"pkcs8 P-384", pkcs8(t, elliptic.P384()), false, true},
		{"pkcs8 P-521", pkcs8(t, elliptic.P521()), false, true},
		{"pkcs8 trailing", append(bytes.Clone(p256), 0), false, false},
		{"pkcs8 truncated", p256[:len(p256)-1], false, false},
		{"pkcs8 version 2", append([]byte{}, p256[:4]...), false, false},
	} {
		blob, err := Seal(c.payload, &key.PublicKey, SealOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := OpenSharedSecret(blob, key, OpenOptions{})
		if (err == nil) != c.secretOK || (err != nil && (!errors.Is(err, ErrDecryption) || s != nil)) {
			t.Errorf("%s: OpenSharedSecret: %v", c.name, err)
		}
		k, err := OpenPrivateKey(blob, key, OpenOptions{})
		if (err == nil) != c.keyOK || (err != nil && (!errors.Is(err, ErrDecryption) || k != nil)) {
			t.Errorf("%s: OpenPrivateKey: %v", c.name, err)
		}
		if c.keyOK && !bytes.Equal(k, c.payload) {
			t.Errorf("%s: OpenPrivateKey changed the DER", c.name)
		}
	}
	// PKCS#8 v2 (OneAsymmetricKey) with a public key, and attributes.
	v2 := []byte{0x30, 0x16, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x02, 0x04, 0x00,
		0xa0, 0x00, 0x81, 0x04, 0x00, 0x01, 0x02, 0x03}
	if !isPrivateKeyInfo(v2) {
		t.Error("OneAsymmetricKey v2 refused")
	}
	v2[4] = 0 // version 0 may not carry a public key
	if isPrivateKeyInfo(v2) {
		t.Error("PrivateKeyInfo v0 with a public key accepted")
	}
}

// TestOpenSSLDecryptsOurs checks that `openssl cms -decrypt` opens what Seal
// makes, in both shapes and for every key size, and that Open opens what
// `openssl cms -encrypt` makes for our test keys.
func TestOpenSSLInterop(t *testing.T) {
	dir := t.TempDir()
	msg := []byte("a secret for the enclave\x00\x01\xff")
	msgFile := filepath.Join(dir, "msg")
	if err := os.WriteFile(msgFile, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bits := range testKeySizes {
		key := testKey(t, bits)
		keyFile, _ := filepath.Abs(testKeyPath(bits))
		for _, shape := range []envelope.Shape{envelope.AWS, envelope.DER} {
			blob, err := Seal(msg, &key.PublicKey, SealOptions{Shape: shape})
			if err != nil {
				t.Fatal(err)
			}
			in := filepath.Join(dir, fmt.Sprintf("env%d%v", bits, shape))
			if err := os.WriteFile(in, blob, 0o600); err != nil {
				t.Fatal(err)
			}
			out := openssl(t, "cms", "-decrypt", "-binary", "-inform", "DER", "-in", in, "-inkey", keyFile)
			if !bytes.Equal(out, msg) {
				t.Fatalf("RSA-%d %v: openssl decrypted %q", bits, shape, out)
			}
		}
		// The other way: a throwaway self-signed certificate for the test
		// key, addressed by issuer and serial, then by key identifier.
		crt := filepath.Join(dir, fmt.Sprintf("rsa%d.crt", bits))
		openssl(t, "req", "-new", "-x509", "-key", keyFile, "-subj", "/CN=qtenclave test", "-days", "1", "-out", crt)
		cert := parseCert(t, mustRead(t, crt))
		for _, extra := range [][]string{nil, {"-keyid"}} {
			for _, c := range []string{"-aes-256-cbc", "-aes-128-cbc", "-sm4-cbc"} {
				env := filepath.Join(dir, "ossl.der")
				args := append([]string{"cms", "-encrypt", "-binary", c, "-recip", crt,
					"-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256", "-keyopt", "rsa_mgf1_md:sha256",
					"-in", msgFile, "-outform", "DER", "-out", env}, extra...)
				openssl(t, args...)
				blob := mustRead(t, env)
				for _, opts := range []OpenOptions{{}, {Certificate: cert}} {
					if got, err := Open(blob, key, opts); err != nil || !bytes.Equal(got, msg) {
						t.Fatalf("RSA-%d %s %v: %q, %v", bits, c, extra, got, err)
					}
				}
			}
		}
	}
}

func openssl(t *testing.T, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command("openssl", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readTestdata returns the contents of a file under testdata (Wycheproof:
// see testdata/wycheproof/PROVENANCE.md).
func readTestdata(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(rel)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// readCMSVector returns the contents of an external envelope vector, kept
// once for the envelope, recipient and CLI tests in ../envelope/testdata
// (see its PROVENANCE.md).
func readCMSVector(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "envelope", "testdata", filepath.FromSlash(rel)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
