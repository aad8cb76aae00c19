package core

import (
	"context"
	"slices"
	"strings"

	"github.com/qtenclave/qtenclave/kms/internal/store"
)

// Aliases: names of keys, unique across the KMS, that AWS's CreateAlias and
// Huawei's create-alias make
// (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html,
// https://support.huaweicloud.com/intl/en-us/api-dew/CreateAlias.html). A
// key may have several. An alias name alias/... names its key wherever the
// AWS API accepts an alias as KeyId; resolve turns it into the key's ID,
// once, for every operation. Huawei's key_alias (create-key,
// update-key-alias) is another thing: a display name of the key that need
// not be unique and names nothing.
//
// The name rules are each API's and are checked by its front end: AWS's
// names start with alias/, Huawei's need not.

// AliasPrefix starts every AWS alias name.
const AliasPrefix = "alias/"

// maxAliasesPerKey bounds the aliases of one key, so that its record stays
// within the store's bound. AWS bounds aliases per account and region only.
const maxAliasesPerKey = 100

// The actions of the alias operations. Huawei's 5.0 names are those of its
// alias pages (kms:alias:list on
// https://support.huaweicloud.com/intl/en-us/api-dew/ListAliases.html);
// the others follow it.
var (
	actCreateAlias = action{"kms:CreateAlias", []string{"kms:alias:create"}}
	actDeleteAlias = action{"kms:DeleteAlias", []string{"kms:alias:delete"}}
	actUpdateAlias = action{"kms:UpdateAlias", []string{"kms:alias:associate"}}
	actListAliases = action{"kms:ListAliases", []string{"kms:alias:list"}}
)

// Alias is an alias and the key it names.
type Alias struct {
	Name    string
	KeyID   string
	Created int64 // milliseconds since the epoch
	Updated int64 // milliseconds since the epoch
}

// resolve returns the key ID that ref names: ref itself, or the key that
// the alias ref (alias/...) names, or a KindNotFound error.
func (k *KMS) resolve(ref string) (string, error) {
	if !strings.HasPrefix(ref, AliasPrefix) {
		return ref, nil
	}
	id := k.store.AliasOwner(ref)
	if id == "" {
		return "", Errorf(KindNotFound, "alias %s does not exist", ref)
	}
	return id, nil
}

// CreateAlias makes name an alias of the key target. A name that any key
// has is KindAlreadyExists; a key pending deletion takes no alias.
func (k *KMS) CreateAlias(ctx context.Context, c Caller, name, target string) (*Alias, error) {
	var out *Alias
	_, err := k.transition(c, actCreateAlias, target, func(r *store.Record) error {
		if err := notPendingDeletion(r); err != nil {
			return err
		}
		if k.store.AliasOwner(name) != "" {
			return Errorf(KindAlreadyExists, "alias %s already exists", name)
		}
		if len(r.Aliases) >= maxAliasesPerKey {
			return Errorf(KindLimitExceeded, "key %s has %d aliases, the most it may have", r.ID, maxAliasesPerKey)
		}
		now := k.clock().UnixMilli()
		r.Aliases = append(r.Aliases, store.Alias{Name: name, Created: now, Updated: now})
		out = &Alias{Name: name, KeyID: r.ID, Created: now, Updated: now}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteAliases deletes aliases of the key keyRef, all or none: each must
// name that key. With keyRef "", names holds one alias, and its key is the
// one it names. Aliases are deleted in any state of their key.
func (k *KMS) DeleteAliases(ctx context.Context, c Caller, keyRef string, names []string) error {
	if len(names) == 0 {
		return Errorf(KindMissingParameter, "no alias to delete")
	}
	if keyRef == "" {
		if keyRef = k.store.AliasOwner(names[0]); keyRef == "" {
			return Errorf(KindNotFound, "alias %s does not exist", names[0])
		}
	}
	_, err := k.transition(c, actDeleteAlias, keyRef, func(r *store.Record) error {
		for _, name := range names {
			i := slices.IndexFunc(r.Aliases, func(a store.Alias) bool { return a.Name == name })
			if i < 0 {
				return Errorf(KindNotFound, "alias %s does not name key %s", name, r.ID)
			}
			r.Aliases = slices.Delete(r.Aliases, i, i+1)
		}
		return nil
	})
	return err
}

// UpdateAlias makes the alias name an alias of the key target instead of
// the key it names. Both keys' policies must allow it; the target must not
// be pending deletion.
func (k *KMS) UpdateAlias(ctx context.Context, c Caller, name, target string) (*Alias, error) {
	ownerID := k.store.AliasOwner(name)
	if ownerID == "" {
		return nil, Errorf(KindNotFound, "alias %s does not exist", name)
	}
	owner, err := k.lookup(ownerID)
	if err != nil {
		return nil, err
	}
	rec, err := k.lookup(target)
	if err != nil {
		return nil, err
	}
	if err := k.authorize(c, actUpdateAlias, owner, nil); err != nil {
		return nil, err
	}
	if err := k.authorize(c, actUpdateAlias, rec, nil); err != nil {
		return nil, err
	}
	var out *Alias
	err = k.store.Change(func(tx *store.Tx) error {
		from, to := tx.Get(owner.ID), tx.Get(rec.ID)
		if from == nil || to == nil {
			return Errorf(KindNotFound, "key %s does not exist", rec.ID)
		}
		if err := notPendingDeletion(to); err != nil {
			return err
		}
		i := slices.IndexFunc(from.Aliases, func(a store.Alias) bool { return a.Name == name })
		if i < 0 {
			return Errorf(KindNotFound, "alias %s does not exist", name)
		}
		a := from.Aliases[i]
		a.Updated = k.clock().UnixMilli()
		if from.ID == to.ID {
			to.Aliases[i] = a
		} else {
			if len(to.Aliases) >= maxAliasesPerKey {
				return Errorf(KindLimitExceeded, "key %s has %d aliases, the most it may have", to.ID, maxAliasesPerKey)
			}
			from.Aliases = slices.Delete(from.Aliases, i, i+1)
			to.Aliases = append(to.Aliases, a)
			tx.Put(from)
		}
		tx.Put(to)
		out = &Alias{Name: a.Name, KeyID: to.ID, Created: a.Created, Updated: a.Updated}
		return nil
	})
	if err != nil {
		return nil, storeError(err)
	}
	return out, nil
}

// ListAliases returns the aliases of every key, or of the key keyRef when
// it is not "", sorted by name. No key policy applies: ListAliases is an
// IAM-only permission on AWS
// (https://docs.aws.amazon.com/kms/latest/APIReference/API_ListAliases.html).
func (k *KMS) ListAliases(ctx context.Context, c Caller, keyRef string) ([]*Alias, error) {
	if err := k.authorizeKeyless(c, actListAliases, "*", nil); err != nil {
		return nil, err
	}
	var recs []*store.Record
	if keyRef != "" {
		rec, err := k.lookup(keyRef)
		if err != nil {
			return nil, err
		}
		recs = []*store.Record{rec}
	} else {
		var err error
		if recs, err = k.records(); err != nil {
			return nil, err
		}
	}
	var out []*Alias
	for _, rec := range recs {
		for _, a := range rec.Aliases {
			out = append(out, &Alias{Name: a.Name, KeyID: rec.ID, Created: a.Created, Updated: a.Updated})
		}
	}
	slices.SortFunc(out, func(a, b *Alias) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// AliasARN returns the ARN of an alias, in the form of KeyARN:
// arn:PARTITION:kms:REGION:ACCOUNT:alias/NAME, or seed 001's
// arn:verenc:ACCOUNT:alias/NAME.
func (k *KMS) AliasARN(name string) string {
	if k.id.seedARNs {
		return "arn:verenc:" + k.id.account + ":" + name
	}
	return "arn:" + k.id.partition + ":kms:" + k.id.region + ":" + k.id.account + ":" + name
}

// CiphertextKeyID returns the ID of the key that a ciphertext of Encrypt
// names, or "": for a front end that must name the key an alias resolved
// to.
func CiphertextKeyID(blob []byte) string { return blobKeyID(blob) }

// AliasURN returns the URN of an alias as Huawei names it:
// kms:REGION:ACCOUNT:alias:NAME.
func (k *KMS) AliasURN(name string) string {
	return "kms:" + k.id.region + ":" + k.id.account + ":alias:" + name
}
