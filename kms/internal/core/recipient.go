package core

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

// Recipient is a request to seal the result to an attested enclave.
type Recipient struct {
	Document  []byte // the attestation document as received
	Algorithm string // "" or RSAES_OAEP_SHA_256
}

const keyEncryptionAlgorithm = "RSAES_OAEP_SHA_256"

// MaxDocumentLen bounds an attestation document: front ends refuse a longer
// one before decoding it.
const MaxDocumentLen = 32 << 10

// maxDocumentAge is how old an attestation document may be: the enclave
// makes a fresh one per request, and a short window limits the replay of a
// captured document (the envelope is readable only by the enclave anyway).
const maxDocumentAge = 5 * time.Minute

// verifiedRecipient is an attestation document that passed every check.
type verifiedRecipient struct {
	doc *attestation.Document
}

// verifyRecipient checks a recipient request against the key's policy.
func (k *KMS) verifyRecipient(ctx context.Context, rec *store.Record, r *Recipient) (*verifiedRecipient, error) {
	if r.Algorithm != "" && r.Algorithm != keyEncryptionAlgorithm {
		return nil, Errorf(KindInvalidParameter, "key_encryption_algorithm %q is not RSAES_OAEP_SHA_256", r.Algorithm)
	}
	doc, err := attestation.Verify(r.Document, attestation.VerifyOptions{
		Roots:  k.roots,
		MaxAge: maxDocumentAge,
		PCRs:   rec.PCRs,
	})
	switch {
	case err == nil:
	case errors.Is(err, attestation.ErrMalformed):
		return nil, Wrapf(KindAttestationMalformed, err, "attestation_document is malformed")
	case errors.Is(err, attestation.ErrSignature):
		return nil, Wrapf(KindAttestationRejected, err, "attestation_document signature does not verify")
	case errors.Is(err, attestation.ErrUntrusted):
		return nil, Wrapf(KindAttestationRejected, err, "attestation_document is not signed by a trusted root")
	case errors.Is(err, attestation.ErrExpired):
		return nil, Wrapf(KindAttestationRejected, err, "attestation_document is expired or too old")
	case errors.Is(err, attestation.ErrPolicy):
		return nil, Wrapf(KindAttestationRejected, err, "attestation_document does not meet the key's recipient policy")
	default:
		return nil, Wrapf(KindAttestationRejected, err, "attestation_document does not verify")
	}
	pub, err := x509.ParsePKIXPublicKey(doc.PublicKey)
	rk, ok := pub.(*rsa.PublicKey)
	if len(doc.PublicKey) == 0 || err != nil || !ok {
		return nil, Errorf(KindRecipientKey, "attestation_document carries no RSA public_key")
	}
	if b := rk.N.BitLen(); b != 2048 && b != 3072 && b != 4096 {
		return nil, Errorf(KindRecipientKey, "attestation_document public_key is RSA-%d, not 2048, 3072 or 4096", b)
	}
	return &verifiedRecipient{doc: doc}, nil
}

// seal wraps secret for the verified enclave: ciphertext_recipient, in the
// layout AWS KMS writes.
func (v *verifiedRecipient) seal(secret []byte) ([]byte, error) {
	return recipient.SealToDocument(secret, v.doc, recipient.SealOptions{})
}

// deliver puts secret into out: as is without a recipient, or sealed to the
// recipient under rec's attestation policy, in which case secret is cleared.
func (k *KMS) deliver(ctx context.Context, rec *store.Record, r *Recipient, secret []byte, out *SecretOutput) (*SecretOutput, error) {
	if r == nil {
		out.Plaintext = secret
		return out, nil
	}
	defer clear(secret)
	v, err := k.verifyRecipient(ctx, rec, r)
	if err != nil {
		return nil, err
	}
	if out.ForRecipient, err = v.seal(secret); err != nil {
		return nil, err
	}
	return out, nil
}
