package awsapi

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qtenclave/qtenclave/kms/internal/core"
	"github.com/qtenclave/qtenclave/kms/internal/wire"
)

// The key lifecycle on the AWS front end: EnableKey, DisableKey,
// ScheduleKeyDeletion, CancelKeyDeletion, UpdateKeyDescription, the alias
// operations, the tag operations and the import of key material, with the
// members, bounds and errors of the AWS KMS API reference
// (https://docs.aws.amazon.com/kms/latest/APIReference/API_<Operation>.html).
// The operations that AWS documents as taking "the key ID or key ARN" refuse
// an alias (awsKeyID); those that take "key ID, key ARN, alias name, or
// alias ARN" accept one (awsKeyRef).

// Bounds of the lifecycle members.
const (
	awsMaxAliasName        = 256 // AliasName
	awsDefaultAliasLimit   = 50  // ListAliases' default Limit
	awsMaxAliasLimit       = 100 // ListAliases' largest Limit
	awsMaxTagKey           = 128 // TagKey, in characters
	awsMaxTagValue         = 256 // TagValue, in characters
	awsMaxTagLimit         = 50  // ListResourceTags' largest (and default) Limit
	awsMaxImportToken      = 6144
	awsMaxEncryptedKey     = 6144
	awsMaxValidTo          = 365 * 24 * time.Hour // ValidTo: at most 365 days ahead
	awsDefaultPendingDays  = 30
	awsDeletionTimeDivisor = 1000 // DeletionDate: milliseconds -> seconds
)

// aliasNamePattern is AliasName's pattern; the name starts with alias/.
var aliasNamePattern = regexp.MustCompile(`^[a-zA-Z0-9:/_-]+$`)

// awsAliasName checks an AliasName: alias/ and a name of the pattern, at
// most 256 characters; with reserved, names under alias/aws/ (AWS managed
// keys') are refused too.
func awsAliasName(name string, reserved bool) error {
	if name == "" {
		return core.Errorf(core.KindMissingParameter, "AliasName is missing")
	}
	if len(name) > awsMaxAliasName || !aliasNamePattern.MatchString(name) ||
		!strings.HasPrefix(name, core.AliasPrefix) || name == core.AliasPrefix {
		return core.Errorf(core.KindInvalidAlias, "AliasName must be alias/ and a name of ^[a-zA-Z0-9:/_-]+$, at most %d characters", awsMaxAliasName)
	}
	if reserved && strings.HasPrefix(name, "alias/aws/") {
		return core.Errorf(core.KindInvalidAlias, "AliasName: the prefix alias/aws/ is reserved for AWS managed keys")
	}
	return nil
}

// awsKeyRef returns what a KeyId that may be an alias names: a key ID (as
// awsKeyID), or an alias name alias/NAME given as such or as an alias ARN of
// the account (arn:PARTITION:kms:REGION:ACCOUNT:alias/NAME, or the seed's
// arn:verenc:ACCOUNT:alias/NAME). The core resolves an alias.
func awsKeyRef(field, keyID, account string) (string, error) {
	name := keyID
	if strings.HasPrefix(keyID, "arn:") {
		keyAccount, resource, _ := splitARN(keyID)
		if !strings.HasPrefix(resource, core.AliasPrefix) {
			return awsKeyID(field, keyID, account)
		}
		if keyAccount != account {
			return "", core.Errorf(core.KindNotFound, "%s names another account", field)
		}
		name = resource
	}
	if !strings.HasPrefix(name, core.AliasPrefix) {
		return awsKeyID(field, keyID, account)
	}
	if err := awsAliasName(name, false); err != nil {
		return "", core.Errorf(core.KindNotFound, "%s is not a valid alias", field)
	}
	return name, nil
}

// awsKeyState is the KeyState of a core state.
func awsKeyState(state int) string {
	switch state {
	case core.StateEnabled:
		return "Enabled"
	case core.StateDisabled:
		return "Disabled"
	case core.StatePendingDeletion:
		return "PendingDeletion"
	case core.StatePendingImport:
		return "PendingImport"
	}
	return "Unavailable"
}

// awsKeyOnly decodes a body of KeyId alone (EnableKey, DisableKey,
// CancelKeyDeletion) and returns the key ID.
func (a *API) awsKeyOnly(body []byte) (string, error) {
	var in awsKeyIDRequest
	if err := wire.Decode(body, &in); err != nil {
		return "", err
	}
	return awsKeyID("KeyId", in.KeyID, a.core.Account())
}

func (a *API) enableKey(ctx context.Context, c core.Caller, body []byte) (any, error) {
	id, err := a.awsKeyOnly(body)
	if err != nil {
		return nil, err
	}
	if _, err := a.core.EnableKey(ctx, c, id); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *API) disableKey(ctx context.Context, c core.Caller, body []byte) (any, error) {
	id, err := a.awsKeyOnly(body)
	if err != nil {
		return nil, err
	}
	if _, err := a.core.DisableKey(ctx, c, id); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *API) scheduleKeyDeletion(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsScheduleKeyDeletionRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	id, err := awsKeyID("KeyId", in.KeyID, a.core.Account())
	if err != nil {
		return nil, err
	}
	days := awsDefaultPendingDays
	if in.PendingWindowInDays != nil {
		if days = *in.PendingWindowInDays; days < core.MinPendingDays || days > core.MaxPendingDaysAWS {
			return nil, core.Errorf(core.KindInvalidParameter, "PendingWindowInDays is not in %d..%d", core.MinPendingDays, core.MaxPendingDaysAWS)
		}
	}
	key, err := a.core.ScheduleKeyDeletion(ctx, c, id, days)
	if err != nil {
		return nil, err
	}
	return &awsScheduleKeyDeletionResponse{
		DeletionDate:        float64(key.DeletionDate) / awsDeletionTimeDivisor,
		KeyID:               a.core.KeyARN(key.ID),
		KeyState:            awsKeyState(key.State),
		PendingWindowInDays: key.PendingDays,
	}, nil
}

func (a *API) cancelKeyDeletion(ctx context.Context, c core.Caller, body []byte) (any, error) {
	id, err := a.awsKeyOnly(body)
	if err != nil {
		return nil, err
	}
	key, err := a.core.CancelKeyDeletion(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return &awsKeyIDResponse{KeyID: a.core.KeyARN(key.ID)}, nil
}

func (a *API) updateKeyDescription(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsUpdateKeyDescriptionRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	id, err := awsKeyID("KeyId", in.KeyID, a.core.Account())
	if err != nil {
		return nil, err
	}
	if in.Description == nil {
		return nil, core.Errorf(core.KindMissingParameter, "Description is missing")
	}
	if len(*in.Description) > awsMaxDescription {
		return nil, core.Errorf(core.KindInvalidParameter, "Description is longer than %d characters", awsMaxDescription)
	}
	if _, err := a.core.UpdateKeyDescription(ctx, c, id, *in.Description); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// Aliases.

// aliasRequest decodes the body of CreateAlias and UpdateAlias: the alias
// name and the target's key ID.
func (a *API) aliasRequest(body []byte) (name, id string, err error) {
	var in awsAliasRequest
	if err := wire.Decode(body, &in); err != nil {
		return "", "", err
	}
	if err := awsAliasName(in.AliasName, true); err != nil {
		return "", "", err
	}
	if id, err = awsKeyID("TargetKeyId", in.TargetKeyID, a.core.Account()); err != nil {
		return "", "", err
	}
	return in.AliasName, id, nil
}

func (a *API) createAlias(ctx context.Context, c core.Caller, body []byte) (any, error) {
	name, id, err := a.aliasRequest(body)
	if err != nil {
		return nil, err
	}
	if _, err := a.core.CreateAlias(ctx, c, name, id); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *API) updateAlias(ctx context.Context, c core.Caller, body []byte) (any, error) {
	name, id, err := a.aliasRequest(body)
	if err != nil {
		return nil, err
	}
	if _, err := a.core.UpdateAlias(ctx, c, name, id); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *API) deleteAlias(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsDeleteAliasRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsAliasName(in.AliasName, true); err != nil {
		return nil, err
	}
	if err := a.core.DeleteAliases(ctx, c, "", []string{in.AliasName}); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// awsPage returns the bounds of a page of n items: from the one after the
// item that marker names (found by index), at most limit.
func awsPage(n int, marker string, index func(string) int, limit *int, def, max int) (start, end int, err error) {
	l := def
	if limit != nil {
		if l = *limit; l < 1 || l > max {
			return 0, 0, core.Errorf(core.KindInvalidParameter, "Limit is not in 1..%d", max)
		}
	}
	if marker != "" {
		i := index(marker)
		if i < 0 {
			return 0, 0, core.Wrapf(core.KindInvalidParameter, errAWSMarker, "Marker is not one this server gave")
		}
		start = i + 1
	}
	return start, min(start+l, n), nil
}

func (a *API) listAliases(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsListAliasesRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	var id string
	if in.KeyID != "" {
		var err error
		if id, err = awsKeyID("KeyId", in.KeyID, a.core.Account()); err != nil {
			return nil, err
		}
	}
	aliases, err := a.core.ListAliases(ctx, c, id)
	if err != nil {
		return nil, err
	}
	start, end, err := awsPage(len(aliases), in.Marker, func(m string) int {
		return slices.IndexFunc(aliases, func(al *core.Alias) bool { return al.Name == m })
	}, in.Limit, awsDefaultAliasLimit, awsMaxAliasLimit)
	if err != nil {
		return nil, err
	}
	out := &awsListAliasesResponse{Aliases: []awsAliasListEntry{}}
	for _, al := range aliases[start:end] {
		out.Aliases = append(out.Aliases, awsAliasListEntry{
			AliasArn:        a.core.AliasARN(al.Name),
			AliasName:       al.Name,
			CreationDate:    float64(al.Created) / 1000,
			LastUpdatedDate: float64(al.Updated) / 1000,
			TargetKeyID:     al.KeyID,
		})
	}
	if end < len(aliases) {
		out.Truncated, out.NextMarker = true, aliases[end-1].Name
	}
	return out, nil
}

// Tags.

// awsTagKey checks a TagKey: 1 to 128 characters, not under aws: (AWS's
// reserved prefix, https://docs.aws.amazon.com/kms/latest/APIReference/API_Tag.html).
func awsTagKey(key string) error {
	if n := utf8.RuneCountInString(key); n < 1 || n > awsMaxTagKey || !utf8.ValidString(key) {
		return core.Errorf(core.KindInvalidTag, "TagKey is not 1 to %d characters", awsMaxTagKey)
	}
	if strings.HasPrefix(strings.ToLower(key), "aws:") {
		return core.Errorf(core.KindInvalidTag, "TagKey: the prefix aws: is reserved for AWS")
	}
	return nil
}

func (a *API) tagResource(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsTagResourceRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	id, err := awsKeyID("KeyId", in.KeyID, a.core.Account())
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, core.Errorf(core.KindMissingParameter, "Tags is missing")
	}
	if len(in.Tags) > core.MaxTags {
		return nil, core.Errorf(core.KindLimitExceeded, "Tags has more than %d tags", core.MaxTags)
	}
	tags := make([]core.Tag, len(in.Tags))
	for i, t := range in.Tags {
		if err := awsTagKey(t.TagKey); err != nil {
			return nil, err
		}
		if t.TagValue == nil {
			return nil, core.Errorf(core.KindInvalidTag, "TagValue is missing")
		}
		if utf8.RuneCountInString(*t.TagValue) > awsMaxTagValue || !utf8.ValidString(*t.TagValue) {
			return nil, core.Errorf(core.KindInvalidTag, "TagValue is longer than %d characters", awsMaxTagValue)
		}
		for _, prev := range tags[:i] {
			if prev.Key == t.TagKey {
				return nil, core.Errorf(core.KindInvalidTag, "Tags names a TagKey twice")
			}
		}
		tags[i] = core.Tag{Key: t.TagKey, Value: *t.TagValue}
	}
	if err := a.core.TagResource(ctx, c, id, tags); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *API) untagResource(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsUntagResourceRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	id, err := awsKeyID("KeyId", in.KeyID, a.core.Account())
	if err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, core.Errorf(core.KindMissingParameter, "TagKeys is missing")
	}
	if len(in.TagKeys) > core.MaxTags {
		return nil, core.Errorf(core.KindInvalidTag, "TagKeys has more than %d keys", core.MaxTags)
	}
	for _, k := range in.TagKeys {
		if err := awsTagKey(k); err != nil {
			return nil, err
		}
	}
	if err := a.core.UntagResource(ctx, c, id, in.TagKeys); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *API) listResourceTags(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsListResourceTagsRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	id, err := awsKeyID("KeyId", in.KeyID, a.core.Account())
	if err != nil {
		return nil, err
	}
	tags, err := a.core.ListResourceTags(ctx, c, id)
	if err != nil {
		return nil, err
	}
	start, end, err := awsPage(len(tags), in.Marker, func(m string) int {
		return slices.IndexFunc(tags, func(t core.Tag) bool { return t.Key == m })
	}, in.Limit, awsMaxTagLimit, awsMaxTagLimit)
	if err != nil {
		return nil, err
	}
	out := &awsListResourceTagsResponse{Tags: []awsTag{}}
	for _, t := range tags[start:end] {
		out.Tags = append(out.Tags, awsTag{TagKey: t.Key, TagValue: &t.Value})
	}
	if end < len(tags) {
		out.Truncated, out.NextMarker = true, tags[end-1].Key
	}
	return out, nil
}

// Imported key material. The wrapping key is RSA_2048; the wrapping
// algorithm is RSAES_OAEP_SHA_256 for symmetric key material and
// RSA_AES_KEY_WRAP_SHA_256 (an AES key under RSAES-OAEP-SHA256, then the
// private key under that AES key with RFC 5649 key wrap) for asymmetric
// keys, the two that the core's import takes.

func (a *API) getParametersForImport(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsGetParametersForImportRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	id, err := awsKeyID("KeyId", in.KeyID, a.core.Account())
	if err != nil {
		return nil, err
	}
	switch in.WrappingAlgorithm {
	case "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_256":
	case "":
		return nil, core.Errorf(core.KindMissingParameter, "WrappingAlgorithm is missing")
	case "RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSA_AES_KEY_WRAP_SHA_1", "SM2PKE":
		return nil, core.Errorf(core.KindUnsupported, "WrappingAlgorithm %s is not supported by this server", in.WrappingAlgorithm)
	default:
		return nil, core.Errorf(core.KindInvalidParameter, "WrappingAlgorithm %.64q is not a wrapping algorithm", in.WrappingAlgorithm)
	}
	switch in.WrappingKeySpec {
	case "RSA_2048":
	case "":
		return nil, core.Errorf(core.KindMissingParameter, "WrappingKeySpec is missing")
	case "RSA_3072", "RSA_4096", "SM2":
		return nil, core.Errorf(core.KindUnsupported, "WrappingKeySpec %s is not supported by this server", in.WrappingKeySpec)
	default:
		return nil, core.Errorf(core.KindInvalidParameter, "WrappingKeySpec %.64q is not a wrapping key spec", in.WrappingKeySpec)
	}
	p, err := a.core.GetParametersForImport(ctx, c, id, "RSAES_OAEP_SHA_256")
	if err != nil {
		return nil, err
	}
	return &awsGetParametersForImportResponse{
		ImportToken:       p.Token,
		KeyID:             a.core.KeyARN(p.KeyID),
		ParametersValidTo: float64(p.Expires.Unix()),
		PublicKey:         p.Public,
	}, nil
}

func (a *API) importKeyMaterial(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsImportKeyMaterialRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	id, err := awsKeyID("KeyId", in.KeyID, a.core.Account())
	if err != nil {
		return nil, err
	}
	token, err := awsBlob("ImportToken", in.ImportToken, awsMaxImportToken)
	if err != nil {
		return nil, err
	}
	blob, err := awsBlob("EncryptedKeyMaterial", in.EncryptedKeyMaterial, awsMaxEncryptedKey)
	if err != nil {
		return nil, err
	}
	var expires int64
	switch in.ExpirationModel {
	case "KEY_MATERIAL_EXPIRES", "":
		if in.ValidTo == nil {
			if in.ExpirationModel == "" {
				break // neither: the material does not expire
			}
			return nil, core.Errorf(core.KindMissingParameter, "ValidTo is required with ExpirationModel KEY_MATERIAL_EXPIRES")
		}
		validTo := time.Unix(int64(*in.ValidTo), 0)
		if !validTo.After(time.Now()) || time.Until(validTo) > awsMaxValidTo {
			return nil, core.Errorf(core.KindInvalidParameter, "ValidTo is not in the next 365 days")
		}
		expires = validTo.Unix()
	case "KEY_MATERIAL_DOES_NOT_EXPIRE":
		if in.ValidTo != nil {
			return nil, core.Errorf(core.KindInvalidParameter, "ValidTo is not valid with ExpirationModel KEY_MATERIAL_DOES_NOT_EXPIRE")
		}
	default:
		return nil, core.Errorf(core.KindInvalidParameter, "ExpirationModel %.64q is not an expiration model", in.ExpirationModel)
	}
	switch in.ImportType {
	case "", "NEW_KEY_MATERIAL":
	case "EXISTING_KEY_MATERIAL":
		return nil, core.Errorf(core.KindUnsupported, "ImportType EXISTING_KEY_MATERIAL is not supported by this server: a key takes its material once")
	default:
		return nil, core.Errorf(core.KindInvalidParameter, "ImportType %.64q is not an import type", in.ImportType)
	}
	if in.KeyMaterialID != "" || in.KeyMaterialDescription != "" {
		return nil, core.Errorf(core.KindUnsupported, "KeyMaterialId and KeyMaterialDescription are not supported by this server: a key has one key material")
	}
	// An asymmetric key's RSA_AES_KEY_WRAP_SHA_256 blob is split by the
	// core (ImportInput.EncryptedMaterial).
	ii := &core.ImportInput{KeyID: id, Token: token, EncryptedMaterial: blob, Expires: expires}
	if err := a.core.ImportKeyMaterial(ctx, c, ii); err != nil {
		return nil, err
	}
	return &awsKeyIDResponse{KeyID: a.core.KeyARN(id)}, nil
}

func (a *API) deleteImportedKeyMaterial(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsDeleteImportedKeyMaterialRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	id, err := awsKeyID("KeyId", in.KeyID, a.core.Account())
	if err != nil {
		return nil, err
	}
	if in.KeyMaterialID != "" {
		return nil, core.Errorf(core.KindUnsupported, "KeyMaterialId is not supported by this server: a key has one key material")
	}
	key, err := a.core.DeleteImportedKeyMaterial(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return &awsKeyIDResponse{KeyID: a.core.KeyARN(key.ID)}, nil
}
