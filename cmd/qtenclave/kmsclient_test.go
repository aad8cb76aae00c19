package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/qtenclave/qtenclave/kms/huawei"
)

func init() { kmsScriptCmds["exits"] = cmdExits }

// cmdExits runs a program as exec does and requires its exit status:
//
//	exits STATUS PROGRAM [ARGS...]
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits STATUS PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// recordingKMS answers every request with 200 and an empty JSON object,
// and records the paths it was asked for.
func recordingKMS(t *testing.T) (*huawei.Client, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		path := strings.TrimPrefix(r.URL.Path, "/v1.0/"+defaultKMSProject+"/kms/")
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/kms/"+path) || !isOperationName(path) {
			path = r.Method + " " + path
		}
		paths = append(paths, path)
		mu.Unlock()
		if r.Method == http.MethodGet && path == "GET aliases" {
			io.WriteString(w, "[]") // list-aliases answers an array
			return
		}
		io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	c := &huawei.Client{Endpoint: srv.URL, ProjectID: defaultKMSProject, Token: huawei.NewSecret("t")}
	return c, func() []string {
		mu.Lock()
		defer mu.Unlock()
		p := paths
		paths = nil
		return p
	}
}

// isOperationName reports whether a path below .../kms/ is an operation's
// name (create-key, ...) rather than a REST route's path (aliases, ...).
func isOperationName(path string) bool {
	return !strings.Contains(path, "/") && path != "aliases" && path != "tags"
}

// routePath is what recordingKMS records for a route "METHOD PATH" called
// with an empty request: path parameters empty.
func routePath(route string) string {
	if route == "" {
		return ""
	}
	return strings.NewReplacer("{key_id}", "", "{key}", "").Replace(route)
}

// TestKMSOperationsCoverClient checks that the operation table has one row
// for each operation method of huawei.Client: the row of the same name
// calls the same operation with the method's request type.
func TestKMSOperationsCoverClient(t *testing.T) {
	c, called := recordingKMS(t)
	ct := reflect.TypeFor[*huawei.Client]()
	ctxType, errType := reflect.TypeFor[context.Context](), reflect.TypeFor[error]()
	methods := 0
	for m := range ct.Methods() {
		mt := m.Type
		if mt.NumIn() != 3 || mt.In(1) != ctxType || mt.Out(mt.NumOut()-1) != errType {
			if m.Name != "Format" {
				t.Errorf("Client.%s: neither an operation nor Format", m.Name)
			}
			continue
		}
		methods++
		reqType := mt.In(2)
		m.Func.Call([]reflect.Value{reflect.ValueOf(c), reflect.ValueOf(context.Background()), reflect.New(reqType.Elem())})
		paths := called()
		if len(paths) != 1 {
			t.Fatalf("Client.%s made %d requests", m.Name, len(paths))
		}
		name := paths[0]
		i := slices.IndexFunc(kmsOperations, func(op kmsOperation) bool { return op.name == name || routePath(op.route) == name })
		if i < 0 {
			t.Errorf("Client.%s calls %s, which the table lacks", m.Name, name)
			continue
		}
		op := kmsOperations[i]
		req := op.request()
		if got := reflect.TypeOf(req); got != reqType {
			t.Errorf("%s: the table's request is %v, Client.%s's %v", name, got, m.Name, reqType)
			continue
		}
		if _, err := op.call(context.Background(), c, req); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if p := called(); !slices.Equal(p, []string{name}) || (op.route != "" && routePath(op.route) != name) {
			t.Errorf("the table's %s called %q", name, p)
		}
	}
	if methods != len(kmsOperations) {
		t.Errorf("huawei.Client has %d operations, the table %d", methods, len(kmsOperations))
	}
}

// TestKMSOperationFlags checks that every field of the table is a field of
// its request model with a flag that says what it takes, and that each
// operation's help names every flag.
func TestKMSOperationFlags(t *testing.T) {
	for _, op := range kmsOperations {
		fs := flag.NewFlagSet(op.name, flag.ContinueOnError)
		setters, _ := op.addFieldFlags(fs, reflect.ValueOf(op.request()).Elem(), nil)
		if len(*setters) != 0 {
			t.Errorf("%s: setters before parsing", op.name)
		}
		n := 0
		fs.VisitAll(func(f *flag.Flag) {
			n++
			if name, _ := flag.UnquoteUsage(f); name == "value" || f.Usage == "" {
				t.Errorf("%s --%s: no usage or placeholder", op.name, f.Name)
			}
		})
		if n != len(op.fields) {
			t.Errorf("%s: %d flags for %d fields", op.name, n, len(op.fields))
		}
		var out bytes.Buffer
		if code := run([]string{"kms", op.name, "--help"}, nil, &out, io.Discard); code != 0 {
			t.Errorf("%s --help: exit %d", op.name, code)
		}
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(out.String(), "-"+f.Name+" ") {
				t.Errorf("%s --help does not list --%s", op.name, f.Name)
			}
		})
	}
}

// tempFile writes content to a new file in a test's temporary directory
// and returns its name.
func tempFile(t *testing.T, content string) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "")
	if err == nil {
		_, err = f.WriteString(content)
		f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

func TestKMSClientUsageErrors(t *testing.T) {
	token := tempFile(t, "tok\n")
	body := func(s string) string { return tempFile(t, s) }
	t.Setenv("QTENCLAVE_KMS_URL", "")
	t.Setenv("QTENCLAVE_KMS_TOKEN", "")
	t.Setenv("QTENCLAVE_KMS_AK", "")
	t.Setenv("QTENCLAVE_KMS_SK", "")
	t.Setenv("QTENCLAVE_KMS_PROJECT", "")
	conn := []string{"--kms", "http://127.0.0.1:1", "--token-file", token}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"kms"}, "operations:"},
		{[]string{"kms", "frobnicate"}, `unknown operation "frobnicate"`},
		{[]string{"kms", "describe-key", "--key-id", "x"}, "no KMS"},
		{[]string{"kms", "describe-key", "--kms", "127.0.0.1:8443", "--token-file", token}, "want http://HOST:PORT"},
		{[]string{"kms", "describe-key", "--kms", "http://127.0.0.1:1"}, "no credentials"},
		{[]string{"kms", "describe-key", "--kms", "http://127.0.0.1:1", "--access-key", "AK"}, "go together"},
		{append([]string{"kms", "describe-key", "--access-key", "AK"}, conn...), "give one"},
		{append([]string{"kms", "describe-key", "--project", "short"}, conn...), "not 32 letters"},
		{append([]string{"kms", "describe-key", "--key-id", "a", "--key-id", "b"}, conn...), "given twice"},
		{append([]string{"kms", "describe-key", "stray"}, conn...), `unexpected argument "stray"`},
		{append([]string{"kms", "describe-key", "--key-alias", "a"}, conn...), "flag provided but not defined: -key-alias"},
		{append([]string{"kms", "describe-key", "--json-body", body(`{"key_id":"a","key_alias":"b"}`)}, conn...), `unknown field "key_alias"`},
		{append([]string{"kms", "describe-key", "--json-body", body(`{"key_id":"a"} {}`)}, conn...), "data after the JSON object"},
		{append([]string{"kms", "describe-key", "--json-body", body(`null`)}, conn...), "not a JSON object"},
		{append([]string{"kms", "describe-key", "--json-body", body(`{"key_id":1}`)}, conn...), "cannot unmarshal number"},
		{append([]string{"kms", "create-key", "--recipient-attestation", "PCR0=aa", "--recipient-attestation", "PCR0=bb"}, conn...), "PCR0 given twice"},
		{append([]string{"kms", "create-key", "--recipient-attestation", "PCR0"}, conn...), "want KEY=VALUE"},
		{append([]string{"kms", "create-ec-datakey-pair", "--with-plain-text", "maybe"}, conn...), "not true or false"},
		{append([]string{"kms", "import-key-material", "--expiration-time", "soon"}, conn...), "not a decimal integer"},
		{append([]string{"kms", "import-key-material", "--material-file", token, "--import-token", "x"}, conn...), "give none of them"},
		{append([]string{"kms", "derive-shared-secret", "--public-key", "not base64!"}, conn...), "neither a readable file nor base64"},
		{append([]string{"kms", "derive-shared-secret", "--attestation-document", body("not a document!")}, conn...), "not an attestation document"},
	} {
		code, stdout, stderr := runCLI(t, nil, tc.args...)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", tc.args, code, stderr)
		}
		if !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: stderr %q lacks %q", tc.args, stderr, tc.want)
		}
		if stdout != "" {
			t.Errorf("%q: stdout %q", tc.args, stdout)
		}
	}
}

func TestKMSClientEnvironment(t *testing.T) {
	tokenFile, skFile := tempFile(t, "file-token\n"), tempFile(t, "file-sk\n")
	for _, tc := range []struct {
		env               map[string]string
		args              []string
		token, ak, sk, pj string
	}{
		{env: map[string]string{"QTENCLAVE_KMS_TOKEN": "env-token", "QTENCLAVE_KMS_AK": "env-ak", "QTENCLAVE_KMS_SK": "env-sk"}, token: "env-token"},
		{env: map[string]string{"QTENCLAVE_KMS_AK": "env-ak", "QTENCLAVE_KMS_SK": "env-sk"}, ak: "env-ak", sk: "env-sk"},
		{env: map[string]string{"QTENCLAVE_KMS_TOKEN": "env-token"}, args: []string{"--token-file", tokenFile}, token: "file-token"},
		{env: map[string]string{"QTENCLAVE_KMS_TOKEN": "env-token", "QTENCLAVE_KMS_SK": "env-sk"}, args: []string{"--access-key", "flag-ak"}, ak: "flag-ak", sk: "env-sk"},
		{env: map[string]string{"QTENCLAVE_KMS_AK": "env-ak", "QTENCLAVE_KMS_SK": "env-sk"}, args: []string{"--secret-key-file", skFile}, ak: "env-ak", sk: "file-sk"},
		{env: map[string]string{"QTENCLAVE_KMS_TOKEN": "t", "QTENCLAVE_KMS_PROJECT": strings.Repeat("b", 32)}, token: "t", pj: strings.Repeat("b", 32)},
		{env: map[string]string{"QTENCLAVE_KMS_TOKEN": "t", "QTENCLAVE_KMS_PROJECT": strings.Repeat("b", 32)}, args: []string{"--project", strings.Repeat("c", 32)}, token: "t", pj: strings.Repeat("c", 32)},
	} {
		for _, v := range []string{"QTENCLAVE_KMS_TOKEN", "QTENCLAVE_KMS_AK", "QTENCLAVE_KMS_SK", "QTENCLAVE_KMS_PROJECT"} {
			t.Setenv(v, tc.env[v])
		}
		t.Setenv("QTENCLAVE_KMS_URL", "http://127.0.0.1:1")
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		conn := addKMSConnFlags(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		c, err := conn.client(fs)
		if err != nil {
			t.Errorf("%v %q: %v", tc.env, tc.args, err)
			continue
		}
		if tc.pj == "" {
			tc.pj = defaultKMSProject
		}
		if c.Token.Reveal() != tc.token || c.AccessKey != tc.ak || c.SecretKey.Reveal() != tc.sk || c.ProjectID != tc.pj || c.Endpoint != "http://127.0.0.1:1" {
			t.Errorf("%v %q: got %q %q %q %q, want %q %q %q %q", tc.env, tc.args, c.Token.Reveal(), c.AccessKey, c.SecretKey.Reveal(), c.ProjectID, tc.token, tc.ak, tc.sk, tc.pj)
		}
	}
}

func TestReadPublicKeyArg(t *testing.T) {
	der := []byte{0x30, 0x03, 0x02, 0x01, 0x05}
	want := base64.StdEncoding.EncodeToString(der)
	for _, arg := range []string{
		want,
		"  " + want + "\n",
		tempFile(t, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))),
		tempFile(t, string(der)),
		tempFile(t, want+"\n"),
	} {
		got, err := readPublicKeyArg(arg)
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", arg, got, err, want)
		}
	}
	for _, arg := range []string{
		"",
		"!!",
		tempFile(t, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))),
		tempFile(t, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))+"trailing"),
		t.TempDir(),
	} {
		if got, err := readPublicKeyArg(arg); err == nil {
			t.Errorf("%q: got %q, want an error", arg, got)
		}
	}
}

// TestKMSClientKeepsSecretsOffStderr runs the client with secrets in
// files and in the environment, against a KMS that refuses them, and
// checks that stderr shows none of them.
func TestKMSClientKeepsSecretsOffStderr(t *testing.T) {
	const secret = "Sup3rSecretTokenValue"
	lines, stop := serveKMS(t, "--addr", "127.0.0.1:0", "--token-file", tempFile(t, "right-token"))
	defer stop()
	addr, _ := strings.CutPrefix(lines[0], "listening on ")
	t.Setenv("QTENCLAVE_KMS_URL", addr)
	t.Setenv("QTENCLAVE_KMS_TOKEN", "")
	t.Setenv("QTENCLAVE_KMS_AK", "")
	t.Setenv("QTENCLAVE_KMS_SK", "")
	plain := strings.Repeat("ab", 64) + secret
	for _, tc := range []struct {
		code int
		args []string
	}{
		{1, []string{"list-keys", "--token-file", tempFile(t, secret)}},
		{2, []string{"list-keys", "--token-file", tempFile(t, secret+"\n"+secret)}},
		{2, []string{"list-keys", "--access-key", "ak", "--secret-key-file", tempFile(t, secret+" x")}},
		{1, []string{"list-keys", "--access-key", "ak", "--secret-key-file", tempFile(t, secret)}},
		{1, []string{"encrypt-datakey", "--token-file", tempFile(t, "right-token"), "--key-id", "00000000-0000-0000-0000-000000000000",
			"--plain-text-file", tempFile(t, plain), "--datakey-plain-length", "32"}},
		{2, []string{"encrypt-datakey", "--token-file", tempFile(t, "right-token"), "--plain-text-file", tempFile(t, plain+"\n"+plain)}},
		{2, []string{"import-key-material", "--token-file", tempFile(t, "right-token"), "--material-file", tempFile(t, "-----BEGIN "+secret)}},
	} {
		code, stdout, stderr := runCLI(t, nil, append([]string{"kms"}, tc.args...)...)
		if code != tc.code {
			t.Errorf("%q: exit %d, want %d: %s", tc.args, code, tc.code, stderr)
		}
		if strings.Contains(stderr, secret) || strings.Contains(stderr, "right-token") {
			t.Errorf("%q: stderr shows a secret: %s", tc.args, stderr)
		}
		if stderr == "" || stdout != "" {
			t.Errorf("%q: stdout %q, stderr %q", tc.args, stdout, stderr)
		}
	}
}
