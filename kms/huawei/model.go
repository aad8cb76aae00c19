package huawei

// The request and response bodies of the Huawei REST API, with the field
// names of the seed pages. A field that carries a secret in plaintext (key
// material, a PIN) is a Secret, so that printing a model shows no secret.

// Recipient asks for a secret to be sealed to the RSA key of an attested
// enclave instead of being returned in plaintext.
type Recipient struct {
	AttestationDocument    string `json:"attestation_document,omitempty"`     // base64 COSE_Sign1
	KeyEncryptionAlgorithm string `json:"key_encryption_algorithm,omitempty"` // RSAES_OAEP_SHA_256 (the default)
}

// CreateKeyRequest is the body of create-key.
type CreateKeyRequest struct {
	KeyAlias            string `json:"key_alias"`
	KeySpec             string `json:"key_spec,omitempty"`  // default AES_256
	KeyUsage            string `json:"key_usage,omitempty"` // default ENCRYPT_DECRYPT (symmetric) or SIGN_VERIFY
	KeyDescription      string `json:"key_description,omitempty"`
	Origin              string `json:"origin,omitempty"` // kms (default) or external
	EnterpriseProjectID string `json:"enterprise_project_id,omitempty"`
	Sequence            string `json:"sequence,omitempty"`
	KeystoreID          string `json:"keystore_id,omitempty"`
	VMID                string `json:"vm_id,omitempty"`

	// RecipientAttestation is this server's extension: PCR values ("PCR0"
	// to "PCR31" -> hex) that an attestation document must carry for a
	// secret of this key to be sealed to it, like the condition keys
	// kms:RecipientAttestation/PCR0 of Huawei's policies.
	RecipientAttestation map[string]string `json:"recipient_attestation,omitempty"`
}

// KeyInfo is the key_info of a create-key response.
type KeyInfo struct {
	KeyID    string `json:"key_id"`
	DomainID string `json:"domain_id"`
}

// CreateKeyResponse is the body of a create-key response.
type CreateKeyResponse struct {
	KeyInfo KeyInfo `json:"key_info"`
}

// KeyRequest is the body of describe-key and get-publickey.
type KeyRequest struct {
	KeyID    string `json:"key_id"`
	Sequence string `json:"sequence,omitempty"`
}

// KeyDetails describes a key, as in describe-key and list-keys.
type KeyDetails struct {
	KeyID                 string `json:"key_id"`
	DomainID              string `json:"domain_id"`
	KeyAlias              string `json:"key_alias"`
	Realm                 string `json:"realm"`
	KeySpec               string `json:"key_spec"`
	KeyUsage              string `json:"key_usage"`
	KeyDescription        string `json:"key_description"`
	CreationDate          string `json:"creation_date"`           // milliseconds since the epoch
	ScheduledDeletionDate string `json:"scheduled_deletion_date"` // milliseconds since the epoch, in state 4
	KeyState              string `json:"key_state"`               // "2" enabled, "3" disabled, "4" pending deletion, "5" pending import
	DefaultKeyFlag        string `json:"default_key_flag"`
	KeyType               string `json:"key_type"`
	ExpirationTime        string `json:"expiration_time"` // seconds since the epoch, as import-key-material takes it
	Origin                string `json:"origin"`
	KeyRotationEnabled    string `json:"key_rotation_enabled"`
	SysEnterpriseProject  string `json:"sys_enterprise_project_id"`
	KeystoreID            string `json:"keystore_id"` // "0", the default key store
}

// DescribeKeyResponse is the body of a describe-key response.
type DescribeKeyResponse struct {
	KeyInfo KeyDetails `json:"key_info"`
}

// ListKeysRequest is the body of list-keys.
type ListKeysRequest struct {
	Limit               string `json:"limit,omitempty"`     // decimal, 1..1000; default 1000
	Marker              string `json:"marker,omitempty"`    // next_marker of the previous page
	KeyState            string `json:"key_state,omitempty"` // ^[1-5]$
	KeySpec             string `json:"key_spec,omitempty"`  // a create-key spec or ALL; default AES_256
	EnterpriseProjectID string `json:"enterprise_project_id,omitempty"`
	Sequence            string `json:"sequence,omitempty"`
}

// ListKeysResponse is the body of a list-keys response.
type ListKeysResponse struct {
	Keys       []string     `json:"keys"`
	KeyDetails []KeyDetails `json:"key_details"`
	NextMarker string       `json:"next_marker"`
	Truncated  string       `json:"truncated"` // "true" or "false"
	Total      int          `json:"total"`
}

// GetPublicKeyResponse is the body of a get-publickey response.
type GetPublicKeyResponse struct {
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key"` // base64 DER SubjectPublicKeyInfo
}

// DeriveSharedSecretRequest is the body of derive-shared-secret (seed 000).
type DeriveSharedSecretRequest struct {
	KeyID                 string     `json:"key_id"`
	KeyAgreementAlgorithm string     `json:"key_agreement_algorithm"` // ECDH
	PublicKey             string     `json:"public_key"`              // base64 DER SubjectPublicKeyInfo
	Recipient             *Recipient `json:"recipient,omitempty"`
}

// DeriveSharedSecretResponse is the body of a derive-shared-secret response:
// exactly one of SharedSecret and CiphertextRecipient is set.
type DeriveSharedSecretResponse struct {
	KeyID                 string `json:"key_id"`
	KeyAgreementAlgorithm string `json:"key_agreement_algorithm"`
	SharedSecret          Secret `json:"shared_secret,omitzero"`         // base64 x-coordinate
	CiphertextRecipient   string `json:"ciphertext_recipient,omitempty"` // base64 envelope
}

// DataKeyPairRequest is the body of create-ec-datakey-pair (seed 002) and
// create-rsa-datakey-pair.
type DataKeyPairRequest struct {
	KeyID                       string     `json:"key_id"`
	KeySpec                     string     `json:"key_spec"`
	WithPlainText               *bool      `json:"with_plain_text,omitempty"` // default true
	AdditionalAuthenticatedData string     `json:"additional_authenticated_data,omitempty"`
	Sequence                    string     `json:"sequence,omitempty"`
	Pin                         Secret     `json:"pin,omitzero"`
	PinType                     string     `json:"pin_type,omitempty"`
	Recipient                   *Recipient `json:"recipient,omitempty"`
}

// DataKeyPairResponse is the body of a create-ec-datakey-pair or
// create-rsa-datakey-pair response. PrivateKeyCipherText is always set; at
// most one of PrivateKeyPlainText, WrappedPrivateKey and
// CiphertextRecipient is.
type DataKeyPairResponse struct {
	KeyID                string `json:"key_id"`
	KeySpec              string `json:"key_spec"`
	PublicKey            string `json:"public_key"`              // base64 DER SubjectPublicKeyInfo
	PrivateKeyCipherText string `json:"private_key_cipher_text"` // base64, under the CMK
	PrivateKeyPlainText  Secret `json:"private_key_plain_text,omitzero"`
	WrappedPrivateKey    string `json:"wrapped_private_key,omitempty"`
	CiphertextRecipient  string `json:"ciphertext_recipient,omitempty"`
}

// EncryptDatakeyRequest is the body of encrypt-datakey (seed 003).
type EncryptDatakeyRequest struct {
	KeyID                       string `json:"key_id"`
	PlainText                   Secret `json:"plain_text"`           // hex(DEK || SHA-256(DEK)), SM3 for SM4 keys
	DatakeyPlainLength          string `json:"datakey_plain_length"` // decimal, 1..1024
	AdditionalAuthenticatedData string `json:"additional_authenticated_data,omitempty"`
	Pin                         Secret `json:"pin,omitzero"`
	PinType                     string `json:"pin_type,omitempty"`
	KeySpec                     string `json:"key_spec,omitempty"`
	Sequence                    string `json:"sequence,omitempty"`
}

// EncryptDatakeyResponse is the body of an encrypt-datakey response.
type EncryptDatakeyResponse struct {
	KeyID         string `json:"key_id"`
	CipherText    string `json:"cipher_text"` // hex
	DatakeyLength string `json:"datakey_length"`
}

// DecryptDatakeyRequest is the body of decrypt-datakey.
type DecryptDatakeyRequest struct {
	KeyID                       string `json:"key_id"`
	CipherText                  string `json:"cipher_text"`           // hex, from encrypt-datakey
	DatakeyCipherLength         string `json:"datakey_cipher_length"` // decimal, 1..1024: the DEK's length
	AdditionalAuthenticatedData string `json:"additional_authenticated_data,omitempty"`
	Sequence                    string `json:"sequence,omitempty"`

	// Recipient seals the data key to an attested enclave: the response
	// then carries ciphertext_recipient instead of data_key and
	// datakey_dgst. Huawei's condition keys list kms:RecipientAttestation
	// for this API; the SDK's model has no such field.
	Recipient *Recipient `json:"recipient,omitempty"`
}

// DecryptDatakeyResponse is the body of a decrypt-datakey response: DataKey
// and DatakeyDgst, or CiphertextRecipient.
type DecryptDatakeyResponse struct {
	DataKey             Secret `json:"data_key,omitzero"` // hex
	DatakeyLength       string `json:"datakey_length"`
	DatakeyDgst         Secret `json:"datakey_dgst,omitzero"`          // hex SHA-256 (SM3 for SM4 keys)
	CiphertextRecipient string `json:"ciphertext_recipient,omitempty"` // base64 envelope
}

// GetParametersForImportRequest is the body of get-parameters-for-import.
type GetParametersForImportRequest struct {
	KeyID             string `json:"key_id"`
	WrappingAlgorithm string `json:"wrapping_algorithm"` // RSAES_OAEP_SHA_256
	Sequence          string `json:"sequence,omitempty"`
}

// GetParametersForImportResponse is the body of a get-parameters-for-import
// response.
type GetParametersForImportResponse struct {
	KeyID          string `json:"key_id"`
	ImportToken    string `json:"import_token"`
	ExpirationTime int64  `json:"expiration_time"` // seconds since the epoch
	PublicKey      string `json:"public_key"`      // base64 DER SubjectPublicKeyInfo, RSA-2048
}

// ImportKeyMaterialRequest is the body of import-key-material (seed 004).
type ImportKeyMaterialRequest struct {
	KeyID                string `json:"key_id"`
	ImportToken          string `json:"import_token"`
	EncryptedKeyMaterial string `json:"encrypted_key_material"`
	EncryptedPrivatekey  string `json:"encrypted_privatekey,omitempty"`
	ExpirationTime       *int64 `json:"expiration_time,omitempty"`
	Sequence             string `json:"sequence,omitempty"`
}
