package awsapi

// The bodies of Sign, Verify, ReEncrypt, GenerateDataKeyWithoutPlaintext and
// GenerateDataKeyPairWithoutPlaintext, with AWS KMS's member names (as the
// AWS SDK for Go v2's kms module sends and reads them). DryRun is not
// modelled: a request that asks for a dry run is refused, not run.

type awsSignRequest struct {
	awsKeyed
	Message          string `json:"Message"`               // base64, 1 to 4096 bytes
	MessageType      string `json:"MessageType,omitempty"` // RAW (default) or DIGEST
	SigningAlgorithm string `json:"SigningAlgorithm"`
}

type awsSignResponse struct {
	KeyID            string `json:"KeyId"`
	Signature        []byte `json:"Signature"`
	SigningAlgorithm string `json:"SigningAlgorithm"`
}

type awsVerifyRequest struct {
	awsKeyed
	Message          string `json:"Message"`
	MessageType      string `json:"MessageType,omitempty"`
	Signature        string `json:"Signature"` // base64, 1 to 6144 bytes
	SigningAlgorithm string `json:"SigningAlgorithm"`
}

type awsVerifyResponse struct {
	KeyID            string `json:"KeyId"`
	SignatureValid   bool   `json:"SignatureValid"`
	SigningAlgorithm string `json:"SigningAlgorithm"`
}

// awsReEncryptRequest names two keys, neither as KeyId.
type awsReEncryptRequest struct {
	CiphertextBlob                 string            `json:"CiphertextBlob"`
	SourceEncryptionContext        map[string]string `json:"SourceEncryptionContext,omitempty"`
	SourceKeyID                    string            `json:"SourceKeyId,omitempty"`
	SourceEncryptionAlgorithm      string            `json:"SourceEncryptionAlgorithm,omitempty"`
	DestinationKeyID               string            `json:"DestinationKeyId"`
	DestinationEncryptionContext   map[string]string `json:"DestinationEncryptionContext,omitempty"`
	DestinationEncryptionAlgorithm string            `json:"DestinationEncryptionAlgorithm,omitempty"`
	GrantTokens                    []string          `json:"GrantTokens,omitempty"`
}

type awsReEncryptResponse struct {
	CiphertextBlob                 []byte `json:"CiphertextBlob"`
	DestinationEncryptionAlgorithm string `json:"DestinationEncryptionAlgorithm"`
	KeyID                          keyARN `json:"KeyId"`
	SourceEncryptionAlgorithm      string `json:"SourceEncryptionAlgorithm"`
	SourceKeyID                    keyARN `json:"SourceKeyId"`
}

type awsGenerateDataKeyWithoutPlaintextRequest struct {
	awsKeyed
	KeySpec           string            `json:"KeySpec,omitempty"`       // AES_128 or AES_256
	NumberOfBytes     *int              `json:"NumberOfBytes,omitempty"` // 1..1024
	EncryptionContext map[string]string `json:"EncryptionContext,omitempty"`
}

type awsGenerateDataKeyWithoutPlaintextResponse struct {
	CiphertextBlob []byte `json:"CiphertextBlob"`
	KeyID          keyARN `json:"KeyId"`
}

type awsGenerateDataKeyPairWithoutPlaintextRequest struct {
	awsKeyed
	KeyPairSpec       string            `json:"KeyPairSpec"`
	EncryptionContext map[string]string `json:"EncryptionContext,omitempty"`
}

type awsGenerateDataKeyPairWithoutPlaintextResponse struct {
	KeyID                    string `json:"KeyId"`
	KeyPairSpec              string `json:"KeyPairSpec"`
	PrivateKeyCiphertextBlob []byte `json:"PrivateKeyCiphertextBlob"`
	PublicKey                []byte `json:"PublicKey"`
}
