package core

import (
	"context"
	"errors"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/recipient"
)

// The recipient path: verify the enclave's attestation document against the
// trusted roots and its age, and check that it carries an RSA key to seal
// to; then the operation authorizes the call with the document's PCRs as
// condition values (authorize), and only then computes and seals the
// secret to that RSA key. Nothing is sealed unless every check passes.

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

// verifiedRecipient is an attestation document that passed every check,
// with the condition keys it gives the policies.
type verifiedRecipient struct {
	doc     *attestation.Document
	context map[string][]string
}

// verifyRecipient verifies a recipient's document: its signature, chain,
// validity and age, and an RSA public_key that a secret can be sealed to.
// Which PCRs it must carry is the policies' concern: the caller authorizes
// the operation with the verified document's context. A nil r is no
// recipient.
func (k *KMS) verifyRecipient(ctx context.Context, r *Recipient) (*verifiedRecipient, error) {
	if r == nil {
		return nil, nil
	}
	if r.Algorithm != "" && r.Algorithm != keyEncryptionAlgorithm {
		return nil, Errorf(KindInvalidParameter, "key_encryption_algorithm %q is not RSAES_OAEP_SHA_256", r.Algorithm)
	}
	// AllowDebug here, so that a policy failure can only be the RSA key
	// (RequireRSAPublicKey mirrors crypto/rsa's checks, so a key it would
	// refuse to encrypt to is a 4xx here, not a 500 at sealing time); debug
	// mode is refused below, with attestation's rule.
	doc, err := attestation.Verify(r.Document, attestation.VerifyOptions{
		Roots:               k.roots,
		MaxAge:              maxDocumentAge,
		RequireRSAPublicKey: true,
		AllowDebug:          true,
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
		return nil, Wrapf(KindRecipientKey, err, "attestation_document carries no RSA-2048, 3072 or 4096 public_key that can be encrypted to")
	default:
		return nil, Wrapf(KindAttestationRejected, err, "attestation_document does not verify")
	}
	if debugMode(doc.PCRs) {
		return nil, Errorf(KindAttestationRejected, "attestation_document comes from an enclave in debug mode")
	}
	return &verifiedRecipient{doc: doc, context: attestationContext(doc.PCRs)}, nil
}

// debugMode is attestation's rule (VerifyOptions.AllowDebug): an enclave in
// debug mode has PCR0, PCR1 and PCR2 all zero (or absent), and its memory
// is readable by the host.
func debugMode(pcrs map[int][]byte) bool {
	for i := range 3 {
		for _, b := range pcrs[i] {
			if b != 0 {
				return false
			}
		}
	}
	return true
}

// seal wraps secret for the verified enclave: ciphertext_recipient, in the
// layout AWS KMS writes.
func (v *verifiedRecipient) seal(secret []byte) ([]byte, error) {
	return recipient.SealToDocument(secret, v.doc, recipient.SealOptions{})
}

// deliver puts secret into out: as is without a recipient, or sealed to the
// verified recipient, in which case secret is cleared.
func deliver(v *verifiedRecipient, secret []byte, out *SecretOutput) (*SecretOutput, error) {
	if v == nil {
		out.Plaintext = secret
		return out, nil
	}
	defer clear(secret)
	var err error
	if out.ForRecipient, err = v.seal(secret); err != nil {
		return nil, err
	}
	return out, nil
}
