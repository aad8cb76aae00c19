// Package wire decodes the bodies of KMS requests strictly, for both front
// ends: a body must be one JSON object with exactly the fields of the
// operation's model, each once, in their exact case, of their JSON types;
// blobs are standard padded base64.
//
// encoding/json matches field names case-insensitively, keeps the last of
// duplicate keys, ignores unknown ones and replaces invalid UTF-8; a KMS
// request is refused for any of these instead, so that what is validated is
// what the caller meant. Errors are *core.Error values that name a field,
// never its content.
//
// Decode reads a body once: its own decoder checks the grammar, these rules
// and the model's Go types in the same pass that fills the model (per Go
// type, what to do with each field is worked out once and cached). Types
// with an UnmarshalJSON method, and the few kinds a request model does not
// use (interfaces, arrays, []byte), get their value's bytes, after the same
// checks, through that method or encoding/json. A Blob field, standard
// padded base64, is decoded from the body's bytes in the same pass (see
// Blob). decode_test.go holds it to encoding/json plus the rules, value for
// value (FuzzDecode).
//
// # Security limits
//
// Nesting is bounded (maxJSONDepth), at every level and in every value;
// strings must be valid UTF-8 without lone surrogates; the body's size is
// bounded before it gets here, by the server. The work is linear in the
// body's size: duplicate keys are found with a bitset per struct and a map
// per object of more than smallObject keys.
package wire

import (
	"encoding/base64"
	"reflect"

	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// maxJSONDepth bounds nesting: the deepest request is an object holding the
// recipient object.
const maxJSONDepth = 4

// Decode decodes body, a JSON object, into v, a pointer to a struct whose
// JSON field names are the operation's. An empty body decodes to no fields.
// Anything else than one JSON object with only those fields, each once, in
// their exact case, of their types, is a core.KindMalformedRequest error;
// the body is read once.
func Decode(body []byte, v any) error {
	if len(body) == 0 {
		return nil // no body: no fields (the SDK sends none for an empty list-keys)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		panic("wire: Decode needs a pointer to a struct")
	}
	d := decoder{data: body}
	if d.peek() != '{' {
		return core.Errorf(core.KindMalformedRequest, "request body is not a JSON object")
	}
	err := d.object(rv.Elem(), codecFor(rv.Elem().Type()), 1)
	if te, ok := err.(*typeError); ok {
		return core.Errorf(core.KindMalformedRequest, "field %.64s has the wrong JSON type", te.field)
	}
	if err != nil {
		return err
	}
	if d.skipSpace(); d.pos != len(d.data) { // not peek: a NUL byte is data too
		return core.Errorf(core.KindMalformedRequest, "request body has data after the JSON object")
	}
	return nil
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
