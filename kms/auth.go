package kms

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/qtenclave/qtenclave/internal/httpsig"
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

const authTokenHeader = "X-Auth-Token"

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
	case httpsig.SDKScheme:
		return s.verifySDKHMAC(r, params, body)
	case httpsig.SigV4Scheme:
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
	dates := r.Header.Values(httpsig.SDKDateHeader)
	if len(dates) != 1 {
		return errorf(kindUnauthenticated, "X-Sdk-Date is missing")
	}
	t, err := time.Parse(httpsig.SDKDateFormat, dates[0])
	if err != nil || absDuration(time.Since(t)) > maxClockSkew {
		return errorf(kindUnauthenticated, "X-Sdk-Date is malformed or too far from the server's clock")
	}
	want, err := hex.DecodeString(sig)
	if err != nil {
		return bad
	}
	got := httpsig.SDKSignature(s.creds.sk, r.Method, r.URL, r.Host, r.Header, headers, dates[0], body)
	// Both checks run whatever the first one's outcome.
	akOK := equalSecret(s.creds.akHash, ak)
	sigOK := hmac.Equal(got, want)
	if !akOK || !sigOK {
		return bad
	}
	return nil
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
