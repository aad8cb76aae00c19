// Package wire decodes the bodies of KMS requests strictly, for both front
// ends: a body must be one JSON object with exactly the fields of the
// operation's model, each once, in their exact case; blobs are standard
// padded base64.
//
// encoding/json matches field names case-insensitively, keeps the last of
// duplicate keys and ignores unknown ones; a KMS request is refused for any
// of these instead, so that what is validated is what the caller meant.
// Errors are *core.Error values that name a field, never its content.
//
// # Security limits
//
// Nesting is bounded (maxJSONDepth); the body's size is bounded before it
// gets here, by the server.
package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"reflect"
	"strings"

	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// maxJSONDepth bounds nesting: the deepest request is an object holding the
// recipient object.
const maxJSONDepth = 4

// Decode decodes body, a JSON object, into v, a pointer to a struct whose
// JSON field names are the operation's. An empty body decodes to no fields.
// Anything else than one JSON object with only those fields, each once, in
// their exact case, of their types, is a core.KindMalformedRequest error.
func Decode(body []byte, v any) error {
	if len(body) == 0 {
		return nil // no body: no fields (the SDK sends none for an empty list-keys)
	}
	allowed := jsonFields(reflect.TypeOf(v).Elem())
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return core.Errorf(core.KindMalformedRequest, "request body is not a JSON object")
	}
	if err := checkObject(dec, allowed, 1); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return core.Errorf(core.KindMalformedRequest, "request body has data after the JSON object")
	}
	strict := json.NewDecoder(bytes.NewReader(body))
	strict.DisallowUnknownFields()
	if err := strict.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return core.Errorf(core.KindMalformedRequest, "field %s has the wrong JSON type", te.Field)
		}
		return core.Errorf(core.KindMalformedRequest, "request body is not valid JSON")
	}
	return nil
}

// checkObject reads the members of an object whose '{' was just read,
// refusing duplicate keys at any depth and, when allowed is not nil, keys
// that are not exactly one of its field names.
func checkObject(dec *json.Decoder, allowed map[string]bool, depth int) error {
	if depth > maxJSONDepth {
		return core.Errorf(core.KindMalformedRequest, "request body is nested too deeply")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return core.Errorf(core.KindMalformedRequest, "request body is not valid JSON")
		}
		key := tok.(string)
		if seen[key] {
			return core.Errorf(core.KindMalformedRequest, "field %.64q appears twice", key)
		}
		seen[key] = true
		if allowed != nil && !allowed[key] {
			return core.Errorf(core.KindMalformedRequest, "field %.64q is not a field of this operation", key)
		}
		if err := skipValue(dec, depth); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return core.Errorf(core.KindMalformedRequest, "request body is not valid JSON")
	}
	return nil
}

func skipValue(dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return core.Errorf(core.KindMalformedRequest, "request body is not valid JSON")
	}
	switch tok {
	case json.Delim('{'):
		return checkObject(dec, nil, depth+1)
	case json.Delim('['):
		if depth+1 > maxJSONDepth {
			return core.Errorf(core.KindMalformedRequest, "request body is nested too deeply")
		}
		for dec.More() {
			if err := skipValue(dec, depth+1); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return core.Errorf(core.KindMalformedRequest, "request body is not valid JSON")
		}
	}
	return nil
}

// jsonFields returns the JSON names of a struct's fields, embedded
// structs' included.
func jsonFields(t reflect.Type) map[string]bool {
	m := make(map[string]bool, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			maps.Copy(m, jsonFields(f.Type)) // embedded: its fields are the outer object's
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
}

// Base64 decodes a field of standard padded base64, strictly. An empty field
// is a core.KindMissingParameter error, anything else that is not base64 a
// core.KindInvalidParameter error; both name the field.
func Base64(field, s string) ([]byte, error) {
	if s == "" {
		return nil, core.Errorf(core.KindMissingParameter, "%s is missing", field)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, core.Errorf(core.KindInvalidParameter, "%s is not base64", field)
	}
	return b, nil
}
