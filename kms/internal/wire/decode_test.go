package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/internal/cpuclock"
	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// refDecode is the decoder this package had before its own: a strict
// token walk (duplicate keys at any depth, exact field names at every
// level, depth, trailing data), then encoding/json with
// DisallowUnknownFields. FuzzDecode holds Decode to it.
func refDecode(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return errRef
	}
	if err := refObject(dec, reflect.TypeOf(v).Elem(), 1); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errRef
	}
	strict := json.NewDecoder(bytes.NewReader(body))
	strict.DisallowUnknownFields()
	if err := strict.Decode(v); err != nil {
		return errRef
	}
	return nil
}

var errRef = errors.New("refused")

// refObject walks an object whose '{' was read, for a value of type t:
// a struct's keys must be its exact JSON names.
func refObject(dec *json.Decoder, t reflect.Type, depth int) error {
	if depth > maxJSONDepth {
		return errRef
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var allowed map[string]reflect.Type
	if t != nil && t.Kind() == reflect.Struct && !reflect.PointerTo(t).Implements(jsonType) {
		allowed = refFields(t)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errRef
		}
		key := tok.(string)
		if seen[key] {
			return errRef
		}
		seen[key] = true
		var vt reflect.Type
		if allowed != nil {
			var ok bool
			if vt, ok = allowed[key]; !ok {
				return errRef
			}
		} else if t != nil && t.Kind() == reflect.Map {
			vt = t.Elem()
		}
		if err := refValue(dec, vt, depth); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return errRef
	}
	return nil
}

func refValue(dec *json.Decoder, t reflect.Type, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return errRef
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch tok {
	case json.Delim('{'):
		return refObject(dec, t, depth+1)
	case json.Delim('['):
		if depth+1 > maxJSONDepth {
			return errRef
		}
		var et reflect.Type
		if t != nil && t.Kind() == reflect.Slice {
			et = t.Elem()
		}
		for dec.More() {
			if err := refValue(dec, et, depth+1); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return errRef
		}
	}
	return nil
}

// refFields returns a struct's JSON names (tagged fields and embedded
// structs' fields) and their types.
func refFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Tag.Get("json") == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				maps.Copy(m, refFields(et))
				continue
			}
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = f.Type
		}
	}
	return m
}

// secret is a type with its own UnmarshalJSON, like huawei.Secret.
type secret struct{ s *string }

func (s *secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	s.s = &v
	return nil
}

type tag struct {
	Key   string `json:"TagKey"`
	Value string `json:"TagValue"`
}

type recipientModel struct {
	Doc string `json:"AttestationDocument,omitempty"`
	Alg string `json:"KeyEncryptionAlgorithm,omitempty"`
}

type keyedModel struct {
	KeyID  string   `json:"KeyId"`
	Grants []string `json:"GrantTokens,omitempty"`
}

// model has a field of every kind the front ends' models use.
type model struct {
	keyedModel
	Plaintext string            `json:"Plaintext"`
	Bytes     *int              `json:"NumberOfBytes,omitempty"`
	Expires   *int64            `json:"expiration_time,omitempty"`
	Count     uint16            `json:"count,omitempty"`
	Ratio     float64           `json:"ratio,omitempty"`
	Plain     *bool             `json:"with_plain_text,omitempty"`
	Multi     bool              `json:"MultiRegion,omitempty"`
	Context   map[string]string `json:"EncryptionContext,omitempty"`
	Counts    map[string]int    `json:"counts,omitempty"`
	Recipient *recipientModel   `json:"Recipient,omitempty"`
	Tags      []tag             `json:"Tags,omitempty"`
	Pin       secret            `json:"pin"`
	Raw       []byte            `json:"raw,omitempty"`
	Any       any               `json:"any,omitempty"`
	Policy    *string           `json:"Policy,omitempty"`
	Doc       Blob              `json:"doc,omitempty"`
	DocP      *Blob             `json:"docp,omitempty"`
}

// TestDecodeRules: each rule, on the kinds of field the models have.
func TestDecodeRules(t *testing.T) {
	var m model
	require.NoError(t, Decode([]byte(` {"KeyId":"k","GrantTokens":["a","b"],"Plaintext":"p\u00e9\ud83d\ude00\n","NumberOfBytes":-0,"expiration_time":9223372036854775807,
		"count":65535,"ratio":-1.5e-3,"with_plain_text":false,"MultiRegion":true,"EncryptionContext":{"a":"b","":""},"counts":{"x":1},
		"Recipient":{"AttestationDocument":"ZA=="},"Tags":[{"TagKey":"k","TagValue":"v"}],"pin":"1234","raw":"AQI=","any":{"x":[1,"y",null]},"Policy":null} `), &m))
	require.Equal(t, model{
		keyedModel: keyedModel{KeyID: "k", Grants: []string{"a", "b"}},
		Plaintext:  "p\u00e9\U0001F600\n", Bytes: new(int), Expires: ptr(int64(1<<63 - 1)), Count: 65535, Ratio: -1.5e-3, Plain: new(bool), Multi: true,
		Context: map[string]string{"a": "b", "": ""}, Counts: map[string]int{"x": 1}, Recipient: &recipientModel{Doc: "ZA=="},
		Tags: []tag{{"k", "v"}}, Pin: secret{ptr("1234")}, Raw: []byte{1, 2}, Any: map[string]any{"x": []any{1.0, "y", nil}},
	}, m)
	require.NoError(t, Decode([]byte(`{"KeyId":null,"Tags":[],"EncryptionContext":{}}`), &m))
	require.Equal(t, "k", m.KeyID, "null leaves a string as it was, as with encoding/json")
	require.Equal(t, []tag{}, m.Tags)

	for name, body := range map[string]string{
		"empty":                   ` `,
		"nested field case":       `{"Recipient":{"attestationDocument":"x"}}`,
		"slice element case":      `{"Tags":[{"tagKey":"k"}]}`,
		"nested unknown":          `{"Recipient":{"Other":"x"}}`,
		"map duplicate":           `{"EncryptionContext":{"a":"b","a":"c"}}`,
		"duplicate in any":        `{"any":{"a":1,"a":1}}`,
		"duplicate after escapes": `{"KeyId":"a","Key\u0049d":"b"}`,
		"many keys duplicate":     `{"any":{` + manyKeys(40) + `,"k7":0}}`,
		"too deep in a slice":     `{"Tags":[{"TagKey":{"a":1}}]}`,
		"too deep in any":         `{"any":[[[[1]]]]}`,
		"wrong type in map":       `{"EncryptionContext":{"a":1}}`,
		"wrong type in slice":     `{"GrantTokens":[1]}`,
		"fraction to int":         `{"NumberOfBytes":1.0}`,
		"exponent to int":         `{"NumberOfBytes":1e3}`,
		"int overflow":            `{"expiration_time":9223372036854775808}`,
		"uint overflow":           `{"count":65536}`,
		"negative uint":           `{"count":-1}`,
		"float overflow":          `{"ratio":1e400}`,
		"bool as string":          `{"MultiRegion":"true"}`,
		"string as bool":          `{"Plaintext":true}`,
		"object as string":        `{"Plaintext":{}}`,
		"array as struct":         `{"Recipient":[]}`,
		"unmarshaler refuses":     `{"pin":1}`,
		"bad base64 for []byte":   `{"raw":"!"}`,
		"trailing comma":          `{"KeyId":"k",}`,
		"trailing comma in array": `{"GrantTokens":["a",]}`,
		"leading zero":            `{"NumberOfBytes":01}`,
		"bare minus":              `{"NumberOfBytes":-}`,
		"control character":       "{\"KeyId\":\"a\x01\"}",
		"bad escape":              `{"KeyId":"\x"}`,
		"short unicode escape":    `{"KeyId":"\u00"}`,
		"unterminated string":     `{"KeyId":"abc`,
		"unterminated object":     `{"KeyId":"abc"`,
		"missing colon":           `{"KeyId" "abc"}`,
		"single quotes":           `{'KeyId':'abc'}`,
		"literal typo":            `{"MultiRegion":tru}`,
		"data after":              `{"KeyId":"k"} x`,
		"a NUL after":             "{\"KeyId\":\"k\"}\x00",
		"second object":           `{"KeyId":"k"}{}`,
		"null body":               `null`,
	} {
		err := Decode([]byte(body), new(model))
		k, msg := core.KindOf(err)
		require.Equal(t, core.KindMalformedRequest, k, "%s: %v", name, err)
		require.NotEmpty(t, msg)
		require.Error(t, refDecode([]byte(body), new(model)), "%s: the reference refuses it too", name)
	}

	// Strings must be UTF-8, where encoding/json would put U+FFFD.
	for name, body := range map[string]string{
		"invalid byte":       "{\"KeyId\":\"a\xff\"}",
		"invalid in escapes": "{\"KeyId\":\"\\n\xc3\"}",
		"lone surrogate":     `{"KeyId":"\ud83d"}`,
		"reversed pair":      `{"KeyId":"\ude00\ud83d"}`,
		"surrogate in a key": `{"EncryptionContext":{"\udfff":"x"}}`,
	} {
		err := Decode([]byte(body), new(model))
		require.ErrorIs(t, err, errInvalidUTF8, name)
		require.NoError(t, refDecode([]byte(body), new(model)), "%s: encoding/json accepts it", name)
	}

	// The wrong type is named by the field's JSON path.
	_, msg := core.KindOf(Decode([]byte(`{"Recipient":{"AttestationDocument":1}}`), new(model)))
	require.Contains(t, msg, "Recipient.AttestationDocument")
}

func ptr[T any](v T) *T { return &v }

// manyKeys returns n members "k0":0, "k1":0, ...
func manyKeys(n int) string {
	var keys []string
	for i := range n {
		keys = append(keys, `"k`+strconv.Itoa(i)+`":0`)
	}
	return strings.Join(keys, ",")
}

// TestDecodeEmbedded: embedded structs lend their fields as in
// encoding/json, through pointers too; a shallower field hides a deeper
// one, and two at the same depth hide each other.
func TestDecodeEmbedded(t *testing.T) {
	type inner struct {
		A string `json:"a"`
		B string `json:"b"`
	}
	type other struct {
		B string `json:"b"`
		C string `json:"c"`
	}
	type Inner struct {
		D string `json:"d"`
	}
	type outer struct {
		*inner
		other
		*Inner
		A string `json:"a"`
	}
	var o outer
	require.NoError(t, Decode([]byte(`{"a":"outer","c":"c","d":"d"}`), &o))
	require.Equal(t, "outer", o.A)
	require.Equal(t, "c", o.C)
	require.Equal(t, "d", o.D, "through an exported pointer, allocated")
	require.Nil(t, o.inner, "no field of inner was sent")
	for _, body := range []string{`{"b":"x"}`, `{"e":"x"}`} {
		require.Error(t, Decode([]byte(body), new(outer)), "%s: b is ambiguous, so no field has it; e is none", body)
		require.Error(t, refDecode([]byte(body), new(outer)), "nor in encoding/json")
	}
	// The fields of an unexported embedded pointer cannot be set.
	type hidden struct {
		*inner
	}
	require.Error(t, Decode([]byte(`{"b":"x"}`), new(hidden)))
	require.Error(t, refDecode([]byte(`{"b":"x"}`), new(hidden)))
}

// FuzzDecode holds Decode to the reference: the same bodies are refused,
// apart from the strings that are not UTF-8 (which encoding/json would
// change), and the same values come out of the others.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","Plaintext":"aGk=","EncryptionContext":{"a":"b"}}`,
		`{"KeyId":"k","NumberOfBytes":32,"Recipient":{"AttestationDocument":"hEQ=","KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_256"}}`,
		`{"Tags":[{"TagKey":"a","TagValue":"b"},{"TagKey":"c","TagValue":"d"}],"GrantTokens":["x"]}`,
		`{"with_plain_text":true,"MultiRegion":false,"count":7,"ratio":1e2,"expiration_time":-12}`,
		`{"pin":"x","raw":"AQID","any":[1,{"a":null},"s"],"Policy":"{\"Version\":\"2012-10-17\"}"}`,
		`{"counts":{"a":1,"b":-2},"KeyId":"\u00e9\ud83d\ude00"}`,
		`{"KeyId":"a","KeyId":"b"}`, `{"keyid":"a"}`, `{"Recipient":{"attestationdocument":"x"}}`,
		`{"NumberOfBytes":1.5}`, `{"any":[[[[1]]]]}`, `{"KeyId":"k"} `, `[]`, ``,
		"{}\x00", "{} \x00", // a NUL after the object, found by CI's short run
		`{"doc":"AQID","docp":"AQI\u003d"}`, `{"doc":"AQJ=","docp":null}`, `{"doc":null,"docp":"x\n"}`, `{"doc":1}`,
		`{"doc":"` + strings.Repeat("AQID", 300) + `","docp":"` + strings.Repeat("AQID", 300) + `"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got, want model
		err := Decode(body, &got)
		refErr := refDecode(body, &want)
		if k, _ := core.KindOf(err); err != nil && k != core.KindMalformedRequest {
			t.Fatalf("%q: error of kind %v", body, k)
		}
		switch {
		case err == nil && refErr == nil:
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: decoded %+v, the reference %+v", body, got, want)
			}
		case err == nil:
			t.Fatalf("%q: accepted, the reference refuses it", body)
		case refErr == nil && !errors.Is(err, errInvalidUTF8):
			t.Fatalf("%q: refused (%v), the reference accepts it", body, err)
		case errors.Is(err, errInvalidUTF8) && utf8.Valid(body) && !bytes.Contains(body, []byte(`\u`)) && !bytes.Contains(body, []byte(`\U`)):
			t.Fatalf("%q: refused as invalid UTF-8", body)
		}
	})
}

// BenchmarkDecode decodes the bodies the front ends see most, with Decode
// and with the reference (the two-pass decoder it replaced) interleaved in
// one loop, timed with the thread's CPU clock; "x" is Decode's time over
// the reference's.
func BenchmarkDecode(b *testing.B) {
	doc := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xd2, 0x84, 0x44, 0xa1}, 1200))
	type awsEncrypt struct {
		keyedModel
		Plaintext           string            `json:"Plaintext"`
		EncryptionAlgorithm string            `json:"EncryptionAlgorithm,omitempty"`
		EncryptionContext   map[string]string `json:"EncryptionContext,omitempty"`
	}
	type huaweiRecipient struct {
		Doc string `json:"attestation_document,omitempty"`
		Alg string `json:"key_encryption_algorithm,omitempty"`
	}
	type huaweiDerive struct {
		KeyID     string           `json:"key_id"`
		Algorithm string           `json:"key_agreement_algorithm"`
		PublicKey string           `json:"public_key"`
		Recipient *huaweiRecipient `json:"recipient,omitempty"`
	}
	for _, bc := range []struct {
		name string
		body string
		new  func() any
	}{
		{"aws-encrypt", `{"EncryptionContext":{"purpose":"test"},"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","Plaintext":"aGVsbG8gd29ybGQ="}`, func() any { return new(awsEncrypt) }},
		{"huawei-derive-recipient", `{"key_id":"1234abcd-12ab-34cd-56ef-1234567890ab","key_agreement_algorithm":"ECDH","public_key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4UPptf7NVo2H+8Mz1V1dMz9x+DGdQSFxwLsqkUSXy4XNgs6bnxMtUB3WuI9GGzIYw21R/+w4lJvNDxYjd/Q1sQ==",` +
			`"recipient":{"attestation_document":"` + doc + `","key_encryption_algorithm":"RSAES_OAEP_SHA_256"}}` + "\n", func() any { return new(huaweiDerive) }},
		{"aws-generate-data-key", `{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","NumberOfBytes":32}`, func() any { return new(model) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			body := []byte(bc.body)
			if err := Decode(body, bc.new()); err != nil {
				b.Fatal(err)
			}
			if err := refDecode(body, bc.new()); err != nil {
				b.Fatal(err)
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var ours, ref time.Duration
			for b.Loop() {
				t0 := cpuclock.Thread()
				Decode(body, bc.new())
				t1 := cpuclock.Thread()
				refDecode(body, bc.new())
				ours, ref = ours+t1-t0, ref+cpuclock.Thread()-t1
			}
			b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "ours-ns/op")
			b.ReportMetric(float64(ref.Nanoseconds())/float64(b.N), "reference-ns/op")
			b.ReportMetric(float64(ours)/float64(ref), "x")
		})
	}
}

// plain8 never calls a word plain that holds a byte that is not: every
// byte value at every position, among plain bytes and beside others.
func TestPlain8(t *testing.T) {
	word := func(b []byte) uint64 {
		var x uint64
		for i := 7; i >= 0; i-- {
			x = x<<8 | uint64(b[i])
		}
		return x
	}
	for _, fill := range []byte{'A', 0x20, 0x7f, '#', '[', 0x21, 0x5d} {
		for pos := range 8 {
			for c := range 256 {
				b := bytes.Repeat([]byte{fill}, 8)
				b[pos] = byte(c)
				if plain8(word(b)) && !plain[c] {
					t.Fatalf("plain8(%q) = true", b)
				}
				// A special byte below another one is found too.
				for _, other := range []byte{'"', '\\', 0x00, 0x1f, 0x80, 0xff} {
					b2 := bytes.Clone(b)
					b2[(pos+3)%8] = other
					if plain8(word(b2)) {
						t.Fatalf("plain8(%q) = true", b2)
					}
				}
			}
		}
	}
	// Words of plain bytes only are plain (the fast path is taken).
	for _, s := range []string{"ABCDEFGH", "abc+/xyz", "        ", "~~~~~~~~", "!#$%&'()", "0123=9=="} {
		if !plain8(word([]byte(s))) {
			t.Errorf("plain8(%q) = false", s)
		}
	}
}
