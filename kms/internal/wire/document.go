package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"hash/maphash"
	"sync/atomic"

	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// Blob is a request field of standard padded base64 that Decode decodes in
// the pass that reads the body, from the body's bytes: no string of its
// text is made. Its errors are Base64's, and come when the handler asks
// for its bytes (Bytes), in the order of its field checks. A null leaves
// it as it was, as with a string.
//
// Attestation documents are the one large field of a request, and one that
// an enclave sends again and again (its document is valid for minutes, and
// attestation's cache makes a repeated one cheap to verify): decoding its
// 6 KiB of base64 was the largest cost of such a request's own. The texts
// decoded last are remembered, so that the same text again is compared,
// not decoded; the bytes of a Blob may be shared with other requests and
// must not be modified.
type Blob struct {
	raw   []byte // decoded, if valid
	n     int    // the length of the text: 0 for an empty or absent field
	valid bool   // the text is base64
}

// BlobOf returns the Blob of a field whose text is s (a field of a model
// that holds it as a string).
func BlobOf(s string) Blob {
	var b Blob
	b.set([]byte(s))
	return b
}

// Len returns the length of the field's text.
func (b *Blob) Len() int { return b.n }

// Bytes returns the field's bytes, or Base64's error for its text, naming
// field. The bytes may be shared: the caller must not modify them.
func (b *Blob) Bytes(field string) ([]byte, error) {
	switch {
	case b.n == 0:
		return nil, core.Errorf(core.KindMissingParameter, "%s is missing", field)
	case !b.valid:
		return nil, core.Errorf(core.KindInvalidParameter, "%s is not base64", field)
	}
	return b.raw, nil
}

// UnmarshalJSON decodes a JSON string into b as Decode does (for
// encoding/json, which FuzzDecode holds Decode to).
func (b *Blob) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	b.set([]byte(s))
	return nil
}

// blob reads a string into b. A remembered text is found without the
// string's checks: those texts are base64 alone (see set), so if the bytes
// up to the next '"' are one, they are the whole string and a valid one.
func (d *decoder) blob(b *Blob) error {
	start := d.pos + 1 // past '"'
	if n := bytes.IndexByte(d.data[start:], '"'); n >= minRemembered {
		text := d.data[start : start+n]
		if raw := lookup(text); raw != nil {
			*b = Blob{raw: raw, n: n, valid: true}
			d.pos = start + n + 1
			return nil
		}
	}
	text, err := d.strBytes()
	if err != nil {
		return err
	}
	b.set(text)
	return nil
}

// lookup returns the bytes of a remembered text, or nil.
func lookup(text []byte) []byte {
	if d := remembered[slotOf(text)].Load(); d != nil && d.text == string(text) {
		return d.raw
	}
	return nil
}

func slotOf(text []byte) uint64 { return maphash.Bytes(rememberedSeed, text) % rememberedSlots }

// set decodes text, a string's content.
func (b *Blob) set(text []byte) {
	*b = Blob{n: len(text)}
	if len(text) == 0 {
		return
	}
	if len(text) < minRemembered {
		b.raw, b.valid = decode(text)
		return
	}
	if raw := lookup(text); raw != nil {
		b.raw, b.valid = raw, true
		return
	}
	// Only texts of the base64 alphabet alone are remembered: base64
	// skips line breaks, which a JSON string holds only escaped, and
	// blob takes a remembered text for an unescaped string.
	if b.raw, b.valid = decode(text); b.valid && !bytes.ContainsAny(text, "\r\n") {
		remembered[slotOf(text)].Store(&decodedText{text: string(text), raw: b.raw})
	}
}

func decode(text []byte) ([]byte, bool) {
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Strict().Decode(raw, text)
	if err != nil {
		return nil, false
	}
	return raw[:n], true
}

// rememberedSlots is the number of texts remembered: a KMS serves a few
// enclaves at a time. A text whose slot another took is decoded again.
const rememberedSlots = 16

// minRemembered is the length of text below which decoding costs less
// than remembering.
const minRemembered = 1 << 10

type decodedText struct {
	text string
	raw  []byte
}

var (
	rememberedSeed = maphash.MakeSeed()
	remembered     [rememberedSlots]atomic.Pointer[decodedText]
)
