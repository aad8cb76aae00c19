package huawei_test

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/qtenclave/qtenclave/internal/printtest"
	"github.com/qtenclave/qtenclave/kms/huawei"
)

// secretMarker fills every secret field; printed output must show it in no
// encoding.
const secretMarker = "SECRET-marker-0123456789"

// visibleMarker fills the other fields: what is not secret still prints.
const visibleMarker = "visible-field"

// secretJSONNames are the JSON names of the fields that carry a secret in
// plaintext. A model field with such a name must be a huawei.Secret.
var secretJSONNames = map[string]bool{
	"shared_secret":          true,
	"private_key_plain_text": true,
	"data_key":               true,
	"datakey_dgst":           true, // the digest of a short data key gives the key away
	"plain_text":             true,
	"pin":                    true,
	"plain_text_base64":      true,
	"random_data":            true, // gen-random's output may become a key
}

// secretFieldNames are the Go names of the fields without a JSON name that
// carry a secret.
var secretFieldNames = regexp.MustCompile(`^(Token|SecretKey)$`)

// secretHolders returns a value of every type of the package that holds a
// secret, with each secret field set to secretMarker and each other string
// field to visibleMarker.
func secretHolders(t *testing.T) []any {
	t.Helper()
	fill := func(v any) any {
		obj := map[string]any{}
		rt := reflect.TypeOf(v).Elem()
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			switch {
			case secretJSONNames[name]:
				obj[name] = secretMarker
			case rt.Field(i).Type.Kind() == reflect.String:
				obj[name] = visibleMarker
			}
		}
		b, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
		return reflect.ValueOf(v).Elem().Interface()
	}
	return []any{
		huawei.Client{Endpoint: visibleMarker, ProjectID: visibleMarker, AccessKey: visibleMarker,
			Token: huawei.NewSecret(secretMarker), SecretKey: huawei.NewSecret(secretMarker)},
		huawei.NewSecret(secretMarker),
		fill(new(huawei.DeriveSharedSecretResponse)),
		fill(new(huawei.DataKeyPairRequest)),
		fill(new(huawei.DataKeyPairResponse)),
		fill(new(huawei.EncryptDatakeyRequest)),
		fill(new(huawei.DecryptDatakeyResponse)),
		fill(new(huawei.CreateDatakeyRequest)),
		fill(new(huawei.CreateDatakeyResponse)),
		fill(new(huawei.EncryptDataRequest)),
		fill(new(huawei.DecryptDataResponse)),
		fill(new(huawei.GenRandomResponse)),
	}
}

// TestSecretsNotPrinted: no fmt verb, flag or width prints a secret of the
// client or of a wire model, on a value or a pointer, directly or inside
// other values (printtest.Printings), while the other fields still print.
func TestSecretsNotPrinted(t *testing.T) {
	for _, v := range secretHolders(t) {
		for _, leak := range printtest.Leaks(v, secretMarker) {
			t.Error("prints the secret:", leak)
		}
		out := printtest.Printings(v)["value %+v"]
		if !strings.Contains(out, "REDACTED") {
			t.Errorf("%T: %%+v shows %s, want REDACTED", v, out)
		}
		if _, ok := v.(huawei.Secret); !ok && !strings.Contains(out, visibleMarker) {
			t.Errorf("%T: %%+v shows %s, want the other fields", v, out)
		}
	}
}

// TestSecretFieldsListed: every struct type of the package with a field
// that carries a secret is in secretHolders, and no such field is a plain
// string (which %p of a struct value prints as it is, whatever Format
// methods the struct has).
func TestSecretFieldsListed(t *testing.T) {
	var listed []string
	for _, v := range secretHolders(t) {
		listed = append(listed, reflect.TypeOf(v).Name())
	}
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return false
			}
			for _, fld := range st.Fields.List {
				name := ""
				if fld.Tag != nil {
					tag, _ := strconv.Unquote(fld.Tag.Value)
					name, _, _ = strings.Cut(reflect.StructTag(tag).Get("json"), ",")
				}
				for _, id := range fld.Names {
					if !secretJSONNames[name] && !secretFieldNames.MatchString(id.Name) {
						continue
					}
					if !slices.Contains(listed, ts.Name.Name) {
						t.Errorf("%s.%s holds a secret: add %s to secretHolders", ts.Name.Name, id.Name, ts.Name.Name)
					}
					if typ, ok := fld.Type.(*ast.Ident); !ok || typ.Name != "Secret" {
						t.Errorf("%s.%s holds a secret: make it a Secret", ts.Name.Name, id.Name)
					}
				}
			}
			return false
		})
	}
}

// TestSecretJSON: a Secret encodes and decodes as the JSON string; an
// empty one is left out of an omitzero field.
func TestSecretJSON(t *testing.T) {
	b, err := json.Marshal(huawei.DeriveSharedSecretResponse{KeyID: "k", SharedSecret: huawei.NewSecret("c2VjcmV0")})
	if err != nil || string(b) != `{"key_id":"k","key_agreement_algorithm":"","shared_secret":"c2VjcmV0"}` {
		t.Fatalf("%s %v", b, err)
	}
	b, _ = json.Marshal(huawei.DeriveSharedSecretResponse{KeyID: "k", SharedSecret: huawei.NewSecret("")})
	if string(b) != `{"key_id":"k","key_agreement_algorithm":""}` {
		t.Fatalf("%s", b)
	}
	var d huawei.DecryptDatakeyResponse
	if err := json.Unmarshal([]byte(`{"data_key":"00ff","datakey_dgst":null}`), &d); err != nil ||
		d.DataKey.Reveal() != "00ff" || !d.DatakeyDgst.IsZero() {
		t.Fatalf("%v %q", err, d.DataKey.Reveal())
	}
	var te *json.UnmarshalTypeError
	if err := json.Unmarshal([]byte(`{"data_key":12}`), &d); !errors.As(err, &te) || te.Field != "data_key" {
		t.Fatalf("a number for a Secret: %v", err)
	}
}
