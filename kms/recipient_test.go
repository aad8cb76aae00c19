package kms

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/recipient"
)

// The EC create-key specs, the data key pair spec of each, and a peer test key.
var ecCases = []struct{ create, pair, peerFile string }{
	{"EC_P256", "ECC_NIST_P256", "test_p256_key.pem"},
	{"EC_P384", "ECC_NIST_P384", "test_p384_key.pem"},
	{"SECP256K1", "ECC_SECG_P256K1", "test_secp256k1_key.pem"},
	{"SM2", "SM2", "test_sm2_key.pem"},
}

var pairFiles = map[string]string{
	"ECC_NIST_P256": "test_p256_key.pem", "ECC_NIST_P384": "test_p384_key.pem", "ECC_NIST_P521": "test_p521_key.pem",
	"ECC_SECG_P256K1": "test_secp256k1_key.pem", "SM2": "test_sm2_key.pem",
}

// enclave is the enclave side of the tests: its recipient key (a test key)
// and documents from the attestation test authority carrying it.
type enclave struct {
	key  *rsa.PrivateKey
	spki []byte
}

func newEnclave(t testing.TB) *enclave {
	t.Helper()
	k, err := x509.ParsePKCS8PrivateKey(readTestKey(t, "test_enclave_rsa2048_key.pem"))
	require.NoError(t, err)
	rk := k.(*rsa.PrivateKey)
	spki, err := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	require.NoError(t, err)
	return &enclave{key: rk, spki: spki}
}

// document issues a document for the enclave key; change edits the options.
func (e *enclave) document(t testing.TB, change func(*attestationtest.Options)) string {
	t.Helper()
	opts := attestationtest.Options{PublicKey: e.spki}
	if change != nil {
		change(&opts)
	}
	doc, err := attestationtest.Issue(opts)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(doc)
}

func (e *enclave) recipient(t testing.TB, change func(*attestationtest.Options)) *huawei.Recipient {
	return &huawei.Recipient{AttestationDocument: e.document(t, change), KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256"}
}

func newAttestedKMS(t testing.TB) *testKMS {
	return newTestKMS(t, Options{Roots: []*x509.Certificate{attestationtest.Root()}})
}

func TestDeriveSharedSecret(t *testing.T) {
	k := newAttestedKMS(t)
	e := newEnclave(t)
	ctx := context.Background()
	for _, tc := range ecCases {
		t.Run(tc.create, func(t *testing.T) {
			id := k.createKey(t, tc.create, "KEY_AGREEMENT", "")
			pk, err := k.client.GetPublicKey(ctx, &huawei.KeyRequest{KeyID: id})
			require.NoError(t, err)
			kmsPub, err := keyspec.ParsePublicKey(mustB64(t, pk.PublicKey))
			require.NoError(t, err)
			require.Equal(t, tc.pair, kmsPub.Spec().String())

			peer, err := keyspec.ParsePrivateKey(readTestKey(t, tc.peerFile))
			require.NoError(t, err)
			want, err := peer.ECDH(kmsPub)
			require.NoError(t, err)

			req := &huawei.DeriveSharedSecretRequest{KeyID: id, KeyAgreementAlgorithm: "ECDH", PublicKey: b64(peer.PublicKey().MarshalPKIX())}
			plain, err := k.signed.DeriveSharedSecret(ctx, req)
			require.NoError(t, err)
			require.Equal(t, want, mustB64(t, plain.SharedSecret.Reveal()))
			require.Empty(t, plain.CiphertextRecipient)
			require.Equal(t, "ECDH", plain.KeyAgreementAlgorithm)

			req.Recipient = e.recipient(t, nil)
			sealed, err := k.signed.DeriveSharedSecret(ctx, req)
			require.NoError(t, err)
			require.Empty(t, sealed.SharedSecret.Reveal(), "no shared_secret beside ciphertext_recipient")
			got, err := recipient.OpenSharedSecret(mustB64(t, sealed.CiphertextRecipient), e.key, recipient.OpenOptions{})
			require.NoError(t, err)
			require.Equal(t, want, got, "ciphertext_recipient opens to the non-recipient secret")

			// A QingTian-dialect document works the same.
			req.Recipient = e.recipient(t, func(o *attestationtest.Options) { o.Platform = attestation.QingTian })
			sealed, err = k.signed.DeriveSharedSecret(ctx, req)
			require.NoError(t, err)
			got, err = recipient.OpenSharedSecret(mustB64(t, sealed.CiphertextRecipient), e.key, recipient.OpenOptions{})
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}
}

func TestECDataKeyPair(t *testing.T) {
	k := newAttestedKMS(t)
	e := newEnclave(t)
	ctx := context.Background()
	cmk := k.createKey(t, "SM4", "", "")
	for spec := range pairFiles {
		t.Run(spec, func(t *testing.T) {
			plain, err := k.client.CreateECDataKeyPair(ctx, &huawei.DataKeyPairRequest{KeyID: cmk, KeySpec: spec, AdditionalAuthenticatedData: "aad"})
			require.NoError(t, err)
			require.Equal(t, spec, plain.KeySpec)
			priv, err := keyspec.ParsePrivateKey(mustB64(t, plain.PrivateKeyPlainText.Reveal()))
			require.NoError(t, err)
			require.Equal(t, plain.PublicKey, b64(priv.PublicKey().MarshalPKIX()))
			require.Equal(t, mustB64(t, plain.PrivateKeyPlainText.Reveal()), k.decrypt(t, cmk, mustB64(t, plain.PrivateKeyCipherText), []byte("aad")))

			sealed, err := k.client.CreateECDataKeyPair(ctx, &huawei.DataKeyPairRequest{KeyID: cmk, KeySpec: spec, Recipient: e.recipient(t, nil)})
			require.NoError(t, err)
			require.Empty(t, sealed.PrivateKeyPlainText.Reveal())
			require.Empty(t, sealed.WrappedPrivateKey)
			der, err := recipient.OpenPrivateKey(mustB64(t, sealed.CiphertextRecipient), e.key, recipient.OpenOptions{})
			require.NoError(t, err)
			opened, err := keyspec.ParsePrivateKey(der)
			require.NoError(t, err)
			require.Equal(t, sealed.PublicKey, b64(opened.PublicKey().MarshalPKIX()), "the opened PKCS#8 matches public_key")
			require.Equal(t, der, k.decrypt(t, cmk, mustB64(t, sealed.PrivateKeyCipherText), nil), "private_key_cipher_text holds the same key")
		})
	}
	// RSA data key pairs take a recipient too.
	sealed, err := k.client.CreateRSADataKeyPair(ctx, &huawei.DataKeyPairRequest{KeyID: cmk, KeySpec: "RSA_2048", Recipient: e.recipient(t, nil)})
	require.NoError(t, err)
	der, err := recipient.OpenPrivateKey(mustB64(t, sealed.CiphertextRecipient), e.key, recipient.OpenOptions{})
	require.NoError(t, err)
	require.Equal(t, sealed.PublicKey, b64(rsaPublicOf(t, der)))
}

func TestImportECKey(t *testing.T) {
	k := newTestKMS(t, Options{})
	ctx := context.Background()
	for _, tc := range ecCases {
		id := k.createKey(t, tc.create, "KEY_AGREEMENT", "external")
		p, err := k.client.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{KeyID: id, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
		require.NoError(t, err)
		imported := readTestKey(t, tc.peerFile)
		req, err := huawei.WrapKeyMaterial(p, imported)
		require.NoError(t, err)
		if tc.create == "SECP256K1" {
			// A secp256k1 PKCS#8 key as OpenSSL writes it is 135 bytes: wrapped,
			// 144 bytes or 192 base64 characters, under the 200 that seed
			// 004's rule for encrypted_privatekey requires. The rule wins.
			require.Len(t, req.EncryptedPrivatekey, 192)
			requireAPIError(t, k.client.ImportKeyMaterial(ctx, req), 400, "KMS.0308")
			continue
		}
		require.NoError(t, k.client.ImportKeyMaterial(ctx, req), tc.create)
		// The key now agrees as the imported key does.
		mine, err := keyspec.ParsePrivateKey(imported)
		require.NoError(t, err)
		other, err := keyspec.GenerateKey(mine.Spec())
		require.NoError(t, err)
		want, err := other.ECDH(mine.PublicKey())
		require.NoError(t, err)
		got, err := k.client.DeriveSharedSecret(ctx, &huawei.DeriveSharedSecretRequest{KeyID: id, KeyAgreementAlgorithm: "ECDH", PublicKey: b64(other.PublicKey().MarshalPKIX())})
		require.NoError(t, err)
		require.Equal(t, want, mustB64(t, got.SharedSecret.Reveal()), tc.create)
		pk, err := k.client.GetPublicKey(ctx, &huawei.KeyRequest{KeyID: id})
		require.NoError(t, err)
		require.Equal(t, b64(mine.PublicKey().MarshalPKIX()), pk.PublicKey)
	}
}

func TestCreateKeyEveryUsage(t *testing.T) {
	k := newTestKMS(t, Options{})
	ctx := context.Background()
	for _, tc := range []struct{ spec, usage string }{
		{"EC_P256", "SIGN_VERIFY"}, {"EC_P384", "SIGN_VERIFY"}, {"SECP256K1", "SIGN_VERIFY"},
		{"SM2", "SIGN_VERIFY"}, {"SM2", "ENCRYPT_DECRYPT"}, {"RSA_2048", "ENCRYPT_DECRYPT"},
	} {
		id := k.createKey(t, tc.spec, tc.usage, "")
		d, err := k.client.DescribeKey(ctx, &huawei.KeyRequest{KeyID: id})
		require.NoError(t, err)
		require.Equal(t, tc.usage, d.KeyInfo.KeyUsage)
		require.Equal(t, "2", d.KeyInfo.KeyType)
	}
}

func TestRecipientBadInputs(t *testing.T) {
	k := newAttestedKMS(t)
	e := newEnclave(t)
	ctx := context.Background()
	p256 := k.createKey(t, "EC_P256", "KEY_AGREEMENT", "")
	signing := k.createKey(t, "EC_P256", "SIGN_VERIFY", "")
	cmk := k.createKey(t, "AES_256", "", "")
	// A key whose recipients must run the enclave image with this PCR0.
	pcr0 := strings.Repeat("ab", 48)
	resp, err := k.client.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "pcr", KeySpec: "EC_P256", KeyUsage: "KEY_AGREEMENT", RecipientAttestation: map[string]string{"PCR0": pcr0}})
	require.NoError(t, err)
	pinned := resp.KeyInfo.KeyID

	peer, err := keyspec.ParsePrivateKey(readTestKey(t, "test_p256_key.pem"))
	require.NoError(t, err)
	peerSPKI := peer.PublicKey().MarshalPKIX()
	p384, err := keyspec.ParsePrivateKey(readTestKey(t, "test_p384_key.pem"))
	require.NoError(t, err)
	offCurve := append([]byte(nil), peerSPKI...)
	offCurve[len(offCurve)-1] ^= 1
	rsaSPKI := e.spki

	derive := func(key, pub string, r *huawei.Recipient) string {
		return js(map[string]any{"key_id": key, "key_agreement_algorithm": "ECDH", "public_key": pub, "recipient": r})
	}
	deriveNoRcpt := func(key, pub string) string {
		return js(map[string]any{"key_id": key, "key_agreement_algorithm": "ECDH", "public_key": pub})
	}
	pair := func(r *huawei.Recipient) string {
		return js(map[string]any{"key_id": cmk, "key_spec": "ECC_NIST_P256", "recipient": r})
	}
	doc := func(change func(*attestationtest.Options)) *huawei.Recipient { return e.recipient(t, change) }
	good := b64(peerSPKI)
	const (
		s400 = http.StatusBadRequest
		s403 = http.StatusForbidden
	)
	cases := []badCase{
		// The peer's public key.
		{"public key not DER", "derive-shared-secret", deriveNoRcpt(p256, "AAAA"), s400, "KMS.0704"},
		{"public key truncated", "derive-shared-secret", deriveNoRcpt(p256, b64(peerSPKI[:len(peerSPKI)-1])), s400, "KMS.0704"},
		{"point not on curve", "derive-shared-secret", deriveNoRcpt(p256, b64(offCurve)), s400, "KMS.0704"},
		{"other curve", "derive-shared-secret", deriveNoRcpt(p256, b64(p384.PublicKey().MarshalPKIX())), s400, "KMS.0703"},
		{"RSA public key", "derive-shared-secret", deriveNoRcpt(p256, b64(rsaSPKI)), s400, "KMS.0703"},
		{"signing key", "derive-shared-secret", deriveNoRcpt(signing, good), s400, "KMS.0702"},

		// The recipient.
		{"algorithm", "derive-shared-secret", derive(p256, good, &huawei.Recipient{AttestationDocument: doc(nil).AttestationDocument, KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_1"}), s400, "KMS.0308"},
		{"not a document", "derive-shared-secret", derive(p256, good, &huawei.Recipient{AttestationDocument: b64([]byte("not cbor"))}), s400, "KMS.0901"},
		{"duplicate key", "derive-shared-secret", derive(p256, good, doc(func(o *attestationtest.Options) { o.Malformation = attestationtest.DuplicateKey })), s400, "KMS.0901"},
		{"tampered payload", "derive-shared-secret", derive(p256, good, doc(func(o *attestationtest.Options) { o.Malformation = attestationtest.TamperedPayload })), s403, "KMS.0902"},
		{"tampered signature", "derive-shared-secret", derive(p256, good, doc(func(o *attestationtest.Options) { o.Malformation = attestationtest.TamperedSignature })), s403, "KMS.0902"},
		{"untrusted root", "derive-shared-secret", derive(p256, good, doc(func(o *attestationtest.Options) { o.Malformation = attestationtest.UntrustedRoot })), s403, "KMS.0902"},
		{"expired leaf", "derive-shared-secret", derive(p256, good, doc(func(o *attestationtest.Options) { o.Malformation = attestationtest.ExpiredLeaf })), s403, "KMS.0902"},
		{"too old", "derive-shared-secret", derive(p256, good, doc(func(o *attestationtest.Options) { o.Time = time.Now().Add(-time.Hour) })), s403, "KMS.0902"},
		// recipient_attestation is a key policy now: a document without the
		// PCR0, or no document at all, is denied by its Deny statement.
		{"PCR0 mismatch", "derive-shared-secret", derive(pinned, good, doc(nil)), s403, "KMS.0904"},
		{"PCR0 key without recipient", "derive-shared-secret", deriveNoRcpt(pinned, good), s403, "KMS.0904"},
		{"no public_key", "derive-shared-secret", derive(p256, good, doc(func(o *attestationtest.Options) { o.PublicKey = nil })), s400, "KMS.0903"},
		{"EC public_key", "derive-shared-secret", derive(p256, good, doc(func(o *attestationtest.Options) { o.PublicKey = peerSPKI })), s400, "KMS.0903"},
		{"recipient with bad peer key", "derive-shared-secret", derive(p256, "AAAA", doc(nil)), s400, "KMS.0704"},
		{"bad peer key and bad document", "derive-shared-secret", derive(p256, "AAAA", doc(func(o *attestationtest.Options) { o.Malformation = attestationtest.TamperedSignature })), s403, "KMS.0902"},
		{"pair: untrusted root", "create-ec-datakey-pair", pair(doc(func(o *attestationtest.Options) { o.Malformation = attestationtest.UntrustedRoot })), s403, "KMS.0902"},
		{"pair: tampered", "create-ec-datakey-pair", pair(doc(func(o *attestationtest.Options) { o.Malformation = attestationtest.TamperedSignature })), s403, "KMS.0902"},
		{"pair: no public_key", "create-ec-datakey-pair", pair(doc(func(o *attestationtest.Options) { o.PublicKey = nil })), s400, "KMS.0903"},
	}
	runBadCases(t, k, cases)

	// The PCR-pinned key accepts a document with the right PCR0.
	_, err = k.client.DeriveSharedSecret(ctx, &huawei.DeriveSharedSecretRequest{KeyID: pinned, KeyAgreementAlgorithm: "ECDH", PublicKey: good,
		Recipient: e.recipient(t, func(o *attestationtest.Options) {
			o.PCRs = map[int][]byte{0: mustHex(t, pcr0), 1: make([]byte, 48), 2: make([]byte, 48)}
		})})
	require.NoError(t, err)

	// Without the test root, the same valid document is untrusted.
	plain := newTestKMS(t, Options{})
	id := plain.createKey(t, "EC_P256", "KEY_AGREEMENT", "")
	runBadCases(t, plain, []badCase{{"test root not trusted", "derive-shared-secret", derive(id, good, doc(nil)), s403, "KMS.0902"}})
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}
