package awsapi

import (
	"errors"
	"net/http"

	"github.com/qtenclave/qtenclave/kms/internal/core"
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
var awsErrors = map[core.Kind]awsError{
	core.KindInternal:             {http.StatusInternalServerError, "KMSInternalException"},
	core.KindMalformedRequest:     {http.StatusBadRequest, "SerializationException"},
	core.KindTooLarge:             {http.StatusRequestEntityTooLarge, "ValidationException"},
	core.KindMissingParameter:     {http.StatusBadRequest, "ValidationException"},
	core.KindInvalidKeyID:         {http.StatusBadRequest, "NotFoundException"}, // as AWS: "Invalid keyId"
	core.KindInvalidSequence:      {http.StatusBadRequest, "ValidationException"},
	core.KindInvalidParameter:     {http.StatusBadRequest, "ValidationException"},
	core.KindInvalidAlias:         {http.StatusBadRequest, "InvalidAliasNameException"},
	core.KindNotFound:             {http.StatusBadRequest, "NotFoundException"},
	core.KindDisabled:             {http.StatusBadRequest, "DisabledException"},
	core.KindInvalidKeyUsage:      {http.StatusBadRequest, "InvalidKeyUsageException"},
	core.KindSpecMismatch:         {http.StatusBadRequest, "InvalidPublicKeyException"}, // a peer key of another curve: seed 001
	core.KindInvalidPublicKey:     {http.StatusBadRequest, "InvalidPublicKeyException"},
	core.KindDigestMismatch:       {http.StatusBadRequest, "ValidationException"},
	core.KindInvalidCiphertext:    {http.StatusBadRequest, "InvalidCiphertextException"},
	core.KindNotExternal:          {http.StatusBadRequest, "UnsupportedOperationException"},
	core.KindNotPendingImport:     {http.StatusBadRequest, "KMSInvalidStateException"},
	core.KindInvalidImportToken:   {http.StatusBadRequest, "InvalidImportTokenException"},
	core.KindImportDecrypt:        {http.StatusBadRequest, "IncorrectKeyMaterialException"},
	core.KindAttestationMalformed: {http.StatusBadRequest, "ValidationException"},
	// AWS KMS refuses a recipient whose attestation does not satisfy the key
	// policy's kms:RecipientAttestation conditions with AccessDenied.
	core.KindAttestationRejected: {http.StatusForbidden, "AccessDeniedException"},
	core.KindRecipientKey:        {http.StatusBadRequest, "ValidationException"},
	core.KindUnauthenticated:     {http.StatusUnauthorized, "MissingAuthenticationTokenException"},
	core.KindUnknownOperation:    {http.StatusBadRequest, "UnknownOperationException"},
	core.KindMethodNotAllowed:    {http.StatusMethodNotAllowed, "UnknownOperationException"},
	core.KindUnsupported:         {http.StatusBadRequest, "UnsupportedOperationException"},
	core.KindInvalidState:        {http.StatusBadRequest, "KMSInvalidStateException"},
	// A key policy's denial: AccessDeniedException with AWS's status for
	// every client error.
	core.KindAccessDenied:    {http.StatusBadRequest, "AccessDeniedException"},
	core.KindMalformedPolicy: {http.StatusBadRequest, "MalformedPolicyDocumentException"},
	// The key lifecycle (https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html):
	// every state that does not allow an operation is KMSInvalidStateException,
	// but a disabled key's DisabledException.
	core.KindPendingDeletion:        {http.StatusBadRequest, "KMSInvalidStateException"},
	core.KindNotDisabled:            {http.StatusBadRequest, "KMSInvalidStateException"},
	core.KindNotEnabled:             {http.StatusBadRequest, "KMSInvalidStateException"},
	core.KindNotPendingDeletion:     {http.StatusBadRequest, "KMSInvalidStateException"},
	core.KindAlreadyPendingDeletion: {http.StatusBadRequest, "KMSInvalidStateException"},
	core.KindAlreadyExists:          {http.StatusBadRequest, "AlreadyExistsException"},
	core.KindInvalidTag:             {http.StatusBadRequest, "TagException"},
	core.KindLimitExceeded:          {http.StatusBadRequest, "LimitExceededException"},
	core.KindIncorrectKey:           {http.StatusBadRequest, "IncorrectKeyException"},
	core.KindInvalidSignature:       {http.StatusBadRequest, "KMSInvalidSignatureException"},
}

// awsErrorOf returns the wire form and message of err. Authentication
// failures are split as AWS splits them: a request without a usable
// signature is a 401, one whose signature names an unknown key or does not
// verify is a 403.
func awsErrorOf(err error) (awsError, string) {
	k, msg := core.KindOf(err)
	switch {
	case errors.Is(err, errAWSMediaType):
		return awsError{http.StatusUnsupportedMediaType, "UnsupportedMediaTypeException"}, msg
	case errors.Is(err, errAWSMarker):
		return awsError{http.StatusBadRequest, "InvalidMarkerException"}, msg
	}
	if k == core.KindUnauthenticated {
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
		e = awsErrors[core.KindInternal]
	}
	return e, msg
}
