package recipient

import (
	"crypto"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OpenSharedSecret opens the envelope of a derive-shared-secret
// (DeriveSharedSecret) response: the raw ECDH shared secret, the
// x-coordinate of the shared point, of 32 bytes (P-256, secp256k1, SM2),
// 48 (P-384) or 66 (P-521). Derive keys from it with a KDF; never use it
// as a key directly. A payload of another length is an ErrDecryption.
func OpenSharedSecret(env []byte, key crypto.Decrypter, opts OpenOptions) ([]byte, error) {
	return open(env, key, opts, func(b []byte) bool {
		return len(b) == 32 || len(b) == 48 || len(b) == 66
	})
}

// OpenPrivateKey opens the envelope of a create-ec-datakey-pair
// (GenerateDataKeyPair) response: a PKCS#8 PrivateKeyInfo in DER. It checks
// the structure (version 0 or 1, an AlgorithmIdentifier, the privateKey
// OCTET STRING, optional attributes and public key, nothing trailing) and
// returns the DER, for the caller to parse for its key spec (package keyspec
// handles the KMS EC specs, including secp256k1 and SM2, which crypto/x509
// does not). A payload that is not a PrivateKeyInfo is an ErrDecryption.
func OpenPrivateKey(env []byte, key crypto.Decrypter, opts OpenOptions) ([]byte, error) {
	return open(env, key, opts, isPrivateKeyInfo)
}

// isPrivateKeyInfo checks the outline of RFC 5958 OneAsymmetricKey.
func isPrivateKeyInfo(b []byte) bool {
	s := cryptobyte.String(b)
	var pki, alg, oid, priv cryptobyte.String
	var version int
	if !s.ReadASN1(&pki, casn1.SEQUENCE) || !s.Empty() ||
		!pki.ReadASN1Integer(&version) || (version != 0 && version != 1) ||
		!pki.ReadASN1(&alg, casn1.SEQUENCE) || !alg.ReadASN1(&oid, casn1.OBJECT_IDENTIFIER) ||
		!pki.ReadASN1(&priv, casn1.OCTET_STRING) || len(priv) == 0 {
		return false
	}
	// attributes [0] IMPLICIT, publicKey [1] IMPLICIT BIT STRING (version 1).
	if !pki.SkipOptionalASN1(casn1.Tag(0).Constructed().ContextSpecific()) {
		return false
	}
	if pki.PeekASN1Tag(casn1.Tag(1).ContextSpecific()) && (version != 1 || !pki.SkipASN1(casn1.Tag(1).ContextSpecific())) {
		return false
	}
	return pki.Empty()
}
