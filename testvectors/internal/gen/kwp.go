package main

import (
	"crypto/aes"
	"encoding/binary"
)

// AES key wrap (RFC 3394) and AES key wrap with padding (RFC 5649),
// written out from the RFCs.

// kwp wraps msg under kek per RFC 5649, with the 32-bit message length
// indicator given (normally len(msg)) and the padding bytes given
// (normally zero), so that broken wraps can be made too.
func kwp(kek, msg []byte, mli uint32, pad byte) []byte {
	aiv := []byte{0xa6, 0x59, 0x59, 0xa6, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(aiv[4:], mli)
	p := append([]byte(nil), msg...)
	for len(p)%8 != 0 {
		p = append(p, pad)
	}
	if len(p) == 8 {
		block, err := aes.NewCipher(kek)
		if err != nil {
			panic(err)
		}
		out := concat(aiv, p)
		block.Encrypt(out, out)
		return out
	}
	return w3394(kek, aiv, p)
}

// kw3394 is RFC 3394's key wrap with its default IV A6A6A6A6A6A6A6A6.
func kw3394(kek, msg []byte) []byte {
	return w3394(kek, []byte{0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6}, msg)
}

// w3394 is the wrapping process W of RFC 3394, section 2.2.1.
func w3394(kek, iv, p []byte) []byte {
	block, err := aes.NewCipher(kek)
	if err != nil {
		panic(err)
	}
	n := len(p) / 8
	a := append([]byte(nil), iv...)
	r := make([][]byte, n)
	for i := range r {
		r[i] = append([]byte(nil), p[8*i:8*i+8]...)
	}
	b := make([]byte, 16)
	for j := range 6 {
		for i := range n {
			copy(b, a)
			copy(b[8:], r[i])
			block.Encrypt(b, b)
			t := uint64(n*j + i + 1)
			binary.BigEndian.PutUint64(a, binary.BigEndian.Uint64(b[:8])^t)
			copy(r[i], b[8:])
		}
	}
	out := a
	for _, x := range r {
		out = append(out, x...)
	}
	return out
}
