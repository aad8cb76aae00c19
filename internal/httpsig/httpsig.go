// Package httpsig computes the HMAC request signatures of the two cloud
// APIs that the local KMS speaks: Huawei Cloud's AK/SK signature
// (SDK-HMAC-SHA256, as the official Huawei Cloud SDK sends it) and AWS
// Signature Version 4. A client signs with it; a server recomputes the
// signature over the request it received and compares.
//
// This package only computes. What a verifier must require besides (which
// headers are signed, how far a date may be from its clock, constant-time
// comparison of the key ID and the signature) is the verifier's policy.
package httpsig

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// Huawei Cloud's AK/SK signature (KMS-WIRE.md):
//
//	canonical request = method, canonical URI (each segment escaped, plus a
//	                    trailing "/"), canonical query, canonical headers,
//	                    signed-header list, hex SHA-256(body)
//	string to sign    = "SDK-HMAC-SHA256", X-Sdk-Date, hex SHA-256(canonical request)
//	signature         = hex HMAC-SHA256(secret key, string to sign)
const (
	SDKScheme     = "SDK-HMAC-SHA256"
	SDKDateHeader = "X-Sdk-Date"
	SDKDateFormat = "20060102T150405Z"
)

// SDKSignature computes the SDK-HMAC-SHA256 signature of a request under
// key (a MAC of the secret key): the client signs with it and the server
// verifies with it. signed lists the signed headers as the Authorization
// header does (lower case, sorted, joined by ";"); host is the request's
// Host, which net/http keeps out of the header map. The canonical request
// and the string to sign are built in a buffer kept with key's state.
func SDKSignature(key *MAC, method string, u *url.URL, host string, h http.Header, signed, date string, body []byte) [sha256.Size]byte {
	s := key.get()
	defer key.put(s)
	b := append(s.buf[:0], method...)
	b = append(b, '\n')
	b = appendEscaped(b, u.Path, true)
	if len(b) == 0 || b[len(b)-1] != '/' {
		b = append(b, '/') // the trailing "/" that the Huawei SDK adds
	}
	b = append(b, '\n')
	if u.RawQuery != "" {
		b = append(b, sdkCanonicalQuery(u.Query())...)
	}
	b = append(b, '\n')
	for name := range strings.SplitSeq(signed, ";") {
		var vals []string
		if name == "host" {
			vals = []string{host}
		} else if vals = headerValuesOf(h, name); len(vals) > 1 {
			vals = slices.Sorted(slices.Values(vals))
		}
		for _, v := range vals {
			b = append(b, name...)
			b = append(b, ':')
			b = append(b, strings.TrimSpace(v)...)
			b = append(b, '\n')
		}
	}
	b = append(b, '\n')
	b = append(b, signed...)
	b = append(b, '\n')
	bh := sha256.Sum256(body)
	b = hex.AppendEncode(b, bh[:])

	crh := sha256.Sum256(b)
	b = append(b[:0], SDKScheme+"\n"...)
	b = append(b, date...)
	b = append(b, '\n')
	s.buf = hex.AppendEncode(b, crh[:])
	return s.hmac(s.buf)
}

// SignSDK signs r, whose body is body, as the Huawei SDK does: it sets
// X-Sdk-Date to t and an Authorization header over the signed headers
// (lower case, sorted, x-sdk-date among them).
func SignSDK(r *http.Request, body []byte, accessKey, secretKey string, signed []string, t time.Time) {
	date := t.UTC().Format(SDKDateFormat)
	r.Header.Set(SDKDateHeader, date)
	sig := SDKSignature(NewMAC([]byte(secretKey)), r.Method, r.URL, cmp.Or(r.Host, r.URL.Host), r.Header, strings.Join(signed, ";"), date, body)
	r.Header.Set("Authorization", fmt.Sprintf("%s Access=%s, SignedHeaders=%s, Signature=%s",
		SDKScheme, accessKey, strings.Join(signed, ";"), hex.EncodeToString(sig[:])))
}

func sdkCanonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			parts = append(parts, escape(k)+"="+escape(v))
		}
	}
	return strings.Join(parts, "&")
}

// escape percent-escapes everything but the unreserved characters, as both
// signatures' canonical forms do.
func escape(s string) string { return string(appendEscaped(nil, s, false)) }

// appendEscaped appends s percent-escaped to b; a path keeps its "/", which
// escapes each of its segments.
func appendEscaped(b []byte, s string, path bool) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '~' || c == '.' || path && c == '/' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

// headerValuesOf returns h's values for a lower-case header name: for a
// name of letters, digits and hyphens, looked up under its canonical form
// built on the stack (http.Header.Values allocates that form for any name
// that is not already canonical); for any other, through Values.
func headerValuesOf(h http.Header, name string) []string {
	var key [64]byte
	if len(name) > len(key) {
		return h.Values(name)
	}
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z':
			if upper {
				c -= 'a' - 'A'
			}
		case '0' <= c && c <= '9', c == '-':
		default:
			return h.Values(name)
		}
		key[i], upper = c, c == '-'
	}
	return h[string(key[:len(name)])]
}

// hmacSHA256 is a one-off HMAC-SHA256, for signers and key derivation.
func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
