package kms

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/kms/internal/store"
	"github.com/qtenclave/qtenclave/recipient"
)

// The recipient path: verify the enclave's attestation document against the
// trusted roots, its age and the key's PCR policy, then seal the secret to
// the RSA key the document carries. Nothing is sealed unless every check
// passes.

// maxDocumentAge is how old an attestation document may be: the enclave
// makes a fresh one per request, and a short window limits the replay of a
// captured document (the envelope is readable only by the enclave anyway).
const maxDocumentAge = 5 * time.Minute

// verifiedRecipient is an attestation document that passed every check.
type verifiedRecipient struct {
	doc *attestation.Document
}

// verifyRecipient checks a recipient request against the key's policy.
func (s *Server) verifyRecipient(ctx context.Context, rec *store.Record, r *recipientInput) (*verifiedRecipient, error) {
	if r.algorithm != "" && r.algorithm != keyEncryptionAlgorithm {
		return nil, errorf(kindInvalidParameter, "key_encryption_algorithm %q is not RSAES_OAEP_SHA_256", r.algorithm)
	}
	doc, err := attestation.Verify(r.document, attestation.VerifyOptions{
		Roots:  s.roots,
		MaxAge: maxDocumentAge,
		PCRs:   rec.PCRs,
	})
	switch {
	case err == nil:
	case errors.Is(err, attestation.ErrMalformed):
		return nil, wrapf(kindAttestationMalformed, err, "attestation_document is malformed")
	case errors.Is(err, attestation.ErrSignature):
		return nil, wrapf(kindAttestationRejected, err, "attestation_document signature does not verify")
	case errors.Is(err, attestation.ErrUntrusted):
		return nil, wrapf(kindAttestationRejected, err, "attestation_document is not signed by a trusted root")
	case errors.Is(err, attestation.ErrExpired):
		return nil, wrapf(kindAttestationRejected, err, "attestation_document is expired or too old")
	case errors.Is(err, attestation.ErrPolicy):
		return nil, wrapf(kindAttestationRejected, err, "attestation_document does not meet the key's recipient policy")
	default:
		return nil, wrapf(kindAttestationRejected, err, "attestation_document does not verify")
	}
	pub, err := x509.ParsePKIXPublicKey(doc.PublicKey)
	rk, ok := pub.(*rsa.PublicKey)
	if len(doc.PublicKey) == 0 || err != nil || !ok {
		return nil, errorf(kindRecipientKey, "attestation_document carries no RSA public_key")
	}
	if b := rk.N.BitLen(); b != 2048 && b != 3072 && b != 4096 {
		return nil, errorf(kindRecipientKey, "attestation_document public_key is RSA-%d, not 2048, 3072 or 4096", b)
	}
	return &verifiedRecipient{doc: doc}, nil
}

// seal wraps secret for the verified enclave: ciphertext_recipient, in the
// layout AWS KMS writes.
func (v *verifiedRecipient) seal(secret []byte) ([]byte, error) {
	return recipient.SealToDocument(secret, v.doc, recipient.SealOptions{})
}

// sealForRecipient verifies r and seals secret to it.
func (s *Server) sealForRecipient(ctx context.Context, rec *store.Record, r *recipientInput, secret []byte) ([]byte, error) {
	v, err := s.verifyRecipient(ctx, rec, r)
	if err != nil {
		return nil, err
	}
	return v.seal(secret)
}
