package keyspec

import (
	"fmt"
	"math/big"
)

// SEC 1 section 2.3.3 point prefixes.
const (
	pointCompressedEven = 0x02
	pointCompressedOdd  = 0x03
	pointUncompressed   = 0x04
)

// decodePoint checks the SEC 1 encoding of a point of spec s and returns it
// uncompressed. This is the one place where compressed points are accepted:
// the x-coordinate must be below p and x³ + a·x + b must be a square, and
// the root of the requested parity is taken, so every accepted input names
// exactly one point of the curve. The caller's library still checks the
// uncompressed result against the curve equation. The point at infinity
// (00), hybrid points (06, 07) and every other length are rejected.
//
// Decompression uses math/big, which is not constant time; the input is a
// public key, so there is nothing secret to leak.
func decodePoint(s Spec, in []byte) ([]byte, error) {
	c := &curves[s]
	switch {
	case len(in) == 1+2*c.size && in[0] == pointUncompressed:
		return append([]byte(nil), in...), nil
	case len(in) == 1+c.size && (in[0] == pointCompressedEven || in[0] == pointCompressedOdd):
		x := new(big.Int).SetBytes(in[1:])
		if x.Cmp(c.p) >= 0 {
			return nil, fmt.Errorf("%w: %v compressed point has x >= p", ErrInvalidKey, s)
		}
		// y² = x³ + a·x + b mod p
		y2 := new(big.Int).Mul(x, x)
		y2.Add(y2, c.a)
		y2.Mul(y2, x)
		y2.Add(y2, c.b)
		y2.Mod(y2, c.p)
		y := new(big.Int).ModSqrt(y2, c.p)
		if y == nil {
			return nil, fmt.Errorf("%w: %v compressed point is not on the curve", ErrInvalidKey, s)
		}
		if y.Bit(0) != uint(in[0]&1) {
			y.Sub(c.p, y) // y is never 0: these curves have no point of order 2
		}
		out := make([]byte, 1+2*c.size)
		out[0] = pointUncompressed
		x.FillBytes(out[1 : 1+c.size])
		y.FillBytes(out[1+c.size:])
		return out, nil
	}
	return nil, fmt.Errorf("%w: %v point encoding of %d bytes is not uncompressed or compressed SEC 1", ErrInvalidKey, s, len(in))
}
