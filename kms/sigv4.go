package kms

import "net/http"

// verifySigV4 verifies an AWS Signature Version 4 request. This build has no
// AWS front end, so it refuses every such request.
func (s *Server) verifySigV4(r *http.Request, body []byte) error {
	return errorf(kindUnauthenticated, "AWS4-HMAC-SHA256 signatures are not supported by this build")
}
