package huawei

import "context"

// Signing and data keys without plaintext, with the fields of the official
// SDK's models (SignRequestBody, VerifyRequestBody,
// CreateDatakeyWithoutPlaintextRequest) and of the DEW API reference
// (https://support.huaweicloud.com/intl/en-us/api-dew/Sign.html,
// ValidateSignature.html, CreateDatakeyWithoutPlaintext.html).

// SignRequest is the body of sign.
type SignRequest struct {
	KeyID            string `json:"key_id"`
	Message          string `json:"message"`                // base64 of the message or its digest
	SigningAlgorithm string `json:"signing_algorithm"`      // RSASSA_PSS_SHA_256, ..., ECDSA_SHA_256, ..., SM2DSA_SM3
	MessageType      string `json:"message_type,omitempty"` // DIGEST (the default) or RAW
	Sequence         string `json:"sequence,omitempty"`
}

// SignResponse is the body of a sign response.
type SignResponse struct {
	KeyID     string `json:"key_id"`
	Signature string `json:"signature"` // base64
}

// VerifyRequest is the body of verify.
type VerifyRequest struct {
	KeyID            string `json:"key_id"`
	Message          string `json:"message"`
	Signature        string `json:"signature"` // base64
	SigningAlgorithm string `json:"signing_algorithm"`
	MessageType      string `json:"message_type,omitempty"`
	Sequence         string `json:"sequence,omitempty"`
}

// VerifyResponse is the body of a verify response.
type VerifyResponse struct {
	KeyID          string `json:"key_id"`
	SignatureValid string `json:"signature_valid"` // "true" or "false"
}

// CreateDatakeyWithoutPlaintextResponse is the body of a
// create-datakey-without-plaintext response, whose request is a
// CreateDatakeyRequest without a recipient.
type CreateDatakeyWithoutPlaintextResponse struct {
	KeyID      string `json:"key_id"`
	CipherText string `json:"cipher_text"` // hex
}

// Sign calls sign.
func (c *Client) Sign(ctx context.Context, req *SignRequest) (*SignResponse, error) {
	return call[SignResponse](ctx, c, "sign", req)
}

// Verify calls verify. A signature that does not verify is a 200 answer
// with SignatureValid "false", not an error.
func (c *Client) Verify(ctx context.Context, req *VerifyRequest) (*VerifyResponse, error) {
	return call[VerifyResponse](ctx, c, "verify", req)
}

// CreateDatakeyWithoutPlaintext calls create-datakey-without-plaintext.
func (c *Client) CreateDatakeyWithoutPlaintext(ctx context.Context, req *CreateDatakeyRequest) (*CreateDatakeyWithoutPlaintextResponse, error) {
	return call[CreateDatakeyWithoutPlaintextResponse](ctx, c, "create-datakey-without-plaintext", req)
}
