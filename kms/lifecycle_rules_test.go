package kms

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/kms/huawei"
)

// TestAWSAliasRules checks AWS's alias rules: the alias/ prefix and pattern,
// the reserved alias/aws/, uniqueness, and UpdateAlias, DeleteAlias and
// ListAliases with its KeyId filter and pagination.
func TestAWSAliasRules(t *testing.T) {
	k := newTestKMS(t, Options{})
	a, _ := k.awsCreateKey(t, "SYMMETRIC_DEFAULT", "")
	b, _ := k.awsCreateKey(t, "SYMMETRIC_DEFAULT", "")
	for _, tc := range []struct {
		name, alias, target, want string
	}{
		{"ok", "alias/app-1", a, ""},
		{"slash in name", "alias/team/app_2", a, ""},
		{"taken", "alias/app-1", b, "AlreadyExistsException"},
		{"no prefix", "app-3", a, "InvalidAliasNameException"},
		{"prefix only", "alias/", a, "InvalidAliasNameException"},
		{"bad character", "alias/app 3", a, "InvalidAliasNameException"},
		{"too long", "alias/" + strings.Repeat("a", 251), a, "InvalidAliasNameException"},
		{"reserved", "alias/aws/s3", a, "InvalidAliasNameException"},
		{"missing", "", a, "ValidationException"},
		{"target is an alias", "alias/app-4", "alias/app-1", "NotFoundException"},
		{"no such target", "alias/app-5", "00000000-0000-4000-8000-000000000000", "NotFoundException"},
		{"256 characters", "alias/" + strings.Repeat("a", 250), b, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, code, _ := k.awsCode(t, "CreateAlias", map[string]any{"AliasName": tc.alias, "TargetKeyId": tc.target})
			require.Equal(t, tc.want, code)
		})
	}

	// The aliases of a, in name order, with their ARNs and dates.
	out := k.aws(t, "ListAliases", map[string]any{"KeyId": a})
	list := out["Aliases"].([]any)
	require.Len(t, list, 2)
	first := list[0].(map[string]any)
	require.Equal(t, "alias/app-1", first["AliasName"])
	require.Equal(t, "arn:aws:kms:us-east-1:000000000000:alias/app-1", first["AliasArn"])
	require.Equal(t, a, first["TargetKeyId"])
	require.NotZero(t, first["CreationDate"])
	require.NotZero(t, first["LastUpdatedDate"])

	// Pagination over all three aliases, one per page.
	var names []string
	marker := ""
	for {
		req := map[string]any{"Limit": 1}
		if marker != "" {
			req["Marker"] = marker
		}
		out := k.aws(t, "ListAliases", req)
		for _, e := range out["Aliases"].([]any) {
			names = append(names, e.(map[string]any)["AliasName"].(string))
		}
		if out["Truncated"] != true {
			break
		}
		marker = out["NextMarker"].(string)
	}
	require.Equal(t, []string{"alias/" + strings.Repeat("a", 250), "alias/app-1", "alias/team/app_2"}, names)
	_, code, _ := k.awsCode(t, "ListAliases", map[string]any{"Marker": "nope"})
	require.Equal(t, "InvalidMarkerException", code)
	_, code, _ = k.awsCode(t, "ListAliases", map[string]any{"Limit": 101})
	require.Equal(t, "ValidationException", code)

	// UpdateAlias moves it; DeleteAlias removes it.
	k.aws(t, "UpdateAlias", map[string]any{"AliasName": "alias/app-1", "TargetKeyId": b})
	md := k.aws(t, "DescribeKey", map[string]any{"KeyId": "alias/app-1"})["KeyMetadata"].(map[string]any)
	require.Equal(t, b, md["KeyId"])
	_, code, _ = k.awsCode(t, "UpdateAlias", map[string]any{"AliasName": "alias/none", "TargetKeyId": b})
	require.Equal(t, "NotFoundException", code)
	k.aws(t, "DeleteAlias", map[string]any{"AliasName": "alias/app-1"})
	_, code, _ = k.awsCode(t, "DeleteAlias", map[string]any{"AliasName": "alias/app-1"})
	require.Equal(t, "NotFoundException", code)
	_, code, _ = k.awsCode(t, "DescribeKey", map[string]any{"KeyId": "alias/app-1"})
	require.Equal(t, "NotFoundException", code)
}

// TestAWSAliasAsKeyID checks where an alias (name or ARN) names a key: the
// cryptographic operations and DescribeKey, GetPublicKey; not the
// operations that AWS documents as taking a key ID or key ARN only.
func TestAWSAliasAsKeyID(t *testing.T) {
	k := newTestKMS(t, Options{})
	id, arn := k.awsCreateKey(t, "SYMMETRIC_DEFAULT", "")
	ec, _ := k.awsCreateKey(t, "ECC_NIST_P256", "KEY_AGREEMENT")
	k.aws(t, "CreateAlias", map[string]any{"AliasName": "alias/sym", "TargetKeyId": id})
	k.aws(t, "CreateAlias", map[string]any{"AliasName": "alias/ec", "TargetKeyId": ec})
	aliasARN := "arn:aws:kms:us-east-1:000000000000:alias/sym"

	for _, ref := range []string{"alias/sym", aliasARN} {
		out := k.aws(t, "Encrypt", map[string]any{"KeyId": ref, "Plaintext": "eA=="})
		require.Equal(t, arn, out["KeyId"], "the key's ARN, not the alias")
		blob := out["CiphertextBlob"].(string)
		out = k.aws(t, "Decrypt", map[string]any{"KeyId": ref, "CiphertextBlob": blob})
		require.Equal(t, "eA==", out["Plaintext"])
		k.aws(t, "GenerateDataKey", map[string]any{"KeyId": ref, "KeySpec": "AES_256"})
		k.aws(t, "GenerateDataKeyPair", map[string]any{"KeyId": ref, "KeyPairSpec": "ECC_NIST_P256"})
		md := k.aws(t, "DescribeKey", map[string]any{"KeyId": ref})["KeyMetadata"].(map[string]any)
		require.Equal(t, id, md["KeyId"])
	}
	k.aws(t, "GetPublicKey", map[string]any{"KeyId": "alias/ec"})
	k.aws(t, "DeriveSharedSecret", map[string]any{"KeyId": "alias/ec", "KeyAgreementAlgorithm": "ECDH", "PublicKey": peerSPKI(t)})

	// Decrypt with another key's alias: the ciphertext is not that key's.
	blob := k.aws(t, "Encrypt", map[string]any{"KeyId": id, "Plaintext": "eA=="})["CiphertextBlob"].(string)
	other, _ := k.awsCreateKey(t, "SYMMETRIC_DEFAULT", "")
	k.aws(t, "CreateAlias", map[string]any{"AliasName": "alias/other", "TargetKeyId": other})
	_, code, _ := k.awsCode(t, "Decrypt", map[string]any{"KeyId": "alias/other", "CiphertextBlob": blob})
	require.NotEmpty(t, code)

	// An alias of another account, or one that does not exist.
	_, code, _ = k.awsCode(t, "Encrypt", map[string]any{"KeyId": "arn:aws:kms:us-east-1:111111111111:alias/sym", "Plaintext": "eA=="})
	require.Equal(t, "NotFoundException", code)
	_, code, _ = k.awsCode(t, "Encrypt", map[string]any{"KeyId": "alias/none", "Plaintext": "eA=="})
	require.Equal(t, "NotFoundException", code)

	// The operations that take a key ID or key ARN only.
	for op, extra := range map[string]map[string]any{
		"EnableKey": nil, "DisableKey": nil, "ScheduleKeyDeletion": nil, "CancelKeyDeletion": nil,
		"UpdateKeyDescription": {"Description": "d"}, "TagResource": {"Tags": []map[string]any{{"TagKey": "k", "TagValue": "v"}}},
		"UntagResource": {"TagKeys": []string{"k"}}, "ListResourceTags": nil, "GetKeyPolicy": nil, "ListKeyPolicies": nil,
		"GetParametersForImport":    {"WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"},
		"DeleteImportedKeyMaterial": nil, "ListAliases": nil,
	} {
		for _, ref := range []string{"alias/sym", aliasARN} {
			req := map[string]any{"KeyId": ref}
			for k, v := range extra {
				req[k] = v
			}
			_, code, _ := k.awsCode(t, op, req)
			require.Equal(t, "NotFoundException", code, "%s %s", op, ref)
		}
	}
	_, code, _ = k.awsCode(t, "CreateAlias", map[string]any{"AliasName": "alias/x", "TargetKeyId": "alias/sym"})
	require.Equal(t, "NotFoundException", code)
	md := k.aws(t, "DescribeKey", map[string]any{"KeyId": id})["KeyMetadata"].(map[string]any)
	require.Equal(t, "Enabled", md["KeyState"], "nothing was changed through an alias")
}

// TestAWSTagRules checks AWS's tag rules: key 1 to 128 characters, not
// aws:; value 0 to 256; at most 50 tags.
func TestAWSTagRules(t *testing.T) {
	k := newTestKMS(t, Options{})
	id, _ := k.awsCreateKey(t, "SYMMETRIC_DEFAULT", "")
	tag := func(key, value string) map[string]any { return map[string]any{"TagKey": key, "TagValue": value} }
	for _, tc := range []struct {
		name string
		tags []map[string]any
		want string
	}{
		{"ok", []map[string]any{tag("env", "dev"), tag("empty", "")}, ""},
		{"unicode", []map[string]any{tag("ключ", strings.Repeat("é", 256))}, ""},
		{"key 128", []map[string]any{tag(strings.Repeat("k", 128), "v")}, ""},
		{"key too long", []map[string]any{tag(strings.Repeat("k", 129), "v")}, "TagException"},
		{"empty key", []map[string]any{tag("", "v")}, "TagException"},
		{"value too long", []map[string]any{tag("k", strings.Repeat("v", 257))}, "TagException"},
		{"reserved", []map[string]any{tag("aws:name", "v")}, "TagException"},
		{"reserved upper case", []map[string]any{tag("AWS:name", "v")}, "TagException"},
		{"no value", []map[string]any{{"TagKey": "k"}}, "TagException"},
		{"twice", []map[string]any{tag("k", "1"), tag("k", "2")}, "TagException"},
		{"none", nil, "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, code, _ := k.awsCode(t, "TagResource", map[string]any{"KeyId": id, "Tags": tc.tags})
			require.Equal(t, tc.want, code)
		})
	}
	// A value replaces the value of its key.
	k.aws(t, "TagResource", map[string]any{"KeyId": id, "Tags": []map[string]any{tag("env", "prod")}})
	// Up to 50 tags: 4 so far, 46 more fit, one more does not.
	many := []map[string]any{}
	for i := range 46 {
		many = append(many, tag(fmt.Sprintf("t%02d", i), "v"))
	}
	k.aws(t, "TagResource", map[string]any{"KeyId": id, "Tags": many})
	_, code, _ := k.awsCode(t, "TagResource", map[string]any{"KeyId": id, "Tags": []map[string]any{tag("one-more", "v")}})
	require.Equal(t, "LimitExceededException", code)

	// ListResourceTags in key order, in pages.
	var got []string
	marker := ""
	for {
		req := map[string]any{"KeyId": id, "Limit": 20}
		if marker != "" {
			req["Marker"] = marker
		}
		out := k.aws(t, "ListResourceTags", req)
		for _, e := range out["Tags"].([]any) {
			m := e.(map[string]any)
			got = append(got, m["TagKey"].(string))
			if m["TagKey"] == "env" {
				require.Equal(t, "prod", m["TagValue"])
			}
		}
		if out["Truncated"] != true {
			break
		}
		marker = out["NextMarker"].(string)
	}
	require.Len(t, got, 50)
	require.IsNonDecreasing(t, got)

	// UntagResource ignores a key that is not there.
	k.aws(t, "UntagResource", map[string]any{"KeyId": id, "TagKeys": []string{"env", "not-there"}})
	out := k.aws(t, "ListResourceTags", map[string]any{"KeyId": id})
	require.Len(t, out["Tags"], 49)
	_, code, _ = k.awsCode(t, "UntagResource", map[string]any{"KeyId": id, "TagKeys": []string{"aws:x"}})
	require.Equal(t, "TagException", code)
}

// TestHuaweiAliasAndTagRules checks the Huawei alias and tag APIs: their
// paths and methods, rules and codes, with the package's client.
func TestHuaweiAliasAndTagRules(t *testing.T) {
	k := newTestKMS(t, Options{})
	ctx := t.Context()
	a := k.createKey(t, "AES_256", "", "")
	b := k.createKey(t, "AES_256", "", "")

	al, err := k.signed.CreateAlias(ctx, &huawei.CreateAliasRequest{KeyID: a, Alias: "kms-1234"})
	require.NoError(t, err)
	require.Equal(t, "kms:us-east-1:000000000000:alias:kms-1234", al.AliasURN)
	require.Equal(t, testProject, al.DomainID)
	require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, al.CreateTime)
	for _, tc := range []struct {
		name, key, alias, code string
	}{
		{"taken", b, "kms-1234", "KMS.1104"},
		{"bad character", a, "kms 1", "KMS.1101"},
		{"too long", a, strings.Repeat("a", 256), "KMS.1101"},
		{"missing", a, "", "KMS.0204"},
		{"bad key", "nope", "kms-2", "KMS.0205"},
		{"no such key", "00000000-0000-4000-8000-000000000000", "kms-2", "KMS.0701"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := k.client.CreateAlias(ctx, &huawei.CreateAliasRequest{KeyID: tc.key, Alias: tc.alias})
			var ae *huawei.APIError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, tc.code, ae.Code, ae.Message)
		})
	}
	_, err = k.client.CreateAlias(ctx, &huawei.CreateAliasRequest{KeyID: a, Alias: "kms-5678"})
	require.NoError(t, err)
	pages, err := k.client.ListAliases(ctx, &huawei.ListAliasesRequest{KeyID: a, Limit: "1"})
	require.NoError(t, err)
	require.Len(t, *pages, 1)
	require.Len(t, (*pages)[0].Aliases, 1)
	require.Equal(t, "1", (*pages)[0].PageInfo.NextMarker)
	pages, err = k.client.ListAliases(ctx, &huawei.ListAliasesRequest{KeyID: a, Marker: "1"})
	require.NoError(t, err)
	require.Equal(t, "kms-5678", (*pages)[0].Aliases[0].Alias)
	require.Empty(t, (*pages)[0].PageInfo.NextMarker)

	moved, err := k.client.AssociateAlias(ctx, &huawei.AssociateAliasRequest{Alias: "kms-1234", TargetKeyID: b})
	require.NoError(t, err)
	require.Equal(t, b, moved.KeyID)
	err = k.client.DeleteAlias(ctx, &huawei.DeleteAliasRequest{KeyID: a, Aliases: []string{"kms-1234"}})
	requireAPIError(t, err, 404, "KMS.0701")
	require.NoError(t, k.client.DeleteAlias(ctx, &huawei.DeleteAliasRequest{KeyID: b, Aliases: []string{"kms-1234"}}))
	pages, err = k.client.ListAliases(ctx, &huawei.ListAliasesRequest{})
	require.NoError(t, err)
	require.Len(t, (*pages)[0].Aliases, 1)

	// Tags.
	require.NoError(t, k.signed.CreateKMSTag(ctx, &huawei.CreateKMSTagRequest{KeyID: a, Tag: &huawei.TagItem{Key: "env", Value: "dev"}}))
	for _, tc := range []struct {
		name string
		tag  huawei.TagItem
		code string
	}{
		{"key too long", huawei.TagItem{Key: strings.Repeat("k", 37)}, "KMS.0406"},
		{"empty key", huawei.TagItem{Key: ""}, "KMS.0406"},
		{"value too long", huawei.TagItem{Key: "k", Value: strings.Repeat("v", 44)}, "KMS.0406"},
		{"forbidden character", huawei.TagItem{Key: "a=b"}, "KMS.0406"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tag := tc.tag
			err := k.client.CreateKMSTag(ctx, &huawei.CreateKMSTagRequest{KeyID: a, Tag: &tag})
			requireAPIError(t, err, 400, tc.code)
		})
	}
	require.NoError(t, k.client.BatchKMSTags(ctx, &huawei.BatchKMSTagsRequest{KeyID: b, Action: "create", Tags: []huawei.TagItem{{Key: "env", Value: "prod"}, {Key: "team", Value: "x"}}}))
	tags, err := k.client.ShowKMSTags(ctx, &huawei.KeyTagsRequest{KeyID: b})
	require.NoError(t, err)
	require.Equal(t, 2, tags.ExistTagsNum)
	require.Equal(t, []huawei.TagItem{{Key: "env", Value: "prod"}, {Key: "team", Value: "x"}}, tags.Tags)
	all, err := k.client.ListKMSTags(ctx, &huawei.ProjectTagsRequest{})
	require.NoError(t, err)
	require.Equal(t, []huawei.ProjectTag{{Key: "env", Values: []string{"dev", "prod"}}, {Key: "team", Values: []string{"x"}}}, all.Tags)
	require.NoError(t, k.signed.DeleteKMSTag(ctx, &huawei.DeleteKMSTagRequest{KeyID: b, Key: "team"}))
	requireAPIError(t, k.client.DeleteKMSTag(ctx, &huawei.DeleteKMSTagRequest{KeyID: b, Key: "team"}), 404, "KMS.0701")
	require.NoError(t, k.client.BatchKMSTags(ctx, &huawei.BatchKMSTagsRequest{KeyID: b, Action: "delete", Tags: []huawei.TagItem{{Key: "env"}}}))
	tags, err = k.client.ShowKMSTags(ctx, &huawei.KeyTagsRequest{KeyID: b})
	require.NoError(t, err)
	require.Empty(t, tags.Tags)
	err = k.client.BatchKMSTags(ctx, &huawei.BatchKMSTagsRequest{KeyID: b, Action: "update", Tags: []huawei.TagItem{{Key: "env"}}})
	requireAPIError(t, err, 400, "KMS.0308")

	// Methods: a path of a route with another method is 405; a query
	// parameter the route does not take is refused.
	status, code, _ := k.hwDo(t, http.MethodPut, "aliases", "")
	require.Equal(t, http.StatusMethodNotAllowed, status)
	require.Equal(t, "KMS.0201", code)
	status, code, _ = k.hwDo(t, http.MethodGet, "aliases?limit=1&other=2", "")
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "KMS.0201", code)
	status, code, _ = k.hwDo(t, http.MethodGet, "create-key", "")
	require.Equal(t, http.StatusMethodNotAllowed, status, code)
}

// TestHuaweiLifecycleFields checks the fields of the lifecycle operations:
// pending_days (KMS.1401), key_alias, key_description, and what
// describe-key and list-keys report.
func TestHuaweiLifecycleFields(t *testing.T) {
	k := newTestKMS(t, Options{})
	ctx := t.Context()
	id := k.createKey(t, "AES_256", "", "")
	for _, days := range []string{"6", "1097", "07", "x", "-7"} {
		_, err := k.client.ScheduleKeyDeletion(ctx, &huawei.ScheduleKeyDeletionRequest{KeyID: id, PendingDays: days})
		requireAPIError(t, err, 400, "KMS.1401")
	}
	_, err := k.client.ScheduleKeyDeletion(ctx, &huawei.ScheduleKeyDeletionRequest{KeyID: id})
	requireAPIError(t, err, 400, "KMS.0204")
	_, err = k.client.UpdateKeyAlias(ctx, &huawei.UpdateKeyAliasRequest{KeyID: id, KeyAlias: "bad alias"})
	requireAPIError(t, err, 400, "KMS.1101")
	_, err = k.client.UpdateKeyDescription(ctx, &huawei.UpdateKeyDescriptionRequest{KeyID: id, KeyDescription: strings.Repeat("d", 256)})
	requireAPIError(t, err, 400, "KMS.0308")

	ua, err := k.client.UpdateKeyAlias(ctx, &huawei.UpdateKeyAliasRequest{KeyID: id, KeyAlias: "renamed"})
	require.NoError(t, err)
	require.Equal(t, "renamed", ua.KeyInfo.KeyAlias)
	ud, err := k.client.UpdateKeyDescription(ctx, &huawei.UpdateKeyDescriptionRequest{KeyID: id, KeyDescription: "described"})
	require.NoError(t, err)
	require.Equal(t, "described", ud.KeyInfo.KeyDescription)
	s, err := k.client.ScheduleKeyDeletion(ctx, &huawei.ScheduleKeyDeletionRequest{KeyID: id, PendingDays: "1096"})
	require.NoError(t, err)
	require.Equal(t, huawei.KeyStateInfo{KeyID: id, KeyState: "4"}, *s)
	d, err := k.client.DescribeKey(ctx, &huawei.KeyRequest{KeyID: id})
	require.NoError(t, err)
	require.Equal(t, "renamed", d.KeyInfo.KeyAlias)
	require.Equal(t, "described", d.KeyInfo.KeyDescription)
	require.Equal(t, "4", d.KeyInfo.KeyState)
	require.NotEmpty(t, d.KeyInfo.ScheduledDeletionDate)
	require.Equal(t, "false", d.KeyInfo.KeyRotationEnabled)

	// list-keys' key_state filter sees every state.
	dis := k.createKey(t, "AES_256", "", "")
	_, err = k.client.DisableKey(ctx, &huawei.KeyRequest{KeyID: dis})
	require.NoError(t, err)
	ext := k.createKey(t, "AES_256", "", "external")
	for state, want := range map[string][]string{"2": {}, "3": {dis}, "4": {id}, "5": {ext}} {
		l, err := k.client.ListKeys(ctx, &huawei.ListKeysRequest{KeyState: state})
		require.NoError(t, err)
		if len(want) == 0 {
			require.Empty(t, l.Keys, state)
			continue
		}
		require.Equal(t, want, l.Keys, state)
	}
	c, err := k.client.CancelKeyDeletion(ctx, &huawei.KeyRequest{KeyID: id})
	require.NoError(t, err)
	require.Equal(t, "3", c.KeyState, "cancel returns the key to disabled")
	e, err := k.client.EnableKey(ctx, &huawei.KeyRequest{KeyID: id})
	require.NoError(t, err)
	require.Equal(t, "2", e.KeyInfo.KeyState)
}

// TestAWSLifecycleFields checks the members of the AWS lifecycle
// operations and what DescribeKey reports.
func TestAWSLifecycleFields(t *testing.T) {
	k := newTestKMS(t, Options{})
	id, arn := k.awsCreateKey(t, "SYMMETRIC_DEFAULT", "")
	for _, days := range []int{6, 31} {
		_, code, _ := k.awsCode(t, "ScheduleKeyDeletion", map[string]any{"KeyId": id, "PendingWindowInDays": days})
		require.Equal(t, "ValidationException", code)
	}
	k.aws(t, "UpdateKeyDescription", map[string]any{"KeyId": id, "Description": "described"})
	_, code, _ := k.awsCode(t, "UpdateKeyDescription", map[string]any{"KeyId": id})
	require.Equal(t, "ValidationException", code)
	out := k.aws(t, "ScheduleKeyDeletion", map[string]any{"KeyId": arn})
	require.Equal(t, arn, out["KeyId"])
	require.Equal(t, "PendingDeletion", out["KeyState"])
	require.Equal(t, float64(30), out["PendingWindowInDays"])
	md := k.aws(t, "DescribeKey", map[string]any{"KeyId": id})["KeyMetadata"].(map[string]any)
	require.Equal(t, "PendingDeletion", md["KeyState"])
	require.Equal(t, false, md["Enabled"])
	require.Equal(t, out["DeletionDate"], md["DeletionDate"])
	require.Equal(t, float64(30), md["PendingDeletionWindowInDays"])
	require.Equal(t, "described", md["Description"])
	require.Equal(t, "CUSTOMER", md["KeyManager"])
	require.Equal(t, false, md["MultiRegion"])
	out = k.aws(t, "CancelKeyDeletion", map[string]any{"KeyId": id})
	require.Equal(t, arn, out["KeyId"])
	md = k.aws(t, "DescribeKey", map[string]any{"KeyId": id})["KeyMetadata"].(map[string]any)
	require.Equal(t, "Disabled", md["KeyState"])
	require.Nil(t, md["DeletionDate"])

	// Import through the AWS API, with an expiry.
	ext := k.aws(t, "CreateKey", map[string]any{"Origin": "EXTERNAL"})["KeyMetadata"].(map[string]any)["KeyId"].(string)
	_, code, _ = k.awsCode(t, "GetParametersForImport", map[string]any{"KeyId": ext, "WrappingAlgorithm": "RSAES_OAEP_SHA_1", "WrappingKeySpec": "RSA_2048"})
	require.Equal(t, "UnsupportedOperationException", code)
	p := k.aws(t, "GetParametersForImport", map[string]any{"KeyId": ext, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"})
	req, err := huawei.WrapKeyMaterial(&huawei.GetParametersForImportResponse{KeyID: ext, ImportToken: p["ImportToken"].(string), PublicKey: p["PublicKey"].(string)}, make([]byte, 32))
	require.NoError(t, err)
	imp := map[string]any{"KeyId": ext, "ImportToken": req.ImportToken, "EncryptedKeyMaterial": req.EncryptedKeyMaterial}
	for model, validTo := range map[string]any{"KEY_MATERIAL_EXPIRES": nil, "KEY_MATERIAL_DOES_NOT_EXPIRE": 4102444800, "SOMETIMES": nil} {
		bad := map[string]any{"ExpirationModel": model}
		if validTo != nil {
			bad["ValidTo"] = validTo
		}
		for k, v := range imp {
			bad[k] = v
		}
		_, code, _ := k.awsCode(t, "ImportKeyMaterial", bad)
		require.Equal(t, "ValidationException", code, model)
	}
	_, code, _ = k.awsCode(t, "ImportKeyMaterial", mergeMaps(imp, map[string]any{"ValidTo": 1}))
	require.Equal(t, "ValidationException", code, "ValidTo in the past")
	validTo := float64(time.Now().Add(time.Hour).Unix())
	k.aws(t, "ImportKeyMaterial", mergeMaps(imp, map[string]any{"ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": validTo}))
	md = k.aws(t, "DescribeKey", map[string]any{"KeyId": ext})["KeyMetadata"].(map[string]any)
	require.Equal(t, "Enabled", md["KeyState"])
	require.Equal(t, "KEY_MATERIAL_EXPIRES", md["ExpirationModel"])
	require.Equal(t, validTo, md["ValidTo"])
	k.aws(t, "DeleteImportedKeyMaterial", map[string]any{"KeyId": ext})
	md = k.aws(t, "DescribeKey", map[string]any{"KeyId": ext})["KeyMetadata"].(map[string]any)
	require.Equal(t, "PendingImport", md["KeyState"])
}

func mergeMaps(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// TestLifecycleAuthorization checks that every lifecycle operation is
// decided by the key policy (AWS action names, both front ends) and, for
// Huawei callers, by the IAM policies (Huawei action names).
func TestLifecycleAuthorization(t *testing.T) {
	denied := []string{"kms:EnableKey", "kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
		"kms:UpdateKeyDescription", "kms:UpdateAlias", "kms:CreateAlias", "kms:DeleteAlias", "kms:TagResource",
		"kms:UntagResource", "kms:ListResourceTags", "kms:DeleteImportedKeyMaterial", "kms:GetParametersForImport", "kms:ImportKeyMaterial"}
	policy := `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kms:*","Resource":"*"},
 {"Effect":"Deny","Principal":"*","Action":["` + strings.Join(denied, `","`) + `"],"Resource":"*"}]}`
	k := newTestKMS(t, Options{})
	id := k.aws(t, "CreateKey", map[string]any{"Policy": policy, "Origin": "EXTERNAL"})["KeyMetadata"].(map[string]any)["KeyId"].(string)
	awsOps := map[string]map[string]any{
		"EnableKey": nil, "DisableKey": nil, "ScheduleKeyDeletion": nil, "CancelKeyDeletion": nil,
		"UpdateKeyDescription": {"Description": "d"}, "TagResource": {"Tags": []map[string]any{{"TagKey": "k", "TagValue": "v"}}},
		"UntagResource": {"TagKeys": []string{"k"}}, "ListResourceTags": nil, "DeleteImportedKeyMaterial": nil,
		"GetParametersForImport": {"WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"},
	}
	for op, extra := range awsOps {
		_, code, out := k.awsCode(t, op, mergeMaps(map[string]any{"KeyId": id}, extra))
		require.Equal(t, "AccessDeniedException", code, "%s %v", op, out)
	}
	_, code, _ := k.awsCode(t, "CreateAlias", map[string]any{"AliasName": "alias/x", "TargetKeyId": id})
	require.Equal(t, "AccessDeniedException", code)
	for _, op := range []string{"enable-key", "disable-key", "cancel-key-deletion", "delete-imported-key-material"} {
		_, code, _ := k.hwDo(t, http.MethodPost, op, fmt.Sprintf(`{"key_id":%q}`, id))
		require.Equal(t, "KMS.0904", code, op)
	}
	_, code, _ = k.hwDo(t, http.MethodGet, id+"/tags", "")
	require.Equal(t, "KMS.0904", code)

	// Huawei IAM: a policy that allows creating and reading keys only.
	iam := `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["kms:cmk:create","kms:cmk:get","kms:cmk:list"]}]}`
	h := newTestKMS(t, Options{HuaweiPolicies: [][]byte{[]byte(iam)}})
	hid := h.createKey(t, "AES_256", "", "")
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodPost, "disable-key", `{"key_id":"` + hid + `"}`},
		{http.MethodPost, "schedule-key-deletion", `{"key_id":"` + hid + `","pending_days":"7"}`},
		{http.MethodPost, "update-key-description", `{"key_id":"` + hid + `","key_description":"d"}`},
		{http.MethodPost, "aliases", `{"key_id":"` + hid + `","alias":"a"}`},
		{http.MethodGet, "aliases", ""},
		{http.MethodPost, hid + "/tags", `{"tag":{"key":"k","value":"v"}}`},
		{http.MethodGet, "tags", ""},
	} {
		status, code, _ := h.hwDo(t, tc.method, tc.path, tc.body)
		require.Equal(t, http.StatusForbidden, status, tc.path)
		require.Equal(t, "KMS.0904", code, tc.path)
	}
	// The AWS front end has no IAM policies: the key policy alone decides.
	h.aws(t, "DisableKey", map[string]any{"KeyId": hid})
}
