package awsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

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
	accessKey     string
	date          string // YYYYMMDD, from the scope
	region        string
	signedHeaders []string // lower case, sorted, unique
	signature     []byte   // 32 bytes
}

// scope returns the credential scope: date/region/kms/aws4_request.
func (a *sigV4Authorization) scope() string {
	return httpsig.SigV4Scope(a.date, a.region, sigV4Service)
}

// parseSigV4Authorization parses
//
//	AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/kms/aws4_request, SignedHeaders=a;b, Signature=HEX
//
// strictly: each of the three parameters exactly once, in any order.
func parseSigV4Authorization(h string) (*sigV4Authorization, error) {
	if len(h) > maxSigV4Authorization {
		return nil, errSigV4Malformed
	}
	rest, ok := strings.CutPrefix(h, httpsig.SigV4Scheme+" ")
	if !ok {
		return nil, errSigV4Malformed
	}
	var cred, signed, sig string
	var seen int
	for part := range strings.SplitSeq(rest, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || value == "" {
			return nil, errSigV4Malformed
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
			return nil, errSigV4Malformed
		}
		if *dst != "" {
			return nil, errSigV4Malformed
		}
		*dst = value
		seen++
	}
	if seen != 3 {
		return nil, errSigV4Malformed
	}

	a := new(sigV4Authorization)
	fields := strings.Split(cred, "/")
	if len(fields) != 5 || fields[0] == "" || fields[3] != sigV4Service || fields[4] != httpsig.SigV4Terminator {
		return nil, errSigV4Malformed
	}
	a.accessKey, a.date, a.region = fields[0], fields[1], fields[2]
	if _, err := time.Parse(sigV4ScopeLayout, a.date); err != nil || len(a.date) != len(sigV4ScopeLayout) {
		return nil, errSigV4Malformed
	}
	if !validRegion(a.region) {
		return nil, errSigV4Malformed
	}

	a.signedHeaders = strings.Split(signed, ";")
	if len(a.signedHeaders) > maxSigV4SignedHeaders {
		return nil, errSigV4Malformed
	}
	for i, name := range a.signedHeaders {
		// Sorted, unique, lower case: what every signer produces, and what
		// makes the canonical form unambiguous.
		if name == "" || name != strings.ToLower(name) || (i > 0 && name <= a.signedHeaders[i-1]) {
			return nil, errSigV4Malformed
		}
	}
	for _, must := range []string{"host", "x-amz-date"} {
		if _, found := slices.BinarySearch(a.signedHeaders, must); !found {
			return nil, errSigV4Malformed
		}
	}

	// Lower-case hex only, as the signers write it.
	if len(sig) != 2*sha256.Size || strings.ToLower(sig) != sig {
		return nil, errSigV4Malformed
	}
	var err error
	if a.signature, err = hex.DecodeString(sig); err != nil {
		return nil, errSigV4Malformed
	}
	return a, nil
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
	a, err := parseSigV4Authorization(r.Header.Get("Authorization"))
	if err != nil {
		return sigV4Error(err)
	}
	// Every x-amz-* header the request carries must be signed: X-Amz-Target
	// picks the operation, and X-Amz-Security-Token or the like must not
	// ride along unsigned.
	for name := range r.Header {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "x-amz-") {
			if _, found := slices.BinarySearch(a.signedHeaders, lower); !found {
				return sigV4Error(errSigV4Malformed)
			}
		}
	}
	dates := r.Header.Values("X-Amz-Date")
	if len(dates) != 1 {
		return sigV4Error(errSigV4Malformed)
	}
	amzDate := dates[0]
	t, err := time.Parse(httpsig.SigV4DateFormat, amzDate)
	if err != nil || amzDate[:len(sigV4ScopeLayout)] != a.date {
		return sigV4Error(errSigV4Malformed)
	}
	if d := now.Sub(t); d > core.MaxClockSkew || d < -core.MaxClockSkew {
		return sigV4Error(errSigV4Expired)
	}

	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if v := r.Header.Values("X-Amz-Content-Sha256"); len(v) > 0 && (len(v) != 1 || v[0] != payloadHash) {
		return sigV4Error(errSigV4PayloadHashed)
	}

	canonical, err := httpsig.SigV4CanonicalRequest(r, a.signedHeaders, payloadHash)
	if err != nil {
		return sigV4Error(errSigV4Malformed)
	}
	want := httpsig.SigV4SignWithKey(creds.SigV4Key(a.date, a.region, sigV4Service), httpsig.SigV4StringToSign(amzDate, a.scope(), canonical))

	// Both comparisons run in full whatever the outcome of the other, so the
	// timing tells neither whether the key ID was known nor how much of the
	// signature matched.
	keyOK := creds.MatchAccessKey(a.accessKey)
	sigOK := hmac.Equal(want, a.signature)
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
