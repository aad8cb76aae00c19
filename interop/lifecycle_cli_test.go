package interop

import (
	"strings"
	"testing"
)

// TestAWSCLILifecycle runs every lifecycle operation with the AWS CLI:
// disable-key, enable-key, schedule-key-deletion, cancel-key-deletion,
// update-key-description, create-alias, list-aliases, update-alias,
// delete-alias, tag-resource, untag-resource, list-resource-tags,
// get-parameters-for-import, import-key-material and
// delete-imported-key-material, and an alias as --key-id.
func TestAWSCLILifecycle(t *testing.T) {
	c := newCLI(t, startKMS(t))
	must := func(args ...string) map[string]any {
		t.Helper()
		out := c.run(args...)
		if out == nil {
			t.Fatalf("%s: exit %d: %s", args[0], c.code, c.stderr)
		}
		return out
	}
	fails := func(typ string, args ...string) {
		t.Helper()
		if out := c.run(args...); out != nil || c.code != 254 || !strings.Contains(c.stderr, "("+typ+")") {
			t.Fatalf("%s: want %s, got %v, exit %d: %s", args[0], typ, out, c.code, c.stderr)
		}
	}
	id := must("create-key", "--description", "cli lifecycle")["KeyMetadata"].(map[string]any)["KeyId"].(string)
	plain := "fileb://" + c.file("plain", []byte("x"))

	must("disable-key", "--key-id", id)
	fails("DisabledException", "encrypt", "--key-id", id, "--plaintext", plain)
	must("enable-key", "--key-id", id)
	out := must("schedule-key-deletion", "--key-id", id, "--pending-window-in-days", "7")
	if out["KeyState"] != "PendingDeletion" || out["PendingWindowInDays"] != float64(7) || out["DeletionDate"] == nil {
		t.Fatalf("schedule-key-deletion: %v", out)
	}
	md := must("describe-key", "--key-id", id)["KeyMetadata"].(map[string]any)
	if md["KeyState"] != "PendingDeletion" || md["DeletionDate"] == nil || md["PendingDeletionWindowInDays"] != float64(7) {
		t.Fatalf("describe-key: %v", md)
	}
	must("cancel-key-deletion", "--key-id", id)
	must("enable-key", "--key-id", id)
	must("update-key-description", "--key-id", id, "--description", "updated")

	must("create-alias", "--alias-name", "alias/cli", "--target-key-id", id)
	md = must("describe-key", "--key-id", "alias/cli")["KeyMetadata"].(map[string]any)
	if md["KeyId"] != id || md["Description"] != "updated" {
		t.Fatalf("describe-key by alias: %v", md)
	}
	must("encrypt", "--key-id", "alias/cli", "--plaintext", plain)
	aliases := must("list-aliases", "--key-id", id)["Aliases"].([]any)
	if len(aliases) != 1 || aliases[0].(map[string]any)["AliasName"] != "alias/cli" || aliases[0].(map[string]any)["TargetKeyId"] != id {
		t.Fatalf("list-aliases: %v", aliases)
	}
	other := must("create-key")["KeyMetadata"].(map[string]any)["KeyId"].(string)
	must("update-alias", "--alias-name", "alias/cli", "--target-key-id", other)
	if md = must("describe-key", "--key-id", "alias/cli")["KeyMetadata"].(map[string]any); md["KeyId"] != other {
		t.Fatalf("update-alias: %v", md)
	}
	must("delete-alias", "--alias-name", "alias/cli")
	fails("NotFoundException", "describe-key", "--key-id", "alias/cli")

	must("tag-resource", "--key-id", id, "--tags", "TagKey=env,TagValue=dev", "TagKey=team,TagValue=x")
	must("untag-resource", "--key-id", id, "--tag-keys", "team")
	tags := must("list-resource-tags", "--key-id", id)["Tags"].([]any)
	if len(tags) != 1 || tags[0].(map[string]any)["TagKey"] != "env" || tags[0].(map[string]any)["TagValue"] != "dev" {
		t.Fatalf("list-resource-tags: %v", tags)
	}

	ext := must("create-key", "--origin", "EXTERNAL")["KeyMetadata"].(map[string]any)["KeyId"].(string)
	p := must("get-parameters-for-import", "--key-id", ext, "--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_2048")
	der, token := c.blob(p["PublicKey"]), c.blob(p["ImportToken"])
	wrapped := wrapAESMaterial(t, der)
	must("import-key-material", "--key-id", ext, "--import-token", "fileb://"+c.file("token", token),
		"--encrypted-key-material", "fileb://"+c.file("material", wrapped), "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE")
	md = must("describe-key", "--key-id", ext)["KeyMetadata"].(map[string]any)
	if md["KeyState"] != "Enabled" || md["ExpirationModel"] != "KEY_MATERIAL_DOES_NOT_EXPIRE" {
		t.Fatalf("imported key: %v", md)
	}
	must("delete-imported-key-material", "--key-id", ext)
	fails("UnsupportedOperationException", "delete-imported-key-material", "--key-id", id)
	fails("KMSInvalidStateException", "encrypt", "--key-id", ext, "--plaintext", plain)
}
