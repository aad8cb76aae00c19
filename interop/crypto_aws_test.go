package interop

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// The AWS SDK for Go v2 runs the cryptographic operations of issue 12
// against the local KMS: CreateKey's spec and usage combinations, Sign and
// Verify, RSA and SM2 Encrypt and Decrypt, ReEncrypt, and the data keys
// without plaintext, with the typed errors AWS documents for each.

// hashOf returns the hash of msg that alg signs, and the hash.
func hashOf(alg types.SigningAlgorithmSpec, msg []byte) (crypto.Hash, []byte) {
	switch {
	case strings.HasSuffix(string(alg), "384"):
		h := sha512.Sum384(msg)
		return crypto.SHA384, h[:]
	case strings.HasSuffix(string(alg), "512"):
		h := sha512.Sum512(msg)
		return crypto.SHA512, h[:]
	}
	h := sha256.Sum256(msg)
	return crypto.SHA256, h[:]
}

// verifyOutside verifies an RSA or NIST ECDSA signature with the standard
// library and the public key of GetPublicKey (secp256k1 and SM2 are checked
// against OpenSSL in the kms package).
func verifyOutside(t *testing.T, spki []byte, alg types.SigningAlgorithmSpec, msg, sig []byte) {
	t.Helper()
	pub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		return // secp256k1, SM2
	}
	h, digest := hashOf(alg, msg)
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		if strings.Contains(string(alg), "PSS") {
			err = rsa.VerifyPSS(pub, h, digest, sig, &rsa.PSSOptions{SaltLength: h.Size()})
		} else {
			err = rsa.VerifyPKCS1v15(pub, h, digest, sig)
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest, sig) {
			err = errors.New("ECDSA signature does not verify")
		}
	}
	if err != nil {
		t.Errorf("%s: %v", alg, err)
	}
}

func TestAWSSignVerify(t *testing.T) {
	c := newAWSClient(startKMS(t), testAK, testSK)
	ctx := t.Context()
	msg := []byte("signed through the AWS SDK")
	for _, spec := range []types.KeySpec{types.KeySpecRsa2048, types.KeySpecEccNistP256, types.KeySpecEccNistP384, types.KeySpecEccNistP521, types.KeySpecEccSecgP256k1, types.KeySpecSm2} {
		key := awsCreateKey(t, c, spec, types.KeyUsageTypeSignVerify)
		if len(key.SigningAlgorithms) == 0 || key.EncryptionAlgorithms != nil {
			t.Fatalf("%s: %+v", spec, key)
		}
		pk, err := c.GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: key.Arn})
		if err != nil {
			t.Fatal(err)
		}
		if len(pk.SigningAlgorithms) != len(key.SigningAlgorithms) || pk.KeyUsage != types.KeyUsageTypeSignVerify {
			t.Errorf("%s: GetPublicKey %+v", spec, pk)
		}
		for _, alg := range key.SigningAlgorithms {
			s, err := c.Sign(ctx, &awskms.SignInput{KeyId: key.KeyId, Message: msg, SigningAlgorithm: alg})
			if err != nil {
				t.Fatalf("%s %s: %v", spec, alg, err)
			}
			if s.SigningAlgorithm != alg || aws.ToString(s.KeyId) != aws.ToString(key.Arn) {
				t.Errorf("%s %s: %+v", spec, alg, s)
			}
			verifyOutside(t, pk.PublicKey, alg, msg, s.Signature)
			v, err := c.Verify(ctx, &awskms.VerifyInput{KeyId: key.Arn, Message: msg, Signature: s.Signature, SigningAlgorithm: alg, MessageType: types.MessageTypeRaw})
			if err != nil || !v.SignatureValid {
				t.Errorf("%s %s: Verify: %v", spec, alg, err)
			}
			bad := bytes.Clone(s.Signature)
			bad[len(bad)-1] ^= 0x10
			_, err = c.Verify(ctx, &awskms.VerifyInput{KeyId: key.KeyId, Message: msg, Signature: bad, SigningAlgorithm: alg})
			var ise *types.KMSInvalidSignatureException
			if !errors.As(err, &ise) {
				t.Errorf("%s %s: a bad signature: %v", spec, alg, err)
			}
			if alg == types.SigningAlgorithmSpecSm2dsa {
				continue
			}
			_, digest := hashOf(alg, msg)
			d, err := c.Sign(ctx, &awskms.SignInput{KeyId: key.KeyId, Message: digest, MessageType: types.MessageTypeDigest, SigningAlgorithm: alg})
			if err != nil {
				t.Fatalf("%s %s DIGEST: %v", spec, alg, err)
			}
			verifyOutside(t, pk.PublicKey, alg, msg, d.Signature)
		}
	}
	sym := awsCreateKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	_, err := c.Sign(ctx, &awskms.SignInput{KeyId: sym.KeyId, Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
	var iku *types.InvalidKeyUsageException
	if !errors.As(err, &iku) {
		t.Errorf("Sign with a symmetric key: %v", err)
	}
}

func TestAWSAsymmetricEncryption(t *testing.T) {
	c := newAWSClient(startKMS(t), testAK, testSK)
	ctx := t.Context()
	pt := []byte("for the RSA key")
	for _, tc := range []struct {
		spec types.KeySpec
		algs []types.EncryptionAlgorithmSpec
	}{
		{types.KeySpecRsa2048, []types.EncryptionAlgorithmSpec{types.EncryptionAlgorithmSpecRsaesOaepSha1, types.EncryptionAlgorithmSpecRsaesOaepSha256}},
		{types.KeySpecRsa3072, []types.EncryptionAlgorithmSpec{types.EncryptionAlgorithmSpecRsaesOaepSha256}},
		{types.KeySpecSm2, []types.EncryptionAlgorithmSpec{types.EncryptionAlgorithmSpecSm2pke}},
	} {
		key := awsCreateKey(t, c, tc.spec, types.KeyUsageTypeEncryptDecrypt)
		pk, err := c.GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: key.KeyId})
		if err != nil {
			t.Fatal(err)
		}
		if len(pk.EncryptionAlgorithms) == 0 || len(key.EncryptionAlgorithms) != len(pk.EncryptionAlgorithms) {
			t.Errorf("%s: %v / %v", tc.spec, key.EncryptionAlgorithms, pk.EncryptionAlgorithms)
		}
		for _, alg := range tc.algs {
			enc, err := c.Encrypt(ctx, &awskms.EncryptInput{KeyId: key.KeyId, Plaintext: pt, EncryptionAlgorithm: alg})
			if err != nil {
				t.Fatalf("%s %s: %v", tc.spec, alg, err)
			}
			if enc.EncryptionAlgorithm != alg {
				t.Errorf("%s: %+v", alg, enc)
			}
			dec, err := c.Decrypt(ctx, &awskms.DecryptInput{KeyId: key.Arn, CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: alg})
			if err != nil || !bytes.Equal(dec.Plaintext, pt) || dec.EncryptionAlgorithm != alg {
				t.Errorf("%s %s: Decrypt: %v", tc.spec, alg, err)
			}
			if pub, err := x509.ParsePKIXPublicKey(pk.PublicKey); err == nil && alg == types.EncryptionAlgorithmSpecRsaesOaepSha256 {
				// A ciphertext made outside the KMS with the public key.
				ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), pt, nil)
				if err != nil {
					t.Fatal(err)
				}
				dec, err := c.Decrypt(ctx, &awskms.DecryptInput{KeyId: key.KeyId, CiphertextBlob: ct, EncryptionAlgorithm: alg})
				if err != nil || !bytes.Equal(dec.Plaintext, pt) {
					t.Errorf("%s: Decrypt of an outside ciphertext: %v", tc.spec, err)
				}
			}
			_, err = c.Decrypt(ctx, &awskms.DecryptInput{KeyId: key.KeyId, CiphertextBlob: enc.CiphertextBlob})
			var iku *types.InvalidKeyUsageException
			if !errors.As(err, &iku) {
				t.Errorf("%s: Decrypt without EncryptionAlgorithm: %v", tc.spec, err)
			}
			bad := bytes.Clone(enc.CiphertextBlob)
			bad[5] ^= 1
			_, err = c.Decrypt(ctx, &awskms.DecryptInput{KeyId: key.KeyId, CiphertextBlob: bad, EncryptionAlgorithm: alg})
			var ice *types.InvalidCiphertextException
			if !errors.As(err, &ice) {
				t.Errorf("%s: a changed ciphertext: %v", tc.spec, err)
			}
		}
	}
	// Decrypt with another key's KeyId: IncorrectKeyException.
	a := awsCreateKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	b := awsCreateKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	enc, err := c.Encrypt(ctx, &awskms.EncryptInput{KeyId: a.KeyId, Plaintext: pt})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Decrypt(ctx, &awskms.DecryptInput{KeyId: b.KeyId, CiphertextBlob: enc.CiphertextBlob})
	var ike *types.IncorrectKeyException
	if !errors.As(err, &ike) {
		t.Errorf("Decrypt with another KeyId: %v", err)
	}
}

func TestAWSReEncryptAndWithoutPlaintext(t *testing.T) {
	c := newAWSClient(startKMS(t), testAK, testSK)
	ctx := t.Context()
	a := awsCreateKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	b := awsCreateKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	r := awsCreateKey(t, c, types.KeySpecRsa2048, types.KeyUsageTypeEncryptDecrypt)

	dk, err := c.GenerateDataKeyWithoutPlaintext(ctx, &awskms.GenerateDataKeyWithoutPlaintextInput{KeyId: a.KeyId, KeySpec: types.DataKeySpecAes256, EncryptionContext: map[string]string{"k": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(dk.KeyId) != aws.ToString(a.Arn) || len(dk.CiphertextBlob) == 0 {
		t.Errorf("GenerateDataKeyWithoutPlaintext: %+v", dk)
	}
	re, err := c.ReEncrypt(ctx, &awskms.ReEncryptInput{CiphertextBlob: dk.CiphertextBlob, SourceEncryptionContext: map[string]string{"k": "a"},
		DestinationKeyId: b.Arn, DestinationEncryptionContext: map[string]string{"k": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(re.SourceKeyId) != aws.ToString(a.Arn) || aws.ToString(re.KeyId) != aws.ToString(b.Arn) ||
		re.SourceEncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault || re.DestinationEncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault {
		t.Errorf("ReEncrypt: %+v", re)
	}
	dec, err := c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: re.CiphertextBlob, EncryptionContext: map[string]string{"k": "b"}})
	if err != nil || len(dec.Plaintext) != 32 {
		t.Fatalf("Decrypt of the re-encrypted data key: %v", err)
	}
	toRSA, err := c.ReEncrypt(ctx, &awskms.ReEncryptInput{CiphertextBlob: re.CiphertextBlob, SourceKeyId: b.KeyId, SourceEncryptionContext: map[string]string{"k": "b"},
		DestinationKeyId: r.KeyId, DestinationEncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	if err != nil {
		t.Fatal(err)
	}
	rsaDec, err := c.Decrypt(ctx, &awskms.DecryptInput{KeyId: r.KeyId, CiphertextBlob: toRSA.CiphertextBlob, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	if err != nil || !bytes.Equal(rsaDec.Plaintext, dec.Plaintext) {
		t.Errorf("ReEncrypt to RSA: %v", err)
	}
	_, err = c.ReEncrypt(ctx, &awskms.ReEncryptInput{CiphertextBlob: re.CiphertextBlob, SourceKeyId: a.KeyId, DestinationKeyId: a.KeyId})
	var ike *types.IncorrectKeyException
	if !errors.As(err, &ike) {
		t.Errorf("ReEncrypt with another SourceKeyId: %v", err)
	}

	for _, spec := range []types.DataKeyPairSpec{types.DataKeyPairSpecEccNistP256, types.DataKeyPairSpecRsa2048, types.DataKeyPairSpecSm2} {
		out, err := c.GenerateDataKeyPairWithoutPlaintext(ctx, &awskms.GenerateDataKeyPairWithoutPlaintextInput{KeyId: a.KeyId, KeyPairSpec: spec})
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if out.KeyPairSpec != spec || len(out.PublicKey) == 0 || len(out.PrivateKeyCiphertextBlob) == 0 {
			t.Errorf("%s: %+v", spec, out)
		}
		if _, err := c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: out.PrivateKeyCiphertextBlob}); err != nil {
			t.Errorf("%s: the private key does not decrypt: %v", spec, err)
		}
	}
}
