package interop

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2/model"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/recipient"
)

// enclave is the enclave side of the recipient flow: its RSA key (a test
// key) and attestation documents from the test authority that carry it.
type enclave struct {
	key  *rsa.PrivateKey
	spki []byte
}

func newEnclave(t testing.TB) *enclave {
	t.Helper()
	k := readKey(t, "test_enclave_rsa2048_key.pem").(*rsa.PrivateKey)
	return &enclave{key: k, spki: publicDER(t, k)}
}

// document issues an attestation document carrying the enclave's key.
func (e *enclave) document(t testing.TB, opts attestationtest.Options) []byte {
	t.Helper()
	opts.PublicKey = e.spki
	doc, err := attestationtest.Issue(opts)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func (e *enclave) awsRecipient(t testing.TB, opts attestationtest.Options) *types.RecipientInfo {
	return &types.RecipientInfo{AttestationDocument: e.document(t, opts), KeyEncryptionAlgorithm: types.KeyEncryptionMechanismRsaesOaepSha256}
}

func (e *enclave) open(t testing.TB, env []byte, open func([]byte, crypto.Decrypter, recipient.OpenOptions) ([]byte, error)) []byte {
	t.Helper()
	if len(env) == 0 {
		t.Fatal("no envelope for the recipient")
	}
	b, err := open(env, e.key, recipient.OpenOptions{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return b
}

func TestAWSRecipient(t *testing.T) {
	c := newAWSClient(startKMS(t), testAK, testSK)
	ctx := t.Context()
	enc := newEnclave(t)
	sym := awsCreateKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	ec := awsCreateKey(t, c, types.KeySpecEccNistP256, types.KeyUsageTypeKeyAgreement)
	peer := publicDER(t, readKey(t, "test_p256_key.pem"))

	// Both platforms' documents are accepted.
	for _, platform := range []attestation.Platform{attestation.Nitro, attestation.QingTian} {
		t.Run(platform.String(), func(t *testing.T) {
			opts := attestationtest.Options{Platform: platform}

			// DeriveSharedSecret: the envelope opens to the secret that the
			// call without a recipient returns.
			plain, err := c.DeriveSharedSecret(ctx, &awskms.DeriveSharedSecretInput{KeyId: ec.KeyId, KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: peer})
			if err != nil {
				t.Fatal(err)
			}
			sealed, err := c.DeriveSharedSecret(ctx, &awskms.DeriveSharedSecretInput{KeyId: ec.KeyId, KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: peer, Recipient: enc.awsRecipient(t, opts)})
			if err != nil {
				t.Fatal(err)
			}
			if sealed.SharedSecret != nil {
				t.Error("DeriveSharedSecret with a recipient returned SharedSecret")
			}
			if got := enc.open(t, sealed.CiphertextForRecipient, recipient.OpenSharedSecret); !bytes.Equal(got, plain.SharedSecret) {
				t.Errorf("recipient secret %x, want %x", got, plain.SharedSecret)
			}

			// GenerateDataKeyPair: a PKCS#8 key that matches PublicKey, and
			// the same key under the CMK.
			for _, spec := range []types.DataKeyPairSpec{types.DataKeyPairSpecEccNistP256, types.DataKeyPairSpecEccSecgP256k1, types.DataKeyPairSpecSm2, types.DataKeyPairSpecRsa2048} {
				pair, err := c.GenerateDataKeyPair(ctx, &awskms.GenerateDataKeyPairInput{KeyId: sym.KeyId, KeyPairSpec: spec, Recipient: enc.awsRecipient(t, opts)})
				if err != nil {
					t.Fatalf("%s: %v", spec, err)
				}
				if pair.PrivateKeyPlaintext != nil {
					t.Errorf("%s: PrivateKeyPlaintext with a recipient", spec)
				}
				pkcs8 := enc.open(t, pair.CiphertextForRecipient, recipient.OpenPrivateKey)
				if !bytes.Equal(publicOfPKCS8(t, spec, pkcs8), pair.PublicKey) {
					t.Errorf("%s: the recipient's private key does not match PublicKey", spec)
				}
				dec, err := c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: pair.PrivateKeyCiphertextBlob})
				if err != nil || !bytes.Equal(dec.Plaintext, pkcs8) {
					t.Errorf("%s: PrivateKeyCiphertextBlob does not hold the recipient's key: %v", spec, err)
				}
			}

			// GenerateDataKey and Decrypt.
			dk, err := c.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: sym.KeyId, NumberOfBytes: aws.Int32(32), Recipient: enc.awsRecipient(t, opts)})
			if err != nil {
				t.Fatal(err)
			}
			if dk.Plaintext != nil {
				t.Error("GenerateDataKey with a recipient returned Plaintext")
			}
			dataKey := enc.open(t, dk.CiphertextForRecipient, recipient.Open)
			dec, err := c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob})
			if err != nil || !bytes.Equal(dec.Plaintext, dataKey) || len(dataKey) != 32 {
				t.Errorf("GenerateDataKey: the recipient's data key is not the ciphertext's: %v", err)
			}
			dec, err = c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, Recipient: enc.awsRecipient(t, opts)})
			if err != nil {
				t.Fatal(err)
			}
			if dec.Plaintext != nil || !bytes.Equal(enc.open(t, dec.CiphertextForRecipient, recipient.Open), dataKey) {
				t.Error("Decrypt with a recipient does not open to the data key")
			}

			// GenerateRandom.
			r, err := c.GenerateRandom(ctx, &awskms.GenerateRandomInput{NumberOfBytes: aws.Int32(24), Recipient: enc.awsRecipient(t, opts)})
			if err != nil {
				t.Fatal(err)
			}
			if r.Plaintext != nil || len(enc.open(t, r.CiphertextForRecipient, recipient.Open)) != 24 {
				t.Error("GenerateRandom with a recipient")
			}
		})
	}

	// Documents the server must refuse, and nothing sealed.
	for _, tc := range []struct {
		name string
		doc  []byte
		code string
	}{
		{"untrusted root", enc.document(t, attestationtest.Options{Malformation: attestationtest.UntrustedRoot}), "AccessDeniedException"},
		{"tampered payload", enc.document(t, attestationtest.Options{Malformation: attestationtest.TamperedPayload}), "AccessDeniedException"},
		{"expired leaf", enc.document(t, attestationtest.Options{Malformation: attestationtest.ExpiredLeaf}), "AccessDeniedException"},
		{"duplicate key", enc.document(t, attestationtest.Options{Malformation: attestationtest.DuplicateKey}), "ValidationException"},
		{"not a document", []byte("not a document"), "ValidationException"},
		{"no public key", func() []byte {
			d, err := attestationtest.Issue(attestationtest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}(), "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.DeriveSharedSecret(ctx, &awskms.DeriveSharedSecretInput{KeyId: ec.KeyId, KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: peer,
				Recipient: &types.RecipientInfo{AttestationDocument: tc.doc, KeyEncryptionAlgorithm: types.KeyEncryptionMechanismRsaesOaepSha256}})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code || out != nil {
				t.Errorf("got %v, want %s", err, tc.code)
			}
		})
	}
}

// publicOfPKCS8 returns the DER SubjectPublicKeyInfo of a PKCS#8 key of a
// data key pair spec: through keyspec for the EC specs (which crypto/x509
// lacks for secp256k1 and SM2), crypto/x509 for RSA.
func publicOfPKCS8(t testing.TB, spec types.DataKeyPairSpec, der []byte) []byte {
	t.Helper()
	if _, err := keyspec.ParseSpec(string(spec)); err == nil {
		k, err := keyspec.ParsePrivateKey(der)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		return k.PublicKey().MarshalPKIX()
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatalf("%s: %v", spec, err)
	}
	return publicDER(t, k.(crypto.Signer))
}

func TestHuaweiRecipient(t *testing.T) {
	c := newHuaweiClient(t, startKMS(t), testAK, testSK)
	enc := newEnclave(t)
	key := hwCreateKey(t, c, model.GetCreateKeyRequestBodyKeySpecEnum().EC_P256, hwUsage(t, "KEY_AGREEMENT"), nil)
	peer := base64.StdEncoding.EncodeToString(publicDER(t, readKey(t, "test_p256_key.pem")))
	ecdh := model.GetDeriveSharedSecretRequestBodyKeyAgreementAlgorithmEnum().ECDH
	oaep := "RSAES_OAEP_SHA_256"

	plain, err := c.DeriveSharedSecret(&model.DeriveSharedSecretRequest{Body: &model.DeriveSharedSecretRequestBody{KeyId: key, KeyAgreementAlgorithm: ecdh, PublicKey: peer}})
	if err != nil {
		t.Fatal(err)
	}
	want, err := base64.StdEncoding.DecodeString(*plain.SharedSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, platform := range []attestation.Platform{attestation.QingTian, attestation.Nitro} {
		doc := base64.StdEncoding.EncodeToString(enc.document(t, attestationtest.Options{Platform: platform}))
		sealed, err := c.DeriveSharedSecret(&model.DeriveSharedSecretRequest{Body: &model.DeriveSharedSecretRequestBody{
			KeyId: key, KeyAgreementAlgorithm: ecdh, PublicKey: peer,
			Recipient: &model.Recipient{AttestationDocument: &doc, KeyEncryptionAlgorithm: &oaep},
		}})
		if err != nil {
			t.Fatalf("%s: %v", platform, err)
		}
		if sealed.SharedSecret != nil || sealed.CiphertextRecipient == nil {
			t.Fatalf("%s: %+v", platform, sealed)
		}
		env, err := base64.StdEncoding.DecodeString(*sealed.CiphertextRecipient)
		if err != nil {
			t.Fatal(err)
		}
		if got := enc.open(t, env, recipient.OpenSharedSecret); !bytes.Equal(got, want) {
			t.Errorf("%s: ciphertext_recipient opens to %x, want %x", platform, got, want)
		}
	}

	// An untrusted document: a 4xx ServiceResponseError, nothing sealed.
	bad := base64.StdEncoding.EncodeToString(enc.document(t, attestationtest.Options{Platform: attestation.QingTian, Malformation: attestationtest.UntrustedRoot}))
	out, err := c.DeriveSharedSecret(&model.DeriveSharedSecretRequest{Body: &model.DeriveSharedSecretRequestBody{
		KeyId: key, KeyAgreementAlgorithm: ecdh, PublicKey: peer,
		Recipient: &model.Recipient{AttestationDocument: &bad, KeyEncryptionAlgorithm: &oaep},
	}})
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) || se.StatusCode < 400 || se.StatusCode >= 500 || out != nil {
		t.Errorf("untrusted document: %v", err)
	}
}
