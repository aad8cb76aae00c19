package main

import "encoding/asn1"

// DER (and deliberately broken BER) written by hand, so that every byte of
// an envelope is chosen here.

// tlv encodes one element with a minimal definite length.
func tlv(tag byte, contents ...[]byte) []byte {
	c := concat(contents...)
	return concat([]byte{tag}, derLength(len(c)), c)
}

func derLength(n int) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n <= 0xff:
		return []byte{0x81, byte(n)}
	case n <= 0xffff:
		return []byte{0x82, byte(n >> 8), byte(n)}
	}
	return []byte{0x83, byte(n >> 16), byte(n >> 8), byte(n)}
}

// indef encodes a constructed element with an indefinite length.
func indef(tag byte, contents ...[]byte) []byte {
	return concat([]byte{tag, 0x80}, concat(contents...), []byte{0, 0})
}

// ASN.1 tags.
const (
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagNull        = 0x05
	tagOID         = 0x06
	tagSequence    = 0x30
	tagSet         = 0x31
	tagCtx0        = 0x80 // [0] primitive
	tagCtx0C       = 0xa0 // [0] constructed
	tagCtx1C       = 0xa1
	tagCtx2C       = 0xa2
	tagCtx3C       = 0xa3
)

func seq(c ...[]byte) []byte { return tlv(tagSequence, c...) }
func set(c ...[]byte) []byte { return tlv(tagSet, c...) }
func oct(b []byte) []byte    { return tlv(tagOctetString, b) }

var derNull = []byte{tagNull, 0}

func derInt(n int) []byte {
	b, err := asn1.Marshal(n)
	if err != nil {
		panic(err)
	}
	return b
}

// oid encodes an object identifier given as its arcs.
func oid(arcs ...int) []byte {
	b, err := asn1.Marshal(asn1.ObjectIdentifier(arcs))
	if err != nil {
		panic(err)
	}
	return b
}

// Object identifiers of the envelopes (RFC 5652, RFC 8017, RFC 3565,
// NIST CSOR).
var (
	oidEnvelopedData = oid(1, 2, 840, 113549, 1, 7, 3)
	oidSignedData    = oid(1, 2, 840, 113549, 1, 7, 2)
	oidData          = oid(1, 2, 840, 113549, 1, 7, 1)
	oidRSAEncryption = oid(1, 2, 840, 113549, 1, 1, 1)
	oidRSAESOAEP     = oid(1, 2, 840, 113549, 1, 1, 7)
	oidMGF1          = oid(1, 2, 840, 113549, 1, 1, 8)
	oidPSpecified    = oid(1, 2, 840, 113549, 1, 1, 9)
	oidSHA1          = oid(1, 3, 14, 3, 2, 26)
	oidSHA256        = oid(2, 16, 840, 1, 101, 3, 4, 2, 1)
	oidSHA384        = oid(2, 16, 840, 1, 101, 3, 4, 2, 2)
	oidAES128CBC     = oid(2, 16, 840, 1, 101, 3, 4, 1, 2)
	oidAES256CBC     = oid(2, 16, 840, 1, 101, 3, 4, 1, 42)
	oidAES256GCM     = oid(2, 16, 840, 1, 101, 3, 4, 1, 46)
	oidDESEDE3CBC    = oid(1, 2, 840, 113549, 3, 7)
	oidUnknownMGF    = oid(1, 3, 6, 1, 4, 1, 55555, 2, 1)
)
