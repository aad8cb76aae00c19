package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/qtenclave/qtenclave/kms/huawei"
)

// The client side of `qtenclave kms`: one operation of the Huawei REST API
// per call, through huawei.Client, its response printed as indented JSON.
// Every operation is a row of kmsOperations; its flags are made from the
// fields the row names, by the request model's JSON field names.

const kmsClientUsage = `usage: qtenclave kms OPERATION [flags]
       qtenclave kms serve [flags]        run a local KMS (qtenclave kms serve --help)

Call the Huawei REST API of a KMS (qtenclave kms serve, or Huawei Cloud KMS)
and print its response as indented JSON. Exit status: 0 success; 1 the KMS
answered an error (printed as "qtenclave kms OPERATION: CODE: MESSAGE") or
could not be reached; 2 usage error.

operations:
%s
The request's fields are flags named after its JSON fields (key_id is
--key-id); or give the whole body, with the same field names, with
--json-body FILE ('-' for stdin), and flags override its fields.
"qtenclave kms OPERATION --help" lists an operation's flags.

connection (every operation):
  --kms URL               the KMS, e.g. http://127.0.0.1:8443 (or QTENCLAVE_KMS_URL)
  --project ID            32-character project ID (or QTENCLAVE_KMS_PROJECT;
                          default ` + defaultKMSProject + `)
  --token-file FILE       X-Auth-Token, one line (or QTENCLAVE_KMS_TOKEN)
  --access-key AK         sign requests with an access key (or QTENCLAVE_KMS_AK)
  --secret-key-file FILE  its secret key, one line (or QTENCLAVE_KMS_SK)

No flag takes a secret itself: every user of the machine can read command
lines (ps). Secrets come from files or the environment; a flag beats the
environment, and a token beats an access key.
`

// defaultKMSProject is the project ID used without --project: the local
// server accepts any 32 letters and digits, as Huawei's project IDs are.
const defaultKMSProject = "0123456789abcdef0123456789abcdef"

var kmsProjectPattern = regexp.MustCompile(`^[0-9a-zA-Z]{32}$`)

// kmsClientTimeout bounds one call; create-rsa-datakey-pair with RSA_4096
// is the slowest operation of the local server.
const kmsClientTimeout = 2 * time.Minute

// maxJSONBody bounds --json-body: the local server refuses bodies larger
// than 64 KiB.
const maxJSONBody = 64 << 10

// maxKeyMaterial bounds --material-file: an RSA-4096 private key is about
// 2.4 KB of PKCS#8 DER, 3.3 KB as PEM.
const maxKeyMaterial = 16 << 10

// kmsOperation is one operation of the client.
type kmsOperation struct {
	name    string
	summary string
	// fields are the JSON names of the request fields offered as flags,
	// "name=default" for a field set to default when nothing sets it.
	fields  []string
	request func() any // a new request model
	call    func(ctx context.Context, c *huawei.Client, req any) (any, error)
	// route is "METHOD PATH" of an operation that is not POST to its name
	// (the alias and tag APIs), PATH below /v1.0/{project_id}/kms/ with
	// {key_id} and {key} for the request's fields of those names.
	route string
	// extra adds an operation's own flags. What it returns checks the
	// request once the command line is read, and runs before the call to
	// complete the request.
	extra func(fs *flag.FlagSet) (check func(req any) error, before func(ctx context.Context, c *huawei.Client, req any) error)
}

// kmsOp makes the row of the operation that method calls.
func kmsOp[Req, Resp any](name, summary string, method func(*huawei.Client, context.Context, *Req) (*Resp, error), fields ...string) kmsOperation {
	return kmsOperation{
		name: name, summary: summary, fields: fields,
		request: func() any { return new(Req) },
		call: func(ctx context.Context, c *huawei.Client, req any) (any, error) {
			resp, err := method(c, ctx, req.(*Req))
			if err != nil {
				return nil, err
			}
			return resp, nil
		},
	}
}

// importKeyMaterial adapts the Client's method, which returns no body, to
// kmsOp: the response printed is the empty object the server answers.
func importKeyMaterial(c *huawei.Client, ctx context.Context, req *huawei.ImportKeyMaterialRequest) (*struct{}, error) {
	if err := c.ImportKeyMaterial(ctx, req); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// noBody adapts a Client method that returns no body to kmsOp: the
// response printed is the empty object the server answers.
func noBody[Req any](method func(*huawei.Client, context.Context, *Req) error) func(*huawei.Client, context.Context, *Req) (*struct{}, error) {
	return func(c *huawei.Client, ctx context.Context, req *Req) (*struct{}, error) {
		if err := method(c, ctx, req); err != nil {
			return nil, err
		}
		return &struct{}{}, nil
	}
}

func withRoute(op kmsOperation, route string) kmsOperation {
	op.route = route
	return op
}

var kmsOperations = []kmsOperation{
	kmsOp("create-key", "create a key: a CMK (AES_256, SM4) or an asymmetric key", (*huawei.Client).CreateKey,
		"key_alias", "key_spec", "key_usage", "key_description", "origin", "recipient_attestation", "sequence"),
	kmsOp("describe-key", "describe a key", (*huawei.Client).DescribeKey,
		"key_id", "sequence"),
	kmsOp("list-keys", "list keys, a page at a time", (*huawei.Client).ListKeys,
		"limit", "marker", "key_state", "key_spec", "sequence"),
	kmsOp("get-publickey", "get the public key of an asymmetric key", (*huawei.Client).GetPublicKey,
		"key_id", "sequence"),
	kmsOp("derive-shared-secret", "ECDH of a KEY_AGREEMENT key with a peer's public key", (*huawei.Client).DeriveSharedSecret,
		"key_id", "key_agreement_algorithm=ECDH", "public_key", "recipient"),
	kmsOp("create-ec-datakey-pair", "create an EC data key pair, its private key under a CMK", (*huawei.Client).CreateECDataKeyPair,
		"key_id", "key_spec", "with_plain_text", "additional_authenticated_data", "recipient", "sequence"),
	kmsOp("create-rsa-datakey-pair", "create an RSA data key pair, its private key under a CMK", (*huawei.Client).CreateRSADataKeyPair,
		"key_id", "key_spec", "with_plain_text", "additional_authenticated_data", "recipient", "sequence"),
	kmsOp("encrypt-datakey", "encrypt a data key under a CMK", (*huawei.Client).EncryptDatakey,
		"key_id", "plain_text", "datakey_plain_length", "additional_authenticated_data", "sequence"),
	kmsOp("decrypt-datakey", "decrypt a data key that encrypt-datakey encrypted", (*huawei.Client).DecryptDatakey,
		"key_id", "cipher_text", "datakey_cipher_length", "additional_authenticated_data", "recipient", "sequence"),
	kmsOp("create-datakey", "create a data key: in plaintext (or sealed to a recipient) and under a CMK", (*huawei.Client).CreateDatakey,
		"key_id", "key_spec", "datakey_length", "additional_authenticated_data", "recipient", "sequence"),
	kmsOp("encrypt-data", "encrypt up to 4096 bytes of text under a CMK", (*huawei.Client).EncryptData,
		"key_id", "plain_text", "encryption_algorithm", "additional_authenticated_data", "sequence"),
	kmsOp("decrypt-data", "decrypt what encrypt-data encrypted", (*huawei.Client).DecryptData,
		"cipher_text", "key_id", "encryption_algorithm", "additional_authenticated_data", "recipient", "sequence"),
	kmsOp("create-datakey-without-plaintext", "create a data key under a CMK only", (*huawei.Client).CreateDatakeyWithoutPlaintext,
		"key_id", "key_spec", "datakey_length", "additional_authenticated_data", "sequence"),
	kmsOp("sign", "sign a message or its digest with a SIGN_VERIFY key", (*huawei.Client).Sign,
		"key_id", "message", "signing_algorithm", "message_type", "sequence"),
	kmsOp("verify", "verify a signature (signature_valid true or false)", (*huawei.Client).Verify,
		"key_id", "message", "signature", "signing_algorithm", "message_type", "sequence"),
	kmsOp("gen-random", "generate random bytes", (*huawei.Client).GenRandom,
		"random_data_length", "recipient", "sequence"),
	kmsOp("get-parameters-for-import", "get a wrapping key and an import token for a key of origin external", (*huawei.Client).GetParametersForImport,
		"key_id", "wrapping_algorithm=RSAES_OAEP_SHA_256", "sequence"),
	withExtra(kmsOp("import-key-material", "import key material into a key of origin external", importKeyMaterial,
		"key_id", "import_token", "encrypted_key_material", "encrypted_privatekey", "expiration_time", "sequence"),
		materialFileFlag),
	kmsOp("enable-key", "enable a disabled key", (*huawei.Client).EnableKey, "key_id", "sequence"),
	kmsOp("disable-key", "disable an enabled key", (*huawei.Client).DisableKey, "key_id", "sequence"),
	kmsOp("schedule-key-deletion", "delete a key after a waiting period", (*huawei.Client).ScheduleKeyDeletion,
		"key_id", "pending_days", "sequence"),
	kmsOp("cancel-key-deletion", "cancel a key's deletion (the key is then disabled)", (*huawei.Client).CancelKeyDeletion,
		"key_id", "sequence"),
	kmsOp("update-key-alias", "change a key's key_alias", (*huawei.Client).UpdateKeyAlias, "key_id", "key_alias", "sequence"),
	kmsOp("update-key-description", "change a key's description", (*huawei.Client).UpdateKeyDescription,
		"key_id", "key_description", "sequence"),
	kmsOp("delete-imported-key-material", "delete a key's imported material (the key is then pending import)",
		noBody((*huawei.Client).DeleteImportedKeyMaterial), "key_id", "sequence"),
	withRoute(kmsOp("create-alias", "give a key an alias", (*huawei.Client).CreateAlias, "key_id", "alias"), "POST aliases"),
	withRoute(kmsOp("associate-alias", "move an alias to another key", (*huawei.Client).AssociateAlias, "alias", "target_key_id"),
		"POST alias/associate"),
	withRoute(kmsOp("delete-alias", "delete aliases of a key (--json-body for several)", noBody((*huawei.Client).DeleteAlias), "key_id"),
		"DELETE aliases"),
	withRoute(kmsOp("list-aliases", "list aliases, of a key or all, a page at a time", (*huawei.Client).ListAliases,
		"key_id", "limit", "marker"), "GET aliases"),
	withRoute(kmsOp("create-kms-tag", "tag a key (the tag in --json-body)", noBody((*huawei.Client).CreateKMSTag), "key_id", "sequence"),
		"POST {key_id}/tags"),
	withRoute(kmsOp("batch-create-kms-tags", "add or remove tags of a key (the tags in --json-body)", noBody((*huawei.Client).BatchKMSTags),
		"key_id", "action", "sequence"), "POST {key_id}/tags/action"),
	withRoute(kmsOp("delete-kms-tag", "remove a tag of a key", noBody((*huawei.Client).DeleteKMSTag), "key_id", "key"),
		"DELETE {key_id}/tags/{key}"),
	withRoute(kmsOp("show-kms-tags", "list the tags of a key", (*huawei.Client).ShowKMSTags, "key_id"), "GET {key_id}/tags"),
	withRoute(kmsOp("list-kms-tags", "list every tag key with its values", (*huawei.Client).ListKMSTags), "GET tags"),
}

func withExtra(op kmsOperation, extra func(*flag.FlagSet) (func(any) error, func(context.Context, *huawei.Client, any) error)) kmsOperation {
	op.extra = extra
	return op
}

// fieldUsage is the help of a field's flag.
var fieldUsage = map[string]string{
	"key_id":                        "key `ID` (36 characters)",
	"key_alias":                     "key `ALIAS`",
	"key_spec":                      "key `SPEC` (create-key: AES_256, SM4, RSA_2048, EC_P256, ...; data key pairs: ECC_NIST_P256, RSA_2048, ...; list-keys: also ALL)",
	"key_usage":                     "key `USAGE`: ENCRYPT_DECRYPT, SIGN_VERIFY or KEY_AGREEMENT",
	"key_description":               "key `DESCRIPTION`",
	"origin":                        "`ORIGIN`: kms, or external (key material imported later)",
	"recipient_attestation":         "`PCRn=HEX` that a recipient's attestation document must carry (repeatable; this server's extension)",
	"sequence":                      "request serial `NUMBER` (36 characters)",
	"limit":                         "`N` keys per page (1 to 1000)",
	"marker":                        "next_marker of the previous page (`MARKER`)",
	"key_state":                     "only keys in `STATE` (1 to 5; 2 is enabled)",
	"key_agreement_algorithm":       "key agreement `ALGORITHM`",
	"with_plain_text":               "return the private key in plaintext: `true|false`",
	"additional_authenticated_data": "additional authenticated `DATA` (not secret)",
	"datakey_plain_length":          "`LENGTH` of the data key in bytes",
	"cipher_text":                   "`CIPHERTEXT`: hex from encrypt-datakey or create-datakey, base64 from encrypt-data",
	"datakey_length":                "`BITS` of the data key (a multiple of 8, 8 to 8192)",
	"encryption_algorithm":          "encryption `ALGORITHM`: SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_256 or SM2_ENCRYPT",
	"message":                       "`BASE64` of the message, or of its digest",
	"signature":                     "`BASE64` of the signature",
	"signing_algorithm":             "signing `ALGORITHM`: RSASSA_PSS_SHA_256, RSASSA_PKCS1_V1_5_SHA_256, ECDSA_SHA_256, SM2DSA_SM3, ...",
	"message_type":                  "`TYPE` of message: DIGEST (the default) or RAW",
	"random_data_length":            "`BITS` of random data (a multiple of 8, 8 to 8192)",
	"datakey_cipher_length":         "`LENGTH` of the data key in bytes",
	"wrapping_algorithm":            "wrapping `ALGORITHM`",
	"import_token":                  "import_token of get-parameters-for-import (`BASE64`)",
	"encrypted_key_material":        "key material (or the intermediate AES key) wrapped with RSAES-OAEP-SHA256 (`BASE64`)",
	"encrypted_privatekey":          "private key wrapped (RFC 5649) under the intermediate AES key (`BASE64`)",
	"expiration_time":               "`TIME` the imported material expires (seconds since the epoch)",
	"pending_days":                  "`DAYS` before the key is deleted (7 to 1096)",
	"alias":                         "`ALIAS` of the key",
	"target_key_id":                 "`ID` of the key the alias moves to",
	"action":                        "`ACTION`: create or delete",
	"key":                           "tag `KEY`",
}

// fieldReader reads a field whose flag does not take the value itself.
type fieldReader struct {
	flag, usage string
	read        func(arg string, stdin io.Reader) (any, error)
}

var fieldReaders = map[string]fieldReader{
	"public_key": {"public-key", "the peer's public key: a `FILE` (PEM PUBLIC KEY, DER or base64) or base64 DER SubjectPublicKeyInfo",
		func(arg string, _ io.Reader) (any, error) { return readPublicKeyArg(arg) }},
	"plain_text": {"plain-text-file", "read plain_text from `FILE` (one line), for it is secret: encrypt-datakey's hex of the data key and its SHA-256 (SM3 for SM4), or encrypt-data's text",
		func(arg string, _ io.Reader) (any, error) {
			s, err := readSecretFile(arg)
			if err != nil {
				return nil, err
			}
			return huawei.NewSecret(s), nil
		}},
	"recipient": {"attestation-document", "seal the secret to the enclave of the attestation document in `FILE` (raw CBOR, hex or base64; '-' for stdin)",
		readRecipient},
}

// errFlagUsage says that the flag package has printed why the command
// line is wrong, and the usage: exit 2.
var errFlagUsage = errors.New("flag usage")

func runKMSClient(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, kmsClientUsage, operationList())
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(stdout, kmsClientUsage, operationList())
		return 0
	}
	var op *kmsOperation
	for i := range kmsOperations {
		if kmsOperations[i].name == args[0] {
			op = &kmsOperations[i]
		}
	}
	if op == nil {
		fmt.Fprintf(stderr, "qtenclave kms: unknown operation %q\n", args[0])
		fmt.Fprintf(stderr, kmsClientUsage, operationList())
		return 2
	}
	prefix := "qtenclave kms " + op.name
	c, req, before, err := op.parse(args[1:], stdin, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		if err != errFlagUsage {
			fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var resp any
	if err = before(ctx, c, req); err == nil {
		resp, err = op.call(ctx, c, req)
	}
	var apiErr *huawei.APIError
	switch {
	case errors.As(err, &apiErr):
		code := apiErr.Code
		if code == "" {
			code = "HTTP " + strconv.Itoa(apiErr.StatusCode)
		}
		fmt.Fprintf(stderr, "%s: %s: %s\n", prefix, code, apiErr.Message)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
		return 1
	}
	return writeJSON(stdout, stderr, resp)
}

// operationList is the operations part of the usage text.
func operationList() string {
	var b strings.Builder
	for _, op := range kmsOperations {
		fmt.Fprintf(&b, "  %-26s %s\n", op.name, op.summary)
	}
	return b.String()
}

// parse reads the command line of op: the client, the request and what
// runs before the call. Its errors are usage errors; errFlagUsage means
// that the flag package has printed the reason and the usage, and
// flag.ErrHelp that the usage was asked for and printed.
func (op *kmsOperation) parse(args []string, stdin io.Reader, stdout, stderr io.Writer) (*huawei.Client, any, func(context.Context, *huawei.Client, any) error, error) {
	fs := flag.NewFlagSet("kms "+op.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	conn := addKMSConnFlags(fs)
	jsonBody := fs.String("json-body", "", "the request body as JSON from `FILE` ('-' for stdin), with the API's field names; flags override its fields")
	req := op.request()
	setters, defaults := op.addFieldFlags(fs, reflect.ValueOf(req).Elem(), stdin)
	check := func(any) error { return nil }
	before := func(context.Context, *huawei.Client, any) error { return nil }
	if op.extra != nil {
		check, before = op.extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		w := stderr
		if errors.Is(err, flag.ErrHelp) {
			w = stdout
		}
		fmt.Fprintf(w, "usage: qtenclave kms %s [flags]\n\n%s.\n\nflags:\n", op.name, op.summary)
		fs.SetOutput(w)
		fs.PrintDefaults()
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, nil, err
		}
		return nil, nil, nil, errFlagUsage
	}
	if fs.NArg() != 0 {
		return nil, nil, nil, fmt.Errorf("unexpected argument %q (request fields are flags)", fs.Arg(0))
	}
	c, err := conn.client(fs)
	if err != nil {
		return nil, nil, nil, err
	}
	if *jsonBody != "" {
		if err := readJSONBody(*jsonBody, stdin, req); err != nil {
			return nil, nil, nil, fmt.Errorf("--json-body: %w", err)
		}
	}
	v := reflect.ValueOf(req).Elem()
	for _, set := range *setters {
		set(v)
	}
	for name, def := range defaults {
		if f := v.FieldByIndex(jsonFieldIndex(v.Type(), name)); f.IsZero() {
			f.SetString(def)
		}
	}
	if err := check(req); err != nil {
		return nil, nil, nil, err
	}
	return c, req, before, nil
}

// addFieldFlags adds a flag for each field of op, which sets the field of
// the request v. It returns the setters of the flags given, to run after
// --json-body, and the defaults by JSON name.
func (op *kmsOperation) addFieldFlags(fs *flag.FlagSet, v reflect.Value, stdin io.Reader) (*[]func(reflect.Value), map[string]string) {
	setters := new([]func(reflect.Value))
	defaults := map[string]string{}
	for _, spec := range op.fields {
		name, def, hasDefault := strings.Cut(spec, "=")
		idx := jsonFieldIndex(v.Type(), name)
		ft := v.Type().FieldByIndex(idx).Type
		flagName, usage := strings.ReplaceAll(name, "_", "-"), fieldUsage[name]
		parse := func(arg string, _ io.Reader) (any, error) { return parseFieldValue(ft, arg) }
		if r, ok := fieldReaders[name]; ok {
			flagName, usage, parse = r.flag, r.usage, r.read
		}
		if hasDefault {
			defaults[name] = def
			usage += " (default " + def + ")"
		}
		repeatable := ft.Kind() == reflect.Map
		given := map[string]bool{} // the map keys given, or "" for the flag
		fs.Func(flagName, usage, func(arg string) error {
			x, err := parse(arg, stdin)
			if err != nil {
				return err
			}
			xv, key := reflect.ValueOf(x), ""
			if repeatable {
				key = xv.MapKeys()[0].String()
			}
			if given[key] && key == "" {
				return errors.New("given twice")
			}
			if given[key] {
				return fmt.Errorf("%s given twice", key)
			}
			given[key] = true
			*setters = append(*setters, func(req reflect.Value) {
				f := req.FieldByIndex(idx)
				if !repeatable {
					f.Set(xv)
					return
				}
				if f.IsNil() {
					f.Set(reflect.MakeMap(ft))
				}
				for _, k := range xv.MapKeys() {
					f.SetMapIndex(k, xv.MapIndex(k))
				}
			})
			return nil
		})
	}
	return setters, defaults
}

// jsonFieldIndex returns the index of the field of struct type t whose JSON
// name is name. The operation table names only fields that exist: a name
// that does not is a programmer's error, which the tests catch.
func jsonFieldIndex(t reflect.Type, name string) []int {
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if tag == name {
			return []int{i}
		}
	}
	panic("qtenclave: " + t.Name() + " has no field " + name)
}

// parseFieldValue parses a flag's argument as a value of the field's type:
// string, *bool, *int64 or map[string]string (one KEY=VALUE).
func parseFieldValue(t reflect.Type, arg string) (any, error) {
	switch t {
	case reflect.TypeFor[string]():
		return arg, nil
	case reflect.TypeFor[*bool]():
		b, err := strconv.ParseBool(arg)
		if err != nil {
			return nil, errors.New("not true or false")
		}
		return &b, nil
	case reflect.TypeFor[*int64]():
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			return nil, errors.New("not a decimal integer")
		}
		return &n, nil
	case reflect.TypeFor[map[string]string]():
		k, v, ok := strings.Cut(arg, "=")
		if !ok || k == "" {
			return nil, errors.New("want KEY=VALUE")
		}
		return map[string]string{k: v}, nil
	}
	panic("qtenclave: no flag for a field of type " + t.String())
}

// readJSONBody decodes the JSON object in file ('-': stdin) into req,
// strictly: unknown fields, and anything after the object, are refused.
func readJSONBody(file string, stdin io.Reader, req any) error {
	r := stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxJSONBody+1))
	if err != nil {
		return err
	}
	if len(b) > maxJSONBody {
		return fmt.Errorf("larger than %d bytes", maxJSONBody)
	}
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

// readPublicKeyArg returns the base64 DER SubjectPublicKeyInfo that
// --public-key gives: a file (PEM PUBLIC KEY, DER or base64 text) or, when
// no file has that name, base64 itself. The key itself is not parsed: the
// KMS judges it, on curves (SM2, secp256k1) that crypto/x509 does not know.
func readPublicKeyArg(arg string) (string, error) {
	b := []byte(arg)
	if _, err := os.Stat(arg); err == nil {
		if b, err = readFileBounded(arg); err != nil {
			return "", err
		}
	}
	if blk, rest := pem.Decode(b); blk != nil {
		if blk.Type != "PUBLIC KEY" || len(bytes.TrimSpace(rest)) != 0 {
			return "", fmt.Errorf("want one PEM PUBLIC KEY block, got %q", blk.Type)
		}
		return base64.StdEncoding.EncodeToString(blk.Bytes), nil
	}
	if len(b) > 0 && b[0] == 0x30 { // a DER SEQUENCE
		return base64.StdEncoding.EncodeToString(b), nil
	}
	der, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil || len(der) == 0 {
		return "", errors.New("neither a readable file nor base64")
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// readRecipient reads --attestation-document: the recipient that seals
// the response's secret to the document's RSA key.
func readRecipient(file string, stdin io.Reader) (any, error) {
	doc, _, err := readDocument(file, stdin)
	if err != nil {
		return nil, err
	}
	return &huawei.Recipient{
		AttestationDocument:    base64.StdEncoding.EncodeToString(doc),
		KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256",
	}, nil
}

// materialFileFlag adds import-key-material's --material-file: the key to
// import, which it wraps after get-parameters-for-import.
func materialFileFlag(fs *flag.FlagSet) (check func(any) error, before func(context.Context, *huawei.Client, any) error) {
	var material []byte
	fs.Func("material-file", "import the key in `FILE`: get-parameters-for-import, wrap it, then import; "+
		"a raw AES_256 (32 bytes) or SM4 (16 bytes) key, or a private key as PKCS#8 (PEM PRIVATE KEY or DER)",
		func(file string) error {
			if material != nil {
				return errors.New("given twice")
			}
			var err error
			material, err = readKeyMaterial(file)
			return err
		})
	check = func(req any) error {
		r := req.(*huawei.ImportKeyMaterialRequest)
		if material != nil && (r.ImportToken != "" || r.EncryptedKeyMaterial != "" || r.EncryptedPrivatekey != "") {
			return errors.New("--material-file makes import_token, encrypted_key_material and encrypted_privatekey: give none of them")
		}
		return nil
	}
	before = func(ctx context.Context, c *huawei.Client, req any) error {
		if material == nil {
			return nil
		}
		defer clear(material)
		r := req.(*huawei.ImportKeyMaterialRequest)
		params, err := c.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{KeyID: r.KeyID, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
		if err != nil {
			return err
		}
		wrapped, err := huawei.WrapKeyMaterial(params, material)
		if err != nil {
			return err
		}
		r.ImportToken, r.EncryptedKeyMaterial, r.EncryptedPrivatekey = wrapped.ImportToken, wrapped.EncryptedKeyMaterial, wrapped.EncryptedPrivatekey
		return nil
	}
	return check, before
}

// readKeyMaterial reads --material-file: raw bytes, or the DER of a PEM
// PRIVATE KEY block. Errors never quote the file.
func readKeyMaterial(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyMaterial+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read failed", file)
	}
	if len(b) > maxKeyMaterial {
		clear(b)
		return nil, fmt.Errorf("%s: larger than %d bytes", file, maxKeyMaterial)
	}
	if !bytes.HasPrefix(bytes.TrimSpace(b), []byte("-----BEGIN ")) {
		if len(b) == 0 {
			return nil, fmt.Errorf("%s: empty", file)
		}
		return b, nil
	}
	defer clear(b)
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: want a PEM PRIVATE KEY (PKCS#8) block", file)
	}
	return blk.Bytes, nil
}

// kmsConnFlags are the connection flags of every operation.
type kmsConnFlags struct {
	url, project, tokenFile, accessKey, secretKeyFile *string
}

func addKMSConnFlags(fs *flag.FlagSet) *kmsConnFlags {
	return &kmsConnFlags{
		url:           fs.String("kms", "", "the KMS `URL`, e.g. http://127.0.0.1:8443 (or QTENCLAVE_KMS_URL)"),
		project:       fs.String("project", "", "32-character project `ID` (or QTENCLAVE_KMS_PROJECT; default "+defaultKMSProject+")"),
		tokenFile:     fs.String("token-file", "", "read the X-Auth-Token from `FILE`, one line (or QTENCLAVE_KMS_TOKEN)"),
		accessKey:     fs.String("access-key", "", "sign requests with access key `AK` (or QTENCLAVE_KMS_AK)"),
		secretKeyFile: fs.String("secret-key-file", "", "read the access key's secret key from `FILE`, one line (or QTENCLAVE_KMS_SK)"),
	}
}

// client makes the Client the flags and the environment describe: a flag
// beats the environment, and a token beats an access key.
func (k *kmsConnFlags) client(fs *flag.FlagSet) (*huawei.Client, error) {
	c := &huawei.Client{
		Endpoint:   orEnv(*k.url, "QTENCLAVE_KMS_URL"),
		ProjectID:  orEnv(*k.project, "QTENCLAVE_KMS_PROJECT"),
		HTTPClient: &http.Client{Timeout: kmsClientTimeout},
	}
	if c.Endpoint == "" {
		return nil, errors.New("no KMS: give --kms URL or set QTENCLAVE_KMS_URL")
	}
	if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("KMS URL %q: want http://HOST:PORT or https://HOST", c.Endpoint)
	}
	if c.ProjectID == "" {
		c.ProjectID = defaultKMSProject
	}
	if !kmsProjectPattern.MatchString(c.ProjectID) {
		return nil, fmt.Errorf("project ID %q is not 32 letters and digits", c.ProjectID)
	}
	signFlags := isFlagSet(fs, "access-key") || isFlagSet(fs, "secret-key-file")
	switch {
	case *k.tokenFile != "" && signFlags:
		return nil, errors.New("--token-file, or --access-key and --secret-key-file: give one")
	case *k.tokenFile != "":
		t, err := readSecretFile(*k.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("--token-file: %w", err)
		}
		c.Token = huawei.NewSecret(t)
		return c, nil
	case !signFlags && os.Getenv("QTENCLAVE_KMS_TOKEN") != "":
		c.Token = huawei.NewSecret(os.Getenv("QTENCLAVE_KMS_TOKEN"))
		return c, nil
	}
	c.AccessKey, c.SecretKey = orEnv(*k.accessKey, "QTENCLAVE_KMS_AK"), huawei.NewSecret(os.Getenv("QTENCLAVE_KMS_SK"))
	if *k.secretKeyFile != "" {
		sk, err := readSecretFile(*k.secretKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--secret-key-file: %w", err)
		}
		c.SecretKey = huawei.NewSecret(sk)
	}
	switch {
	case c.AccessKey == "" && c.SecretKey.IsZero():
		return nil, errors.New("no credentials: give --token-file, or --access-key and --secret-key-file (or their environment variables)")
	case c.AccessKey == "" || c.SecretKey.IsZero():
		return nil, errors.New("an access key and its secret key go together (--access-key, --secret-key-file)")
	}
	return c, nil
}

func orEnv(v, env string) string {
	if v != "" {
		return v
	}
	return os.Getenv(env)
}
