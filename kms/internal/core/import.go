package core

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/qtenclave/qtenclave/internal/kwp"
	"github.com/qtenclave/qtenclave/kms/internal/store"
)

// Import. The import token is stateless: it carries the RSA wrapping key's
// private half sealed under the master key, bound to the key ID and the
// expiry, so that get-parameters-for-import writes nothing.
const (
	importTokenVersion  = 1
	importTokenLifetime = 24 * time.Hour
	wrappingKeyBits     = 2048 // encrypted_key_material is 344..360 base64 chars: 256 bytes
)

// ImportParams are what import-key-material needs: a token and the public
// half of an RSA wrapping key, both valid until Expires.
type ImportParams struct {
	KeyID   string
	Token   []byte
	Expires time.Time
	Public  []byte // RSA wrapping key, DER SPKI
}

// GetParametersForImport makes a wrapping key and an import token for a key
// of origin external that waits for its material.
func (k *KMS) GetParametersForImport(ctx context.Context, c Caller, keyID, algorithm string) (*ImportParams, error) {
	switch algorithm {
	case keyEncryptionAlgorithm:
	case "SM2_ENCRYPT":
		return nil, Errorf(KindUnsupported, "wrapping_algorithm SM2_ENCRYPT is not supported")
	case "":
		return nil, Errorf(KindMissingParameter, "wrapping_algorithm is missing")
	default:
		return nil, Errorf(KindInvalidParameter, "wrapping_algorithm %q is not supported", algorithm)
	}
	rec, err := k.importableKey(c, actGetParametersForImport, keyID)
	if err != nil {
		return nil, err
	}
	wk, err := rsa.GenerateKey(rand.Reader, wrappingKeyBits)
	if err != nil {
		return nil, err
	}
	priv, pub, err := marshalRSA(wk)
	if err != nil {
		return nil, err
	}
	expires := time.Now().Add(importTokenLifetime).Truncate(time.Second)
	header := tokenHeader(rec.ID, expires.Unix())
	token := append(header, k.store.Seal(string(header), priv)...)
	clear(priv)
	return &ImportParams{KeyID: rec.ID, Token: token, Expires: expires, Public: pub}, nil
}

// tokenHeader is version || key ID || expiry (seconds, big endian).
func tokenHeader(keyID string, expires int64) []byte {
	h := make([]byte, 0, 1+36+8)
	h = append(h, importTokenVersion)
	h = append(h, keyID...)
	return binary.BigEndian.AppendUint64(h, uint64(expires))
}

// importableKey returns a key that waits for external key material, once
// the caller is authorized.
func (k *KMS) importableKey(c Caller, act action, keyID string) (*store.Record, error) {
	rec, err := k.lookup(keyID)
	if err != nil {
		return nil, err
	}
	if err := k.authorize(c, act, rec, nil); err != nil {
		return nil, err
	}
	if rec.Origin != "external" {
		return nil, Errorf(KindNotExternal, "key %s is not of origin external", keyID)
	}
	if rec.State != StatePendingImport {
		return nil, Errorf(KindNotPendingImport, "key %s is not waiting for key material", keyID)
	}
	return rec, nil
}

// openImportToken returns the wrapping key of a token made for keyID.
func (k *KMS) openImportToken(keyID string, token []byte) (*rsa.PrivateKey, error) {
	const headerLen = 1 + 36 + 8
	bad := Errorf(KindInvalidImportToken, "import_token is not valid for this key")
	if len(token) < headerLen || token[0] != importTokenVersion || string(token[1:37]) != keyID {
		return nil, bad
	}
	expires := int64(binary.BigEndian.Uint64(token[37:headerLen]))
	if time.Now().Unix() >= expires {
		return nil, Errorf(KindInvalidImportToken, "import_token has expired")
	}
	der, err := k.store.Unseal(string(token[:headerLen]), token[headerLen:])
	if err != nil {
		return nil, bad
	}
	defer clear(der)
	pk, err := x509.ParsePKCS8PrivateKey(der)
	rk, ok := pk.(*rsa.PrivateKey)
	if err != nil || !ok {
		return nil, bad
	}
	return rk, nil
}

// ImportInput is key material to import, wrapped as GetParametersForImport
// asked.
type ImportInput struct {
	KeyID             string
	Token             []byte
	EncryptedMaterial []byte // RSAES-OAEP-SHA256 under the wrapping key
	EncryptedPrivate  []byte // RFC 5649 under the intermediate key; asymmetric keys only
	// For an asymmetric key, EncryptedMaterial may also hold both, as AWS's
	// RSA_AES_KEY_WRAP_SHA_256 puts them in one blob, with EncryptedPrivate
	// empty.
	Expires int64 // seconds since the epoch; 0 = never
}

// ImportKeyMaterial unwraps the key material and enables the key. Nothing is
// stored unless every check passes.
func (k *KMS) ImportKeyMaterial(ctx context.Context, c Caller, in *ImportInput) error {
	rec, err := k.importableKey(c, actImportKeyMaterial, in.KeyID)
	if err != nil {
		return err
	}
	if in.Expires != 0 && in.Expires <= time.Now().Unix() {
		return Errorf(KindInvalidParameter, "expiration_time is in the past")
	}
	info := keySpecs[rec.Spec]
	if n := wrappingKeyBits / 8; !info.symmetric && len(in.EncryptedPrivate) == 0 && len(in.EncryptedMaterial) > n {
		in = &ImportInput{KeyID: in.KeyID, Token: in.Token, EncryptedMaterial: in.EncryptedMaterial[:n],
			EncryptedPrivate: in.EncryptedMaterial[n:], Expires: in.Expires}
	}
	if info.symmetric != (len(in.EncryptedPrivate) == 0) {
		if info.symmetric {
			return Errorf(KindInvalidParameter, "encrypted_privatekey applies only to asymmetric keys")
		}
		return Errorf(KindMissingParameter, "encrypted_privatekey is missing")
	}
	wk, err := k.openImportToken(rec.ID, in.Token)
	if err != nil {
		return err
	}
	unwrapped, err := rsa.DecryptOAEP(sha256.New(), nil, wk, in.EncryptedMaterial, nil)
	if err != nil {
		return Errorf(KindImportDecrypt, "encrypted_key_material does not decrypt")
	}
	defer clear(unwrapped)
	var material, public []byte
	if info.symmetric {
		if len(unwrapped) != info.keyLen {
			return Errorf(KindImportDecrypt, "key material is not %d bytes for %s", info.keyLen, rec.Spec)
		}
		material = bytes.Clone(unwrapped)
	} else {
		if len(unwrapped) != 16 && len(unwrapped) != 24 && len(unwrapped) != 32 {
			return Errorf(KindImportDecrypt, "intermediate key is not an AES key")
		}
		if material, err = kwp.Unwrap(unwrapped, in.EncryptedPrivate); err != nil {
			return Errorf(KindImportDecrypt, "encrypted_privatekey does not unwrap")
		}
		if public, err = publicOfPKCS8(pairSpecOf(rec.Spec), material); err != nil {
			clear(material)
			return Errorf(KindSpecMismatch, "private key is not a PKCS#8 %s key", rec.Spec)
		}
	}
	sealed := k.store.Seal(rec.ID, material)
	clear(material)
	err = k.store.Update(rec.ID, func(r *store.Record) error {
		if r.State != StatePendingImport {
			return Errorf(KindNotPendingImport, "key %s is not waiting for key material", r.ID)
		}
		r.Sealed, r.Public, r.Expires, r.State = sealed, public, in.Expires, StateEnabled
		return nil
	})
	var oe *Error
	if err != nil && !errors.As(err, &oe) {
		return fmt.Errorf("kms: store key: %w", err)
	}
	return err
}
