package httpsig

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// AWS Signature Version 4, as AWS publishes it and the AWS SDK for Go v2
// signer implements it:
//
//	canonical request = method, canonical URI, canonical query, canonical
//	                    headers, signed-header list, hex SHA-256(body)
//	string to sign    = "AWS4-HMAC-SHA256", X-Amz-Date, scope,
//	                    hex SHA-256(canonical request)
//	scope             = date "/" region "/" service "/" "aws4_request"
//	signing key       = HMAC chain over "AWS4"+secret, date, region,
//	                    service, "aws4_request"
const (
	SigV4Scheme     = "AWS4-HMAC-SHA256"
	SigV4DateFormat = "20060102T150405Z" // X-Amz-Date; the scope's date is its first 8 bytes
	SigV4Terminator = "aws4_request"     // the scope's last element
)

// errSigV4Canonical is the error of a request that has no canonical form:
// a signed header it does not carry, or a query that does not parse.
var errSigV4Canonical = errors.New("httpsig: request has no SigV4 canonical form")

// SigV4CanonicalRequest returns the canonical request of r for the given
// signed headers (lower case, sorted) and payload hash (hex).
func SigV4CanonicalRequest(r *http.Request, signedHeaders []string, payloadHash string) (string, error) {
	b, err := appendSigV4Canonical(nil, r, strings.Join(signedHeaders, ";"), []byte(payloadHash))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// SigV4Signature returns the SigV4 signature of r, received with X-Amz-Date
// amzDate, over the signed headers as the Authorization header lists them
// (signed: lower case, sorted, joined by ";") and the payload hash (hex),
// under key, the signing key derived for amzDate's day, region and service.
// It builds the canonical request and the string to sign in a buffer kept
// with key's state, so that a server's verification allocates nothing for
// a usual request.
func SigV4Signature(key *MAC, r *http.Request, signed, amzDate, region, service string, payloadHash []byte) ([sha256.Size]byte, error) {
	if len(amzDate) < len("20060102") {
		return [sha256.Size]byte{}, errSigV4Canonical
	}
	s := key.get()
	defer key.put(s)
	var err error
	if s.buf, err = appendSigV4Canonical(s.buf[:0], r, signed, payloadHash); err != nil {
		return [sha256.Size]byte{}, err
	}
	h := sha256.Sum256(s.buf)
	b := append(s.buf[:0], SigV4Scheme+"\n"...)
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = appendSigV4Scope(b, amzDate[:len("20060102")], region, service)
	b = append(b, '\n')
	s.buf = hex.AppendEncode(b, h[:])
	return s.hmac(s.buf), nil
}

// appendSigV4Canonical appends the canonical request of r to b.
func appendSigV4Canonical(b []byte, r *http.Request, signed string, payloadHash []byte) ([]byte, error) {
	b = append(b, r.Method...)
	b = append(b, '\n')

	// Non-S3 services sign the escaped path escaped once more.
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b = appendEscaped(b, path, true)
	b = append(b, '\n')

	if r.URL.RawQuery != "" {
		query, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return b, errSigV4Canonical
		}
		type param struct{ k, v string }
		var params []param
		for k, vs := range query {
			for _, v := range vs {
				params = append(params, param{escape(k), escape(v)})
			}
		}
		slices.SortFunc(params, func(x, y param) int {
			if c := strings.Compare(x.k, y.k); c != 0 {
				return c
			}
			return strings.Compare(x.v, y.v)
		})
		for i, p := range params {
			if i > 0 {
				b = append(b, '&')
			}
			b = append(b, p.k...)
			b = append(b, '=')
			b = append(b, p.v...)
		}
	}
	b = append(b, '\n')

	for name := range strings.SplitSeq(signed, ";") {
		if name == "host" {
			// net/http moves Host out of the header map.
			b = append(b, "host:"...)
			b = appendCollapsed(b, r.Host)
			b = append(b, '\n')
			continue
		}
		values := headerValuesOf(r.Header, name)
		if len(values) == 0 {
			// A signed header that did not arrive cannot be canonicalized
			// the way the client did.
			return b, errSigV4Canonical
		}
		b = append(b, name...)
		b = append(b, ':')
		for i, v := range values {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCollapsed(b, v)
		}
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, signed...)
	b = append(b, '\n')
	return append(b, payloadHash...), nil
}

// SigV4Scope returns the credential scope date/region/service/aws4_request
// for a date of the form YYYYMMDD.
func SigV4Scope(date, region, service string) string {
	return string(appendSigV4Scope(nil, date, region, service))
}

func appendSigV4Scope(b []byte, date, region, service string) []byte {
	b = append(b, date...)
	b = append(b, '/')
	b = append(b, region...)
	b = append(b, '/')
	b = append(b, service...)
	b = append(b, '/')
	return append(b, SigV4Terminator...)
}

// SigV4StringToSign returns the string to sign for a canonical request.
func SigV4StringToSign(amzDate, scope, canonical string) string {
	h := sha256.Sum256([]byte(canonical))
	return SigV4Scheme + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(h[:])
}

// SigV4Sign returns the signature of stringToSign under the key derived from
// secret for date (YYYYMMDD), region and service.
func SigV4Sign(secret []byte, date, region, service, stringToSign string) []byte {
	return hmacSHA256(SigV4SigningKey(secret, date, region, service), stringToSign)
}

// SigV4SigningKey derives the SigV4 signing key.
func SigV4SigningKey(secret []byte, date, region, service string) []byte {
	k := hmacSHA256(append([]byte("AWS4"), secret...), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, SigV4Terminator)
}

// SignSigV4 signs r, whose body is body, at t for region and service: it
// sets X-Amz-Date and an Authorization header over the signed headers
// (lower case, sorted, host and x-amz-date among them).
func SignSigV4(r *http.Request, body []byte, accessKey, secretKey, region, service string, signed []string, t time.Time) error {
	amzDate := t.UTC().Format(SigV4DateFormat)
	r.Header.Set("X-Amz-Date", amzDate)
	sum := sha256.Sum256(body)
	canonical, err := SigV4CanonicalRequest(r, signed, hex.EncodeToString(sum[:]))
	if err != nil {
		return err
	}
	date := amzDate[:8]
	scope := SigV4Scope(date, region, service)
	sig := SigV4Sign([]byte(secretKey), date, region, service, SigV4StringToSign(amzDate, scope, canonical))
	r.Header.Set("Authorization", SigV4Scheme+" Credential="+accessKey+"/"+scope+
		", SignedHeaders="+strings.Join(signed, ";")+", Signature="+hex.EncodeToString(sig))
	return nil
}

// appendCollapsed appends a header value trimmed, with each run of spaces
// collapsed to one, as the SigV4 canonical header form requires.
func appendCollapsed(b []byte, v string) []byte {
	if !strings.Contains(v, "  ") && strings.TrimSpace(v) == v {
		return append(b, v...) // what every SDK sends
	}
	return append(b, strings.TrimSpace(strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == ' ' }), " "))...)
}
