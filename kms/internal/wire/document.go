package wire

import (
	"hash/maphash"
	"sync/atomic"
)

// Attestation documents: the one large field of a request, and one that an
// enclave sends again and again (its document is valid for minutes, and
// attestation's cache makes a repeated one cheap to verify). Decoding its
// 6 KiB of base64 was then the largest cost of the request's own; the
// documents decoded last are remembered, by their text, so that the same
// text again is compared, not decoded.

// documentSlots is the number of documents remembered: a KMS serves a few
// enclaves at a time. A document whose slot another took is decoded again.
const documentSlots = 16

// minRemembered is the length of base64 text below which decoding costs
// less than remembering.
const minRemembered = 1 << 10

type decodedDocument struct {
	text string
	raw  []byte
}

var (
	documentSeed = maphash.MakeSeed()
	documents    [documentSlots]atomic.Pointer[decodedDocument]
)

// Document decodes an attestation document field as Base64 does (the same
// errors), and returns bytes that may be shared with other calls: the
// caller must not modify them.
func Document(field, s string) ([]byte, error) {
	if len(s) < minRemembered {
		return Base64(field, s)
	}
	slot := &documents[maphash.String(documentSeed, s)%documentSlots]
	if d := slot.Load(); d != nil && d.text == s {
		return d.raw, nil
	}
	raw, err := Base64(field, s)
	if err != nil {
		return nil, err
	}
	slot.Store(&decodedDocument{text: s, raw: raw})
	return raw, nil
}
