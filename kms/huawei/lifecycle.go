package huawei

import (
	"context"
	"net/http"
	"net/url"
)

// The key lifecycle: the request and response bodies of enable-key,
// disable-key, schedule-key-deletion, cancel-key-deletion,
// update-key-alias, update-key-description, delete-imported-key-material,
// the alias APIs and the tag APIs, with the field names of the official
// SDK's models (huaweicloud-sdk-go-v3 services/kms/v2/model), and the
// Client's methods for them. enable-key, disable-key, cancel-key-deletion
// and delete-imported-key-material take a KeyRequest.

// KeyStateInfo is a key and its state, "1" to "5".
type KeyStateInfo struct {
	KeyID    string `json:"key_id"`
	KeyState string `json:"key_state"`
}

// KeyStateResponse is the body of an enable-key or disable-key response.
type KeyStateResponse struct {
	KeyInfo KeyStateInfo `json:"key_info"`
}

// ScheduleKeyDeletionRequest is the body of schedule-key-deletion.
type ScheduleKeyDeletionRequest struct {
	KeyID       string `json:"key_id"`
	PendingDays string `json:"pending_days"` // decimal, 7..1096
	Sequence    string `json:"sequence,omitempty"`
}

// UpdateKeyAliasRequest is the body of update-key-alias.
type UpdateKeyAliasRequest struct {
	KeyID    string `json:"key_id"`
	KeyAlias string `json:"key_alias"`
	Sequence string `json:"sequence,omitempty"`
}

// UpdateKeyAliasResponse is the body of an update-key-alias response.
type UpdateKeyAliasResponse struct {
	KeyInfo struct {
		KeyID    string `json:"key_id"`
		KeyAlias string `json:"key_alias"`
	} `json:"key_info"`
}

// UpdateKeyDescriptionRequest is the body of update-key-description.
type UpdateKeyDescriptionRequest struct {
	KeyID          string `json:"key_id"`
	KeyDescription string `json:"key_description"`
	Sequence       string `json:"sequence,omitempty"`
}

// UpdateKeyDescriptionResponse is the body of an update-key-description
// response.
type UpdateKeyDescriptionResponse struct {
	KeyInfo struct {
		KeyID          string `json:"key_id"`
		KeyDescription string `json:"key_description"`
	} `json:"key_info"`
}

// CreateAliasRequest is the body of create-alias (POST .../kms/aliases).
type CreateAliasRequest struct {
	KeyID string `json:"key_id"`
	Alias string `json:"alias"`
}

// AssociateAliasRequest is the body of associate-alias (POST
// .../kms/alias/associate): the alias moves to the target key.
type AssociateAliasRequest struct {
	Alias       string `json:"alias"`
	TargetKeyID string `json:"target_key_id"`
}

// DeleteAliasRequest is the body of delete-alias (DELETE .../kms/aliases).
type DeleteAliasRequest struct {
	Aliases []string `json:"aliases"`
	KeyID   string   `json:"key_id"`
}

// AliasEntity is an alias, as create-alias, associate-alias and
// list-aliases answer it.
type AliasEntity struct {
	DomainID   string `json:"domain_id"`
	KeyID      string `json:"key_id"`
	Alias      string `json:"alias"`
	AliasURN   string `json:"alias_urn"`
	CreateTime string `json:"create_time"` // RFC 3339, UTC
	UpdateTime string `json:"update_time"`
}

// PageInfo is the paging of list-aliases.
type PageInfo struct {
	NextMarker   string `json:"next_marker,omitempty"`
	CurrentCount int    `json:"current_count"`
}

// ListAliasesPage is one element of a list-aliases answer, which is a JSON
// array of them (the SDK's ListAliasesResponse.Body).
type ListAliasesPage struct {
	Aliases  []AliasEntity `json:"aliases"`
	PageInfo PageInfo      `json:"page_info"`
}

// ListAliasesRequest is the query of list-aliases.
type ListAliasesRequest struct {
	KeyID  string `json:"key_id,omitempty"` // optional
	Limit  string `json:"limit,omitempty"`  // decimal, 1..1000
	Marker string `json:"marker,omitempty"` // next_marker of the previous page
}

// ListAliasesResponse is a list-aliases answer: a JSON array of pages (one
// here), the SDK's ListAliasesResponse.Body.
type ListAliasesResponse []ListAliasesPage

// TagItem is a tag of a key.
type TagItem struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// CreateKMSTagRequest is a create-kms-tag request (POST
// .../kms/{key_id}/tags): KeyID goes in the path, the rest in the body.
type CreateKMSTagRequest struct {
	KeyID    string   `json:"key_id"`
	Tag      *TagItem `json:"tag"`
	Sequence string   `json:"sequence,omitempty"`
}

// BatchKMSTagsRequest is a batch-create-kms-tags request (POST
// .../kms/{key_id}/tags/action): Action "create" or "delete"; KeyID goes in
// the path, the rest in the body.
type BatchKMSTagsRequest struct {
	KeyID    string    `json:"key_id"`
	Tags     []TagItem `json:"tags"`
	Action   string    `json:"action"`
	Sequence string    `json:"sequence,omitempty"`
}

// DeleteKMSTagRequest is a delete-kms-tag request (DELETE
// .../kms/{key_id}/tags/{key}): both go in the path.
type DeleteKMSTagRequest struct {
	KeyID string `json:"key_id"`
	Key   string `json:"key"`
}

// KeyTagsRequest is a show-kms-tags request (GET .../kms/{key_id}/tags).
type KeyTagsRequest struct {
	KeyID string `json:"key_id"`
}

// ProjectTagsRequest is a list-kms-tags request (GET .../kms/tags): it has
// no fields.
type ProjectTagsRequest struct{}

// KeyTagsResponse is the body of a show-kms-tags response (GET
// .../kms/{key_id}/tags).
type KeyTagsResponse struct {
	Tags         []TagItem `json:"tags"`
	ExistTagsNum int       `json:"existTagsNum"`
}

// ProjectTag is a tag key and the values keys give it.
type ProjectTag struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// ProjectTagsResponse is the body of a list-kms-tags response (GET
// .../kms/tags).
type ProjectTagsResponse struct {
	Tags []ProjectTag `json:"tags"`
}

// EnableKey calls enable-key.
func (c *Client) EnableKey(ctx context.Context, req *KeyRequest) (*KeyStateResponse, error) {
	return call[KeyStateResponse](ctx, c, "enable-key", req)
}

// DisableKey calls disable-key.
func (c *Client) DisableKey(ctx context.Context, req *KeyRequest) (*KeyStateResponse, error) {
	return call[KeyStateResponse](ctx, c, "disable-key", req)
}

// ScheduleKeyDeletion calls schedule-key-deletion.
func (c *Client) ScheduleKeyDeletion(ctx context.Context, req *ScheduleKeyDeletionRequest) (*KeyStateInfo, error) {
	return call[KeyStateInfo](ctx, c, "schedule-key-deletion", req)
}

// CancelKeyDeletion calls cancel-key-deletion.
func (c *Client) CancelKeyDeletion(ctx context.Context, req *KeyRequest) (*KeyStateInfo, error) {
	return call[KeyStateInfo](ctx, c, "cancel-key-deletion", req)
}

// UpdateKeyAlias calls update-key-alias.
func (c *Client) UpdateKeyAlias(ctx context.Context, req *UpdateKeyAliasRequest) (*UpdateKeyAliasResponse, error) {
	return call[UpdateKeyAliasResponse](ctx, c, "update-key-alias", req)
}

// UpdateKeyDescription calls update-key-description.
func (c *Client) UpdateKeyDescription(ctx context.Context, req *UpdateKeyDescriptionRequest) (*UpdateKeyDescriptionResponse, error) {
	return call[UpdateKeyDescriptionResponse](ctx, c, "update-key-description", req)
}

// DeleteImportedKeyMaterial calls delete-imported-key-material.
func (c *Client) DeleteImportedKeyMaterial(ctx context.Context, req *KeyRequest) error {
	_, err := call[struct{}](ctx, c, "delete-imported-key-material", req)
	return err
}

// CreateAlias calls create-alias.
func (c *Client) CreateAlias(ctx context.Context, req *CreateAliasRequest) (*AliasEntity, error) {
	return callREST[AliasEntity](ctx, c, http.MethodPost, "aliases", req)
}

// AssociateAlias calls associate-alias.
func (c *Client) AssociateAlias(ctx context.Context, req *AssociateAliasRequest) (*AliasEntity, error) {
	return callREST[AliasEntity](ctx, c, http.MethodPost, "alias/associate", req)
}

// DeleteAlias calls delete-alias.
func (c *Client) DeleteAlias(ctx context.Context, req *DeleteAliasRequest) error {
	_, err := callREST[struct{}](ctx, c, http.MethodDelete, "aliases", req)
	return err
}

// ListAliases calls list-aliases.
func (c *Client) ListAliases(ctx context.Context, req *ListAliasesRequest) (*ListAliasesResponse, error) {
	q := url.Values{}
	for k, v := range map[string]string{"key_id": req.KeyID, "limit": req.Limit, "marker": req.Marker} {
		if v != "" {
			q.Set(k, v)
		}
	}
	path := "aliases"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return callREST[ListAliasesResponse](ctx, c, http.MethodGet, path, nil)
}

// CreateKMSTag calls create-kms-tag.
func (c *Client) CreateKMSTag(ctx context.Context, req *CreateKMSTagRequest) error {
	body := struct {
		Tag      *TagItem `json:"tag"`
		Sequence string   `json:"sequence,omitempty"`
	}{req.Tag, req.Sequence}
	_, err := callREST[struct{}](ctx, c, http.MethodPost, url.PathEscape(req.KeyID)+"/tags", &body)
	return err
}

// BatchKMSTags calls batch-create-kms-tags.
func (c *Client) BatchKMSTags(ctx context.Context, req *BatchKMSTagsRequest) error {
	body := struct {
		Tags     []TagItem `json:"tags"`
		Action   string    `json:"action"`
		Sequence string    `json:"sequence,omitempty"`
	}{req.Tags, req.Action, req.Sequence}
	_, err := callREST[struct{}](ctx, c, http.MethodPost, url.PathEscape(req.KeyID)+"/tags/action", &body)
	return err
}

// DeleteKMSTag calls delete-kms-tag.
func (c *Client) DeleteKMSTag(ctx context.Context, req *DeleteKMSTagRequest) error {
	_, err := callREST[struct{}](ctx, c, http.MethodDelete, url.PathEscape(req.KeyID)+"/tags/"+url.PathEscape(req.Key), nil)
	return err
}

// ShowKMSTags calls show-kms-tags: the tags of a key.
func (c *Client) ShowKMSTags(ctx context.Context, req *KeyTagsRequest) (*KeyTagsResponse, error) {
	return callREST[KeyTagsResponse](ctx, c, http.MethodGet, url.PathEscape(req.KeyID)+"/tags", nil)
}

// ListKMSTags calls list-kms-tags: every tag of the project's keys.
func (c *Client) ListKMSTags(ctx context.Context, req *ProjectTagsRequest) (*ProjectTagsResponse, error) {
	return callREST[ProjectTagsResponse](ctx, c, http.MethodGet, "tags", nil)
}
