package awsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qtenclave/qtenclave/internal/httpsig"
	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// This file verifies AWS Signature Version 4 (the "AWS4-HMAC-SHA256"
// Authorization header), which is how the AWS SDKs authenticate to the AWS
// front end. It follows AWS's published algorithm, as the AWS SDK for Go v2
// signer implements it (package httpsig computes it):
//
//	canonical request = method, canonical URI, canonical query, canonical
//	                    headers, signed-header list, hex SHA-256(body)
//	string to sign    = "AWS4-HMAC-SHA256", X-Amz-Date, scope,
//	                    hex SHA-256(canonical request)
//	scope             = date "/" region "/" "kms" "/" "aws4_request"
//	signing key       = HMAC chain over "AWS4"+secret, date, region, "kms",
//	                    "aws4_request"
//
// The region is whatever the client's credential scope names: a local KMS
// serves every region. The service must be "kms".
//
// # What is required
//
// The header-based form only (no presigned query strings), an X-Amz-Date
// within core.MaxClockSkew of the server's clock and on the scope's date, and
// host, x-amz-date and every other x-amz-* header of the request among the
// signed headers, so that neither the operation (X-Amz-Target) nor the date
// can be changed without breaking the signature. The payload is always hashed
// from the body received; an X-Amz-Content-Sha256 header, if sent, must be
// that hash.

const (
	sigV4Service     = "kms"
	sigV4ScopeLayout = "20060102"

	// maxSigV4Authorization bounds the Authorization header before it is
	// split: the SDK's is about 350 bytes with seven signed headers.
	maxSigV4Authorization = 4096
	// maxSigV4SignedHeaders bounds the signed-header list: the SDK signs 7,
	// and a request with more headers than this is not a KMS client's.
	maxSigV4SignedHeaders = 32
	// maxSigV4Region bounds the region name (AWS's longest is 14 bytes).
	maxSigV4Region = 32
)

// Causes of a SigV4 failure, wrapped in a core.KindUnauthenticated *core.Error. The
// AWS front end maps them to the __type AWS uses; none of them says which
// part of a signature or key was wrong.
var (
	errSigV4Malformed     = errors.New("malformed AWS4-HMAC-SHA256 authorization")
	errSigV4UnknownKey    = errors.New("unknown access key")
	errSigV4BadSignature  = errors.New("signature does not match")
	errSigV4Expired       = errors.New("signature date out of range")
	errSigV4PayloadHashed = errors.New("x-amz-content-sha256 does not match the body")
)

// sigV4Authorization is a parsed AWS4-HMAC-SHA256 Authorization header.
type sigV4Authorization struct {
	accessKey string
	date      string // YYYYMMDD, from the scope
	region    string
	// signed is the SignedHeaders list as sent: names in lower case,
	// sorted, unique, joined by ";" (as the canonical request has it).
	signed string
	// amz is the part of signed that lists the x-amz-* names, which the
	// sorted list keeps together.
	amz       string
	signature [sha256.Size]byte
}

// signsAmz reports whether the signed headers include name, an x-amz-*
// header name, compared without regard to ASCII case.
func (a *sigV4Authorization) signsAmz(name string) bool {
	for s := a.amz; s != ""; {
		part, rest, _ := strings.Cut(s, ";")
		if len(part) == len(name) && strings.EqualFold(part, name) {
			return true
		}
		s = rest
	}
	return false
}

// parseSigV4Authorization parses
//
//	AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/kms/aws4_request, SignedHeaders=a;b, Signature=HEX
//
// strictly: each of the three parameters exactly once, in any order. It
// splits the header in place: a verification allocates nothing.
func parseSigV4Authorization(h string) (a sigV4Authorization, err error) {
	defer func() {
		if err != nil {
			a = sigV4Authorization{} // nothing of a header that failed
		}
	}()
	if len(h) > maxSigV4Authorization {
		return a, errSigV4Malformed
	}
	rest, ok := strings.CutPrefix(h, httpsig.SigV4Scheme+" ")
	if !ok {
		return a, errSigV4Malformed
	}
	var cred, signed, sig string
	var seen int
	for part := range strings.SplitSeq(rest, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || value == "" {
			return a, errSigV4Malformed
		}
		var dst *string
		switch name {
		case "Credential":
			dst = &cred
		case "SignedHeaders":
			dst = &signed
		case "Signature":
			dst = &sig
		default:
			return a, errSigV4Malformed
		}
		if *dst != "" {
			return a, errSigV4Malformed
		}
		*dst = value
		seen++
	}
	if seen != 3 {
		return a, errSigV4Malformed
	}

	// AK/DATE/REGION/kms/aws4_request: exactly five fields.
	var service, term string
	a.accessKey, cred, _ = strings.Cut(cred, "/")
	a.date, cred, _ = strings.Cut(cred, "/")
	a.region, cred, _ = strings.Cut(cred, "/")
	service, term, _ = strings.Cut(cred, "/")
	if a.accessKey == "" || service != sigV4Service || term != httpsig.SigV4Terminator {
		return a, errSigV4Malformed
	}
	if _, _, _, ok := parseSigV4Day(a.date); !ok {
		return a, errSigV4Malformed
	}
	if !validRegion(a.region) {
		return a, errSigV4Malformed
	}

	// Sorted, unique, lower case: what every signer produces, and what
	// makes the canonical form unambiguous. host and x-amz-date among them.
	var n, amzStart, amzEnd int
	var prev string
	var host, date bool
	for rest, at := signed, 0; ; {
		name, more, found := strings.Cut(rest, ";")
		if n++; n > maxSigV4SignedHeaders || name == "" || !lowerCase(name) || (n > 1 && name <= prev) {
			return a, errSigV4Malformed
		}
		host, date, prev = host || name == "host", date || name == "x-amz-date", name
		if strings.HasPrefix(name, "x-amz-") {
			if amzEnd == 0 {
				amzStart = at
			}
			amzEnd = at + len(name)
		}
		if !found {
			break
		}
		rest, at = more, at+len(name)+1
	}
	if !host || !date {
		return a, errSigV4Malformed
	}
	a.signed, a.amz = signed, signed[amzStart:amzEnd]

	// Lower-case hex only, as the signers write it.
	if len(sig) != 2*sha256.Size || !lowerCase(sig) {
		return a, errSigV4Malformed
	}
	var hexSig [2 * sha256.Size]byte // not []byte(sig), which allocates at this length
	copy(hexSig[:], sig)
	if _, err := hex.Decode(a.signature[:], hexSig[:]); err != nil {
		return a, errSigV4Malformed
	}
	return a, nil
}

// parseSigV4Date parses an X-Amz-Date, YYYYMMDD'T'HHMMSS'Z' (ISO 8601
// basic format in UTC, httpsig.SigV4DateFormat), strictly: exactly these 16
// bytes, every field its digits, each in its range (the day within its
// month), no fractional seconds (which time.Parse would take). It is the
// hand-written equivalent of time.Parse(httpsig.SigV4DateFormat, s) on
// that form, which took a tenth of a signature check
// (TestParseSigV4DateMatchesTimeParse, FuzzParseSigV4Date).
func parseSigV4Date(s string) (time.Time, bool) {
	if len(s) != len(httpsig.SigV4DateFormat) || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	year, month, day, ok := parseSigV4Day(s[:8])
	if !ok {
		return time.Time{}, false
	}
	hour, ok1 := twoDigits(s[9:11])
	minute, ok2 := twoDigits(s[11:13])
	sec, ok3 := twoDigits(s[13:15])
	if !ok1 || !ok2 || !ok3 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC), true
}

// parseSigV4Day parses a scope date, YYYYMMDD, strictly: eight digits, a
// month of 1 to 12 and a day that the month has (February 29 in leap years
// only), as time.Parse(sigV4ScopeLayout, s) would accept it.
func parseSigV4Day(s string) (year, month, day int, ok bool) {
	if len(s) != len(sigV4ScopeLayout) {
		return 0, 0, 0, false
	}
	hi, ok1 := twoDigits(s[0:2])
	lo, ok2 := twoDigits(s[2:4])
	month, ok3 := twoDigits(s[4:6])
	day, ok4 := twoDigits(s[6:8])
	if !ok1 || !ok2 || !ok3 || !ok4 || month < 1 || month > 12 || day < 1 {
		return 0, 0, 0, false
	}
	year = hi*100 + lo
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	if day > days {
		return 0, 0, 0, false
	}
	return year, month, day, true
}

// twoDigits returns the value of s, two decimal digits.
func twoDigits(s string) (int, bool) {
	if len(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

// lowerCase reports whether s == strings.ToLower(s), without the copy
// that ToLower makes of a string with upper-case letters.
func lowerCase(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			return s == strings.ToLower(s)
		case 'A' <= c && c <= 'Z':
			return false
		}
	}
	return true
}

// validRegion reports whether s looks like a region name: lower-case
// letters, digits and hyphens.
func validRegion(s string) bool {
	if s == "" || len(s) > maxSigV4Region {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// VerifySignature checks r's AWS4-HMAC-SHA256 signature over body with
// creds' access key pair. It returns nil or a core.KindUnauthenticated error
// that wraps one of the errSigV4 causes.
func VerifySignature(r *http.Request, body []byte, creds *core.Credentials) error {
	return verifySigV4At(r, body, creds, time.Now())
}

// verifySigV4At is VerifySignature at the time given.
func verifySigV4At(r *http.Request, body []byte, creds *core.Credentials, now time.Time) error {
	a, err := parseSigV4Authorization(firstValue(r.Header["Authorization"]))
	if err != nil {
		return sigV4Error(err)
	}
	// Every x-amz-* header the request carries must be signed: X-Amz-Target
	// picks the operation, and X-Amz-Security-Token or the like must not
	// ride along unsigned.
	for name := range r.Header {
		if len(name) >= len("x-amz-") && strings.EqualFold(name[:len("x-amz-")], "x-amz-") && !a.signsAmz(name) {
			return sigV4Error(errSigV4Malformed)
		}
	}
	dates := r.Header["X-Amz-Date"]
	if len(dates) != 1 {
		return sigV4Error(errSigV4Malformed)
	}
	amzDate := dates[0]
	t, ok := parseSigV4Date(amzDate)
	if !ok || amzDate[:len(sigV4ScopeLayout)] != a.date {
		return sigV4Error(errSigV4Malformed)
	}
	if d := now.Sub(t); d > core.MaxClockSkew || d < -core.MaxClockSkew {
		return sigV4Error(errSigV4Expired)
	}

	sum := sha256.Sum256(body)
	var payloadHash [2 * sha256.Size]byte
	hex.Encode(payloadHash[:], sum[:])
	if v := r.Header["X-Amz-Content-Sha256"]; len(v) > 0 && (len(v) != 1 || v[0] != string(payloadHash[:])) {
		return sigV4Error(errSigV4PayloadHashed)
	}

	want, err := httpsig.SigV4Signature(creds.SigV4Key(a.date, a.region, sigV4Service), r, a.signed, amzDate, a.region, sigV4Service, payloadHash[:])
	if err != nil {
		return sigV4Error(errSigV4Malformed)
	}

	// Both comparisons run in full whatever the outcome of the other, so the
	// timing tells neither whether the key ID was known nor how much of the
	// signature matched.
	keyOK := creds.MatchAccessKey(a.accessKey)
	sigOK := hmac.Equal(want[:], a.signature[:])
	switch {
	case !keyOK:
		return sigV4Error(errSigV4UnknownKey)
	case !sigOK:
		return sigV4Error(errSigV4BadSignature)
	}
	return nil
}

// sigV4Error wraps a SigV4 failure cause as the server's authentication
// error. The message names the cause only: never a key, a signature or a
// header value.
func sigV4Error(cause error) error {
	return core.Wrapf(core.KindUnauthenticated, cause, "%v", cause)
}
