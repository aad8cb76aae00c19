package envelope

import (
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Limits on untrusted input, checked before anything is allocated for it.
const (
	// maxSize bounds an envelope. KMS plaintexts are at most 4 KiB and
	// RSA-4096 adds 512 bytes, so real envelopes stay under 6 KiB; 1 MiB
	// leaves room for large sealed payloads and bounds memory for hostile
	// input.
	maxSize = 1 << 20

	// maxDepth bounds nesting. The deepest element of a real envelope is at
	// depth 10 (the MGF1 hash OID, or an attribute inside an issuer Name);
	// a constructed OCTET STRING chunk adds one.
	maxDepth = 16

	// maxElements bounds the number of TLV elements. A real envelope has
	// about 40; an issuer Name adds a few per attribute, and a chunked
	// content one per chunk (1 KiB chunks of a 1 MiB content would need
	// 1024).
	maxElements = 4096
)

// normalize turns the BER subset that real envelopes use into DER: it
// replaces indefinite lengths by definite ones and joins constructed OCTET
// STRINGs (universal tag 4) into one primitive OCTET STRING. This is the one
// place where BER is tolerated. Everything else must already be DER-shaped:
// low tag numbers only, minimal definite lengths, no other constructed
// strings. Whether the result is a valid EnvelopedData is for parse to say.
func normalize(in []byte) ([]byte, error) {
	if len(in) > maxSize {
		return nil, fmt.Errorf("%w: envelope of %d bytes exceeds %d", ErrMalformed, len(in), maxSize)
	}
	n := normalizer{in: in}
	b := cryptobyte.NewBuilder(make([]byte, 0, len(in)))
	if err := n.element(b, 0); err != nil {
		return nil, err
	}
	if n.pos != len(in) {
		return nil, fmt.Errorf("%w: %d trailing bytes at offset %d", ErrMalformed, len(in)-n.pos, n.pos)
	}
	return b.Bytes()
}

type normalizer struct {
	in       []byte
	pos      int
	elements int
}

// header reads a tag and a length. length is -1 for an indefinite length.
func (n *normalizer) header() (tag byte, length int, err error) {
	start := n.pos
	if n.elements++; n.elements > maxElements {
		return 0, 0, fmt.Errorf("%w: more than %d elements", ErrMalformed, maxElements)
	}
	if len(n.in)-n.pos < 2 {
		return 0, 0, fmt.Errorf("%w: truncated header at offset %d", ErrMalformed, start)
	}
	tag, l := n.in[n.pos], n.in[n.pos+1]
	n.pos += 2
	if tag&0x1f == 0x1f {
		return 0, 0, fmt.Errorf("%w: high tag number at offset %d", ErrMalformed, start)
	}
	switch {
	case l < 0x80:
		if int(l) > len(n.in)-n.pos {
			return 0, 0, fmt.Errorf("%w: length %d beyond the input at offset %d", ErrMalformed, l, start)
		}
		return tag, int(l), nil
	case l == 0x80:
		if tag&0x20 == 0 {
			return 0, 0, fmt.Errorf("%w: indefinite length on a primitive element at offset %d", ErrMalformed, start)
		}
		return tag, -1, nil
	case l > 0x83: // 3 length bytes already exceed maxSize
		return 0, 0, fmt.Errorf("%w: length too long at offset %d", ErrMalformed, start)
	}
	nb := int(l & 0x7f)
	if len(n.in)-n.pos < nb {
		return 0, 0, fmt.Errorf("%w: truncated length at offset %d", ErrMalformed, start)
	}
	length = 0
	for _, c := range n.in[n.pos : n.pos+nb] {
		length = length<<8 | int(c)
	}
	n.pos += nb
	if n.in[n.pos-nb] == 0 || length < 0x80 {
		return 0, 0, fmt.Errorf("%w: non-minimal length at offset %d", ErrMalformed, start)
	}
	if length > len(n.in)-n.pos {
		return 0, 0, fmt.Errorf("%w: length %d beyond the input at offset %d", ErrMalformed, length, start)
	}
	return tag, length, nil
}

// atEOC reports whether an end-of-contents marker is next, and consumes it.
func (n *normalizer) atEOC() bool {
	if len(n.in)-n.pos >= 2 && n.in[n.pos] == 0 && n.in[n.pos+1] == 0 {
		n.pos += 2
		return true
	}
	return false
}

// children calls f for each child of a constructed element whose header was
// just read: up to end for a definite length, up to the EOC otherwise.
func (n *normalizer) children(length int, f func() error) error {
	if length >= 0 {
		end := n.pos + length
		for n.pos < end {
			// A child must not run past its parent: give it a view ending
			// at end.
			saved := n.in
			n.in = n.in[:end]
			err := f()
			n.in = saved
			if err != nil {
				return err
			}
		}
		return nil
	}
	for !n.atEOC() {
		if n.pos >= len(n.in) {
			return fmt.Errorf("%w: missing end-of-contents", ErrMalformed)
		}
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// element copies one element into b as DER.
func (n *normalizer) element(b *cryptobyte.Builder, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: nested deeper than %d", ErrMalformed, maxDepth)
	}
	start := n.pos
	tag, length, err := n.header()
	if err != nil {
		return err
	}
	if tag == 0 {
		return fmt.Errorf("%w: unexpected end-of-contents at offset %d", ErrMalformed, start)
	}
	if tag&0x20 == 0 { // primitive
		b.AddASN1(casn1.Tag(tag), func(b *cryptobyte.Builder) {
			b.AddBytes(n.in[n.pos : n.pos+length])
		})
		n.pos += length
		return nil
	}
	switch {
	case tag == 0x24: // constructed OCTET STRING: join the chunks
		var joined []byte
		err = n.children(length, func() error { return n.chunk(&joined, depth+1) })
		b.AddASN1(casn1.OCTET_STRING, func(b *cryptobyte.Builder) { b.AddBytes(joined) })
		return err
	case tag&0xc0 == 0 && tag != 0x30 && tag != 0x31:
		return fmt.Errorf("%w: constructed universal tag %#x at offset %d", ErrMalformed, tag, start)
	}
	b.AddASN1(casn1.Tag(tag), func(b *cryptobyte.Builder) {
		err = n.children(length, func() error { return n.element(b, depth+1) })
	})
	return err
}

// chunk appends the contents of one OCTET STRING chunk of a constructed
// OCTET STRING to joined.
func (n *normalizer) chunk(joined *[]byte, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: nested deeper than %d", ErrMalformed, maxDepth)
	}
	start := n.pos
	tag, length, err := n.header()
	if err != nil {
		return err
	}
	switch tag {
	case 0x04:
		*joined = append(*joined, n.in[n.pos:n.pos+length]...)
		n.pos += length
		return nil
	case 0x24:
		return n.children(length, func() error { return n.chunk(joined, depth+1) })
	}
	return fmt.Errorf("%w: tag %#x inside a constructed OCTET STRING at offset %d", ErrMalformed, tag, start)
}
