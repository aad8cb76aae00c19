package testvectors

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// vectorFiles lists every vector file with its group type, so that each is
// loaded with the types of this package.
var vectorFiles = map[string]func(string) (int, error){
	"attestation_test.json":             loadCount[AttestationGroup],
	"envelope_test.json":                loadCount[EnvelopeGroup],
	"ecdh_sm2_test.json":                loadCount[ECDHGroup],
	"ecdh_sm2_ecpoint_test.json":        loadCount[ECDHGroup],
	"ecdh_secp256k1_ecpoint_test.json":  loadCount[ECDHGroup],
	"kms_encrypt_datakey_test.json":     loadCount[DatakeyGroup],
	"kms_import_key_material_test.json": loadCount[ImportGroup],
}

func loadCount[G any, PG interface {
	*G
	tests() []*Test
}](name string) (int, error) {
	f, err := Load[G, PG](name)
	if err != nil {
		return 0, err
	}
	return f.NumberOfTests, nil
}

// TestFiles loads every vector file with the package's types (which refuse
// unknown fields) and checks the suite's own rules: tcIds unique, every
// flag described in notes and every note used, a failure class exactly
// where the result needs one, and at least 400 vectors in all.
func TestFiles(t *testing.T) {
	names, err := fs.Glob(FS, "*_test.json")
	if err != nil {
		t.Fatal(err)
	}
	if want := slices.Sorted(mapKeys(vectorFiles)); !slices.Equal(names, want) {
		t.Fatalf("FS holds %v, want %v", names, want)
	}
	total := 0
	for _, name := range names {
		n, err := vectorFiles[name](name)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		f := commonFields(t, name)
		ids := map[int]bool{}
		used := map[string]bool{}
		for _, g := range f.TestGroups {
			for _, tc := range g.Tests {
				if ids[tc.TcID] {
					t.Errorf("%s: tcId %d twice", name, tc.TcID)
				}
				ids[tc.TcID] = true
				for _, fl := range tc.Flags {
					if _, ok := f.Notes[fl]; !ok {
						t.Errorf("%s: %v: flag %s has no note", name, &tc, fl)
					}
					used[fl] = true
				}
				switch {
				case tc.Result == "valid" && tc.Failure != "",
					tc.Result == "invalid" && tc.Failure == "",
					tc.Result != "valid" && tc.Result != "invalid" && tc.Result != "acceptable":
					t.Errorf("%s: %v: result and failure class disagree", name, &tc)
				}
			}
		}
		for fl := range f.Notes {
			if !used[fl] {
				t.Errorf("%s: note %s is used by no test", name, fl)
			}
		}
	}
	if total < 400 {
		t.Errorf("%d vectors in all, want at least 400", total)
	}
	t.Logf("%d vector files, %d vectors", len(names), total)
}

// TestSchemas validates every vector file against the JSON schema it
// names, with the small validator below (the subset of JSON Schema the
// schemas use).
func TestSchemas(t *testing.T) {
	names, _ := fs.Glob(FS, "*_test.json")
	for _, name := range names {
		var doc map[string]any
		if err := json.Unmarshal(mustRead(t, name), &doc); err != nil {
			t.Fatal(err)
		}
		schemaName, _ := doc["schema"].(string)
		var schema map[string]any
		if err := json.Unmarshal(mustRead(t, "schemas/"+schemaName), &schema); err != nil {
			t.Fatalf("%s: schema %q: %v", name, schemaName, err)
		}
		v := &validator{root: schema}
		if err := v.validate(schema, doc, "$"); err != nil {
			t.Errorf("%s does not match %s: %v", name, schemaName, err)
		}
	}
	// Every schema is used.
	schemas, _ := fs.Glob(FS, "schemas/*.json")
	for _, s := range schemas {
		used := false
		for _, name := range names {
			used = used || strings.Contains(string(mustRead(t, name)), `"schema": "`+strings.TrimPrefix(s, "schemas/")+`"`)
		}
		if !used {
			t.Errorf("%s is used by no vector file", s)
		}
	}
}

// TestGeneratorImports checks that the generator depends only on the
// standard library, golang.org/x/crypto and the CBOR library, never on a
// package of this module (which it must check, not reuse).
func TestGeneratorImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./internal/gen").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	var deps []string
	for _, p := range strings.Fields(string(out)) {
		switch {
		case p == "github.com/qtenclave/qtenclave/testvectors/internal/gen":
		case strings.HasPrefix(p, "golang.org/x/crypto/"), strings.HasPrefix(p, "github.com/fxamacker/cbor/v2"):
			deps = append(deps, p)
		default:
			t.Errorf("the generator depends on %s", p)
		}
	}
	t.Logf("non-standard dependencies of the generator: %v", deps)
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(FS, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// validator checks a JSON value against the subset of JSON Schema (2020-12)
// the schemas use: type, const, enum, pattern, minimum, maximum, required,
// properties, additionalProperties, items, anyOf and local $ref.
type validator struct {
	root     map[string]any
	patterns map[string]*regexp.Regexp
}

func (v *validator) validate(s map[string]any, x any, path string) error {
	if ref, ok := s["$ref"].(string); ok {
		name, ok := strings.CutPrefix(ref, "#/$defs/")
		def, _ := v.root["$defs"].(map[string]any)[name].(map[string]any)
		if !ok || def == nil {
			return fmt.Errorf("%s: unknown $ref %s", path, ref)
		}
		return v.validate(def, x, path)
	}
	if anyOf, ok := s["anyOf"].([]any); ok {
		var errs []string
		for _, alt := range anyOf {
			err := v.validate(alt.(map[string]any), x, path)
			if err == nil {
				return nil
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("%s: matches no alternative: %s", path, strings.Join(errs, "; "))
	}
	if c, ok := s["const"]; ok && c != x {
		return fmt.Errorf("%s: %v, want %v", path, x, c)
	}
	if e, ok := s["enum"].([]any); ok && !slices.Contains(e, x) {
		return fmt.Errorf("%s: %v not in %v", path, x, e)
	}
	switch typ, _ := s["type"].(string); typ {
	case "", "null":
		if typ == "null" && x != nil {
			return fmt.Errorf("%s: %v, want null", path, x)
		}
	case "string":
		str, ok := x.(string)
		if !ok {
			return fmt.Errorf("%s: %T, want a string", path, x)
		}
		if p, ok := s["pattern"].(string); ok {
			if v.patterns == nil {
				v.patterns = map[string]*regexp.Regexp{}
			}
			re := v.patterns[p]
			if re == nil {
				re = regexp.MustCompile(p)
				v.patterns[p] = re
			}
			if !re.MatchString(str) {
				return fmt.Errorf("%s: %.40q does not match %s", path, str, p)
			}
		}
	case "integer":
		n, ok := x.(float64)
		if !ok || n != float64(int64(n)) {
			return fmt.Errorf("%s: %v, want an integer", path, x)
		}
		if m, ok := s["minimum"].(float64); ok && n < m {
			return fmt.Errorf("%s: %v below %v", path, n, m)
		}
		if m, ok := s["maximum"].(float64); ok && n > m {
			return fmt.Errorf("%s: %v above %v", path, n, m)
		}
	case "boolean":
		if _, ok := x.(bool); !ok {
			return fmt.Errorf("%s: %T, want a boolean", path, x)
		}
	case "array":
		a, ok := x.([]any)
		if !ok {
			return fmt.Errorf("%s: %T, want an array", path, x)
		}
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range a {
				if err := v.validate(items, e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	case "object":
		o, ok := x.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %T, want an object", path, x)
		}
		required, _ := s["required"].([]any)
		for _, r := range required {
			if _, ok := o[r.(string)]; !ok {
				return fmt.Errorf("%s: %s missing", path, r)
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, e := range o {
			if ps, ok := props[k].(map[string]any); ok {
				if err := v.validate(ps, e, path+"."+k); err != nil {
					return err
				}
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					return fmt.Errorf("%s: property %s not allowed", path, k)
				}
			case map[string]any:
				if err := v.validate(ap, e, path+"."+k); err != nil {
					return err
				}
			}
		}
	default:
		return fmt.Errorf("%s: the validator does not know type %q", path, typ)
	}
	return nil
}

// TestReadmeListsEveryFlag checks that README.md names every flag and every
// failure class of the files.
func TestReadmeListsEveryFlag(t *testing.T) {
	readme := string(mustRead(t, "README.md"))
	names, _ := fs.Glob(FS, "*_test.json")
	for _, name := range names {
		f := commonFields(t, name)
		for fl := range f.Notes {
			if !strings.Contains(readme, "`"+fl+"`") {
				t.Errorf("README.md does not name flag %s of %s", fl, name)
			}
		}
		for _, g := range f.TestGroups {
			for _, tc := range g.Tests {
				if tc.Failure != "" && !strings.Contains(readme, "`"+tc.Failure+"`") {
					t.Errorf("README.md does not name failure class %s of %s", tc.Failure, name)
				}
			}
		}
	}
}

// fileCommon is what every vector file has: notes, and groups of tests.
type fileCommon struct {
	Notes      map[string]Note `json:"notes"`
	TestGroups []struct {
		Tests []Test `json:"tests"`
	} `json:"testGroups"`
}

func commonFields(t *testing.T, name string) *fileCommon {
	t.Helper()
	f := new(fileCommon)
	if err := json.Unmarshal(mustRead(t, name), f); err != nil {
		t.Fatal(err)
	}
	return f
}
