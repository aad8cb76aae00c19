package core

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/qtenclave/qtenclave/kms/internal/store"
)

// Keys: their specs, usages and states, and the operations that create,
// describe and list them.

// Key describes a key: everything but its material and its recipient policy.
type Key struct {
	ID          string
	Alias       string
	Description string
	Spec        string // a create-key spec: AES_256, SM4, RSA_2048, ..., EC_P256, ..., SM2
	Usage       string // UsageEncryptDecrypt, UsageSignVerify or UsageKeyAgreement
	Origin      string // kms or external
	State       int    // StateEnabled or StatePendingImport
	Created     int64  // milliseconds since the epoch
	Public      []byte // DER SubjectPublicKeyInfo of an asymmetric key that has its material
	Expires     int64  // seconds since the epoch at which imported material expires; 0: never

	DeletionDate int64 // in state StatePendingDeletion: milliseconds since the epoch at which the key is deleted
	PendingDays  int   // in state StatePendingDeletion: the waiting period it was scheduled with
}

func keyOf(rec *store.Record) *Key {
	return &Key{
		ID: rec.ID, Alias: rec.Alias, Description: rec.Description, Spec: rec.Spec, Usage: rec.Usage,
		Origin: rec.Origin, State: rec.State, Created: rec.Created, Public: rec.Public, Expires: rec.Expires,
		DeletionDate: rec.DeletionDate, PendingDays: rec.PendingDays,
	}
}

// Symmetric reports whether the key is an AES_256 or SM4 key.
func (k *Key) Symmetric() bool { return keySpecs[k.Spec].symmetric }

// Usable returns nil if the key is enabled, or the error that an operation
// that uses the key's material answers in its state.
func (k *Key) Usable() error { return stateError(k.ID, k.State) }

// Key states, with Huawei's numbering
// (https://support.huaweicloud.com/intl/en-us/api-dew/ListKeyDetail.html:
// 1 pending activation, 2 enabled, 3 disabled, 4 pending deletion, 5
// pending import). No key of this server is pending activation.
const (
	StateEnabled         = 2
	StateDisabled        = 3
	StatePendingDeletion = 4
	StatePendingImport   = 5
)

// Key usages.
const (
	UsageEncryptDecrypt = "ENCRYPT_DECRYPT"
	UsageSignVerify     = "SIGN_VERIFY"
	UsageKeyAgreement   = "KEY_AGREEMENT"
	// UsageDeriveSharedSecret is seed 001's name of KEY_AGREEMENT. A key
	// created with it is a KEY_AGREEMENT key in every rule, and keeps the
	// name it was created with, which describe and list report back.
	UsageDeriveSharedSecret = "DERIVE_SHARED_SECRET"
)

// baseUsage returns the usage that u names: KEY_AGREEMENT for
// DERIVE_SHARED_SECRET, u itself otherwise.
func baseUsage(u string) string {
	if u == UsageDeriveSharedSecret {
		return UsageKeyAgreement
	}
	return u
}

// HasUsage reports whether the key's usage is u, by either of its names.
func (k *Key) HasUsage(u string) bool { return baseUsage(k.Usage) == baseUsage(u) }

// Key specs of create-key, with what each allows.
type keySpecInfo struct {
	symmetric bool
	keyLen    int    // symmetric key length in bytes
	rsaBits   int    // RSA modulus size
	curve     string // data key pair spec name of the curve (keyspec's name)
}

var keySpecs = map[string]keySpecInfo{
	"AES_256":  {symmetric: true, keyLen: 32},
	"SM4":      {symmetric: true, keyLen: 16},
	"RSA_2048": {rsaBits: 2048},
	"RSA_3072": {rsaBits: 3072},
	"RSA_4096": {rsaBits: 4096},
	"EC_P256":  {curve: "ECC_NIST_P256"},
	"EC_P384":  {curve: "ECC_NIST_P384"},
	// EC_P521 is this server's extension: Huawei's create-key has no P-521,
	// AWS KMS has ECC_NIST_P521 KEY_AGREEMENT keys (mapped here), and
	// create-ec-datakey-pair has ECC_NIST_P521, so every data key pair spec
	// can also be a key agreement key.
	"EC_P521":   {curve: "ECC_NIST_P521"},
	"SECP256K1": {curve: "ECC_SECG_P256K1"},
	"SM2":       {curve: "SM2"},
}

// IsKeySpec reports whether spec is a create-key spec.
func IsKeySpec(spec string) bool {
	_, ok := keySpecs[spec]
	return ok
}

// UsageAllowed reports whether a key of spec may be created with usage.
func UsageAllowed(spec, usage string) bool {
	info := keySpecs[spec]
	switch baseUsage(usage) {
	case UsageEncryptDecrypt:
		return info.symmetric || info.rsaBits != 0 || spec == "SM2"
	case UsageSignVerify:
		return !info.symmetric
	case UsageKeyAgreement:
		return info.curve != ""
	}
	return false
}

// ValidKeyID reports whether id has the 36-byte key ID format of the seed
// pages, ^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$:
// checked by hand, since every operation on a key checks it (a regexp was a
// twentieth of an Encrypt's handler).
func ValidKeyID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
				return false
			}
		}
	}
	return true
}

// CreateKeyInput is a request for a new key. Zero fields take defaults.
type CreateKeyInput struct {
	Alias       string
	Spec        string // "" = AES_256
	Usage       string // "" = the spec's default
	Description string
	Origin      string // "" = kms

	// Policy is the key policy (AWS's JSON grammar, see package policy),
	// kept as given. If nil, the key gets the default key policy, plus a
	// Deny per PCR of PCRs.
	Policy []byte
	// BypassPolicyLockoutSafetyCheck skips the check that Policy lets the
	// caller change it again.
	BypassPolicyLockoutSafetyCheck bool
	// PCRs is recipient_attestation, a shorthand for a key policy: PCR
	// index -> value that a recipient's attestation document must carry
	// for the key to release a secret. Not with Policy.
	PCRs map[int][]byte
}

// CreateKey makes a key. Keys of origin kms get their material now; keys of
// origin external wait for ImportKeyMaterial in state StatePendingImport.
func (k *KMS) CreateKey(ctx context.Context, c Caller, in *CreateKeyInput) (*Key, error) {
	spec := in.Spec
	if spec == "" {
		spec = "AES_256"
	}
	info, ok := keySpecs[spec]
	if !ok {
		return nil, Errorf(KindInvalidParameter, "key_spec %q is not supported", spec)
	}
	usage := in.Usage
	if usage == "" {
		usage = UsageSignVerify
		if info.symmetric {
			usage = UsageEncryptDecrypt
		}
	}
	switch usage {
	case UsageEncryptDecrypt, UsageSignVerify, UsageKeyAgreement, UsageDeriveSharedSecret:
	default:
		return nil, Errorf(KindInvalidParameter, "key_usage %q is not supported", usage)
	}
	if !UsageAllowed(spec, usage) {
		return nil, Errorf(KindInvalidParameter, "key_usage %s does not apply to key_spec %s", usage, spec)
	}
	origin := in.Origin
	if origin == "" {
		origin = "kms"
	}
	if origin != "kms" && origin != "external" {
		return nil, Errorf(KindInvalidParameter, "origin %q is not kms or external", origin)
	}
	if len(in.PCRs) > 0 && usage == UsageSignVerify {
		return nil, Errorf(KindInvalidParameter, "recipient_attestation applies only to keys that produce secrets")
	}
	if len(in.PCRs) > 0 && in.Policy != nil {
		return nil, Errorf(KindInvalidParameter, "recipient_attestation and a key policy are mutually exclusive")
	}
	rec := &store.Record{
		ID:          newKeyID(),
		Alias:       in.Alias,
		Description: in.Description,
		Spec:        spec,
		Usage:       usage,
		Origin:      origin,
		State:       StatePendingImport,
		Created:     time.Now().UnixMilli(),
	}
	if err := k.authorizeKeyless(c, actCreateKey, rec.ID, nil); err != nil {
		return nil, err
	}
	if in.Policy != nil {
		if _, err := k.parseKeyPolicy(rec.ID, in.Policy, in.BypassPolicyLockoutSafetyCheck); err != nil {
			return nil, err
		}
		rec.Policy = string(in.Policy)
	} else {
		rec.Policy = k.defaultPolicy(in.PCRs)
	}
	if origin == "kms" {
		material, public, err := newMaterial(spec, info)
		if err != nil {
			return nil, err
		}
		rec.Public = public
		rec.Sealed = k.store.Seal(rec.ID, material)
		clear(material)
		rec.State = StateEnabled
	}
	if err := k.store.Create(rec); err != nil {
		return nil, fmt.Errorf("kms: store key: %w", err)
	}
	return keyOf(rec), nil
}

// newMaterial makes the key material of a create-key spec.
func newMaterial(spec string, info keySpecInfo) (material, public []byte, err error) {
	if info.symmetric {
		material = make([]byte, info.keyLen)
		rand.Read(material)
		return material, nil, nil
	}
	return generateKeyPair(pairSpecOf(spec))
}

// newKeyID returns a random key ID in the 36-byte format of the seed pages
// (a version 4 UUID).
func newKeyID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// DescribeKey returns the key named id, in whatever state it is.
func (k *KMS) DescribeKey(ctx context.Context, c Caller, id string) (*Key, error) {
	return k.describe(c, actDescribeKey, id)
}

func (k *KMS) describe(c Caller, act action, id string) (*Key, error) {
	rec, err := k.lookup(id)
	if err != nil {
		return nil, err
	}
	if err := k.authorize(c, act, rec, nil); err != nil {
		return nil, err
	}
	return keyOf(rec), nil
}

// GetPublicKey returns the key named id for its public key. Which keys have
// one to give is each front end's rule: the two APIs refuse a symmetric or
// pending key with different errors, in a different order.
func (k *KMS) GetPublicKey(ctx context.Context, c Caller, id string) (*Key, error) {
	return k.describe(c, actGetPublicKey, id)
}

// ListKeys returns every key, oldest first (then by ID).
func (k *KMS) ListKeys(ctx context.Context, c Caller) ([]*Key, error) {
	if err := k.authorizeKeyless(c, actListKeys, "*", nil); err != nil {
		return nil, err
	}
	recs, err := k.records()
	if err != nil {
		return nil, err
	}
	keys := make([]*Key, len(recs))
	for i, rec := range recs {
		keys[i] = keyOf(rec)
	}
	return keys, nil
}

// lookup returns the key that ref names (a key ID, or an alias name
// alias/...; see resolve), as it is now (see settle), or a KindNotFound
// error.
func (k *KMS) lookup(ref string) (*store.Record, error) {
	id, err := k.resolve(ref)
	if err != nil {
		return nil, err
	}
	rec, err := k.store.Get(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, Errorf(KindNotFound, "key %s does not exist", id)
	}
	if err != nil {
		return nil, fmt.Errorf("kms: read key: %w", err)
	}
	return k.settle(rec)
}

// usable checks that rec is enabled, with the given usage.
func usable(rec *store.Record, usage string) error {
	if err := stateError(rec.ID, rec.State); err != nil {
		return err
	}
	if baseUsage(rec.Usage) != usage {
		return Errorf(KindInvalidKeyUsage, "key %s has usage %s, not %s", rec.ID, rec.Usage, usage)
	}
	return nil
}

// Key policies.

// PutKeyPolicy replaces the key policy of the key named id with doc, after
// the current policy allowed it and the new one passed the checks of
// CreateKey's. A refused document changes nothing.
func (k *KMS) PutKeyPolicy(ctx context.Context, c Caller, id string, doc []byte, bypassLockoutCheck bool) error {
	rec, err := k.lookup(id)
	if err != nil {
		return err
	}
	if err := k.authorize(c, actPutKeyPolicy, rec, nil); err != nil {
		return err
	}
	if _, err := k.parseKeyPolicy(rec.ID, doc, bypassLockoutCheck); err != nil {
		return err
	}
	err = k.store.Update(rec.ID, func(r *store.Record) error {
		// The new policy replaces the one the PCRs stood for.
		r.Policy, r.PCRs = string(doc), nil
		return nil
	})
	if err != nil {
		return fmt.Errorf("kms: store key: %w", err)
	}
	return nil
}

// GetKeyPolicy returns the key policy of the key named id, as it was given.
func (k *KMS) GetKeyPolicy(ctx context.Context, c Caller, id string) (string, error) {
	rec, err := k.lookup(id)
	if err != nil {
		return "", err
	}
	if err := k.authorize(c, actGetKeyPolicy, rec, nil); err != nil {
		return "", err
	}
	return k.policyText(rec), nil
}

// KeyPolicyName is the name of a key's only key policy.
const KeyPolicyName = "default"

// ListKeyPolicies returns the names of the key policies of the key named
// id: KeyPolicyName.
func (k *KMS) ListKeyPolicies(ctx context.Context, c Caller, id string) ([]string, error) {
	rec, err := k.lookup(id)
	if err != nil {
		return nil, err
	}
	if err := k.authorize(c, actListKeyPolicies, rec, nil); err != nil {
		return nil, err
	}
	return []string{KeyPolicyName}, nil
}
