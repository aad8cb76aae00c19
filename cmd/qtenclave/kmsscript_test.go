package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
)

// kmsScriptCmds are the script commands that drive `qtenclave kms serve`
// with real HTTP requests:
//
//	kmsready ADDR                       wait until the server accepts connections
//	kmspost STATUS ADDR OP TOKEN BODY   POST the file BODY, with $VARS expanded, to the
//	                                    Huawei path of OP with X-Auth-Token TOKEN ("-": none),
//	                                    require STATUS, print the reply
//	jsonfield FILE FIELD OUT            write the string FIELD (a.b for nested) of the JSON
//	                                    object in FILE to the file OUT
//	setenvfile VAR FILE                 set $VAR to the contents of FILE
//	b64decode IN OUT                    decode standard base64
//	hexencode IN OUT                    encode as lower-case hex, 64 digits a line
var kmsScriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"kmsready":   cmdKMSReady,
	"kmspost":    cmdKMSPost,
	"jsonfield":  cmdJSONField,
	"setenvfile": cmdSetenvFile,
	"b64decode":  cmdB64Decode,
	"hexencode":  cmdHexEncode,
}

// setupKMSScript gives each script a free loopback port in $KMSADDR and a
// fresh Nitro document whose public_key is rsaSPKI, so that a KMS verifying
// at the current time accepts it: fresh-nitro-rsa.cbor, and its base64 in
// $FRESHDOC.
func setupKMSScript(env *testscript.Env, rsaSPKI []byte) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	env.Setenv("KMSADDR", ln.Addr().String())
	ln.Close()
	doc, err := attestationtest.Issue(attestationtest.Options{Platform: attestation.Nitro, ModuleID: "i-fresh", PublicKey: rsaSPKI})
	if err != nil {
		return err
	}
	env.Setenv("FRESHDOC", base64.StdEncoding.EncodeToString(doc))
	return os.WriteFile(filepath.Join(env.WorkDir, "fresh-nitro-rsa.cbor"), doc, 0o644)
}

func cmdKMSReady(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: kmsready ADDR")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", args[0], time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("kms at %s not ready: %v", args[0], err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func cmdKMSPost(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 5 {
		ts.Fatalf("usage: kmspost STATUS ADDR OP TOKEN BODYFILE")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	body := []byte(os.Expand(ts.ReadFile(args[4]), ts.Getenv))
	url := "http://" + args[1] + "/v1.0/0123456789abcdef0123456789abcdef/kms/" + args[2]
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	ts.Check(err)
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	if args[3] != "-" {
		req.Header.Set("X-Auth-Token", args[3])
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	reply, err := io.ReadAll(resp.Body)
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "%s\n", reply)
	if resp.StatusCode != want {
		ts.Fatalf("POST %s: status %d, want %d: %s", args[2], resp.StatusCode, want, reply)
	}
}

func cmdJSONField(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: jsonfield FILE FIELD OUT")
	}
	var obj map[string]any
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &obj))
	var v any = obj
	for _, k := range strings.Split(args[1], ".") {
		m, ok := v.(map[string]any)
		if !ok {
			ts.Fatalf("%s: %s is not an object", args[0], k)
		}
		v = m[k]
	}
	s, ok := v.(string)
	if !ok {
		ts.Fatalf("%s: field %s is not a string", args[0], args[1])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(s), 0o644))
}

func cmdB64Decode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: b64decode IN OUT")
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(ts.ReadFile(args[0])))
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), b, 0o644))
}

func cmdHexEncode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: hexencode IN OUT")
	}
	h := hex.EncodeToString([]byte(ts.ReadFile(args[0])))
	var b strings.Builder
	for i := 0; i < len(h); i += 64 {
		b.WriteString(h[i:min(i+64, len(h))] + "\n")
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(b.String()), 0o644))
}

func cmdSetenvFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: setenvfile VAR FILE")
	}
	ts.Setenv(args[0], ts.ReadFile(args[1]))
}
