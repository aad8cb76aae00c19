package envelope

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// awsBlobs are real KMS CiphertextForRecipient envelopes.
var awsBlobs = []string{
	"aws_kms_recipient/edgebit_ciphertext_for_recipient.ber",
	"aws_kms_recipient/sdkc_input_ber.ber",
	"aws_kms_recipient/sdkc_input_ber_w_ctx.ber",
}

// oaepEnvelopes are the RSA-OAEP envelopes of other implementations, with
// how their recipient is identified.
var oaepEnvelopes = map[string]string{
	"openssl_cms/env_rsaoaep_aes256cbc_issuerserial.der":     "issuerAndSerialNumber",
	"openssl_cms/env_rsaoaep_aes256cbc_ski.der":              "subjectKeyIdentifier",
	"openssl_cms/env_rsaoaep_aes256cbc_ski_from_barekey.der": "subjectKeyIdentifier",
	"openssl_cms/env_rsaoaep_sm4cbc_issuerserial.der":        "issuerAndSerialNumber",
	"cms_openhitls/envdata_rsa_oaep.der":                     "issuerAndSerialNumber",
	"aws_kms_recipient/edgebit_ciphertext_for_recipient.ber": "subjectKeyIdentifier",
	"aws_kms_recipient/sdkc_input_ber.ber":                   "subjectKeyIdentifier",
	"aws_kms_recipient/sdkc_input_ber_w_ctx.ber":             "subjectKeyIdentifier",
}

// unsupportedEnvelopes are well-formed envelopes this package refuses.
var unsupportedEnvelopes = []string{
	"cms_openhitls/envdata_rsa_pkcsv15.der",              // PKCS#1 v1.5
	"cms_openhitls/case7-two_ktri_recip.der",             // PKCS#1 v1.5, two recipients
	"cms_openhitls/case8-ktri_ski.der",                   // PKCS#1 v1.5, SKI
	"openssl_cms/env_ecdh_p256_aes256wrap_aes256cbc.der", // kari
	"openssl_cms/env_kekri_aes256wrap_aes256cbc.der",     // kekri
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSDKCFields(t *testing.T) {
	var f map[string]string
	if err := json.Unmarshal(readTestdata(t, "aws_kms_recipient/sdkc_cms_test_fields.json"), &f); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "_w_ctx"} {
		t.Run("input_ber"+suffix, func(t *testing.T) {
			blob := unhex(t, f["input_ber"+suffix])
			file := readTestdata(t, "aws_kms_recipient/sdkc_input_ber"+suffix+".ber")
			if !bytes.Equal(blob, file) {
				t.Fatal("JSON input differs from the .ber file")
			}
			env, err := Parse(blob)
			if err != nil {
				t.Fatal(err)
			}
			if len(env.Recipients) != 1 {
				t.Fatalf("%d recipients", len(env.Recipients))
			}
			r := env.Recipients[0]
			if !bytes.Equal(r.EncryptedKey, unhex(t, f["encrypted_key_out"+suffix])) {
				t.Error("encrypted key differs")
			}
			if !bytes.Equal(env.IV, unhex(t, f["iv_out"+suffix])) {
				t.Error("IV differs")
			}
			if !bytes.Equal(env.Ciphertext, unhex(t, f["ciphertext_out"+suffix])) {
				t.Error("ciphertext differs")
			}
			if env.Cipher != AES256CBC || len(r.SubjectKeyID) != 32 || r.Issuer != nil {
				t.Errorf("cipher %v, rid %x/%x", env.Cipher, r.SubjectKeyID, r.Issuer)
			}
			// Re-marshal from the JSON fields alone (plus the rid and the
			// content form, which the JSON does not carry).
			fresh := &EnvelopedData{
				Recipients: []Recipient{{
					SubjectKeyID: r.SubjectKeyID,
					EncryptedKey: unhex(t, f["encrypted_key_out"+suffix]),
				}},
				Cipher:           AES256CBC,
				IV:               unhex(t, f["iv_out"+suffix]),
				Ciphertext:       unhex(t, f["ciphertext_out"+suffix]),
				PrimitiveContent: suffix != "",
			}
			out, err := fresh.Marshal(AWS)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, blob) {
				t.Fatalf("AWS shape differs:\n got %x\nwant %x", out, blob)
			}
		})
	}
}

func TestAWSRoundTrip(t *testing.T) {
	for _, name := range awsBlobs {
		blob := readTestdata(t, name)
		env, err := Parse(blob)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out, err := env.Marshal(AWS)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, blob) {
			t.Errorf("%s: AWS re-marshal differs", name)
		}
	}
}

func TestParseOtherImplementations(t *testing.T) {
	for name, rid := range oaepEnvelopes {
		t.Run(name, func(t *testing.T) {
			blob := readTestdata(t, name)
			env, err := Parse(blob)
			if err != nil {
				t.Fatal(err)
			}
			r := env.Recipients[0]
			if got := map[bool]string{true: "subjectKeyIdentifier", false: "issuerAndSerialNumber"}[r.SubjectKeyID != nil]; got != rid {
				t.Errorf("rid %s, want %s", got, rid)
			}
			// DER output is a fixed point, and parses to the same value
			// (apart from the content form, which DER fixes).
			der, err := env.Marshal(DER)
			if err != nil {
				t.Fatal(err)
			}
			env2, err := Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			env.PrimitiveContent = true
			if !reflect.DeepEqual(env, env2) {
				t.Errorf("DER round trip changed the envelope")
			}
			der2, _ := env2.Marshal(DER)
			if !bytes.Equal(der, der2) {
				t.Errorf("DER marshal is not a fixed point")
			}
			// OpenSSL agrees that our DER is DER.
			checkOpenSSLParses(t, der, "DER")
			aws, _ := env.Marshal(AWS)
			checkOpenSSLParses(t, aws, "DER") // openssl reads BER with -inform DER
		})
	}
}

func checkOpenSSLParses(t *testing.T, b []byte, form string) {
	t.Helper()
	cmd := exec.Command("openssl", "cms", "-cmsout", "-inform", form, "-outform", "DER")
	cmd.Stdin = bytes.NewReader(b)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl cms -cmsout: %v\n%s", err, out)
	}
}

func TestUnsupported(t *testing.T) {
	for _, name := range unsupportedEnvelopes {
		env, err := Parse(readTestdata(t, name))
		if !errors.Is(err, ErrUnsupported) || env != nil {
			t.Errorf("%s: %v, %v; want ErrUnsupported", name, env, err)
		}
		t.Logf("%s: %v", name, err)
	}
}

func TestMalformed(t *testing.T) {
	blob := readTestdata(t, awsBlobs[0])
	cases := map[string][]byte{
		"empty":            nil,
		"truncated":        blob[:len(blob)-1],
		"trailing":         append(bytes.Clone(blob), 0),
		"missing EOC":      blob[:len(blob)-2],
		"extra EOC":        append(bytes.Clone(blob), 0, 0),
		"high tag":         {0x1f, 0x01, 0x00},
		"indefinite prim":  {0x04, 0x80, 0x00, 0x00},
		"non-minimal len":  {0x30, 0x81, 0x01, 0x00},
		"long length":      {0x30, 0x84, 0x00, 0x00, 0x00, 0x01, 0x00},
		"bad chunk":        {0x24, 0x80, 0x02, 0x01, 0x00, 0x00, 0x00},
		"constructed int":  {0x22, 0x00},
		"EOC in definite":  {0x30, 0x02, 0x00, 0x00},
		"deep":             deep(maxDepth + 2),
		"too big":          make([]byte, maxSize+1),
		"not enveloped":    {0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01},
		"child past end":   {0x30, 0x03, 0x30, 0x80, 0x00, 0x00},
		"eoc-only content": {0x30, 0x80, 0x00, 0x00},
	}
	for name, in := range cases {
		env, err := Parse(in)
		if err == nil || env != nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v wraps neither sentinel", name, err)
		}
	}
}

func deep(n int) []byte {
	b := []byte{}
	for range n {
		b = append([]byte{0x30, 0x80}, append(b, 0, 0)...)
	}
	return b
}

// TestEveryByteFlip flips each byte of a real envelope: the result is
// either refused or parses to something that marshals.
func TestEveryByteFlip(t *testing.T) {
	for _, name := range awsBlobs {
		blob := readTestdata(t, name)
		for i := range blob {
			b := bytes.Clone(blob)
			b[i] ^= 0xff
			env, err := Parse(b)
			if (err == nil) == (env == nil) {
				t.Fatalf("%s byte %d: result %v with error %v", name, i, env, err)
			}
			if env != nil {
				if _, err := env.Marshal(DER); err != nil {
					t.Fatalf("%s byte %d: parsed but does not marshal: %v", name, i, err)
				}
			}
		}
	}
}

func TestMarshalRefusesInvalid(t *testing.T) {
	good := func() *EnvelopedData {
		return &EnvelopedData{
			Recipients: []Recipient{{SubjectKeyID: []byte{1}, EncryptedKey: []byte{2}}},
			Cipher:     AES256CBC, IV: make([]byte, 16), Ciphertext: make([]byte, 16),
		}
	}
	if _, err := good().Marshal(DER); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(*EnvelopedData){
		"no recipients": func(e *EnvelopedData) { e.Recipients = nil },
		"both rids":     func(e *EnvelopedData) { e.Recipients[0].Issuer = []byte{0x30, 0} },
		"no rid":        func(e *EnvelopedData) { e.Recipients[0].SubjectKeyID = nil },
		"bad issuer":    func(e *EnvelopedData) { e.Recipients[0].SubjectKeyID = nil; e.Recipients[0].Issuer = []byte{1} },
		"no key":        func(e *EnvelopedData) { e.Recipients[0].EncryptedKey = nil },
		"cipher":        func(e *EnvelopedData) { e.Cipher = 0 },
		"iv":            func(e *EnvelopedData) { e.IV = e.IV[:8] },
		"too big":       func(e *EnvelopedData) { e.Ciphertext = make([]byte, maxSize-16) },
		"huge content":  func(e *EnvelopedData) { e.Ciphertext = make([]byte, maxSize+16) },
	}
	for name, f := range bad {
		e := good()
		f(e)
		for _, s := range []Shape{AWS, DER} {
			if b, err := e.Marshal(s); err == nil || b != nil {
				t.Errorf("%s %v: marshalled", name, s)
			}
		}
	}
	if b, err := good().Marshal(Shape(7)); err == nil || b != nil {
		t.Error("unknown shape marshalled")
	}
}

func TestCipherNames(t *testing.T) {
	for c, want := range map[Cipher]string{AES128CBC: "AES-128-CBC/16", AES192CBC: "AES-192-CBC/24", AES256CBC: "AES-256-CBC/32", SM4CBC: "SM4-CBC/16", 0: "unknown cipher/0"} {
		if got := fmt.Sprintf("%v/%d", c, c.KeySize()); got != want {
			t.Errorf("%d: %s, want %s", c, got, want)
		}
	}
	if AWS.String() != "aws" || DER.String() != "der" || Shape(9).String() != "unknown shape" {
		t.Error("shape names")
	}
}

// readTestdata returns the contents of a file under testdata (external
// vectors: see testdata/PROVENANCE.md).
func readTestdata(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(rel)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
