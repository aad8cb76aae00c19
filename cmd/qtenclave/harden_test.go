package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/kms/huawei"
)

// runCLI runs qtenclave with args and stdin, and returns its exit code and
// output.
func runCLI(t *testing.T, stdin []byte, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, bytes.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// seedKey is the published TEST key of testdata/seeds.
const seedKey = "testdata/seeds/edgebit_recipient_rsa2048.key.pem"

// fixture writes the test authority's root and documents issued at
// fixtureTime into a temporary directory and returns its path:
// root.pem; rsa.cbor (Nitro, public_key the seed key's, nonce abcd,
// user_data "hello"); debug.cbor (the same in debug mode); empty.cbor
// (Nitro, empty nonce, null user_data); qt.cbor (QingTian, the seed key).
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	key, err := loadPrivateKey(seedKey)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	root := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: attestationtest.Root().Raw})
	if err := os.WriteFile(filepath.Join(dir, "root.pem"), root, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, 48)
	for name, opts := range map[string]attestationtest.Options{
		"rsa.cbor":   {PublicKey: spki, Nonce: []byte{0xab, 0xcd}, UserData: []byte("hello")},
		"debug.cbor": {PublicKey: spki, PCRs: map[int][]byte{0: zero, 1: zero, 2: zero}},
		"empty.cbor": {Nonce: []byte{}},
		"qt.cbor":    {Platform: attestation.QingTian, PublicKey: spki},
	} {
		opts.Time = fixtureTime
		raw, err := attestationtest.Issue(opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var fixtureTime = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// flagNames lists the flags a command's -h prints.
func flagNames(t *testing.T, args ...string) []string {
	t.Helper()
	_, _, stderr := runCLI(t, nil, append(args, "-h")...)
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(stderr, -1) {
		names = append(names, m[1])
	}
	return names
}

// seal --to DOC takes every policy flag of verify, and applies them: a
// document that fails the policy is not sealed to.
func TestSealTakesVerifyPolicyFlags(t *testing.T) {
	verify, seal := flagNames(t, "verify"), flagNames(t, "seal")
	for _, f := range []string{"pcr", "nonce", "user-data", "max-age", "allow-debug", "at", "platform", "root"} {
		if !slices.Contains(verify, f) || !slices.Contains(seal, f) {
			t.Errorf("--%s: verify has %v, seal has %v", f, verify, seal)
		}
	}
	dir := fixture(t)
	u, err := attestation.Decode(mustRead(t, filepath.Join(dir, "rsa.cbor")))
	if err != nil {
		t.Fatal(err)
	}
	pcr0 := "0=" + hex.EncodeToString(u.PCRs[0])
	at := fixtureTime.Add(3 * time.Second).Format(time.RFC3339)
	for _, tc := range []struct {
		name string
		doc  string
		args []string
		want int
		msg  string
	}{
		{"pcr", "rsa.cbor", []string{"--pcr", pcr0}, 0, ""},
		{"pcr differs", "rsa.cbor", []string{"--pcr", "0=00"}, 1, "PCR0 differs"},
		{"nonce", "rsa.cbor", []string{"--nonce", "abcd", "--pcr", pcr0}, 0, ""},
		{"nonce differs", "rsa.cbor", []string{"--nonce", "abce"}, 1, "nonce differs"},
		{"user-data differs", "rsa.cbor", []string{"--user-data", "00"}, 1, "user_data differs"},
		{"max-age", "rsa.cbor", []string{"--max-age", "1m", "--pcr", pcr0}, 0, ""},
		{"max-age exceeded", "rsa.cbor", []string{"--max-age", "1s"}, 1, "max age"},
		{"platform", "qt.cbor", []string{"--platform", "nitro"}, 1, "bad signature"},
		{"platform qingtian", "qt.cbor", []string{"--platform", "qingtian", "--pcr", pcr0}, 0, ""},
		{"debug", "debug.cbor", nil, 1, "debug mode"},
		{"allow-debug", "debug.cbor", []string{"--allow-debug"}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"seal", "--to", filepath.Join(dir, tc.doc), "--root", filepath.Join(dir, "root.pem"), "--at", at}, tc.args...)
			code, stdout, stderr := runCLI(t, []byte("secret"), args...)
			if code != tc.want || !strings.Contains(stderr, tc.msg) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.want, tc.msg)
			}
			if code != 0 {
				if stdout != "" {
					t.Errorf("sealed although rejected")
				}
				return
			}
			code, plain, stderr := runCLI(t, []byte(stdout), "open", "--key", seedKey)
			if code != 0 || plain != "secret" {
				t.Errorf("open: exit %d %q %s", code, plain, stderr)
			}
		})
	}
}

// Sealing to a document without a PCR policy says on stderr that any
// enclave of the platform is trusted.
func TestSealWithoutPCRWarns(t *testing.T) {
	dir := fixture(t)
	code, _, stderr := runCLI(t, []byte("secret"), "seal", "--to", filepath.Join(dir, "rsa.cbor"), "--root", filepath.Join(dir, "root.pem"), "--at", "document")
	if code != 0 || !strings.Contains(stderr, "every") || !strings.Contains(stderr, "--pcr") {
		t.Errorf("exit %d, stderr %q: want a warning naming --pcr", code, stderr)
	}
}

// --at document with --max-age is a usage error: the age would be zero.
// So are policy flags with a PEM key, which has no policy to meet.
func TestPolicyFlagUsageErrors(t *testing.T) {
	dir := fixture(t)
	doc, root := filepath.Join(dir, "rsa.cbor"), filepath.Join(dir, "root.pem")
	pub := filepath.Join(dir, "pub.pem")
	key, err := loadPrivateKey(seedKey)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(key.Public())
	if err := os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"verify", "--at", "document", "--max-age", "5m", "--root", root, doc},
		{"seal", "--at", "document", "--max-age", "5m", "--root", root, "--to", doc},
		{"verify", "--max-age", "-1m", doc},
		{"seal", "--to", pub, "--pcr", "0=00"},
		{"seal", "--to", pub, "--nonce", "00"},
	} {
		code, stdout, stderr := runCLI(t, []byte("secret"), args...)
		if code != 2 || stdout != "" || stderr == "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want a usage error", args, code, stdout, stderr)
		}
	}
}

// The CLI reads a document as raw CBOR, base64 or hex, and names the
// encoding it detected when the document does not decode.
func TestDocumentInputEncodings(t *testing.T) {
	dir := t.TempDir()
	raw := mustRead(t, "testdata/seeds/evervault_beta_valid-attestation-doc.cbor")
	h := hex.EncodeToString(raw)
	var wrapped strings.Builder
	for i := 0; i < len(h); i += 64 {
		wrapped.WriteString(strings.ToUpper(h[i:min(i+64, len(h))]) + "\r\n")
	}
	for name, b := range map[string][]byte{
		"raw":     raw,
		"base64":  []byte(base64.StdEncoding.EncodeToString(raw) + "\n"),
		"hex":     []byte(h),
		"HEX":     []byte(wrapped.String()),
		"hexnl":   []byte(h + "\n"),
		"b64blob": mustRead(t, "testdata/seeds/blocky-nitrite_nitro_attestation.b64"),
	} {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range []string{"verify", "inspect"} {
			args := []string{cmd, f}
			if cmd == "verify" {
				args = append(args, "--at", "document")
			}
			if code, _, stderr := runCLI(t, nil, args...); code != 0 {
				t.Errorf("%s %s: exit %d: %s", cmd, name, code, stderr)
			}
		}
	}
	for _, tc := range []struct {
		name string
		in   string
		want string
	}{
		{"hex", "84a0", "(read as hex)"},
		{"base64", "hKA=", "(read as base64)"},
		{"raw", "\x84\xa0", "(read as raw CBOR)"},
		{"odd hex", "84a", "hex"},
		{"neither", "not a document!", "neither"},
		{"empty", "\n", "empty"},
	} {
		for _, cmd := range []string{"verify", "inspect"} {
			code, stdout, stderr := runCLI(t, []byte(tc.in), cmd, "-")
			if code != 1 || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("%s %s: exit %d, stderr %q; want 1 and %q", cmd, tc.name, code, stderr, tc.want)
			}
		}
	}
}

// An empty nonce or user_data is shown as empty ("" in JSON), distinct from
// a null or absent one (null); --nonce "" requires an empty nonce.
func TestEmptyFieldsShownEmpty(t *testing.T) {
	dir := fixture(t)
	root, empty, null := filepath.Join(dir, "root.pem"), filepath.Join(dir, "empty.cbor"), filepath.Join(dir, "debug.cbor")
	code, stdout, stderr := runCLI(t, nil, "verify", "--json", "--at", "document", "--root", root, empty)
	if code != 0 || !strings.Contains(stdout, `"nonce": ""`) || !strings.Contains(stdout, `"user_data": null`) {
		t.Errorf("verify --json: exit %d %s %s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, nil, "inspect", empty)
	if code != 0 || !strings.Contains(stdout, `"nonce": ""`) || !strings.Contains(stdout, `"user_data": null`) {
		t.Errorf("inspect: exit %d %s", code, stdout)
	}
	code, stdout, _ = runCLI(t, nil, "verify", "--at", "document", "--root", root, empty)
	if code != 0 || !regexp.MustCompile(`(?m)^  nonce +empty$`).MatchString(stdout) || !regexp.MustCompile(`(?m)^  user_data +none$`).MatchString(stdout) {
		t.Errorf("verify: exit %d %s", code, stdout)
	}
	if code, _, stderr := runCLI(t, nil, "verify", "--at", "document", "--root", root, "--nonce", "", empty); code != 0 {
		t.Errorf(`--nonce "" of an empty nonce: exit %d %s`, code, stderr)
	}
	if code, _, stderr := runCLI(t, nil, "verify", "--at", "document", "--root", root, "--allow-debug", "--nonce", "", null); code != 1 || !strings.Contains(stderr, "nonce") {
		t.Errorf(`--nonce "" of a null nonce: exit %d %s`, code, stderr)
	}
}

// The JSON says how the platform was decided: by the root, by --platform,
// or (a custom root, no --platform) by the signature's byte order.
func TestPlatformSource(t *testing.T) {
	dir := fixture(t)
	root := filepath.Join(dir, "root.pem")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--root", root, filepath.Join(dir, "qt.cbor")}, `"platform_source": "signature"`},
		{[]string{"--root", root, "--platform", "qingtian", filepath.Join(dir, "qt.cbor")}, `"platform_source": "flag"`},
		{[]string{"testdata/seeds/evervault_beta_valid-attestation-doc.cbor"}, `"platform_source": "root"`},
		{[]string{"--platform", "nitro", "testdata/seeds/evervault_beta_valid-attestation-doc.cbor"}, `"platform_source": "root"`},
	} {
		code, stdout, stderr := runCLI(t, nil, append([]string{"verify", "--json", "--at", "document"}, tc.args...)...)
		if code != 0 || !strings.Contains(stdout, tc.want) {
			t.Errorf("%q: exit %d, %s %s; want %s", tc.args, code, stdout, stderr, tc.want)
		}
	}
	code, stdout, _ := runCLI(t, nil, "verify", "--at", "document", "--root", root, filepath.Join(dir, "qt.cbor"))
	if code != 0 || !strings.Contains(stdout, "signature") {
		t.Errorf("text output does not say the platform came from the signature: %s", stdout)
	}
}

// kms serve reads its secrets from files, strictly, and never prints them;
// --help says the secret flags are for tests.
func TestKMSServeSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	_, _, help := runCLI(t, nil, "kms", "serve", "-h")
	for _, f := range []string{"token", "secret-key"} {
		if !regexp.MustCompile(`(?m)^  -` + f + ` .*\n.*for tests`).MatchString(help) {
			t.Errorf("--help does not say --%s is for tests:\n%s", f, help)
		}
		if !strings.Contains(help, "-"+f+"-file") {
			t.Errorf("--help lacks --%s-file", f)
		}
	}
	tokenFile := write("token", "token-from-file\n")
	skFile := write("sk", "sk-from-file\r\n")
	t.Setenv("QTENCLAVE_KMS_TOKEN", "token-from-env")
	lines, stop := serveKMS(t, "--token-file", tokenFile, "--access-key", "AK1", "--secret-key-file", skFile)
	addr, _ := strings.CutPrefix(lines[0], "listening on ")
	ctx := context.Background()
	for _, c := range []*huawei.Client{
		{Endpoint: addr, ProjectID: strings.Repeat("a", 32), Token: huawei.NewSecret("token-from-file")},
		{Endpoint: addr, ProjectID: strings.Repeat("a", 32), AccessKey: "AK1", SecretKey: huawei.NewSecret("sk-from-file")},
	} {
		if _, err := c.ListKeys(ctx, &huawei.ListKeysRequest{}); err != nil {
			t.Errorf("credentials from files: %v", err)
		}
	}
	if _, err := (&huawei.Client{Endpoint: addr, ProjectID: strings.Repeat("a", 32), Token: huawei.NewSecret("token-from-env")}).ListKeys(ctx, &huawei.ListKeysRequest{}); err == nil {
		t.Error("the environment's token was accepted beside --token-file")
	}
	stop()

	for _, tc := range []struct {
		name   string
		args   []string
		secret string // must not appear in the output
	}{
		{"empty", []string{"--token-file", write("empty", "")}, ""},
		{"newline only", []string{"--token-file", write("nl", "\n")}, ""},
		{"two lines", []string{"--token-file", write("two", "first-secret-line\nsecond-secret-line\n")}, "secret-line"},
		{"inner space", []string{"--token-file", write("space", "secret with space")}, "secret"},
		{"control", []string{"--token-file", write("ctl", "secret\x00zero")}, "zero"},
		{"too long", []string{"--token-file", write("long", strings.Repeat("secretsecret", 2000))}, "secretsecret"},
		{"missing", []string{"--token-file", filepath.Join(dir, "nonexistent")}, ""},
		{"token and file", []string{"--token", "cli-secret", "--token-file", tokenFile}, "cli-secret"},
		{"sk and file", []string{"--access-key", "AK", "--secret-key", "cli-secret", "--secret-key-file", skFile}, "cli-secret"},
		{"sk file without ak", []string{"--token", "t", "--secret-key-file", skFile}, "sk-from-file"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"kms", "serve", "--addr", "127.0.0.1:0"}, tc.args...), strings.NewReader(""), &stdout, &stderr)
		if code != 2 || stdout.Len() != 0 || stderr.Len() == 0 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want a usage error", tc.name, code, stdout.String(), stderr.String())
		}
		if tc.secret != "" && strings.Contains(stderr.String(), tc.secret) {
			t.Errorf("%s: stderr shows the secret: %q", tc.name, stderr.String())
		}
	}
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
