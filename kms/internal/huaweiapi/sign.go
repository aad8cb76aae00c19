package huaweiapi

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"

	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/kms/internal/core"
	"github.com/qtenclave/qtenclave/kms/internal/wire"
)

// sign, verify and create-datakey-without-plaintext as the DEW API
// reference and the official SDK's models define them
// (https://support.huaweicloud.com/intl/en-us/api-dew/Sign.html,
// ValidateSignature.html, CreateDatakeyWithoutPlaintext.html), and the
// asymmetric algorithms of encrypt-data and decrypt-data
// (EncryptData.html, DecryptData.html: RSAES_OAEP_SHA_256 and
// SM2_ENCRYPT), on the core's operations that the AWS front end shares.

// huaweiSigningAlgorithms maps sign's signing_algorithm values to the
// core's names: Huawei's SM2DSA_SM3 is AWS's SM2DSA.
var huaweiSigningAlgorithms = map[string]string{
	"RSASSA_PSS_SHA_256":        core.SignRSAPSSSHA256,
	"RSASSA_PSS_SHA_384":        core.SignRSAPSSSHA384,
	"RSASSA_PSS_SHA_512":        core.SignRSAPSSSHA512,
	"RSASSA_PKCS1_V1_5_SHA_256": core.SignRSAPKCS1SHA256,
	"RSASSA_PKCS1_V1_5_SHA_384": core.SignRSAPKCS1SHA384,
	"RSASSA_PKCS1_V1_5_SHA_512": core.SignRSAPKCS1SHA512,
	"ECDSA_SHA_256":             core.SignECDSASHA256,
	"ECDSA_SHA_384":             core.SignECDSASHA384,
	"ECDSA_SHA_512":             core.SignECDSASHA512,
	"SM2DSA_SM3":                core.SignSM2DSA,
}

// signInput checks the fields that sign and verify share, in the order of
// the reference: key_id, message, (signature,) signing_algorithm,
// message_type, sequence. message_type defaults to DIGEST; SM2 keys sign
// digests only ("SM2 keys can only be used to sign message digests"), the
// e = SM3(Z_A || M) of GB/T 32918.2.
func signInput(keyID, message, algorithm, messageType, sequence string, sig *string) (*core.SignInput, error) {
	if err := checkKeyID(keyID); err != nil {
		return nil, err
	}
	if message == "" {
		return nil, core.Errorf(core.KindMissingParameter, "message is missing")
	}
	if len(message) > base64.StdEncoding.EncodedLen(core.MaxSignMessage) {
		return nil, core.Errorf(core.KindInvalidParameter, "message is longer than %d bytes", core.MaxSignMessage)
	}
	msg, err := wire.Base64("message", message)
	if err != nil {
		return nil, err
	}
	in := &core.SignInput{KeyID: keyID, Message: msg}
	if sig != nil {
		if *sig == "" {
			return nil, core.Errorf(core.KindMissingParameter, "signature is missing")
		}
		if in.Signature, err = wire.Base64("signature", *sig); err != nil {
			return nil, err
		}
	}
	if algorithm == "" {
		return nil, core.Errorf(core.KindMissingParameter, "signing_algorithm is missing")
	}
	var ok bool
	if in.Algorithm, ok = huaweiSigningAlgorithms[algorithm]; !ok {
		return nil, core.Errorf(core.KindInvalidParameter, "signing_algorithm %.64q is not a signing algorithm", algorithm)
	}
	switch messageType {
	case "", "DIGEST":
		in.Digest = true
	case "RAW":
		if in.Algorithm == core.SignSM2DSA {
			return nil, core.Errorf(core.KindInvalidParameter, "message_type RAW: SM2DSA_SM3 signs message digests only")
		}
	default:
		return nil, core.Errorf(core.KindInvalidParameter, "message_type %.64q is not DIGEST or RAW", messageType)
	}
	if err := checkSequence(sequence); err != nil {
		return nil, err
	}
	return in, nil
}

func (a *API) sign(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.SignRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	in, err := signInput(req.KeyID, req.Message, req.SigningAlgorithm, req.MessageType, req.Sequence, nil)
	if err != nil {
		return nil, err
	}
	out, err := a.core.Sign(ctx, c, in)
	if err != nil {
		return nil, err
	}
	return &huawei.SignResponse{KeyID: out.KeyID, Signature: b64(out.Signature)}, nil
}

// verify answers signature_valid "false" for a signature that does not
// verify: the reference describes the field as "true" for a valid
// signature and "false" for an invalid one.
func (a *API) verify(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.VerifyRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	in, err := signInput(req.KeyID, req.Message, req.SigningAlgorithm, req.MessageType, req.Sequence, &req.Signature)
	if err != nil {
		return nil, err
	}
	out, err := a.core.Verify(ctx, c, in)
	var ce *core.Error
	if errors.As(err, &ce) && ce.Kind == core.KindInvalidSignature {
		return &huawei.VerifyResponse{KeyID: req.KeyID, SignatureValid: "false"}, nil
	}
	if err != nil {
		return nil, err
	}
	return &huawei.VerifyResponse{KeyID: out.KeyID, SignatureValid: "true"}, nil
}

// createDatakeyWithoutPlaintext takes create-datakey's body (the SDK sends
// CreateDatakeyRequestBody) without a recipient: there is no plaintext to
// seal.
func (a *API) createDatakeyWithoutPlaintext(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.CreateDatakeyRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	bits, err := datakeyBits(req.KeySpec, req.DatakeyLength)
	if err != nil {
		return nil, err
	}
	if err := checkAAD(req.AdditionalAuthenticatedData); err != nil {
		return nil, err
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	if err := checkPin(req.Pin.Reveal(), req.PinType); err != nil {
		return nil, err
	}
	if req.Recipient != nil {
		return nil, core.Errorf(core.KindInvalidParameter, "recipient does not apply: create-datakey-without-plaintext returns no plaintext")
	}
	out, err := a.core.GenerateDataKeyWithoutPlaintext(ctx, c, req.KeyID, bits/8, []byte(req.AdditionalAuthenticatedData))
	if err != nil {
		return nil, err
	}
	return &huawei.CreateDatakeyWithoutPlaintextResponse{KeyID: out.KeyID, CipherText: hex.EncodeToString(out.Ciphertext)}, nil
}

// huaweiEncryptionAlgorithms maps encrypt-data's and decrypt-data's
// encryption_algorithm values to the core's names: Huawei's SM2_ENCRYPT is
// AWS's SM2PKE. RSAES_OAEP_SHA_1 is not among them (Huawei lists it for
// importing key material and re-encrypt only).
var huaweiEncryptionAlgorithms = map[string]string{
	"":                   core.EncryptSymmetricDefault,
	"SYMMETRIC_DEFAULT":  core.EncryptSymmetricDefault,
	"RSAES_OAEP_SHA_256": core.EncryptRSAOAEPSHA256,
	"SM2_ENCRYPT":        core.EncryptSM2PKE,
}

// encryptionAlgorithm checks encrypt-data's and decrypt-data's
// encryption_algorithm and returns the core's name.
func encryptionAlgorithm(alg string) (string, error) {
	ours, ok := huaweiEncryptionAlgorithms[alg]
	if !ok {
		return "", core.Errorf(core.KindInvalidParameter, "encryption_algorithm %.64q is not SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_256 or SM2_ENCRYPT", alg)
	}
	return ours, nil
}
