package awsapi

import (
	"context"

	"github.com/qtenclave/qtenclave/kms/internal/core"
	"github.com/qtenclave/qtenclave/kms/internal/wire"
)

// The cryptographic operations beyond the seed pages: Sign, Verify,
// ReEncrypt, GenerateDataKeyWithoutPlaintext and
// GenerateDataKeyPairWithoutPlaintext, with the members, bounds and errors
// of the AWS KMS API Reference
// (https://docs.aws.amazon.com/kms/latest/APIReference/API_<Op>.html).
// Encrypt and Decrypt (awsapi.go) take every EncryptionAlgorithm through
// the core's EncryptWith and DecryptWith.

// Bounds of the AWS KMS API Reference for these operations.
const (
	awsMaxSignature = 6144 // Verify's Signature
)

// awsOtherSigningAlgorithms are AWS SigningAlgorithmSpec values of key specs
// this server does not implement (ML-DSA, Ed25519).
var awsOtherSigningAlgorithms = map[string]bool{"ML_DSA_SHAKE_256": true, "ED25519_SHA_512": true, "ED25519_PH_SHA_512": true}

// awsSignInput checks the members that Sign and Verify share, in the
// order of the reference, and returns the core's input.
func awsSignInput(id, message, messageType, algorithm string) (*core.SignInput, error) {
	if message == "" {
		return nil, core.Errorf(core.KindMissingParameter, "Message is missing")
	}
	msg, err := awsBlob("Message", message, core.MaxSignMessage)
	if err != nil {
		return nil, err
	}
	in := &core.SignInput{KeyID: id, Message: msg, Algorithm: algorithm}
	switch messageType {
	case "", "RAW":
	case "DIGEST":
		in.Digest = true
	case "EXTERNAL_MU":
		return nil, core.Errorf(core.KindUnsupported, "MessageType EXTERNAL_MU applies to ML-DSA keys, which this server does not support")
	default:
		return nil, core.Errorf(core.KindInvalidParameter, "MessageType %.64q is not RAW or DIGEST", messageType)
	}
	switch {
	case algorithm == "":
		return nil, core.Errorf(core.KindMissingParameter, "SigningAlgorithm is missing")
	case awsOtherSigningAlgorithms[algorithm]:
		return nil, core.Errorf(core.KindUnsupported, "SigningAlgorithm %s is not supported by this server", algorithm)
	case !core.IsSigningAlgorithm(algorithm):
		return nil, core.Errorf(core.KindInvalidParameter, "SigningAlgorithm %.64q is not a signing algorithm", algorithm)
	}
	return in, nil
}

func (a *API) sign(ctx context.Context, c core.Caller, body []byte) (any, error) {
	in, id, err := decodeAWSKeyed[awsSignRequest](a, body)
	if err != nil {
		return nil, err
	}
	si, err := awsSignInput(id, in.Message, in.MessageType, in.SigningAlgorithm)
	if err != nil {
		return nil, err
	}
	out, err := a.core.Sign(ctx, c, si)
	if err != nil {
		return nil, err
	}
	return &awsSignResponse{KeyID: a.core.KeyARN(out.KeyID), Signature: out.Signature, SigningAlgorithm: out.Algorithm}, nil
}

func (a *API) verify(ctx context.Context, c core.Caller, body []byte) (any, error) {
	in, id, err := decodeAWSKeyed[awsVerifyRequest](a, body)
	if err != nil {
		return nil, err
	}
	si, err := awsSignInput(id, in.Message, in.MessageType, in.SigningAlgorithm)
	if err != nil {
		return nil, err
	}
	if in.Signature == "" {
		return nil, core.Errorf(core.KindMissingParameter, "Signature is missing")
	}
	if si.Signature, err = awsBlob("Signature", in.Signature, awsMaxSignature); err != nil {
		return nil, err
	}
	// A signature that does not verify is KMSInvalidSignatureException:
	// AWS's Verify never answers SignatureValid false.
	out, err := a.core.Verify(ctx, c, si)
	if err != nil {
		return nil, err
	}
	return &awsVerifyResponse{KeyID: a.core.KeyARN(out.KeyID), SignatureValid: true, SigningAlgorithm: out.Algorithm}, nil
}

// awsEncryptionAlgorithm checks an EncryptionAlgorithm member: absent, or
// one of AWS's EncryptionAlgorithmSpec values. Which keys take which is the
// core's rule.
func awsEncryptionAlgorithm(field, alg string) error {
	if alg != "" && !core.IsEncryptionAlgorithm(alg) {
		return core.Errorf(core.KindInvalidParameter, "%s %.64q is not an encryption algorithm", field, alg)
	}
	return nil
}

// awsAlgorithmOr returns alg, or SYMMETRIC_DEFAULT for an absent one.
func awsAlgorithmOr(alg string) string {
	if alg == "" {
		return core.EncryptSymmetricDefault
	}
	return alg
}

func (a *API) reEncrypt(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsReEncryptRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	if in.CiphertextBlob == "" {
		return nil, core.Errorf(core.KindMissingParameter, "CiphertextBlob is missing")
	}
	blob, err := awsBlob("CiphertextBlob", in.CiphertextBlob, awsMaxCiphertext)
	if err != nil {
		return nil, err
	}
	ri := &core.ReEncryptInput{Ciphertext: blob, SourceAlgorithm: in.SourceEncryptionAlgorithm, DestinationAlgorithm: in.DestinationEncryptionAlgorithm}
	if ri.SourceAAD, err = awsContext(in.SourceEncryptionContext); err != nil {
		return nil, err
	}
	if in.SourceKeyID != "" {
		if ri.SourceKeyID, err = awsKeyRef("SourceKeyId", in.SourceKeyID, a.core.Account()); err != nil {
			return nil, err
		}
	}
	if ri.DestinationKeyID, err = awsKeyRef("DestinationKeyId", in.DestinationKeyID, a.core.Account()); err != nil {
		return nil, err
	}
	if ri.DestinationAAD, err = awsContext(in.DestinationEncryptionContext); err != nil {
		return nil, err
	}
	if err := awsEncryptionAlgorithm("SourceEncryptionAlgorithm", in.SourceEncryptionAlgorithm); err != nil {
		return nil, err
	}
	if err := awsEncryptionAlgorithm("DestinationEncryptionAlgorithm", in.DestinationEncryptionAlgorithm); err != nil {
		return nil, err
	}
	if len(in.GrantTokens) > awsMaxGrantTokens {
		return nil, core.Errorf(core.KindInvalidParameter, "GrantTokens has more than %d tokens", awsMaxGrantTokens)
	}
	out, err := a.core.ReEncrypt(ctx, c, ri)
	if err != nil {
		return nil, err
	}
	return &awsReEncryptResponse{
		CiphertextBlob:                 out.Ciphertext,
		DestinationEncryptionAlgorithm: out.DestinationAlgorithm,
		KeyID:                          a.keyARN(out.KeyID),
		SourceEncryptionAlgorithm:      out.SourceAlgorithm,
		SourceKeyID:                    a.keyARN(out.SourceKeyID),
	}, nil
}

func (a *API) generateDataKeyWithoutPlaintext(ctx context.Context, c core.Caller, body []byte) (any, error) {
	in, id, err := decodeAWSKeyed[awsGenerateDataKeyWithoutPlaintextRequest](a, body)
	if err != nil {
		return nil, err
	}
	n, aad, err := awsDataKeyParams(in.KeySpec, in.NumberOfBytes, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	out, err := a.core.GenerateDataKeyWithoutPlaintext(ctx, c, id, n, aad)
	if err != nil {
		return nil, err
	}
	return &awsGenerateDataKeyWithoutPlaintextResponse{CiphertextBlob: out.Ciphertext, KeyID: a.keyARN(out.KeyID)}, nil
}

func (a *API) generateDataKeyPairWithoutPlaintext(ctx context.Context, c core.Caller, body []byte) (any, error) {
	in, id, err := decodeAWSKeyed[awsGenerateDataKeyPairWithoutPlaintextRequest](a, body)
	if err != nil {
		return nil, err
	}
	aad, err := awsPairSpecContext(in.KeyPairSpec, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	out, err := a.core.DataKeyPair(ctx, c, &core.DataKeyPairInput{KeyID: id, Spec: in.KeyPairSpec, AAD: aad})
	if err != nil {
		return nil, err
	}
	return &awsGenerateDataKeyPairWithoutPlaintextResponse{
		KeyID:                    a.core.KeyARN(out.KeyID),
		KeyPairSpec:              out.Spec,
		PrivateKeyCiphertextBlob: out.PrivateCiphertext,
		PublicKey:                out.Public,
	}, nil
}
