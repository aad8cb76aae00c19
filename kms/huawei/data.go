package huawei

import "context"

// The data operations of the DEW API reference: create-datakey,
// encrypt-data, decrypt-data and gen-random, with the fields of the
// official SDK's models
// (https://support.huaweicloud.com/intl/en-us/api-dew/CreateDatakey.html,
// EncryptData.html, DecryptData.html, CreateRandom.html). Each that releases
// a secret also takes this server's Recipient, as derive-shared-secret does:
// Huawei lists the kms:RecipientAttestation condition key for these APIs.
// A response to a request with a recipient carries ciphertext_recipient
// instead of the secret.

// CreateDatakeyRequest is the body of create-datakey.
type CreateDatakeyRequest struct {
	KeyID                       string     `json:"key_id"`
	KeySpec                     string     `json:"key_spec,omitempty"`       // AES_256, AES_128 or SM4
	DatakeyLength               string     `json:"datakey_length,omitempty"` // bits: a multiple of 8 in 8..8192
	AdditionalAuthenticatedData string     `json:"additional_authenticated_data,omitempty"`
	Sequence                    string     `json:"sequence,omitempty"`
	Pin                         Secret     `json:"pin,omitzero"`
	PinType                     string     `json:"pin_type,omitempty"`
	Recipient                   *Recipient `json:"recipient,omitempty"`
}

// CreateDatakeyResponse is the body of a create-datakey response: the data
// key under the CMK (for decrypt-datakey), and in plaintext or sealed to
// the recipient.
type CreateDatakeyResponse struct {
	KeyID               string `json:"key_id"`
	PlainText           Secret `json:"plain_text,omitzero"` // hex
	CipherText          string `json:"cipher_text"`         // hex
	CiphertextRecipient string `json:"ciphertext_recipient,omitempty"`
}

// EncryptDataRequest is the body of encrypt-data.
type EncryptDataRequest struct {
	KeyID                       string `json:"key_id"`
	PlainText                   Secret `json:"plain_text"`                     // 1 to 4096 bytes of text
	EncryptionAlgorithm         string `json:"encryption_algorithm,omitempty"` // SYMMETRIC_DEFAULT
	AdditionalAuthenticatedData string `json:"additional_authenticated_data,omitempty"`
	Sequence                    string `json:"sequence,omitempty"`
}

// EncryptDataResponse is the body of an encrypt-data response.
type EncryptDataResponse struct {
	KeyID      string `json:"key_id"`
	CipherText string `json:"cipher_text"` // base64
}

// DecryptDataRequest is the body of decrypt-data.
type DecryptDataRequest struct {
	CipherText                  string     `json:"cipher_text"` // base64, from encrypt-data
	EncryptionAlgorithm         string     `json:"encryption_algorithm,omitempty"`
	KeyID                       string     `json:"key_id,omitempty"` // the ciphertext names its key
	AdditionalAuthenticatedData string     `json:"additional_authenticated_data,omitempty"`
	Sequence                    string     `json:"sequence,omitempty"`
	Recipient                   *Recipient `json:"recipient,omitempty"`
}

// DecryptDataResponse is the body of a decrypt-data response: the plaintext
// (as text and base64), or CiphertextRecipient.
type DecryptDataResponse struct {
	KeyID               string `json:"key_id"`
	PlainText           Secret `json:"plain_text,omitzero"`
	PlainTextBase64     Secret `json:"plain_text_base64,omitzero"`
	CiphertextRecipient string `json:"ciphertext_recipient,omitempty"`
}

// GenRandomRequest is the body of gen-random.
type GenRandomRequest struct {
	RandomDataLength string     `json:"random_data_length"` // bits: a multiple of 8 in 8..8192
	Sequence         string     `json:"sequence,omitempty"`
	Recipient        *Recipient `json:"recipient,omitempty"`
}

// GenRandomResponse is the body of a gen-random response.
type GenRandomResponse struct {
	RandomData          Secret `json:"random_data,omitzero"` // hex
	CiphertextRecipient string `json:"ciphertext_recipient,omitempty"`
}

// CreateDatakey calls create-datakey.
func (c *Client) CreateDatakey(ctx context.Context, req *CreateDatakeyRequest) (*CreateDatakeyResponse, error) {
	return call[CreateDatakeyResponse](ctx, c, "create-datakey", req)
}

// EncryptData calls encrypt-data.
func (c *Client) EncryptData(ctx context.Context, req *EncryptDataRequest) (*EncryptDataResponse, error) {
	return call[EncryptDataResponse](ctx, c, "encrypt-data", req)
}

// DecryptData calls decrypt-data.
func (c *Client) DecryptData(ctx context.Context, req *DecryptDataRequest) (*DecryptDataResponse, error) {
	return call[DecryptDataResponse](ctx, c, "decrypt-data", req)
}

// GenRandom calls gen-random.
func (c *Client) GenRandom(ctx context.Context, req *GenRandomRequest) (*GenRandomResponse, error) {
	return call[GenRandomResponse](ctx, c, "gen-random", req)
}
