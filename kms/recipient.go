package kms

import (
	"context"
	"errors"
)

// The recipient path: verify the enclave's attestation document (trusted
// roots and the key's PCR policy), then seal the secret to the RSA key the
// document carries. Nothing is computed for the caller unless both succeed.

// errNoRecipient reports a recipient request before attestation and
// recipient are wired in.
var errNoRecipient = errors.New("kms: recipient sealing is not available in this build")

// verifiedRecipient is an attestation document that passed every check.
type verifiedRecipient struct{}

// verifyRecipient checks a recipient request against the key's policy.
func (s *Server) verifyRecipient(ctx context.Context, rec *keyRecord, r *recipientInput) (*verifiedRecipient, error) {
	if r.algorithm != "" && r.algorithm != keyEncryptionAlgorithm {
		return nil, errorf(kindInvalidParameter, "key_encryption_algorithm %q is not RSAES_OAEP_SHA_256", r.algorithm)
	}
	return nil, wrapf(kindUnsupported, errNoRecipient, "recipient is not available in this build")
}

// seal wraps secret for the verified enclave (ciphertext_recipient).
func (v *verifiedRecipient) seal(secret []byte) ([]byte, error) {
	return nil, errNoRecipient
}

// sealForRecipient verifies r and seals secret to it.
func (s *Server) sealForRecipient(ctx context.Context, rec *keyRecord, r *recipientInput, secret []byte) ([]byte, error) {
	v, err := s.verifyRecipient(ctx, rec, r)
	if err != nil {
		return nil, err
	}
	return v.seal(secret)
}
