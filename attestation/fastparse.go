package attestation

import (
	"slices"
	"time"
	"unicode/utf8"
)

// The fast paths read the documents the platforms send, and nothing else,
// without reflection: a fresh document from a known enclave costs one
// signature check, and the general decoders cost a tenth of one more
// (fleet benchmark in cache_bench_test.go). Each accepts a subset of what
// its general decoder (parseSign1, decodePayload) accepts, returns what
// that decoder would (FuzzFastPaths holds them to it), and returns false
// for anything else, valid or not, which the general decoder then decides:
// a fast path never rejects and never makes an error.

// cborReader reads CBOR heads and strings, accepting non-minimal heads as
// strictMode does, and no indefinite lengths.
type cborReader []byte

// head reads an item's head: its major type and argument.
func (r *cborReader) head() (major byte, arg uint64, ok bool) {
	b := *r
	if len(b) == 0 {
		return 0, 0, false
	}
	major, ai := b[0]>>5, b[0]&0x1f
	var n int
	switch {
	case ai < 24:
		*r = b[1:]
		return major, uint64(ai), true
	case ai == 24:
		n = 1
	case ai == 25:
		n = 2
	case ai == 26:
		n = 4
	case ai == 27:
		n = 8
	default: // reserved, or an indefinite length
		return 0, 0, false
	}
	if len(b) < 1+n {
		return 0, 0, false
	}
	for _, x := range b[1 : 1+n] {
		arg = arg<<8 | uint64(x)
	}
	*r = b[1+n:]
	return major, arg, true
}

// str reads a byte or text string (as major says) of at most max bytes,
// returning it without copying.
func (r *cborReader) str(major byte, max int) ([]byte, bool) {
	m, n, ok := r.head()
	if !ok || m != major || n > uint64(max) || n > uint64(len(*r)) {
		return nil, false
	}
	s := (*r)[:n:n]
	*r = (*r)[n:]
	return s, true
}

// optional reads a byte string of at most max bytes (empty: not nil), or
// null (nil).
func (r *cborReader) optional(max int) ([]byte, bool) {
	if len(*r) > 0 && (*r)[0] == cborNull {
		*r = (*r)[1:]
		return nil, true
	}
	return r.str(majorBytes, max)
}

// Protected headers as the platforms send them: {1: -35}, minimally
// (Nitro) or with 32-bit integers (QingTian).
var (
	protectedMinimal  = string([]byte{0xa1, 0x01, 0x38, 0x22})
	protectedQingTian = string([]byte{0xa1, 0x1a, 0, 0, 0, 1, 0x3a, 0, 0, 0, 0x22})
)

// parseSign1Fast reads a COSE_Sign1 encoded minimally, tagged (18) or not,
// with one of the platforms' protected headers, an empty unprotected
// header and a 96-byte signature. Its slices alias doc.
func parseSign1Fast(doc []byte) (*sign1, bool) {
	r := cborReader(doc)
	if len(r) > 0 && r[0] == 0xd2 {
		r = r[1:]
	}
	if len(r) == 0 || r[0] != 0x84 { // array(4)
		return nil, false
	}
	r = r[1:]
	if len(r) == 0 || !minimalHead(r) {
		return nil, false
	}
	protected, ok := r.str(majorBytes, 16)
	if !ok || (string(protected) != protectedMinimal && string(protected) != protectedQingTian) {
		return nil, false
	}
	if len(r) == 0 || r[0] != 0xa0 { // {}
		return nil, false
	}
	r = r[1:]
	if len(r) == 0 || !minimalHead(r) {
		return nil, false
	}
	payload, ok := r.str(majorBytes, maxDocumentSize)
	if !ok || len(r) != 2+96 || r[0] != 0x58 || r[1] != 96 {
		return nil, false
	}
	return &sign1{protected: protected, payload: payload, signature: r[2:]}, true
}

// minimalHead reports whether the head at the start of b is minimal.
func minimalHead(b []byte) bool {
	ai := b[0] & 0x1f
	switch {
	case ai < 24:
		return true
	case ai == 24:
		return len(b) > 1 && b[1] >= 24
	case ai == 25:
		return len(b) > 2 && b[1] != 0
	case ai == 26:
		return len(b) > 4 && (b[1] != 0 || b[2] != 0)
	}
	return false
}

// Bits of the payload keys read, to refuse a key twice.
const (
	keyModuleID = 1 << iota
	keyDigest
	keyTimestamp
	keyPCRs
	keyCertificate
	keyCABundle
	keyPublicKey
	keyUserData
	keyNonce
	keysRequired = keyModuleID | keyDigest | keyTimestamp | keyPCRs | keyCertificate | keyCABundle
)

// decodePayloadFast reads a payload map, of definite or indefinite length,
// with the nine defined keys (public_key possibly named pubkey), no other
// and each value of its type and within its limits. The certificate and
// the cabundle alias b (their parsers copy them when they need to keep
// them); the rest is copied out of b, in one allocation.
func decodePayloadFast(b []byte) (*payload, bool) {
	r := cborReader(b)
	pairs, indefinite := 0, len(r) > 0 && r[0] == 0xbf
	if indefinite {
		r = r[1:]
	} else {
		m, n, ok := r.head()
		if !ok || m != majorMap || n > maxMapPairs {
			return nil, false
		}
		pairs = int(n)
	}

	// Read, then copy: the slices below alias b.
	var (
		seen                       int
		moduleID                   []byte
		ms                         uint64
		pcrIndex                   [maxPCRs]uint8
		pcrValue                   [maxPCRs][]byte
		npcrs                      int
		cert                       []byte
		cabundle                   [maxCABundle][]byte
		ncas                       int
		publicKey, userData, nonce []byte // nil: null or absent
		otherBytes                 int
	)
	for i := 0; ; i++ {
		if indefinite {
			if len(r) > 0 && r[0] == 0xff {
				r = r[1:]
				break
			}
			if i == maxMapPairs {
				return nil, false
			}
		} else if i == pairs {
			break
		}
		key, ok := r.str(majorText, 16)
		if !ok {
			return nil, false
		}
		var bit int
		switch string(key) {
		case "module_id":
			bit = keyModuleID
			moduleID, ok = r.str(majorText, maxModuleID)
			ok = ok && len(moduleID) > 0 && utf8.Valid(moduleID)
		case "digest":
			bit = keyDigest
			var d []byte
			d, ok = r.str(majorText, len("SHA384"))
			ok = ok && string(d) == "SHA384"
		case "timestamp":
			bit = keyTimestamp
			var m byte
			m, ms, ok = r.head()
			ok = ok && m == majorUint && ms != 0 && ms < maxTimestamp
		case "pcrs":
			bit = keyPCRs
			var m byte
			var n uint64
			m, n, ok = r.head()
			ok = ok && m == majorMap && n >= 1 && n <= maxPCRs
			var seenPCRs uint32
			for j := 0; ok && j < int(n); j++ {
				var idx uint64
				m, idx, ok = r.head()
				if !ok || m != majorUint || idx >= maxPCRs || seenPCRs&(1<<idx) != 0 {
					return nil, false
				}
				seenPCRs |= 1 << idx
				v, vok := r.str(majorBytes, 64)
				if !vok || (len(v) != 32 && len(v) != 48 && len(v) != 64) || (j > 0 && len(v) != len(pcrValue[0])) {
					return nil, false
				}
				pcrIndex[j], pcrValue[j] = uint8(idx), v
				otherBytes += len(v)
			}
			npcrs = int(n)
		case "certificate":
			bit = keyCertificate
			cert, ok = r.str(majorBytes, maxCertSize)
			ok = ok && len(cert) > 0
		case "cabundle":
			bit = keyCABundle
			var m byte
			var n uint64
			m, n, ok = r.head()
			ok = ok && m == majorArray && n >= 1 && n <= maxCABundle
			for j := 0; ok && j < int(n); j++ {
				cabundle[j], ok = r.str(majorBytes, maxCertSize)
				ok = ok && len(cabundle[j]) > 0
			}
			ncas = int(n)
		case "public_key", "pubkey":
			bit = keyPublicKey
			publicKey, ok = r.optional(maxUserField)
			otherBytes += len(publicKey)
		case "user_data":
			bit = keyUserData
			userData, ok = r.optional(maxUserField)
			otherBytes += len(userData)
		case "nonce":
			bit = keyNonce
			nonce, ok = r.optional(maxUserField)
			otherBytes += len(nonce)
		}
		if bit == 0 || !ok || seen&bit != 0 {
			return nil, false
		}
		seen |= bit
	}
	if len(r) != 0 || seen&keysRequired != keysRequired {
		return nil, false
	}

	buf := make([]byte, 0, otherBytes)
	clone := func(s []byte) []byte {
		if s == nil {
			return nil
		}
		i := len(buf)
		buf = append(buf, s...)
		return buf[i:len(buf):len(buf)]
	}
	p := &payload{
		moduleID:  string(moduleID),
		digest:    "SHA384",
		timestamp: time.UnixMilli(int64(ms)).UTC(),
		pcrs:      make(map[int][]byte, npcrs),
		cert:      cert,
		cabundle:  slices.Clone(cabundle[:ncas]),
		publicKey: clone(publicKey),
		userData:  clone(userData),
		nonce:     clone(nonce),
	}
	for j := range npcrs {
		p.pcrs[int(pcrIndex[j])] = clone(pcrValue[j])
	}
	return p, true
}
