package main

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
	"slices"
	"time"
)

// The envelope family: envelope_test.json, CMS EnvelopedData (RFC 5652)
// with RSAES-OAEP-SHA-256 key transport and AES-CBC content, as KMS
// returns it in ciphertext_recipient / CiphertextForRecipient.

type envGroup struct {
	Type        string     `json:"type"`
	KeySize     int        `json:"keySize"`
	PrivateKey  hexBytes   `json:"privateKeyPkcs8"`
	Certificate hexBytes   `json:"certificate,omitempty"`
	Tests       []*envTest `json:"tests"`
}

type envTest struct {
	common
	Envelope hexBytes `json:"envelope"`
	Msg      hexBytes `json:"msg"`
	Result   string   `json:"result"`
	Failure  string   `json:"failure,omitempty"`
}

// Failure classes of the envelope family.
const (
	failEnvMalformed   = "malformed"
	failEnvUnsupported = "unsupported"
	failEnvDecryption  = "decryption"
)

var envNotes = map[string]note{
	"AwsShape":                  {"FUNCTIONALITY", "The exact BER layout of real AWS KMS output: indefinite lengths on ContentInfo, its [0], EnvelopedData and EncryptedContentInfo, and the encryptedContent as an indefinite constructed [0] holding one OCTET STRING; everything else definite."},
	"AwsShapePrimitiveContent":  {"FUNCTIONALITY", "The AWS layout with the encryptedContent as a primitive [0], which real KMS output also has."},
	"Der":                       {"FUNCTIONALITY", "DER."},
	"OpenSslShape":              {"FUNCTIONALITY", "What OpenSSL's cms -encrypt -keyid writes: DER, the hash AlgorithmIdentifiers of the OAEP parameters without NULL parameters, the recipient named by the certificate's subjectKeyIdentifier."},
	"SkiSha256":                 {"FUNCTIONALITY", "The recipient is a subjectKeyIdentifier of 32 bytes: SHA-256 of the recipient's DER SubjectPublicKeyInfo, as AWS KMS writes."},
	"SkiSha1":                   {"FUNCTIONALITY", "The recipient is a subjectKeyIdentifier of 20 bytes: SHA-1 of the subjectPublicKey bits (RFC 5280, 4.2.1.2, method 1), as OpenSSL writes for a bare key or a certificate with that extension."},
	"IssuerAndSerialNumber":     {"FUNCTIONALITY", "The recipient is named by its certificate's issuer and serial number (KeyTransRecipientInfo version 0)."},
	"IssuerSerialNoCertificate": {"EDGE_CASE", "The only recipient is named by issuer and serial number, and the test group has no certificate to compare with. qtenclave uses the only recipient; an implementation that insists on a certificate rejects the envelope."},
	"MultipleRecipients":        {"FUNCTIONALITY", "Several recipients; the one for the key must be found by its identifier."},
	"PlaintextSize":             {"EDGE_CASE", "A plaintext of 0, 1, 15, 16, 17 or 4096 bytes: padding of a whole block or of one byte."},
	"KmsPayload":                {"FUNCTIONALITY", "A KMS payload: a 32-byte data key, a shared secret, or a PKCS#8 private key."},
	"Aes128Cbc":                 {"FUNCTIONALITY", "AES-128-CBC content (KMS uses AES-256-CBC)."},
	"KeySize":                   {"FUNCTIONALITY", "An RSA-3072 or RSA-4096 recipient."},
	"Unauthenticated":           {"MALLEABILITY", "The envelope was changed (here, its IV) and still opens, to other bytes: CMS EnvelopedData with CBC has no integrity. msg is what it opens to."},
	"BerIndefiniteLength":       {"BER_ENCODING", "Indefinite lengths on every constructed element, not just the four AWS uses. Valid BER."},
	"BerConstructedOctetString": {"BER_ENCODING", "An OCTET STRING (the encrypted key, or the content in chunks, also nested) sent as a constructed string of chunks. Valid BER."},
	"BerNonMinimalLength":       {"BER_ENCODING", "A definite length in more bytes than needed. Valid BER, not DER; real envelopes never have it. qtenclave rejects it."},
	"BerConstructedImplicit":    {"BER_ENCODING", "The subjectKeyIdentifier [0] sent constructed. Valid BER, not DER; real envelopes never have it. qtenclave rejects it."},
	"BerDeepNesting":            {"BER_ENCODING", "Constructed OCTET STRING chunks nested 20 deep, or over 4096 elements: valid BER that a parser must bound. qtenclave's limits are depth 16 and 4096 elements."},
	"InvalidBer":                {"BER_ENCODING", "Not valid BER: an indefinite length on a primitive element, a high tag number form for a low tag, an end-of-contents inside a definite length."},
	"WrongVersion":              {"MODIFIED_PARAMETER", "The EnvelopedData or KeyTransRecipientInfo version is not the one RFC 5652 prescribes for its recipients (0 with issuerAndSerialNumber only, 2 with a subjectKeyIdentifier). qtenclave rejects it; an implementation may ignore versions."},
	"ExplicitDefaultLabel":      {"MODIFIED_PARAMETER", "The OAEP parameters encode the default pSourceAlgorithm (an empty label) explicitly, which DER forbids. qtenclave accepts only the absent form."},
	"WrongSki":                  {"AUTH_BYPASS", "No recipient names the key: another subjectKeyIdentifier, issuer or serial number."},
	"WrongKey":                  {"CONFIDENTIALITY", "The recipient names the key, but the content key was encrypted to another key."},
	"ModifiedEncryptedKey":      {"CONFIDENTIALITY", "The encrypted content key was changed."},
	"OaepParameterMismatch":     {"MODIFIED_PARAMETER", "The parameters say SHA-256 with MGF1-SHA-256 and no label, but the content key was encrypted with SHA-1 or with a label."},
	"WrongOaepParameters":       {"MODIFIED_PARAMETER", "The OAEP parameters name another hash (SHA-1, SHA-384), MGF1 with another hash, another mask generation function, or a label."},
	"Sha1Oaep":                  {"WEAK_PARAMS", "RSAES-OAEP with the default parameters: SHA-1 and MGF1-SHA-1."},
	"Pkcs1v15":                  {"LEGACY", "rsaEncryption (PKCS#1 v1.5) key transport, open to padding oracles."},
	"WrongKeySize":              {"MODIFIED_PARAMETER", "The decrypted content key has the wrong length for the content cipher."},
	"BadPadding":                {"CONFIDENTIALITY", "The content's PKCS#7 padding is wrong. Every such failure must look alike (no padding oracle)."},
	"BadContentLength":          {"MODIFIED_PARAMETER", "The encrypted content is empty or not a multiple of the block size."},
	"UnsupportedAlgorithm":      {"FUNCTIONALITY", "A content type, content cipher or recipient kind that is well formed but not RSAES-OAEP-SHA-256 key transport with AES-CBC content."},
	"Truncated":                 {"MODIFIED_PARAMETER", "The envelope is cut short."},
	"TrailingBytes":             {"CAN_OF_WORMS", "Bytes follow the ContentInfo."},
	"MissingField":              {"MISSING_STEP", "A mandatory field is missing or empty (recipients, IV, encrypted key, OAEP parameters)."},
	"WrongType":                 {"MODIFIED_PARAMETER", "An element has the wrong tag or size."},
	"Oversize":                  {"DOS", "More recipients than a parser allows (16)."},
}

// envBuilder holds the pieces of one envelope; assemble writes them in a
// shape.
type envBuilder struct {
	version    []byte   // encoded INTEGER; nil: by RFC 5652's rule
	ktris      [][]byte // encoded KeyTransRecipientInfos (or other RecipientInfos)
	ctype      []byte   // encrypted content type OID; nil: id-data
	calg       []byte   // contentEncryptionAlgorithm; nil: AES-256-CBC with iv
	iv         []byte
	ct         []byte
	skiVersion bool // some recipient uses an SKI: version 2
	extra      []byte
}

// keAlg is a keyEncryptionAlgorithm for RSAES-OAEP.
type keAlg int

const (
	keAWS         keAlg = iota // SHA-256, MGF1-SHA-256, NULL hash parameters
	keOpenSSL                  // the same, hash parameters absent
	keSHA1Default              // empty parameters: SHA-1 defaults
)

func oaepAlgID(k keAlg) []byte {
	switch k {
	case keOpenSSL:
		return seq(oidRSAESOAEP, seq(tlv(tagCtx0C, seq(oidSHA256)), tlv(tagCtx1C, seq(oidMGF1, seq(oidSHA256)))))
	case keSHA1Default:
		return seq(oidRSAESOAEP, seq())
	}
	return seq(oidRSAESOAEP, seq(tlv(tagCtx0C, seq(oidSHA256, derNull)), tlv(tagCtx1C, seq(oidMGF1, seq(oidSHA256, derNull)))))
}

// oaepAlgWith builds OAEP parameters from their parts.
func oaepAlgWith(hash, mgf []byte, label []byte) []byte {
	params := concat(tlv(tagCtx0C, hash), tlv(tagCtx1C, mgf))
	if label != nil {
		params = append(params, tlv(tagCtx2C, seq(oidPSpecified, oct(label)))...)
	}
	return seq(oidRSAESOAEP, seq(params))
}

func ktriSKI(ski []byte, alg, ek []byte) []byte {
	return seq(derInt(2), tlv(tagCtx0, ski), alg, oct(ek))
}

func ktriIAS(cert *x509.Certificate, alg, ek []byte) []byte {
	return seq(derInt(0), seq(cert.RawIssuer, serialDER(cert.SerialNumber)), alg, oct(ek))
}

func serialDER(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return tlv(tagInteger, b)
}

func (e *envBuilder) ed(sorted bool) (head, algs []byte) {
	v := e.version
	if v == nil {
		v = derInt(0)
		if e.skiVersion {
			v = derInt(2)
		}
	}
	ktris := e.ktris
	if sorted { // DER orders a SET OF by encoding
		ktris = slices.Clone(ktris)
		slices.SortFunc(ktris, bytes.Compare)
	}
	head = concat(v, set(ktris...))
	ctype := e.ctype
	if ctype == nil {
		ctype = oidData
	}
	calg := e.calg
	if calg == nil {
		calg = seq(oidAES256CBC, oct(e.iv))
	}
	return head, concat(ctype, calg)
}

// der assembles the envelope as DER.
func (e *envBuilder) der() []byte {
	head, algs := e.ed(true)
	return seq(oidEnvelopedData, tlv(tagCtx0C, seq(head, seq(algs, tlv(tagCtx0, e.ct)), e.extra)))
}

// aws assembles the envelope in AWS KMS's BER layout.
func (e *envBuilder) aws(primitive bool) []byte {
	head, algs := e.ed(false)
	content := indef(tagCtx0C, oct(e.ct))
	if primitive {
		content = tlv(tagCtx0, e.ct)
	}
	return indef(tagSequence, oidEnvelopedData, indef(tagCtx0C, indef(tagSequence, head, indef(tagSequence, algs, content), e.extra)))
}

// recipientKeys are the RSA TEST KEYS of the envelope family.
type envKeys struct {
	a, b, k3072, k4096 *rsa.PrivateKey
}

// spkiSHA256 is AWS's recipient identifier: SHA-256 of the DER SPKI.
func spkiSHA256(pub *rsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	h := sha256.Sum256(der)
	return h[:]
}

// keyIDSHA1 is RFC 5280's method 1: SHA-1 of the subjectPublicKey bits,
// which for RSA are the PKCS#1 RSAPublicKey.
func keyIDSHA1(pub *rsa.PublicKey) []byte {
	h := sha1.Sum(x509.MarshalPKCS1PublicKey(pub))
	return h[:]
}

// cbcEncrypt is AES-CBC with PKCS#7 padding.
func cbcEncrypt(key, iv, msg []byte) []byte {
	pad := 16 - len(msg)%16
	return cbcRaw(key, iv, append(slices.Clone(msg), bytes.Repeat([]byte{byte(pad)}, pad)...))
}

// cbcRaw is AES-CBC of data already a multiple of the block size.
func cbcRaw(key, iv, data []byte) []byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	out := make([]byte, len(data))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, data)
	return out
}

// pkcs1v15Encrypt is RSAES-PKCS1-v1_5 (RFC 8017, 7.2.1) with a padding
// string from the label's stream.
func pkcs1v15Encrypt(pub *rsa.PublicKey, msg []byte, label string) []byte {
	k := (pub.N.BitLen() + 7) / 8
	ps := bytesOf("pkcs1 "+label, k-len(msg)-3)
	for i := range ps {
		if ps[i] == 0 {
			ps[i] = 0x5a
		}
	}
	return rsaPublic(pub, concat([]byte{0, 2}, ps, []byte{0}, msg))
}

// recipientCert is a certificate for the RSA key a, issued by a test CA,
// with the RFC 5280 method 1 subjectKeyIdentifier.
func recipientCert(a *rsa.PrivateKey) *x509.Certificate {
	caKey := ecKey(elliptic.P256(), "envelope CA")
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: testName("qtenclave test vectors envelope CA"),
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		SignatureAlgorithm: x509.ECDSAWithSHA256,
	}
	caDER, err := x509.CreateCertificate(nil, ca, ca, &caKey.PublicKey, detSigner{caKey})
	if err != nil {
		panic(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(bytesOf("recipient serial", 16)), Subject: testName("qtenclave test vectors recipient"),
		NotBefore: caCert.NotBefore, NotAfter: caCert.NotAfter,
		KeyUsage: x509.KeyUsageKeyEncipherment, SubjectKeyId: keyIDSHA1(&a.PublicKey),
		SignatureAlgorithm: x509.ECDSAWithSHA256,
	}
	der, err := x509.CreateCertificate(nil, leaf, caCert, &a.PublicKey, detSigner{caKey})
	if err != nil {
		panic(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return c
}

func envelopeFile() *vectorFile {
	f := &vectorFile{
		name:             "envelope_test.json",
		Algorithm:        "CmsEnvelopedData",
		Schema:           "envelope_test_schema.json",
		GeneratorVersion: generatorVersion,
		Header: []string{
			"KMS recipient envelopes (ciphertext_recipient, CiphertextForRecipient): CMS EnvelopedData (RFC 5652) with",
			"one or more KeyTransRecipientInfo, RSAES-OAEP key transport (SHA-256, MGF1-SHA-256, empty label) and",
			"AES-CBC content with PKCS#7 padding, in the AWS KMS BER layout, DER, or OpenSSL's layout. Open each",
			"envelope with the group's private key (and certificate, if the group has one); msg is the plaintext.",
			"Every key is a TEST KEY of the qtenclave test vectors. See README.md for the rules and failure classes.",
		},
		Notes: envNotes,
	}
	keys := envKeys{
		a:     rsaTestKey("test-rsa2048-a.key.pem"),
		b:     rsaTestKey("test-rsa2048-b.key.pem"),
		k3072: rsaTestKey("test-rsa3072-a.key.pem"),
		k4096: rsaTestKey("test-rsa4096-a.key.pem"),
	}
	f.TestGroups = append(f.TestGroups, envBareKeyGroup(f, keys))
	f.TestGroups = append(f.TestGroups, envCertGroup(f, keys))
	for _, k := range []*rsa.PrivateKey{keys.k3072, keys.k4096} {
		f.TestGroups = append(f.TestGroups, envSizeGroup(f, k))
	}
	return f
}

// envCase makes tests of a group.
type envCase struct {
	f *vectorFile
	g *envGroup
}

func (c *envCase) add(comment, result, failure string, env, msg []byte, flags ...string) {
	c.g.Tests = append(c.g.Tests, &envTest{common: c.f.newCommon(comment, flags...), Envelope: env, Msg: msg, Result: result, Failure: failure})
}

// sealed returns a builder of an envelope of msg to pub, with the content
// key and IV drawn from label, the recipient named by SKI ski (nil: by
// SHA-256 of the SPKI).
func sealed(pub *rsa.PublicKey, msg []byte, label string, alg keAlg) (*envBuilder, []byte) {
	cek := bytesOf("cek "+label, 32)
	iv := bytesOf("iv "+label, 16)
	params := oaepSHA256
	if alg == keSHA1Default {
		params = oaepSHA1
	}
	ek := oaepEncrypt(pub, cek, params, label)
	e := &envBuilder{iv: iv, ct: cbcEncrypt(cek, iv, msg), skiVersion: true}
	e.ktris = [][]byte{ktriSKI(spkiSHA256(pub), oaepAlgID(alg), ek)}
	return e, cek
}

var defaultMsg = bytesOf("data key", 32)

func envBareKeyGroup(f *vectorFile, keys envKeys) *envGroup {
	a := keys.a
	g := &envGroup{Type: "EnvelopeOpen", KeySize: 2048, PrivateKey: pkcs8(a)}
	c := &envCase{f, g}
	msg := defaultMsg

	// ---- Valid envelopes.
	e, _ := sealed(&a.PublicKey, msg, "aws", keAWS)
	aws := e.aws(false)
	c.add("a 32-byte data key in the AWS KMS layout", valid, "", aws, msg, "AwsShape", "SkiSha256", "KmsPayload")
	e, _ = sealed(&a.PublicKey, msg, "aws primitive", keAWS)
	c.add("AWS layout, encryptedContent primitive", valid, "", e.aws(true), msg, "AwsShapePrimitiveContent", "SkiSha256")
	e, _ = sealed(&a.PublicKey, msg, "der", keAWS)
	der := e.der()
	c.add("DER", valid, "", der, msg, "Der", "SkiSha256")
	e, _ = sealed(&a.PublicKey, msg, "openssl bare", keOpenSSL)
	e.ktris[0] = ktriSKI(keyIDSHA1(&a.PublicKey), oaepAlgID(keOpenSSL), oaepEncrypt(&a.PublicKey, bytesOf("cek openssl bare", 32), oaepSHA256, "openssl bare"))
	c.add("OpenSSL's layout, the recipient named by the SHA-1 key identifier of the bare key", valid, "", e.der(), msg, "OpenSslShape", "SkiSha1")
	for _, n := range []int{0, 1, 15, 16, 17, 4096} {
		m := bytesOf(fmt.Sprintf("plaintext %d", n), n)
		e, _ := sealed(&a.PublicKey, m, fmt.Sprintf("size %d", n), keAWS)
		c.add(fmt.Sprintf("a %d-byte plaintext", n), valid, "", e.aws(false), m, "AwsShape", "PlaintextSize")
	}
	for _, n := range []int{32, 48, 66} {
		m := bytesOf(fmt.Sprintf("shared secret %d", n), n)
		e, _ := sealed(&a.PublicKey, m, fmt.Sprintf("shared %d", n), keAWS)
		c.add(fmt.Sprintf("a %d-byte shared secret (derive-shared-secret)", n), valid, "", e.aws(false), m, "AwsShape", "KmsPayload")
	}
	{
		k := ecKey(elliptic.P256(), "data key pair")
		m, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic(err)
		}
		e, _ := sealed(&a.PublicKey, m, "pkcs8", keAWS)
		c.add("a PKCS#8 P-256 private key (create-ec-datakey-pair)", valid, "", e.aws(false), m, "AwsShape", "KmsPayload")
	}
	{
		cek := bytesOf("cek aes128", 16)
		iv := bytesOf("iv aes128", 16)
		e := &envBuilder{iv: iv, ct: cbcEncrypt(cek, iv, msg), skiVersion: true, calg: seq(oidAES128CBC, oct(iv))}
		e.ktris = [][]byte{ktriSKI(spkiSHA256(&a.PublicKey), oaepAlgID(keAWS), oaepEncrypt(&a.PublicKey, cek, oaepSHA256, "aes128"))}
		c.add("AES-128-CBC content", valid, "", e.der(), msg, "Aes128Cbc", "Der")
	}
	{
		// A decoy first, then the key's recipient.
		e, _ := sealed(&a.PublicKey, msg, "two", keAWS)
		decoy := ktriSKI(spkiSHA256(&keys.b.PublicKey), oaepAlgID(keAWS), oaepEncrypt(&keys.b.PublicKey, bytesOf("cek two", 32), oaepSHA256, "two decoy"))
		e.ktris = [][]byte{decoy, e.ktris[0]}
		c.add("two recipients, the key's second", valid, "", e.aws(false), msg, "MultipleRecipients", "AwsShape")
		cert := recipientCert(keys.b)
		e2, _ := sealed(&a.PublicKey, msg, "three", keAWS)
		ias := ktriIAS(cert, oaepAlgID(keAWS), oaepEncrypt(&keys.b.PublicKey, bytesOf("cek three", 32), oaepSHA256, "three ias"))
		e2.ktris = [][]byte{ias, e2.ktris[0], decoy}
		c.add("three recipients: issuerAndSerialNumber of another key, the key's SKI, another SKI", valid, "", e2.aws(false), msg, "MultipleRecipients", "AwsShape")
	}
	{
		cert := recipientCert(a)
		e, _ := sealed(&a.PublicKey, msg, "ias bare", keOpenSSL)
		e.skiVersion = false
		e.ktris[0] = ktriIAS(cert, oaepAlgID(keOpenSSL), oaepEncrypt(&a.PublicKey, bytesOf("cek ias bare", 32), oaepSHA256, "ias bare"))
		c.add("the only recipient named by issuer and serial number, opened with the bare key", acceptable, failEnvDecryption, e.der(), msg, "IssuerAndSerialNumber", "IssuerSerialNoCertificate")
		e.ktris = append(e.ktris, ktriIAS(recipientCert(keys.b), oaepAlgID(keOpenSSL), oaepEncrypt(&keys.b.PublicKey, bytesOf("cek ias bare", 32), oaepSHA256, "ias bare b")))
		c.add("two recipients named by issuer and serial number, opened with the bare key", invalid, failEnvDecryption, e.der(), msg, "IssuerAndSerialNumber", "MultipleRecipients", "WrongSki")
	}
	{
		// Unauthenticated: a flipped IV bit flips the same bit of the
		// first plaintext block, and the envelope still opens.
		e, _ := sealed(&a.PublicKey, msg, "malleable", keAWS)
		e.iv = slices.Clone(e.iv)
		e.iv[0] ^= 0x01
		m := slices.Clone(msg)
		m[0] ^= 0x01
		c.add("the IV changed: opens to different bytes (no integrity)", valid, "", e.aws(false), m, "Unauthenticated", "AwsShape")
	}

	// ---- BER that is accepted.
	{
		e, cek := sealed(&a.PublicKey, msg, "ber", keAWS)
		ek := oaepEncrypt(&a.PublicKey, cek, oaepSHA256, "ber")
		// Every constructed element indefinite.
		ktri := indef(tagSequence, derInt(2), tlv(tagCtx0, spkiSHA256(&a.PublicKey)),
			indef(tagSequence, oidRSAESOAEP, indef(tagSequence, indef(tagCtx0C, indef(tagSequence, oidSHA256, derNull)), indef(tagCtx1C, indef(tagSequence, oidMGF1, indef(tagSequence, oidSHA256, derNull))))),
			oct(ek))
		all := indef(tagSequence, oidEnvelopedData, indef(tagCtx0C, indef(tagSequence, derInt(2), indef(tagSet, ktri),
			indef(tagSequence, oidData, indef(tagSequence, oidAES256CBC, oct(e.iv)), indef(tagCtx0C, oct(e.ct))))))
		c.add("indefinite lengths on every constructed element", valid, "", all, msg, "BerIndefiniteLength")
		// The encrypted key as a constructed OCTET STRING of two chunks.
		e.ktris[0] = seq(derInt(2), tlv(tagCtx0, spkiSHA256(&a.PublicKey)), oaepAlgID(keAWS), indef(0x24, oct(ek[:100]), oct(ek[100:])))
		c.add("the encrypted key as a constructed OCTET STRING", valid, "", e.aws(false), msg, "BerConstructedOctetString")
	}
	{
		m := bytesOf("chunked", 100)
		e, _ := sealed(&a.PublicKey, m, "chunks", keAWS)
		head, algs := e.ed(false)
		ct := e.ct
		chunks := indef(tagCtx0C, oct(ct[:16]), oct(ct[16:17]), oct(ct[17:64]), oct(ct[64:]))
		env := indef(tagSequence, oidEnvelopedData, indef(tagCtx0C, indef(tagSequence, head, indef(tagSequence, algs, chunks))))
		c.add("the content in four chunks of 16, 1, 47 and 48 bytes", valid, "", env, m, "BerConstructedOctetString")
		nested := indef(tagCtx0C, oct(ct[:16]), indef(0x24, oct(ct[16:17]), tlv(0x24, oct(ct[17:64]))), oct(ct[64:]))
		env = indef(tagSequence, oidEnvelopedData, indef(tagCtx0C, indef(tagSequence, head, indef(tagSequence, algs, nested))))
		c.add("the content in nested constructed chunks", valid, "", env, m, "BerConstructedOctetString")
		deep := oct(ct)
		for range 20 {
			deep = indef(0x24, deep)
		}
		env = indef(tagSequence, oidEnvelopedData, indef(tagCtx0C, indef(tagSequence, head, indef(tagSequence, algs, indef(tagCtx0C, deep)))))
		c.add("the content nested 20 constructed strings deep", acceptable, failEnvMalformed, env, m, "BerDeepNesting", "BerConstructedOctetString")
	}
	{
		m := bytesOf("many chunks", 4600)
		e, _ := sealed(&a.PublicKey, m, "many chunks", keAWS)
		head, algs := e.ed(false)
		var chunks [][]byte
		for i := 0; i < len(e.ct); i++ {
			chunks = append(chunks, oct(e.ct[i:i+1]))
		}
		env := indef(tagSequence, oidEnvelopedData, indef(tagCtx0C, indef(tagSequence, head, indef(tagSequence, algs, indef(tagCtx0C, chunks...)))))
		c.add("the content in 4608 one-byte chunks", acceptable, failEnvMalformed, env, m, "BerDeepNesting", "BerConstructedOctetString")
	}
	{
		e, cek := sealed(&a.PublicKey, msg, "nonminimal", keAWS)
		ek := oaepEncrypt(&a.PublicKey, cek, oaepSHA256, "nonminimal")
		ski := tlv(tagCtx0, spkiSHA256(&a.PublicKey))
		// The OAEP parameters' SEQUENCE with its length in long form.
		params := oaepAlgID(keAWS)[13:] // after SEQUENCE header and OID
		longParams := concat([]byte{tagSequence, 0x81, params[1]}, params[2:])
		e.ktris[0] = seq(derInt(2), ski, seq(oidRSAESOAEP, longParams), oct(ek))
		c.add("a length in long form (0x81 0x2f)", acceptable, failEnvMalformed, e.der(), msg, "BerNonMinimalLength")
		e.ktris[0] = seq(derInt(2), ski, oaepAlgID(keAWS), concat([]byte{tagOctetString, 0x84, 0, 0, 1, 0}, ek))
		c.add("the encrypted key's length in four bytes", acceptable, failEnvMalformed, e.der(), msg, "BerNonMinimalLength")
		e.ktris[0] = seq(derInt(2), tlv(tagCtx0C, oct(spkiSHA256(&a.PublicKey))), oaepAlgID(keAWS), oct(ek))
		c.add("the subjectKeyIdentifier [0] constructed", acceptable, failEnvMalformed, e.der(), msg, "BerConstructedImplicit")
	}

	// ---- Decryption failures: the envelope parses, but does not open.
	{
		e, _ := sealed(&a.PublicKey, msg, "wrong ski", keAWS)
		e.ktris[0] = ktriSKI(bytesOf("some other key", 32), oaepAlgID(keAWS), oaepEncrypt(&a.PublicKey, bytesOf("cek wrong ski", 32), oaepSHA256, "wrong ski"))
		c.add("the recipient's SKI names another key", invalid, failEnvDecryption, e.aws(false), msg, "WrongSki", "AwsShape")
		e.ktris[0] = ktriSKI(spkiSHA256(&keys.b.PublicKey), oaepAlgID(keAWS), oaepEncrypt(&keys.b.PublicKey, bytesOf("cek wrong ski", 32), oaepSHA256, "wrong ski b"))
		c.add("sealed to another key only", invalid, failEnvDecryption, e.aws(false), msg, "WrongSki", "AwsShape")
		e.ktris[0] = ktriSKI(spkiSHA256(&a.PublicKey)[:20], oaepAlgID(keAWS), oaepEncrypt(&a.PublicKey, bytesOf("cek wrong ski", 32), oaepSHA256, "wrong ski"))
		c.add("the SKI is the first 20 bytes of the SHA-256 identifier", invalid, failEnvDecryption, e.aws(false), msg, "WrongSki", "AwsShape")
	}
	{
		e, _ := sealed(&a.PublicKey, msg, "wrong key", keAWS)
		e.ktris[0] = ktriSKI(spkiSHA256(&a.PublicKey), oaepAlgID(keAWS), oaepEncrypt(&keys.b.PublicKey, bytesOf("cek wrong key", 32), oaepSHA256, "wrong key"))
		c.add("named for the key, encrypted to another", invalid, failEnvDecryption, e.aws(false), msg, "WrongKey", "AwsShape")
	}
	for i, at := range []int{0, 1, 128, 255} {
		e, cek := sealed(&a.PublicKey, msg, "modified ek", keAWS)
		ek := oaepEncrypt(&a.PublicKey, cek, oaepSHA256, "modified ek")
		ek[at] ^= 0x80 >> (i % 8)
		e.ktris[0] = ktriSKI(spkiSHA256(&a.PublicKey), oaepAlgID(keAWS), ek)
		c.add(fmt.Sprintf("byte %d of the encrypted key changed", at), invalid, failEnvDecryption, e.aws(false), msg, "ModifiedEncryptedKey")
	}
	{
		e, _ := sealed(&a.PublicKey, msg, "ek zero", keAWS)
		e.ktris[0] = ktriSKI(spkiSHA256(&a.PublicKey), oaepAlgID(keAWS), make([]byte, 256))
		c.add("the encrypted key all zero", invalid, failEnvDecryption, e.aws(false), msg, "ModifiedEncryptedKey")
		e.ktris[0] = ktriSKI(spkiSHA256(&a.PublicKey), oaepAlgID(keAWS), a.N.Bytes())
		c.add("the encrypted key equal to the modulus", invalid, failEnvDecryption, e.aws(false), msg, "ModifiedEncryptedKey")
		e.ktris[0] = ktriSKI(spkiSHA256(&a.PublicKey), oaepAlgID(keAWS), oaepEncrypt(&a.PublicKey, bytesOf("cek ek zero", 32), oaepSHA256, "ek zero")[1:])
		c.add("the encrypted key one byte short", invalid, failEnvDecryption, e.aws(false), msg, "ModifiedEncryptedKey")
	}
	{
		e, cek := sealed(&a.PublicKey, msg, "mismatch", keAWS)
		e.ktris[0] = ktriSKI(spkiSHA256(&a.PublicKey), oaepAlgID(keAWS), oaepEncrypt(&a.PublicKey, cek, oaepSHA1, "mismatch"))
		c.add("parameters say SHA-256, the key was encrypted with SHA-1 OAEP", invalid, failEnvDecryption, e.aws(false), msg, "OaepParameterMismatch")
		e.ktris[0] = ktriSKI(spkiSHA256(&a.PublicKey), oaepAlgID(keAWS), oaepEncrypt(&a.PublicKey, cek, oaepParams{hash: sha256.New, mgfHash: sha1.New}, "mismatch"))
		c.add("parameters say MGF1-SHA-256, the key was encrypted with MGF1-SHA-1", invalid, failEnvDecryption, e.aws(false), msg, "OaepParameterMismatch")
		e.ktris[0] = ktriSKI(spkiSHA256(&a.PublicKey), oaepAlgID(keAWS), oaepEncrypt(&a.PublicKey, cek, oaepParams{hash: sha256.New, mgfHash: sha256.New, label: []byte("label")}, "mismatch"))
		c.add("no label in the parameters, the key was encrypted with the label \"label\"", invalid, failEnvDecryption, e.aws(false), msg, "OaepParameterMismatch")
	}
	for _, n := range []int{16, 24, 31, 33, 0} {
		cek := bytesOf(fmt.Sprintf("cek size %d", n), n)
		iv := bytesOf("iv size", 16)
		body := cbcEncrypt(bytesOf("cek", 32), iv, msg)
		if n == 16 || n == 24 {
			body = cbcEncrypt(cek, iv, msg) // content encrypted with the short key, labelled AES-256
		}
		e := &envBuilder{iv: iv, ct: body, skiVersion: true}
		e.ktris = [][]byte{ktriSKI(spkiSHA256(&a.PublicKey), oaepAlgID(keAWS), oaepEncrypt(&a.PublicKey, cek, oaepSHA256, fmt.Sprintf("size %d", n)))}
		c.add(fmt.Sprintf("a %d-byte content key for AES-256-CBC", n), invalid, failEnvDecryption, e.aws(false), msg, "WrongKeySize")
	}
	badPads := []struct {
		what string
		last []byte // the last block's tail, replacing the padding
	}{
		{"padding byte 0x00", []byte{0x00}},
		{"padding byte 0x11 (more than a block)", []byte{0x11}},
		{"padding byte 0xff", []byte{0xff}},
		{"padding 03 02 03", []byte{0x03, 0x02, 0x03}},
		{"padding 02 01 (one byte does not match)", []byte{0x01, 0x02}},
		{"a full padding block with one byte 0x0f", append(bytes.Repeat([]byte{0x10}, 15), 0x0f)},
		{"a full padding block with its first byte 0x00", append([]byte{0x00}, bytes.Repeat([]byte{0x10}, 15)...)},
		{"no padding (the plaintext ends in 0x20)", []byte{0x20}},
	}
	for i, bp := range badPads {
		cek := bytesOf(fmt.Sprintf("cek pad %d", i), 32)
		iv := bytesOf(fmt.Sprintf("iv pad %d", i), 16)
		pt := bytesOf(fmt.Sprintf("pt pad %d", i), 32)
		if len(bp.last) == 16 {
			pt = append(pt, bp.last...)
		} else {
			copy(pt[32-len(bp.last):], bp.last)
		}
		e := &envBuilder{iv: iv, ct: cbcRaw(cek, iv, pt), skiVersion: true}
		e.ktris = [][]byte{ktriSKI(spkiSHA256(&a.PublicKey), oaepAlgID(keAWS), oaepEncrypt(&a.PublicKey, cek, oaepSHA256, fmt.Sprintf("pad %d", i)))}
		c.add(bp.what, invalid, failEnvDecryption, e.aws(false), pt[:len(pt)-len(bp.last)], "BadPadding")
	}
	{
		e, _ := sealed(&a.PublicKey, msg, "length", keAWS)
		full := e.ct
		e.ct = full[:len(full)-1]
		c.add("the content one byte short of a block", invalid, failEnvDecryption, e.aws(false), msg, "BadContentLength")
		e.ct = []byte{}
		c.add("the content empty", invalid, failEnvDecryption, e.aws(true), msg, "BadContentLength")
		e.ct = full[:len(full)-16]
		if validPadding(e.ct, bytesOf("cek length", 32), e.iv) {
			panic("the last block missing: the padding happens to be valid")
		}
		c.add("the last block missing", invalid, failEnvDecryption, e.aws(false), msg, "BadPadding")
	}

	// ---- Unsupported: well formed, but not what KMS uses.
	{
		e, _ := sealed(&a.PublicKey, msg, "sha1", keSHA1Default)
		c.add("RSAES-OAEP with default (SHA-1) parameters", invalid, failEnvUnsupported, e.aws(false), msg, "Sha1Oaep")
		sha1ID, mgfSHA1 := seq(oidSHA1, derNull), seq(oidMGF1, seq(oidSHA1, derNull))
		sha256ID, mgfSHA256 := seq(oidSHA256, derNull), seq(oidMGF1, seq(oidSHA256, derNull))
		sha384ID, mgfSHA384 := seq(oidSHA384, derNull), seq(oidMGF1, seq(oidSHA384, derNull))
		ek := oaepEncrypt(&a.PublicKey, bytesOf("cek params", 32), oaepSHA256, "params")
		for _, p := range []struct {
			what   string
			alg    []byte
			flag   string
			result string
		}{
			{"SHA-1 and MGF1-SHA-1 written out", oaepAlgWith(sha1ID, mgfSHA1, nil), "Sha1Oaep", invalid},
			{"SHA-384 and MGF1-SHA-384", oaepAlgWith(sha384ID, mgfSHA384, nil), "WrongOaepParameters", invalid},
			{"SHA-256 and MGF1-SHA-1", oaepAlgWith(sha256ID, mgfSHA1, nil), "WrongOaepParameters", invalid},
			{"SHA-1 and MGF1-SHA-256", oaepAlgWith(sha1ID, mgfSHA256, nil), "WrongOaepParameters", invalid},
			{"a mask generation function other than MGF1", oaepAlgWith(sha256ID, seq(oidUnknownMGF, seq(oidSHA256, derNull)), nil), "WrongOaepParameters", invalid},
			{"the label \"label\"", oaepAlgWith(sha256ID, mgfSHA256, []byte("label")), "WrongOaepParameters", invalid},
			{"hashAlgorithm absent (SHA-1 by default), MGF1-SHA-256", seq(oidRSAESOAEP, seq(tlv(tagCtx1C, mgfSHA256))), "WrongOaepParameters", invalid},
			{"the default empty label written out", oaepAlgWith(sha256ID, mgfSHA256, []byte{}), "ExplicitDefaultLabel", acceptable},
		} {
			e, _ := sealed(&a.PublicKey, msg, "params", keAWS)
			e.ktris[0] = ktriSKI(spkiSHA256(&a.PublicKey), p.alg, ek)
			c.add("OAEP parameters: "+p.what, p.result, failEnvUnsupported, e.aws(false), msg, p.flag)
		}
		e, _ = sealed(&a.PublicKey, msg, "pkcs1", keAWS)
		e.ktris[0] = ktriSKI(spkiSHA256(&a.PublicKey), seq(oidRSAEncryption, derNull), pkcs1v15Encrypt(&a.PublicKey, bytesOf("cek pkcs1", 32), "pkcs1"))
		c.add("rsaEncryption (PKCS#1 v1.5) key transport", invalid, failEnvUnsupported, e.aws(false), msg, "Pkcs1v15")
		decoy := ktriSKI(spkiSHA256(&keys.b.PublicKey), seq(oidRSAEncryption, derNull), pkcs1v15Encrypt(&keys.b.PublicKey, bytesOf("cek pkcs1 b", 32), "pkcs1 b"))
		e, _ = sealed(&a.PublicKey, msg, "pkcs1 decoy", keAWS)
		e.ktris = append([][]byte{decoy}, e.ktris...)
		c.add("another recipient uses PKCS#1 v1.5", invalid, failEnvUnsupported, e.der(), msg, "Pkcs1v15", "MultipleRecipients")
	}
	{
		e, _ := sealed(&a.PublicKey, msg, "unsupported", keAWS)
		tweak := func(f func(*envBuilder)) []byte {
			cp := *e
			f(&cp)
			return cp.der()
		}
		c.add("encrypted content type id-signedData", invalid, failEnvUnsupported, tweak(func(e *envBuilder) { e.ctype = oidSignedData }), msg, "UnsupportedAlgorithm")
		c.add("content encryption DES-EDE3-CBC", invalid, failEnvUnsupported, tweak(func(e *envBuilder) { e.calg = seq(oidDESEDE3CBC, oct(e.iv[:8])) }), msg, "UnsupportedAlgorithm")
		c.add("content encryption AES-256-GCM", invalid, failEnvUnsupported, tweak(func(e *envBuilder) { e.calg = seq(oidAES256GCM, seq(oct(e.iv[:12]))) }), msg, "UnsupportedAlgorithm")
		c.add("unprotectedAttrs present", invalid, failEnvUnsupported, tweak(func(e *envBuilder) {
			e.extra = tlv(tagCtx1C, seq(oid(1, 2, 840, 113549, 1, 9, 3), set(oidData)))
		}), msg, "UnsupportedAlgorithm")
		d := e.der()
		c.add("ContentInfo of type id-signedData", invalid, failEnvUnsupported, bytes.Replace(d, oidEnvelopedData, oidSignedData, 1), msg, "UnsupportedAlgorithm")
		head, algs := e.ed(false)
		orig := tlv(tagCtx0C, seq(tlv(tagCtx0C))) // originatorInfo [0] with empty certs
		withOrig := seq(oidEnvelopedData, tlv(tagCtx0C, seq(derInt(2), orig, head[3:], seq(algs, tlv(tagCtx0, e.ct)))))
		c.add("originatorInfo present", invalid, failEnvUnsupported, withOrig, msg, "UnsupportedAlgorithm")
		detached := seq(oidEnvelopedData, tlv(tagCtx0C, seq(head, seq(algs))))
		c.add("no encryptedContent (detached content)", invalid, failEnvUnsupported, detached, msg, "UnsupportedAlgorithm")
		kari := tlv(tagCtx1C, derInt(3), tlv(tagCtx0C, tlv(tagCtx1C, seq(oid(1, 2, 840, 10045, 2, 1)), tlv(0x03, []byte{0, 4}))), seq(oid(1, 3, 133, 16, 840, 63, 0, 2)), seq())
		kekri := tlv(tagCtx2C, derInt(4), seq(oct([]byte("kek id"))), seq(oid(2, 16, 840, 1, 101, 3, 4, 1, 45)), oct(make([]byte, 40)))
		pwri := tlv(tagCtx3C, derInt(0), seq(oid(1, 2, 840, 113549, 1, 9, 16, 3, 9)), oct(make([]byte, 40)))
		for _, r := range []struct {
			what string
			ri   []byte
		}{{"keyAgreeRecipientInfo", kari}, {"kekRecipientInfo", kekri}, {"passwordRecipientInfo", pwri}} {
			c.add("the only recipient a "+r.what, invalid, failEnvUnsupported, tweak(func(e *envBuilder) { e.ktris = [][]byte{r.ri}; e.version = derInt(3) }), msg, "UnsupportedAlgorithm")
		}
	}

	// ---- Malformed.
	for _, cut := range []int{1, 2, 10, 100, len(aws) / 2, len(aws) - 2, len(aws) - 1} {
		c.add(fmt.Sprintf("the AWS-layout envelope cut to %d of %d bytes", cut, len(aws)), invalid, failEnvMalformed, aws[:cut], msg, "Truncated")
	}
	for _, cut := range []int{len(der) - 1, len(der) - 20} {
		c.add(fmt.Sprintf("the DER envelope cut to %d of %d bytes", cut, len(der)), invalid, failEnvMalformed, der[:cut], msg, "Truncated")
	}
	c.add("the DER envelope with a byte after it", invalid, failEnvMalformed, append(slices.Clone(der), 0), msg, "TrailingBytes")
	c.add("the AWS-layout envelope followed by another", invalid, failEnvMalformed, concat(aws, aws), msg, "TrailingBytes")
	c.add("empty input", invalid, failEnvMalformed, []byte{}, msg, "Truncated")
	{
		e, _ := sealed(&a.PublicKey, msg, "malformed", keAWS)
		ek := oaepEncrypt(&a.PublicKey, bytesOf("cek malformed", 32), oaepSHA256, "malformed")
		tweak := func(f func(*envBuilder)) []byte {
			cp := *e
			cp.ktris = slices.Clone(e.ktris)
			f(&cp)
			return cp.der()
		}
		c.add("EnvelopedData version 0 with a subjectKeyIdentifier recipient", acceptable, failEnvMalformed, tweak(func(e *envBuilder) { e.version = derInt(0) }), msg, "WrongVersion")
		c.add("EnvelopedData version 3", acceptable, failEnvMalformed, tweak(func(e *envBuilder) { e.version = derInt(3) }), msg, "WrongVersion")
		c.add("KeyTransRecipientInfo version 0 with a subjectKeyIdentifier", acceptable, failEnvMalformed, tweak(func(e *envBuilder) {
			e.ktris[0] = seq(derInt(0), tlv(tagCtx0, spkiSHA256(&a.PublicKey)), oaepAlgID(keAWS), oct(ek))
		}), msg, "WrongVersion")
		c.add("no recipients", invalid, failEnvMalformed, tweak(func(e *envBuilder) { e.ktris = nil }), msg, "MissingField")
		c.add("recipientInfos a SEQUENCE, not a SET", invalid, failEnvMalformed, bytes.Replace(e.der(), []byte{0x31, 0x82}, []byte{0x30, 0x82}, 1), msg, "WrongType")
		c.add("17 recipients", invalid, failEnvMalformed, tweak(func(e *envBuilder) {
			for range 16 {
				e.ktris = append(e.ktris, ktriSKI(bytesOf("decoy", 32), oaepAlgID(keAWS), []byte{1}))
			}
		}), msg, "Oversize", "MultipleRecipients")
		c.add("an empty subjectKeyIdentifier", invalid, failEnvMalformed, tweak(func(e *envBuilder) {
			e.ktris[0] = ktriSKI([]byte{}, oaepAlgID(keAWS), ek)
		}), msg, "MissingField")
		c.add("an empty encrypted key", invalid, failEnvMalformed, tweak(func(e *envBuilder) {
			e.ktris[0] = ktriSKI(spkiSHA256(&a.PublicKey), oaepAlgID(keAWS), []byte{})
		}), msg, "MissingField")
		c.add("the rid as [1]", invalid, failEnvMalformed, tweak(func(e *envBuilder) {
			e.ktris[0] = seq(derInt(2), tlv(0x81, spkiSHA256(&a.PublicKey)), oaepAlgID(keAWS), oct(ek))
		}), msg, "WrongType")
		c.add("OAEP parameters absent", invalid, failEnvMalformed, tweak(func(e *envBuilder) {
			e.ktris[0] = ktriSKI(spkiSHA256(&a.PublicKey), seq(oidRSAESOAEP), ek)
		}), msg, "MissingField")
		c.add("OAEP hash parameters not NULL", invalid, failEnvMalformed, tweak(func(e *envBuilder) {
			e.ktris[0] = ktriSKI(spkiSHA256(&a.PublicKey), oaepAlgWith(seq(oidSHA256, oct(nil)), seq(oidMGF1, seq(oidSHA256, derNull)), nil), ek)
		}), msg, "WrongType")
		c.add("the IV of 8 bytes", invalid, failEnvMalformed, tweak(func(e *envBuilder) { e.calg = seq(oidAES256CBC, oct(e.iv[:8])) }), msg, "WrongType")
		c.add("the IV absent", invalid, failEnvMalformed, tweak(func(e *envBuilder) { e.calg = seq(oidAES256CBC) }), msg, "MissingField")
		c.add("the IV as an INTEGER", invalid, failEnvMalformed, tweak(func(e *envBuilder) { e.calg = seq(oidAES256CBC, tlv(tagInteger, e.iv)) }), msg, "WrongType")
		c.add("the encrypted key as an INTEGER", invalid, failEnvMalformed, tweak(func(e *envBuilder) {
			e.ktris[0] = seq(derInt(2), tlv(tagCtx0, spkiSHA256(&a.PublicKey)), oaepAlgID(keAWS), tlv(tagInteger, ek))
		}), msg, "WrongType")
		d := e.aws(false)
		c.add("an indefinite length on a primitive OCTET STRING", invalid, failEnvMalformed, bytes.Replace(d, concat([]byte{0xa0, 0x80}, oct(e.ct)), concat([]byte{0xa0, 0x80, 0x04, 0x80}, e.ct, []byte{0, 0}), 1), msg, "InvalidBer")
		ivAt := bytes.Index(d, oct(e.iv))
		c.add("an indefinite length on the primitive IV", invalid, failEnvMalformed, concat(d[:ivAt], []byte{0x04, 0x80}, e.iv, []byte{0, 0}, d[ivAt+18:]), msg, "InvalidBer")
		c.add("a high tag number form for SEQUENCE", invalid, failEnvMalformed, concat([]byte{0x3f, 0x10}, d[1:]), msg, "InvalidBer")
		c.add("an end-of-contents in place of the version", invalid, failEnvMalformed, bytes.Replace(d, []byte{0x02, 0x01, 0x02}, []byte{0x00, 0x00, 0x02}, 1), msg, "InvalidBer")
		c.add("a constructed SEQUENCE tag (0x30) written as 0x10", invalid, failEnvMalformed, concat([]byte{0x10}, d[1:]), msg, "InvalidBer")
	}
	return g
}

func envCertGroup(f *vectorFile, keys envKeys) *envGroup {
	a := keys.a
	cert := recipientCert(a)
	g := &envGroup{Type: "EnvelopeOpen", KeySize: 2048, PrivateKey: pkcs8(a), Certificate: cert.Raw}
	c := &envCase{f, g}
	msg := defaultMsg
	iasWith := func(label string, cert *x509.Certificate, alg keAlg) *envBuilder {
		e, cek := sealed(&a.PublicKey, msg, label, alg)
		e.skiVersion = false
		e.ktris[0] = ktriIAS(cert, oaepAlgID(alg), oaepEncrypt(&a.PublicKey, cek, oaepSHA256, label))
		return e
	}
	ias := func(label string, cert *x509.Certificate) *envBuilder { return iasWith(label, cert, keOpenSSL) }
	c.add("issuerAndSerialNumber, as OpenSSL writes by default", valid, "", ias("cert ias", cert).der(), msg, "IssuerAndSerialNumber", "OpenSslShape")
	c.add("issuerAndSerialNumber in the AWS layout", valid, "", iasWith("cert ias aws", cert, keAWS).aws(false), msg, "IssuerAndSerialNumber", "AwsShape")
	e, cek := sealed(&a.PublicKey, msg, "cert ski", keOpenSSL)
	e.ktris[0] = ktriSKI(cert.SubjectKeyId, oaepAlgID(keOpenSSL), oaepEncrypt(&a.PublicKey, cek, oaepSHA256, "cert ski"))
	c.add("the certificate's subjectKeyIdentifier (OpenSSL -keyid)", valid, "", e.der(), msg, "OpenSslShape", "SkiSha1")
	e, _ = sealed(&a.PublicKey, msg, "cert aws", keAWS)
	c.add("the SHA-256 SPKI identifier, with a certificate at hand", valid, "", e.aws(false), msg, "AwsShape", "SkiSha256")
	{
		other := *cert
		other.SerialNumber = new(big.Int).Add(cert.SerialNumber, big.NewInt(1))
		c.add("issuerAndSerialNumber with another serial number", invalid, failEnvDecryption, ias("cert wrong serial", &other).der(), msg, "WrongSki", "IssuerAndSerialNumber")
		other = *cert
		other.RawIssuer = testNameDER("qtenclave test vectors another CA")
		c.add("issuerAndSerialNumber with another issuer", invalid, failEnvDecryption, ias("cert wrong issuer", &other).der(), msg, "WrongSki", "IssuerAndSerialNumber")
		decoy := ktriIAS(&other, oaepAlgID(keOpenSSL), oaepEncrypt(&keys.b.PublicKey, bytesOf("x", 32), oaepSHA256, "cert decoy"))
		e := ias("cert two", cert)
		e.ktris = append([][]byte{decoy}, e.ktris...)
		c.add("two issuerAndSerialNumber recipients, the certificate's second", valid, "", e.aws(false), msg, "IssuerAndSerialNumber", "MultipleRecipients")
	}
	return g
}

func testNameDER(cn string) []byte {
	b, err := asn1.Marshal(testName(cn).ToRDNSequence())
	if err != nil {
		panic(err)
	}
	return b
}

func envSizeGroup(f *vectorFile, k *rsa.PrivateKey) *envGroup {
	bits := k.N.BitLen()
	g := &envGroup{Type: "EnvelopeOpen", KeySize: bits, PrivateKey: pkcs8(k)}
	c := &envCase{f, g}
	label := fmt.Sprintf("rsa%d", bits)
	e, cek := sealed(&k.PublicKey, defaultMsg, label, keAWS)
	c.add(fmt.Sprintf("RSA-%d, AWS layout", bits), valid, "", e.aws(false), defaultMsg, "KeySize", "AwsShape")
	c.add(fmt.Sprintf("RSA-%d, DER", bits), valid, "", e.der(), defaultMsg, "KeySize", "Der")
	ek := oaepEncrypt(&k.PublicKey, cek, oaepSHA256, label)
	ek[len(ek)/2] ^= 0x01
	e.ktris[0] = ktriSKI(spkiSHA256(&k.PublicKey), oaepAlgID(keAWS), ek)
	c.add(fmt.Sprintf("RSA-%d, a bit of the encrypted key flipped", bits), invalid, failEnvDecryption, e.aws(false), defaultMsg, "ModifiedEncryptedKey")
	return g
}

// validPadding reports whether ct decrypts with key and iv to a valid
// PKCS#7 padding, so that a vector meant to fail cannot pass by chance.
func validPadding(ct, key, iv []byte) bool {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ct)
	p := int(pt[len(pt)-1])
	if p < 1 || p > 16 {
		return false
	}
	for _, b := range pt[len(pt)-p:] {
		if int(b) != p {
			return false
		}
	}
	return true
}
