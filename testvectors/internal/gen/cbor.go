package main

import "encoding/binary"

// A small CBOR encoder (RFC 8949) that writes exactly the bytes asked for,
// including the encodings a strict decoder must reject or that real
// platforms send: non-minimal heads, indefinite lengths, duplicate keys.

// CBOR major types.
const (
	cborUint   = 0
	cborNeg    = 1
	cborBytes  = 2
	cborText   = 3
	cborArray  = 4
	cborMap    = 5
	cborTag    = 6
	cborSimple = 7
)

// cborHead encodes a head minimally.
func cborHead(major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return []byte{m | byte(n)}
	case n <= 0xff:
		return []byte{m | 24, byte(n)}
	case n <= 0xffff:
		return cborHeadWide(major, n, 2)
	case n <= 0xffffffff:
		return cborHeadWide(major, n, 4)
	}
	return cborHeadWide(major, n, 8)
}

// cborHeadWide encodes a head with an argument of exactly size bytes (1,
// 2, 4 or 8), minimal or not.
func cborHeadWide(major byte, n uint64, size int) []byte {
	m := major << 5
	switch size {
	case 1:
		return []byte{m | 24, byte(n)}
	case 2:
		return binary.BigEndian.AppendUint16([]byte{m | 25}, uint16(n))
	case 4:
		return binary.BigEndian.AppendUint32([]byte{m | 26}, uint32(n))
	}
	return binary.BigEndian.AppendUint64([]byte{m | 27}, n)
}

func cborUintOf(n uint64) []byte { return cborHead(cborUint, n) }

// cborInt encodes a signed integer minimally.
func cborInt(n int64) []byte {
	if n >= 0 {
		return cborHead(cborUint, uint64(n))
	}
	return cborHead(cborNeg, uint64(-1-n))
}

func cborBstr(b []byte) []byte { return append(cborHead(cborBytes, uint64(len(b))), b...) }

func cborTstr(s string) []byte { return append(cborHead(cborText, uint64(len(s))), s...) }

// cborArrayOf encodes a definite-length array of encoded items.
func cborArrayOf(items ...[]byte) []byte {
	return append(cborHead(cborArray, uint64(len(items))), concat(items...)...)
}

var (
	cborNull  = []byte{0xf6}
	cborFalse = []byte{0xf4}
	cborBreak = []byte{0xff}
)

// entry is a map entry: an encoded key and an encoded value.
type entry struct {
	key, val []byte
}

// textEntry is an entry with a text key.
func textEntry(key string, val []byte) entry { return entry{cborTstr(key), val} }

// cborMapOf encodes a map of entries in the order given, with a definite or
// an indefinite length.
func cborMapOf(indefinite bool, entries ...entry) []byte {
	var out []byte
	if indefinite {
		out = []byte{0xbf}
	} else {
		out = cborHead(cborMap, uint64(len(entries)))
	}
	for _, e := range entries {
		out = append(out, e.key...)
		out = append(out, e.val...)
	}
	if indefinite {
		out = append(out, cborBreak...)
	}
	return out
}
