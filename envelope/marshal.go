package envelope

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// oaepSHA256 is the keyEncryptionAlgorithm that AWS KMS writes: id-RSAES-OAEP
// with hashFunc SHA-256 and maskGenFunc MGF1-SHA-256, both hash identifiers
// with NULL parameters, and pSourceFunc absent.
var oaepSHA256 = []byte{
	0x30, 0x3c, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07,
	0x30, 0x2f,
	0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
	0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08,
	0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
}

// Marshal encodes e as a ContentInfo in the given shape. It fails if e could
// not have come from Parse (no recipients, a recipient with both or neither
// identifier, a wrong IV length, an unknown cipher).
func (e *EnvelopedData) Marshal(shape Shape) ([]byte, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	if shape != AWS && shape != DER {
		return nil, fmt.Errorf("envelope: unknown shape %d", shape)
	}
	out, err := e.marshal(shape)
	if err != nil {
		return nil, err
	}
	if len(out) > maxSize { // Parse would refuse it
		return nil, fmt.Errorf("%w: envelope of %d bytes exceeds %d", errInvalid, len(out), maxSize)
	}
	return out, nil
}

func (e *EnvelopedData) marshal(shape Shape) ([]byte, error) {

	// The definite-length middle of EnvelopedData: version and recipientInfos.
	rs := make([][]byte, len(e.Recipients))
	for i := range e.Recipients {
		rs[i] = e.Recipients[i].marshal()
	}
	if shape == DER {
		slices.SortFunc(rs, bytes.Compare) // DER orders a SET OF by encoding
	}
	version := int64(envelopedDataVersion(e.Recipients))
	head := cryptobyte.NewBuilder(nil)
	head.AddASN1Int64(version)
	head.AddASN1(casn1.SET, func(b *cryptobyte.Builder) {
		for _, r := range rs {
			b.AddBytes(r)
		}
	})
	// contentType and contentEncryptionAlgorithm of EncryptedContentInfo.
	algs := cryptobyte.NewBuilder(nil)
	algs.AddASN1(casn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oidData) })
	algs.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(casn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(e.Cipher.oid()) })
		b.AddASN1OctetString(e.IV)
	})

	h, err := head.Bytes()
	if err != nil {
		return nil, err
	}
	a, err := algs.Bytes()
	if err != nil {
		return nil, err
	}

	if shape == DER {
		b := cryptobyte.NewBuilder(make([]byte, 0, 64+len(h)+len(a)+len(e.Ciphertext)))
		b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(casn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oidEnvelopedData) })
			b.AddASN1(casn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddBytes(h)
					b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddBytes(a)
						b.AddASN1(casn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(e.Ciphertext) })
					})
				})
			})
		})
		return b.Bytes()
	}

	// AWS: the indefinite lengths written by hand around the definite parts.
	out := make([]byte, 0, 32+len(h)+len(a)+len(e.Ciphertext))
	out = append(out, 0x30, 0x80, 0x06, byte(len(oidEnvelopedData)))
	out = append(out, oidEnvelopedData...)
	out = append(out, 0xa0, 0x80, 0x30, 0x80)
	out = append(out, h...)
	out = append(out, 0x30, 0x80)
	out = append(out, a...)
	if e.PrimitiveContent {
		out = appendTLV(out, casn1.Tag(0).ContextSpecific(), e.Ciphertext)
	} else {
		out = append(out, 0xa0, 0x80)
		out = appendTLV(out, casn1.OCTET_STRING, e.Ciphertext)
		out = append(out, 0, 0)
	}
	return append(out, 0, 0, 0, 0, 0, 0, 0, 0), nil // EncryptedContentInfo, EnvelopedData, [0], ContentInfo
}

// appendTLV appends a DER element; contents are bounded by check.
func appendTLV(out []byte, tag casn1.Tag, contents []byte) []byte {
	b := cryptobyte.NewBuilder(out)
	b.AddASN1(tag, func(b *cryptobyte.Builder) { b.AddBytes(contents) })
	return b.BytesOrPanic()
}

// marshal encodes one KeyTransRecipientInfo (already checked).
func (r *Recipient) marshal() []byte {
	b := cryptobyte.NewBuilder(make([]byte, 0, 128+len(r.Issuer)+len(r.EncryptedKey)))
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		if r.SubjectKeyID != nil {
			b.AddASN1Int64(2)
			b.AddASN1(casn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(r.SubjectKeyID) })
		} else {
			b.AddASN1Int64(0)
			b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddBytes(r.Issuer)
				b.AddASN1BigInt(r.SerialNumber)
			})
		}
		b.AddBytes(oaepSHA256)
		b.AddASN1OctetString(r.EncryptedKey)
	})
	return b.BytesOrPanic() // lengths are bounded by check
}

var errInvalid = errors.New("envelope: invalid EnvelopedData")

// check makes sure e is something Parse could have returned.
func (e *EnvelopedData) check() error {
	if len(e.Recipients) == 0 || len(e.Recipients) > maxRecipients {
		return fmt.Errorf("%w: %d recipients (want 1 to %d)", errInvalid, len(e.Recipients), maxRecipients)
	}
	for i, r := range e.Recipients {
		ski := r.SubjectKeyID != nil
		ias := r.Issuer != nil || r.SerialNumber != nil
		switch {
		case ski == ias:
			return fmt.Errorf("%w: recipient %d needs exactly one of SubjectKeyID and Issuer/SerialNumber", errInvalid, i)
		case ski && (len(r.SubjectKeyID) == 0 || len(r.SubjectKeyID) > maxKeyID):
			return fmt.Errorf("%w: recipient %d SubjectKeyID of %d bytes", errInvalid, i, len(r.SubjectKeyID))
		case ias && (r.SerialNumber == nil || !isSequence(r.Issuer)):
			return fmt.Errorf("%w: recipient %d needs a DER issuer Name and a serial number", errInvalid, i)
		case len(r.EncryptedKey) == 0 || len(r.EncryptedKey) > maxEncryptedKey:
			return fmt.Errorf("%w: recipient %d encrypted key of %d bytes", errInvalid, i, len(r.EncryptedKey))
		}
	}
	if e.Cipher.KeySize() == 0 {
		return fmt.Errorf("%w: unknown cipher %d", errInvalid, e.Cipher)
	}
	if len(e.IV) != ivSize {
		return fmt.Errorf("%w: IV of %d bytes (want %d)", errInvalid, len(e.IV), ivSize)
	}
	if len(e.Ciphertext) > maxSize {
		return fmt.Errorf("%w: ciphertext of %d bytes exceeds %d", errInvalid, len(e.Ciphertext), maxSize)
	}
	return nil
}

// isSequence reports whether b is exactly one DER SEQUENCE element.
func isSequence(b []byte) bool {
	s := cryptobyte.String(b)
	var seq cryptobyte.String
	return s.ReadASN1(&seq, casn1.SEQUENCE) && s.Empty()
}
