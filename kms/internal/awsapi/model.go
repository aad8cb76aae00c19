package awsapi

// The request and response bodies of the AWS front end (AWS JSON 1.1), with
// AWS KMS's member names. Blobs travel as standard padded base64 strings and
// are decoded by the front end, so that a bad blob names its field. Only the
// members this server acts on are modelled; a body with any other member,
// or a member twice, is refused, so that nothing a caller asks for is
// silently ignored.

// awsRecipient is the Recipient member of the attested operations.
type awsRecipient struct {
	AttestationDocument    string `json:"AttestationDocument,omitempty"`    // base64 COSE_Sign1
	KeyEncryptionAlgorithm string `json:"KeyEncryptionAlgorithm,omitempty"` // RSAES_OAEP_SHA_256
}

type awsCreateKeyRequest struct {
	Description           string `json:"Description,omitempty"`
	KeySpec               string `json:"KeySpec,omitempty"`               // default SYMMETRIC_DEFAULT
	CustomerMasterKeySpec string `json:"CustomerMasterKeySpec,omitempty"` // the deprecated name of KeySpec
	KeyUsage              string `json:"KeyUsage,omitempty"`              // default ENCRYPT_DECRYPT
	Origin                string `json:"Origin,omitempty"`                // AWS_KMS (default) or EXTERNAL
	MultiRegion           bool   `json:"MultiRegion,omitempty"`           // false only

	Policy                         *string `json:"Policy,omitempty"` // a key policy; nil: the default key policy
	BypassPolicyLockoutSafetyCheck bool    `json:"BypassPolicyLockoutSafetyCheck,omitempty"`
}

// awsPutKeyPolicyRequest is the body of PutKeyPolicy.
type awsPutKeyPolicyRequest struct {
	KeyID                          string  `json:"KeyId"`
	PolicyName                     *string `json:"PolicyName,omitempty"` // default only; nil: default
	Policy                         *string `json:"Policy"`
	BypassPolicyLockoutSafetyCheck bool    `json:"BypassPolicyLockoutSafetyCheck,omitempty"`
}

// awsGetKeyPolicyRequest is the body of GetKeyPolicy.
type awsGetKeyPolicyRequest struct {
	KeyID      string  `json:"KeyId"`
	PolicyName *string `json:"PolicyName,omitempty"` // default only; nil: default
}

type awsGetKeyPolicyResponse struct {
	Policy     string `json:"Policy"`
	PolicyName string `json:"PolicyName"`
}

// awsListKeyPoliciesRequest is the body of ListKeyPolicies.
type awsListKeyPoliciesRequest struct {
	KeyID  string `json:"KeyId"`
	Limit  *int   `json:"Limit,omitempty"`  // 1..1000
	Marker string `json:"Marker,omitempty"` // never given: there is one policy
}

type awsListKeyPoliciesResponse struct {
	PolicyNames []string `json:"PolicyNames"`
	Truncated   bool     `json:"Truncated"`
}

// awsKeyed is what the requests that act on a key share: the key, as a key
// ID or an ARN, and grant tokens (accepted and unused: there are no grants
// here). DescribeKey and GetPublicKey send nothing else; the others embed it,
// and decodeAWSKeyed checks it.
type awsKeyed struct {
	KeyID       string   `json:"KeyId"`
	GrantTokens []string `json:"GrantTokens,omitempty"`
}

func (k *awsKeyed) keyed() (*awsKeyed, bool) { return k, false }

type awsKeyMetadata struct {
	AWSAccountID           string   `json:"AWSAccountId"`
	Arn                    string   `json:"Arn"`
	CreationDate           float64  `json:"CreationDate"` // seconds since the epoch
	Description            string   `json:"Description"`
	Enabled                bool     `json:"Enabled"`
	EncryptionAlgorithms   []string `json:"EncryptionAlgorithms,omitempty"`
	ExpirationModel        string   `json:"ExpirationModel,omitempty"` // external keys only
	ValidTo                float64  `json:"ValidTo,omitempty"`         // seconds since the epoch, when the material expires
	KeyAgreementAlgorithms []string `json:"KeyAgreementAlgorithms,omitempty"`
	KeyID                  string   `json:"KeyId"`
	KeyManager             string   `json:"KeyManager"` // CUSTOMER
	KeySpec                string   `json:"KeySpec"`
	CustomerMasterKeySpec  string   `json:"CustomerMasterKeySpec"`
	KeyState               string   `json:"KeyState"`                              // Enabled, Disabled, PendingDeletion or PendingImport
	DeletionDate           float64  `json:"DeletionDate,omitempty"`                // seconds since the epoch, when pending deletion
	PendingDeletionWindow  int      `json:"PendingDeletionWindowInDays,omitempty"` // when pending deletion
	KeyUsage               string   `json:"KeyUsage"`
	MultiRegion            bool     `json:"MultiRegion"`
	Origin                 string   `json:"Origin"`
	SigningAlgorithms      []string `json:"SigningAlgorithms,omitempty"`
}

type awsKeyMetadataResponse struct {
	KeyMetadata awsKeyMetadata `json:"KeyMetadata"`
}

type awsListKeysRequest struct {
	Limit  *int   `json:"Limit,omitempty"` // 1..1000; default 100
	Marker string `json:"Marker,omitempty"`
}

type awsKeyListEntry struct {
	KeyArn string `json:"KeyArn"`
	KeyID  string `json:"KeyId"`
}

type awsListKeysResponse struct {
	Keys       []awsKeyListEntry `json:"Keys"`
	NextMarker string            `json:"NextMarker,omitempty"`
	Truncated  bool              `json:"Truncated"`
}

type awsGetPublicKeyResponse struct {
	CustomerMasterKeySpec  string   `json:"CustomerMasterKeySpec"`
	EncryptionAlgorithms   []string `json:"EncryptionAlgorithms,omitempty"`
	KeyAgreementAlgorithms []string `json:"KeyAgreementAlgorithms,omitempty"`
	KeyID                  string   `json:"KeyId"`
	KeySpec                string   `json:"KeySpec"`
	KeyUsage               string   `json:"KeyUsage"`
	PublicKey              []byte   `json:"PublicKey"`
	SigningAlgorithms      []string `json:"SigningAlgorithms,omitempty"`
}

// awsDeriveSharedSecretRequest is the body of DeriveSharedSecret in both of
// its shapes: the AWS SDK's (KeyAgreementAlgorithm, Recipient) and seed
// 001's (no algorithm, a top-level RecipientInfo blob that is the
// attestation document itself).
type awsDeriveSharedSecretRequest struct {
	awsKeyed
	KeyAgreementAlgorithm string        `json:"KeyAgreementAlgorithm,omitempty"` // ECDH, the default
	PublicKey             string        `json:"PublicKey"`
	Recipient             *awsRecipient `json:"Recipient,omitempty"`
	RecipientInfo         string        `json:"RecipientInfo,omitempty"` // seed 001
}

type awsDeriveSharedSecretResponse struct {
	CiphertextForRecipient []byte `json:"CiphertextForRecipient,omitempty"`
	KeyAgreementAlgorithm  string `json:"KeyAgreementAlgorithm"`
	KeyID                  string `json:"KeyId"`
	KeyOrigin              string `json:"KeyOrigin"`
	SharedSecret           []byte `json:"SharedSecret,omitempty"`
}

type awsGenerateDataKeyPairRequest struct {
	awsKeyed
	KeyPairSpec       string            `json:"KeyPairSpec"`
	EncryptionContext map[string]string `json:"EncryptionContext,omitempty"`
	Recipient         *awsRecipient     `json:"Recipient,omitempty"`
}

type awsGenerateDataKeyPairResponse struct {
	CiphertextForRecipient   []byte `json:"CiphertextForRecipient,omitempty"`
	KeyID                    string `json:"KeyId"`
	KeyPairSpec              string `json:"KeyPairSpec"`
	PrivateKeyCiphertextBlob []byte `json:"PrivateKeyCiphertextBlob"`
	PrivateKeyPlaintext      []byte `json:"PrivateKeyPlaintext,omitempty"`
	PublicKey                []byte `json:"PublicKey"`
}

type awsGenerateDataKeyRequest struct {
	awsKeyed
	KeySpec           string            `json:"KeySpec,omitempty"`       // AES_128 or AES_256
	NumberOfBytes     *int              `json:"NumberOfBytes,omitempty"` // 1..1024
	EncryptionContext map[string]string `json:"EncryptionContext,omitempty"`
	Recipient         *awsRecipient     `json:"Recipient,omitempty"`
}

type awsGenerateDataKeyResponse struct {
	CiphertextBlob         []byte `json:"CiphertextBlob"`
	CiphertextForRecipient []byte `json:"CiphertextForRecipient,omitempty"`
	KeyID                  keyARN `json:"KeyId"`
	Plaintext              []byte `json:"Plaintext,omitempty"`
}

type awsEncryptRequest struct {
	awsKeyed
	Plaintext           string            `json:"Plaintext"`
	EncryptionAlgorithm string            `json:"EncryptionAlgorithm,omitempty"` // SYMMETRIC_DEFAULT
	EncryptionContext   map[string]string `json:"EncryptionContext,omitempty"`
}

type awsEncryptResponse struct {
	CiphertextBlob      []byte `json:"CiphertextBlob"`
	EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
	KeyID               keyARN `json:"KeyId"`
}

type awsDecryptRequest struct {
	awsKeyed
	CiphertextBlob      string            `json:"CiphertextBlob"`
	EncryptionAlgorithm string            `json:"EncryptionAlgorithm,omitempty"`
	EncryptionContext   map[string]string `json:"EncryptionContext,omitempty"`
	Recipient           *awsRecipient     `json:"Recipient,omitempty"`
}

// keyed says that Decrypt's KeyId is optional: the ciphertext names its key.
func (r *awsDecryptRequest) keyed() (*awsKeyed, bool) { return &r.awsKeyed, true }

type awsDecryptResponse struct {
	CiphertextForRecipient []byte `json:"CiphertextForRecipient,omitempty"`
	EncryptionAlgorithm    string `json:"EncryptionAlgorithm"`
	KeyID                  keyARN `json:"KeyId"`
	Plaintext              []byte `json:"Plaintext,omitempty"`
}

type awsGenerateRandomRequest struct {
	NumberOfBytes *int          `json:"NumberOfBytes,omitempty"` // 1..1024
	Recipient     *awsRecipient `json:"Recipient,omitempty"`
}

type awsGenerateRandomResponse struct {
	CiphertextForRecipient []byte `json:"CiphertextForRecipient,omitempty"`
	Plaintext              []byte `json:"Plaintext,omitempty"`
}

// awsErrorBody is the error body of the AWS JSON protocols.
type awsErrorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}
