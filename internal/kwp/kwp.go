// Package kwp implements AES key wrap with padding (RFC 5649), which
// import-key-material uses for encrypted_privatekey: the private key wrapped
// under the intermediate AES key that encrypted_key_material carries. The
// client side wraps (Wrap), the server side unwraps (Unwrap).
//
// # Security limits
//
// Unwrap returns ErrUnwrap for every failure, whatever the cause, and makes
// its integrity and padding checks without branching on secret data.
// Inputs are bounded: at most 8 KiB of plaintext.
package kwp

import (
	"crypto/aes"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

// ErrUnwrap is the one error of every failed unwrap, whatever the cause.
var ErrUnwrap = errors.New("kms: key unwrap failed")

// kwpIV is the alternative initial value's constant half (RFC 5649 §3).
var kwpIV = [4]byte{0xa6, 0x59, 0x59, 0xa6}

// maxWrapLen bounds the plaintext of a wrap: a PKCS#8 RSA-4096 key is about
// 2.4 KB; import tokens and private keys are capped at 6144 base64
// characters anyway.
const maxWrapLen = 8 << 10

// Wrap wraps plaintext (1 to 8 KiB) under kek (16, 24 or 32 bytes).
func Wrap(kek, plaintext []byte) ([]byte, error) {
	if len(plaintext) == 0 || len(plaintext) > maxWrapLen {
		return nil, errors.New("kms: key wrap input length out of range")
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	n := (len(plaintext) + 7) / 8
	out := make([]byte, 8+8*n)
	copy(out, kwpIV[:])
	binary.BigEndian.PutUint32(out[4:8], uint32(len(plaintext)))
	copy(out[8:], plaintext) // the padding is already zero
	if n == 1 {
		block.Encrypt(out, out)
		return out, nil
	}
	// RFC 3394 W with the alternative initial value in out[:8].
	var b [16]byte
	for j := 0; j < 6; j++ {
		for i := 1; i <= n; i++ {
			copy(b[:8], out[:8])
			copy(b[8:], out[8*i:8*i+8])
			block.Encrypt(b[:], b[:])
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(out[:8], binary.BigEndian.Uint64(b[:8])^t)
			copy(out[8*i:], b[8:])
		}
	}
	return out, nil
}

// Unwrap reverses Wrap. Every failure returns ErrUnwrap; the integrity and
// padding checks are made without branching on secret data.
func Unwrap(kek, wrapped []byte) ([]byte, error) {
	if len(wrapped) < 16 || len(wrapped)%8 != 0 || len(wrapped) > maxWrapLen+8 {
		return nil, ErrUnwrap
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, ErrUnwrap
	}
	n := len(wrapped)/8 - 1
	buf := make([]byte, len(wrapped))
	copy(buf, wrapped)
	if n == 1 {
		block.Decrypt(buf, buf)
	} else {
		var b [16]byte
		for j := 5; j >= 0; j-- {
			for i := n; i >= 1; i-- {
				t := uint64(n*j + i)
				binary.BigEndian.PutUint64(b[:8], binary.BigEndian.Uint64(buf[:8])^t)
				copy(b[8:], buf[8*i:8*i+8])
				block.Decrypt(b[:], b[:])
				copy(buf[:8], b[:8])
				copy(buf[8*i:], b[8:])
			}
		}
	}
	// Checks of RFC 5649 §3: the constant, 8(n-1) < MLI <= 8n, zero padding.
	ok := subtle.ConstantTimeCompare(buf[:4], kwpIV[:])
	mli := binary.BigEndian.Uint32(buf[4:8])
	hi := uint32(8 * n)
	lo := uint32(8 * (n - 1))
	// mli in (lo, hi]: both differences are non-negative iff bit 63 is clear.
	inRange := 1 ^ int(((uint64(hi)-uint64(mli))|(uint64(mli)-uint64(lo)-1))>>63)
	ok &= inRange
	// Padding: bytes at positions >= mli must be zero. Clamp mli so a bad
	// length cannot index out of range; ok already records the failure.
	m := int(mli)
	if inRange == 0 {
		m = 8 * n
	}
	var pad byte
	for i := 0; i < 8*n; i++ {
		// mask is 0xff when i >= m.
		mask := byte(subtle.ConstantTimeLessOrEq(m, i) * 0xff)
		pad |= buf[8+i] & mask
	}
	ok &= subtle.ConstantTimeByteEq(pad, 0)
	if ok != 1 {
		clear(buf)
		return nil, ErrUnwrap
	}
	out := make([]byte, m)
	copy(out, buf[8:8+m])
	clear(buf)
	return out, nil
}
