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

// SigV4CanonicalRequest builds the canonical request of r for the given
// signed headers (lower case, sorted) and payload hash (hex).
func SigV4CanonicalRequest(r *http.Request, signedHeaders []string, payloadHash string) (string, error) {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')

	// Non-S3 services sign the escaped path escaped once more.
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	segments := strings.Split(path, "/")
	for i, seg := range segments {
		segments[i] = escape(seg)
	}
	b.WriteString(strings.Join(segments, "/"))
	b.WriteByte('\n')

	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "", errSigV4Canonical
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
			b.WriteByte('&')
		}
		b.WriteString(p.k + "=" + p.v)
	}
	b.WriteByte('\n')

	for _, name := range signedHeaders {
		var values []string
		switch name {
		case "host":
			// net/http moves Host out of the header map.
			values = []string{r.Host}
		default:
			values = r.Header.Values(name)
		}
		if len(values) == 0 {
			// A signed header that did not arrive cannot be canonicalized
			// the way the client did.
			return "", errSigV4Canonical
		}
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range values {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(collapseSpaces(v))
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String(), nil
}

// SigV4Scope returns the credential scope date/region/service/aws4_request
// for a date of the form YYYYMMDD.
func SigV4Scope(date, region, service string) string {
	return date + "/" + region + "/" + service + "/" + SigV4Terminator
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

// SigV4SignWithKey returns the signature of stringToSign under a signing
// key that SigV4SigningKey derived.
func SigV4SignWithKey(signingKey []byte, stringToSign string) []byte {
	return hmacSHA256(signingKey, stringToSign)
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

// collapseSpaces trims a header value and collapses each run of spaces to
// one, as the SigV4 canonical header form requires.
func collapseSpaces(v string) string {
	return strings.TrimSpace(strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == ' ' }), " "))
}
