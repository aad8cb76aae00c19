// Package core is the local KMS itself, without a wire: its keys with their
// states, specs and usages, the typed operations that both front ends call,
// and every rule about keys, ciphertexts, imports and recipients, held once.
//
// For most uses, open a KMS with New and call its operations, each with the
// Caller that the server authenticated:
//
//	k, err := core.New(core.Options{DataDir: dir})
//	key, err := k.CreateKey(ctx, caller, &core.CreateKeyInput{Spec: "EC_P256", Usage: core.UsageKeyAgreement})
//
// A front end decodes a request of its wire into an operation's input,
// checks the rules that belong to its wire (field names, patterns, lengths),
// calls one method of KMS with the authenticated Caller, and encodes the
// output. A failed operation is an *Error whose Kind the front end maps to
// its own error code.
//
// Every operation is authorized here, once, whatever its front end: it
// names its action in both policy languages (authz.go) and is decided
// against the key's key policy and, for Huawei callers, the Huawei IAM
// policies of Options, after the recipient's document verified and before
// anything secret is computed.
//
// One file per concern: keys.go (keys, states, specs, create, describe,
// list, key policies), symmetric.go (the symmetric data path: encrypt,
// decrypt, data keys, random), asym.go (asymmetric keys: key agreement,
// data key pairs), asymenc.go (encryption under any ENCRYPT_DECRYPT key:
// RSAES-OAEP, SM2, and the symmetric blobs; IncorrectKey), sign.go (Sign
// and Verify), reencrypt.go (ReEncrypt), withoutplaintext.go (data keys
// without plaintext), import.go (import tokens and key material),
// recipient.go (attestation and sealing to an enclave), authz.go (identity,
// actions, policies), caller.go (who calls). The files of operations
// added after authz.go declare their own actions.
//
// # Security limits
//
//   - Key material is kept sealed in the store (package store) and opened
//     only for the operation that uses it, then cleared.
//   - A recipient's attestation document must verify against the trusted
//     roots, be at most five minutes old and carry an RSA key that can be
//     encrypted to, and the policies must allow the call with its PCRs,
//     before anything is computed or sealed to it.
//   - A stored key policy that no longer parses makes its key unusable
//     (an internal error), never open.
//   - Every failure to decrypt a ciphertext is the same error; RSA
//     decryption is crypto/rsa's constant-time OAEP.
//   - secp256k1 signatures are decred's (RFC 6979 nonces), whose scalar
//     multiplication is not constant time (as keyspec warns for ECDH on
//     that curve); the other specs sign in constant time.
//   - ReEncrypt never returns the plaintext; kms:ReEncryptFrom is among the
//     actions that the recipient_attestation shorthand denies, since it
//     moves a plaintext under a key whose policy may release it.
package core

import (
	"crypto/x509"
	"sync"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/kms/internal/store"
	"github.com/qtenclave/qtenclave/kms/policy"
)

// Options configures a KMS.
type Options struct {
	// DataDir holds the key store (see package store). If empty, keys live
	// in memory and die with the process.
	DataDir string

	// Roots are trusted attestation roots added to the attestation
	// package's embedded roots.
	Roots []*x509.Certificate

	// Principal is the IAM ARN that every authenticated caller acts as in
	// key policies: the local KMS has one identity. If empty, the
	// account's root, arn:aws:iam::ACCOUNT:root.
	Principal string
	// Account is the 12-digit AWS account that owns every key. If empty,
	// Principal's account, or DefaultAccount.
	Account string
	// Region is the region of key ARNs and URNs. If empty, DefaultRegion.
	Region string
	// SeedARNs gives key ARNs in seed 001's form arn:verenc:ACCOUNT:key/ID
	// instead of AWS's arn:aws:kms:REGION:ACCOUNT:key/ID. Both are
	// accepted on input either way.
	SeedARNs bool

	// HuaweiPolicies are Huawei IAM identity policies that hold the Huawei
	// front end's callers (see authorize). If none, those callers have
	// every IAM permission and only key policies decide.
	HuaweiPolicies []*policy.Policy
}

// KMS is the local KMS: its key store, the roots it trusts for recipients,
// who its callers are and the policies they are held to. Its methods are
// the operations; each takes the Caller that the front end authenticated.
type KMS struct {
	store    *store.Store
	roots    []*x509.Certificate // nil: attestation's embedded roots
	id       identity
	iam      []*policy.Policy
	policies sync.Map         // key ID -> *cachedPolicy
	now      func() time.Time // the clock of the key lifecycle; nil: time.Now (tests set it)
}

// New opens the key store and returns a KMS. Close it to release the store.
func New(opts Options) (*KMS, error) {
	k := new(KMS)
	var err error
	if k.id, err = newIdentity(&opts); err != nil {
		return nil, err
	}
	for _, p := range opts.HuaweiPolicies {
		if p != nil {
			k.iam = append(k.iam, p)
		}
	}
	if len(opts.Roots) > 0 {
		k.roots = append(attestation.EmbeddedRoots(), opts.Roots...)
	}
	if k.store, err = store.Open(opts.DataDir); err != nil {
		return nil, err
	}
	return k, nil
}

// Close releases the key store.
func (k *KMS) Close() error { return k.store.Close() }
