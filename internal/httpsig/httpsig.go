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

// SDKSignature computes the SDK-HMAC-SHA256 signature of a request: the
// client signs with it and the server verifies with it. signed lists the
// signed headers, lower case and sorted; host is the request's Host, which
// net/http keeps out of the header map.
func SDKSignature(sk []byte, method string, u *url.URL, host string, h http.Header, signed []string, date string, body []byte) []byte {
	var cr strings.Builder
	cr.WriteString(method)
	cr.WriteByte('\n')
	cr.WriteString(sdkCanonicalURI(u.Path))
	cr.WriteByte('\n')
	cr.WriteString(sdkCanonicalQuery(u.Query()))
	cr.WriteByte('\n')
	for _, name := range signed {
		var vals []string
		if name == "host" {
			vals = []string{host}
		} else {
			vals = append(vals, h.Values(name)...)
			sort.Strings(vals)
		}
		for _, v := range vals {
			cr.WriteString(name)
			cr.WriteByte(':')
			cr.WriteString(strings.TrimSpace(v))
			cr.WriteByte('\n')
		}
	}
	cr.WriteByte('\n')
	cr.WriteString(strings.Join(signed, ";"))
	cr.WriteByte('\n')
	bh := sha256.Sum256(body)
	cr.WriteString(hex.EncodeToString(bh[:]))

	crh := sha256.Sum256([]byte(cr.String()))
	sts := SDKScheme + "\n" + date + "\n" + hex.EncodeToString(crh[:])
	return hmacSHA256(sk, sts)
}

// SignSDK signs r, whose body is body, as the Huawei SDK does: it sets
// X-Sdk-Date to t and an Authorization header over the signed headers
// (lower case, sorted, x-sdk-date among them).
func SignSDK(r *http.Request, body []byte, accessKey, secretKey string, signed []string, t time.Time) {
	date := t.UTC().Format(SDKDateFormat)
	r.Header.Set(SDKDateHeader, date)
	sig := SDKSignature([]byte(secretKey), r.Method, r.URL, cmp.Or(r.Host, r.URL.Host), r.Header, signed, date, body)
	r.Header.Set("Authorization", fmt.Sprintf("%s Access=%s, SignedHeaders=%s, Signature=%s",
		SDKScheme, accessKey, strings.Join(signed, ";"), hex.EncodeToString(sig)))
}

// sdkCanonicalURI escapes each path segment and appends the trailing "/"
// that the Huawei SDK adds.
func sdkCanonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = escape(s)
	}
	p := strings.Join(segs, "/")
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
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
func escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '~' || c == '.' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
