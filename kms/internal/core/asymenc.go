package core

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"hash"
	"slices"

	"github.com/emmansun/gmsm/sm2"

	"github.com/qtenclave/qtenclave/kms/internal/store"
)

// Encryption under any ENCRYPT_DECRYPT key: symmetric keys with
// SYMMETRIC_DEFAULT (the blobs of symmetric.go), RSA keys with RSAES-OAEP
// (SHA-1 or SHA-256, MGF1 with the same hash, no label), SM2 keys with SM2
// public key encryption (GB/T 32918.4, ciphertext in the ASN.1 C1C3C2 form
// of GM/T 0009, the form Huawei's offline SM2 example builds:
// https://support.huaweicloud.com/dew_faq/dew_01_0474.html). Algorithms
// carry AWS's names (EncryptionAlgorithmSpec); the Huawei front end maps its
// SM2_ENCRYPT to SM2PKE.
//
// An asymmetric ciphertext is the bare output of the algorithm: it names no
// key, so decrypting it needs the key and the algorithm, and binds no
// additional authenticated data (AWS: "An encryption context is supported
// only on operations with symmetric encryption KMS keys";
// https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html).

// Encryption algorithms.
const (
	EncryptSymmetricDefault = "SYMMETRIC_DEFAULT"
	EncryptRSAOAEPSHA1      = "RSAES_OAEP_SHA_1"
	EncryptRSAOAEPSHA256    = "RSAES_OAEP_SHA_256"
	EncryptSM2PKE           = "SM2PKE"
)

// Plaintext limits of Encrypt, as AWS documents them (API_Encrypt): 4096
// bytes under a symmetric key, 1024 under SM2, and k - 2*hLen - 2 under an
// RSA key of k bytes (RFC 8017 7.1.1): 214, 342 and 470 bytes with SHA-1,
// 190, 318 and 446 with SHA-256.
const (
	MaxPlaintext    = 4096
	maxSM2Plaintext = 1024
)

// encryptionAlgorithmsOf lists what an ENCRYPT_DECRYPT key of a create-key
// spec encrypts with.
func encryptionAlgorithmsOf(spec string) []string {
	info := keySpecs[spec]
	switch {
	case info.symmetric:
		return []string{EncryptSymmetricDefault}
	case info.rsaBits != 0:
		return []string{EncryptRSAOAEPSHA1, EncryptRSAOAEPSHA256}
	case spec == "SM2":
		return []string{EncryptSM2PKE}
	}
	return nil
}

// EncryptionAlgorithms lists the algorithms the key encrypts with: none
// unless it is an ENCRYPT_DECRYPT key.
func (k *Key) EncryptionAlgorithms() []string {
	if !k.HasUsage(UsageEncryptDecrypt) {
		return nil
	}
	return encryptionAlgorithmsOf(k.Spec)
}

// IsEncryptionAlgorithm reports whether alg is one of the encryption
// algorithms.
func IsEncryptionAlgorithm(alg string) bool {
	switch alg {
	case EncryptSymmetricDefault, EncryptRSAOAEPSHA1, EncryptRSAOAEPSHA256, EncryptSM2PKE:
		return true
	}
	return false
}

// oaepHash returns the hash of an RSAES-OAEP algorithm, or nil.
func oaepHash(alg string) hash.Hash {
	switch alg {
	case EncryptRSAOAEPSHA1:
		return sha1.New()
	case EncryptRSAOAEPSHA256:
		return sha256.New()
	}
	return nil
}

// maxPlaintextOf returns the longest plaintext that alg encrypts under a
// key of spec.
func maxPlaintextOf(spec, alg string) int {
	if h := oaepHash(alg); h != nil {
		return keySpecs[spec].rsaBits/8 - 2*h.Size() - 2
	}
	if alg == EncryptSM2PKE {
		return maxSM2Plaintext
	}
	return MaxPlaintext
}

// EncryptInput is a request to encrypt under a key.
type EncryptInput struct {
	KeyID     string
	Plaintext []byte
	AAD       []byte // symmetric keys only
	Algorithm string // "" = SYMMETRIC_DEFAULT
}

// EncryptOutput is a ciphertext.
type EncryptOutput struct {
	KeyID      string
	Algorithm  string
	Ciphertext []byte
}

// EncryptWith encrypts under an ENCRYPT_DECRYPT key with one of its
// algorithms. Encrypt is EncryptWith with SYMMETRIC_DEFAULT.
func (k *KMS) EncryptWith(ctx context.Context, c Caller, in *EncryptInput) (*EncryptOutput, error) {
	return k.encryptAs(ctx, c, actEncrypt, in)
}

// encryptAs is EncryptWith authorized as act (kms:Encrypt, or
// kms:ReEncryptTo for ReEncrypt's destination).
func (k *KMS) encryptAs(ctx context.Context, c Caller, act action, in *EncryptInput) (*EncryptOutput, error) {
	alg := in.Algorithm
	if alg == "" {
		alg = EncryptSymmetricDefault
	}
	if !IsEncryptionAlgorithm(alg) {
		return nil, Errorf(KindInvalidParameter, "encryption algorithm %.64q is not an encryption algorithm", alg)
	}
	rec, _, err := k.keyFor(ctx, c, act, in.KeyID, nil)
	if err != nil {
		return nil, err
	}
	if err := encryptsWith(rec, alg); err != nil {
		return nil, err
	}
	if max := maxPlaintextOf(rec.Spec, alg); len(in.Plaintext) > max {
		return nil, Errorf(KindInvalidParameter, "the plaintext is longer than the %d bytes that %s encrypts under key %s", max, alg, rec.ID)
	}
	out := &EncryptOutput{KeyID: rec.ID, Algorithm: alg}
	if alg == EncryptSymmetricDefault {
		key, err := k.symmetricKey(rec)
		if err != nil {
			return nil, err
		}
		out.Ciphertext = sealBlob(key.aead, key.id, in.Plaintext, in.AAD)
		return out, nil
	}
	if len(in.AAD) != 0 {
		return nil, Errorf(KindInvalidParameter, "an encryption context or additional authenticated data applies only to symmetric keys")
	}
	if out.Ciphertext, err = asymEncrypt(rec.Public, alg, in.Plaintext); err != nil {
		return nil, err
	}
	return out, nil
}

// encryptsWith checks that rec is an enabled ENCRYPT_DECRYPT key that
// encrypts with alg: an algorithm of another kind of key is
// KindInvalidKeyUsage, as AWS's InvalidKeyUsageException ("the encryption
// algorithm ... is incompatible with the type of key material").
func encryptsWith(rec *store.Record, alg string) error {
	if err := usable(rec, UsageEncryptDecrypt); err != nil {
		return err
	}
	if !slices.Contains(encryptionAlgorithmsOf(rec.Spec), alg) {
		return Errorf(KindInvalidKeyUsage, "key %s of spec %s does not encrypt with %s", rec.ID, rec.Spec, alg)
	}
	return nil
}

// asymEncrypt encrypts with a public key (DER SPKI).
func asymEncrypt(spki []byte, alg string, plaintext []byte) ([]byte, error) {
	if alg == EncryptSM2PKE {
		pub, err := sm2Public(spki)
		if err != nil {
			return nil, err
		}
		return sm2.EncryptASN1(rand.Reader, pub, plaintext)
	}
	key, err := x509.ParsePKIXPublicKey(spki)
	pub, ok := key.(*rsa.PublicKey)
	if err != nil || !ok {
		return nil, errStoredKey
	}
	return rsa.EncryptOAEP(oaepHash(alg), rand.Reader, pub, plaintext, nil)
}

// DecryptInput is a request to decrypt a ciphertext.
type DecryptInput struct {
	// KeyID is the key: optional for a symmetric ciphertext, which names
	// its key (if given, it must be that key: KindIncorrectKey), required
	// for an asymmetric one.
	KeyID      string
	Ciphertext []byte
	AAD        []byte
	Algorithm  string     // "" = SYMMETRIC_DEFAULT
	Recipient  *Recipient // nil: the plaintext is returned
}

// DecryptWith opens a ciphertext of Encrypt, EncryptWith, GenerateDataKey
// or DataKeyPair and returns its plaintext, or seals it to a recipient.
// Every failure to open is the same error, KindInvalidCiphertext. Decrypt is
// DecryptWith with SYMMETRIC_DEFAULT.
func (k *KMS) DecryptWith(ctx context.Context, c Caller, in *DecryptInput) (*SecretOutput, error) {
	pt, rec, v, err := k.decryptAs(ctx, c, actDecrypt, in)
	if err != nil {
		return nil, err
	}
	return deliver(v, pt, &SecretOutput{KeyID: rec.ID})
}

// decryptAs is DecryptWith authorized as act (kms:Decrypt, or
// kms:ReEncryptFrom for ReEncrypt's source), up to the plaintext: callers
// deliver it or clear it.
func (k *KMS) decryptAs(ctx context.Context, c Caller, act action, in *DecryptInput) ([]byte, *store.Record, *verifiedRecipient, error) {
	alg := in.Algorithm
	if alg == "" {
		alg = EncryptSymmetricDefault
	}
	if !IsEncryptionAlgorithm(alg) {
		return nil, nil, nil, Errorf(KindInvalidParameter, "encryption algorithm %.64q is not an encryption algorithm", alg)
	}
	if alg == EncryptSymmetricDefault {
		return k.decryptBlob(ctx, c, act, in)
	}
	if in.KeyID == "" {
		return nil, nil, nil, Errorf(KindMissingParameter, "the key is required to decrypt with %s: an asymmetric ciphertext does not name its key", alg)
	}
	if len(in.AAD) != 0 {
		return nil, nil, nil, Errorf(KindInvalidParameter, "an encryption context or additional authenticated data applies only to symmetric keys")
	}
	rec, v, err := k.keyFor(ctx, c, act, in.KeyID, in.Recipient)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := encryptsWith(rec, alg); err != nil {
		return nil, nil, nil, err
	}
	key, lease, err := k.openKey(rec)
	if err != nil {
		return nil, nil, nil, err
	}
	defer lease.Release()
	pt, err := asymDecrypt(key, alg, in.Ciphertext)
	if err != nil {
		return nil, nil, nil, err
	}
	return pt, rec, v, nil
}

// decryptBlob opens a symmetric blob. A KeyID that is not the blob's key is
// KindIncorrectKey (AWS's IncorrectKeyException: "the KeyId in a Decrypt
// request and the SourceKeyId in a ReEncrypt request must identify the
// same KMS key that was used to encrypt the ciphertext",
// https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html),
// once the named key exists, allows the caller and is a symmetric key; a
// blob that names no key is KindInvalidCiphertext.
func (k *KMS) decryptBlob(ctx context.Context, c Caller, act action, in *DecryptInput) ([]byte, *store.Record, *verifiedRecipient, error) {
	id := blobKeyID(in.Ciphertext)
	if in.KeyID != "" && in.KeyID != id {
		rec, _, err := k.keyFor(ctx, c, act, in.KeyID, in.Recipient)
		if err != nil {
			return nil, nil, nil, err
		}
		if err := encryptsWith(rec, EncryptSymmetricDefault); err != nil {
			return nil, nil, nil, err
		}
		if id == "" {
			return nil, nil, nil, Errorf(KindInvalidCiphertext, "ciphertext does not decrypt")
		}
		if rec.ID != id { // KeyID may be an alias of the blob's key
			return nil, nil, nil, Errorf(KindIncorrectKey, "the ciphertext was not made under key %s", rec.ID)
		}
	}
	if id == "" {
		return nil, nil, nil, Errorf(KindInvalidCiphertext, "ciphertext does not decrypt")
	}
	rec, v, err := k.keyFor(ctx, c, act, id, in.Recipient)
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := k.symmetricKey(rec)
	if err != nil {
		return nil, nil, nil, err
	}
	pt, err := openBlob(key.aead, in.Ciphertext, in.AAD)
	if err != nil {
		return nil, nil, nil, err
	}
	return pt, rec, v, nil
}

// asymDecrypt decrypts with a key's private key, parsed (openKey). Every
// failure is the same KindInvalidCiphertext error: RSA decryption is
// crypto/rsa's constant-time OAEP, which refuses a ciphertext that is not
// exactly as long as the modulus (RFC 8017 7.1.2 step 1.b), and SM2's is
// gmsm's, which checks C3.
func asymDecrypt(key *openedKey, alg string, ciphertext []byte) ([]byte, error) {
	bad := Errorf(KindInvalidCiphertext, "ciphertext does not decrypt")
	if alg == EncryptSM2PKE {
		priv, ok := key.priv().(*sm2.PrivateKey)
		if !ok {
			return nil, errStoredKey
		}
		pt, err := priv.Decrypt(nil, ciphertext, sm2.ASN1DecrypterOpts)
		if err != nil {
			return nil, bad
		}
		return pt, nil
	}
	priv := key.rsa()
	if priv == nil {
		return nil, errStoredKey
	}
	if len(ciphertext) != priv.Size() {
		return nil, bad
	}
	pt, err := rsa.DecryptOAEP(oaepHash(alg), nil, priv, ciphertext, nil)
	if err != nil {
		return nil, bad
	}
	return pt, nil
}
