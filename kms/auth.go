package kms

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/qtenclave/qtenclave/internal/httpsig"
	"github.com/qtenclave/qtenclave/kms/internal/core"
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

// authenticate returns the caller of a request that carries a valid token or
// signature; api names the front end the request is for.
func (s *Server) authenticate(r *http.Request, body []byte, api string) (core.Caller, error) {
	if tok := r.Header.Values(authTokenHeader); len(tok) > 0 {
		if len(tok) == 1 && s.creds.MatchToken(tok[0]) {
			return core.Caller{API: api, Credential: core.CredentialToken}, nil
		}
		return core.Caller{}, core.Errorf(core.KindUnauthenticated, "X-Auth-Token is not valid")
	}
	auth := r.Header.Values("Authorization")
	if len(auth) != 1 {
		return core.Caller{}, core.Errorf(core.KindUnauthenticated, "the request carries no credentials")
	}
	scheme, params, _ := strings.Cut(auth[0], " ")
	var err error
	caller := core.Caller{API: api, AccessKey: s.creds.AccessKey()}
	switch scheme {
	case httpsig.SDKScheme:
		caller.Credential, err = core.CredentialAKSK, s.verifySDKHMAC(r, params, body)
	case httpsig.SigV4Scheme:
		caller.Credential, err = core.CredentialSigV4, s.verifySigV4(r, body)
	default:
		err = core.Errorf(core.KindUnauthenticated, "authorization scheme is not supported")
	}
	if err != nil {
		return core.Caller{}, err
	}
	return caller, nil
}

// verifySDKHMAC checks "Access=AK, SignedHeaders=h1;h2, Signature=hex".
func (s *Server) verifySDKHMAC(r *http.Request, params string, body []byte) error {
	bad := core.Errorf(core.KindUnauthenticated, "signature is not valid")
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
		return core.Errorf(core.KindUnauthenticated, "X-Sdk-Date is missing")
	}
	t, err := time.Parse(httpsig.SDKDateFormat, dates[0])
	if err != nil || absDuration(time.Since(t)) > maxClockSkew {
		return core.Errorf(core.KindUnauthenticated, "X-Sdk-Date is malformed or too far from the server's clock")
	}
	want, err := hex.DecodeString(sig)
	if err != nil {
		return bad
	}
	got := httpsig.SDKSignature(s.creds.SecretKey(), r.Method, r.URL, r.Host, r.Header, headers, dates[0], body)
	// Both checks run whatever the first one's outcome.
	akOK := s.creds.MatchAccessKey(ak)
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
