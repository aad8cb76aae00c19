package core

import "context"

// ReEncrypt: decrypt under one key and encrypt under another inside the
// KMS, so that the plaintext never leaves it
// (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html).
// It is authorized twice, as AWS authorizes it: kms:ReEncryptFrom on the
// source key and kms:ReEncryptTo on the destination key. Huawei's re-encrypt
// needs no identity-policy permission
// (https://support.huaweicloud.com/intl/en-us/api-dew/ReEncrypt.html), so the
// actions have no Huawei names and only key policies decide.
//
// kms:ReEncryptFrom moves a ciphertext's plaintext under another key, which
// may be decrypted under looser rules: the recipient_attestation shorthand
// denies it with the secret-releasing actions (secretActions).

var (
	actReEncryptFrom = action{"kms:ReEncryptFrom", nil}
	actReEncryptTo   = action{"kms:ReEncryptTo", nil}
)

// ReEncryptInput is a ciphertext to re-encrypt: how to decrypt it (as
// DecryptInput, without a recipient) and how to encrypt its plaintext.
type ReEncryptInput struct {
	SourceKeyID     string // optional for a symmetric ciphertext, as DecryptInput.KeyID
	Ciphertext      []byte
	SourceAAD       []byte
	SourceAlgorithm string // "" = SYMMETRIC_DEFAULT

	DestinationKeyID     string
	DestinationAAD       []byte // symmetric destination keys only
	DestinationAlgorithm string // "" = SYMMETRIC_DEFAULT
}

// ReEncryptOutput is the new ciphertext. It never carries the plaintext.
type ReEncryptOutput struct {
	SourceKeyID          string
	SourceAlgorithm      string
	KeyID                string // the destination key
	DestinationAlgorithm string
	Ciphertext           []byte
}

// ReEncrypt decrypts a ciphertext under its key and encrypts the plaintext
// under the destination key. The plaintext is cleared before it returns.
func (k *KMS) ReEncrypt(ctx context.Context, c Caller, in *ReEncryptInput) (*ReEncryptOutput, error) {
	if in.DestinationKeyID == "" {
		return nil, Errorf(KindMissingParameter, "the destination key is missing")
	}
	pt, src, _, err := k.decryptAs(ctx, c, actReEncryptFrom, &DecryptInput{
		KeyID: in.SourceKeyID, Ciphertext: in.Ciphertext, AAD: in.SourceAAD, Algorithm: in.SourceAlgorithm,
	})
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	enc, err := k.encryptAs(ctx, c, actReEncryptTo, &EncryptInput{
		KeyID: in.DestinationKeyID, Plaintext: pt, AAD: in.DestinationAAD, Algorithm: in.DestinationAlgorithm,
	})
	if err != nil {
		return nil, err
	}
	srcAlg := in.SourceAlgorithm
	if srcAlg == "" {
		srcAlg = EncryptSymmetricDefault
	}
	return &ReEncryptOutput{
		SourceKeyID: src.ID, SourceAlgorithm: srcAlg,
		KeyID: enc.KeyID, DestinationAlgorithm: enc.Algorithm, Ciphertext: enc.Ciphertext,
	}, nil
}
