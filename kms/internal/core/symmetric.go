package core

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"hash"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"

	"github.com/qtenclave/qtenclave/kms/internal/store"
)

// The symmetric data path: ciphertexts under a symmetric CMK (AES_256 or
// SM4, usage ENCRYPT_DECRYPT), data keys and random bytes, each delivered
// in plaintext or sealed to a recipient.

// cmk is an opened symmetric key.
type cmk struct {
	id, spec string
	aead     cipher.AEAD
}

// cmkAEAD returns the AEAD of a symmetric CMK: AES-256-GCM, or SM4-GCM for
// SM4 keys.
func cmkAEAD(spec string, key []byte) (cipher.AEAD, error) {
	var block cipher.Block
	var err error
	if spec == "SM4" {
		block, err = sm4.NewCipher(key)
	} else {
		block, err = aes.NewCipher(key)
	}
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// dekDigest returns the digest that encrypt-datakey's plain_text carries:
// SM3 for an SM4 CMK, SHA-256 otherwise.
func dekDigest(spec string) hash.Hash {
	if spec == "SM4" {
		return sm3.New()
	}
	return sha256.New()
}

// CMK ciphertext blob: version || key ID || nonce || AEAD output. The key
// ID lets a ciphertext name its key (AWS Decrypt needs no KeyId); the header
// and the caller's additional authenticated data are the AEAD's additional
// data, so neither can be changed.
const (
	blobVersion   = 1
	blobHeaderLen = 1 + 36
	blobNonceLen  = 12
	blobTagLen    = 16
	blobOverhead  = blobHeaderLen + blobNonceLen + blobTagLen
)

func sealBlob(aead cipher.AEAD, keyID string, plaintext, aad []byte) []byte {
	out := make([]byte, blobHeaderLen+blobNonceLen, blobOverhead+len(plaintext))
	out[0] = blobVersion
	copy(out[1:], keyID)
	rand.Read(out[blobHeaderLen:])
	ad := append(out[:blobHeaderLen:blobHeaderLen], aad...)
	return aead.Seal(out, out[blobHeaderLen:blobHeaderLen+blobNonceLen], plaintext, ad)
}

// newDataKey makes an n-byte data key and returns it with its blob, as
// sealBlob seals it, drawing the nonce and the key in one read of the
// random source (a read costs some hundreds of nanoseconds, a tenth of a
// GenerateDataKey's handler for two): they are read into the blob, the key
// where its ciphertext goes, copied out, and sealed in place (the AEAD
// allows a plaintext exactly where its output goes).
func newDataKey(aead cipher.AEAD, keyID string, n int, aad []byte) (dek, blob []byte) {
	blob = make([]byte, blobOverhead+n)
	blob[0] = blobVersion
	copy(blob[1:], keyID)
	const body = blobHeaderLen + blobNonceLen
	rand.Read(blob[blobHeaderLen : body+n])
	dek = make([]byte, n)
	copy(dek, blob[body:body+n])
	ad := append(blob[:blobHeaderLen:blobHeaderLen], aad...)
	return dek, aead.Seal(blob[:body], blob[blobHeaderLen:body], blob[body:body+n], ad)
}

// blobKeyID returns the key ID a blob names, or "" if it is not a blob.
func blobKeyID(blob []byte) string {
	if len(blob) < blobOverhead || blob[0] != blobVersion {
		return ""
	}
	id := string(blob[1:blobHeaderLen])
	if !ValidKeyID(id) {
		return ""
	}
	return id
}

func openBlob(aead cipher.AEAD, blob, aad []byte) ([]byte, error) {
	if len(blob) < blobOverhead {
		return nil, Errorf(KindInvalidCiphertext, "ciphertext does not decrypt")
	}
	ad := append(blob[:blobHeaderLen:blobHeaderLen], aad...)
	pt, err := aead.Open(nil, blob[blobHeaderLen:blobHeaderLen+blobNonceLen], blob[blobHeaderLen+blobNonceLen:], ad)
	if err != nil {
		return nil, Errorf(KindInvalidCiphertext, "ciphertext does not decrypt")
	}
	return pt, nil
}

// keyFor looks up the key named id, verifies the recipient r (nil for
// none) and authorizes the caller: the steps that every operation on a key
// takes, in this order, before it touches the key's material.
func (k *KMS) keyFor(ctx context.Context, c Caller, act action, id string, r *Recipient) (*store.Record, *verifiedRecipient, error) {
	rec, err := k.lookup(id)
	if err != nil {
		return nil, nil, err
	}
	v, err := k.verifyRecipient(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	if err := k.authorize(c, act, rec, v); err != nil {
		return nil, nil, err
	}
	return rec, v, nil
}

// symmetricKey opens the AEAD of rec, which must be an enabled
// ENCRYPT_DECRYPT key of spec AES_256 or SM4.
func (k *KMS) symmetricKey(rec *store.Record) (*cmk, error) {
	if err := usable(rec, UsageEncryptDecrypt); err != nil {
		return nil, err
	}
	if !keySpecs[rec.Spec].symmetric {
		return nil, Errorf(KindInvalidKeyUsage, "key %s is not a symmetric key", rec.ID)
	}
	o, lease, err := k.openKey(rec)
	if err != nil {
		return nil, err
	}
	// An AEAD has nothing Destroy could clear, so it needs no lease.
	defer lease.Release()
	if key := o.cmk(); key != nil {
		return key, nil
	}
	return &cmk{id: rec.ID, spec: rec.Spec, aead: o.aead()}, nil
}

// cmkFor is keyFor and symmetricKey.
func (k *KMS) cmkFor(ctx context.Context, c Caller, act action, id string, r *Recipient) (*cmk, *verifiedRecipient, error) {
	rec, v, err := k.keyFor(ctx, c, act, id, r)
	if err != nil {
		return nil, nil, err
	}
	key, err := k.symmetricKey(rec)
	if err != nil {
		return nil, nil, err
	}
	return key, v, nil
}

// openBlobFor opens a blob under the key it names, which must be keyID when
// keyID is not "", for the caller and recipient that the key's policy
// allows.
func (k *KMS) openBlobFor(ctx context.Context, c Caller, act action, keyID string, blob, aad []byte, r *Recipient) ([]byte, *cmk, *verifiedRecipient, error) {
	if keyID != "" {
		var err error
		if keyID, err = k.resolve(keyID); err != nil {
			return nil, nil, nil, err
		}
	}
	id := blobKeyID(blob)
	if id == "" || (keyID != "" && keyID != id) {
		return nil, nil, nil, Errorf(KindInvalidCiphertext, "ciphertext does not decrypt")
	}
	key, v, err := k.cmkFor(ctx, c, act, id, r)
	if err != nil {
		return nil, nil, nil, err
	}
	pt, err := openBlob(key.aead, blob, aad)
	if err != nil {
		return nil, nil, nil, err
	}
	return pt, key, v, nil
}

// Encrypt seals plaintext under a symmetric CMK, binding aad: EncryptWith
// with SYMMETRIC_DEFAULT.
func (k *KMS) Encrypt(ctx context.Context, c Caller, keyID string, plaintext, aad []byte) ([]byte, error) {
	out, err := k.EncryptWith(ctx, c, &EncryptInput{KeyID: keyID, Plaintext: plaintext, AAD: aad})
	if err != nil {
		return nil, err
	}
	return out.Ciphertext, nil
}

// SecretOutput is a secret produced for a caller: in plaintext, or sealed to
// an attested recipient (never both).
type SecretOutput struct {
	KeyID        string // the CMK, where the operation uses one
	Ciphertext   []byte // under the CMK, where the operation makes one
	Plaintext    []byte
	ForRecipient []byte
	Digest       []byte // DecryptDatakey without a recipient: the DEK's digest
}

// Decrypt opens a ciphertext made by Encrypt, GenerateDataKey or
// DataKeyPair and returns its plaintext, or seals it to a recipient:
// DecryptWith with SYMMETRIC_DEFAULT. keyID may be "" (the ciphertext names
// its key); if given, it must be the ciphertext's key (KindIncorrectKey).
// Every failure to open is the same error.
func (k *KMS) Decrypt(ctx context.Context, c Caller, keyID string, blob, aad []byte, r *Recipient) (*SecretOutput, error) {
	return k.DecryptWith(ctx, c, &DecryptInput{KeyID: keyID, Ciphertext: blob, AAD: aad, Recipient: r})
}

// EncryptDatakey checks that plain is DEK || digest(DEK) for a DEK of dekLen
// bytes and returns the DEK encrypted under the CMK.
func (k *KMS) EncryptDatakey(ctx context.Context, c Caller, keyID string, plain []byte, dekLen int, aad []byte) ([]byte, error) {
	key, _, err := k.cmkFor(ctx, c, actEncryptDatakey, keyID, nil)
	if err != nil {
		return nil, err
	}
	h := dekDigest(key.spec)
	if len(plain) != dekLen+h.Size() {
		return nil, Errorf(KindInvalidParameter, "plain_text is not %d bytes of data key and a %d-byte digest", dekLen, h.Size())
	}
	dek, digest := plain[:dekLen], plain[dekLen:]
	h.Write(dek)
	if subtle.ConstantTimeCompare(h.Sum(nil), digest) != 1 {
		return nil, Errorf(KindDigestMismatch, "plain_text's digest does not match its data key")
	}
	return sealBlob(key.aead, key.id, dek, aad), nil
}

// DecryptDatakey opens an EncryptDatakey (or GenerateDataKey) ciphertext of
// a dekLen-byte DEK and returns the DEK and its digest, or seals the DEK to
// a recipient (without its digest).
func (k *KMS) DecryptDatakey(ctx context.Context, c Caller, keyID string, blob []byte, dekLen int, aad []byte, r *Recipient) (*SecretOutput, error) {
	if len(blob) != blobOverhead+dekLen {
		return nil, Errorf(KindInvalidParameter, "datakey_cipher_length does not match cipher_text")
	}
	dek, key, v, err := k.openBlobFor(ctx, c, actDecryptDatakey, keyID, blob, aad, r)
	if err != nil {
		return nil, err
	}
	out := &SecretOutput{KeyID: key.id}
	if v == nil {
		h := dekDigest(key.spec)
		h.Write(dek)
		out.Digest = h.Sum(nil)
	}
	return deliver(v, dek, out)
}

// GenerateDataKey makes an n-byte data key and returns it encrypted under a
// symmetric CMK (binding aad), plus in plaintext or sealed to a recipient.
func (k *KMS) GenerateDataKey(ctx context.Context, c Caller, keyID string, n int, aad []byte, r *Recipient) (*SecretOutput, error) {
	key, v, err := k.cmkFor(ctx, c, actGenerateDataKey, keyID, r)
	if err != nil {
		return nil, err
	}
	dek, blob := newDataKey(key.aead, key.id, n, aad)
	return deliver(v, dek, &SecretOutput{KeyID: key.id, Ciphertext: blob})
}

// GenerateRandom returns n random bytes, or seals them to a recipient. No
// key is involved, so no key policy applies: the IAM policies of the
// caller's front end decide, with the recipient's document.
func (k *KMS) GenerateRandom(ctx context.Context, c Caller, n int, r *Recipient) (*SecretOutput, error) {
	v, err := k.verifyRecipient(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := k.authorizeKeyless(c, actGenerateRandom, "", v); err != nil {
		return nil, err
	}
	b := make([]byte, n)
	rand.Read(b)
	return deliver(v, b, &SecretOutput{})
}
