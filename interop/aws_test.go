package interop

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/qtenclave/qtenclave/keyspec"
)

// newAWSClient returns the AWS SDK's KMS client for the local server: the
// SDK's defaults, with only the endpoint, region and static credentials set.
func newAWSClient(url, ak, sk string) *awskms.Client {
	return awskms.New(awskms.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(url),
		Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk, Source: "interop test"}, nil
		})),
	})
}

func awsCreateKey(t testing.TB, c *awskms.Client, spec types.KeySpec, usage types.KeyUsageType) *types.KeyMetadata {
	t.Helper()
	out, err := c.CreateKey(t.Context(), &awskms.CreateKeyInput{KeySpec: spec, KeyUsage: usage, Description: aws.String("interop " + string(spec))})
	if err != nil {
		t.Fatalf("CreateKey %s %s: %v", spec, usage, err)
	}
	return out.KeyMetadata
}

func TestAWSKeys(t *testing.T) {
	c := newAWSClient(startKMS(t), testAK, testSK)
	ctx := t.Context()

	sym := awsCreateKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	if sym.KeyState != types.KeyStateEnabled || !sym.Enabled || sym.KeySpec != types.KeySpecSymmetricDefault ||
		sym.Origin != types.OriginTypeAwsKms || sym.CreationDate == nil || sym.CreationDate.IsZero() ||
		!strings.HasSuffix(aws.ToString(sym.Arn), ":key/"+aws.ToString(sym.KeyId)) {
		t.Errorf("CreateKey metadata: %+v", sym)
	}
	ec := awsCreateKey(t, c, types.KeySpecEccNistP256, types.KeyUsageTypeKeyAgreement)
	if ec.KeyUsage != types.KeyUsageTypeKeyAgreement || len(ec.KeyAgreementAlgorithms) != 1 || ec.KeyAgreementAlgorithms[0] != types.KeyAgreementAlgorithmSpecEcdh {
		t.Errorf("CreateKey KEY_AGREEMENT metadata: %+v", ec)
	}
	ext, err := c.CreateKey(ctx, &awskms.CreateKeyInput{Origin: types.OriginTypeExternal})
	if err != nil {
		t.Fatal(err)
	}
	if ext.KeyMetadata.KeyState != types.KeyStatePendingImport {
		t.Errorf("external key state %s", ext.KeyMetadata.KeyState)
	}

	for _, id := range []string{aws.ToString(sym.KeyId), aws.ToString(sym.Arn)} {
		d, err := c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(id)})
		if err != nil {
			t.Fatalf("DescribeKey %s: %v", id, err)
		}
		if aws.ToString(d.KeyMetadata.KeyId) != aws.ToString(sym.KeyId) || !d.KeyMetadata.CreationDate.Equal(*sym.CreationDate) {
			t.Errorf("DescribeKey %s: %+v", id, d.KeyMetadata)
		}
	}

	// The SDK's paginator walks the pages.
	var ids []string
	p := awskms.NewListKeysPaginator(c, &awskms.ListKeysInput{Limit: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page.Keys {
			ids = append(ids, aws.ToString(k.KeyId))
		}
	}
	if len(ids) != 3 {
		t.Errorf("ListKeys: %d keys, want 3: %v", len(ids), ids)
	}

	pk, err := c.GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: ec.Arn})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParsePKIXPublicKey(pk.PublicKey); err != nil || pk.KeySpec != types.KeySpecEccNistP256 || aws.ToString(pk.KeyId) != aws.ToString(ec.Arn) {
		t.Errorf("GetPublicKey: %v %+v", err, pk)
	}
}

func TestAWSSymmetric(t *testing.T) {
	c := newAWSClient(startKMS(t), testAK, testSK)
	ctx := t.Context()
	key := awsCreateKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	ec := map[string]string{"app": "interop"}

	enc, err := c.Encrypt(ctx, &awskms.EncryptInput{KeyId: key.KeyId, Plaintext: []byte("hello"), EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	if enc.EncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault || aws.ToString(enc.KeyId) != aws.ToString(key.Arn) {
		t.Errorf("Encrypt: %+v", enc)
	}
	dec, err := c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	if string(dec.Plaintext) != "hello" || aws.ToString(dec.KeyId) != aws.ToString(key.Arn) {
		t.Errorf("Decrypt: %+v", dec)
	}

	dk, err := c.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: key.Arn, KeySpec: types.DataKeySpecAes256})
	if err != nil {
		t.Fatal(err)
	}
	if len(dk.Plaintext) != 32 {
		t.Errorf("GenerateDataKey: %d bytes", len(dk.Plaintext))
	}
	dec, err = c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, KeyId: key.KeyId})
	if err != nil || !bytes.Equal(dec.Plaintext, dk.Plaintext) {
		t.Errorf("Decrypt of GenerateDataKey: %v", err)
	}

	r, err := c.GenerateRandom(ctx, &awskms.GenerateRandomInput{NumberOfBytes: aws.Int32(48)})
	if err != nil || len(r.Plaintext) != 48 {
		t.Errorf("GenerateRandom: %v", err)
	}
}

func TestAWSDataKeyPair(t *testing.T) {
	c := newAWSClient(startKMS(t), testAK, testSK)
	key := awsCreateKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	for _, spec := range []types.DataKeyPairSpec{types.DataKeyPairSpecEccNistP256, types.DataKeyPairSpecEccNistP384, types.DataKeyPairSpecEccNistP521, types.DataKeyPairSpecRsa2048} {
		out, err := c.GenerateDataKeyPair(t.Context(), &awskms.GenerateDataKeyPairInput{KeyId: key.KeyId, KeyPairSpec: spec})
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if out.KeyPairSpec != spec || out.CiphertextForRecipient != nil {
			t.Errorf("%s: %+v", spec, out)
		}
		priv, err := x509.ParsePKCS8PrivateKey(out.PrivateKeyPlaintext)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if !bytes.Equal(publicDER(t, priv.(crypto.Signer)), out.PublicKey) {
			t.Errorf("%s: PrivateKeyPlaintext does not match PublicKey", spec)
		}
		dec, err := c.Decrypt(t.Context(), &awskms.DecryptInput{CiphertextBlob: out.PrivateKeyCiphertextBlob})
		if err != nil || !bytes.Equal(dec.Plaintext, out.PrivateKeyPlaintext) {
			t.Errorf("%s: PrivateKeyCiphertextBlob does not decrypt to the private key: %v", spec, err)
		}
	}
}

func TestAWSDeriveSharedSecret(t *testing.T) {
	c := newAWSClient(startKMS(t), testAK, testSK)
	for spec, file := range map[types.KeySpec]string{
		types.KeySpecEccNistP256:   "test_p256_key.pem",
		types.KeySpecEccNistP384:   "test_p384_key.pem",
		types.KeySpecEccNistP521:   "test_p521_key.pem",
		types.KeySpecEccSecgP256k1: "test_secp256k1_key.pem",
		types.KeySpecSm2:           "test_sm2_key.pem",
	} {
		if spec == types.KeySpecEccSecgP256k1 {
			// AWS's secp256k1 keys sign only.
			_, err := c.CreateKey(t.Context(), &awskms.CreateKeyInput{KeySpec: spec, KeyUsage: types.KeyUsageTypeKeyAgreement})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
				t.Errorf("a secp256k1 KEY_AGREEMENT key: %v", err)
			}
			continue
		}
		key := awsCreateKey(t, c, spec, types.KeyUsageTypeKeyAgreement)
		peer := readSpecKey(t, file)
		out, err := c.DeriveSharedSecret(t.Context(), &awskms.DeriveSharedSecretInput{
			KeyId: key.KeyId, KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: peer.PublicKey().MarshalPKIX(),
		})
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		pk, err := c.GetPublicKey(t.Context(), &awskms.GetPublicKeyInput{KeyId: key.KeyId})
		if err != nil {
			t.Fatal(err)
		}
		kmsPub, err := keyspec.ParsePublicKey(pk.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		want, err := peer.ECDH(kmsPub)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.SharedSecret, want) {
			t.Errorf("%s: SharedSecret %x, want %x", spec, out.SharedSecret, want)
		}
		if out.KeyAgreementAlgorithm != types.KeyAgreementAlgorithmSpecEcdh || out.KeyOrigin != types.OriginTypeAwsKms || aws.ToString(out.KeyId) != aws.ToString(key.Arn) {
			t.Errorf("%s: DeriveSharedSecret: %+v", spec, out)
		}
	}
}

// peerSecret is the secret the peer computes with the KMS key's public key.
func peerSecret(t testing.TB, c *awskms.Client, key *types.KeyMetadata, peer crypto.Signer) []byte {
	t.Helper()
	pk, err := c.GetPublicKey(t.Context(), &awskms.GetPublicKeyInput{KeyId: key.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(pk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	kmsPub, err := pub.(interface {
		ECDH() (*ecdh.PublicKey, error)
	}).ECDH()
	if err != nil {
		t.Fatal(err)
	}
	peerPriv, err := peer.(interface {
		ECDH() (*ecdh.PrivateKey, error)
	}).ECDH()
	if err != nil {
		t.Fatal(err)
	}
	s, err := peerPriv.ECDH(kmsPub)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAWSErrors: the server's errors reach the caller as the SDK's typed
// errors.
func TestAWSErrors(t *testing.T) {
	url := startKMS(t)
	c := newAWSClient(url, testAK, testSK)
	ctx := t.Context()
	sym := awsCreateKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	ec := awsCreateKey(t, c, types.KeySpecEccNistP256, types.KeyUsageTypeKeyAgreement)
	p256 := publicDER(t, readKey(t, "test_p256_key.pem"))
	enc, err := c.Encrypt(ctx, &awskms.EncryptInput{KeyId: sym.KeyId, Plaintext: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(enc.CiphertextBlob)
	tampered[len(tampered)-1] ^= 1

	check := func(name string, err error, target any) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", name)
			return
		}
		if !errors.As(err, target) {
			t.Errorf("%s: %T %v, want %T", name, err, err, target)
		}
	}
	_, err = c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String("0b0b0b0b-1111-4222-8333-444444444444")})
	check("unknown key", err, new(*types.NotFoundException))
	_, err = c.Encrypt(ctx, &awskms.EncryptInput{KeyId: ec.KeyId, Plaintext: []byte("x")})
	check("wrong usage", err, new(*types.InvalidKeyUsageException))
	_, err = c.DeriveSharedSecret(ctx, &awskms.DeriveSharedSecretInput{KeyId: sym.KeyId, KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: p256})
	check("derive with a symmetric key", err, new(*types.InvalidKeyUsageException))
	_, err = c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: tampered})
	check("tampered ciphertext", err, new(*types.InvalidCiphertextException))
	_, err = c.GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: sym.KeyId})
	check("public key of a symmetric key", err, new(*types.UnsupportedOperationException))
	_, err = c.ListKeys(ctx, &awskms.ListKeysInput{Marker: aws.String("nope")})
	check("bad marker", err, new(*types.InvalidMarkerException))
	_, err = c.CreateKey(ctx, &awskms.CreateKeyInput{KeySpec: types.KeySpecHmac256, KeyUsage: types.KeyUsageTypeGenerateVerifyMac})
	check("HMAC key", err, new(*types.UnsupportedOperationException))

	// Codes the SDK does not model arrive as generic API errors with the code.
	apiCode := func(name string, err error, code string) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code {
			t.Errorf("%s: %v, want API error %s", name, err, code)
		}
	}
	_, err = c.DeriveSharedSecret(ctx, &awskms.DeriveSharedSecretInput{KeyId: ec.KeyId, KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: []byte("not a key")})
	apiCode("bad public key", err, "InvalidPublicKeyException")
	_, err = c.GenerateRandom(ctx, &awskms.GenerateRandomInput{NumberOfBytes: aws.Int32(1025)})
	apiCode("too many random bytes", err, "ValidationException")

	// Credentials.
	_, err = newAWSClient(url, testAK, "wrong secret").ListKeys(ctx, &awskms.ListKeysInput{})
	apiCode("wrong secret", err, "InvalidSignatureException")
	_, err = newAWSClient(url, "UNKNOWNAK", testSK).ListKeys(ctx, &awskms.ListKeysInput{})
	apiCode("unknown access key", err, "UnrecognizedClientException")
}
