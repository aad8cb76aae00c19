// Package recipient seals a secret to an enclave's attested RSA key (the KMS
// side) and opens it inside the enclave, using the CMS envelope that KMS
// returns as ciphertext_recipient (Huawei) or CiphertextForRecipient (AWS).
//
// Inside the enclave, generate an ephemeral key, put its public half in the
// attestation document, and open what KMS sends back:
//
//	key, err := recipient.GenerateKey(2048)
//	... request an attestation document with public_key = key.PublicKeyDER()
//	... call KMS with that document as the recipient
//	secret, err := recipient.Open(ciphertextForRecipient, key, recipient.OpenOptions{})
//
// On the server side, seal only to a document that attestation.Verify
// returned:
//
//	doc, err := attestation.Verify(rawDocument, opts)
//	...
//	blob, err := recipient.SealToDocument(secret, doc, recipient.SealOptions{})
//
// Seal writes what AWS KMS writes: a fresh AES-256 key and IV, the key
// encrypted with RSAES-OAEP-SHA-256 (MGF1-SHA-256), the recipient named by
// the SHA-256 of its DER SubjectPublicKeyInfo, in the AWS BER layout (or DER,
// see SealOptions). Open also reads what OpenSSL writes: recipients named by
// the RFC 5280 SHA-1 key identifier or by issuer and serial number, and
// AES-128/192-CBC or SM4-CBC content. OpenSharedSecret and OpenPrivateKey
// open the payloads of derive-shared-secret and create-ec-datakey-pair.
//
// # The envelope is not authenticated
//
// The content is encrypted with CBC and no MAC, and the content key with the
// enclave's public key. Anyone who knows that public key (it is in every
// attestation document the enclave hands out) can make an envelope that
// opens, with any content, and anyone on the path can alter an envelope so
// that it opens to different bytes. A successful Open proves nothing about
// who made the envelope. Therefore:
//
//   - Trust the content only as much as the channel it arrived on: accept
//     envelopes from the KMS response you requested yourself, over TLS to
//     the KMS endpoint, never from a party you do not trust.
//   - Use a fresh key per enclave session (GenerateKey), so that envelopes
//     made for an earlier session cannot be replayed into a later one.
//   - Do not tell untrusted peers whether opening failed, or how long it
//     took: every failure after parsing is the same ErrDecryption and the
//     padding check runs in constant time, but what you do with the result
//     (its length, your reaction) can still act as an oracle.
//
// # Other limits
//
// Open refuses an envelope in which any recipient uses PKCS#1 v1.5 (or any
// key transport but RSAES-OAEP-SHA-256): see package envelope, whose errors
// it wraps. With several recipients, Open uses only the one that names its
// key; it does not try the key against the others.
package recipient

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/envelope"
)

// ErrDecryption is the error for every failure to open an envelope that
// parsed: no recipient for the key, a bad RSAES-OAEP block, a content key of
// the wrong size, bad padding, a malformed payload. Open never says which.
var ErrDecryption = errors.New("recipient: decryption failed")

// maxPlaintext bounds what Seal accepts: package envelope parses envelopes
// of up to 1 MiB, and the structure around the content takes under 1 KiB
// even with an RSA-4096 recipient. KMS payloads are at most 4 KiB.
const maxPlaintext = 1<<20 - 4096

// SealOptions configures Seal. The zero value writes the AWS layout.
type SealOptions struct {
	// Shape is the encoding of the envelope: envelope.AWS (the zero value,
	// byte-compatible with real AWS KMS output and the AWS C SDK) or
	// envelope.DER.
	Shape envelope.Shape
}

// Seal encrypts plaintext to an RSA public key of 2048, 3072 or 4096 bits.
// Prefer SealToDocument, which takes the key from a verified attestation
// document.
func Seal(plaintext []byte, to *rsa.PublicKey, opts SealOptions) ([]byte, error) {
	if to == nil {
		return nil, errors.New("recipient: nil public key")
	}
	spki, err := x509.MarshalPKIXPublicKey(to)
	if err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	return seal(plaintext, to, spki, opts)
}

// SealToDocument encrypts plaintext to the RSA key in a verified attestation
// document's public_key (a DER SubjectPublicKeyInfo). Pass only a document
// returned by attestation.Verify. It refuses a document without public_key
// and one whose key is not RSA of 2048, 3072 or 4096 bits.
func SealToDocument(plaintext []byte, doc *attestation.Document, opts SealOptions) ([]byte, error) {
	if doc == nil || len(doc.PublicKey) == 0 {
		return nil, errors.New("recipient: attestation document has no public_key")
	}
	pub, err := x509.ParsePKIXPublicKey(doc.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("recipient: attestation document public_key is not a SubjectPublicKeyInfo: %w", err)
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("recipient: attestation document public_key is %T, not RSA", pub)
	}
	// The rid is the SHA-256 of the SPKI bytes as the enclave published them.
	return seal(plaintext, rsaPub, doc.PublicKey, opts)
}

func seal(plaintext []byte, to *rsa.PublicKey, spki []byte, opts SealOptions) ([]byte, error) {
	switch bits := to.N.BitLen(); bits {
	case 2048, 3072, 4096:
	default:
		return nil, fmt.Errorf("recipient: RSA key of %d bits (want 2048, 3072 or 4096)", bits)
	}
	if len(plaintext) > maxPlaintext {
		return nil, fmt.Errorf("recipient: plaintext of %d bytes exceeds %d", len(plaintext), maxPlaintext)
	}
	var cek [32]byte
	defer clear(cek[:])
	iv := make([]byte, aes.BlockSize)
	rand.Read(cek[:])
	rand.Read(iv)
	ek, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, to, cek[:], nil)
	if err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	ct, err := encryptContent(envelope.AES256CBC, cek[:], iv, plaintext)
	if err != nil {
		return nil, err
	}
	ski := sha256.Sum256(spki)
	env := envelope.EnvelopedData{
		Recipients: []envelope.Recipient{{SubjectKeyID: ski[:], EncryptedKey: ek}},
		Cipher:     envelope.AES256CBC,
		IV:         iv,
		Ciphertext: ct,
	}
	out, err := env.Marshal(opts.Shape)
	if err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	return out, nil
}

// OpenOptions configures Open. The zero value is right for an enclave that
// holds a bare key, as with KMS.
type OpenOptions struct {
	// Certificate is the recipient certificate of the key, if it has one.
	// Open then also finds its recipient by issuer and serial number or by
	// the certificate's subjectKeyIdentifier, and no longer falls back to
	// the only recipient of an envelope. It must hold the key's public key.
	Certificate *x509.Certificate
}

// Open decrypts an envelope with an RSA key, which may live in memory (a
// *Key or an *rsa.PrivateKey) or elsewhere (any crypto.Decrypter that
// implements RSAES-OAEP with rsa.OAEPOptions).
//
// The recipient is the one whose subjectKeyIdentifier is the SHA-256 of the
// key's DER SubjectPublicKeyInfo (as AWS KMS writes) or its RFC 5280 SHA-1
// key identifier (as OpenSSL writes); or, with opts.Certificate, the one that
// names the certificate; or, without it, the only recipient of the envelope
// if that one is named by issuer and serial number (which a bare key cannot
// check).
//
// Parse errors wrap envelope.ErrMalformed or envelope.ErrUnsupported; every
// later failure is ErrDecryption.
func Open(env []byte, key crypto.Decrypter, opts OpenOptions) ([]byte, error) {
	return open(env, key, opts, nil)
}

// open is Open with a check of the payload's form (nil: any). A payload of
// the wrong form is an ErrDecryption like any other, and is zeroed.
func open(env []byte, key crypto.Decrypter, opts OpenOptions, form func([]byte) bool) ([]byte, error) {
	if key == nil {
		return nil, errors.New("recipient: nil key")
	}
	pub, ok := key.Public().(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("recipient: key is %T, not RSA", key.Public())
	}
	if opts.Certificate != nil && !pub.Equal(opts.Certificate.PublicKey) {
		return nil, errors.New("recipient: certificate does not hold the key's public key")
	}
	e, err := envelope.Parse(env)
	if err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	r, err := find(e.Recipients, key, pub, opts.Certificate)
	if err != nil {
		return nil, err
	}
	// A failed RSAES-OAEP returns at once: crypto/rsa checks the whole
	// block in constant time, and whether a forged block is valid OAEP is
	// no oracle (unlike PKCS#1 v1.5, which is why that is refused).
	cek, err := oaepDecrypt(key, r.EncryptedKey, nil)
	defer clear(cek)
	if err != nil || len(cek) != e.Cipher.KeySize() {
		return nil, ErrDecryption
	}
	pt, err := decryptContent(e.Cipher, cek, e.IV, e.Ciphertext)
	if err != nil {
		return nil, err
	}
	if form != nil && !form(pt) {
		clear(pt)
		return nil, ErrDecryption
	}
	return pt, nil
}

// spkier is implemented by *Key, which keeps its encoded public key.
type spkier interface{ spki() []byte }

// find picks the recipient for key: see Open.
func find(rs []envelope.Recipient, key crypto.Decrypter, pub *rsa.PublicKey, cert *x509.Certificate) (*envelope.Recipient, error) {
	var spki []byte
	if k, ok := key.(spkier); ok {
		spki = k.spki()
	} else {
		var err error
		if spki, err = x509.MarshalPKIXPublicKey(pub); err != nil {
			return nil, fmt.Errorf("recipient: %w", err)
		}
	}
	awsID := sha256.Sum256(spki)
	// RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits, which
	// for RSA are the PKCS#1 RSAPublicKey.
	rfcID := sha1.Sum(x509.MarshalPKCS1PublicKey(pub))
	for i := range rs {
		r := &rs[i]
		switch {
		case r.SubjectKeyID != nil:
			if bytes.Equal(r.SubjectKeyID, awsID[:]) || bytes.Equal(r.SubjectKeyID, rfcID[:]) ||
				cert != nil && len(cert.SubjectKeyId) > 0 && bytes.Equal(r.SubjectKeyID, cert.SubjectKeyId) {
				return r, nil
			}
		case cert != nil:
			if bytes.Equal(r.Issuer, cert.RawIssuer) && r.SerialNumber.Cmp(cert.SerialNumber) == 0 {
				return r, nil
			}
		}
	}
	// A bare key cannot check an issuerAndSerialNumber; an identifier it
	// can compute that does not match means the envelope is not for it.
	if cert == nil && len(rs) == 1 && rs[0].SubjectKeyID == nil {
		return &rs[0], nil
	}
	return nil, ErrDecryption
}

// oaepDecrypt is RSAES-OAEP-SHA-256 with MGF1-SHA-256 through the key's
// Decrypt. label is nil for envelopes; the Wycheproof tests use others.
func oaepDecrypt(key crypto.Decrypter, ciphertext, label []byte) ([]byte, error) {
	out, err := key.Decrypt(rand.Reader, ciphertext, &rsa.OAEPOptions{
		Hash: crypto.SHA256, MGFHash: crypto.SHA256, Label: label,
	})
	if err != nil {
		return nil, ErrDecryption
	}
	return out, nil
}
