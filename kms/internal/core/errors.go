package core

import (
	"errors"
	"fmt"
)

// Kind classifies a failed KMS operation. Each front end maps a kind to its
// own wire form: the Huawei front end to an HTTP status and a "KMS.XXXX"
// error_code, the AWS front end to a status and an "__type".
type Kind int

// The kinds of failure. Front ends answer with them too, for the failures
// they find before an operation runs (a malformed body, a missing field).
const (
	KindInternal               Kind = iota // a server-side failure; never caused by input
	KindMalformedRequest                   // body is not a JSON object of the operation's fields
	KindTooLarge                           // body exceeds the request limit
	KindMissingParameter                   // a mandatory field is absent or empty
	KindInvalidKeyID                       // key_id does not match the 36-byte key ID format
	KindInvalidSequence                    // sequence is longer than the 36 bytes of a serial number
	KindInvalidParameter                   // a field breaks its enum, regex, length or range rule
	KindInvalidAlias                       // key_alias breaks its rule
	KindNotFound                           // no key has that ID
	KindDisabled                           // the key is not enabled
	KindInvalidKeyUsage                    // the key's usage does not allow the operation
	KindSpecMismatch                       // the key's spec does not fit the operation or the peer key
	KindInvalidPublicKey                   // public_key is not base64 DER SPKI of the right curve
	KindDigestMismatch                     // plain_text's digest does not match the data key
	KindInvalidCiphertext                  // a ciphertext does not decrypt (wrong key, AAD or bytes)
	KindNotExternal                        // import on a key whose origin is not external
	KindNotPendingImport                   // import on a key that is not waiting for material
	KindInvalidImportToken                 // import_token is malformed, forged, expired or for another key
	KindImportDecrypt                      // encrypted_key_material or encrypted_privatekey does not unwrap
	KindAttestationMalformed               // the attestation document does not parse
	KindAttestationRejected                // signature, chain, validity, age or debug-mode check failed
	KindRecipientKey                       // the document carries no usable RSA recipient key
	KindUnauthenticated                    // no valid token or signature
	KindUnknownOperation                   // the URL or target names no operation
	KindMethodNotAllowed                   // not a POST
	KindUnsupported                        // a valid value this server does not implement
	KindInvalidState                       // the key's state does not allow the operation (pending import)
	KindAccessDenied                       // a key policy or IAM policy does not allow the operation
	KindMalformedPolicy                    // a key policy document is refused: grammar, limits or lockout
	KindPendingDeletion                    // the key is pending deletion
	KindNotDisabled                        // enable on a key that is not disabled
	KindNotEnabled                         // disable on a key that is not enabled
	KindNotPendingDeletion                 // cancel-key-deletion on a key that is not pending deletion
	KindAlreadyPendingDeletion             // schedule-key-deletion on a key that is pending deletion
	KindAlreadyExists                      // an alias that another key has
	KindInvalidTag                         // a tag key or value breaks its rule
	KindLimitExceeded                      // too many tags or aliases on a key
	KindIncorrectKey                       // the ciphertext was made under another key than the one named
	KindInvalidSignature                   // a signature does not verify
)

// Error is a failed operation: a kind that front ends map to their wire form
// and a message safe to show the caller (it never echoes secret input).
type Error struct {
	Kind    Kind
	Message string
	Err     error // cause, for errors.Is and logs; never sent on the wire
}

func (e *Error) Error() string { return "kms: " + e.Message }

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of kind k.
func Errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Wrapf returns an *Error of kind k that wraps cause.
func Wrapf(k Kind, cause error, format string, args ...any) error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...), Err: cause}
}

// KindOf returns the kind of err and the message to send: KindInternal and a
// fixed message for anything that is not an *Error, so that internal
// details never reach the wire.
func KindOf(err error) (Kind, string) {
	var e *Error
	if errors.As(err, &e) && e.Kind != KindInternal {
		return e.Kind, e.Message
	}
	return KindInternal, "internal error"
}
