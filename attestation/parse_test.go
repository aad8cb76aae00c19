package attestation

import (
	"bytes"
	"errors"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// validPayload returns the fields of a minimal valid payload; the
// certificates need not parse, decodePayload does not look inside them.
func validPayload() map[string]any {
	return map[string]any{
		"module_id":   "i-1",
		"digest":      "SHA384",
		"timestamp":   uint64(1700000000000),
		"pcrs":        map[uint64][]byte{0: make([]byte, 48), 31: bytes.Repeat([]byte{1}, 48)},
		"certificate": []byte{0x30},
		"cabundle":    [][]byte{{0x30}},
		"public_key":  nil,
		"user_data":   []byte{},
		"nonce":       []byte("n"),
	}
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodePayloadRules(t *testing.T) {
	if p, err := decodePayload(encode(t, validPayload())); err != nil || p.publicKey != nil || p.userData == nil || len(p.userData) != 0 || string(p.nonce) != "n" {
		t.Fatalf("valid payload: %+v, %v", p, err)
	}
	pcrs := func(n, size int) map[uint64][]byte {
		m := map[uint64][]byte{}
		for i := range n {
			m[uint64(i)] = make([]byte, size)
		}
		return m
	}
	for name, change := range map[string]func(m map[string]any){
		"module_id missing":    func(m map[string]any) { delete(m, "module_id") },
		"module_id empty":      func(m map[string]any) { m["module_id"] = "" },
		"module_id too long":   func(m map[string]any) { m["module_id"] = string(bytes.Repeat([]byte{'a'}, maxModuleID+1)) },
		"module_id bytes":      func(m map[string]any) { m["module_id"] = []byte("i-1") },
		"module_id null":       func(m map[string]any) { m["module_id"] = nil },
		"digest SHA256":        func(m map[string]any) { m["digest"] = "SHA256" },
		"digest missing":       func(m map[string]any) { delete(m, "digest") },
		"timestamp zero":       func(m map[string]any) { m["timestamp"] = uint64(0) },
		"timestamp negative":   func(m map[string]any) { m["timestamp"] = int64(-1) },
		"timestamp text":       func(m map[string]any) { m["timestamp"] = "1700000000000" },
		"timestamp float":      func(m map[string]any) { m["timestamp"] = 1.7e12 },
		"timestamp year 10000": func(m map[string]any) { m["timestamp"] = uint64(maxTimestamp) },
		"timestamp missing":    func(m map[string]any) { delete(m, "timestamp") },
		"pcrs empty":           func(m map[string]any) { m["pcrs"] = map[uint64][]byte{} },
		"pcrs 33":              func(m map[string]any) { m["pcrs"] = pcrs(33, 48) },
		"pcr index 32":         func(m map[string]any) { m["pcrs"] = map[uint64][]byte{32: make([]byte, 48)} },
		"pcr index negative":   func(m map[string]any) { m["pcrs"] = map[int64][]byte{-1: make([]byte, 48)} },
		"pcr index text":       func(m map[string]any) { m["pcrs"] = map[string][]byte{"0": make([]byte, 48)} },
		"pcr 47 bytes":         func(m map[string]any) { m["pcrs"] = pcrs(1, 47) },
		"pcr 0 bytes":          func(m map[string]any) { m["pcrs"] = pcrs(1, 0) },
		"pcr mixed sizes":      func(m map[string]any) { m["pcrs"] = map[uint64][]byte{0: make([]byte, 48), 1: make([]byte, 32)} },
		"pcr text": func(m map[string]any) {
			m["pcrs"] = map[uint64]string{0: "000000000000000000000000000000000000000000000000"}
		},
		"pcr array of bytes":     func(m map[string]any) { m["pcrs"] = map[uint64][]uint64{0: make([]uint64, 48)} },
		"pcrs missing":           func(m map[string]any) { delete(m, "pcrs") },
		"certificate empty":      func(m map[string]any) { m["certificate"] = []byte{} },
		"certificate null":       func(m map[string]any) { m["certificate"] = nil },
		"certificate too big":    func(m map[string]any) { m["certificate"] = make([]byte, maxCertSize+1) },
		"certificate missing":    func(m map[string]any) { delete(m, "certificate") },
		"cabundle empty":         func(m map[string]any) { m["cabundle"] = [][]byte{} },
		"cabundle too long":      func(m map[string]any) { m["cabundle"] = make([][]byte, maxCABundle+1) },
		"cabundle entry empty":   func(m map[string]any) { m["cabundle"] = [][]byte{{}} },
		"cabundle of text":       func(m map[string]any) { m["cabundle"] = []string{"0"} },
		"cabundle bytes":         func(m map[string]any) { m["cabundle"] = []byte{0x30} },
		"cabundle missing":       func(m map[string]any) { delete(m, "cabundle") },
		"nonce too big":          func(m map[string]any) { m["nonce"] = make([]byte, maxUserField+1) },
		"nonce text":             func(m map[string]any) { m["nonce"] = "n" },
		"user_data int":          func(m map[string]any) { m["user_data"] = 1 },
		"public_key and pubkey":  func(m map[string]any) { m["pubkey"] = []byte("k") },
		"public_key null+pubkey": func(m map[string]any) { m["public_key"], m["pubkey"] = nil, []byte("k") },
		"unknown key, tag":       func(m map[string]any) { m["future"] = cbor.Tag{Number: 1, Content: 0} },
		"too many keys":          func(m map[string]any) { addKeys(m, maxMapPairs) },
	} {
		t.Run(name, func(t *testing.T) {
			m := validPayload()
			change(m)
			if p, err := decodePayload(encode(t, m)); !errors.Is(err, ErrMalformed) || p != nil {
				t.Fatalf("decodePayload = %+v, %v; want ErrMalformed", p, err)
			}
		})
	}
	for name, change := range map[string]func(m map[string]any){
		"pubkey":        func(m map[string]any) { delete(m, "public_key"); m["pubkey"] = []byte("k") },
		"unknown keys":  func(m map[string]any) { m["future"] = map[string]any{"a": []any{1, "b"}}; m["x"] = nil },
		"absent fields": func(m map[string]any) { delete(m, "public_key"); delete(m, "user_data"); delete(m, "nonce") },
		"1 PCR of 64":   func(m map[string]any) { m["pcrs"] = pcrs(1, 64) },
		"32 PCRs of 32": func(m map[string]any) { m["pcrs"] = pcrs(32, 32) },
		"4096 bytes":    func(m map[string]any) { m["nonce"], m["user_data"] = make([]byte, 4096), make([]byte, 4096) },
	} {
		t.Run(name, func(t *testing.T) {
			m := validPayload()
			change(m)
			if _, err := decodePayload(encode(t, m)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func addKeys(m map[string]any, n int) {
	for i := range n {
		m[string(rune('A'+i))] = i
	}
}

// Hand-encoded payloads: what an encoder will not produce.
func TestDecodePayloadEncodings(t *testing.T) {
	valid := encode(t, validPayload())
	body := valid[1:] // the nine pairs after the map head a9
	for _, tc := range []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"indefinite map", append(append([]byte{0xbf}, body...), 0xff), true},
		{"duplicate key", append(append([]byte{0xaa}, body...), 0x65, 'n', 'o', 'n', 'c', 'e', 0x41, 'n'), false},
		{"trailing byte", append(bytes.Clone(valid), 0x00), false},
		{"indefinite map unterminated", append([]byte{0xbf}, body...), false},
		{"map count too high", append([]byte{0xaa}, body...), false},
		{"inner indefinite bytes", append(append([]byte{0xbf}, body...), 0x63, 'x', 'y', 'z', 0x5f, 0x41, 'a', 0xff, 0xff), false},
		{"not a map", encode(t, []any{1}), false},
		{"empty", nil, false},
		{"tagged map", append([]byte{0xc0}, valid...), false},
		{"text key non-minimal", append(append([]byte{0xaa}, body...), 0x78, 0x01, 'z', 0x01), true},
		{"int key", append(append([]byte{0xaa}, body...), 0x01, 0x01), false},
		{"invalid UTF-8 key", append(append([]byte{0xaa}, body...), 0x61, 0xff, 0x01), false},
	} {
		p, err := decodePayload(tc.b)
		if tc.ok != (err == nil) || (err != nil && (!errors.Is(err, ErrMalformed) || p != nil)) {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestParseSign1Rules(t *testing.T) {
	protected := encode(t, map[int]int{1: -35})
	payload := encode(t, validPayload())
	sig := make([]byte, 96)
	valid := encode(t, []any{protected, map[int]int{}, payload, sig})
	if _, err := parseSign1(valid); err != nil {
		t.Fatal(err)
	}
	if _, err := parseSign1(append([]byte{0xd2}, valid...)); err != nil {
		t.Fatal("tagged:", err)
	}
	for name, doc := range map[string][]byte{
		"empty":                nil,
		"too big":              append(bytes.Clone(valid), make([]byte, maxDocumentSize)...),
		"other tag":            append([]byte{0xd1}, valid...),
		"tag 18 twice":         append([]byte{0xd2, 0xd2}, valid...),
		"trailing":             append(bytes.Clone(valid), 0),
		"ES256":                encode(t, []any{encode(t, map[int]int{1: -7}), map[int]int{}, payload, sig}),
		"alg missing":          encode(t, []any{encode(t, map[int]int{}), map[int]int{}, payload, sig}),
		"alg as text":          encode(t, []any{encode(t, map[int]string{1: "ES384"}), map[int]int{}, payload, sig}),
		"extra protected":      encode(t, []any{encode(t, map[int]int{1: -35, 4: 1}), map[int]int{}, payload, sig}),
		"protected not bytes":  encode(t, []any{map[int]int{1: -35}, map[int]int{}, payload, sig}),
		"unprotected null":     encode(t, []any{protected, nil, payload, sig}),
		"unprotected not map":  encode(t, []any{protected, []int{}, payload, sig}),
		"unprotected kid":      encode(t, []any{protected, map[int][]byte{4: {1}}, payload, sig}),
		"detached payload":     encode(t, []any{protected, map[int]int{}, nil, sig}),
		"payload text":         encode(t, []any{protected, map[int]int{}, "x", sig}),
		"signature 95":         encode(t, []any{protected, map[int]int{}, payload, sig[:95]}),
		"signature 97":         encode(t, []any{protected, map[int]int{}, payload, append(sig, 0)}),
		"signature empty":      encode(t, []any{protected, map[int]int{}, payload, []byte{}}),
		"three elements":       encode(t, []any{protected, map[int]int{}, payload}),
		"five elements":        encode(t, []any{protected, map[int]int{}, payload, sig, sig}),
		"array of bytes sig":   encode(t, []any{protected, map[int]int{}, payload, make([]uint, 96)}),
		"a map":                encode(t, map[int]int{1: 1}),
		"protected duplicates": encode(t, []any{[]byte{0xa2, 0x01, 0x38, 0x22, 0x01, 0x38, 0x22}, map[int]int{}, payload, sig}),
	} {
		if m, err := parseSign1(doc); !errors.Is(err, ErrMalformed) || m != nil {
			t.Errorf("%s: parseSign1 = %v, %v; want ErrMalformed", name, m, err)
		}
	}
	// QingTian's non-minimal protected header is accepted, and kept as received.
	qt := []byte{0xa1, 0x1a, 0, 0, 0, 1, 0x3a, 0, 0, 0, 0x22}
	m, err := parseSign1(encode(t, []any{qt, map[int]int{}, payload, sig}))
	if err != nil || !bytes.Equal(m.protected, qt) {
		t.Fatalf("QingTian protected header: %v", err)
	}
}
