package kms

import (
	"errors"
	"net/http"
)

// awsError is the wire form of an error on the AWS front end: an HTTP status
// and the "__type" that the AWS SDKs turn into a typed error
// (types.NotFoundException and friends).
type awsError struct {
	status int
	typ    string
}

// awsErrors maps each kind to AWS KMS's own exception and status. AWS KMS
// answers 400 for every client error, 500 for KMSInternalException; the
// exceptions below are those of the AWS KMS API reference, except
// InvalidPublicKeyException, which is seed 001's (the AWS SDK reads it as a
// generic API error with that code). SerializationException,
// UnknownOperationException and the authentication exceptions are those of
// the AWS JSON protocol itself.
var awsErrors = map[kind]awsError{
	kindInternal:             {http.StatusInternalServerError, "KMSInternalException"},
	kindMalformedRequest:     {http.StatusBadRequest, "SerializationException"},
	kindTooLarge:             {http.StatusRequestEntityTooLarge, "ValidationException"},
	kindMissingParameter:     {http.StatusBadRequest, "ValidationException"},
	kindInvalidKeyID:         {http.StatusBadRequest, "NotFoundException"}, // as AWS: "Invalid keyId"
	kindInvalidSequence:      {http.StatusBadRequest, "ValidationException"},
	kindInvalidParameter:     {http.StatusBadRequest, "ValidationException"},
	kindInvalidAlias:         {http.StatusBadRequest, "ValidationException"},
	kindNotFound:             {http.StatusBadRequest, "NotFoundException"},
	kindDisabled:             {http.StatusBadRequest, "DisabledException"},
	kindInvalidKeyUsage:      {http.StatusBadRequest, "InvalidKeyUsageException"},
	kindSpecMismatch:         {http.StatusBadRequest, "InvalidPublicKeyException"}, // a peer key of another curve: seed 001
	kindInvalidPublicKey:     {http.StatusBadRequest, "InvalidPublicKeyException"},
	kindDigestMismatch:       {http.StatusBadRequest, "ValidationException"},
	kindInvalidCiphertext:    {http.StatusBadRequest, "InvalidCiphertextException"},
	kindNotExternal:          {http.StatusBadRequest, "UnsupportedOperationException"},
	kindNotPendingImport:     {http.StatusBadRequest, "KMSInvalidStateException"},
	kindInvalidImportToken:   {http.StatusBadRequest, "InvalidImportTokenException"},
	kindImportDecrypt:        {http.StatusBadRequest, "IncorrectKeyMaterialException"},
	kindAttestationMalformed: {http.StatusBadRequest, "ValidationException"},
	// AWS KMS refuses a recipient whose attestation does not satisfy the key
	// policy's kms:RecipientAttestation conditions with AccessDenied.
	kindAttestationRejected: {http.StatusForbidden, "AccessDeniedException"},
	kindRecipientKey:        {http.StatusBadRequest, "ValidationException"},
	kindUnauthenticated:     {http.StatusUnauthorized, "MissingAuthenticationTokenException"},
	kindUnknownOperation:    {http.StatusBadRequest, "UnknownOperationException"},
	kindMethodNotAllowed:    {http.StatusMethodNotAllowed, "UnknownOperationException"},
	kindUnsupported:         {http.StatusBadRequest, "UnsupportedOperationException"},
	kindInvalidState:        {http.StatusBadRequest, "KMSInvalidStateException"},
}

// awsErrorOf returns the wire form and message of err. Authentication
// failures are split as AWS splits them: a request without a usable
// signature is a 401, one whose signature names an unknown key or does not
// verify is a 403.
func awsErrorOf(err error) (awsError, string) {
	k, msg := kindOf(err)
	switch {
	case errors.Is(err, errAWSMediaType):
		return awsError{http.StatusUnsupportedMediaType, "UnsupportedMediaTypeException"}, msg
	case errors.Is(err, errAWSMarker):
		return awsError{http.StatusBadRequest, "InvalidMarkerException"}, msg
	}
	if k == kindUnauthenticated {
		switch {
		case errors.Is(err, errSigV4UnknownKey):
			return awsError{http.StatusForbidden, "UnrecognizedClientException"}, "the security token included in the request is invalid"
		case errors.Is(err, errSigV4Expired):
			return awsError{http.StatusForbidden, "InvalidSignatureException"}, "signature expired: the request date is too far from the server's clock"
		case errors.Is(err, errSigV4BadSignature), errors.Is(err, errSigV4PayloadHashed):
			return awsError{http.StatusForbidden, "InvalidSignatureException"}, "the request signature does not match"
		case errors.Is(err, errSigV4Malformed):
			return awsError{http.StatusUnauthorized, "IncompleteSignatureException"}, msg
		}
	}
	e, ok := awsErrors[k]
	if !ok {
		e = awsErrors[kindInternal]
	}
	return e, msg
}
