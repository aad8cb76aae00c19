package interop

import (
	"errors"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2/model"

	"github.com/qtenclave/qtenclave/kms/huawei"
)

// requireHuaweiCode checks that err is the SDK's ServiceResponseError with
// that error_code.
func requireHuaweiCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) || se.ErrorCode != code {
		t.Fatalf("%s: want %s, got %v", what, code, err)
	}
}

// TestHuaweiLifecycle runs the key lifecycle through the official Huawei
// SDK: enable-key, disable-key, schedule-key-deletion (DeleteKey),
// cancel-key-deletion, update-key-alias, update-key-description,
// delete-imported-key-material, the alias APIs and the tag APIs, with
// Huawei's codes.
func TestHuaweiLifecycle(t *testing.T) {
	c := newHuaweiClient(t, startKMS(t), testAK, testSK)
	specs := model.GetCreateKeyRequestBodyKeySpecEnum()
	id := hwCreateKey(t, c, specs.AES_256, nil, nil)
	op := func() *model.OperateKeyRequestBody { return &model.OperateKeyRequestBody{KeyId: id} }

	dis, err := c.DisableKey(&model.DisableKeyRequest{Body: op()})
	if err != nil {
		t.Fatal(err)
	}
	if *dis.KeyInfo.KeyState != "3" || *dis.KeyInfo.KeyId != id {
		t.Errorf("disable-key: %+v", dis.KeyInfo)
	}
	_, err = c.EncryptData(&model.EncryptDataRequest{Body: &model.EncryptDataRequestBody{KeyId: id, PlainText: "x"}})
	requireHuaweiCode(t, "encrypt-data on a disabled key", err, "KMS.0209")
	_, err = c.DisableKey(&model.DisableKeyRequest{Body: op()})
	requireHuaweiCode(t, "disable-key twice", err, "KMS.1301")
	en, err := c.EnableKey(&model.EnableKeyRequest{Body: op()})
	if err != nil {
		t.Fatal(err)
	}
	if *en.KeyInfo.KeyState != "2" {
		t.Errorf("enable-key: %+v", en.KeyInfo)
	}
	_, err = c.EnableKey(&model.EnableKeyRequest{Body: op()})
	requireHuaweiCode(t, "enable-key twice", err, "KMS.1201")

	del, err := c.DeleteKey(&model.DeleteKeyRequest{Body: &model.ScheduleKeyDeletionRequestBody{KeyId: id, PendingDays: "7"}})
	if err != nil {
		t.Fatal(err)
	}
	if *del.KeyState != "4" {
		t.Errorf("schedule-key-deletion: %+v", del)
	}
	_, err = c.DeleteKey(&model.DeleteKeyRequest{Body: &model.ScheduleKeyDeletionRequestBody{KeyId: id, PendingDays: "7"}})
	requireHuaweiCode(t, "schedule-key-deletion twice", err, "KMS.1402")
	_, err = c.EncryptData(&model.EncryptDataRequest{Body: &model.EncryptDataRequestBody{KeyId: id, PlainText: "x"}})
	requireHuaweiCode(t, "encrypt-data pending deletion", err, "KMS.0210")
	d, err := c.ListKeyDetail(&model.ListKeyDetailRequest{Body: op()})
	if err != nil {
		t.Fatal(err)
	}
	if *d.KeyInfo.KeyState != "4" || d.KeyInfo.ScheduledDeletionDate == nil || *d.KeyInfo.ScheduledDeletionDate == "" {
		t.Errorf("describe-key pending deletion: %+v", d.KeyInfo)
	}
	state := "4"
	keys, err := c.ListKeys(&model.ListKeysRequest{Body: &model.ListKeysRequestBody{KeyState: &state}})
	if err != nil {
		t.Fatal(err)
	}
	if len(*keys.Keys) != 1 || (*keys.Keys)[0] != id {
		t.Errorf("list-keys key_state 4: %v", *keys.Keys)
	}
	cancel, err := c.CancelKeyDeletion(&model.CancelKeyDeletionRequest{Body: op()})
	if err != nil {
		t.Fatal(err)
	}
	if *cancel.KeyState != "3" {
		t.Errorf("cancel-key-deletion: %+v", cancel)
	}
	_, err = c.CancelKeyDeletion(&model.CancelKeyDeletionRequest{Body: op()})
	requireHuaweiCode(t, "cancel-key-deletion twice", err, "KMS.1501")
	if _, err := c.EnableKey(&model.EnableKeyRequest{Body: op()}); err != nil {
		t.Fatal(err)
	}

	ua, err := c.UpdateKeyAlias(&model.UpdateKeyAliasRequest{Body: &model.UpdateKeyAliasRequestBody{KeyId: id, KeyAlias: "renamed"}})
	if err != nil {
		t.Fatal(err)
	}
	if *ua.KeyInfo.KeyAlias != "renamed" {
		t.Errorf("update-key-alias: %+v", ua.KeyInfo)
	}
	ud, err := c.UpdateKeyDescription(&model.UpdateKeyDescriptionRequest{Body: &model.UpdateKeyDescriptionRequestBody{KeyId: id, KeyDescription: "described"}})
	if err != nil {
		t.Fatal(err)
	}
	if *ud.KeyInfo.KeyDescription != "described" {
		t.Errorf("update-key-description: %+v", ud.KeyInfo)
	}

	// Aliases.
	ca, err := c.CreateAlias(&model.CreateAliasRequest{Body: &model.CreateAliasRequestBody{KeyId: id, Alias: "kms-interop"}})
	if err != nil {
		t.Fatal(err)
	}
	if *ca.KeyId != id || *ca.Alias != "kms-interop" || *ca.AliasUrn == "" || *ca.CreateTime == "" {
		t.Errorf("create-alias: %+v", ca)
	}
	_, err = c.CreateAlias(&model.CreateAliasRequest{Body: &model.CreateAliasRequestBody{KeyId: id, Alias: "kms-interop"}})
	requireHuaweiCode(t, "create-alias twice", err, "KMS.1104")
	la, err := c.ListAliases(&model.ListAliasesRequest{KeyId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if la.Body == nil || len(*la.Body) != 1 || len((*la.Body)[0].Aliases) != 1 || (*la.Body)[0].Aliases[0].Alias != "kms-interop" {
		t.Errorf("list-aliases: %+v", la.Body)
	}
	other := hwCreateKey(t, c, specs.AES_256, nil, nil)
	as, err := c.AssociateAlias(&model.AssociateAliasRequest{Body: &model.AssociateAliasRequestBody{Alias: "kms-interop", TargetKeyId: other}})
	if err != nil {
		t.Fatal(err)
	}
	if *as.KeyId != other {
		t.Errorf("associate-alias: %+v", as)
	}
	if _, err := c.DeleteAlias(&model.DeleteAliasRequest{Body: &model.DeleteAliasRequestBody{KeyId: other, Aliases: []string{"kms-interop"}}}); err != nil {
		t.Fatal(err)
	}

	// Tags.
	v := "dev"
	if _, err := c.CreateKmsTag(&model.CreateKmsTagRequest{KeyId: id, Body: &model.CreateKmsTagRequestBody{Tag: &model.TagItem{Key: "env", Value: &v}}}); err != nil {
		t.Fatal(err)
	}
	team := "x"
	if _, err := c.BatchCreateKmsTags(&model.BatchCreateKmsTagsRequest{KeyId: other, Body: &model.BatchCreateKmsTagsRequestBody{
		Action: "create", Tags: []model.TagItem{{Key: "team", Value: &team}},
	}}); err != nil {
		t.Fatal(err)
	}
	st, err := c.ShowKmsTags(&model.ShowKmsTagsRequest{KeyId: id})
	if err != nil {
		t.Fatal(err)
	}
	if st.Tags == nil || len(*st.Tags) != 1 || (*st.Tags)[0].Key != "env" || *(*st.Tags)[0].Value != "dev" || *st.ExistTagsNum != 1 {
		t.Errorf("show-kms-tags: %+v", st)
	}
	lt, err := c.ListKmsTags(&model.ListKmsTagsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if lt.Tags == nil || len(*lt.Tags) != 2 || *(*lt.Tags)[0].Key != "env" || *(*lt.Tags)[1].Key != "team" {
		t.Errorf("list-kms-tags: %+v", lt.Tags)
	}
	if _, err := c.DeleteTag(&model.DeleteTagRequest{KeyId: id, Key: "env"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteTag(&model.DeleteTagRequest{KeyId: id, Key: "env"})
	requireHuaweiCode(t, "delete-kms-tag twice", err, "KMS.0701")

	// delete-imported-key-material: the key is pending import again and
	// takes material again.
	external := model.GetCreateKeyRequestBodyOriginEnum().EXTERNAL
	ext := hwCreateKey(t, c, specs.AES_256, nil, &external)
	hwImport(t, c, ext)
	if _, err := c.DeleteImportedKeyMaterial(&model.DeleteImportedKeyMaterialRequest{Body: &model.OperateKeyRequestBody{KeyId: ext}}); err != nil {
		t.Fatal(err)
	}
	d, err = c.ListKeyDetail(&model.ListKeyDetailRequest{Body: &model.OperateKeyRequestBody{KeyId: ext}})
	if err != nil {
		t.Fatal(err)
	}
	if *d.KeyInfo.KeyState != "5" {
		t.Errorf("after delete-imported-key-material: %+v", d.KeyInfo)
	}
	hwImport(t, c, ext)
	_, err = c.DeleteImportedKeyMaterial(&model.DeleteImportedKeyMaterialRequest{Body: op()})
	requireHuaweiCode(t, "delete-imported-key-material of a kms key", err, "KMS.0309")
}

// hwImport imports random AES-256 material into an external key.
func hwImport(t *testing.T, c interface {
	CreateParametersForImport(*model.CreateParametersForImportRequest) (*model.CreateParametersForImportResponse, error)
	ImportKeyMaterial(*model.ImportKeyMaterialRequest) (*model.ImportKeyMaterialResponse, error)
}, key string) {
	t.Helper()
	params, err := c.CreateParametersForImport(&model.CreateParametersForImportRequest{Body: &model.GetParametersForImportRequestBody{
		KeyId: key, WrappingAlgorithm: model.GetGetParametersForImportRequestBodyWrappingAlgorithmEnum().RSAES_OAEP_SHA_256,
	}})
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := huawei.WrapKeyMaterial(&huawei.GetParametersForImportResponse{
		KeyID: *params.KeyId, ImportToken: *params.ImportToken, ExpirationTime: *params.ExpirationTime, PublicKey: *params.PublicKey,
	}, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ImportKeyMaterial(&model.ImportKeyMaterialRequest{Body: &model.ImportKeyMaterialRequestBody{
		KeyId: wrapped.KeyID, ImportToken: wrapped.ImportToken, EncryptedKeyMaterial: wrapped.EncryptedKeyMaterial,
	}}); err != nil {
		t.Fatal(err)
	}
}
