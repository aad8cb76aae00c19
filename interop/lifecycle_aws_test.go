package interop

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// requireAWSError checks that err is the AWS SDK's typed error *E.
func requireAWSError[E error](t *testing.T, what string, err error) {
	t.Helper()
	var e E
	if !errors.As(err, &e) {
		t.Fatalf("%s: want %T, got %v", what, e, err)
	}
}

// TestAWSLifecycle runs the key lifecycle through the AWS SDK: every state
// change, aliases (as KeyId too), tags, the description, and the import of
// key material with an expiry, with AWS's typed errors.
func TestAWSLifecycle(t *testing.T) {
	c := newAWSClient(startKMS(t), testAK, testSK)
	ctx := t.Context()
	key := awsCreateKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	id := key.KeyId

	// Disable, enable.
	if _, err := c.DisableKey(ctx, &awskms.DisableKeyInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Encrypt(ctx, &awskms.EncryptInput{KeyId: id, Plaintext: []byte("x")})
	requireAWSError[*types.DisabledException](t, "Encrypt on a disabled key", err)
	if _, err := c.EnableKey(ctx, &awskms.EnableKeyInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}

	// Schedule deletion, cancel it: the key is disabled.
	s, err := c.ScheduleKeyDeletion(ctx, &awskms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: aws.Int32(7)})
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyState != types.KeyStatePendingDeletion || aws.ToInt32(s.PendingWindowInDays) != 7 ||
		s.DeletionDate == nil || s.DeletionDate.Before(time.Now().Add(7*24*time.Hour-time.Minute)) {
		t.Errorf("ScheduleKeyDeletion: %+v", s)
	}
	d, err := c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: id})
	if err != nil {
		t.Fatal(err)
	}
	md := d.KeyMetadata
	if md.KeyState != types.KeyStatePendingDeletion || md.Enabled || md.DeletionDate == nil ||
		aws.ToInt32(md.PendingDeletionWindowInDays) != 7 || md.KeyManager != types.KeyManagerTypeCustomer {
		t.Errorf("DescribeKey pending deletion: %+v", md)
	}
	_, err = c.Encrypt(ctx, &awskms.EncryptInput{KeyId: id, Plaintext: []byte("x")})
	requireAWSError[*types.KMSInvalidStateException](t, "Encrypt pending deletion", err)
	_, err = c.ScheduleKeyDeletion(ctx, &awskms.ScheduleKeyDeletionInput{KeyId: id})
	requireAWSError[*types.KMSInvalidStateException](t, "ScheduleKeyDeletion twice", err)
	if _, err := c.CancelKeyDeletion(ctx, &awskms.CancelKeyDeletionInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	d, err = c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: id})
	if err != nil {
		t.Fatal(err)
	}
	if d.KeyMetadata.KeyState != types.KeyStateDisabled || d.KeyMetadata.DeletionDate != nil {
		t.Errorf("after CancelKeyDeletion: %+v", d.KeyMetadata)
	}
	_, err = c.CancelKeyDeletion(ctx, &awskms.CancelKeyDeletionInput{KeyId: id})
	requireAWSError[*types.KMSInvalidStateException](t, "CancelKeyDeletion of a disabled key", err)
	if _, err := c.EnableKey(ctx, &awskms.EnableKeyInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateKeyDescription(ctx, &awskms.UpdateKeyDescriptionInput{KeyId: id, Description: aws.String("updated")}); err != nil {
		t.Fatal(err)
	}

	// Aliases.
	if _, err := c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/interop"), TargetKeyId: id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/interop"), TargetKeyId: id})
	requireAWSError[*types.AlreadyExistsException](t, "CreateAlias twice", err)
	_, err = c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/aws/x"), TargetKeyId: id})
	requireAWSError[*types.InvalidAliasNameException](t, "CreateAlias alias/aws/", err)
	enc, err := c.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String("alias/interop"), Plaintext: []byte("by alias")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(enc.KeyId) != aws.ToString(key.Arn) {
		t.Errorf("Encrypt by alias names %s, want the key ARN", aws.ToString(enc.KeyId))
	}
	aliasARN := strings.TrimSuffix(aws.ToString(key.Arn), "key/"+aws.ToString(id)) + "alias/interop"
	d, err = c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(aliasARN)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.KeyMetadata.KeyId) != aws.ToString(id) || aws.ToString(d.KeyMetadata.Description) != "updated" {
		t.Errorf("DescribeKey by alias ARN: %+v", d.KeyMetadata)
	}
	la, err := c.ListAliases(ctx, &awskms.ListAliasesInput{KeyId: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(la.Aliases) != 1 || aws.ToString(la.Aliases[0].AliasArn) != aliasARN || aws.ToString(la.Aliases[0].TargetKeyId) != aws.ToString(id) ||
		la.Aliases[0].CreationDate == nil || la.Aliases[0].LastUpdatedDate == nil {
		t.Errorf("ListAliases: %+v", la.Aliases)
	}
	other := awsCreateKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	if _, err := c.UpdateAlias(ctx, &awskms.UpdateAliasInput{AliasName: aws.String("alias/interop"), TargetKeyId: other.KeyId}); err != nil {
		t.Fatal(err)
	}
	// The SDK's paginator walks the pages.
	if _, err := c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/interop-2"), TargetKeyId: id}); err != nil {
		t.Fatal(err)
	}
	var names []string
	p := awskms.NewListAliasesPaginator(c, &awskms.ListAliasesInput{Limit: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Aliases {
			names = append(names, aws.ToString(a.AliasName))
		}
	}
	if len(names) != 2 || names[0] != "alias/interop" || names[1] != "alias/interop-2" {
		t.Errorf("ListAliases pages: %v", names)
	}
	if _, err := c.DeleteAlias(ctx, &awskms.DeleteAliasInput{AliasName: aws.String("alias/interop-2")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteAlias(ctx, &awskms.DeleteAliasInput{AliasName: aws.String("alias/interop-2")})
	requireAWSError[*types.NotFoundException](t, "DeleteAlias twice", err)

	// Tags.
	if _, err := c.TagResource(ctx, &awskms.TagResourceInput{KeyId: id, Tags: []types.Tag{
		{TagKey: aws.String("env"), TagValue: aws.String("dev")}, {TagKey: aws.String("empty"), TagValue: aws.String("")},
	}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.TagResource(ctx, &awskms.TagResourceInput{KeyId: id, Tags: []types.Tag{{TagKey: aws.String("aws:x"), TagValue: aws.String("v")}}})
	requireAWSError[*types.TagException](t, "TagResource aws:", err)
	tags, err := c.ListResourceTags(ctx, &awskms.ListResourceTagsInput{KeyId: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 2 || aws.ToString(tags.Tags[1].TagKey) != "env" || aws.ToString(tags.Tags[1].TagValue) != "dev" {
		t.Errorf("ListResourceTags: %+v", tags.Tags)
	}
	if _, err := c.UntagResource(ctx, &awskms.UntagResourceInput{KeyId: id, TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}

	// Import with an expiry, then delete the material: pending import.
	ext, err := c.CreateKey(ctx, &awskms.CreateKeyInput{Origin: types.OriginTypeExternal})
	if err != nil {
		t.Fatal(err)
	}
	params, err := c.GetParametersForImport(ctx, &awskms.GetParametersForImportInput{KeyId: ext.KeyMetadata.KeyId,
		WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha256, WrappingKeySpec: types.WrappingKeySpecRsa2048})
	if err != nil {
		t.Fatal(err)
	}
	wrapped := wrapAESMaterial(t, params.PublicKey)
	validTo := time.Now().Add(time.Hour).Truncate(time.Second)
	if _, err := c.ImportKeyMaterial(ctx, &awskms.ImportKeyMaterialInput{KeyId: ext.KeyMetadata.KeyId, ImportToken: params.ImportToken,
		EncryptedKeyMaterial: wrapped, ExpirationModel: types.ExpirationModelTypeKeyMaterialExpires, ValidTo: &validTo}); err != nil {
		t.Fatal(err)
	}
	d, err = c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: ext.KeyMetadata.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	if d.KeyMetadata.KeyState != types.KeyStateEnabled || d.KeyMetadata.ExpirationModel != types.ExpirationModelTypeKeyMaterialExpires ||
		d.KeyMetadata.ValidTo == nil || !d.KeyMetadata.ValidTo.Equal(validTo) {
		t.Errorf("imported key: %+v", d.KeyMetadata)
	}
	if _, err := c.DeleteImportedKeyMaterial(ctx, &awskms.DeleteImportedKeyMaterialInput{KeyId: ext.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Encrypt(ctx, &awskms.EncryptInput{KeyId: ext.KeyMetadata.KeyId, Plaintext: []byte("x")})
	requireAWSError[*types.KMSInvalidStateException](t, "Encrypt without material", err)
	_, err = c.DeleteImportedKeyMaterial(ctx, &awskms.DeleteImportedKeyMaterialInput{KeyId: id})
	requireAWSError[*types.UnsupportedOperationException](t, "DeleteImportedKeyMaterial of an AWS_KMS key", err)
}

// wrapAESMaterial returns random AES-256 key material encrypted with
// RSAES_OAEP_SHA_256 under the wrapping key of GetParametersForImport (DER
// SubjectPublicKeyInfo).
func wrapAESMaterial(t *testing.T, wrappingKey []byte) []byte {
	t.Helper()
	pub, err := x509.ParsePKIXPublicKey(wrappingKey)
	if err != nil {
		t.Fatal(err)
	}
	material := make([]byte, 32)
	rand.Read(material)
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), material, nil)
	if err != nil {
		t.Fatal(err)
	}
	return wrapped
}
