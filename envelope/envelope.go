// Package envelope encodes and decodes CMS EnvelopedData (RFC 5652) of the
// kind a KMS returns as ciphertext_recipient (Huawei) or
// CiphertextForRecipient (AWS): RSAES-OAEP key transport recipients and a
// CBC-encrypted content.
//
// It is a codec only: it never decrypts. Package recipient seals and opens
// envelopes; most callers want that package instead.
//
// Parse accepts BER, as real KMS output is BER with indefinite lengths, or
// DER:
//
//	env, err := envelope.Parse(blob)
//	...
//	der, err := env.Marshal(envelope.DER)
//
// Marshal writes either the exact BER layout of real AWS KMS output (AWS,
// which the AWS Nitro Enclaves C SDK requires) or DER.
//
// # What is accepted
//
// Only KeyTransRecipientInfo recipients whose key encryption algorithm is
// RSAES-OAEP with SHA-256 and MGF1-SHA-256 and an empty label; the hash
// algorithm identifiers may carry NULL parameters (AWS) or none (OpenSSL).
// Recipients are identified by subjectKeyIdentifier (version 2) or
// issuerAndSerialNumber (version 0), and the EnvelopedData version must be
// the one RFC 5652 prescribes for its recipients (2 if any uses a
// subjectKeyIdentifier, else 0). The content type must be id-data and
// the content encryption AES-128/192/256-CBC or SM4-CBC with a 16-byte IV.
// Everything else that RFC 5652 allows (PKCS#1 v1.5 key transport, other
// recipient kinds, originatorInfo, unprotectedAttrs, detached content) is
// recognised and refused with an error wrapping ErrUnsupported, so that a
// caller learns why; structural problems wrap ErrMalformed.
//
// BER leniency lives in one place: indefinite lengths and constructed
// OCTET STRINGs are normalised to DER before a strict parse. The
// encryptedContent may be primitive or constructed (a [0] holding OCTET
// STRING chunks), as both occur in real KMS output.
//
// # Security
//
// An EnvelopedData is not authenticated: CBC has no MAC, and anyone who knows
// the recipient's public key can make a valid envelope. Parsing succeeds on
// envelopes made by anyone. Package recipient explains what callers must do.
package envelope

import (
	"errors"
	"math/big"
)

// ErrMalformed is wrapped by every error about input that is not a
// well-formed EnvelopedData.
var ErrMalformed = errors.New("envelope: malformed")

// ErrUnsupported is wrapped by every error about a well-formed EnvelopedData
// that uses something this package does not implement, such as PKCS#1 v1.5
// key transport or a key agreement recipient.
var ErrUnsupported = errors.New("envelope: unsupported")

// EnvelopedData is a parsed envelope. All byte slices are fresh copies.
type EnvelopedData struct {
	// Recipients are the KeyTransRecipientInfos, in the order received.
	// All use RSAES-OAEP with SHA-256 and MGF1-SHA-256.
	Recipients []Recipient

	// Cipher is the content encryption algorithm.
	Cipher Cipher
	// IV is the 16-byte CBC initialisation vector.
	IV []byte
	// Ciphertext is the encryptedContent, chunks joined.
	Ciphertext []byte

	// PrimitiveContent records that encryptedContent is a primitive [0]
	// rather than a constructed [0] holding one OCTET STRING. Real KMS output
	// has both forms; Marshal(AWS) follows this field so that a parsed
	// envelope re-marshals to the same bytes. DER output is always primitive.
	PrimitiveContent bool
}

// Recipient is a KeyTransRecipientInfo. Exactly one of SubjectKeyID and
// (Issuer, SerialNumber) is set.
type Recipient struct {
	// SubjectKeyID identifies the recipient's key (rid [0], version 2).
	// AWS KMS uses the SHA-256 of the DER SubjectPublicKeyInfo; OpenSSL the
	// certificate's subjectKeyIdentifier extension.
	SubjectKeyID []byte

	// Issuer is the DER Name of the recipient certificate's issuer and
	// SerialNumber its serial number (rid issuerAndSerialNumber, version 0).
	Issuer       []byte
	SerialNumber *big.Int

	// EncryptedKey is the RSAES-OAEP encryption of the content key.
	EncryptedKey []byte
}

// Cipher is a content encryption algorithm (CBC mode, PKCS#7 padding).
type Cipher int

const (
	AES256CBC Cipher = iota + 1 // what KMS uses
	AES128CBC
	AES192CBC
	SM4CBC // used by OpenSSL (-sm4-cbc) and Chinese national-standard deployments
)

// KeySize returns the content key length in bytes, or 0 for an unknown
// Cipher.
func (c Cipher) KeySize() int {
	switch c {
	case AES128CBC, SM4CBC:
		return 16
	case AES192CBC:
		return 24
	case AES256CBC:
		return 32
	}
	return 0
}

// String returns the algorithm's name, such as "AES-256-CBC".
func (c Cipher) String() string {
	switch c {
	case AES128CBC:
		return "AES-128-CBC"
	case AES192CBC:
		return "AES-192-CBC"
	case AES256CBC:
		return "AES-256-CBC"
	case SM4CBC:
		return "SM4-CBC"
	}
	return "unknown cipher"
}

// Shape selects the encoding that Marshal writes.
type Shape int

const (
	// AWS is the BER layout of real AWS KMS output: indefinite lengths on
	// ContentInfo, its [0], EnvelopedData and EncryptedContentInfo, and the
	// encryptedContent as an indefinite [0] holding one OCTET STRING (or
	// primitive, see PrimitiveContent); everything else definite.
	// It is the zero value, because AWS's own C parser accepts nothing else.
	AWS Shape = iota
	// DER is the distinguished encoding.
	DER
)

// String returns "aws" or "der".
func (s Shape) String() string {
	switch s {
	case AWS:
		return "aws"
	case DER:
		return "der"
	}
	return "unknown shape"
}
