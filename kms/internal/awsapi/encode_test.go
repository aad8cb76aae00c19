package awsapi

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// appenders are the responses that encode themselves (encode.go).
var appenders = []jsonAppender{
	&awsEncryptResponse{},
	&awsDecryptResponse{},
	&awsGenerateDataKeyResponse{},
	&awsGenerateDataKeyWithoutPlaintextResponse{},
	&awsReEncryptResponse{},
	&awsErrorBody{},
}

// jsonStrings are strings that each of encoding/json's escapes touches.
var jsonStrings = []string{
	"", "SYMMETRIC_DEFAULT", "arn:aws:kms:us-east-1:000000000000:key/0123abcd-wxyz-4a5b-8c9d-0123456789yz",
	`"`, `\`, "<", ">", "&", "<script>&amp;</script>", "\x00", "\x01\x1f\x7f", "\b\f\n\r\t",
	"\u2028", "\u2029", "a\u2028b\u2029c", "\u2027\u202a", "é", "日本語", "\U0001F600",
	"\xff", "\xc3", "a\xc3(b", "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf",
	"ok\x00\"\\<&>\xff\u2028end",
}

// TestAppendJSONMatchesMarshal checks that each appender writes what
// json.Marshal writes of it, with every string member (they are filled
// through reflection, so a member added to a response is covered) set to
// strings that need each kind of escape, to random bytes and to random
// runes, and every blob member nil, empty and random.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	strs := append([]string(nil), jsonStrings...)
	for range 300 {
		strs = append(strs, randomBytes(rng), randomRunes(rng))
	}
	blobs := [][]byte{nil, {}, {0}, {0xff, 0xfe}, []byte("hello world")}
	for range 50 {
		blobs = append(blobs, []byte(randomBytes(rng)))
	}
	for _, a := range appenders {
		typ := reflect.TypeOf(a).Elem()
		t.Run(typ.Name(), func(t *testing.T) {
			for i := range 2000 {
				v := reflect.New(typ)
				for f := range typ.NumField() {
					switch field := v.Elem().Field(f); {
					case field.Kind() == reflect.String:
						field.SetString(strs[(i+f*7)%len(strs)])
					case field.Type() == reflect.TypeFor[[]byte]():
						field.SetBytes(blobs[(i+f*3)%len(blobs)])
					case field.Type() == reflect.TypeFor[keyARN]():
						field.Set(reflect.ValueOf(keyARN{strs[(i+f*5)%len(strs)], strs[(i+f*11)%len(strs)]}))
					default:
						t.Fatalf("%s.%s: a member of type %s is not covered", typ.Name(), typ.Field(f).Name, field.Type())
					}
				}
				checkAppend(t, v.Interface().(jsonAppender))
			}
			checkAppend(t, reflect.Zero(reflect.PointerTo(typ)).Interface().(jsonAppender)) // nil: null
		})
	}
}

func checkAppend(t *testing.T, a jsonAppender) {
	t.Helper()
	want, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.appendJSON(nil); !bytes.Equal(got, want) {
		t.Fatalf("appendJSON of %#v:\n got %s\nwant %s", a, got, want)
	}
	// Appended after other bytes, as into a reused buffer.
	if got := a.appendJSON([]byte("xyz")); !bytes.Equal(got, append([]byte("xyz"), want...)) {
		t.Fatalf("appendJSON after bytes of %#v:\n got %s\nwant xyz%s", a, got, want)
	}
}

func randomBytes(rng *rand.Rand) string {
	b := make([]byte, rng.IntN(24))
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return string(b)
}

func randomRunes(rng *rand.Rand) string {
	var sb strings.Builder
	for range rng.IntN(12) {
		var r rune
		switch rng.IntN(4) {
		case 0:
			r = rune(rng.IntN(0x80))
		case 1:
			r = rune(0x2020 + rng.IntN(16)) // around U+2028 and U+2029
		case 2:
			r = rune(rng.IntN(0x10000))
		default:
			r = rune(rng.IntN(utf8.MaxRune + 1))
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// FuzzAppendJSON checks appendString and appendBlob against json.Marshal
// through the error body and the Encrypt response.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range jsonStrings {
		f.Add(s, []byte(s))
	}
	f.Fuzz(func(t *testing.T, s string, blob []byte) {
		checkAppend(t, &awsErrorBody{Type: s, Message: s + "x"})
		checkAppend(t, &awsEncryptResponse{CiphertextBlob: blob, EncryptionAlgorithm: s, KeyID: keyARN{s, string(blob)}})
		checkAppend(t, &awsDecryptResponse{Plaintext: blob, KeyID: keyARN{string(blob), s}})
	})
}

// TestKeyARN: the API's key ARNs are the core's, in both forms.
func TestKeyARN(t *testing.T) {
	for _, opts := range []core.Options{{}, {SeedARNs: true}, {Account: "123456789012", Region: "cn-north-4"}} {
		k, err := core.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		a := New(k)
		id := "0123abcd-wxyz-4a5b-8c9d-0123456789yz"
		if got, want := a.keyARN(id).String(), k.KeyARN(id); got != want {
			t.Errorf("%+v: keyARN is %q, KeyARN %q", opts, got, want)
		}
		k.Close()
	}
}

// TestWriteJSONReusesClearedBuffers checks that a response is written whole
// after a larger one and an oversized one, whose buffers are not kept.
func TestWriteJSONReusesClearedBuffers(t *testing.T) {
	for _, n := range []int{5000, maxPooledResponse, 10, 0, 100} {
		v := &awsDecryptResponse{EncryptionAlgorithm: "SYMMETRIC_DEFAULT", KeyID: keyARN{"arn:", "k"}, Plaintext: bytes.Repeat([]byte{7}, n)}
		rec := httptest.NewRecorder()
		writeJSON(rec, 200, v)
		want, _ := json.Marshal(v)
		if !bytes.Equal(rec.Body.Bytes(), want) || rec.Header().Get("Content-Type") != awsContentType {
			t.Fatalf("%d-byte plaintext: got %q with %q", n, rec.Body.Bytes(), rec.Header().Get("Content-Type"))
		}
	}
}
