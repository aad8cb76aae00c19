package kms

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Authentication: one function lets a request in, whatever its front end.
// It accepts the seed pages' X-Auth-Token, the AK/SK signature that the
// official Huawei SDK sends (SDK-HMAC-SHA256, see KMS-WIRE.md) and AWS
// SigV4 (sigv4.go). Secrets are compared in constant time and never logged
// or echoed.

// maxClockSkew bounds how far a signed request's date may be from the
// server's clock. The signature covers the date, and the date is the only
// thing that limits replay; 15 minutes is what AWS and Huawei allow.
const maxClockSkew = 15 * time.Minute

const (
	sdkHMACScheme   = "SDK-HMAC-SHA256"
	sigV4Scheme     = "AWS4-HMAC-SHA256"
	sdkDateHeader   = "X-Sdk-Date"
	sdkDateFormat   = "20060102T150405Z"
	authTokenHeader = "X-Auth-Token"
)

// credentials are the server's secrets, kept as SHA-256 digests where only
// equality matters so that comparisons take the same time for any length.
type credentials struct {
	tokenHash []byte // nil: tokens are not accepted
	akHash    []byte // nil: signatures are not accepted
	ak        string
	sk        []byte
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// equalSecret compares a presented secret with a stored digest in constant time.
func equalSecret(stored []byte, presented string) bool {
	return stored != nil && subtle.ConstantTimeCompare(stored, hashSecret(presented)) == 1
}

// authenticate returns nil if the request carries a valid token or signature.
func (s *Server) authenticate(r *http.Request, body []byte) error {
	if tok := r.Header.Values(authTokenHeader); len(tok) > 0 {
		if len(tok) == 1 && equalSecret(s.creds.tokenHash, tok[0]) {
			return nil
		}
		return errorf(kindUnauthenticated, "X-Auth-Token is not valid")
	}
	auth := r.Header.Values("Authorization")
	if len(auth) != 1 {
		return errorf(kindUnauthenticated, "the request carries no credentials")
	}
	scheme, params, _ := strings.Cut(auth[0], " ")
	switch scheme {
	case sdkHMACScheme:
		return s.verifySDKHMAC(r, params, body)
	case sigV4Scheme:
		return s.verifySigV4(r, body)
	}
	return errorf(kindUnauthenticated, "authorization scheme is not supported")
}

// verifySDKHMAC checks "Access=AK, SignedHeaders=h1;h2, Signature=hex".
func (s *Server) verifySDKHMAC(r *http.Request, params string, body []byte) error {
	bad := errorf(kindUnauthenticated, "signature is not valid")
	fields := map[string]string{}
	for _, p := range strings.Split(params, ", ") {
		k, v, ok := strings.Cut(p, "=")
		if _, dup := fields[k]; !ok || dup {
			return bad
		}
		fields[k] = v
	}
	ak, signed, sig := fields["Access"], fields["SignedHeaders"], fields["Signature"]
	if len(fields) != 3 || ak == "" || signed == "" || len(sig) != 2*sha256.Size {
		return bad
	}
	headers := strings.Split(signed, ";")
	if !sort.StringsAreSorted(headers) || !contains(headers, "x-sdk-date") {
		return bad
	}
	for i, h := range headers {
		if h == "" || h != strings.ToLower(h) || (i > 0 && headers[i-1] == h) {
			return bad
		}
	}
	dates := r.Header.Values(sdkDateHeader)
	if len(dates) != 1 {
		return errorf(kindUnauthenticated, "X-Sdk-Date is missing")
	}
	t, err := time.Parse(sdkDateFormat, dates[0])
	if err != nil || absDuration(time.Since(t)) > maxClockSkew {
		return errorf(kindUnauthenticated, "X-Sdk-Date is malformed or too far from the server's clock")
	}
	want, err := hex.DecodeString(sig)
	if err != nil {
		return bad
	}
	got := sdkSignature(s.creds.sk, r.Method, r.URL, r.Host, r.Header, headers, dates[0], body)
	// Both checks run whatever the first one's outcome.
	akOK := equalSecret(s.creds.akHash, ak)
	sigOK := hmac.Equal(got, want)
	if !akOK || !sigOK {
		return bad
	}
	return nil
}

// sdkSignature computes the SDK-HMAC-SHA256 signature of a request: the
// client signs with it and the server verifies with it.
func sdkSignature(sk []byte, method string, u *url.URL, host string, h http.Header, signed []string, date string, body []byte) []byte {
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
	sts := sdkHMACScheme + "\n" + date + "\n" + hex.EncodeToString(crh[:])
	mac := hmac.New(sha256.New, sk)
	mac.Write([]byte(sts))
	return mac.Sum(nil)
}

// sdkCanonicalURI escapes each path segment and appends the trailing "/"
// that the Huawei SDK adds.
func sdkCanonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = sdkEscape(s)
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
			parts = append(parts, sdkEscape(k)+"="+sdkEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// sdkEscape percent-escapes everything but the unreserved characters.
func sdkEscape(s string) string {
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

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
