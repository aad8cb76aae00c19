// Package testvectors is qtenclave's test vector suite: attestation
// documents of both platforms, KMS recipient envelopes, ECDH on the key
// specs Wycheproof does not cover, and the KMS payload formats of
// encrypt-datakey and import-key-material. Each vector names its expected
// result (valid, invalid or acceptable), and an invalid one its failure
// class, so that any implementation, in any language, can check itself
// against the same files; README.md describes the format for outside
// implementers.
//
// The files are JSON in the Wycheproof layout (test groups of tests with
// tcId, comment, flags and result; binary values in hex), each with a JSON
// schema in schemas/. They are embedded: FS holds them, and Load decodes
// one into the types below.
//
//	f, err := testvectors.Load[testvectors.AttestationGroup]("attestation_test.json")
//	for _, g := range f.TestGroups {
//		for _, tc := range g.Tests { ... }
//	}
//
// The vectors are made by an independent generator (internal/gen, run with
// go generate) that imports only the standard library and
// golang.org/x/crypto, never the packages it checks. Its output is
// deterministic: CI regenerates the files and requires them unchanged.
//
// Every key in the vectors is a published TEST KEY. Never use one for
// anything else.
package testvectors

//go:generate go run ./internal/gen -out .

import (
	"bytes"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"time"
)

//go:embed *.json schemas/*.json README.md
var files embed.FS

// FS holds the vector files (*_test.json), their JSON schemas
// (schemas/*.json) and README.md.
var FS fs.FS = files

// Load decodes the vector file name of FS, whose test groups are of type G
// (AttestationGroup, EnvelopeGroup, ECDHGroup, DatakeyGroup or
// ImportGroup). It refuses fields that G does not know, and a file whose
// numberOfTests does not match its tests.
func Load[G any, PG interface {
	*G
	tests() []*Test
}](name string) (*File[G], error) {
	b, err := fs.ReadFile(FS, name)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	f := new(File[G])
	if err := dec.Decode(f); err != nil {
		return nil, fmt.Errorf("testvectors: %s: %w", name, err)
	}
	n := 0
	for i := range f.TestGroups {
		n += len(PG(&f.TestGroups[i]).tests())
	}
	if n != f.NumberOfTests {
		return nil, fmt.Errorf("testvectors: %s has %d tests, numberOfTests says %d", name, n, f.NumberOfTests)
	}
	return f, nil
}

// File is one vector file.
type File[G any] struct {
	Algorithm        string          `json:"algorithm"`
	Schema           string          `json:"schema"`
	GeneratorVersion string          `json:"generatorVersion"`
	NumberOfTests    int             `json:"numberOfTests"`
	Header           []string        `json:"header"`
	Notes            map[string]Note `json:"notes"`
	TestGroups       []G             `json:"testGroups"`
}

// Note describes a flag.
type Note struct {
	BugType     string `json:"bugType"`
	Description string `json:"description"`
}

// Test holds the fields every test has. Result is "valid", "invalid" or
// "acceptable" (either outcome is allowed; the README says which). Failure
// is the failure class of an invalid test, and of an acceptable one that
// is rejected.
type Test struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Flags   []string `json:"flags"`
	Result  string   `json:"result"`
	Failure string   `json:"failure,omitempty"`
}

// HasFlag reports whether the test carries flag.
func (t *Test) HasFlag(flag string) bool { return slices.Contains(t.Flags, flag) }

// String names the test for messages: its id, result and comment.
func (t *Test) String() string {
	return fmt.Sprintf("tcId %d (%s %s: %s %v)", t.TcID, t.Result, t.Failure, t.Comment, t.Flags)
}

// Hex is a byte string written as hex in JSON. JSON null decodes as nil,
// "" as an empty non-nil slice.
type Hex []byte

// UnmarshalJSON decodes a hex string or null.
func (h *Hex) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*h = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	if err != nil {
		return err
	}
	*h = append(Hex{}, d...)
	return nil
}

// AttestationGroup is a group of attestation_test.json: documents of one
// platform dialect ("nitro" or "qingtian") verified against Roots (DER
// certificates).
type AttestationGroup struct {
	Type     string            `json:"type"`
	Platform string            `json:"platform"`
	Roots    []Hex             `json:"roots"`
	Tests    []AttestationTest `json:"tests"`
}

// AttestationTest is one document to verify at Time, with an optional
// policy: a maximum age, debug enclaves allowed, a nonce to match, an RSA
// public_key that a KMS can seal to (RequireRSAPublicKey). Expected is set
// unless the result is invalid.
type AttestationTest struct {
	Test
	Doc                 Hex       `json:"doc"`
	Time                time.Time `json:"time"`
	MaxAgeMs            int64     `json:"maxAgeMs,omitempty"`
	AllowDebug          bool      `json:"allowDebug,omitempty"`
	Nonce               Hex       `json:"nonce,omitempty"`
	RequireRSAPublicKey bool      `json:"requireRsaPublicKey,omitempty"`
	Expected            *struct {
		ModuleID    string            `json:"moduleId"`
		TimestampMs int64             `json:"timestampMs"`
		Digest      string            `json:"digest"`
		PCRs        map[string]string `json:"pcrs"`
		PublicKey   Hex               `json:"publicKey"`
		UserData    Hex               `json:"userData"`
		Nonce       Hex               `json:"nonce"`
	} `json:"expected,omitempty"`
}

// EnvelopeGroup is a group of envelope_test.json: envelopes for one RSA
// key (PKCS#8 DER), and its certificate if the recipient has one.
type EnvelopeGroup struct {
	Type        string         `json:"type"`
	KeySize     int            `json:"keySize"`
	PrivateKey  Hex            `json:"privateKeyPkcs8"`
	Certificate Hex            `json:"certificate,omitempty"`
	Tests       []EnvelopeTest `json:"tests"`
}

// EnvelopeTest is one CMS EnvelopedData to open; Msg is the plaintext it
// holds if it opens.
type EnvelopeTest struct {
	Test
	Envelope Hex `json:"envelope"`
	Msg      Hex `json:"msg"`
}

// ECDHGroup is a group of an ecdh_*_test.json file, in Wycheproof's ECDH
// layout: Encoding is "asn" (public is a DER SubjectPublicKeyInfo) or
// "ecpoint" (a SEC 1 point on Curve).
type ECDHGroup struct {
	Type     string     `json:"type"`
	Curve    string     `json:"curve"`
	Encoding string     `json:"encoding"`
	Tests    []ECDHTest `json:"tests"`
}

// ECDHTest is one key agreement: Private (a big-endian scalar) with
// Public gives Shared (the x-coordinate).
type ECDHTest struct {
	Test
	Public  Hex `json:"public"`
	Private Hex `json:"private"`
	Shared  Hex `json:"shared"`
}

// DatakeyGroup is a group of kms_encrypt_datakey_test.json: plain_text
// values for a CMK of KeySpec ("AES_256" or "SM4"), whose digest is
// Digest ("SHA-256" or "SM3").
type DatakeyGroup struct {
	Type    string        `json:"type"`
	KeySpec string        `json:"keySpec"`
	Digest  string        `json:"digest"`
	Tests   []DatakeyTest `json:"tests"`
}

// DatakeyTest is one encrypt-datakey request: plain_text (hex on the
// wire, bytes here) of a data key of DatakeyLength bytes and its digest.
type DatakeyTest struct {
	Test
	DatakeyLength int `json:"datakeyLength"`
	PlainText     Hex `json:"plainText"`
	Datakey       Hex `json:"datakey"`
}

// ImportGroup is a group of kms_import_key_material_test.json: key
// material for a key of KeySpec wrapped to the RSA wrapping key (PKCS#8
// DER) that get-parameters-for-import handed out.
type ImportGroup struct {
	Type        string       `json:"type"`
	KeySpec     string       `json:"keySpec"`
	WrappingKey Hex          `json:"wrappingKeyPkcs8"`
	Tests       []ImportTest `json:"tests"`
}

// ImportTest is one import-key-material request. For a symmetric key,
// EncryptedKeyMaterial is the RSAES-OAEP-SHA-256 encryption of the key
// (KeyMaterial). For an asymmetric key, it encrypts an AES intermediate
// key under which EncryptedPrivateKey wraps (RFC 5649) the PKCS#8 private
// key (KeyMaterial), whose public key is PublicKey (DER SPKI).
type ImportTest struct {
	Test
	EncryptedKeyMaterial Hex `json:"encryptedKeyMaterial"`
	EncryptedPrivateKey  Hex `json:"encryptedPrivateKey,omitempty"`
	KeyMaterial          Hex `json:"keyMaterial,omitempty"`
	PublicKey            Hex `json:"publicKey,omitempty"`
}

func (g *AttestationGroup) tests() []*Test { return testsOf(g.Tests) }
func (g *EnvelopeGroup) tests() []*Test    { return testsOf(g.Tests) }
func (g *ECDHGroup) tests() []*Test        { return testsOf(g.Tests) }
func (g *DatakeyGroup) tests() []*Test     { return testsOf(g.Tests) }
func (g *ImportGroup) tests() []*Test      { return testsOf(g.Tests) }

// test returns t; every test type has it through its embedded Test.
func (t *Test) test() *Test { return t }

func testsOf[T any, PT interface {
	*T
	test() *Test
}](ts []T) []*Test {
	out := make([]*Test, len(ts))
	for i := range ts {
		out[i] = PT(&ts[i]).test()
	}
	return out
}
