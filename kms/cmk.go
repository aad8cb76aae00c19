package kms

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"hash"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

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

// Data key pair specs: the five curves of create-ec-datakey-pair and the
// three RSA sizes of create-rsa-datakey-pair.
var (
	ecPairSpecs  = map[string]bool{"ECC_NIST_P256": true, "ECC_NIST_P384": true, "ECC_NIST_P521": true, "ECC_SECG_P256K1": true, "SM2": true}
	rsaPairSpecs = map[string]int{"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
)

// Key usages.
const (
	usageEncrypt   = "ENCRYPT_DECRYPT"
	usageSign      = "SIGN_VERIFY"
	usageAgreement = "KEY_AGREEMENT"
)

// usageAllowed reports whether a key of spec may be created with usage.
func usageAllowed(spec string, info keySpecInfo, usage string) bool {
	switch usage {
	case usageEncrypt:
		return info.symmetric || info.rsaBits != 0 || spec == "SM2"
	case usageSign:
		return !info.symmetric
	case usageAgreement:
		return info.curve != ""
	}
	return false
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

// blobKeyID returns the key ID a blob names, or "" if it is not a blob.
func blobKeyID(blob []byte) string {
	if len(blob) < blobOverhead || blob[0] != blobVersion {
		return ""
	}
	id := string(blob[1:blobHeaderLen])
	if !keyIDPattern.MatchString(id) {
		return ""
	}
	return id
}

func openBlob(aead cipher.AEAD, blob, aad []byte) ([]byte, error) {
	if len(blob) < blobOverhead {
		return nil, errorf(kindInvalidCiphertext, "ciphertext does not decrypt")
	}
	ad := append(blob[:blobHeaderLen:blobHeaderLen], aad...)
	pt, err := aead.Open(nil, blob[blobHeaderLen:blobHeaderLen+blobNonceLen], blob[blobHeaderLen+blobNonceLen:], ad)
	if err != nil {
		return nil, errorf(kindInvalidCiphertext, "ciphertext does not decrypt")
	}
	return pt, nil
}
