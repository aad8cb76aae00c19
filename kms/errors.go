package kms

import (
	"errors"
	"fmt"
	"net/http"
)

// kind classifies a failed KMS operation. Each front end maps a kind to its
// own wire form: the Huawei front end to an HTTP status and a "KMS.XXXX"
// error_code, the AWS front end to a status and an "__type".
type kind int

const (
	kindInternal             kind = iota // a server-side failure; never caused by input
	kindMalformedRequest                 // body is not a JSON object of the operation's fields
	kindTooLarge                         // body exceeds the request limit
	kindMissingParameter                 // a mandatory field is absent or empty
	kindInvalidKeyID                     // key_id does not match the 36-byte key ID format
	kindInvalidSequence                  // sequence is not a 36-byte serial number
	kindInvalidParameter                 // a field breaks its enum, regex, length or range rule
	kindInvalidAlias                     // key_alias breaks its rule
	kindNotFound                         // no key has that ID
	kindDisabled                         // the key is not enabled
	kindInvalidKeyUsage                  // the key's usage does not allow the operation
	kindSpecMismatch                     // the key's spec does not fit the operation or the peer key
	kindInvalidPublicKey                 // public_key is not base64 DER SPKI of the right curve
	kindDigestMismatch                   // plain_text's digest does not match the data key
	kindInvalidCiphertext                // a ciphertext does not decrypt (wrong key, AAD or bytes)
	kindNotExternal                      // import on a key whose origin is not external
	kindNotPendingImport                 // import on a key that is not waiting for material
	kindInvalidImportToken               // import_token is malformed, forged, expired or for another key
	kindImportDecrypt                    // encrypted_key_material or encrypted_privatekey does not unwrap
	kindAttestationMalformed             // the attestation document does not parse
	kindAttestationRejected              // signature, chain, validity or PCR policy check failed
	kindRecipientKey                     // the document carries no usable RSA recipient key
	kindUnauthenticated                  // no valid token or signature
	kindUnknownOperation                 // the URL or target names no operation
	kindMethodNotAllowed                 // not a POST
	kindUnsupported                      // a valid value this server does not implement
	kindInvalidState                     // the key's state does not allow the operation (pending import)
)

// opError is a failed operation of the typed layer: a kind that front ends
// map to their wire form and a message safe to show the caller (it never
// echoes secret input).
type opError struct {
	kind kind
	msg  string
	err  error // cause, for errors.Is and logs; never sent on the wire
}

func (e *opError) Error() string { return "kms: " + e.msg }

func (e *opError) Unwrap() error { return e.err }

// errorf returns an *opError of kind k.
func errorf(k kind, format string, args ...any) error {
	return &opError{kind: k, msg: fmt.Sprintf(format, args...)}
}

// wrapf returns an *opError of kind k that wraps cause.
func wrapf(k kind, cause error, format string, args ...any) error {
	return &opError{kind: k, msg: fmt.Sprintf(format, args...), err: cause}
}

// kindOf returns the kind of err and the message to send: kindInternal and a
// fixed message for anything that is not an *opError, so that internal
// details never reach the wire.
func kindOf(err error) (kind, string) {
	var e *opError
	if errors.As(err, &e) && e.kind != kindInternal {
		return e.kind, e.msg
	}
	return kindInternal, "internal error"
}

// huaweiErrors is the wire form of each kind on the Huawei front end.
//
// The codes KMS.0201-0206, 0209, 0308-0311 and 1101 are Huawei's own
// (DEW API reference, "Error Codes"), as is APIGW.0301 for authentication.
// Huawei publishes no code for a missing key, a digest mismatch or a failed
// attestation; the codes for those are this server's and lie in ranges
// Huawei leaves unused (KMS.07xx for key state, KMS.09xx for attestation).
var huaweiErrors = map[kind]struct {
	status int
	code   string
}{
	kindInternal:             {http.StatusInternalServerError, "KMS.0105"},
	kindMalformedRequest:     {http.StatusBadRequest, "KMS.0202"},
	kindTooLarge:             {http.StatusBadRequest, "KMS.0203"},
	kindMissingParameter:     {http.StatusBadRequest, "KMS.0204"},
	kindInvalidKeyID:         {http.StatusBadRequest, "KMS.0205"},
	kindInvalidSequence:      {http.StatusBadRequest, "KMS.0206"},
	kindInvalidParameter:     {http.StatusBadRequest, "KMS.0308"},
	kindInvalidAlias:         {http.StatusBadRequest, "KMS.1101"},
	kindNotFound:             {http.StatusNotFound, "KMS.0701"},
	kindDisabled:             {http.StatusBadRequest, "KMS.0209"},
	kindInvalidKeyUsage:      {http.StatusBadRequest, "KMS.0702"},
	kindSpecMismatch:         {http.StatusBadRequest, "KMS.0703"},
	kindInvalidPublicKey:     {http.StatusBadRequest, "KMS.0704"},
	kindDigestMismatch:       {http.StatusBadRequest, "KMS.0705"},
	kindInvalidCiphertext:    {http.StatusBadRequest, "KMS.0706"},
	kindNotExternal:          {http.StatusBadRequest, "KMS.0309"},
	kindNotPendingImport:     {http.StatusBadRequest, "KMS.0310"},
	kindInvalidImportToken:   {http.StatusBadRequest, "KMS.0707"},
	kindImportDecrypt:        {http.StatusBadRequest, "KMS.0311"},
	kindAttestationMalformed: {http.StatusBadRequest, "KMS.0901"},
	kindAttestationRejected:  {http.StatusForbidden, "KMS.0902"},
	kindRecipientKey:         {http.StatusBadRequest, "KMS.0903"},
	kindUnauthenticated:      {http.StatusUnauthorized, "APIGW.0301"},
	kindUnknownOperation:     {http.StatusBadRequest, "KMS.0201"},
	kindUnsupported:          {http.StatusBadRequest, "KMS.0308"},
	kindInvalidState:         {http.StatusBadRequest, "KMS.0708"},
	kindMethodNotAllowed:     {http.StatusMethodNotAllowed, "KMS.0201"},
}
