package kms

import (
	"net/http"
	"strings"

	"github.com/qtenclave/qtenclave/internal/httpsig"
	"github.com/qtenclave/qtenclave/kms/internal/awsapi"
	"github.com/qtenclave/qtenclave/kms/internal/core"
	"github.com/qtenclave/qtenclave/kms/internal/huaweiapi"
)

// Authentication: one function lets a request in, whatever its front end.
// It accepts the seed pages' X-Auth-Token, checked here, and dispatches a
// signature by its scheme to the front end that verifies it: the AK/SK
// signature that the official Huawei SDK sends (SDK-HMAC-SHA256, see
// KMS-WIRE.md) to huaweiapi, AWS SigV4 to awsapi. Secrets are compared in
// constant time and never logged or echoed.

const authTokenHeader = "X-Auth-Token"

// authenticate returns the caller of a request that carries a valid token or
// signature; api names the front end the request is for.
func (s *Server) authenticate(r *http.Request, body []byte, api string) (core.Caller, error) {
	// The names are canonical, read from the map directly (see ServeHTTP).
	if tok := r.Header[authTokenHeader]; len(tok) > 0 {
		if len(tok) == 1 && s.creds.MatchToken(tok[0]) {
			return core.Caller{API: api, Credential: core.CredentialToken}, nil
		}
		return core.Caller{}, core.Errorf(core.KindUnauthenticated, "X-Auth-Token is not valid")
	}
	auth := r.Header["Authorization"]
	if len(auth) != 1 {
		return core.Caller{}, core.Errorf(core.KindUnauthenticated, "the request carries no credentials")
	}
	scheme, params, _ := strings.Cut(auth[0], " ")
	var err error
	caller := core.Caller{API: api, AccessKey: s.creds.AccessKey()}
	switch scheme {
	case httpsig.SDKScheme:
		caller.Credential, err = core.CredentialAKSK, huaweiapi.VerifySignature(r, params, body, s.creds)
	case httpsig.SigV4Scheme:
		caller.Credential, err = core.CredentialSigV4, awsapi.VerifySignature(r, body, s.creds)
	default:
		err = core.Errorf(core.KindUnauthenticated, "authorization scheme is not supported")
	}
	if err != nil {
		return core.Caller{}, err
	}
	return caller, nil
}
