package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/kms/internal/core"
)

type inner struct {
	ID string `json:"Id"`
}

type request struct {
	inner
	Name   string         `json:"name"`
	Count  *int           `json:"count,omitempty"`
	Nested map[string]any `json:"nested,omitempty"`
	Skip   string         `json:"-"`
}

func TestDecode(t *testing.T) {
	var r request
	require.NoError(t, Decode([]byte(`{"Id":"x","name":"n","count":3,"nested":{"a":[1,{"b":2}]}}`), &r))
	require.Equal(t, "x", r.ID, "an embedded struct's fields are the outer object's")
	require.Equal(t, "n", r.Name)
	require.Equal(t, 3, *r.Count)
	require.NoError(t, Decode(nil, new(request)), "no body: no fields")

	for name, body := range map[string]string{
		"not JSON":          `{"name":`,
		"array":             `["name"]`,
		"string":            `"name"`,
		"trailing data":     `{"name":"n"}{}`,
		"unknown field":     `{"name":"n","other":1}`,
		"field case":        `{"Name":"n"}`,
		"embedded case":     `{"ID":"x"}`,
		"duplicate":         `{"name":"a","name":"b"}`,
		"nested duplicate":  `{"nested":{"a":1,"a":2}}`,
		"too deep":          `{"nested":{"a":[[[1]]]}}`,
		"wrong type":        `{"count":"3"}`,
		"ignored field set": `{"Skip":"x"}`,
	} {
		err := Decode([]byte(body), new(request))
		k, msg := core.KindOf(err)
		require.Equal(t, core.KindMalformedRequest, k, "%s: %v", name, err)
		require.NotEmpty(t, msg)
	}
}

func TestBase64(t *testing.T) {
	b, err := Base64("blob", "aGk=")
	require.NoError(t, err)
	require.Equal(t, []byte("hi"), b)
	for in, want := range map[string]core.Kind{
		"":      core.KindMissingParameter,
		"aGk":   core.KindInvalidParameter, // unpadded
		"aGl=":  core.KindInvalidParameter, // non-zero padding bits
		"a Gk=": core.KindInvalidParameter,
	} {
		b, err := Base64("blob", in)
		k, msg := core.KindOf(err)
		require.Nil(t, b)
		require.Equal(t, want, k, "%q", in)
		require.Contains(t, msg, "blob", "the error names the field")
	}
}

// A Blob gives what Base64 gives, its text remembered or not, decoded
// from a body or from a string; a text never gets another's bytes.
func TestBlob(t *testing.T) {
	long := func(b byte, n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, n)) }
	texts := []string{"", "AQID", "AQI", "AQI=", "AQJ=", "not base64!", long(1, 2000), long(2, 2000), long(1, 2001),
		long(1, 2000)[:2000] + "!" + long(1, 2000)[2001:], long(3, 3000) + "\n", long(5, 2000) + "\r", "\u00e9" + long(6, 2000)}
	type req struct {
		Doc Blob `json:"doc"`
	}
	for round := range 3 {
		for _, s := range texts {
			body, _ := json.Marshal(s)
			var r req
			if err := Decode([]byte(`{"doc":`+string(body)+`}`), &r); err != nil {
				t.Fatal(err)
			}
			// The text as JSON reads it: a body may escape it.
			var text string
			json.Unmarshal(body, &text)
			want, wantErr := Base64("f", text)
			for _, b := range []Blob{BlobOf(text), r.Doc} {
				got, err := b.Bytes("f")
				if !bytes.Equal(got, want) || (err == nil) != (wantErr == nil) || b.Len() != len(text) {
					t.Fatalf("round %d, %.20q: %x, %v; Base64: %x, %v", round, s, got, err, want, wantErr)
				}
				if err != nil {
					k, _ := core.KindOf(err)
					wk, _ := core.KindOf(wantErr)
					if k != wk {
						t.Fatalf("%.20q: error of kind %v, Base64's %v", s, k, wk)
					}
				}
			}
		}
	}
	// Escapes in the body: the text is what they stand for.
	text := long(0xff, 2000)
	var r req
	if err := Decode([]byte(`{"doc":"`+strings.ReplaceAll(text, "/", `\/`)+`"}`), &r); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Doc.Bytes("f"); err != nil || !bytes.Equal(got, bytes.Repeat([]byte{0xff}, 2000)) {
		t.Fatalf("escaped body: %v", err)
	}
	// A remembered text is found in a body without the string's checks
	// (the bytes are shared); one with line breaks is not remembered, so
	// its escapes are always read.
	for _, text := range []string{long(7, 2000), long(7, 999) + "\n" + long(7, 999)} {
		body, _ := json.Marshal(map[string]string{"doc": text})
		var r1, r2 req
		if err := Decode(body, &r1); err != nil {
			t.Fatal(err)
		}
		if err := Decode(body, &r2); err != nil {
			t.Fatal(err)
		}
		b1, err1 := r1.Doc.Bytes("f")
		b2, err2 := r2.Doc.Bytes("f")
		want, _ := Base64("f", text)
		if err1 != nil || err2 != nil || !bytes.Equal(b1, want) || !bytes.Equal(b2, want) || r2.Doc.Len() != len(text) {
			t.Fatalf("%.20q: %v, %v", text, err1, err2)
		}
		if shared := &b1[0] == &b2[0]; shared == strings.Contains(text, "\n") {
			t.Errorf("%.20q: remembered %v", text, shared)
		}
	}
	// Every slot holding another text: each text still gets its own bytes.
	for i := range remembered {
		remembered[i].Store(&decodedText{text: long(9, 2000), raw: []byte("another")})
	}
	b := BlobOf(long(4, 2000))
	if got, _ := b.Bytes("f"); !bytes.Equal(got, bytes.Repeat([]byte{4}, 2000)) {
		t.Fatalf("a text got another's bytes")
	}
	// null leaves a Blob as it was; another JSON type is the wrong type.
	r = req{Doc: BlobOf("AQID")}
	if err := Decode([]byte(`{"doc":null}`), &r); err != nil || r.Doc.Len() != 4 {
		t.Errorf("null: %v, %+v", err, r.Doc)
	}
	for _, v := range []string{`1`, `true`, `{}`, `[]`} {
		if err := Decode([]byte(`{"doc":`+v+`}`), &r); err == nil {
			t.Errorf("%s decoded into a Blob", v)
		}
	}
}
