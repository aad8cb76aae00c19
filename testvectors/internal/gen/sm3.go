package main

import (
	"encoding/binary"
	"math/bits"
)

// sm3 is the SM3 hash of GB/T 32905-2016, written out from the standard.
func sm3(msg []byte) [32]byte {
	v := [8]uint32{0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e}
	// Padding: 1 bit, zeros to 448 mod 512, the length in bits (64-bit BE).
	padded := append(append([]byte(nil), msg...), 0x80)
	for len(padded)%64 != 56 {
		padded = append(padded, 0)
	}
	padded = binary.BigEndian.AppendUint64(padded, uint64(len(msg))*8)
	rotl := bits.RotateLeft32
	p0 := func(x uint32) uint32 { return x ^ rotl(x, 9) ^ rotl(x, 17) }
	p1 := func(x uint32) uint32 { return x ^ rotl(x, 15) ^ rotl(x, 23) }
	for blk := 0; blk < len(padded); blk += 64 {
		var w [68]uint32
		var w1 [64]uint32
		for j := range 16 {
			w[j] = binary.BigEndian.Uint32(padded[blk+4*j:])
		}
		for j := 16; j < 68; j++ {
			w[j] = p1(w[j-16]^w[j-9]^rotl(w[j-3], 15)) ^ rotl(w[j-13], 7) ^ w[j-6]
		}
		for j := range 64 {
			w1[j] = w[j] ^ w[j+4]
		}
		a, b, c, d, e, f, g, h := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
		for j := range 64 {
			t := uint32(0x79cc4519)
			if j >= 16 {
				t = 0x7a879d8a
			}
			ss1 := rotl(rotl(a, 12)+e+rotl(t, j%32), 7)
			ss2 := ss1 ^ rotl(a, 12)
			var ff, gg uint32
			if j < 16 {
				ff, gg = a^b^c, e^f^g
			} else {
				ff, gg = (a&b)|(a&c)|(b&c), (e&f)|(^e&g)
			}
			tt1 := ff + d + ss2 + w1[j]
			tt2 := gg + h + ss1 + w[j]
			d, c, b, a = c, rotl(b, 9), a, tt1
			h, g, f, e = g, rotl(f, 19), e, p0(tt2)
		}
		for i, x := range [8]uint32{a, b, c, d, e, f, g, h} {
			v[i] ^= x
		}
	}
	var out [32]byte
	for i, x := range v {
		binary.BigEndian.PutUint32(out[4*i:], x)
	}
	return out
}
