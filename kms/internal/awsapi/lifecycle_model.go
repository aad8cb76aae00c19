package awsapi

// The request and response bodies of the lifecycle operations (see
// lifecycle.go), with AWS KMS's member names.

// awsKeyIDRequest is the body of EnableKey, DisableKey and CancelKeyDeletion.
type awsKeyIDRequest struct {
	KeyID string `json:"KeyId"`
}

// awsKeyIDResponse is the answer of CancelKeyDeletion, ImportKeyMaterial and
// DeleteImportedKeyMaterial: the key's ARN.
type awsKeyIDResponse struct {
	KeyID string `json:"KeyId"`
}

type awsScheduleKeyDeletionRequest struct {
	KeyID               string `json:"KeyId"`
	PendingWindowInDays *int   `json:"PendingWindowInDays,omitempty"` // 7..30; default 30
}

type awsScheduleKeyDeletionResponse struct {
	DeletionDate        float64 `json:"DeletionDate"` // seconds since the epoch
	KeyID               string  `json:"KeyId"`
	KeyState            string  `json:"KeyState"`
	PendingWindowInDays int     `json:"PendingWindowInDays"`
}

type awsUpdateKeyDescriptionRequest struct {
	KeyID       string  `json:"KeyId"`
	Description *string `json:"Description"`
}

// awsAliasRequest is the body of CreateAlias and UpdateAlias.
type awsAliasRequest struct {
	AliasName   string `json:"AliasName"`
	TargetKeyID string `json:"TargetKeyId"`
}

type awsDeleteAliasRequest struct {
	AliasName string `json:"AliasName"`
}

type awsListAliasesRequest struct {
	KeyID  string `json:"KeyId,omitempty"`
	Limit  *int   `json:"Limit,omitempty"` // 1..100; default 50
	Marker string `json:"Marker,omitempty"`
}

type awsAliasListEntry struct {
	AliasArn        string  `json:"AliasArn"`
	AliasName       string  `json:"AliasName"`
	CreationDate    float64 `json:"CreationDate"`    // seconds since the epoch
	LastUpdatedDate float64 `json:"LastUpdatedDate"` // seconds since the epoch
	TargetKeyID     string  `json:"TargetKeyId"`
}

type awsListAliasesResponse struct {
	Aliases    []awsAliasListEntry `json:"Aliases"`
	NextMarker string              `json:"NextMarker,omitempty"`
	Truncated  bool                `json:"Truncated"`
}

// awsTag is a tag; TagValue may be empty but not absent.
type awsTag struct {
	TagKey   string  `json:"TagKey"`
	TagValue *string `json:"TagValue"`
}

type awsTagResourceRequest struct {
	KeyID string   `json:"KeyId"`
	Tags  []awsTag `json:"Tags"`
}

type awsUntagResourceRequest struct {
	KeyID   string   `json:"KeyId"`
	TagKeys []string `json:"TagKeys"`
}

type awsListResourceTagsRequest struct {
	KeyID  string `json:"KeyId"`
	Limit  *int   `json:"Limit,omitempty"` // 1..50; default 50
	Marker string `json:"Marker,omitempty"`
}

type awsListResourceTagsResponse struct {
	NextMarker string   `json:"NextMarker,omitempty"`
	Tags       []awsTag `json:"Tags"`
	Truncated  bool     `json:"Truncated"`
}

type awsGetParametersForImportRequest struct {
	KeyID             string `json:"KeyId"`
	WrappingAlgorithm string `json:"WrappingAlgorithm"`
	WrappingKeySpec   string `json:"WrappingKeySpec"`
}

type awsGetParametersForImportResponse struct {
	ImportToken       []byte  `json:"ImportToken"`
	KeyID             string  `json:"KeyId"`
	ParametersValidTo float64 `json:"ParametersValidTo"` // seconds since the epoch
	PublicKey         []byte  `json:"PublicKey"`
}

type awsImportKeyMaterialRequest struct {
	KeyID                  string   `json:"KeyId"`
	ImportToken            string   `json:"ImportToken"`
	EncryptedKeyMaterial   string   `json:"EncryptedKeyMaterial"`
	ExpirationModel        string   `json:"ExpirationModel,omitempty"` // KEY_MATERIAL_EXPIRES or KEY_MATERIAL_DOES_NOT_EXPIRE
	ValidTo                *float64 `json:"ValidTo,omitempty"`         // seconds since the epoch
	ImportType             string   `json:"ImportType,omitempty"`      // NEW_KEY_MATERIAL only
	KeyMaterialDescription string   `json:"KeyMaterialDescription,omitempty"`
	KeyMaterialID          string   `json:"KeyMaterialId,omitempty"`
}

type awsDeleteImportedKeyMaterialRequest struct {
	KeyID         string `json:"KeyId"`
	KeyMaterialID string `json:"KeyMaterialId,omitempty"`
}
