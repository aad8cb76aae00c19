package awsapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sync"
	"unicode/utf8"
)

// Response encoding. Every response is JSON as encoding/json's Marshal
// writes it (members in struct order, HTML-escaped strings, blobs as padded
// standard base64, a nil blob as null). The responses of the data path
// (Encrypt, Decrypt, the data keys, ReEncrypt, errors) append themselves to
// a pooled buffer instead, byte for byte what Marshal writes
// (TestAppendJSONMatchesMarshal): Marshal's reflection and its copies were
// a tenth of the CPU and a fifth of the garbage of an Encrypt's handling
// after its signature check (BenchmarkEncodeEncryptResponse: the append
// takes a quarter of Marshal's time).

// jsonAppender is a response that appends its JSON, exactly as json.Marshal
// encodes it, to b.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// maxPooledResponse bounds the buffers kept for reuse: a data path response
// is a few hundred bytes; a rare large one is left to the collector.
const maxPooledResponse = 16 << 10

var responseBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// contentType is the Content-Type header value of every response, shared:
// nothing changes a header's values in place.
var contentType = []string{awsContentType}

// writeJSON writes status and v's JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header()["Content-Type"] = contentType
	if a, ok := v.(jsonAppender); ok {
		bp := responseBufs.Get().(*[]byte)
		b := a.appendJSON((*bp)[:0])
		w.WriteHeader(status)
		w.Write(b)
		// The buffer may hold a plaintext (Decrypt, GenerateDataKey):
		// cleared before it is reused.
		clear(b)
		if cap(b) <= maxPooledResponse {
			*bp = b[:0]
			responseBufs.Put(bp)
		}
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"__type":"KMSInternalException","message":"internal error"}`)
	}
	w.WriteHeader(status)
	w.Write(b)
}

// jsonSafe holds the ASCII bytes that encoding/json writes as they are in
// a string: printable, not '"' or '\\', and not '<', '>' or '&', which it
// writes as \u003c, \u003e and \u0026 so that the JSON is safe inside
// HTML.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// appendString appends s as a JSON string, escaped as json.Marshal escapes
// it: the escapes \" \\ \b \f \n \r \t, \u00XX (lower-case hex) for the
// other control characters and for < > &, \ufffd for each byte of invalid
// UTF-8, and \u2028 and \u2029 (which JavaScript takes for line ends).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

// appendEscaped appends s escaped as appendString escapes it, without the
// quotes.
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0 // s[start:i] is still to be copied
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}

// keyARN is a key's ARN as a response gives it: the API's prefix and the
// key ID, joined only by json.Marshal (MarshalJSON) and String; the data
// path's responses write the two parts as one string without joining them.
type keyARN struct{ prefix, id string }

func (k keyARN) String() string { return k.prefix + k.id }

func (k keyARN) MarshalJSON() ([]byte, error) { return json.Marshal(k.String()) }

// appendKeyARN appends k as the JSON string of k.String(). Each part is
// escaped on its own when the prefix is ASCII, which no escape of the ID
// can then straddle; otherwise they are joined first.
func appendKeyARN(b []byte, k keyARN) []byte {
	for i := 0; i < len(k.prefix); i++ {
		if k.prefix[i] >= utf8.RuneSelf {
			return appendString(b, k.String())
		}
	}
	b = append(b, '"')
	b = appendEscaped(b, k.prefix)
	b = appendEscaped(b, k.id)
	return append(b, '"')
}

// appendBlob appends a blob member's value as json.Marshal encodes a
// []byte: padded standard base64 in a string, or null for nil.
func appendBlob(b []byte, p []byte) []byte {
	if p == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, p)
	return append(b, '"')
}

// The members of an object: each appends `"name":value`, after a comma
// unless it is the object's first. name is a constant member name that
// needs no escaping.

func appendName(b []byte, name string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

func appendStringMember(b []byte, name, s string) []byte {
	return appendString(appendName(b, name), s)
}

func appendKeyARNMember(b []byte, name string, k keyARN) []byte {
	return appendKeyARN(appendName(b, name), k)
}

func appendBlobMember(b []byte, name string, p []byte) []byte {
	return appendBlob(appendName(b, name), p)
}

// appendBlobMemberOmitEmpty is appendBlobMember for a member tagged
// omitempty: nothing for an empty blob.
func appendBlobMemberOmitEmpty(b []byte, name string, p []byte) []byte {
	if len(p) == 0 {
		return b
	}
	return appendBlobMember(b, name, p)
}

func (r *awsEncryptResponse) appendJSON(b []byte) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	b = appendBlobMember(b, "CiphertextBlob", r.CiphertextBlob)
	b = appendStringMember(b, "EncryptionAlgorithm", r.EncryptionAlgorithm)
	b = appendKeyARNMember(b, "KeyId", r.KeyID)
	return append(b, '}')
}

func (r *awsDecryptResponse) appendJSON(b []byte) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	b = appendBlobMemberOmitEmpty(b, "CiphertextForRecipient", r.CiphertextForRecipient)
	b = appendStringMember(b, "EncryptionAlgorithm", r.EncryptionAlgorithm)
	b = appendKeyARNMember(b, "KeyId", r.KeyID)
	b = appendBlobMemberOmitEmpty(b, "Plaintext", r.Plaintext)
	return append(b, '}')
}

func (r *awsGenerateDataKeyResponse) appendJSON(b []byte) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	b = appendBlobMember(b, "CiphertextBlob", r.CiphertextBlob)
	b = appendBlobMemberOmitEmpty(b, "CiphertextForRecipient", r.CiphertextForRecipient)
	b = appendKeyARNMember(b, "KeyId", r.KeyID)
	b = appendBlobMemberOmitEmpty(b, "Plaintext", r.Plaintext)
	return append(b, '}')
}

func (r *awsGenerateDataKeyWithoutPlaintextResponse) appendJSON(b []byte) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	b = appendBlobMember(b, "CiphertextBlob", r.CiphertextBlob)
	b = appendKeyARNMember(b, "KeyId", r.KeyID)
	return append(b, '}')
}

func (r *awsReEncryptResponse) appendJSON(b []byte) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	b = appendBlobMember(b, "CiphertextBlob", r.CiphertextBlob)
	b = appendStringMember(b, "DestinationEncryptionAlgorithm", r.DestinationEncryptionAlgorithm)
	b = appendKeyARNMember(b, "KeyId", r.KeyID)
	b = appendStringMember(b, "SourceEncryptionAlgorithm", r.SourceEncryptionAlgorithm)
	b = appendKeyARNMember(b, "SourceKeyId", r.SourceKeyID)
	return append(b, '}')
}

func (r *awsErrorBody) appendJSON(b []byte) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	b = appendStringMember(b, "__type", r.Type)
	b = appendStringMember(b, "message", r.Message)
	return append(b, '}')
}
