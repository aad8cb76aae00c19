package attestation

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

// Limits on untrusted input. Every count and size is checked before the
// bytes are used, so that a hostile document costs little to reject.
const (
	// maxDocumentSize bounds a whole COSE_Sign1. The largest document the
	// platforms allow is under 40 KiB: five certificates of at most
	// maxCertSize, three user fields of at most maxUserField and 32 PCRs of
	// at most 64 bytes.
	maxDocumentSize = 64 << 10

	// maxCertSize is QingTian's CDDL limit for one DER certificate (Nitro's
	// are under 1 KiB).
	maxCertSize = 4096

	// maxUserField bounds public_key, user_data and nonce: QingTian's CDDL
	// allows 4096 bytes (Nitro's real documents reach 1024).
	maxUserField = 4096

	// maxModuleID bounds module_id: Huawei's SDK caps it at 127 characters,
	// Nitro's are about 40.
	maxModuleID = 256

	// maxCABundle bounds the cabundle: both platforms send 4 (root and three
	// intermediates); twice that leaves room for a deeper CA without letting
	// a document ask for unbounded signature checks.
	maxCABundle = 8

	// maxPCRs is the number of PCR indexes, 0..31, on both platforms.
	maxPCRs = 32

	// maxMapPairs bounds every CBOR map: the payload has 9 defined keys (the
	// rest is room for keys a platform may add later) and pcrs at most 32.
	maxMapPairs = 32

	// maxNesting bounds CBOR nesting. No defined field is deeper than 2
	// (payload → pcrs → bstr); unknown keys get a little room.
	maxNesting = 8

	// maxTimestamp is the first millisecond of the year 10000, so that every
	// timestamp prints as RFC 3339.
	maxTimestamp = 253402300800000
)

// The decoding modes. Both reject duplicate map keys, tags, invalid UTF-8,
// trailing bytes and anything over the limits above. Non-minimal integer
// and length encodings are decoded as their values: QingTian sends them
// (see decodePayload), and the signature covers the bytes as received.
var (
	// strictMode decodes every value inside the payload: definite lengths only.
	strictMode = mustDecMode(cbor.IndefLengthForbidden)
	// topMode decodes the payload map itself, which Nitro sends with an
	// indefinite length since 2026.
	topMode = mustDecMode(cbor.IndefLengthAllowed)
)

func mustDecMode(indef cbor.IndefLengthMode) cbor.DecMode {
	m, err := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      indef,
		TagsMd:           cbor.TagsForbidden,
		MaxNestedLevels:  maxNesting,
		MaxArrayElements: 16, // the library's minimum; cabundle is checked against maxCABundle
		MaxMapPairs:      maxMapPairs,
		UTF8:             cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}

// sign1 is a COSE_Sign1 whose structure has been checked but whose
// signature has not.
type sign1 struct {
	protected []byte // the protected header map, exactly as received
	payload   []byte // the payload, exactly as received
	signature []byte // 96 bytes: r || s
}

// payload holds the decoded payload fields, not yet verified.
type payload struct {
	moduleID  string
	digest    string
	timestamp time.Time
	pcrs      map[int][]byte
	cert      []byte   // leaf, DER
	cabundle  [][]byte // DER, root first
	publicKey []byte
	userData  []byte
	nonce     []byte
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// parseSign1 checks the COSE_Sign1 structure: tagged (18) or bare, a
// protected header of exactly {alg: ES384}, an empty unprotected header, an
// attached payload and a 96-byte signature.
func parseSign1(doc []byte) (*sign1, error) {
	if len(doc) == 0 {
		return nil, malformed("empty document")
	}
	if len(doc) > maxDocumentSize {
		return nil, malformed("document is %d bytes, more than %d", len(doc), maxDocumentSize)
	}
	if m, ok := parseSign1Fast(doc); ok {
		return m, nil
	}
	return parseSign1COSE(doc)
}

// parseSign1COSE is parseSign1 for the documents parseSign1Fast leaves.
func parseSign1COSE(doc []byte) (*sign1, error) {
	var m cose.Sign1Message
	var err error
	if doc[0] == 0xd2 { // tag 18, COSE_Sign1_Tagged
		err = m.UnmarshalCBOR(doc)
	} else {
		err = (*cose.UntaggedSign1Message)(&m).UnmarshalCBOR(doc)
	}
	if err != nil {
		return nil, malformed("COSE_Sign1: %v", err)
	}
	if alg, err := m.Headers.Protected.Algorithm(); err != nil || alg != cose.AlgorithmES384 {
		return nil, malformed("protected header: alg is not ES384")
	}
	if len(m.Headers.Protected) != 1 {
		return nil, malformed("protected header: parameters other than alg")
	}
	if len(m.Headers.Unprotected) != 0 {
		return nil, malformed("unprotected header is not empty")
	}
	if m.Payload == nil {
		return nil, malformed("COSE_Sign1: detached payload")
	}
	if len(m.Signature) != 96 {
		return nil, malformed("signature is %d bytes, not 96", len(m.Signature))
	}
	var protected []byte
	if err := strictMode.Unmarshal(m.Headers.RawProtected, &protected); err != nil {
		return nil, malformed("protected header: %v", err)
	}
	return &sign1{protected: protected, payload: m.Payload, signature: m.Signature}, nil
}

// CBOR major types, as the top three bits of an item's first byte.
const (
	majorUint  = 0
	majorBytes = 2
	majorText  = 3
	majorArray = 4
	majorMap   = 5
	cborNull   = 0xf6
)

func major(raw cbor.RawMessage) byte { return raw[0] >> 5 }

// decodePayload decodes the payload map strictly. This is the one place
// where the real platforms' departures from their specs (PLATFORMS.md) are
// accepted, and nothing else is:
//
//   - the payload map may have an indefinite length (Nitro since 2026);
//     nothing inside it may;
//   - integers and lengths may be encoded non-minimally (QingTian);
//   - public_key, user_data and nonce may be null (Nitro), read as nil like
//     an absent field, or empty (QingTian), read as an empty non-nil slice,
//     and up to maxUserField bytes long;
//   - the enclave key may be named public_key (both, really) or pubkey
//     (Huawei's CDDL), but not both;
//   - keys may come in any order, and unknown keys are ignored.
func decodePayload(b []byte) (*payload, error) {
	if p, ok := decodePayloadFast(b); ok {
		return p, nil
	}
	return decodePayloadCBOR(b)
}

// decodePayloadCBOR is decodePayload for the payloads decodePayloadFast
// leaves.
func decodePayloadCBOR(b []byte) (*payload, error) {
	if len(b) == 0 || major(b) != majorMap {
		return nil, malformed("payload is not a map")
	}
	var top map[string]cbor.RawMessage
	if err := topMode.Unmarshal(b, &top); err != nil {
		return nil, malformed("payload: %v", err)
	}
	p := new(payload)
	for key, raw := range top {
		var err error
		switch key {
		case "module_id":
			p.moduleID, err = decodeText(raw, maxModuleID)
		case "digest":
			p.digest, err = decodeText(raw, len("SHA384"))
		case "timestamp":
			p.timestamp, err = decodeTimestamp(raw)
		case "pcrs":
			p.pcrs, err = decodePCRs(raw)
		case "certificate":
			p.cert, err = decodeBytes(raw, maxCertSize, false)
		case "cabundle":
			p.cabundle, err = decodeCABundle(raw)
		case "public_key", "pubkey":
			if _, ok := top["public_key"]; ok && key == "pubkey" {
				return nil, malformed("payload: both public_key and pubkey")
			}
			p.publicKey, err = decodeBytes(raw, maxUserField, true)
		case "user_data":
			p.userData, err = decodeBytes(raw, maxUserField, true)
		case "nonce":
			p.nonce, err = decodeBytes(raw, maxUserField, true)
		default:
			// Unknown keys are ignored, but must still be well formed
			// with definite lengths.
			err = strictMode.Wellformed(raw)
		}
		if err != nil {
			return nil, malformed("payload: %s: %v", key, err)
		}
	}
	switch {
	case p.moduleID == "":
		return nil, malformed("payload: module_id missing or empty")
	case p.digest != "SHA384":
		return nil, malformed("payload: digest is not SHA384")
	case p.timestamp.IsZero():
		return nil, malformed("payload: timestamp missing")
	case p.pcrs == nil:
		return nil, malformed("payload: pcrs missing")
	case p.cert == nil:
		return nil, malformed("payload: certificate missing")
	case p.cabundle == nil:
		return nil, malformed("payload: cabundle missing")
	}
	return p, nil
}

func decodeText(raw cbor.RawMessage, max int) (string, error) {
	if major(raw) != majorText {
		return "", errors.New("not a text string")
	}
	var s string
	if err := strictMode.Unmarshal(raw, &s); err != nil {
		return "", err
	}
	if len(s) == 0 || len(s) > max {
		return "", fmt.Errorf("text of %d bytes, want 1..%d", len(s), max)
	}
	return s, nil
}

// decodeBytes decodes a byte string of 1..max bytes. If optional, it may
// also be null, which decodes as nil, or empty, which decodes as an empty
// non-nil slice.
func decodeBytes(raw cbor.RawMessage, max int, optional bool) ([]byte, error) {
	if optional && len(raw) == 1 && raw[0] == cborNull {
		return nil, nil
	}
	if major(raw) != majorBytes {
		return nil, errors.New("not a byte string")
	}
	var b []byte
	if err := strictMode.Unmarshal(raw, &b); err != nil {
		return nil, err
	}
	if (len(b) == 0 && !optional) || len(b) > max {
		return nil, fmt.Errorf("byte string of %d bytes, want at most %d", len(b), max)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

func decodeTimestamp(raw cbor.RawMessage) (time.Time, error) {
	if major(raw) != majorUint {
		return time.Time{}, errors.New("not an unsigned integer")
	}
	var ms uint64
	if err := strictMode.Unmarshal(raw, &ms); err != nil {
		return time.Time{}, err
	}
	if ms == 0 || ms >= maxTimestamp || ms > math.MaxInt64 {
		return time.Time{}, fmt.Errorf("timestamp %d out of range", ms)
	}
	return time.UnixMilli(int64(ms)).UTC(), nil
}

func decodePCRs(raw cbor.RawMessage) (map[int][]byte, error) {
	if major(raw) != majorMap {
		return nil, errors.New("not a map")
	}
	var m map[uint64]cbor.RawMessage
	if err := strictMode.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if len(m) == 0 || len(m) > maxPCRs {
		return nil, fmt.Errorf("%d PCRs, want 1..%d", len(m), maxPCRs)
	}
	pcrs := make(map[int][]byte, len(m))
	size := 0
	for i, v := range m {
		if i >= maxPCRs {
			return nil, fmt.Errorf("PCR index %d out of range", i)
		}
		b, err := decodeBytes(v, 64, false)
		if err != nil {
			return nil, fmt.Errorf("PCR%d: %w", i, err)
		}
		// One platform hashes every PCR with one function: SHA-256,
		// SHA-384 or SHA-512.
		if size == 0 {
			size = len(b)
		}
		if (len(b) != 32 && len(b) != 48 && len(b) != 64) || len(b) != size {
			return nil, fmt.Errorf("PCR%d is %d bytes, want 32, 48 or 64 like the others", i, len(b))
		}
		pcrs[int(i)] = b
	}
	return pcrs, nil
}

func decodeCABundle(raw cbor.RawMessage) ([][]byte, error) {
	if major(raw) != majorArray {
		return nil, errors.New("not an array")
	}
	var a []cbor.RawMessage
	if err := strictMode.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	if len(a) == 0 || len(a) > maxCABundle {
		return nil, fmt.Errorf("%d certificates, want 1..%d", len(a), maxCABundle)
	}
	bundle := make([][]byte, len(a))
	for i, v := range a {
		b, err := decodeBytes(v, maxCertSize, false)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		bundle[i] = b
	}
	return bundle, nil
}
