package interop

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2/model"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/kms"
	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/recipient"
)

// testPCR0 is PCR0 of the attestation test authority's default documents.
func testPCR0() string {
	h := sha512.Sum384([]byte("qtenclave test PCR0"))
	return hex.EncodeToString(h[:])
}

// wrongPCR0 is a document options whose PCR0 is not testPCR0.
func wrongPCR0() attestationtest.Options {
	pcr := func(s string) []byte { h := sha512.Sum384([]byte(s)); return h[:] }
	return attestationtest.Options{PCRs: map[int][]byte{0: pcr("another image"), 1: pcr("qtenclave test PCR1"), 2: pcr("qtenclave test PCR2")}}
}

// enclaveKeyPolicy is a key policy as AWS documents it for Nitro enclaves:
// the account may administer the key, and may use it to release secrets
// only to a recipient whose image digest (PCR0) is the enclave's.
func enclaveKeyPolicy(account, condition, value string) string {
	secret := `["kms:Decrypt","kms:DeriveSharedSecret","kms:GenerateDataKey","kms:GenerateDataKeyPair"]`
	return `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable key administration",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::` + account + `:root"},
      "NotAction": ` + secret + `,
      "Resource": "*"
    },
    {
      "Sid": "Allow the enclave to use the key",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::` + account + `:role/data-processing"},
      "Action": ` + secret + `,
      "Resource": "*",
      "Condition": {"StringEqualsIgnoreCase": {"` + condition + `": "` + value + `"}}
    }
  ]
}`
}

// TestAWSKeyPolicy: the AWS SDK creates a key with a policy, reads it back,
// and sees Decrypt denied without a recipient, allowed with a matching
// document, denied with another PCR0; a bad policy is a typed
// MalformedPolicyDocumentException and changes nothing.
func TestAWSKeyPolicy(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/data-processing"
	c := newAWSClient(startKMSWith(t, kms.Options{Principal: role}), testAK, testSK)
	ctx := t.Context()
	enc := newEnclave(t)
	doc := enclaveKeyPolicy("111122223333", "kms:RecipientAttestation:ImageSha384", testPCR0())
	key, err := c.CreateKey(ctx, &awskms.CreateKeyInput{Policy: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
	id := key.KeyMetadata.KeyId
	if arn := aws.ToString(key.KeyMetadata.Arn); arn != "arn:aws:kms:us-east-1:111122223333:key/"+aws.ToString(id) {
		t.Errorf("key ARN %s", arn)
	}
	got, err := c.GetKeyPolicy(ctx, &awskms.GetKeyPolicyInput{KeyId: id, PolicyName: aws.String("default")})
	if err != nil || aws.ToString(got.Policy) != doc {
		t.Fatalf("GetKeyPolicy: %v, %q", err, aws.ToString(got.Policy))
	}
	names, err := c.ListKeyPolicies(ctx, &awskms.ListKeyPoliciesInput{KeyId: id})
	if err != nil || len(names.PolicyNames) != 1 || names.PolicyNames[0] != "default" {
		t.Fatalf("ListKeyPolicies: %v %v", names, err)
	}

	ct, err := c.Encrypt(ctx, &awskms.EncryptInput{KeyId: id, Plaintext: []byte("for the enclave only")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: ct.CiphertextBlob})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" ||
		ae.ErrorMessage() != "User: "+role+" is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/"+aws.ToString(id)+
			" because no resource-based policy allows the kms:Decrypt action" {
		t.Fatalf("Decrypt without a recipient: %v", err)
	}
	out, err := c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: ct.CiphertextBlob, Recipient: enc.awsRecipient(t, attestationtest.Options{Platform: attestation.QingTian})})
	if err != nil {
		t.Fatalf("Decrypt with the enclave's document: %v", err)
	}
	if out.Plaintext != nil || string(enc.open(t, out.CiphertextForRecipient, recipient.Open)) != "for the enclave only" {
		t.Fatalf("Decrypt with a recipient: %+v", out)
	}
	_, err = c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: ct.CiphertextBlob, Recipient: enc.awsRecipient(t, wrongPCR0())})
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("Decrypt with another image: %v", err)
	}

	// A policy the engine refuses: typed, and the old policy stays.
	_, err = c.PutKeyPolicy(ctx, &awskms.PutKeyPolicyInput{KeyId: id, Policy: aws.String(strings.Replace(doc, "StringEqualsIgnoreCase", "NumericEquals", 1))})
	var mp *types.MalformedPolicyDocumentException
	if !errors.As(err, &mp) {
		t.Fatalf("PutKeyPolicy of a bad policy: %v", err)
	}
	got, err = c.GetKeyPolicy(ctx, &awskms.GetKeyPolicyInput{KeyId: id})
	if err != nil || aws.ToString(got.Policy) != doc {
		t.Fatalf("the policy changed: %v", err)
	}
}

// iamEnclavePolicy is the Huawei IAM policy Huawei documents for QingTian
// enclaves (decryption only with PCR0), with the key management and
// derivation actions this test needs.
func iamEnclavePolicy(pcr0 string) string {
	return fmt.Sprintf(`{
  "Version": "1.1",
  "Statement": [
    {"Effect": "Allow", "Action": ["kms:cmk:create", "kms:cmk:get", "kms:cmk:list", "kms:cmk:getPublicKey", "kms:cmk:encrypt", "kms:dek:encrypt"]},
    {
      "Effect": "Allow",
      "Action": ["kms:cmk:decrypt", "kms:dek:decrypt", "kms:cmk:deriveSharedSecret"],
      "Resource": ["*"],
      "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation/PCR0": ["%s"]}}
    }
  ]
}`, pcr0)
}

// TestHuaweiIAMPolicy: through the server's IAM policy, the official Huawei
// SDK sees derive-shared-secret and decrypt-datakey denied without a
// recipient (403 KMS.0904) and derive-shared-secret allowed with a matching
// document; decrypt-datakey and decrypt-data with a recipient (which the
// SDK's models lack) go as signed requests of package huawei's client.
func TestHuaweiIAMPolicy(t *testing.T) {
	url := startKMSWith(t, kms.Options{HuaweiPolicies: [][]byte{[]byte(iamEnclavePolicy(testPCR0()))}})
	c := newHuaweiClient(t, url, testAK, testSK)
	enc := newEnclave(t)
	key := hwCreateKey(t, c, model.GetCreateKeyRequestBodyKeySpecEnum().EC_P256, hwUsage(t, "KEY_AGREEMENT"), nil)
	peer := base64.StdEncoding.EncodeToString(publicDER(t, readKey(t, "test_p256_key.pem")))
	ecdh := model.GetDeriveSharedSecretRequestBodyKeyAgreementAlgorithmEnum().ECDH
	oaep := "RSAES_OAEP_SHA_256"
	denied := func(what string, err error) {
		t.Helper()
		var se *sdkerr.ServiceResponseError
		if !errors.As(err, &se) || se.StatusCode != 403 || se.ErrorCode != "KMS.0904" || !strings.Contains(se.ErrorMessage, "is not authorized to perform") {
			t.Fatalf("%s: %v", what, err)
		}
	}

	_, err := c.DeriveSharedSecret(&model.DeriveSharedSecretRequest{Body: &model.DeriveSharedSecretRequestBody{KeyId: key, KeyAgreementAlgorithm: ecdh, PublicKey: peer}})
	denied("derive-shared-secret without a recipient", err)
	doc := base64.StdEncoding.EncodeToString(enc.document(t, attestationtest.Options{Platform: attestation.QingTian}))
	sealed, err := c.DeriveSharedSecret(&model.DeriveSharedSecretRequest{Body: &model.DeriveSharedSecretRequestBody{
		KeyId: key, KeyAgreementAlgorithm: ecdh, PublicKey: peer,
		Recipient: &model.Recipient{AttestationDocument: &doc, KeyEncryptionAlgorithm: &oaep},
	}})
	if err != nil || sealed.SharedSecret != nil || sealed.CiphertextRecipient == nil {
		t.Fatalf("derive-shared-secret with the enclave's document: %v", err)
	}
	wrong := base64.StdEncoding.EncodeToString(enc.document(t, wrongPCR0()))
	_, err = c.DeriveSharedSecret(&model.DeriveSharedSecretRequest{Body: &model.DeriveSharedSecretRequestBody{
		KeyId: key, KeyAgreementAlgorithm: ecdh, PublicKey: peer,
		Recipient: &model.Recipient{AttestationDocument: &wrong, KeyEncryptionAlgorithm: &oaep},
	}})
	denied("derive-shared-secret with another PCR0", err)

	// decrypt-datakey: denied through the SDK without a recipient; with
	// one, as a signed request.
	cmk := hwCreateKey(t, c, model.GetCreateKeyRequestBodyKeySpecEnum().AES_256, nil, nil)
	dek := make([]byte, 32)
	for i := range dek {
		dek[i] = byte(i)
	}
	digest := sha256.Sum256(dek)
	plain := hex.EncodeToString(append(append([]byte{}, dek...), digest[:]...))
	encd, err := c.EncryptDatakey(&model.EncryptDatakeyRequest{Body: &model.EncryptDatakeyRequestBody{KeyId: cmk, PlainText: plain, DatakeyPlainLength: "32"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DecryptDatakey(&model.DecryptDatakeyRequest{Body: &model.DecryptDatakeyRequestBody{KeyId: cmk, CipherText: *encd.CipherText, DatakeyCipherLength: "32"}})
	denied("decrypt-datakey without a recipient", err)
	signed := &huawei.Client{Endpoint: url, ProjectID: testProject, AccessKey: testAK, SecretKey: huawei.NewSecret(testSK)}
	r := &huawei.Recipient{AttestationDocument: doc, KeyEncryptionAlgorithm: oaep}
	dd, err := signed.DecryptDatakey(t.Context(), &huawei.DecryptDatakeyRequest{KeyID: cmk, CipherText: *encd.CipherText, DatakeyCipherLength: "32", Recipient: r})
	if err != nil || !dd.DataKey.IsZero() {
		t.Fatalf("decrypt-datakey with a recipient: %v", err)
	}
	env, err := base64.StdEncoding.DecodeString(dd.CiphertextRecipient)
	if err != nil || string(enc.open(t, env, recipient.Open)) != string(dek) {
		t.Fatalf("decrypt-datakey's envelope: %v", err)
	}
	// decrypt-data the same way.
	ed, err := c.EncryptData(&model.EncryptDataRequest{Body: &model.EncryptDataRequestBody{KeyId: cmk, PlainText: "sealed for PCR0"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DecryptData(&model.DecryptDataRequest{Body: &model.DecryptDataRequestBody{CipherText: *ed.CipherText}})
	denied("decrypt-data without a recipient", err)
	dt, err := signed.DecryptData(t.Context(), &huawei.DecryptDataRequest{CipherText: *ed.CipherText, Recipient: r})
	if err != nil || !dt.PlainText.IsZero() {
		t.Fatalf("decrypt-data with a recipient: %v", err)
	}
	env, err = base64.StdEncoding.DecodeString(dt.CiphertextRecipient)
	if err != nil || string(enc.open(t, env, recipient.Open)) != "sealed for PCR0" {
		t.Fatalf("decrypt-data's envelope: %v", err)
	}
}
