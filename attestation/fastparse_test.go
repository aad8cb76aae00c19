package attestation

import (
	"bytes"
	"os"
	"reflect"
	"testing"
	"time"
)

// enc writes CBOR: minimal heads, or 32-bit ones if wide.
type enc struct {
	b    []byte
	wide bool
}

func (e *enc) head(major byte, n uint64) {
	switch {
	case e.wide:
		e.b = append(e.b, major<<5|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	case n < 24:
		e.b = append(e.b, major<<5|byte(n))
	case n < 1<<8:
		e.b = append(e.b, major<<5|24, byte(n))
	case n < 1<<16:
		e.b = append(e.b, major<<5|25, byte(n>>8), byte(n))
	default:
		e.b = append(e.b, major<<5|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

func (e *enc) bytes(b []byte) {
	if b == nil {
		e.b = append(e.b, cborNull)
		return
	}
	e.head(majorBytes, uint64(len(b)))
	e.b = append(e.b, b...)
}

func (e *enc) text(s string) { e.head(majorText, uint64(len(s))); e.b = append(e.b, s...) }

// payloadShape is a payload to encode, in the shapes the platforms send
// and in others that only the general decoder accepts, or neither.
type payloadShape struct {
	indefinite bool   // the top map with an indefinite length
	wide       bool   // every head 32 bits wide
	keyName    string // "public_key" if empty
	omit       bool   // leave null fields out
	extra      string // a key to add with the value 1 ("nonce": a duplicate)
	pcrs       map[int][]byte
	publicKey  []byte // nil: null
	userData   []byte
	nonce      []byte
}

func (s payloadShape) encode(ts time.Time, cert []byte, cabundle [][]byte) []byte {
	e := &enc{wide: s.wide}
	type field struct {
		key   string
		value func()
		null  bool
	}
	if s.keyName == "" {
		s.keyName = "public_key"
	}
	if s.pcrs == nil {
		s.pcrs = fleetPCRs
	}
	fields := []field{
		{"module_id", func() { e.text("i-0123456789abcdef0-enc0123456789abcdef") }, false},
		{"digest", func() { e.text("SHA384") }, false},
		{"timestamp", func() { e.head(majorUint, uint64(ts.UnixMilli())) }, false},
		{"pcrs", func() {
			e.head(majorMap, uint64(len(s.pcrs)))
			for i := range 2 * maxPCRs {
				if v, ok := s.pcrs[i]; ok {
					e.head(majorUint, uint64(i))
					e.bytes(v)
				}
			}
		}, false},
		{"certificate", func() { e.bytes(cert) }, false},
		{"cabundle", func() {
			e.head(majorArray, uint64(len(cabundle)))
			for _, c := range cabundle {
				e.bytes(c)
			}
		}, false},
		{s.keyName, func() { e.bytes(s.publicKey) }, s.publicKey == nil},
		{"user_data", func() { e.bytes(s.userData) }, s.userData == nil},
		{"nonce", func() { e.bytes(s.nonce) }, s.nonce == nil},
	}
	if s.extra != "" {
		fields = append(fields, field{s.extra, func() { e.head(majorUint, 1) }, false})
	}
	n := 0
	for _, f := range fields {
		if !(s.omit && f.null) {
			n++
		}
	}
	if s.indefinite {
		e.b = append(e.b, 0xbf)
	} else {
		e.head(majorMap, uint64(n))
	}
	for _, f := range fields {
		if !(s.omit && f.null) {
			e.text(f.key)
			f.value()
		}
	}
	if s.indefinite {
		e.b = append(e.b, 0xff)
	}
	return e.b
}

// sign1Shape wraps a payload in a COSE_Sign1 (with a signature that does
// not verify: only parsing is tested).
type sign1Shape struct {
	tagged      bool
	qingtian    bool // QingTian's protected header, with 32-bit integers
	widePayload bool // the payload's head 32 bits wide
}

func (s sign1Shape) encode(payload []byte) []byte {
	e := &enc{}
	if s.tagged {
		e.b = append(e.b, 0xd2)
	}
	e.head(majorArray, 4)
	if s.qingtian {
		e.bytes([]byte(protectedQingTian))
	} else {
		e.bytes([]byte(protectedMinimal))
	}
	e.head(majorMap, 0)
	e.wide = s.widePayload
	e.bytes(payload)
	e.wide = false
	e.bytes(bytes.Repeat([]byte{0x5a}, 96))
	return e.b
}

// checkFastPaths fails unless every document and payload that a fast path
// accepts, its general decoder accepts too, with the same result.
func checkFastPaths(t *testing.T, raw []byte) (sign1Fast, payloadFast bool) {
	t.Helper()
	if m, ok := parseSign1Fast(raw); ok && len(raw) <= maxDocumentSize {
		sign1Fast = true
		general, err := parseSign1COSE(raw)
		if err != nil || !reflect.DeepEqual(m, general) {
			t.Fatalf("parseSign1Fast = %+v; parseSign1COSE = %+v, %v", m, general, err)
		}
	}
	payloads := [][]byte{raw}
	if m, err := parseSign1(raw); err == nil {
		payloads = append(payloads, m.payload)
	}
	for _, b := range payloads {
		if p, ok := decodePayloadFast(b); ok {
			payloadFast = true
			general, err := decodePayloadCBOR(b)
			if err != nil || !reflect.DeepEqual(p, general) {
				t.Fatalf("decodePayloadFast = %+v; decodePayloadCBOR = %+v, %v", p, general, err)
			}
		}
	}
	return sign1Fast, payloadFast
}

// fastPathSeeds returns documents in the shapes payloadShape and
// sign1Shape make, each with whether the fast paths take it, and the
// QingTian test document.
func fastPathSeeds(tb testing.TB) []struct {
	name                     string
	raw                      []byte
	sign1Fast, payloadFast   bool
	generalSign1, generalPay bool // whether the general decoders accept it
} {
	f := newFleet(tb, 1, 1, 1)
	l := f.leaves[0]
	ts := time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	rsa := benchRSAKey(tb)
	type seed = struct {
		name                     string
		raw                      []byte
		sign1Fast, payloadFast   bool
		generalSign1, generalPay bool
	}
	var seeds []seed
	for _, p := range []struct {
		name    string
		shape   payloadShape
		fast    bool
		general bool
	}{
		{"nitro", payloadShape{publicKey: rsa, nonce: []byte("nonce")}, true, true},
		{"indefinite", payloadShape{indefinite: true, publicKey: rsa}, true, true},
		{"pubkey", payloadShape{keyName: "pubkey", userData: []byte("u")}, true, true},
		{"empty", payloadShape{publicKey: []byte{}, userData: []byte{}, nonce: []byte{}}, true, true},
		{"absent", payloadShape{omit: true}, true, true},
		{"wide", payloadShape{wide: true, nonce: []byte{1}}, true, true},
		{"sha256 PCRs", payloadShape{pcrs: map[int][]byte{0: make([]byte, 32), 31: make([]byte, 32)}}, true, true},
		{"unknown key", payloadShape{extra: "qtenclave_future_key"}, false, true},
		{"both key names", payloadShape{extra: "pubkey"}, false, false},
		{"duplicate", payloadShape{extra: "nonce"}, false, false},
		{"mixed PCR sizes", payloadShape{pcrs: map[int][]byte{0: make([]byte, 32), 1: make([]byte, 48)}}, false, false},
		{"PCR 32", payloadShape{pcrs: map[int][]byte{32: make([]byte, 48)}}, false, false},
		{"user_data too long", payloadShape{userData: make([]byte, maxUserField+1)}, false, false},
	} {
		payload := p.shape.encode(ts, l.der, l.bundle)
		for _, s := range []struct {
			name  string
			shape sign1Shape
			fast  bool
		}{
			{"", sign1Shape{}, true},
			{"/tagged", sign1Shape{tagged: true}, true},
			{"/qingtian", sign1Shape{qingtian: true}, true},
			{"/wide payload head", sign1Shape{widePayload: true}, false},
		} {
			seeds = append(seeds, seed{p.name + s.name, s.shape.encode(payload), s.fast, p.fast, true, p.general})
		}
	}
	qt, err := os.ReadFile("testdata/qingtian_test_authority.cbor")
	if err != nil {
		tb.Fatal(err)
	}
	return append(seeds, seed{"qingtian test authority", qt, true, true, true, true})
}

func TestFastPaths(t *testing.T) {
	for _, s := range fastPathSeeds(t) {
		t.Run(s.name, func(t *testing.T) {
			sign1Fast, payloadFast := checkFastPaths(t, s.raw)
			if sign1Fast != s.sign1Fast || payloadFast != s.payloadFast {
				t.Errorf("fast paths took the COSE_Sign1 %v, the payload %v; want %v, %v", sign1Fast, payloadFast, s.sign1Fast, s.payloadFast)
			}
			m, err := parseSign1(s.raw)
			if (err == nil) != s.generalSign1 {
				t.Fatalf("parseSign1: %v", err)
			}
			if err != nil {
				return
			}
			if _, err := decodePayload(m.payload); (err == nil) != s.generalPay {
				t.Errorf("decodePayload: %v", err)
			}
		})
	}
}

// FuzzFastPaths holds the fast paths to the general decoders: whatever a
// fast path accepts, the general decoder accepts, with the same result.
func FuzzFastPaths(f *testing.F) {
	for _, s := range fastPathSeeds(f) {
		f.Add(s.raw)
		if m, err := parseSign1(s.raw); err == nil {
			f.Add(m.payload)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkFastPaths(t, raw)
	})
}
