package huaweiapi

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/kms/internal/wire"
)

// writeJSON answers derive-shared-secret byte for byte as encoding/json
// writes the model, escaping included.
func TestDeriveResponseJSON(t *testing.T) {
	b64 := strings.Repeat("AZaz09+/", 90) + "=="
	sealed := []byte("\x00\xff sealed")
	for _, r := range []deriveResponse{
		{DeriveSharedSecretResponse: huawei.DeriveSharedSecretResponse{KeyID: "0d0466b0-e727-4d9c-b35d-f84bb474a37f", KeyAgreementAlgorithm: "ECDH", SharedSecret: huawei.NewSecret(b64[:44])}},
		{DeriveSharedSecretResponse: huawei.DeriveSharedSecretResponse{KeyID: "0d0466b0-e727-4d9c-b35d-f84bb474a37f", KeyAgreementAlgorithm: "ECDH"}, forRecipient: sealed},
		{DeriveSharedSecretResponse: huawei.DeriveSharedSecretResponse{KeyID: "k", KeyAgreementAlgorithm: "ECDH", SharedSecret: huawei.NewSecret("s")}, forRecipient: sealed},
		{},
		{forRecipient: []byte{}},
		{DeriveSharedSecretResponse: huawei.DeriveSharedSecretResponse{KeyID: "a<b>&c", KeyAgreementAlgorithm: "\"\\\n\x7f", SharedSecret: huawei.NewSecret("é")}, forRecipient: sealed},
		{DeriveSharedSecretResponse: huawei.DeriveSharedSecretResponse{KeyID: "x<"}, forRecipient: sealed},
		{DeriveSharedSecretResponse: huawei.DeriveSharedSecretResponse{KeyID: "x", SharedSecret: huawei.NewSecret("&")}},
	} {
		want, err := json.Marshal(r.model())
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		writeJSON(w, 200, &r)
		if got := w.Body.String(); got != string(want)+"\n" {
			t.Errorf("%q, encoding/json %q", got, want)
		}
		if _, ok := appendDeriveResponse(nil, &r); ok != plainJSON(r.KeyID+r.KeyAgreementAlgorithm+r.SharedSecret.Reveal()) {
			t.Errorf("%q: fast path %v", r.KeyID, ok)
		}
	}
}

// isProjectID is the rule ^[0-9a-zA-Z]{32}$.
func TestIsProjectID(t *testing.T) {
	rule := regexp.MustCompile(`^[0-9a-zA-Z]{32}$`)
	id := "0123456789abcdefABCDEF0123456789"
	cases := []string{id, "", id[:31], id + "a", id + "\n", "\n" + id[1:]}
	for c := range 256 {
		cases = append(cases, id[:7]+string(rune(c))+id[8:], id[:7]+string([]byte{byte(c)})+id[8:])
	}
	for _, s := range cases {
		if got, want := isProjectID(s), rule.MatchString(s); got != want {
			t.Errorf("isProjectID(%q) = %v, want %v", s, got, want)
		}
	}
}

// parsePath takes exactly /v1.0/{project_id}/kms/{op}.
func TestParsePath(t *testing.T) {
	id := "0123456789abcdefABCDEF0123456789"
	for path, want := range map[string]string{
		"/v1.0/" + id + "/kms/derive-shared-secret": "derive-shared-secret",
		"/v1.0/" + id + "/kms/":                     "",
		"/v1.0/" + id + "/kms":                      "-",
		"/v1.0/" + id + "/kms/a/b":                  "-",
		"/v1.0/" + id + "/kmsx/a":                   "-",
		"/v1.0/" + id + "x/kms/a":                   "-",
		"/v1.0//kms/a":                              "-",
		"v1.0/" + id + "/kms/a":                     "-",
		"/v1.1/" + id + "/kms/a":                    "-",
		"//v1.0/" + id + "/kms/a":                   "-",
	} {
		project, op, ok := parsePath(path)
		if !ok {
			op = "-"
		} else if project != id {
			t.Errorf("%s: project %q", path, project)
		}
		if op != want {
			t.Errorf("%s: %q, want %q", path, op, want)
		}
	}
}

// deriveRequest and blobRecipient have the fields of the models they stand
// for: the same names and tags, of the same types but for wire.Blob for a
// string.
func TestDeriveRequestMirrorsModel(t *testing.T) {
	blob, str := reflect.TypeFor[wire.Blob](), reflect.TypeFor[string]()
	for _, pair := range [][2]reflect.Type{
		{reflect.TypeFor[deriveRequest](), reflect.TypeFor[huawei.DeriveSharedSecretRequest]()},
		{reflect.TypeFor[blobRecipient](), reflect.TypeFor[huawei.Recipient]()},
	} {
		ours, model := pair[0], pair[1]
		if ours.NumField() != model.NumField() {
			t.Fatalf("%v has %d fields, %v %d", ours, ours.NumField(), model, model.NumField())
		}
		for i := range ours.NumField() {
			f, m := ours.Field(i), model.Field(i)
			same := f.Type == m.Type || f.Type == blob && m.Type == str ||
				f.Type == reflect.TypeFor[*blobRecipient]() && m.Type == reflect.TypeFor[*huawei.Recipient]()
			if f.Name != m.Name || f.Tag != m.Tag || !same {
				t.Errorf("%v.%s %v %q, %v.%s %v %q", ours, f.Name, f.Type, f.Tag, model, m.Name, m.Type, m.Tag)
			}
		}
	}
}
