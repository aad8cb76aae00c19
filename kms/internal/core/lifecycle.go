package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/qtenclave/qtenclave/kms/internal/store"
)

// The key lifecycle: enabling and disabling a key, scheduling and
// cancelling its deletion, deleting it when its date passes, changing its
// description and key_alias, and deleting (or expiring) its imported key
// material. Every change is authorized like any other operation and is on
// disk before it returns.
//
// The states and what each operation answers in them are those of the AWS
// KMS developer guide
// (https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html)
// and of Huawei's error codes
// (https://support.huaweicloud.com/intl/en-us/api-dew/ErrorCode.html): a
// cryptographic operation on a disabled key is KindDisabled, on a key
// pending deletion KindPendingDeletion, on a key pending import
// KindInvalidState; describing a key, its policy, tags and aliases works in
// every state; changing its description, tags or aliases is refused while
// it is pending deletion.
//
// Time-driven changes are applied lazily, by settle, whenever a key is read:
// a key whose deletion date has passed is deleted (and is then NotFound,
// like a key that never existed), and imported key material past its
// expiration_time is deleted, returning the key to StatePendingImport so
// that material can be imported again.

// Deletion waiting periods, in days: Huawei's pending_days
// (https://support.huaweicloud.com/intl/en-us/api-dew/DeleteKey.html) and
// AWS's PendingWindowInDays
// (https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html).
const (
	MinPendingDays       = 7
	MaxPendingDaysHuawei = 1096
	MaxPendingDaysAWS    = 30
)

// The actions of the lifecycle operations. Huawei's are the 1.1 names of
// the DEW API reference's permission table
// (https://support.huaweicloud.com/intl/en-us/api-dew/dew_02_0309.html).
// Huawei's update-key-alias has no AWS twin; the key policy decides it as
// kms:UpdateAlias, the AWS action that renames a key.
var (
	actEnableKey                 = action{"kms:EnableKey", []string{"kms:cmk:enable"}}
	actDisableKey                = action{"kms:DisableKey", []string{"kms:cmk:disable"}}
	actScheduleKeyDeletion       = action{"kms:ScheduleKeyDeletion", []string{"kms:cmk:update"}}
	actCancelKeyDeletion         = action{"kms:CancelKeyDeletion", []string{"kms:cmk:update"}}
	actUpdateKeyDescription      = action{"kms:UpdateKeyDescription", []string{"kms:cmk:update"}}
	actUpdateKeyAlias            = action{"kms:UpdateAlias", []string{"kms:cmk:update"}}
	actDeleteImportedKeyMaterial = action{"kms:DeleteImportedKeyMaterial", []string{"kms:cmk:deleteMaterial"}}
)

// clock returns the lifecycle's current time.
func (k *KMS) clock() time.Time {
	if k.now != nil {
		return k.now()
	}
	return time.Now()
}

// stateError returns nil for an enabled key, or the error that an
// operation using the material of a key in that state answers.
func stateError(id string, state int) error {
	switch state {
	case StateEnabled:
		return nil
	case StateDisabled:
		return Errorf(KindDisabled, "key %s is disabled", id)
	case StatePendingDeletion:
		return Errorf(KindPendingDeletion, "key %s is pending deletion", id)
	case StatePendingImport:
		return Errorf(KindInvalidState, "key %s is pending import", id)
	}
	return Errorf(KindInvalidState, "key %s is in state %d", id, state)
}

// stateName names a state in messages.
func stateName(state int) string {
	switch state {
	case StateEnabled:
		return "enabled"
	case StateDisabled:
		return "disabled"
	case StatePendingDeletion:
		return "pending deletion"
	case StatePendingImport:
		return "pending import"
	}
	return "in an unknown state"
}

// settle applies to rec what time has done to it since it was written: a
// key past its deletion date is deleted (KindNotFound), imported material
// past its expiration is deleted. It returns the record as it now is.
func (k *KMS) settle(rec *store.Record) (*store.Record, error) {
	if (rec.State != StatePendingDeletion || rec.DeletionDate == 0) && rec.Expires == 0 {
		return rec, nil // nothing that time changes: no need to read the clock
	}
	now := k.clock()
	switch {
	case rec.State == StatePendingDeletion && rec.DeletionDate != 0 && now.UnixMilli() >= rec.DeletionDate:
		err := k.store.Change(func(tx *store.Tx) error {
			if r := tx.Get(rec.ID); r != nil && r.State == StatePendingDeletion && r.DeletionDate == rec.DeletionDate {
				tx.Delete(rec.ID)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("kms: delete key: %w", err)
		}
		k.policies.Delete(rec.ID)
		return nil, Errorf(KindNotFound, "key %s does not exist", rec.ID)
	case rec.Expires != 0 && now.Unix() >= rec.Expires:
		var out *store.Record
		err := k.store.Change(func(tx *store.Tx) error {
			r := tx.Get(rec.ID)
			if r == nil {
				return Errorf(KindNotFound, "key %s does not exist", rec.ID)
			}
			if r.Expires == rec.Expires {
				deleteMaterial(r)
				tx.Put(r)
			}
			out = r
			return nil
		})
		if err != nil {
			return nil, storeError(err)
		}
		return out, nil
	}
	return rec, nil
}

// deleteMaterial removes the imported material of r: an enabled or
// disabled key returns to StatePendingImport; a key pending deletion stays
// so (cancelling its deletion then leaves it pending import).
func deleteMaterial(r *store.Record) {
	r.Sealed, r.Public, r.Expires = nil, nil, 0
	if r.State == StateEnabled || r.State == StateDisabled {
		r.State = StatePendingImport
	}
}

// storeError passes an *Error through and wraps anything else as an
// internal failure to store.
func storeError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, store.ErrAliasExists) {
		return Wrapf(KindAlreadyExists, err, "an alias of that name exists")
	}
	return fmt.Errorf("kms: store key: %w", err)
}

// records returns every key as it now is (see settle), oldest first.
func (k *KMS) records() ([]*store.Record, error) {
	recs, err := k.store.List()
	if err != nil {
		return nil, err
	}
	out := recs[:0:0]
	for _, rec := range recs {
		rec, err := k.settle(rec)
		var e *Error
		if errors.As(err, &e) && e.Kind == KindNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// transition looks up the key ref, authorizes act on it, then applies fn to
// a copy of its record under the store's write lock and stores the result,
// on disk first. fn's error aborts the change. It returns the key as
// stored.
func (k *KMS) transition(c Caller, act action, ref string, fn func(r *store.Record) error) (*Key, error) {
	rec, err := k.lookup(ref)
	if err != nil {
		return nil, err
	}
	if err := k.authorize(c, act, rec, nil); err != nil {
		return nil, err
	}
	var out *store.Record
	err = k.store.Change(func(tx *store.Tx) error {
		r := tx.Get(rec.ID)
		if r == nil {
			return Errorf(KindNotFound, "key %s does not exist", rec.ID)
		}
		if err := fn(r); err != nil {
			return err
		}
		tx.Put(r)
		out = r
		return nil
	})
	if err != nil {
		return nil, storeError(err)
	}
	return keyOf(out), nil
}

// EnableKey enables a disabled key. Enabling an enabled key succeeds on
// the AWS front end (EnableKey) and is KindNotDisabled on the Huawei one
// (KMS.1201); a key pending deletion or import is KindNotDisabled on both.
func (k *KMS) EnableKey(ctx context.Context, c Caller, ref string) (*Key, error) {
	return k.transition(c, actEnableKey, ref, func(r *store.Record) error {
		switch {
		case r.State == StateDisabled:
			r.State = StateEnabled
		case r.State == StateEnabled && c.API != APIHuawei:
		default:
			return Errorf(KindNotDisabled, "key %s is %s, not disabled", r.ID, stateName(r.State))
		}
		return nil
	})
}

// DisableKey disables an enabled key: its material is refused by every
// operation (KindDisabled) until EnableKey. Disabling a disabled key
// succeeds on the AWS front end and is KindNotEnabled on the Huawei one
// (KMS.1301); a key pending deletion or import is KindNotEnabled on both.
func (k *KMS) DisableKey(ctx context.Context, c Caller, ref string) (*Key, error) {
	return k.transition(c, actDisableKey, ref, func(r *store.Record) error {
		switch {
		case r.State == StateEnabled:
			r.State = StateDisabled
		case r.State == StateDisabled && c.API != APIHuawei:
		default:
			return Errorf(KindNotEnabled, "key %s is %s, not enabled", r.ID, stateName(r.State))
		}
		return nil
	})
}

// ScheduleKeyDeletion puts a key in StatePendingDeletion: it is deleted
// days days from now, unless CancelKeyDeletion comes first. The front end
// checks days against its API's range (MinPendingDays to
// MaxPendingDaysHuawei or MaxPendingDaysAWS).
func (k *KMS) ScheduleKeyDeletion(ctx context.Context, c Caller, ref string, days int) (*Key, error) {
	if days < MinPendingDays || days > MaxPendingDaysHuawei {
		return nil, Errorf(KindInvalidParameter, "the waiting period is not %d to %d days", MinPendingDays, MaxPendingDaysHuawei)
	}
	return k.transition(c, actScheduleKeyDeletion, ref, func(r *store.Record) error {
		if r.State == StatePendingDeletion {
			return Errorf(KindAlreadyPendingDeletion, "key %s is pending deletion", r.ID)
		}
		r.State = StatePendingDeletion
		r.DeletionDate = k.clock().Add(time.Duration(days) * 24 * time.Hour).UnixMilli()
		r.PendingDays = days
		return nil
	})
}

// CancelKeyDeletion cancels the deletion of a key pending deletion. The key
// becomes disabled, as AWS and Huawei document it, or pending import if its
// imported material was deleted meanwhile.
func (k *KMS) CancelKeyDeletion(ctx context.Context, c Caller, ref string) (*Key, error) {
	return k.transition(c, actCancelKeyDeletion, ref, func(r *store.Record) error {
		if r.State != StatePendingDeletion {
			return Errorf(KindNotPendingDeletion, "key %s is %s, not pending deletion", r.ID, stateName(r.State))
		}
		r.State, r.DeletionDate, r.PendingDays = StateDisabled, 0, 0
		if len(r.Sealed) == 0 {
			r.State = StatePendingImport
		}
		return nil
	})
}

// notPendingDeletion refuses a change of a key pending deletion.
func notPendingDeletion(r *store.Record) error {
	if r.State == StatePendingDeletion {
		return Errorf(KindPendingDeletion, "key %s is pending deletion", r.ID)
	}
	return nil
}

// UpdateKeyDescription replaces the description of a key. The front end
// checks its length.
func (k *KMS) UpdateKeyDescription(ctx context.Context, c Caller, ref, description string) (*Key, error) {
	return k.transition(c, actUpdateKeyDescription, ref, func(r *store.Record) error {
		if err := notPendingDeletion(r); err != nil {
			return err
		}
		r.Description = description
		return nil
	})
}

// UpdateKeyAlias replaces the key_alias of a key (Huawei's
// update-key-alias). The key_alias is a display name, not an alias of
// CreateAlias: see alias.go.
func (k *KMS) UpdateKeyAlias(ctx context.Context, c Caller, ref, alias string) (*Key, error) {
	return k.transition(c, actUpdateKeyAlias, ref, func(r *store.Record) error {
		if err := notPendingDeletion(r); err != nil {
			return err
		}
		r.Alias = alias
		return nil
	})
}

// DeleteImportedKeyMaterial deletes the imported material of a key of
// origin external: an enabled or disabled key becomes pending import and
// can be imported again; for a key pending import it changes nothing; a key
// pending deletion stays so, without material.
func (k *KMS) DeleteImportedKeyMaterial(ctx context.Context, c Caller, ref string) (*Key, error) {
	return k.transition(c, actDeleteImportedKeyMaterial, ref, func(r *store.Record) error {
		if r.Origin != "external" {
			return Errorf(KindNotExternal, "key %s is not of origin external", r.ID)
		}
		deleteMaterial(r)
		return nil
	})
}
