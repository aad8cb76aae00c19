package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"time"
)

// The attestation family: attestation_test.json.

type attGroup struct {
	Type     string     `json:"type"`
	Platform string     `json:"platform"`
	Roots    []hexBytes `json:"roots"`
	Tests    []*attTest `json:"tests"`
}

type attTest struct {
	common
	Doc        hexBytes     `json:"doc"`
	Time       string       `json:"time"`
	MaxAgeMs   int64        `json:"maxAgeMs,omitempty"`
	AllowDebug bool         `json:"allowDebug,omitempty"`
	Nonce      hexBytes     `json:"nonce,omitempty"`
	RequireRSA bool         `json:"requireRsaPublicKey,omitempty"`
	Result     string       `json:"result"`
	Failure    string       `json:"failure,omitempty"`
	Expected   *attExpected `json:"expected,omitempty"`
}

// attExpected is what a verifier must report for a valid document.
type attExpected struct {
	ModuleID    string            `json:"moduleId"`
	TimestampMs uint64            `json:"timestampMs"`
	Digest      string            `json:"digest"`
	PCRs        map[string]string `json:"pcrs"`
	PublicKey   *hexBytes         `json:"publicKey"`
	UserData    *hexBytes         `json:"userData"`
	Nonce       *hexBytes         `json:"nonce"`
}

// Failure classes of the attestation family, in the order a verifier
// decides them (see the README).
const (
	failMalformed = "malformed"
	failUntrusted = "untrusted"
	failSignature = "signature"
	failExpired   = "expired"
	failPolicy    = "policy"
)

var attNotes = map[string]note{
	// Real quirks (valid).
	"IndefiniteLengthMap":         {"FUNCTIONALITY", "The payload map has an indefinite length (0xbf ... 0xff), as real Nitro documents have since 2026. Only the top-level payload map may."},
	"NonMinimalInteger":           {"FUNCTIONALITY", "Integers are encoded with more bytes than needed, as real QingTian documents do (protected header a1 1a00000001 3a00000022, PCR indexes 19 00xx). They decode as their values; the signature covers the bytes as sent."},
	"NonMinimalLength":            {"FUNCTIONALITY", "A text or byte string length is encoded with more bytes than needed; it decodes as its value."},
	"NullOptionalField":           {"FUNCTIONALITY", "public_key, user_data and nonce are CBOR null when unset, as in real Nitro documents (the written spec says no field is null)."},
	"EmptyOptionalField":          {"FUNCTIONALITY", "An unset optional field is an empty byte string, as in real QingTian documents."},
	"AbsentOptionalField":         {"FUNCTIONALITY", "public_key, user_data and nonce are absent."},
	"MaxSizeUserField":            {"EDGE_CASE", "public_key, user_data and nonce of 1024 bytes (the size real Nitro documents reach) or 4096 bytes (QingTian's CDDL limit)."},
	"HighS":                       {"SIGNATURE_MALLEABILITY", "The signature's s is above n/2. Real platforms sign with high S; a verifier must not enforce low S."},
	"PubkeyName":                  {"FUNCTIONALITY", "The enclave key is named pubkey, as in Huawei's CDDL (real QingTian output says public_key)."},
	"Tagged":                      {"FUNCTIONALITY", "The COSE_Sign1 is wrapped in CBOR tag 18 (every real document seen is bare)."},
	"UnknownKey":                  {"FUNCTIONALITY", "The payload has a key the verifier does not know; it is ignored (forward compatibility)."},
	"KeyOrder":                    {"FUNCTIONALITY", "Payload keys in an order other than the dialect's usual one; verifiers must not parse positionally."},
	"LittleEndianLimbs":           {"FUNCTIONALITY", "QingTian stores r and s each as a 48-byte little-endian integer."},
	"BigEndianSignature":          {"FUNCTIONALITY", "A QingTian-dialect document whose signature is the standard big-endian r || s. qtenclave tries both readings for QingTian; a verifier that reads QingTian signatures only little-endian rejects it."},
	"PcrSize":                     {"EDGE_CASE", "PCRs of 32 or 64 bytes (SHA-256 or SHA-512 platforms), all of one size."},
	"AllPcrs":                     {"EDGE_CASE", "All 32 PCR indexes 0..31."},
	"ValidityBoundary":            {"EDGE_CASE", "The verification time, or the document's timestamp, is exactly a certificate's notBefore or notAfter, which are inclusive (RFC 5280); or the timestamp is exactly the clock skew allowance (5 minutes) in the future of the verification time."},
	"LongChain":                   {"EDGE_CASE", "A valid chain with more than the platforms' four-certificate cabundle (5 to 8). qtenclave accepts up to 8; Huawei's SDK caps the cabundle at 4."},
	"OverlongChain":               {"EDGE_CASE", "A valid chain with a nine-certificate cabundle, over qtenclave's limit of 8."},
	"MaxAge":                      {"FUNCTIONALITY", "maxAgeMs is set: the document's timestamp must be at most that old at the verification time (and, as always, at most 5 minutes in its future)."},
	"DebugMode":                   {"FUNCTIONALITY", "PCR0, PCR1 and PCR2 are all zero (or absent): a debug enclave, whose memory the host can read. Accepted only with allowDebug."},
	"NoncePolicy":                 {"FUNCTIONALITY", "The test's nonce must equal the document's."},
	"NameEncoding":                {"FUNCTIONALITY", "Certificate names mix PrintableString and UTF8String, as QingTian's do; names chain byte for byte."},
	"DuplicateKey":                {"CAN_OF_WORMS", "A CBOR map has the same key twice (also when one copy is encoded non-minimally). Two parsers could read different values."},
	"TrailingBytes":               {"CAN_OF_WORMS", "Bytes follow the COSE_Sign1 or the payload map."},
	"WrongType":                   {"MODIFIED_PARAMETER", "A field has the wrong CBOR type."},
	"MissingField":                {"MISSING_STEP", "A mandatory field (module_id, digest, timestamp, pcrs, certificate, cabundle) is missing or empty."},
	"WrongAlgorithm":              {"MODIFIED_PARAMETER", "The protected header is not exactly {1: -35} (ES384), or the unprotected header is not an empty map."},
	"WrongCurve":                  {"MODIFIED_PARAMETER", "A certificate key is not P-384."},
	"WrongDigest":                 {"MODIFIED_PARAMETER", "The digest field is not \"SHA384\"."},
	"ChainOrder":                  {"AUTH_BYPASS", "The cabundle is not root first with the leaf's issuer last, or misses a certificate."},
	"PathLenConstraint":           {"AUTH_BYPASS", "A CA's pathLen is smaller than the number of CAs below it."},
	"NotCA":                       {"AUTH_BYPASS", "A certificate in the cabundle is not a CA (basicConstraints absent or CA:FALSE)."},
	"LeafIsCA":                    {"AUTH_BYPASS", "The leaf certificate is a CA (basicConstraints CA:TRUE)."},
	"KeyUsage":                    {"AUTH_BYPASS", "The leaf lacks digitalSignature, or a CA lacks keyCertSign."},
	"UntrustedRoot":               {"AUTH_BYPASS", "The chain ends in a root that is not trusted (same names, other key)."},
	"ModifiedCertificate":         {"AUTH_BYPASS", "A certificate was changed after it was signed, or signed by the wrong key, or its issuer name does not match its parent's subject."},
	"CertSignature":               {"MODIFIED_PARAMETER", "A certificate is signed with ECDSA-SHA256 instead of ECDSA-SHA384."},
	"CriticalExtension":           {"AUTH_BYPASS", "A certificate carries a critical extension the verifier does not know."},
	"Expired":                     {"FUNCTIONALITY", "A certificate is not valid at the verification time (expired or not yet valid)."},
	"NotYetValid":                 {"FUNCTIONALITY", "The verification time is before a certificate's notBefore."},
	"TimestampOutsideLeaf":        {"FUNCTIONALITY", "The document's timestamp lies outside its leaf certificate's validity."},
	"Stale":                       {"FUNCTIONALITY", "The document is older than maxAgeMs, or too far in the future, at the verification time."},
	"TimestampOutsideChain":       {"FUNCTIONALITY", "The document's timestamp lies outside an intermediate CA's validity (before its notBefore or after its notAfter) while every certificate is valid at the verification time: the timestamp must lie within every certificate's validity, not only the leaf's."},
	"FutureTimestamp":             {"FUNCTIONALITY", "The document's timestamp is in the future of the verification time. Up to 5 minutes (the clock skew allowance) is accepted; more is rejected whether or not maxAgeMs is set."},
	"NameConstraints":             {"AUTH_BYPASS", "A CA carries a critical nameConstraints extension (a permitted directoryName or dNSName subtree). qtenclave does not process name constraints (no platform uses them) and rejects the certificate as having an unhandled critical extension (RFC 5280, 4.2); a verifier that enforces them rejects a chain whose names the constraint excludes, and may accept one it permits."},
	"UnenforcedCriticalExtension": {"AUTH_BYPASS", "A CA carries a critical extension that X.509 libraries parse but an attestation chain check need not enforce (nameConstraints the chain satisfies, extKeyUsage, certificatePolicies). A verifier that processes it may accept; qtenclave accepts only basicConstraints and keyUsage as critical and rejects it (untrusted), so that no critical extension is accepted unenforced."},
	"RequireRsaPublicKey":         {"FUNCTIONALITY", "requireRsaPublicKey is set, as a KMS sets it for a recipient: public_key must be a DER SubjectPublicKeyInfo of an RSA key that RSAES-OAEP encryption accepts: 2048, 3072 or 4096 bits, an odd modulus, an odd exponent from 3 to 2^31-1 (Go's crypto/rsa's limits). Any other public_key is a policy failure, so that a KMS answers 4xx and never fails later when it seals."},
	"MalformedRsaKey":             {"MODIFIED_PARAMETER", "public_key is an RSA SubjectPublicKeyInfo that encryption must refuse: exponent 1, 2, 4, 65536, 2^31+1 or 2^32+1, or an even modulus. Without requireRsaPublicKey the (genuine) document verifies."},
	"WrongRsaKey":                 {"MODIFIED_PARAMETER", "public_key is not an RSA key of 2048, 3072 or 4096 bits: RSA-1024, an EC P-256 key, bytes that are not a SubjectPublicKeyInfo, or absent."},
	"ModifiedPayload":             {"AUTH_BYPASS", "The payload was changed after signing, or the signature covers a re-encoding of the payload rather than the bytes sent."},
	"ModifiedSignature":           {"AUTH_BYPASS", "The signature was changed, is out of range, was made by another key, or over another Sig_structure."},
	"LittleEndianInNitro":         {"AUTH_BYPASS", "A Nitro-dialect document with QingTian's little-endian r and s: Nitro signatures are big-endian only."},
	"Oversize":                    {"DOS", "A field, the cabundle, a map or the document is larger than any real document and than the verifier's limits."},
	"DeepNesting":                 {"DOS", "An unknown key's value is nested far deeper than any real field."},
	"LargeBundle":                 {"DOS", "A cabundle of 50 certificates: a verifier must bound the work a document can ask for."},
	"IndefiniteLength":            {"CAN_OF_WORMS", "An indefinite length where only definite lengths may be: inside the payload map, or in the COSE structure."},
	"Tag":                         {"CAN_OF_WORMS", "A CBOR tag where none may be (inside the payload, or a tag other than 18 on the COSE_Sign1)."},
	"InvalidUtf8":                 {"MODIFIED_PARAMETER", "A text string is not valid UTF-8."},
	"Truncated":                   {"MODIFIED_PARAMETER", "The document is cut short."},
	"BadCertificate":              {"MODIFIED_PARAMETER", "A certificate is not DER X.509."},
	"PcrIndex":                    {"MODIFIED_PARAMETER", "A PCR index out of 0..31, or PCR values of a wrong or mixed size."},
	"BadTimestamp":                {"MODIFIED_PARAMETER", "The timestamp is zero or beyond the year 9999."},
	"NotReal":                     {"FUNCTIONALITY", "Not a platform document: self-signed leaf, empty cabundle, null unprotected header."},
}

// attCase is one vector before it is written.
type attCase struct {
	comment    string
	flags      []string
	result     string
	failure    string
	time       time.Time // zero: verifyTime
	maxAge     time.Duration
	allowDebug bool
	nonce      []byte
	requireRSA bool // the requireRsaPublicKey policy
	doc        []byte
	model      *docModel // for the expected values of a valid document
}

// docSpec describes how to build one document.
type docSpec struct {
	p *pki
	d *dialect
	m *docModel

	indefinite  bool
	entries     func([]entry) []entry // edit the payload entries
	payload     func([]byte) []byte   // edit the payload bytes before signing
	signed      func(*sign1)          // edit after signing
	sig         sigOpts
	key         *ecdsa.PrivateKey // signer; nil: the leaf's key
	tagged      bool
	protected   []byte // nil: the dialect's
	unprotected []byte // nil: empty map
}

func newSpec(p *pki) *docSpec {
	d := dialects[p.dialect]
	return &docSpec{p: p, d: d, m: defaultModel(p), sig: sigOpts{littleLimbs: d.littleLimbs}}
}

func (s *docSpec) build() []byte {
	s.m.emptyUnset = s.d.optional == optEmpty
	es := s.d.entries(s.m)
	if s.entries != nil {
		es = s.entries(es)
	}
	payload := cborMapOf(s.indefinite, es...)
	if s.payload != nil {
		payload = s.payload(payload)
	}
	m := &sign1{tagged: s.tagged, protected: s.protected, unprotected: s.unprotected, payload: payload}
	if m.protected == nil {
		m.protected = s.d.protected
	}
	if m.unprotected == nil {
		m.unprotected = []byte{0xa0}
	}
	key := s.key
	if key == nil {
		key = s.p.leaf.key
	}
	m.signature = es384(key, m.protected, m.payload, s.sig)
	if s.signed != nil {
		s.signed(m)
	}
	return m.bytes()
}

// replace returns es with the value of key replaced (or the entry
// removed if val is nil).
func replace(key string, val []byte) func([]entry) []entry {
	return func(es []entry) []entry {
		var out []entry
		found := false
		for _, e := range es {
			if bytes.Equal(e.key, cborTstr(key)) {
				found = true
				if val == nil {
					continue
				}
				e.val = val
			}
			out = append(out, e)
		}
		if !found {
			panic("replace: no key " + key)
		}
		return out
	}
}

func appendEntries(more ...entry) func([]entry) []entry {
	return func(es []entry) []entry { return append(slices.Clone(es), more...) }
}

func attestationFile() *vectorFile {
	f := &vectorFile{
		name:             "attestation_test.json",
		Algorithm:        "AttestationDocument",
		Schema:           "attestation_test_schema.json",
		GeneratorVersion: generatorVersion,
		Header: []string{
			"Attestation documents of AWS Nitro Enclaves and Huawei Cloud QingTian Enclaves: COSE_Sign1 (RFC 9052),",
			"ES384, signed by a leaf certificate that chains to a trusted root (ECDSA P-384). Each group trusts the",
			"roots it lists and names its platform dialect; each test gives the verification time and any policy.",
			"Every key and certificate is a TEST KEY of the qtenclave test vectors. See README.md for the rules,",
			"the failure classes and the order in which a verifier decides them.",
		},
		Notes: attNotes,
	}
	for _, name := range []string{"nitro", "qingtian"} {
		p := newPKI(name, "")
		g := &attGroup{Type: "AttestationVerify", Platform: name, Roots: []hexBytes{p.root.cert.Raw}}
		for _, c := range attCases(p) {
			g.Tests = append(g.Tests, c.test(f))
		}
		f.TestGroups = append(f.TestGroups, g)
	}
	// The hardening cases (qtenclave issue 15: the timestamp within every
	// certificate, future timestamps, critical extensions, the recipient's
	// RSA key) come in groups of their own after the first two, so that
	// the tcIds above keep their numbers.
	for _, name := range []string{"nitro", "qingtian"} {
		p := newPKI(name, "")
		g := &attGroup{Type: "AttestationVerify", Platform: name, Roots: []hexBytes{p.root.cert.Raw}}
		for _, c := range hardeningCases(p) {
			g.Tests = append(g.Tests, c.test(f))
		}
		f.TestGroups = append(f.TestGroups, g)
	}
	return f
}

func (c *attCase) test(f *vectorFile) *attTest {
	t := &attTest{
		common:     f.newCommon(c.comment, c.flags...),
		Doc:        c.doc,
		Time:       rfc3339(verifyTime),
		MaxAgeMs:   c.maxAge.Milliseconds(),
		AllowDebug: c.allowDebug,
		Nonce:      c.nonce,
		RequireRSA: c.requireRSA,
		Result:     c.result,
		Failure:    c.failure,
	}
	if !c.time.IsZero() {
		t.Time = rfc3339(c.time)
	}
	if (c.result == invalid) != (c.failure != "") && c.result != acceptable {
		panic(fmt.Sprintf("tc %d: result %s with failure %q", t.TcID, c.result, c.failure))
	}
	if c.result != invalid {
		m := c.model
		e := &attExpected{ModuleID: m.moduleID, TimestampMs: m.ts, Digest: m.digest, PCRs: map[string]string{}}
		for _, i := range slices.Sorted(maps.Keys(m.pcrs)) {
			e.PCRs[strconv.Itoa(i)] = fmt.Sprintf("%x", m.pcrs[i])
		}
		opt := func(b []byte) *hexBytes {
			if b == nil && m.emptyUnset {
				return &hexBytes{}
			}
			if b == nil {
				return nil
			}
			h := hexBytes(b)
			return &h
		}
		e.PublicKey, e.UserData, e.Nonce = opt(m.pub), opt(m.user), opt(m.nonce)
		t.Expected = e
	}
	return t
}

// attCases returns every case of a dialect's hierarchy p.
func attCases(p *pki) []*attCase {
	var cs []*attCase
	d := dialects[p.dialect]
	nitro := p.dialect == "nitro"
	ok := func(comment string, s *docSpec, flags ...string) *attCase {
		c := &attCase{comment: comment, flags: flags, result: valid, doc: s.build(), model: s.m}
		cs = append(cs, c)
		return c
	}
	bad := func(comment, failure string, doc []byte, flags ...string) *attCase {
		c := &attCase{comment: comment, flags: flags, result: invalid, failure: failure, doc: doc}
		cs = append(cs, c)
		return c
	}
	spec := func(edit func(*docSpec)) *docSpec {
		s := newSpec(p)
		if edit != nil {
			edit(s)
		}
		return s
	}
	build := func(edit func(*docSpec)) []byte { return spec(edit).build() }

	// ---- Valid documents and the real quirks.
	ok("a document as the platform writes it", spec(nil), dialectFlags(d)...)
	ok("tagged COSE_Sign1 (tag 18)", spec(func(s *docSpec) { s.tagged = true }), "Tagged")
	ok("indefinite-length payload map", spec(func(s *docSpec) { s.indefinite = true }), "IndefiniteLengthMap")
	ok("unset optional fields as null", spec(func(s *docSpec) {
		s.d = withOptional(d, optNull)
		s.m.pub, s.m.user, s.m.nonce = nil, nil, nil
	}), "NullOptionalField")
	ok("unset optional fields as empty byte strings", spec(func(s *docSpec) {
		s.d = withOptional(d, optEmpty)
		s.m.pub, s.m.user, s.m.nonce = nil, nil, nil
	}), "EmptyOptionalField")
	ok("optional fields absent", spec(func(s *docSpec) {
		s.d = withOptional(d, optAbsent)
		s.m.pub, s.m.user, s.m.nonce = nil, nil, nil
	}), "AbsentOptionalField")
	ok("public_key null, user_data an empty byte string, nonce set", spec(func(s *docSpec) {
		s.d = withOptional(d, optNull)
		s.m.pub = nil
		s.m.user = []byte{}
	}), "NullOptionalField", "EmptyOptionalField")
	ok("1024-byte public_key, user_data and nonce, all bytes 0x01", spec(func(s *docSpec) {
		s.m.pub, s.m.user, s.m.nonce = bytes.Repeat([]byte{1}, 1024), bytes.Repeat([]byte{1}, 1024), bytes.Repeat([]byte{1}, 1024)
	}), "MaxSizeUserField")
	ok("4096-byte user_data and nonce", spec(func(s *docSpec) {
		s.m.user, s.m.nonce = bytesOf("user 4096", 4096), bytesOf("nonce 4096", 4096)
	}), "MaxSizeUserField")
	ok("high-S signature", spec(func(s *docSpec) { s.sig.highS = true }), "HighS")
	ok("the enclave key named pubkey", spec(func(s *docSpec) {
		s.entries = func(es []entry) []entry {
			for i := range es {
				if bytes.Equal(es[i].key, cborTstr("public_key")) {
					es[i].key = cborTstr("pubkey")
				}
			}
			return es
		}
	}), "PubkeyName")
	ok("an unknown key, with a nested value", spec(func(s *docSpec) {
		s.entries = appendEntries(textEntry("x_vendor_extension", cborMapOf(false, textEntry("a", cborArrayOf(cborUintOf(1), cborBstr([]byte{2}))))))
	}), "UnknownKey")
	ok("keys in reverse order", spec(func(s *docSpec) {
		s.entries = func(es []entry) []entry { slices.Reverse(es); return es }
	}), "KeyOrder")
	ok("non-minimal integers: protected header, PCR indexes, timestamp", spec(func(s *docSpec) {
		s.protected = dialects["qingtian"].protected
		s.d = withPCRIndex(d, func(i int) []byte { return cborHeadWide(cborUint, uint64(i), 4) })
		s.entries = replace("timestamp", cborHeadWide(cborUint, s.m.ts, 8))
	}), "NonMinimalInteger")
	ok("non-minimal lengths of module_id and certificate", spec(func(s *docSpec) {
		s.entries = func(es []entry) []entry {
			es = replace("module_id", append(cborHeadWide(cborText, uint64(len(s.m.moduleID)), 2), s.m.moduleID...))(es)
			return replace("certificate", append(cborHeadWide(cborBytes, uint64(len(s.m.cert)), 4), s.m.cert...))(es)
		}
	}), "NonMinimalLength")
	for _, size := range []int{32, 64} {
		ok(fmt.Sprintf("%d-byte PCRs", size), spec(func(s *docSpec) { s.m.pcrs = pcrValues(p.dialect, size) }), "PcrSize")
	}
	ok("all 32 PCRs", spec(func(s *docSpec) {
		for i := 16; i < 32; i++ {
			s.m.pcrs[i] = bytesOf(fmt.Sprintf("PCR%d", i), 48)
		}
	}), "AllPcrs")
	if nitro {
		ok("everything at once: tagged, indefinite map, high S, unknown key, null fields", spec(func(s *docSpec) {
			s.tagged, s.indefinite, s.sig.highS = true, true, true
			s.m.pub, s.m.user = nil, nil
			s.entries = appendEntries(textEntry("x_vendor_extension", cborTstr("ignored")))
		}), "Tagged", "IndefiniteLengthMap", "HighS", "UnknownKey", "NullOptionalField")
		bad("little-endian r and s in a Nitro document", failSignature, build(func(s *docSpec) { s.sig.littleLimbs = true }), "LittleEndianInNitro")
	} else {
		ok("everything at once: pubkey, non-minimal integers, empty fields, high S", spec(func(s *docSpec) {
			s.sig.highS = true
			s.m.user, s.m.nonce = nil, nil
			s.entries = func(es []entry) []entry {
				for i := range es {
					if bytes.Equal(es[i].key, cborTstr("public_key")) {
						es[i].key = cborTstr("pubkey")
					}
				}
				return es
			}
		}), "PubkeyName", "NonMinimalInteger", "EmptyOptionalField", "HighS", "LittleEndianLimbs")
		c := ok("big-endian r and s in a QingTian document", spec(func(s *docSpec) { s.sig.littleLimbs = false }), "BigEndianSignature")
		c.result, c.failure = acceptable, failSignature
	}

	// ---- Time and freshness.
	leaf := p.leaf.cert
	cs = append(cs,
		&attCase{comment: "verified at the leaf's notBefore", flags: []string{"ValidityBoundary"}, result: valid, time: leaf.NotBefore, doc: build(func(s *docSpec) { s.m.ts = uint64(leaf.NotBefore.UnixMilli()) }), model: withTS(defaultModel(p), leaf.NotBefore)},
		&attCase{comment: "verified at the leaf's notAfter", flags: []string{"ValidityBoundary"}, result: valid, time: leaf.NotAfter, doc: build(nil), model: defaultModel(p)},
		&attCase{comment: "verified a second after the leaf's notAfter", flags: []string{"Expired"}, result: invalid, failure: failExpired, time: leaf.NotAfter.Add(time.Second), doc: build(nil)},
		&attCase{comment: "verified a day later", flags: []string{"Expired"}, result: invalid, failure: failExpired, time: verifyTime.Add(24 * time.Hour), doc: build(nil)},
		&attCase{comment: "verified a second before the leaf's notBefore", flags: []string{"NotYetValid", "Expired"}, result: invalid, failure: failExpired, time: leaf.NotBefore.Add(-time.Second), doc: build(func(s *docSpec) { s.m.ts = uint64(leaf.NotBefore.UnixMilli()) })},
		&attCase{comment: "timestamp an hour after the leaf's notAfter, verified while the leaf is valid", flags: []string{"TimestampOutsideLeaf"}, result: invalid, failure: failExpired, doc: build(func(s *docSpec) { s.m.ts = uint64(leaf.NotAfter.Add(time.Hour).UnixMilli()) })},
		&attCase{comment: "timestamp before the leaf's notBefore", flags: []string{"TimestampOutsideLeaf"}, result: invalid, failure: failExpired, doc: build(func(s *docSpec) { s.m.ts = uint64(leaf.NotBefore.Add(-time.Minute).UnixMilli()) })},
		&attCase{comment: "max age 5 minutes, document 4 minutes old", flags: []string{"MaxAge"}, result: valid, maxAge: 5 * time.Minute, time: docTime.Add(4 * time.Minute), doc: build(nil), model: defaultModel(p)},
		&attCase{comment: "max age 5 minutes, document 10 minutes old", flags: []string{"MaxAge", "Stale"}, result: invalid, failure: failExpired, maxAge: 5 * time.Minute, time: docTime.Add(10 * time.Minute), doc: build(nil)},
		&attCase{comment: "max age 5 minutes, document 4 minutes in the future (clock skew)", flags: []string{"MaxAge"}, result: valid, maxAge: 5 * time.Minute, time: docTime.Add(-4 * time.Minute), doc: build(nil), model: defaultModel(p)},
		&attCase{comment: "max age 1 hour, document 10 minutes in the future", flags: []string{"MaxAge", "Stale"}, result: invalid, failure: failExpired, maxAge: time.Hour, time: docTime.Add(-10 * time.Minute), doc: build(nil)},
	)
	{
		// An intermediate that expired before the leaf was issued.
		c := p.inter[1].cert
		tmpl := caTemplate(c.SerialNumber.Int64(), c.Subject.CommonName, t0.Add(-72*time.Hour), t0.Add(-time.Hour), c.MaxPathLen)
		q := p.withInter(1, tmpl, p.inter[1].key)
		s := newSpec(q)
		bad("an intermediate expired before the document", failExpired, s.build(), "Expired")
		tmpl = caTemplate(c.SerialNumber.Int64(), c.Subject.CommonName, t0.Add(time.Hour), t0.Add(72*time.Hour), c.MaxPathLen)
		q = p.withInter(1, tmpl, p.inter[1].key)
		s = newSpec(q)
		bad("an intermediate not yet valid", failExpired, s.build(), "NotYetValid", "Expired")
	}

	// ---- Policy.
	zero := make([]byte, 48)
	debug := func(s *docSpec) { s.m.pcrs[0], s.m.pcrs[1], s.m.pcrs[2] = zero, zero, zero }
	bad("debug enclave (PCR0, PCR1, PCR2 zero)", failPolicy, build(debug), "DebugMode")
	c := ok("debug enclave, allowed", spec(debug), "DebugMode")
	c.allowDebug = true
	bad("PCR0, PCR1 and PCR2 absent", failPolicy, build(func(s *docSpec) { delete(s.m.pcrs, 0); delete(s.m.pcrs, 1); delete(s.m.pcrs, 2) }), "DebugMode")
	c = ok("nonce as required", spec(nil), "NoncePolicy")
	c.nonce = bytesOf("nonce", 32)
	c = bad("nonce differs", failPolicy, build(nil), "NoncePolicy")
	c.nonce = bytesOf("another nonce", 32)
	c = bad("nonce required, none sent", failPolicy, build(func(s *docSpec) { s.m.nonce = nil }), "NoncePolicy")
	c.nonce = bytesOf("nonce", 32)

	// ---- Chains.
	other := newPKI(p.dialect, "untrusted ")
	bad("a chain to an untrusted root with the same names", failUntrusted, newSpec(other).build(), "UntrustedRoot")
	bad("cabundle reversed (leaf's issuer first)", failUntrusted, build(func(s *docSpec) { slices.Reverse(s.m.cabundle) }), "ChainOrder")
	bad("two intermediates swapped", failUntrusted, build(func(s *docSpec) { s.m.cabundle[1], s.m.cabundle[2] = s.m.cabundle[2], s.m.cabundle[1] }), "ChainOrder")
	bad("the leaf's issuer missing", failUntrusted, build(func(s *docSpec) { s.m.cabundle = s.m.cabundle[:len(s.m.cabundle)-1] }), "ChainOrder")
	bad("a middle intermediate missing", failUntrusted, build(func(s *docSpec) { s.m.cabundle = slices.Delete(s.m.cabundle, 2, 3) }), "ChainOrder")
	bad("the root missing", failUntrusted, build(func(s *docSpec) { s.m.cabundle = s.m.cabundle[1:] }), "ChainOrder")
	bad("the leaf repeated at the end of the cabundle", failUntrusted, build(func(s *docSpec) { s.m.cabundle = append(s.m.cabundle, s.m.cert) }), "ChainOrder", "NotCA")
	bad("the root repeated at the end of the cabundle", failUntrusted, build(func(s *docSpec) { s.m.cabundle = append(s.m.cabundle, s.m.cabundle[0]) }), "ChainOrder")
	{
		// pathLen: the leaf's issuer's parent limited to 0 CAs below it.
		c := p.inter[len(p.inter)-2].cert
		tmpl := caTemplate(c.SerialNumber.Int64(), c.Subject.CommonName, c.NotBefore, c.NotAfter, 0)
		bad("pathLen 0 on a CA with a CA below it", failUntrusted, newSpec(p.withInter(len(p.inter)-2, tmpl, p.inter[len(p.inter)-2].key)).build(), "PathLenConstraint")
		c = p.inter[0].cert
		tmpl = caTemplate(c.SerialNumber.Int64(), c.Subject.CommonName, c.NotBefore, c.NotAfter, 1)
		bad("pathLen 1 on the first intermediate, with two CAs below it", failUntrusted, newSpec(p.withInter(0, tmpl, p.inter[0].key)).build(), "PathLenConstraint")
	}
	{
		last := p.last().cert
		notCA := caTemplate(last.SerialNumber.Int64(), last.Subject.CommonName, last.NotBefore, last.NotAfter, -1)
		notCA.IsCA = false
		bad("the leaf's issuer is CA:FALSE", failUntrusted, newSpec(p.withInter(len(p.inter)-1, notCA, p.last().key)).build(), "NotCA")
		noBC := caTemplate(last.SerialNumber.Int64(), last.Subject.CommonName, last.NotBefore, last.NotAfter, -1)
		noBC.IsCA, noBC.BasicConstraintsValid = false, false
		bad("the leaf's issuer has no basicConstraints", failUntrusted, newSpec(p.withInter(len(p.inter)-1, noBC, p.last().key)).build(), "NotCA")
		noSign := caTemplate(last.SerialNumber.Int64(), last.Subject.CommonName, last.NotBefore, last.NotAfter, last.MaxPathLen)
		noSign.MaxPathLenZero = last.MaxPathLenZero
		noSign.KeyUsage = x509.KeyUsageDigitalSignature
		bad("the leaf's issuer lacks keyCertSign", failUntrusted, newSpec(p.withInter(len(p.inter)-1, noSign, p.last().key)).build(), "KeyUsage")
		p256 := caTemplate(last.SerialNumber.Int64(), last.Subject.CommonName, last.NotBefore, last.NotAfter, last.MaxPathLen)
		p256.MaxPathLenZero = last.MaxPathLenZero
		bad("the leaf's issuer has a P-256 key", failUntrusted, newSpec(p.withInter(len(p.inter)-1, p256, ecKey(elliptic.P256(), p.dialect+" P-256 CA"))).build(), "WrongCurve")
		crit := caTemplate(last.SerialNumber.Int64(), last.Subject.CommonName, last.NotBefore, last.NotAfter, last.MaxPathLen)
		crit.MaxPathLenZero = last.MaxPathLenZero
		crit.ExtraExtensions = []pkix.Extension{{Id: oidUnknownCritical, Critical: true, Value: []byte{0x05, 0x00}}}
		bad("an intermediate with an unknown critical extension", failUntrusted, newSpec(p.withInter(len(p.inter)-1, crit, p.last().key)).build(), "CriticalExtension")
	}
	{
		lt := func() *x509.Certificate { return leafTemplate(100, leaf.Subject.CommonName) }
		t := lt()
		t.IsCA = true
		t.KeyUsage |= x509.KeyUsageCertSign
		bad("the leaf is CA:TRUE", failUntrusted, newSpec(p.withLeaf(t, p.leaf.key)).build(), "LeafIsCA")
		t = lt()
		t.KeyUsage = x509.KeyUsageKeyAgreement
		bad("the leaf's key usage lacks digitalSignature", failUntrusted, newSpec(p.withLeaf(t, p.leaf.key)).build(), "KeyUsage")
		t = lt()
		t.KeyUsage = 0
		bad("the leaf has no key usage extension", failUntrusted, newSpec(p.withLeaf(t, p.leaf.key)).build(), "KeyUsage")
		t = lt()
		t.SignatureAlgorithm = x509.ECDSAWithSHA256
		bad("the leaf is signed with ECDSA-SHA256", failUntrusted, newSpec(p.withLeaf(t, p.leaf.key)).build(), "CertSignature")
		t = lt()
		t.ExtraExtensions = []pkix.Extension{{Id: oidUnknownCritical, Critical: true, Value: []byte{0x05, 0x00}}}
		bad("the leaf has an unknown critical extension", failUntrusted, newSpec(p.withLeaf(t, p.leaf.key)).build(), "CriticalExtension")
		t = lt()
		k256 := ecKey(elliptic.P256(), p.dialect+" P-256 leaf")
		s := newSpec(p.withLeaf(t, k256))
		s.key = p.leaf.key // the signature cannot be ES384 with a P-256 key anyway
		bad("the leaf has a P-256 key", failMalformed, s.build(), "WrongCurve")
		// A leaf signed by the right name with the wrong key.
		q := *p
		impostorKey := ecKey(elliptic.P384(), "impostor")
		impostorCert := *p.last().cert
		impostorCert.PublicKey = &impostorKey.PublicKey
		q.leaf = issue(lt(), &authority{cert: &impostorCert, key: impostorKey}, p.leaf.key)
		bad("the leaf is signed by another key than its issuer's", failUntrusted, newSpec(&q).build(), "ModifiedCertificate")
		// A leaf whose issuer name is not its issuer's subject.
		impostor := *p.last().cert
		impostor.Subject = testName("qtenclave test vectors some other CA")
		impostor.RawSubject = nil
		q = *p
		t = lt()
		t.SignatureAlgorithm = x509.ECDSAWithSHA384
		q.leaf = issueRaw(t, &impostor, p.last().key, p.leaf.key)
		bad("the leaf's issuer name differs from its issuer's subject", failUntrusted, newSpec(&q).build(), "ModifiedCertificate")
	}
	// Tampered certificates: one bit of a signature, or of the serial
	// number (the document is signed over the tampered certificate, so
	// only the chain is wrong).
	tamperCert := func(der []byte, at int) []byte { b := slices.Clone(der); b[at] ^= 0x01; return b }
	bad("a bit of the leaf's certificate signature flipped", failUntrusted, build(func(s *docSpec) { s.m.cert = tamperCert(s.m.cert, len(s.m.cert)-5) }), "ModifiedCertificate")
	bad("a bit of the leaf's serial number flipped", failUntrusted, build(func(s *docSpec) {
		s.m.cert = tamperCert(s.m.cert, bytes.Index(s.m.cert, []byte{0x02, 0x01, 100})+2)
	}), "ModifiedCertificate")
	bad("a bit of an intermediate's signature flipped", failUntrusted, build(func(s *docSpec) { s.m.cabundle[2] = tamperCert(s.m.cabundle[2], len(s.m.cabundle[2])-5) }), "ModifiedCertificate")
	bad("the certificate is not DER", failMalformed, build(func(s *docSpec) { s.m.cert = []byte("not a certificate") }), "BadCertificate")
	bad("a cabundle entry is not DER", failMalformed, build(func(s *docSpec) { s.m.cabundle[1] = []byte{0x30, 0x03, 0x02, 0x01, 0x00} }), "BadCertificate")
	for _, n := range []int{1, 4} {
		q := p.deeper(n)
		s := newSpec(q)
		c := ok(fmt.Sprintf("a valid chain with a cabundle of %d", len(q.cabundle())), s, "LongChain")
		c.result, c.failure = acceptable, failMalformed
	}
	{
		q := p.deeper(5)
		c := bad(fmt.Sprintf("a valid chain with a cabundle of %d", len(q.cabundle())), failMalformed, newSpec(q).build(), "OverlongChain")
		c.result = acceptable
		c.model = newSpec(q).m
	}
	if nitro {
		q := p.deeper(46)
		bad(fmt.Sprintf("a chain of %d CAs (cabundle of 50)", len(q.cabundle())), failMalformed, newSpec(q).build(), "LargeBundle", "Oversize")
	}

	// ---- Signatures.
	flip := func(i int) func(*sign1) { return func(m *sign1) { m.signature[i] ^= 0x01 } }
	bad("a bit of r flipped", failSignature, build(func(s *docSpec) { s.signed = flip(10) }), "ModifiedSignature")
	bad("a bit of s flipped", failSignature, build(func(s *docSpec) { s.signed = flip(60) }), "ModifiedSignature")
	bad("r and s swapped", failSignature, build(func(s *docSpec) {
		s.signed = func(m *sign1) { m.signature = concat(m.signature[48:], m.signature[:48]) }
	}), "ModifiedSignature")
	bad("r = 0", failSignature, build(func(s *docSpec) { s.signed = func(m *sign1) { clear(m.signature[:48]) } }), "ModifiedSignature")
	bad("s = 0", failSignature, build(func(s *docSpec) { s.signed = func(m *sign1) { clear(m.signature[48:]) } }), "ModifiedSignature")
	bad("r = n", failSignature, build(func(s *docSpec) {
		s.signed = func(m *sign1) {
			copy(m.signature[:48], rawSignature(p384N, big.NewInt(1), d.littleLimbs)[:48])
		}
	}), "ModifiedSignature")
	bad("s = n", failSignature, build(func(s *docSpec) {
		s.signed = func(m *sign1) {
			copy(m.signature[48:], rawSignature(big.NewInt(1), p384N, d.littleLimbs)[48:])
		}
	}), "ModifiedSignature")
	bad("signed by another P-384 key", failSignature, build(func(s *docSpec) { s.key = ecKey(elliptic.P384(), "not the leaf") }), "ModifiedSignature")
	bad("signed over a Sig_structure with context \"Signature\"", failSignature, build(func(s *docSpec) { s.sig.context = "Signature" }), "ModifiedSignature")
	bad("signed with external_aad", failSignature, build(func(s *docSpec) { s.sig.aad = []byte("aad") }), "ModifiedSignature")
	bad("signed with a SHA-256 digest", failSignature, build(func(s *docSpec) { s.sig.sha256 = true }), "ModifiedSignature")
	bad("module_id changed after signing", failSignature, build(func(s *docSpec) {
		s.signed = func(m *sign1) {
			i := bytes.Index(m.payload, []byte(s.m.moduleID))
			m.payload = slices.Clone(m.payload)
			m.payload[i] ^= 0x01
		}
	}), "ModifiedPayload")
	bad("a PCR changed after signing", failSignature, build(func(s *docSpec) {
		s.signed = func(m *sign1) {
			i := bytes.Index(m.payload, s.m.pcrs[0])
			m.payload = slices.Clone(m.payload)
			m.payload[i+7] ^= 0x80
		}
	}), "ModifiedPayload")
	bad("public_key changed after signing", failSignature, build(func(s *docSpec) {
		s.signed = func(m *sign1) {
			i := bytes.Index(m.payload, s.m.pub)
			m.payload = slices.Clone(m.payload)
			m.payload[i+len(s.m.pub)-1] ^= 0x01
		}
	}), "ModifiedPayload")
	bad("signed over a minimal encoding, sent with a non-minimal module_id length", failSignature, build(func(s *docSpec) {
		s.signed = func(m *sign1) {
			wide := append(cborHeadWide(cborText, uint64(len(s.m.moduleID)), 2), s.m.moduleID...)
			m.payload = bytes.Replace(m.payload, cborTstr(s.m.moduleID), wide, 1)
		}
	}), "ModifiedPayload", "NonMinimalLength")
	bad("signed over the protected header {1: -35}, sent as a1 1a00000001 3a00000022", failSignature, build(func(s *docSpec) {
		s.protected = []byte{0xa1, 0x01, 0x38, 0x22}
		s.signed = func(m *sign1) { m.protected = dialects["qingtian"].protected }
		if !nitro {
			s.protected = dialects["qingtian"].protected
			s.signed = func(m *sign1) { m.protected = []byte{0xa1, 0x01, 0x38, 0x22} }
		}
	}), "ModifiedPayload")

	// ---- COSE structure.
	doc := build(nil)
	bad("empty document", failMalformed, []byte{}, "Truncated")
	bad("cut in the middle", failMalformed, doc[:len(doc)/2], "Truncated")
	bad("the last byte missing", failMalformed, doc[:len(doc)-1], "Truncated")
	bad("a byte after the COSE_Sign1", failMalformed, append(slices.Clone(doc), 0x00), "TrailingBytes")
	bad("a second COSE_Sign1 after the first", failMalformed, concat(doc, doc), "TrailingBytes")
	bad("COSE_Sign1 with another tag (98, COSE_Sign)", failMalformed, append([]byte{0xd8, 0x62}, doc...), "Tag")
	bad("COSE_Sign1 as an indefinite-length array", failMalformed, concat([]byte{0x9f}, doc[1:], cborBreak), "IndefiniteLength")
	bad("payload as an indefinite-length byte string", failMalformed, chunkedPayload(spec(nil)), "IndefiniteLength")
	bad("a 3-element array (no signature)", failMalformed, threeElements(spec(nil)), "WrongType")
	bad("a 5-element array", failMalformed, fiveElements(spec(nil)), "WrongType")
	bad("payload null (detached)", failMalformed, detachedPayload(spec(nil)), "WrongType")
	bad("a map instead of an array", failMalformed, concat([]byte{0xa0}), "WrongType")
	bad("protected header {1: -7} (ES256)", failMalformed, build(func(s *docSpec) { s.protected = []byte{0xa1, 0x01, 0x26} }), "WrongAlgorithm")
	bad("protected header {1: -36} (ES512)", failMalformed, build(func(s *docSpec) { s.protected = []byte{0xa1, 0x01, 0x38, 0x23} }), "WrongAlgorithm")
	bad("protected header {1: -37} (PS256)", failMalformed, build(func(s *docSpec) { s.protected = []byte{0xa1, 0x01, 0x38, 0x24} }), "WrongAlgorithm")
	bad("protected header {1: \"ES384\"}", failMalformed, build(func(s *docSpec) { s.protected = concat([]byte{0xa1, 0x01}, cborTstr("ES384")) }), "WrongAlgorithm")
	bad("protected header with a second parameter (kid)", failMalformed, build(func(s *docSpec) { s.protected = concat([]byte{0xa2, 0x01, 0x38, 0x22, 0x04}, cborBstr([]byte("kid"))) }), "WrongAlgorithm")
	bad("protected header empty", failMalformed, build(func(s *docSpec) { s.protected = []byte{} }), "WrongAlgorithm")
	bad("protected header with alg twice", failMalformed, build(func(s *docSpec) { s.protected = []byte{0xa2, 0x01, 0x38, 0x22, 0x01, 0x38, 0x22} }), "WrongAlgorithm", "DuplicateKey")
	bad("unprotected header not empty", failMalformed, build(func(s *docSpec) { s.unprotected = concat([]byte{0xa1, 0x04}, cborBstr([]byte("kid"))) }), "WrongAlgorithm")
	bad("unprotected header null", failMalformed, build(func(s *docSpec) { s.unprotected = cborNull }), "WrongAlgorithm")
	bad("signature of 95 bytes", failMalformed, build(func(s *docSpec) { s.signed = func(m *sign1) { m.signature = m.signature[:95] } }), "ModifiedSignature")
	bad("signature of 104 bytes (P-521 size)", failMalformed, build(func(s *docSpec) { s.signed = func(m *sign1) { m.signature = append(m.signature, make([]byte, 8)...) } }), "ModifiedSignature")
	bad("signature as a DER ECDSA-Sig-Value", failMalformed, build(func(s *docSpec) {
		s.signed = func(m *sign1) {
			m.signature = derSig(m.signature, d.littleLimbs)
		}
	}), "ModifiedSignature")

	// ---- Payload.
	bad("payload is not a map", failMalformed, build(func(s *docSpec) { s.payload = func([]byte) []byte { return cborArrayOf() } }), "WrongType")
	bad("payload is empty", failMalformed, build(func(s *docSpec) { s.payload = func([]byte) []byte { return []byte{} } }), "WrongType")
	bad("a byte after the payload map", failMalformed, build(func(s *docSpec) { s.payload = func(b []byte) []byte { return append(b, 0x00) } }), "TrailingBytes")
	bad("module_id twice", failMalformed, build(func(s *docSpec) { s.entries = appendEntries(textEntry("module_id", cborTstr("i-another"))) }), "DuplicateKey")
	bad("nonce twice, once with a non-minimal key length", failMalformed, build(func(s *docSpec) {
		s.entries = appendEntries(entry{append(cborHeadWide(cborText, 5, 1), "nonce"...), cborBstr([]byte("other"))})
	}), "DuplicateKey", "NonMinimalLength")
	bad("certificate twice with the same value", failMalformed, build(func(s *docSpec) { s.entries = appendEntries(textEntry("certificate", cborBstr(s.m.cert))) }), "DuplicateKey")
	bad("both public_key and pubkey", failMalformed, build(func(s *docSpec) { s.entries = appendEntries(textEntry("pubkey", cborBstr(s.m.pub))) }), "DuplicateKey", "PubkeyName")
	bad("PCR index 3 twice", failMalformed, build(func(s *docSpec) {
		s.entries = replace("pcrs", concat(cborHead(cborMap, 17), d.encodePCRs(s.m.pcrs)[1:], cborHeadWide(cborUint, 3, 4), cborBstr(s.m.pcrs[3])))
	}), "DuplicateKey")
	bad("indefinite-length pcrs map", failMalformed, build(func(s *docSpec) {
		enc := d.encodePCRs(s.m.pcrs)
		s.entries = replace("pcrs", concat([]byte{0xbf}, enc[1:], cborBreak))
	}), "IndefiniteLength")
	bad("indefinite-length cabundle array", failMalformed, build(func(s *docSpec) {
		var items [][]byte
		for _, c := range s.m.cabundle {
			items = append(items, cborBstr(c))
		}
		s.entries = replace("cabundle", concat([]byte{0x9f}, concat(items...), cborBreak))
	}), "IndefiniteLength")
	bad("module_id as an indefinite-length text string", failMalformed, build(func(s *docSpec) {
		s.entries = replace("module_id", concat([]byte{0x7f}, cborTstr(s.m.moduleID[:5]), cborTstr(s.m.moduleID[5:]), cborBreak))
	}), "IndefiniteLength")
	for _, k := range []string{"module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle"} {
		bad(k+" missing", failMalformed, build(func(s *docSpec) { s.entries = replace(k, nil) }), "MissingField")
	}
	bad("module_id empty", failMalformed, build(func(s *docSpec) { s.entries = replace("module_id", cborTstr("")) }), "MissingField")
	bad("pcrs empty", failMalformed, build(func(s *docSpec) { s.entries = replace("pcrs", cborMapOf(false)) }), "MissingField")
	bad("certificate empty", failMalformed, build(func(s *docSpec) { s.entries = replace("certificate", cborBstr(nil)) }), "MissingField")
	bad("cabundle empty", failMalformed, build(func(s *docSpec) { s.entries = replace("cabundle", cborArrayOf()) }), "MissingField")
	bad("certificate null", failMalformed, build(func(s *docSpec) { s.entries = replace("certificate", cborNull) }), "MissingField", "WrongType")
	bad("digest \"SHA256\"", failMalformed, build(func(s *docSpec) { s.entries = replace("digest", cborTstr("SHA256")) }), "WrongDigest")
	bad("digest \"sha384\"", failMalformed, build(func(s *docSpec) { s.entries = replace("digest", cborTstr("sha384")) }), "WrongDigest")
	wrongTypes := []struct {
		key  string
		val  []byte
		what string
	}{
		{"module_id", cborBstr([]byte("i-0123")), "module_id as a byte string"},
		{"digest", cborUintOf(384), "digest as an integer"},
		{"timestamp", cborTstr("2026-01-15T10:20:30Z"), "timestamp as text"},
		{"timestamp", cborInt(-1), "timestamp negative"},
		{"timestamp", []byte{0xfb, 0x42, 0x79, 0xbc, 0x6d, 0x8e, 0x3a, 0x00, 0x00}, "timestamp as a float"},
		{"pcrs", cborArrayOf(cborBstr(make([]byte, 48))), "pcrs as an array"},
		{"pcrs", cborMapOf(false, textEntry("0", cborBstr(make([]byte, 48)))), "a PCR index as text"},
		{"pcrs", cborMapOf(false, entry{cborUintOf(0), cborTstr("00")}), "a PCR value as text"},
		{"certificate", cborTstr("MIIB"), "certificate as text"},
		{"cabundle", cborBstr([]byte{1}), "cabundle as a byte string"},
		{"cabundle", cborArrayOf(cborTstr("root")), "a cabundle entry as text"},
		{"cabundle", cborArrayOf(cborNull), "a cabundle entry null"},
		{"user_data", cborTstr("hello"), "user_data as text"},
		{"user_data", cborFalse, "user_data false"},
		{"nonce", cborMapOf(false), "nonce as a map"},
		{"public_key", cborUintOf(1), "public_key as an integer"},
	}
	for _, w := range wrongTypes {
		bad(w.what, failMalformed, build(func(s *docSpec) { s.entries = replace(w.key, w.val) }), "WrongType")
	}
	bad("user_data as a tagged byte string (tag 24)", failMalformed, build(func(s *docSpec) {
		s.entries = replace("user_data", concat([]byte{0xd8, 0x18}, cborBstr(cborUintOf(1))))
	}), "Tag")
	bad("timestamp as a tagged integer (tag 1)", failMalformed, build(func(s *docSpec) {
		s.entries = replace("timestamp", concat([]byte{0xc1}, cborUintOf(s.m.ts/1000)))
	}), "Tag")
	bad("module_id not UTF-8", failMalformed, build(func(s *docSpec) {
		s.entries = replace("module_id", append(cborHead(cborText, 3), 0x69, 0xff, 0x2d))
	}), "InvalidUtf8")
	bad("timestamp 0", failMalformed, build(func(s *docSpec) { s.entries = replace("timestamp", cborUintOf(0)) }), "BadTimestamp")
	bad("timestamp in the year 10000", failMalformed, build(func(s *docSpec) { s.entries = replace("timestamp", cborUintOf(253402300800000)) }), "BadTimestamp")
	bad("PCR index 32", failMalformed, build(func(s *docSpec) { s.m.pcrs[32] = make([]byte, 48) }), "PcrIndex")
	bad("a PCR of 47 bytes", failMalformed, build(func(s *docSpec) { s.m.pcrs[5] = make([]byte, 47) }), "PcrIndex")
	bad("PCRs of 48 and 32 bytes", failMalformed, build(func(s *docSpec) { s.m.pcrs[5] = make([]byte, 32) }), "PcrIndex")
	bad("a PCR of 0 bytes", failMalformed, build(func(s *docSpec) { s.m.pcrs[5] = []byte{} }), "PcrIndex")

	// ---- Size and depth.
	bad("user_data of 4097 bytes", failMalformed, build(func(s *docSpec) { s.m.user = bytesOf("user 4097", 4097) }), "Oversize")
	bad("public_key of 4097 bytes", failMalformed, build(func(s *docSpec) { s.m.pub = bytesOf("pub 4097", 4097) }), "Oversize")
	bad("a certificate of 4097 bytes (not DER either)", failMalformed, build(func(s *docSpec) { s.m.cert = bytesOf("cert 4097", 4097) }), "Oversize", "BadCertificate")
	bad("a document of over 64 KiB (an unknown key of 70000 bytes)", failMalformed, build(func(s *docSpec) {
		s.entries = appendEntries(textEntry("x_padding", cborBstr(make([]byte, 70000))))
	}), "Oversize", "UnknownKey")
	bad("40 unknown keys", failMalformed, build(func(s *docSpec) {
		var more []entry
		for i := range 40 {
			more = append(more, textEntry(fmt.Sprintf("x_key_%02d", i), cborUintOf(uint64(i))))
		}
		s.entries = appendEntries(more...)
	}), "Oversize", "UnknownKey")
	bad("33 PCRs (index 0..32)", failMalformed, build(func(s *docSpec) {
		for i := range 33 {
			s.m.pcrs[i] = bytesOf(fmt.Sprintf("PCR%d", i), 48)
		}
	}), "Oversize", "PcrIndex")
	bad("an unknown key nested 64 arrays deep", failMalformed, build(func(s *docSpec) {
		v := cborUintOf(0)
		for range 64 {
			v = cborArrayOf(v)
		}
		s.entries = appendEntries(textEntry("x_deep", v))
	}), "DeepNesting", "UnknownKey")
	bad("an unknown key holding an indefinite-length array", failMalformed, build(func(s *docSpec) {
		s.entries = appendEntries(textEntry("x_indef", concat([]byte{0x9f}, cborUintOf(1), cborBreak)))
	}), "IndefiniteLength", "UnknownKey")

	return cs
}

// dialectFlags are the quirk flags of a dialect's plain document.
func dialectFlags(d *dialect) []string {
	if d.name == "qingtian" {
		return []string{"NonMinimalInteger", "LittleEndianLimbs", "KeyOrder", "NameEncoding", "EmptyOptionalField"}
	}
	return []string{}
}

func withOptional(d *dialect, o optionalForm) *dialect {
	c := *d
	c.optional = o
	return &c
}

func withPCRIndex(d *dialect, f func(int) []byte) *dialect {
	c := *d
	c.pcrIndex = f
	return &c
}

func withTS(m *docModel, t time.Time) *docModel {
	m.ts = uint64(t.UnixMilli())
	return m
}

// signedParts builds and signs s's document and returns its parts.
func signedParts(s *docSpec) *sign1 {
	var parts *sign1
	s.signed = func(m *sign1) { parts = m }
	s.build()
	return parts
}

// chunkedPayload is s's document with the payload sent as an
// indefinite-length byte string of two chunks.
func chunkedPayload(s *docSpec) []byte {
	m := signedParts(s)
	half := len(m.payload) / 2
	return concat([]byte{0x84}, cborBstr(m.protected), m.unprotected,
		[]byte{0x5f}, cborBstr(m.payload[:half]), cborBstr(m.payload[half:]), cborBreak,
		cborBstr(m.signature))
}

func threeElements(s *docSpec) []byte {
	m := signedParts(s)
	return concat([]byte{0x83}, cborBstr(m.protected), m.unprotected, cborBstr(m.payload))
}

func fiveElements(s *docSpec) []byte {
	m := signedParts(s)
	return concat([]byte{0x85}, cborBstr(m.protected), m.unprotected, cborBstr(m.payload), cborBstr(m.signature), cborBstr(nil))
}

func detachedPayload(s *docSpec) []byte {
	m := signedParts(s)
	return concat([]byte{0x84}, cborBstr(m.protected), m.unprotected, cborNull, cborBstr(m.signature))
}

// derSig re-encodes a raw r || s signature as a DER ECDSA-Sig-Value.
func derSig(raw []byte, littleLimbs bool) []byte {
	r, s := slices.Clone(raw[:48]), slices.Clone(raw[48:])
	if littleLimbs {
		slices.Reverse(r)
		slices.Reverse(s)
	}
	b, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(r), new(big.Int).SetBytes(s)})
	if err != nil {
		panic(err)
	}
	return b
}

// issueRaw makes a certificate from tmpl for key, signed with parentKey
// under the given parent certificate (whose names may differ from the
// real issuer's).
func issueRaw(tmpl *x509.Certificate, parent *x509.Certificate, parentKey, key *ecdsa.PrivateKey) *authority {
	der, err := x509.CreateCertificate(nil, tmpl, parent, &key.PublicKey, detSigner{parentKey})
	if err != nil {
		panic(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return &authority{cert: c, key: key}
}

func itoa(i int) string { return strconv.Itoa(i) }
