package kms

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qtenclave/qtenclave/internal/kwp"
	"github.com/qtenclave/qtenclave/kms/internal/store"
)

// The typed operation layer. Both front ends decode their wire form into
// these inputs, call one method, and encode its output; every rule about
// keys, states, usages, specs and recipients lives here, once. Errors are
// *opError values whose kind each front end maps to its own code.

// recipientInput is a request to seal the result to an attested enclave.
type recipientInput struct {
	document  []byte // the attestation document as received
	algorithm string // "" or RSAES_OAEP_SHA_256
}

const keyEncryptionAlgorithm = "RSAES_OAEP_SHA_256"

type createKeyInput struct {
	alias       string
	spec        string // "" = AES_256
	usage       string // "" = the spec's default
	description string
	origin      string // "" = kms
	pcrs        map[int][]byte
}

// createKey makes a key. Keys of origin kms get their material now; keys of
// origin external wait for import-key-material in state 5.
func (s *Server) createKey(ctx context.Context, in *createKeyInput) (*store.Record, error) {
	spec := in.spec
	if spec == "" {
		spec = "AES_256"
	}
	info, ok := keySpecs[spec]
	if !ok {
		return nil, errorf(kindInvalidParameter, "key_spec %q is not supported", spec)
	}
	usage := in.usage
	if usage == "" {
		usage = usageSign
		if info.symmetric {
			usage = usageEncrypt
		}
	}
	switch usage {
	case usageEncrypt, usageSign, usageAgreement:
	default:
		return nil, errorf(kindInvalidParameter, "key_usage %q is not supported", usage)
	}
	if !usageAllowed(spec, info, usage) {
		return nil, errorf(kindInvalidParameter, "key_usage %s does not apply to key_spec %s", usage, spec)
	}
	origin := in.origin
	if origin == "" {
		origin = "kms"
	}
	if origin != "kms" && origin != "external" {
		return nil, errorf(kindInvalidParameter, "origin %q is not kms or external", origin)
	}
	if len(in.pcrs) > 0 && usage == usageSign {
		return nil, errorf(kindInvalidParameter, "recipient_attestation applies only to keys that produce secrets")
	}
	rec := &store.Record{
		ID:          newKeyID(),
		Alias:       in.alias,
		Description: in.description,
		Spec:        spec,
		Usage:       usage,
		Origin:      origin,
		State:       statePendingImport,
		Created:     time.Now().UnixMilli(),
		PCRs:        in.pcrs,
	}
	if origin == "kms" {
		material, public, err := newMaterial(spec, info)
		if err != nil {
			return nil, err
		}
		rec.Public = public
		rec.Sealed = s.store.Seal(rec.ID, material)
		clear(material)
		rec.State = stateEnabled
	}
	if err := s.store.Create(rec); err != nil {
		return nil, fmt.Errorf("kms: store key: %w", err)
	}
	return rec, nil
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

// lookup returns the key named id, or a kindNotFound error.
func (s *Server) lookup(id string) (*store.Record, error) {
	rec, err := s.store.Get(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(kindNotFound, "key %s does not exist", id)
	}
	if err != nil {
		return nil, fmt.Errorf("kms: read key: %w", err)
	}
	return rec, nil
}

// usableKey returns an enabled key with the given usage and opens its
// material. A key whose imported material has expired is not enabled.
func (s *Server) usableKey(id, usage string) (*store.Record, []byte, error) {
	rec, err := s.lookup(id)
	if err != nil {
		return nil, nil, err
	}
	if rec.State == statePendingImport {
		return nil, nil, errorf(kindInvalidState, "key %s is waiting for its key material", id)
	}
	if rec.State != stateEnabled || (rec.Expires != 0 && time.Now().Unix() >= rec.Expires) {
		return nil, nil, errorf(kindDisabled, "key %s is not enabled", id)
	}
	if rec.Usage != usage {
		return nil, nil, errorf(kindInvalidKeyUsage, "key %s has usage %s, not %s", id, rec.Usage, usage)
	}
	material, err := s.store.Unseal(rec.ID, rec.Sealed)
	if err != nil {
		return nil, nil, err
	}
	return rec, material, nil
}

// symmetricKey returns an enabled ENCRYPT_DECRYPT key of spec AES_256 or
// SM4 and its AEAD.
func (s *Server) symmetricKey(id string) (*store.Record, *cmk, error) {
	rec, material, err := s.usableKey(id, usageEncrypt)
	if err != nil {
		return nil, nil, err
	}
	defer clear(material)
	if !keySpecs[rec.Spec].symmetric {
		return nil, nil, errorf(kindInvalidKeyUsage, "key %s is not a symmetric key", id)
	}
	aead, err := cmkAEAD(rec.Spec, material)
	if err != nil {
		return nil, nil, err
	}
	return rec, &cmk{id: rec.ID, spec: rec.Spec, aead: aead}, nil
}

// encrypt seals plaintext under a symmetric CMK, binding aad.
func (s *Server) encrypt(ctx context.Context, keyID string, plaintext, aad []byte) ([]byte, error) {
	_, k, err := s.symmetricKey(keyID)
	if err != nil {
		return nil, err
	}
	return sealBlob(k.aead, k.id, plaintext, aad), nil
}

// decrypt opens a blob made by encrypt. keyID may be "" (the blob names its
// key); if given, it must be the blob's key. It returns the key ID used.
func (s *Server) decrypt(ctx context.Context, keyID string, blob, aad []byte) ([]byte, string, error) {
	pt, k, err := s.openBlobWithCMK(keyID, blob, aad)
	if err != nil {
		return nil, "", err
	}
	return pt, k.id, nil
}

func (s *Server) openBlobWithCMK(keyID string, blob, aad []byte) ([]byte, *cmk, error) {
	id := blobKeyID(blob)
	if id == "" || (keyID != "" && keyID != id) {
		return nil, nil, errorf(kindInvalidCiphertext, "ciphertext does not decrypt")
	}
	_, k, err := s.symmetricKey(id)
	if err != nil {
		return nil, nil, err
	}
	pt, err := openBlob(k.aead, blob, aad)
	if err != nil {
		return nil, nil, err
	}
	return pt, k, nil
}

// cmk is an opened symmetric key.
type cmk struct {
	id, spec string
	aead     cipher.AEAD
}

// encryptDatakey checks that plain is DEK || digest(DEK) for a DEK of dekLen
// bytes and returns the DEK encrypted under the CMK.
func (s *Server) encryptDatakey(ctx context.Context, keyID string, plain []byte, dekLen int, aad []byte) ([]byte, error) {
	_, k, err := s.symmetricKey(keyID)
	if err != nil {
		return nil, err
	}
	h := dekDigest(k.spec)
	if len(plain) != dekLen+h.Size() {
		return nil, errorf(kindInvalidParameter, "plain_text is not %d bytes of data key and a %d-byte digest", dekLen, h.Size())
	}
	dek, digest := plain[:dekLen], plain[dekLen:]
	h.Write(dek)
	if subtle.ConstantTimeCompare(h.Sum(nil), digest) != 1 {
		return nil, errorf(kindDigestMismatch, "plain_text's digest does not match its data key")
	}
	return sealBlob(k.aead, k.id, dek, aad), nil
}

// decryptDatakey opens an encrypt-datakey ciphertext of a dekLen-byte DEK and
// returns the DEK and its digest.
func (s *Server) decryptDatakey(ctx context.Context, keyID string, blob []byte, dekLen int, aad []byte) (dek, digest []byte, err error) {
	if len(blob) != blobOverhead+dekLen {
		return nil, nil, errorf(kindInvalidParameter, "datakey_cipher_length does not match cipher_text")
	}
	dek, k, err := s.openBlobWithCMK(keyID, blob, aad)
	if err != nil {
		return nil, nil, err
	}
	h := dekDigest(k.spec)
	h.Write(dek)
	return dek, h.Sum(nil), nil
}

type deriveInput struct {
	keyID     string
	peer      []byte // DER SubjectPublicKeyInfo
	recipient *recipientInput
}

type deriveOutput struct {
	keyID        string
	secret       []byte // set without a recipient
	forRecipient []byte // set with one
}

// deriveSharedSecret runs ECDH between a KEY_AGREEMENT key and the peer's
// public key. With a recipient, the secret is sealed to the attested enclave
// and not returned.
func (s *Server) deriveSharedSecret(ctx context.Context, in *deriveInput) (*deriveOutput, error) {
	rec, material, err := s.usableKey(in.keyID, usageAgreement)
	if err != nil {
		return nil, err
	}
	defer clear(material)
	// Verify the recipient first: no secret is computed for a rejected one.
	var v *verifiedRecipient
	if in.recipient != nil {
		if v, err = s.verifyRecipient(ctx, rec, in.recipient); err != nil {
			return nil, err
		}
	}
	secret, err := agree(pairSpecOf(rec.Spec), material, in.peer)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return &deriveOutput{keyID: rec.ID, secret: secret}, nil
	}
	defer clear(secret)
	env, err := v.seal(secret)
	if err != nil {
		return nil, err
	}
	return &deriveOutput{keyID: rec.ID, forRecipient: env}, nil
}

type dataKeyPairInput struct {
	keyID     string // a symmetric ENCRYPT_DECRYPT CMK
	spec      string // ECC_NIST_P256, ..., RSA_4096
	plaintext bool   // return the private key in plaintext (ignored with a recipient)
	aad       []byte
	recipient *recipientInput
}

type dataKeyPairOutput struct {
	keyID             string
	spec              string
	public            []byte // DER SPKI
	privateCiphertext []byte // PKCS#8 under the CMK
	privatePlaintext  []byte // PKCS#8, when asked for
	forRecipient      []byte // PKCS#8 sealed to the enclave, with a recipient
}

// dataKeyPair makes a key pair and returns its private key encrypted under
// the CMK, plus in plaintext or sealed to a recipient.
func (s *Server) dataKeyPair(ctx context.Context, in *dataKeyPairInput) (*dataKeyPairOutput, error) {
	if !ecPairSpecs[in.spec] && rsaPairSpecs[in.spec] == 0 {
		return nil, errorf(kindInvalidParameter, "key_spec %q is not a data key pair spec", in.spec)
	}
	rec, k, err := s.symmetricKey(in.keyID)
	if err != nil {
		return nil, err
	}
	// Verify the recipient before the (slow, for RSA) key generation.
	var v *verifiedRecipient
	if in.recipient != nil {
		if v, err = s.verifyRecipient(ctx, rec, in.recipient); err != nil {
			return nil, err
		}
	}
	priv, pub, err := generateKeyPair(in.spec)
	if err != nil {
		return nil, err
	}
	out := &dataKeyPairOutput{
		keyID:             rec.ID,
		spec:              in.spec,
		public:            pub,
		privateCiphertext: sealBlob(k.aead, k.id, priv, in.aad),
	}
	switch {
	case v != nil:
		if out.forRecipient, err = v.seal(priv); err != nil {
			return nil, err
		}
		clear(priv)
	case in.plaintext:
		out.privatePlaintext = priv
	default:
		clear(priv)
	}
	return out, nil
}

// Import. The import token is stateless: it carries the RSA wrapping key's
// private half sealed under the master key, bound to the key ID and the
// expiry, so that get-parameters-for-import writes nothing.
const (
	importTokenVersion  = 1
	importTokenLifetime = 24 * time.Hour
	wrappingKeyBits     = 2048 // encrypted_key_material is 344..360 base64 chars: 256 bytes
)

type importParams struct {
	keyID   string
	token   []byte
	expires time.Time
	public  []byte // RSA wrapping key, DER SPKI
}

func (s *Server) getParametersForImport(ctx context.Context, keyID, algorithm string) (*importParams, error) {
	switch algorithm {
	case keyEncryptionAlgorithm:
	case "SM2_ENCRYPT":
		return nil, errorf(kindUnsupported, "wrapping_algorithm SM2_ENCRYPT is not supported")
	case "":
		return nil, errorf(kindMissingParameter, "wrapping_algorithm is missing")
	default:
		return nil, errorf(kindInvalidParameter, "wrapping_algorithm %q is not supported", algorithm)
	}
	rec, err := s.importableKey(keyID)
	if err != nil {
		return nil, err
	}
	k, err := rsa.GenerateKey(rand.Reader, wrappingKeyBits)
	if err != nil {
		return nil, err
	}
	priv, pub, err := marshalRSA(k)
	if err != nil {
		return nil, err
	}
	expires := time.Now().Add(importTokenLifetime).Truncate(time.Second)
	header := tokenHeader(rec.ID, expires.Unix())
	token := append(header, s.store.Seal(string(header), priv)...)
	clear(priv)
	return &importParams{keyID: rec.ID, token: token, expires: expires, public: pub}, nil
}

// tokenHeader is version || key ID || expiry (seconds, big endian).
func tokenHeader(keyID string, expires int64) []byte {
	h := make([]byte, 0, 1+36+8)
	h = append(h, importTokenVersion)
	h = append(h, keyID...)
	return binary.BigEndian.AppendUint64(h, uint64(expires))
}

// importableKey returns a key that waits for external key material.
func (s *Server) importableKey(keyID string) (*store.Record, error) {
	rec, err := s.lookup(keyID)
	if err != nil {
		return nil, err
	}
	if rec.Origin != "external" {
		return nil, errorf(kindNotExternal, "key %s is not of origin external", keyID)
	}
	if rec.State != statePendingImport {
		return nil, errorf(kindNotPendingImport, "key %s is not waiting for key material", keyID)
	}
	return rec, nil
}

// openImportToken returns the wrapping key of a token made for keyID.
func (s *Server) openImportToken(keyID string, token []byte) (*rsa.PrivateKey, error) {
	const headerLen = 1 + 36 + 8
	bad := errorf(kindInvalidImportToken, "import_token is not valid for this key")
	if len(token) < headerLen || token[0] != importTokenVersion || string(token[1:37]) != keyID {
		return nil, bad
	}
	expires := int64(binary.BigEndian.Uint64(token[37:headerLen]))
	if time.Now().Unix() >= expires {
		return nil, errorf(kindInvalidImportToken, "import_token has expired")
	}
	der, err := s.store.Unseal(string(token[:headerLen]), token[headerLen:])
	if err != nil {
		return nil, bad
	}
	defer clear(der)
	k, err := x509.ParsePKCS8PrivateKey(der)
	rk, ok := k.(*rsa.PrivateKey)
	if err != nil || !ok {
		return nil, bad
	}
	return rk, nil
}

type importInput struct {
	keyID             string
	token             []byte
	encryptedMaterial []byte // RSAES-OAEP-SHA256 under the wrapping key
	encryptedPrivate  []byte // RFC 5649 under the intermediate key; asymmetric keys only
	expires           int64  // seconds since the epoch; 0 = never
}

// importKeyMaterial unwraps the key material and enables the key. Nothing is
// stored unless every check passes.
func (s *Server) importKeyMaterial(ctx context.Context, in *importInput) error {
	rec, err := s.importableKey(in.keyID)
	if err != nil {
		return err
	}
	if in.expires != 0 && in.expires <= time.Now().Unix() {
		return errorf(kindInvalidParameter, "expiration_time is in the past")
	}
	info := keySpecs[rec.Spec]
	if info.symmetric != (len(in.encryptedPrivate) == 0) {
		if info.symmetric {
			return errorf(kindInvalidParameter, "encrypted_privatekey applies only to asymmetric keys")
		}
		return errorf(kindMissingParameter, "encrypted_privatekey is missing")
	}
	wk, err := s.openImportToken(rec.ID, in.token)
	if err != nil {
		return err
	}
	unwrapped, err := rsa.DecryptOAEP(sha256.New(), nil, wk, in.encryptedMaterial, nil)
	if err != nil {
		return errorf(kindImportDecrypt, "encrypted_key_material does not decrypt")
	}
	defer clear(unwrapped)
	var material, public []byte
	if info.symmetric {
		if len(unwrapped) != info.keyLen {
			return errorf(kindImportDecrypt, "key material is not %d bytes for %s", info.keyLen, rec.Spec)
		}
		material = bytes.Clone(unwrapped)
	} else {
		if len(unwrapped) != 16 && len(unwrapped) != 24 && len(unwrapped) != 32 {
			return errorf(kindImportDecrypt, "intermediate key is not an AES key")
		}
		if material, err = kwp.Unwrap(unwrapped, in.encryptedPrivate); err != nil {
			return errorf(kindImportDecrypt, "encrypted_privatekey does not unwrap")
		}
		if public, err = publicOfPKCS8(pairSpecOf(rec.Spec), material); err != nil {
			clear(material)
			return errorf(kindSpecMismatch, "private key is not a PKCS#8 %s key", rec.Spec)
		}
	}
	sealed := s.store.Seal(rec.ID, material)
	clear(material)
	err = s.store.Update(rec.ID, func(r *store.Record) error {
		if r.State != statePendingImport {
			return errorf(kindNotPendingImport, "key %s is not waiting for key material", r.ID)
		}
		r.Sealed, r.Public, r.Expires, r.State = sealed, public, in.expires, stateEnabled
		return nil
	})
	var oe *opError
	if err != nil && !errors.As(err, &oe) {
		return fmt.Errorf("kms: store key: %w", err)
	}
	return err
}

// pcrPolicy parses recipient_attestation: "PCR0".."PCR31" -> hex of 32, 48
// or 64 bytes.
func pcrPolicy(m map[string]string) (map[int][]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[int][]byte, len(m))
	for k, v := range m {
		idx, ok := strings.CutPrefix(k, "PCR")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil || n < 0 || n > 31 || strconv.Itoa(n) != idx {
			return nil, errorf(kindInvalidParameter, "recipient_attestation key %q is not PCR0..PCR31", k)
		}
		b, err := decodeHex("recipient_attestation."+k, v)
		if err != nil {
			return nil, err
		}
		if len(b) != 32 && len(b) != 48 && len(b) != 64 {
			return nil, errorf(kindInvalidParameter, "recipient_attestation.%s is not 32, 48 or 64 bytes", k)
		}
		out[n] = b
	}
	return out, nil
}

// Key states, with Huawei's numbering.
const (
	stateEnabled       = 2
	statePendingImport = 5
)
