package kms

import (
	"encoding/json"
	"net/http"
)

// serveAWS answers an authenticated AWS JSON 1.1 request (POST / with
// X-Amz-Target). This build has no AWS front end: every target is unknown.
func (s *Server) serveAWS(w http.ResponseWriter, r *http.Request, body []byte) {
	writeAWSError(w, errorf(kindUnknownOperation, "operation %q is not supported", r.Header.Get("X-Amz-Target")))
}

// writeAWSError writes err as an AWS JSON error.
func writeAWSError(w http.ResponseWriter, err error) {
	k, msg := kindOf(err)
	status, typ := http.StatusBadRequest, "UnknownOperationException"
	switch k {
	case kindUnauthenticated:
		status, typ = http.StatusUnauthorized, "UnrecognizedClientException"
	case kindInternal:
		status, typ = http.StatusInternalServerError, "KMSInternalException"
	case kindTooLarge, kindMalformedRequest:
		typ = "ValidationException"
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
