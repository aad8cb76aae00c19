package core

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/kms/internal/store"
)

// fakeClock is a clock the tests move.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func kindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return -1
}

// TestDeletionDate checks that a key is deleted when its deletion date
// passes, and not a millisecond before: it is then NotFound, missing from
// ListKeys, and its aliases are free again; after a restart too.
func TestDeletionDate(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{t: time.Now()}
	k, err := New(Options{DataDir: dir})
	require.NoError(t, err)
	k.now = clock.now
	ctx := t.Context()
	key, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{})
	require.NoError(t, err)
	other, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{})
	require.NoError(t, err)
	_, err = k.CreateAlias(ctx, testCaller, "alias/doomed", key.ID)
	require.NoError(t, err)
	sched, err := k.ScheduleKeyDeletion(ctx, testCaller, key.ID, 7)
	require.NoError(t, err)
	require.Equal(t, StatePendingDeletion, sched.State)
	require.Equal(t, clock.now().Add(7*24*time.Hour).UnixMilli(), sched.DeletionDate)

	clock.add(7*24*time.Hour - time.Millisecond)
	d, err := k.DescribeKey(ctx, testCaller, "alias/doomed")
	require.NoError(t, err, "an alias names a key pending deletion")
	require.Equal(t, StatePendingDeletion, d.State)
	_, err = k.Encrypt(ctx, testCaller, key.ID, []byte("x"), nil)
	require.Equal(t, KindPendingDeletion, kindOf(err))

	clock.add(time.Millisecond)
	_, err = k.DescribeKey(ctx, testCaller, key.ID)
	require.Equal(t, KindNotFound, kindOf(err))
	_, err = k.DescribeKey(ctx, testCaller, "alias/doomed")
	require.Equal(t, KindNotFound, kindOf(err))
	keys, err := k.ListKeys(ctx, testCaller)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	_, err = k.CreateAlias(ctx, testCaller, "alias/doomed", other.ID)
	require.NoError(t, err, "a deleted key's alias is free")
	require.NoError(t, k.Close())

	k, err = New(Options{DataDir: dir})
	require.NoError(t, err)
	defer k.Close()
	_, err = k.DescribeKey(ctx, testCaller, key.ID)
	require.Equal(t, KindNotFound, kindOf(err), "deleted on disk")
	d, err = k.DescribeKey(ctx, testCaller, "alias/doomed")
	require.NoError(t, err)
	require.Equal(t, other.ID, d.ID)
}

// TestDeletionSweptByList checks that ListKeys and ListAliases apply the
// deletion dates of keys nobody read.
func TestDeletionSweptByList(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	k, err := New(Options{})
	require.NoError(t, err)
	defer k.Close()
	k.now = clock.now
	ctx := t.Context()
	key, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{})
	require.NoError(t, err)
	_, err = k.CreateAlias(ctx, testCaller, "alias/a", key.ID)
	require.NoError(t, err)
	_, err = k.ScheduleKeyDeletion(ctx, testCaller, key.ID, 30)
	require.NoError(t, err)
	clock.add(31 * 24 * time.Hour)
	aliases, err := k.ListAliases(ctx, testCaller, "")
	require.NoError(t, err)
	require.Empty(t, aliases)
	_, err = k.store.Get(key.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
}

// TestMaterialExpiry checks that imported material past its expiration
// returns the key to pending import, and that a key pending deletion whose
// material expired is cancelled into pending import.
func TestMaterialExpiry(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	k, err := New(Options{})
	require.NoError(t, err)
	defer k.Close()
	k.now = clock.now
	ctx := t.Context()
	for _, pending := range []bool{false, true} {
		key, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{Origin: "external"})
		require.NoError(t, err)
		expires := clock.now().Add(time.Hour).Unix()
		require.NoError(t, k.store.Update(key.ID, func(r *store.Record) error {
			r.Sealed, r.State, r.Expires = k.store.Seal(r.ID, make([]byte, 32)), StateEnabled, expires
			return nil
		}))
		if pending {
			_, err = k.ScheduleKeyDeletion(ctx, testCaller, key.ID, 7)
			require.NoError(t, err)
		}
		_, err = k.Encrypt(ctx, testCaller, key.ID, []byte("x"), nil)
		if !pending {
			require.NoError(t, err)
		}
		clock.add(time.Hour)
		d, err := k.DescribeKey(ctx, testCaller, key.ID)
		require.NoError(t, err)
		require.Zero(t, d.Expires)
		if !pending {
			require.Equal(t, StatePendingImport, d.State)
			_, err = k.Encrypt(ctx, testCaller, key.ID, []byte("x"), nil)
			require.Equal(t, KindInvalidState, kindOf(err))
			_, err = k.GetParametersForImport(ctx, testCaller, key.ID, keyEncryptionAlgorithm)
			require.NoError(t, err, "importable again")
			continue
		}
		require.Equal(t, StatePendingDeletion, d.State)
		d, err = k.CancelKeyDeletion(ctx, testCaller, key.ID)
		require.NoError(t, err)
		require.Equal(t, StatePendingImport, d.State)
	}
}

// TestLifecycleActions checks that every lifecycle operation names its
// actions, so that authorize decides it.
func TestLifecycleActions(t *testing.T) {
	for _, act := range []action{
		actEnableKey, actDisableKey, actScheduleKeyDeletion, actCancelKeyDeletion, actUpdateKeyDescription,
		actUpdateKeyAlias, actDeleteImportedKeyMaterial, actCreateAlias, actDeleteAlias, actUpdateAlias,
		actListAliases, actTagResource, actUntagResource, actBatchTags, actBatchUntags, actListResourceTags,
		actListProjectTags,
	} {
		require.Regexp(t, `^kms:[A-Z][A-Za-z]+$`, act.aws)
		require.NotEmpty(t, act.huawei)
		for _, h := range act.huawei {
			require.Regexp(t, `^kms:[a-zA-Z]+:[a-zA-Z]+$`, h)
		}
	}
}
