package huaweiapi

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/kms/internal/core"
	"github.com/qtenclave/qtenclave/kms/internal/wire"
)

// The key lifecycle on the Huawei front end, with the paths, fields and
// error codes of the DEW API reference
// (https://support.huaweicloud.com/intl/en-us/api-dew/<Operation>.html:
// EnableKey, DisableKey, DeleteKey (schedule-key-deletion),
// CancelKeyDeletion, UpdateKeyAlias, UpdateKeyDescription,
// DeleteImportedKeyMaterial, CreateAlias, ListAliases, DeleteAlias,
// AssociateAlias, CreateKmsTag, DeleteTag, ShowKmsTags, ListKmsTags,
// BatchCreateKmsTags) and of the official SDK's kms_meta.go. The lifecycle
// operations are POST /v1.0/{project_id}/kms/<operation> like the others;
// the alias and tag APIs are REST paths, some of them GET and DELETE
// (routes).

// errPendingDays is the cause of a pending_days out of 7..1096, which
// Huawei answers with its own code, KMS.1401.
var errPendingDays = errors.New("pending_days out of range")

// Tag rules of Huawei's tag service
// (https://support.huaweicloud.com/intl/en-us/productdesc-tms/en-us_topic_0142168380.html):
// a key of 1 to 36 characters, a value of 0 to 43.
const (
	maxTagKeyLen      = 36
	maxTagValueLen    = 43
	maxAliasListLimit = 1000
)

// tagForbidden are the characters a tag key or value may not contain,
// besides control characters.
const tagForbidden = "=*<>\\,|/"

// operateKey decodes the body of enable-key, disable-key,
// cancel-key-deletion and delete-imported-key-material: key_id and
// sequence.
func operateKey(body []byte) (string, error) {
	req, err := keyRequest(body)
	if err != nil {
		return "", err
	}
	return req.KeyID, nil
}

func stateInfo(key *core.Key) huawei.KeyStateInfo {
	return huawei.KeyStateInfo{KeyID: key.ID, KeyState: strconv.Itoa(key.State)}
}

func (a *API) enableKey(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	id, err := operateKey(body)
	if err != nil {
		return nil, err
	}
	key, err := a.core.EnableKey(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return &huawei.KeyStateResponse{KeyInfo: stateInfo(key)}, nil
}

func (a *API) disableKey(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	id, err := operateKey(body)
	if err != nil {
		return nil, err
	}
	key, err := a.core.DisableKey(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return &huawei.KeyStateResponse{KeyInfo: stateInfo(key)}, nil
}

func (a *API) scheduleKeyDeletion(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.ScheduleKeyDeletionRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	if req.PendingDays == "" {
		return nil, core.Errorf(core.KindMissingParameter, "pending_days is missing")
	}
	days, err := strconv.Atoi(req.PendingDays)
	if err != nil || strconv.Itoa(days) != req.PendingDays || days < core.MinPendingDays || days > core.MaxPendingDaysHuawei {
		return nil, core.Wrapf(core.KindInvalidParameter, errPendingDays, "pending_days is not an integer in %d..%d", core.MinPendingDays, core.MaxPendingDaysHuawei)
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	key, err := a.core.ScheduleKeyDeletion(ctx, c, req.KeyID, days)
	if err != nil {
		return nil, err
	}
	info := stateInfo(key)
	return &info, nil
}

func (a *API) cancelKeyDeletion(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	id, err := operateKey(body)
	if err != nil {
		return nil, err
	}
	key, err := a.core.CancelKeyDeletion(ctx, c, id)
	if err != nil {
		return nil, err
	}
	info := stateInfo(key)
	return &info, nil
}

func (a *API) updateKeyAlias(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.UpdateKeyAliasRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	if req.KeyAlias == "" {
		return nil, core.Errorf(core.KindMissingParameter, "key_alias is missing")
	}
	if !aliasPattern.MatchString(req.KeyAlias) {
		return nil, core.Errorf(core.KindInvalidAlias, "key_alias does not match ^[a-zA-Z0-9:/_-]{1,255}$")
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	key, err := a.core.UpdateKeyAlias(ctx, c, req.KeyID, req.KeyAlias)
	if err != nil {
		return nil, err
	}
	var resp huawei.UpdateKeyAliasResponse
	resp.KeyInfo.KeyID, resp.KeyInfo.KeyAlias = key.ID, key.Alias
	return &resp, nil
}

func (a *API) updateKeyDescription(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.UpdateKeyDescriptionRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	// KMS.1103, Huawei's code for an invalid key_description, is
	// KindInvalidParameter's KMS.0308 here: one code per kind.
	if utf8.RuneCountInString(req.KeyDescription) > maxDescriptionLen {
		return nil, core.Errorf(core.KindInvalidParameter, "key_description is longer than %d characters", maxDescriptionLen)
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	key, err := a.core.UpdateKeyDescription(ctx, c, req.KeyID, req.KeyDescription)
	if err != nil {
		return nil, err
	}
	var resp huawei.UpdateKeyDescriptionResponse
	resp.KeyInfo.KeyID, resp.KeyInfo.KeyDescription = key.ID, key.Description
	return &resp, nil
}

func (a *API) deleteImportedKeyMaterial(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	id, err := operateKey(body)
	if err != nil {
		return nil, err
	}
	if _, err := a.core.DeleteImportedKeyMaterial(ctx, c, id); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// The REST routes: the alias and tag APIs.

// routeRequest is what a route's handler gets: the path's parameters, the
// query and the body.
type routeRequest struct {
	project, keyID, tagKey string
	query                  url.Values
	body                   []byte
}

type route struct {
	method, name string
	// path is the path below /v1.0/{project_id}/kms/, with {key_id} and
	// {key} for parameters.
	path    string
	query   []string // the query parameters it takes; nil: none
	handler func(a *API, ctx context.Context, c core.Caller, r *routeRequest) (any, error)
}

var routes = []route{
	{http.MethodPost, "create-alias", "aliases", nil, (*API).createAlias},
	{http.MethodGet, "list-aliases", "aliases", []string{"key_id", "limit", "marker"}, (*API).listAliases},
	{http.MethodDelete, "delete-alias", "aliases", nil, (*API).deleteAlias},
	{http.MethodPost, "associate-alias", "alias/associate", nil, (*API).associateAlias},
	{http.MethodGet, "list-kms-tags", "tags", nil, (*API).listProjectTags},
	{http.MethodPost, "create-kms-tag", "{key_id}/tags", nil, (*API).createKMSTag},
	{http.MethodGet, "show-kms-tags", "{key_id}/tags", nil, (*API).showKMSTags},
	{http.MethodPost, "batch-create-kms-tags", "{key_id}/tags/action", nil, (*API).batchKMSTags},
	{http.MethodDelete, "delete-kms-tag", "{key_id}/tags/{key}", nil, (*API).deleteKMSTag},
}

// matchRoute returns the route of a request's path and method, with the
// path's parameters ({key_id}, {key}, unescaped). A path of a route with
// another method matches it too: serveRoute answers 405.
func matchRoute(method, path string) (*route, map[string]string, bool) {
	parts := strings.Split(path, "/")
	if len(parts) < 5 || parts[0] != "" || parts[1] != "v1.0" || parts[3] != "kms" || !isProjectID(parts[2]) {
		return nil, nil, false
	}
	found := -1
	for i, pattern := range routePatterns {
		if len(pattern) != len(parts)-4 || !matchSegments(pattern, parts[4:]) {
			continue
		}
		found = i
		if routes[i].method == method {
			break
		}
	}
	if found < 0 {
		return nil, nil, false
	}
	params := map[string]string{"project": parts[2]}
	for j, p := range routePatterns[found] {
		if p == "{key_id}" || p == "{key}" {
			params[p], _ = url.PathUnescape(parts[4+j])
		}
	}
	return &routes[found], params, true
}

// routePatterns are the routes' paths split at each "/", made once: every
// request of the Huawei front end is matched against them (twice).
var routePatterns = func() [][]string {
	ps := make([][]string, len(routes))
	for i, rt := range routes {
		ps[i] = strings.Split(rt.path, "/")
	}
	return ps
}()

// matchSegments reports whether a path's segments below kms/ match a
// route's pattern: each parameter one that unescapes to something, each
// other segment itself.
func matchSegments(pattern, segs []string) bool {
	for j, p := range pattern {
		if p == "{key_id}" || p == "{key}" {
			if v, err := url.PathUnescape(segs[j]); err != nil || v == "" {
				return false
			}
		} else if p != segs[j] {
			return false
		}
	}
	return true
}

// serveRoute answers a request of a REST route.
func (a *API) serveRoute(w http.ResponseWriter, r *http.Request, body []byte, c core.Caller, rt *route, params map[string]string) (string, error) {
	fail := func(err error) (string, error) {
		a.WriteError(w, err)
		return rt.name, err
	}
	if r.Method != rt.method {
		return fail(core.Errorf(core.KindMethodNotAllowed, "method %s is not allowed", r.Method))
	}
	if p := r.Header.Values("X-Project-Id"); len(p) > 1 || (len(p) == 1 && p[0] != params["project"]) {
		return fail(core.Errorf(core.KindUnknownOperation, "X-Project-Id does not match the URL"))
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return fail(core.Errorf(core.KindUnknownOperation, "the query string is malformed"))
	}
	for k, v := range query {
		if !slices.Contains(rt.query, k) || len(v) != 1 {
			return fail(core.Errorf(core.KindUnknownOperation, "query parameter %.64q is not one of this operation's, once", k))
		}
	}
	if len(body) > 0 {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			return fail(core.Errorf(core.KindMalformedRequest, "Content-Type is not application/json"))
		}
	}
	rr := &routeRequest{project: params["project"], keyID: params["{key_id}"], tagKey: params["{key}"], query: query, body: body}
	if rr.keyID != "" {
		if err := checkKeyID(rr.keyID); err != nil {
			return fail(err)
		}
	}
	resp, err := rt.handler(a, r.Context(), c, rr)
	if err != nil {
		return fail(err)
	}
	writeJSON(w, http.StatusOK, resp)
	return rt.name, nil
}

// checkAliasName checks an alias of create-alias, associate-alias and
// delete-alias. Huawei's pages give no rule for it; this is key_alias's.
func checkAliasName(field, name string) error {
	if name == "" {
		return core.Errorf(core.KindMissingParameter, "%s is missing", field)
	}
	if !aliasPattern.MatchString(name) {
		return core.Errorf(core.KindInvalidAlias, "%s does not match ^[a-zA-Z0-9:/_-]{1,255}$", field)
	}
	return nil
}

func (a *API) aliasEntity(project string, al *core.Alias) *huawei.AliasEntity {
	ts := func(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339) }
	return &huawei.AliasEntity{
		DomainID: project, KeyID: al.KeyID, Alias: al.Name, AliasURN: a.core.AliasURN(al.Name),
		CreateTime: ts(al.Created), UpdateTime: ts(al.Updated),
	}
}

func (a *API) createAlias(ctx context.Context, c core.Caller, r *routeRequest) (any, error) {
	var req huawei.CreateAliasRequest
	if err := wire.Decode(r.body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	if err := checkAliasName("alias", req.Alias); err != nil {
		return nil, err
	}
	al, err := a.core.CreateAlias(ctx, c, req.Alias, req.KeyID)
	if err != nil {
		return nil, err
	}
	return a.aliasEntity(r.project, al), nil
}

func (a *API) associateAlias(ctx context.Context, c core.Caller, r *routeRequest) (any, error) {
	var req huawei.AssociateAliasRequest
	if err := wire.Decode(r.body, &req); err != nil {
		return nil, err
	}
	if err := checkAliasName("alias", req.Alias); err != nil {
		return nil, err
	}
	if req.TargetKeyID == "" {
		return nil, core.Errorf(core.KindMissingParameter, "target_key_id is missing")
	}
	if !core.ValidKeyID(req.TargetKeyID) {
		return nil, core.Errorf(core.KindInvalidKeyID, "target_key_id is not a 36-byte key ID")
	}
	al, err := a.core.UpdateAlias(ctx, c, req.Alias, req.TargetKeyID)
	if err != nil {
		return nil, err
	}
	return a.aliasEntity(r.project, al), nil
}

func (a *API) deleteAlias(ctx context.Context, c core.Caller, r *routeRequest) (any, error) {
	var req huawei.DeleteAliasRequest
	if err := wire.Decode(r.body, &req); err != nil {
		return nil, err
	}
	if len(req.Aliases) == 0 {
		return nil, core.Errorf(core.KindMissingParameter, "aliases is missing")
	}
	if len(req.Aliases) > maxAliasListLimit {
		return nil, core.Errorf(core.KindInvalidParameter, "aliases has more than %d names", maxAliasListLimit)
	}
	for _, name := range req.Aliases {
		if err := checkAliasName("aliases", name); err != nil {
			return nil, err
		}
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	if err := a.core.DeleteAliases(ctx, c, req.KeyID, req.Aliases); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// listAliases answers a JSON array of one page, as the reference's table
// and the SDK's model (ListAliasesResponse.Body) have it. marker is the
// position of the next alias, as list-keys' is.
func (a *API) listAliases(ctx context.Context, c core.Caller, r *routeRequest) (any, error) {
	keyID := r.query.Get("key_id")
	if keyID != "" {
		if err := checkKeyID(keyID); err != nil {
			return nil, err
		}
	}
	limit := maxAliasListLimit
	if l := r.query.Get("limit"); l != "" {
		var err error
		if limit, err = parseLength("limit", l, maxAliasListLimit); err != nil {
			return nil, err
		}
	}
	start := 0
	if m := r.query.Get("marker"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || strconv.Itoa(n) != m {
			return nil, core.Errorf(core.KindInvalidParameter, "marker is not a next_marker value")
		}
		start = n
	}
	all, err := a.core.ListAliases(ctx, c, keyID)
	if err != nil {
		return nil, err
	}
	start = min(start, len(all))
	end := min(start+limit, len(all))
	page := huawei.ListAliasesPage{Aliases: []huawei.AliasEntity{}}
	for _, al := range all[start:end] {
		page.Aliases = append(page.Aliases, *a.aliasEntity(r.project, al))
	}
	page.PageInfo.CurrentCount = len(page.Aliases)
	if end < len(all) {
		page.PageInfo.NextMarker = strconv.Itoa(end)
	}
	return []huawei.ListAliasesPage{page}, nil
}

// checkTag checks a tag's key and value against Huawei's rules.
func checkTag(t huawei.TagItem, withValue bool) error {
	bad := func(s string) bool {
		return !utf8.ValidString(s) || strings.ContainsAny(s, tagForbidden) || strings.ContainsFunc(s, unicode.IsControl)
	}
	if n := utf8.RuneCountInString(t.Key); n == 0 || n > maxTagKeyLen || bad(t.Key) || strings.TrimSpace(t.Key) != t.Key {
		return core.Errorf(core.KindInvalidTag, "tag key is not 1 to %d characters without %s or control characters", maxTagKeyLen, tagForbidden)
	}
	if withValue && (utf8.RuneCountInString(t.Value) > maxTagValueLen || bad(t.Value)) {
		return core.Errorf(core.KindInvalidTag, "tag value is not 0 to %d characters without %s or control characters", maxTagValueLen, tagForbidden)
	}
	return nil
}

func (a *API) createKMSTag(ctx context.Context, c core.Caller, r *routeRequest) (any, error) {
	var req struct { // huawei.CreateKMSTagRequest's body: key_id is in the path
		Tag      *huawei.TagItem `json:"tag"`
		Sequence string          `json:"sequence,omitempty"`
	}
	if err := wire.Decode(r.body, &req); err != nil {
		return nil, err
	}
	if req.Tag == nil {
		return nil, core.Errorf(core.KindMissingParameter, "tag is missing")
	}
	if err := checkTag(*req.Tag, true); err != nil {
		return nil, err
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	if err := a.core.TagResource(ctx, c, r.keyID, []core.Tag{{Key: req.Tag.Key, Value: req.Tag.Value}}); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *API) batchKMSTags(ctx context.Context, c core.Caller, r *routeRequest) (any, error) {
	var req struct { // huawei.BatchKMSTagsRequest's body: key_id is in the path
		Tags     []huawei.TagItem `json:"tags"`
		Action   string           `json:"action"`
		Sequence string           `json:"sequence,omitempty"`
	}
	if err := wire.Decode(r.body, &req); err != nil {
		return nil, err
	}
	if len(req.Tags) == 0 {
		return nil, core.Errorf(core.KindMissingParameter, "tags is missing")
	}
	if len(req.Tags) > core.MaxTags {
		return nil, core.Errorf(core.KindLimitExceeded, "tags has more than %d tags", core.MaxTags)
	}
	var remove bool
	switch req.Action {
	case "create":
	case "delete":
		remove = true
	case "":
		return nil, core.Errorf(core.KindMissingParameter, "action is missing")
	default:
		return nil, core.Errorf(core.KindInvalidParameter, "action %.64q is not create or delete", req.Action)
	}
	tags := make([]core.Tag, len(req.Tags))
	for i, t := range req.Tags {
		if err := checkTag(t, !remove); err != nil {
			return nil, err
		}
		tags[i] = core.Tag{Key: t.Key, Value: t.Value}
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	if err := a.core.BatchTags(ctx, c, r.keyID, remove, tags); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *API) deleteKMSTag(ctx context.Context, c core.Caller, r *routeRequest) (any, error) {
	if len(r.body) > 0 {
		if err := wire.Decode(r.body, &struct{}{}); err != nil {
			return nil, err
		}
	}
	if err := checkTag(huawei.TagItem{Key: r.tagKey}, false); err != nil {
		return nil, err
	}
	if err := a.core.UntagResource(ctx, c, r.keyID, []string{r.tagKey}); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *API) showKMSTags(ctx context.Context, c core.Caller, r *routeRequest) (any, error) {
	if len(r.body) > 0 {
		if err := wire.Decode(r.body, &struct{}{}); err != nil {
			return nil, err
		}
	}
	tags, err := a.core.ListResourceTags(ctx, c, r.keyID)
	if err != nil {
		return nil, err
	}
	resp := &huawei.KeyTagsResponse{Tags: []huawei.TagItem{}, ExistTagsNum: len(tags)}
	for _, t := range tags {
		resp.Tags = append(resp.Tags, huawei.TagItem{Key: t.Key, Value: t.Value})
	}
	return resp, nil
}

func (a *API) listProjectTags(ctx context.Context, c core.Caller, r *routeRequest) (any, error) {
	if len(r.body) > 0 {
		if err := wire.Decode(r.body, &struct{}{}); err != nil {
			return nil, err
		}
	}
	tags, err := a.core.ListProjectTags(ctx, c)
	if err != nil {
		return nil, err
	}
	resp := &huawei.ProjectTagsResponse{Tags: []huawei.ProjectTag{}}
	for _, t := range tags {
		resp.Tags = append(resp.Tags, huawei.ProjectTag{Key: t.Key, Values: t.Values})
	}
	return resp, nil
}
