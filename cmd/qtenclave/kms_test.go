package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qtenclave/qtenclave/kms/huawei"
)

// serveKMS runs "qtenclave kms serve args" until stop is called, and returns
// the lines it printed at start (address, and credentials if generated).
func serveKMS(t *testing.T, args ...string) (lines []string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	old := kmsContext
	kmsContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	t.Cleanup(func() { kmsContext = old })
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(append([]string{"kms", "serve"}, args...), strings.NewReader(""), pw, io.Discard)
		pw.Close()
		done <- code
	}()
	sc := bufio.NewScanner(pr)
	want := 1
	for len(lines) < want && sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) == 1 && !hasFlag(args, "--token") && !hasFlag(args, "--token-file") && !hasFlag(args, "--access-key") {
			want = 4
		}
	}
	go io.Copy(io.Discard, pr)
	if len(lines) < want {
		cancel()
		t.Fatalf("kms serve printed %q and exited %d", lines, <-done)
	}
	return lines, func() int { cancel(); return <-done }
}

func hasFlag(args []string, f string) bool {
	for _, a := range args {
		if a == f || strings.HasPrefix(a, f+"=") {
			return true
		}
	}
	return false
}

func TestKMSServeGeneratedCredentials(t *testing.T) {
	lines, stop := serveKMS(t, "--addr", "127.0.0.1:0", "--trust-test-root")
	addr, ok := strings.CutPrefix(lines[0], "listening on ")
	if !ok {
		t.Fatalf("first line %q", lines[0])
	}
	token, _ := strings.CutPrefix(lines[1], "token: ")
	ak, _ := strings.CutPrefix(lines[2], "access key: ")
	sk, _ := strings.CutPrefix(lines[3], "secret key: ")
	ctx := context.Background()
	for _, c := range []*huawei.Client{
		{Endpoint: addr, ProjectID: strings.Repeat("a", 32), Token: huawei.NewSecret(token)},
		{Endpoint: addr, ProjectID: strings.Repeat("a", 32), AccessKey: ak, SecretKey: huawei.NewSecret(sk)},
	} {
		if _, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "cli"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := (&huawei.Client{Endpoint: addr, ProjectID: strings.Repeat("a", 32), Token: huawei.NewSecret("wrong")}).ListKeys(ctx, &huawei.ListKeysRequest{}); err == nil {
		t.Fatal("a wrong token was accepted")
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d after a graceful stop", code)
	}
}

func TestKMSServeDataDirPersists(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("QTENCLAVE_KMS_TOKEN", "env-token")
	lines, stop := serveKMS(t, "--data", dir, "--token", "env-token")
	addr, _ := strings.CutPrefix(lines[0], "listening on ")
	c := &huawei.Client{Endpoint: addr, ProjectID: strings.Repeat("b", 32), Token: huawei.NewSecret("env-token")}
	resp, err := c.CreateKey(context.Background(), &huawei.CreateKeyRequest{KeyAlias: "persisted"})
	if err != nil {
		t.Fatal(err)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines, stop = serveKMS(t, "--data", dir, "--token", "env-token")
	addr, _ = strings.CutPrefix(lines[0], "listening on ")
	c.Endpoint = addr
	d, err := c.DescribeKey(context.Background(), &huawei.KeyRequest{KeyID: resp.KeyInfo.KeyID})
	if err != nil || d.KeyInfo.KeyAlias != "persisted" {
		t.Fatalf("key lost across restart: %v", err)
	}
	stop()
}

func TestKMSUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"kms"}, 2},
		{[]string{"kms", "start"}, 2},
		{[]string{"kms", "serve", "--nope"}, 2},
		{[]string{"kms", "serve", "extra"}, 2},
		{[]string{"kms", "serve", "--access-key", "ak"}, 2},
		{[]string{"kms", "serve", "--token", "t", "--root", "/nonexistent.pem"}, 2},
		{[]string{"kms", "serve", "--token", "t", "--addr", "256.0.0.1:1"}, 1},
	} {
		var stderr strings.Builder
		if code := run(tc.args, strings.NewReader(""), io.Discard, &stderr); code != tc.code {
			t.Errorf("%q: exit %d, want %d (%s)", tc.args, code, tc.code, stderr.String())
		}
	}
}

// TestKMSServePolicies: --policy holds the Huawei API's callers to a Huawei
// IAM policy (here: secrets only for a recipient with a PCR0), --principal
// names who every caller is, and a policy file the engine refuses stops the
// server before it listens.
func TestKMSServePolicies(t *testing.T) {
	dir := t.TempDir()
	iam := filepath.Join(dir, "iam.json")
	if err := os.WriteFile(iam, []byte(`{"Version":"1.1","Statement":[
		{"Effect":"Allow","Action":["kms:cmk:create","kms:cmk:get","kms:cmk:list"]},
		{"Effect":"Allow","Action":["kms:dek:create"],"Condition":{"StringEqualsIgnoreCase":{"kms:RecipientAttestation/PCR0":["`+strings.Repeat("ab", 48)+`"]}}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	lines, stop := serveKMS(t, "--token", "t", "--policy", iam, "--principal", "arn:aws:iam::111122223333:role/data-processing", "--region", "eu-west-1")
	addr, _ := strings.CutPrefix(lines[0], "listening on ")
	c := &huawei.Client{Endpoint: addr, ProjectID: strings.Repeat("c", 32), Token: huawei.NewSecret("t")}
	ctx := context.Background()
	key, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "iam"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateDatakey(ctx, &huawei.CreateDatakeyRequest{KeyID: key.KeyInfo.KeyID})
	var ae *huawei.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 403 || ae.Code != "KMS.0904" ||
		ae.Message != "User: arn:aws:iam::111122223333:role/data-processing is not authorized to perform: kms:cmk:createDataKey on resource: kms:eu-west-1:111122223333:KeyId:"+key.KeyInfo.KeyID+
			" because no identity-based policy allows the kms:cmk:createDataKey action" {
		t.Fatalf("create-datakey without a recipient: %v", err)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["kms:*:*"],"Condition":{"DateLessThan":{"kms:RecipientAttestation/PCR0":["x"]}}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--policy", bad},
		{"--principal", "not-an-arn"},
		{"--account", "123"},
	} {
		var stderr strings.Builder
		code := run(append([]string{"kms", "serve", "--token", "t"}, args...), strings.NewReader(""), io.Discard, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), "qtenclave kms serve: kms: ") {
			t.Errorf("%q: exit %d: %s", args, code, stderr.String())
		}
	}
	var stderr strings.Builder
	if code := run([]string{"kms", "serve", "--token", "t", "--policy", filepath.Join(dir, "missing.json")}, strings.NewReader(""), io.Discard, &stderr); code != 2 {
		t.Errorf("missing policy file: exit %d: %s", code, stderr.String())
	}
}
