package interop

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/recipient"
)

// The AWS CLI against the local KMS: Debian's awscli package (2.9.19 on
// Debian 12), which .ci/run installs, run unmodified apart from the
// endpoint, credentials and region, as a user would run it.

// awsCLI returns the AWS CLI to test: $QTENCLAVE_AWS_CLI, or Debian's
// /usr/bin/aws. Without one the test is skipped, unless
// QTENCLAVE_REQUIRE_AWS_CLI is set (as .ci/run sets it).
func awsCLI(t *testing.T) string {
	t.Helper()
	cli := os.Getenv("QTENCLAVE_AWS_CLI")
	if cli == "" {
		cli = "/usr/bin/aws"
	}
	if _, err := os.Stat(cli); err != nil {
		if os.Getenv("QTENCLAVE_REQUIRE_AWS_CLI") != "" {
			t.Fatalf("the AWS CLI %s is missing: %v", cli, err)
		}
		t.Skipf("no AWS CLI at %s (apt-get install awscli)", cli)
	}
	return cli
}

// cliRun is one AWS CLI invocation against the local KMS.
type cliRun struct {
	t      *testing.T
	cli    string
	url    string
	env    []string
	dir    string
	stderr string
	code   int
}

func newCLI(t *testing.T, url string) *cliRun {
	dir := t.TempDir()
	return &cliRun{t: t, cli: awsCLI(t), url: url, dir: dir, env: []string{
		"HOME=" + dir,
		"PATH=" + os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID=" + testAK,
		"AWS_SECRET_ACCESS_KEY=" + testSK,
		"AWS_DEFAULT_REGION=" + testRegion,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	}}
}

// run runs "aws --endpoint-url URL kms args... --output json" and returns
// its decoded JSON output, or nil when it fails (c.code, c.stderr).
func (c *cliRun) run(args ...string) map[string]any {
	c.t.Helper()
	cmd := exec.Command(c.cli, append([]string{"--endpoint-url", c.url, "--output", "json", "kms"}, args...)...)
	cmd.Env, cmd.Dir = c.env, c.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	c.stderr, c.code = stderr.String(), 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		c.code = ee.ExitCode()
		return nil
	case err != nil:
		c.t.Fatal(err)
	}
	if stdout.Len() == 0 {
		return map[string]any{}
	}
	var out map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		c.t.Fatalf("aws %s: %v: %s", args[0], err, stdout.Bytes())
	}
	return out
}

// runNewer is run for an operation or member that the CLI's model may
// predate (DeriveSharedSecret, Recipient): when the CLI answers that it
// knows no such operation or option, it gets withNewerModel through
// AWS_DATA_PATH from then on, and the call is made again.
func (c *cliRun) runNewer(args ...string) map[string]any {
	c.t.Helper()
	out := c.run(args...)
	if out == nil && (strings.Contains(c.stderr, "Unknown options") || strings.Contains(c.stderr, "Invalid choice")) &&
		!slices.ContainsFunc(c.env, func(e string) bool { return strings.HasPrefix(e, "AWS_DATA_PATH=") }) {
		c.t.Logf("%s knows no %s: giving it its own model with what newer models have", c.cli, strings.Join(args, " "))
		c.env = append(c.env, "AWS_DATA_PATH="+withNewerModel(c.t, c))
		out = c.run(args...)
	}
	return out
}

func (c *cliRun) file(name string, data []byte) string {
	c.t.Helper()
	p := filepath.Join(c.dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		c.t.Fatal(err)
	}
	return p
}

// blob returns the bytes of a base64 member of the CLI's JSON output.
func (c *cliRun) blob(v any) []byte {
	c.t.Helper()
	s, ok := v.(string)
	b, err := base64.StdEncoding.DecodeString(s)
	if !ok || err != nil {
		c.t.Fatalf("not a base64 member: %T %v", v, err)
	}
	return b
}

// TestAWSCLIKeyPolicy: the AWS CLI creates a key with a policy, reads it
// back, lists it, and sees Decrypt denied without a recipient (exit 254,
// AccessDeniedException with AWS's message) and a bad policy refused
// (MalformedPolicyDocumentException) without change. CLI 2.9.19 predates
// the Recipient parameter (added to the KMS API in November 2023): for the
// attested Decrypt, the test gives the CLI a copy of its own KMS model with
// the Recipient member that newer models have (withNewerModel, through
// AWS_DATA_PATH), and the Decrypt with a matching document is allowed.
func TestAWSCLIKeyPolicy(t *testing.T) {
	c := newCLI(t, startKMS(t))
	enc := newEnclave(t)
	doc := enclaveKeyPolicy("000000000000", "kms:RecipientAttestation:PCR0", testPCR0())
	doc = strings.ReplaceAll(doc, "role/data-processing", "root")

	out := c.run("create-key", "--description", "cli", "--policy", "file://"+c.file("policy.json", []byte(doc)))
	if out == nil {
		t.Fatalf("create-key: exit %d: %s", c.code, c.stderr)
	}
	id := out["KeyMetadata"].(map[string]any)["KeyId"].(string)
	out = c.run("get-key-policy", "--key-id", id, "--policy-name", "default")
	if out == nil || out["Policy"] != doc {
		t.Fatalf("get-key-policy: %v (exit %d: %s)", out, c.code, c.stderr)
	}
	out = c.run("list-key-policies", "--key-id", id)
	if names, _ := out["PolicyNames"].([]any); len(names) != 1 || names[0] != "default" {
		t.Fatalf("list-key-policies: %v (exit %d: %s)", out, c.code, c.stderr)
	}

	out = c.run("encrypt", "--key-id", id, "--plaintext", "fileb://"+c.file("plain", []byte("for the enclave only")))
	if out == nil {
		t.Fatalf("encrypt: exit %d: %s", c.code, c.stderr)
	}
	ctFile := "fileb://" + c.file("ct", c.blob(out["CiphertextBlob"]))
	if out = c.run("decrypt", "--ciphertext-blob", ctFile); out != nil || c.code != 254 ||
		!strings.Contains(c.stderr, "An error occurred (AccessDeniedException) when calling the Decrypt operation: User: arn:aws:iam::000000000000:root is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:000000000000:key/"+id+" because no resource-based policy allows the kms:Decrypt action") {
		t.Fatalf("decrypt without a recipient: %v, exit %d: %s", out, c.code, c.stderr)
	}
	bad := strings.Replace(doc, "StringEqualsIgnoreCase", "StringEqualsIgnoreCaseIfPresent", 1)
	if out = c.run("put-key-policy", "--key-id", id, "--policy-name", "default", "--policy", "file://"+c.file("bad.json", []byte(bad))); out != nil || c.code != 254 ||
		!strings.Contains(c.stderr, "(MalformedPolicyDocumentException)") {
		t.Fatalf("put-key-policy of a bad policy: %v, exit %d: %s", out, c.code, c.stderr)
	}
	if out = c.run("get-key-policy", "--key-id", id, "--policy-name", "default"); out == nil || out["Policy"] != doc {
		t.Fatalf("the policy changed: %v", out)
	}

	// The attested Decrypt.
	recipientArg := func(opts attestationtest.Options) string {
		return "AttestationDocument=" + base64.StdEncoding.EncodeToString(enc.document(t, opts)) + ",KeyEncryptionAlgorithm=RSAES_OAEP_SHA_256"
	}
	out = c.runNewer("decrypt", "--ciphertext-blob", ctFile, "--recipient", recipientArg(attestationtest.Options{}))
	if out == nil {
		t.Fatalf("decrypt with the enclave's document: exit %d: %s", c.code, c.stderr)
	}
	if _, ok := out["Plaintext"]; ok {
		t.Fatal("decrypt with a recipient returned Plaintext")
	}
	if got := enc.open(t, c.blob(out["CiphertextForRecipient"]), recipient.Open); string(got) != "for the enclave only" {
		t.Fatalf("CiphertextForRecipient opens to %q", got)
	}
	if out = c.run("decrypt", "--ciphertext-blob", ctFile, "--recipient", recipientArg(wrongPCR0())); out != nil || c.code != 254 || !strings.Contains(c.stderr, "(AccessDeniedException)") {
		t.Fatalf("decrypt with another PCR0: %v, exit %d: %s", out, c.code, c.stderr)
	}
}

// withNewerModel writes, under a new directory for AWS_DATA_PATH, the
// CLI's own KMS model with what newer models have and Debian's awscli
// 2.9.19 (January 2023) lacks: the Recipient member (RecipientInfo:
// AttestationDocument, a blob, and KeyEncryptionAlgorithm) of Decrypt,
// GenerateDataKey, GenerateDataKeyPair and GenerateRandom with
// CiphertextForRecipient in their responses (added to the KMS API in
// November 2023), and the DeriveSharedSecret operation (June 2024), with
// the members of the current botocore model (botocore 1.43: KeyId,
// KeyAgreementAlgorithm and PublicKey required, Recipient; SharedSecret,
// CiphertextForRecipient, KeyAgreementAlgorithm, KeyOrigin). A CLI whose
// model has them needs no copy: see cliRun.runNewer.
func withNewerModel(t *testing.T, c *cliRun) string {
	t.Helper()
	matches, _ := filepath.Glob("/usr/lib/python3*/dist-packages/awscli/botocore/data/kms/2014-11-01/service-2.json")
	if len(matches) == 0 {
		t.Skipf("%s knows no Recipient, and its KMS model is not where Debian's package puts it", c.cli)
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	shapes := m["shapes"].(map[string]any)
	member := func(shape string) map[string]any { return map[string]any{"shape": shape} }
	shapes["RecipientInfo"] = map[string]any{"type": "structure", "members": map[string]any{
		"KeyEncryptionAlgorithm": member("String"),
		"AttestationDocument":    member("CiphertextType"),
	}}
	for _, op := range []string{"Decrypt", "GenerateDataKey", "GenerateDataKeyPair", "GenerateRandom"} {
		shapes[op+"Request"].(map[string]any)["members"].(map[string]any)["Recipient"] = member("RecipientInfo")
		shapes[op+"Response"].(map[string]any)["members"].(map[string]any)["CiphertextForRecipient"] = member("CiphertextType")
	}
	if _, ok := shapes["String"]; !ok {
		shapes["String"] = map[string]any{"type": "string"}
	}
	ops := m["operations"].(map[string]any)
	if _, ok := ops["DeriveSharedSecret"]; !ok {
		ops["DeriveSharedSecret"] = map[string]any{
			"name": "DeriveSharedSecret", "http": map[string]any{"method": "POST", "requestUri": "/"},
			"input": member("DeriveSharedSecretRequest"), "output": member("DeriveSharedSecretResponse"),
		}
		shapes["DeriveSharedSecretRequest"] = map[string]any{"type": "structure",
			"required": []string{"KeyId", "KeyAgreementAlgorithm", "PublicKey"},
			"members": map[string]any{
				"KeyId": member("KeyIdType"), "KeyAgreementAlgorithm": member("String"),
				"PublicKey": member("PublicKeyType"), "GrantTokens": member("GrantTokenList"),
				"Recipient": member("RecipientInfo"),
			}}
		shapes["DeriveSharedSecretResponse"] = map[string]any{"type": "structure", "members": map[string]any{
			"KeyId": member("KeyIdType"), "SharedSecret": member("PlaintextType"),
			"CiphertextForRecipient": member("CiphertextType"), "KeyAgreementAlgorithm": member("String"),
			"KeyOrigin": member("OriginType"),
		}}
	}
	dir := filepath.Join(c.dir, "models")
	if err := os.MkdirAll(filepath.Join(dir, "kms", "2014-11-01"), 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kms", "2014-11-01", "service-2.json"), out, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}
