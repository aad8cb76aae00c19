package envelope

import (
	"bytes"
	"encoding/asn1"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Object identifiers, as the contents of their DER encoding, so that they
// are compared without decoding.
var (
	oidEnvelopedData = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03} // 1.2.840.113549.1.7.3
	oidData          = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01} // 1.2.840.113549.1.7.1
	oidRSAEncryption = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01} // 1.2.840.113549.1.1.1
	oidRSAESOAEP     = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07} // 1.2.840.113549.1.1.7
	oidMGF1          = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08} // 1.2.840.113549.1.1.8
	oidSHA256        = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01} // 2.16.840.1.101.3.4.2.1
	oidAES128CBC     = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02} // 2.16.840.1.101.3.4.1.2
	oidAES192CBC     = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x16} // 2.16.840.1.101.3.4.1.22
	oidAES256CBC     = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a} // 2.16.840.1.101.3.4.1.42
	oidSM4CBC        = []byte{0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x68, 0x02}       // 1.2.156.10197.1.104.2
)

// Limits on parsed fields.
const (
	// maxRecipients bounds RecipientInfos. KMS writes one; a few more cover
	// envelopes shared between enclaves or with a backup key.
	maxRecipients = 16

	// maxEncryptedKey bounds an encryptedKey: RSA-8192 ciphertexts are
	// 1024 bytes; KMS keys are at most 4096 bits.
	maxEncryptedKey = 1024

	// maxKeyID bounds a subjectKeyIdentifier: SHA-256 (AWS) is 32 bytes,
	// SHA-1 (RFC 5280) 20; 64 allows a SHA-512 identifier.
	maxKeyID = 64

	// ivSize is the IV length of every supported cipher (16-byte blocks).
	ivSize = 16
)

// Parse decodes a BER or DER ContentInfo holding an EnvelopedData. On error
// the result is nil and the error wraps ErrMalformed or ErrUnsupported.
func Parse(b []byte) (*EnvelopedData, error) {
	der, err := normalize(b)
	if err != nil {
		return nil, err
	}
	env, err := parse(der)
	if err != nil {
		return nil, err
	}
	return env, nil
}

func malformed(what string) error {
	return fmt.Errorf("%w %s", ErrMalformed, what)
}

func parse(der []byte) (*EnvelopedData, error) {
	in := cryptobyte.String(der)
	var contentInfo, contentType, explicit, ed cryptobyte.String
	if !in.ReadASN1(&contentInfo, casn1.SEQUENCE) || !in.Empty() {
		return nil, malformed("ContentInfo")
	}
	if !contentInfo.ReadASN1(&contentType, casn1.OBJECT_IDENTIFIER) {
		return nil, malformed("ContentInfo contentType")
	}
	if !bytes.Equal(contentType, oidEnvelopedData) {
		return nil, fmt.Errorf("%w content type %s (want envelopedData)", ErrUnsupported, oidString(contentType))
	}
	if !contentInfo.ReadASN1(&explicit, casn1.Tag(0).Constructed().ContextSpecific()) || !contentInfo.Empty() ||
		!explicit.ReadASN1(&ed, casn1.SEQUENCE) || !explicit.Empty() {
		return nil, malformed("ContentInfo content")
	}

	var version int
	if !ed.ReadASN1Integer(&version) {
		return nil, malformed("EnvelopedData version")
	}
	if ed.PeekASN1Tag(casn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, fmt.Errorf("%w originatorInfo", ErrUnsupported)
	}
	var set cryptobyte.String
	if !ed.ReadASN1(&set, casn1.SET) || set.Empty() {
		return nil, malformed("recipientInfos")
	}
	env := new(EnvelopedData)
	for !set.Empty() {
		if len(env.Recipients) == maxRecipients {
			return nil, fmt.Errorf("%w: more than %d recipients", ErrMalformed, maxRecipients)
		}
		r, err := parseRecipientInfo(&set)
		if err != nil {
			return nil, fmt.Errorf("%w (recipientInfo %d)", err, len(env.Recipients))
		}
		env.Recipients = append(env.Recipients, r)
	}
	if want := envelopedDataVersion(env.Recipients); version != want {
		return nil, malformed(fmt.Sprintf("EnvelopedData version %d (want %d)", version, want))
	}
	if err := parseEncryptedContentInfo(&ed, env); err != nil {
		return nil, err
	}
	if ed.PeekASN1Tag(casn1.Tag(1).Constructed().ContextSpecific()) {
		return nil, fmt.Errorf("%w unprotectedAttrs", ErrUnsupported)
	}
	if !ed.Empty() {
		return nil, malformed("EnvelopedData: trailing data")
	}
	return env, nil
}

// envelopedDataVersion is RFC 5652 section 6.1's rule for envelopes whose
// recipients are all KeyTransRecipientInfo and that have no originatorInfo
// or unprotectedAttrs.
func envelopedDataVersion(rs []Recipient) int {
	for _, r := range rs {
		if r.SubjectKeyID != nil {
			return 2
		}
	}
	return 0
}

var recipientKinds = map[casn1.Tag]string{
	casn1.Tag(1).Constructed().ContextSpecific(): "keyAgreeRecipientInfo (kari)",
	casn1.Tag(2).Constructed().ContextSpecific(): "kekRecipientInfo (kekri)",
	casn1.Tag(3).Constructed().ContextSpecific(): "passwordRecipientInfo (pwri)",
	casn1.Tag(4).Constructed().ContextSpecific(): "otherRecipientInfo (ori)",
}

func parseRecipientInfo(set *cryptobyte.String) (Recipient, error) {
	var r Recipient
	var ktri cryptobyte.String
	var tag casn1.Tag
	if !set.ReadAnyASN1(&ktri, &tag) {
		return r, malformed("recipientInfo")
	}
	if tag != casn1.SEQUENCE {
		if kind, ok := recipientKinds[tag]; ok {
			return r, fmt.Errorf("%w recipient kind %s", ErrUnsupported, kind)
		}
		return r, malformed(fmt.Sprintf("recipientInfo tag %#x", uint8(tag)))
	}
	var version int
	if !ktri.ReadASN1Integer(&version) {
		return r, malformed("KeyTransRecipientInfo version")
	}
	switch {
	case ktri.PeekASN1Tag(casn1.Tag(0).ContextSpecific()):
		var ski cryptobyte.String
		if !ktri.ReadASN1(&ski, casn1.Tag(0).ContextSpecific()) || len(ski) == 0 || len(ski) > maxKeyID || version != 2 {
			return r, malformed("subjectKeyIdentifier")
		}
		r.SubjectKeyID = bytes.Clone(ski)
	case ktri.PeekASN1Tag(casn1.SEQUENCE):
		var ias, issuer cryptobyte.String
		serial := new(big.Int)
		if !ktri.ReadASN1(&ias, casn1.SEQUENCE) ||
			!ias.ReadASN1Element(&issuer, casn1.SEQUENCE) ||
			!ias.ReadASN1Integer(serial) || !ias.Empty() || version != 0 {
			return r, malformed("issuerAndSerialNumber")
		}
		r.Issuer, r.SerialNumber = bytes.Clone(issuer), serial
	default:
		return r, malformed("KeyTransRecipientInfo rid")
	}
	if err := parseKeyEncryptionAlgorithm(&ktri); err != nil {
		return r, err
	}
	var ek cryptobyte.String
	if !ktri.ReadASN1(&ek, casn1.OCTET_STRING) || len(ek) == 0 || len(ek) > maxEncryptedKey || !ktri.Empty() {
		return r, malformed("encryptedKey")
	}
	r.EncryptedKey = bytes.Clone(ek)
	return r, nil
}

// parseKeyEncryptionAlgorithm accepts exactly RSAES-OAEP with SHA-256,
// MGF1-SHA-256 and the default (empty) label.
func parseKeyEncryptionAlgorithm(s *cryptobyte.String) error {
	var alg, oid cryptobyte.String
	if !s.ReadASN1(&alg, casn1.SEQUENCE) || !alg.ReadASN1(&oid, casn1.OBJECT_IDENTIFIER) {
		return malformed("keyEncryptionAlgorithm")
	}
	switch {
	case bytes.Equal(oid, oidRSAEncryption):
		return fmt.Errorf("%w key transport rsaEncryption (PKCS#1 v1.5): only RSAES-OAEP is accepted", ErrUnsupported)
	case !bytes.Equal(oid, oidRSAESOAEP):
		return fmt.Errorf("%w key transport algorithm %s", ErrUnsupported, oidString(oid))
	}
	var params, hash, mgf, mgfOID, mgfHash cryptobyte.String
	if !alg.ReadASN1(&params, casn1.SEQUENCE) || !alg.Empty() {
		return malformed("RSAES-OAEP parameters")
	}
	// hashAlgorithm [0] and maskGenAlgorithm [1] default to SHA-1.
	if !params.ReadASN1(&hash, casn1.Tag(0).Constructed().ContextSpecific()) ||
		!params.ReadASN1(&mgf, casn1.Tag(1).Constructed().ContextSpecific()) {
		return fmt.Errorf("%w RSAES-OAEP with SHA-1: only SHA-256 with MGF1-SHA-256 is accepted", ErrUnsupported)
	}
	if err := parseSHA256(&hash); err != nil || !hash.Empty() {
		return fmt.Errorf("RSAES-OAEP hashAlgorithm: %w", orMalformed(err))
	}
	if !mgf.ReadASN1(&mgfOID, casn1.SEQUENCE) || !mgf.Empty() ||
		!mgfOID.ReadASN1(&mgfHash, casn1.OBJECT_IDENTIFIER) {
		return malformed("RSAES-OAEP maskGenAlgorithm")
	}
	if !bytes.Equal(mgfHash, oidMGF1) {
		return fmt.Errorf("%w RSAES-OAEP mask generation %s", ErrUnsupported, oidString(mgfHash))
	}
	if err := parseSHA256(&mgfOID); err != nil || !mgfOID.Empty() {
		return fmt.Errorf("RSAES-OAEP MGF1 hash: %w", orMalformed(err))
	}
	// pSourceAlgorithm [2] defaults to an empty label; DER omits defaults,
	// and KMS never sets a label.
	if params.PeekASN1Tag(casn1.Tag(2).Constructed().ContextSpecific()) {
		return fmt.Errorf("%w RSAES-OAEP with a pSourceAlgorithm (label)", ErrUnsupported)
	}
	if !params.Empty() {
		return malformed("RSAES-OAEP parameters: trailing data")
	}
	return nil
}

func orMalformed(err error) error {
	if err == nil {
		return malformed("trailing data")
	}
	return err
}

// parseSHA256 reads an AlgorithmIdentifier that must be SHA-256 with NULL
// parameters (AWS) or none (OpenSSL).
func parseSHA256(s *cryptobyte.String) error {
	var alg, oid cryptobyte.String
	if !s.ReadASN1(&alg, casn1.SEQUENCE) || !alg.ReadASN1(&oid, casn1.OBJECT_IDENTIFIER) {
		return malformed("hash AlgorithmIdentifier")
	}
	if !bytes.Equal(oid, oidSHA256) {
		return fmt.Errorf("%w hash %s: only SHA-256 is accepted", ErrUnsupported, oidString(oid))
	}
	var null cryptobyte.String
	if alg.PeekASN1Tag(casn1.NULL) && (!alg.ReadASN1(&null, casn1.NULL) || !null.Empty()) {
		return malformed("hash parameters")
	}
	if !alg.Empty() {
		return malformed("hash parameters")
	}
	return nil
}

var ciphers = []struct {
	oid []byte
	c   Cipher
}{
	{oidAES256CBC, AES256CBC},
	{oidAES128CBC, AES128CBC},
	{oidAES192CBC, AES192CBC},
	{oidSM4CBC, SM4CBC},
}

// oid returns the DER contents of c's object identifier, or nil.
func (c Cipher) oid() []byte {
	for _, k := range ciphers {
		if k.c == c {
			return k.oid
		}
	}
	return nil
}

func parseEncryptedContentInfo(s *cryptobyte.String, env *EnvelopedData) error {
	var eci, contentType, alg, oid, iv cryptobyte.String
	if !s.ReadASN1(&eci, casn1.SEQUENCE) || !eci.ReadASN1(&contentType, casn1.OBJECT_IDENTIFIER) {
		return malformed("EncryptedContentInfo")
	}
	if !bytes.Equal(contentType, oidData) {
		return fmt.Errorf("%w encrypted content type %s (want id-data)", ErrUnsupported, oidString(contentType))
	}
	if !eci.ReadASN1(&alg, casn1.SEQUENCE) || !alg.ReadASN1(&oid, casn1.OBJECT_IDENTIFIER) {
		return malformed("contentEncryptionAlgorithm")
	}
	for _, c := range ciphers {
		if bytes.Equal(oid, c.oid) {
			env.Cipher = c.c
		}
	}
	if env.Cipher == 0 {
		return fmt.Errorf("%w content encryption algorithm %s", ErrUnsupported, oidString(oid))
	}
	if !alg.ReadASN1(&iv, casn1.OCTET_STRING) || len(iv) != ivSize || !alg.Empty() {
		return malformed("content encryption IV")
	}
	env.IV = bytes.Clone(iv)

	// encryptedContent [0] IMPLICIT OCTET STRING: primitive, or (the one BER
	// form that survives normalisation, and real KMS output) constructed
	// from OCTET STRING chunks.
	var content cryptobyte.String
	switch {
	case eci.PeekASN1Tag(casn1.Tag(0).ContextSpecific()):
		if !eci.ReadASN1(&content, casn1.Tag(0).ContextSpecific()) {
			return malformed("encryptedContent")
		}
		env.Ciphertext = bytes.Clone(content)
		env.PrimitiveContent = true
	case eci.PeekASN1Tag(casn1.Tag(0).Constructed().ContextSpecific()):
		if !eci.ReadASN1(&content, casn1.Tag(0).Constructed().ContextSpecific()) {
			return malformed("encryptedContent")
		}
		env.Ciphertext = make([]byte, 0, len(content))
		for !content.Empty() {
			var chunk cryptobyte.String
			if !content.ReadASN1(&chunk, casn1.OCTET_STRING) {
				return malformed("encryptedContent chunk")
			}
			env.Ciphertext = append(env.Ciphertext, chunk...)
		}
	default:
		if eci.Empty() {
			return fmt.Errorf("%w detached content (no encryptedContent)", ErrUnsupported)
		}
		return malformed("encryptedContent")
	}
	if !eci.Empty() {
		return malformed("EncryptedContentInfo: trailing data")
	}
	return nil
}

// oidString renders an OID's contents for an error message; OIDs are public
// algorithm names, never secret.
func oidString(der []byte) string {
	var oid asn1.ObjectIdentifier
	if len(der) > 127 {
		return "(long OID)"
	}
	if _, err := asn1.Unmarshal(append([]byte{0x06, byte(len(der))}, der...), &oid); err != nil {
		return "(invalid OID)"
	}
	return oid.String()
}
