package core

import (
	"context"
	"maps"
	"slices"

	"github.com/qtenclave/qtenclave/kms/internal/store"
)

// Tags: key/value pairs on a key, as AWS's TagResource and Huawei's
// create-kms-tag set them. The length and character rules of tag keys and
// values are each API's and are checked by its front end; how many a key
// may have is held here.

// MaxTags is how many tags a key may have: AWS's limit
// (https://docs.aws.amazon.com/kms/latest/developerguide/tagging-keys.html),
// applied on both front ends.
const MaxTags = 50

// The actions of the tag operations. Huawei's are those of POLICY-NOTES'
// table (kms:cmkTag:create, :delete, :list, :batch).
var (
	actTagResource      = action{"kms:TagResource", []string{"kms:cmkTag:create"}}
	actUntagResource    = action{"kms:UntagResource", []string{"kms:cmkTag:delete"}}
	actBatchTags        = action{"kms:TagResource", []string{"kms:cmkTag:batch"}}
	actBatchUntags      = action{"kms:UntagResource", []string{"kms:cmkTag:batch"}}
	actListResourceTags = action{"kms:ListResourceTags", []string{"kms:cmkTag:list"}}
	actListProjectTags  = action{"kms:ListResourceTags", []string{"kms:cmkTag:list"}}
)

// Tag is a tag of a key.
type Tag struct {
	Key, Value string
}

// TagResource adds tags to a key, replacing the values of keys it has. A
// key pending deletion takes no tags; a key ends with at most MaxTags.
func (k *KMS) TagResource(ctx context.Context, c Caller, ref string, tags []Tag) error {
	return k.tag(c, actTagResource, ref, tags)
}

// UntagResource removes tags from a key by their keys. A tag key the key
// does not have is ignored on the AWS front end and is KindNotFound on the
// Huawei one, whose delete-kms-tag names one tag that must exist.
func (k *KMS) UntagResource(ctx context.Context, c Caller, ref string, keys []string) error {
	return k.untag(c, actUntagResource, ref, keys)
}

// BatchTags adds (or, with remove, removes) tags, as Huawei's
// batch-create-kms-tags does with its action create (or delete).
func (k *KMS) BatchTags(ctx context.Context, c Caller, ref string, remove bool, tags []Tag) error {
	if !remove {
		return k.tag(c, actBatchTags, ref, tags)
	}
	keys := make([]string, len(tags))
	for i, t := range tags {
		keys[i] = t.Key
	}
	return k.untag(c, actBatchUntags, ref, keys)
}

func (k *KMS) tag(c Caller, act action, ref string, tags []Tag) error {
	_, err := k.transition(c, act, ref, func(r *store.Record) error {
		if err := notPendingDeletion(r); err != nil {
			return err
		}
		if r.Tags == nil {
			r.Tags = make(map[string]string, len(tags))
		}
		for _, t := range tags {
			r.Tags[t.Key] = t.Value
		}
		if len(r.Tags) > MaxTags {
			return Errorf(KindLimitExceeded, "key %s would have more than %d tags", r.ID, MaxTags)
		}
		return nil
	})
	return err
}

func (k *KMS) untag(c Caller, act action, ref string, keys []string) error {
	_, err := k.transition(c, act, ref, func(r *store.Record) error {
		if err := notPendingDeletion(r); err != nil {
			return err
		}
		for _, key := range keys {
			if _, ok := r.Tags[key]; !ok && c.API == APIHuawei {
				return Errorf(KindNotFound, "key %s has no tag %.128q", r.ID, key)
			}
			delete(r.Tags, key)
		}
		if len(r.Tags) == 0 {
			r.Tags = nil
		}
		return nil
	})
	return err
}

// ListResourceTags returns the tags of a key, sorted by key, in any state.
func (k *KMS) ListResourceTags(ctx context.Context, c Caller, ref string) ([]Tag, error) {
	rec, err := k.lookup(ref)
	if err != nil {
		return nil, err
	}
	if err := k.authorize(c, actListResourceTags, rec, nil); err != nil {
		return nil, err
	}
	return sortedTags(rec.Tags), nil
}

func sortedTags(m map[string]string) []Tag {
	out := make([]Tag, 0, len(m))
	for _, key := range slices.Sorted(maps.Keys(m)) {
		out = append(out, Tag{Key: key, Value: m[key]})
	}
	return out
}

// TagValues is a tag key and the values the keys of the KMS give it.
type TagValues struct {
	Key    string
	Values []string // sorted, without duplicates
}

// ListProjectTags returns every tag key of every key with its values, as
// Huawei's list-kms-tags (GET /v1.0/{project_id}/kms/tags) does, sorted by
// key. It involves no key: the IAM policies alone decide.
func (k *KMS) ListProjectTags(ctx context.Context, c Caller) ([]TagValues, error) {
	if err := k.authorizeKeyless(c, actListProjectTags, "*", nil); err != nil {
		return nil, err
	}
	recs, err := k.records()
	if err != nil {
		return nil, err
	}
	values := map[string]map[string]bool{}
	for _, rec := range recs {
		for key, v := range rec.Tags {
			if values[key] == nil {
				values[key] = map[string]bool{}
			}
			values[key][v] = true
		}
	}
	out := make([]TagValues, 0, len(values))
	for _, key := range slices.Sorted(maps.Keys(values)) {
		out = append(out, TagValues{Key: key, Values: slices.Sorted(maps.Keys(values[key]))})
	}
	return out, nil
}
