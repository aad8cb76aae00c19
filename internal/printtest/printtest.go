// Package printtest prints a value in every way that fmt offers, for tests
// that check that no secret is printed: every verb, with flags, widths,
// precisions, wrong verbs and bad argument indexes, on the value, pointers
// to it, and containers and structs that hold it.
//
// fmt calls a Format or String method on most of these paths, but not all:
// %p of a non-pointer, %w of a non-error and every verb on an unexported
// struct field print the fields as they are, whatever methods they have.
// A type that holds a secret must be safe on those paths too.
package printtest

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Verbs are the formats each form of a value is printed with.
var Verbs = []string{
	"%v", "%+v", "%#v", "%T", "%s", "%q", "%+q", "%#q", "%x", "%X", "% x", "% X", "%#x", "%#X",
	"%d", "%+d", "%p", "%#p", "%b", "%o", "%O", "%e", "%E", "%f", "%F", "%g", "%G", "%c", "%U", "%#U",
	"%t", "%w", "%z", "%!", "%10v", "%-40v", "%.3v", "%10.3s", "%08d", "%+#v", "%[1]v", "%[2]v", "%v %v",
}

// Formats that go vet would flag: printtest means them. As variables, vet
// does not check them.
var (
	errorfFormats = []string{"err %v", "err %w", "err %+w", "err %p"}
	errorfTwo     = "%w %+v"
	starFormat    = "%*v"
	noVerb        = "no verb"
)

// Printings prints v in every way: each of Verbs, Sprint, Sprintln,
// Errorf (with %v, %w and %p), a * width and an extra argument, on v, a
// pointer to v and a pointer to that, a slice, a slice of pointers, an
// array, a map and an []any holding v, and a struct holding v as an
// exported field and as unexported ones (v and a pointer to v). The keys
// name the form and the format.
func Printings(v any) map[string]string {
	rv := reflect.ValueOf(v)
	ptr := reflect.New(rv.Type())
	ptr.Elem().Set(rv)
	ptrPtr := reflect.New(ptr.Type())
	ptrPtr.Elem().Set(ptr)
	holder := func(fields ...reflect.StructField) any {
		st := reflect.New(reflect.StructOf(fields)).Elem()
		for i := range fields {
			src := rv
			if fields[i].Type == ptr.Type() {
				src = ptr
			}
			// Unexported fields cannot be set through reflection; their
			// address can.
			reflect.NewAt(st.Field(i).Type(), st.Field(i).Addr().UnsafePointer()).Elem().Set(src)
		}
		return st.Interface()
	}
	array := reflect.New(reflect.ArrayOf(1, rv.Type())).Elem()
	array.Index(0).Set(rv)
	m := reflect.MakeMap(reflect.MapOf(reflect.TypeFor[string](), rv.Type()))
	m.SetMapIndex(reflect.ValueOf("k"), rv)
	forms := map[string]any{
		"value":          v,
		"pointer":        ptr.Interface(),
		"pointer to ptr": ptrPtr.Interface(),
		"slice":          reflect.Append(reflect.MakeSlice(reflect.SliceOf(rv.Type()), 0, 1), rv).Interface(),
		"pointer slice":  reflect.Append(reflect.MakeSlice(reflect.SliceOf(ptr.Type()), 0, 1), ptr).Interface(),
		"array":          array.Interface(),
		"map":            m.Interface(),
		"interface":      []any{v},
		"exported field": holder(reflect.StructField{Name: "X", Type: rv.Type()}),
		"unexported field": holder(reflect.StructField{Name: "x", Type: rv.Type(), PkgPath: "printtest"},
			reflect.StructField{Name: "p", Type: ptr.Type(), PkgPath: "printtest"}),
	}
	out := make(map[string]string)
	for form, x := range forms {
		for _, verb := range Verbs {
			out[form+" "+verb] = fmt.Sprintf(verb, x)
		}
		out[form+" Sprint"] = fmt.Sprint(x)
		out[form+" Sprintln"] = fmt.Sprintln(x, x)
		for _, f := range errorfFormats {
			out[form+" Errorf "+f] = fmt.Errorf(f, x).Error()
		}
		out[form+" Errorf "+errorfTwo] = fmt.Errorf(errorfTwo, fmt.Errorf("x"), x).Error()
		out[form+" "+starFormat] = fmt.Sprintf(starFormat, 30, x)
		out[form+" extra argument"] = fmt.Sprintf(noVerb, x)
	}
	return out
}

// Encodings returns the forms fmt could print secret in: as is, a prefix,
// quoted, hex (both cases, with and without spaces), and as the decimal,
// octal, binary or U+ lists of its bytes or runes.
func Encodings(secret string) []string {
	b := []byte(secret)
	trim := func(s string) string { return strings.Trim(s, "[]") }
	enc := []string{
		secret, strconv.Quote(secret),
		fmt.Sprintf("%x", b), fmt.Sprintf("%X", b), fmt.Sprintf("% x", b), fmt.Sprintf("% X", b),
		trim(fmt.Sprint(b)), trim(fmt.Sprintf("%o", b)), trim(fmt.Sprintf("%b", b)), trim(fmt.Sprintf("%U", []rune(secret))),
	}
	if len(secret) >= 16 {
		enc = append(enc, secret[:len(secret)/2])
	}
	return enc
}

// Leaks prints v in every way of Printings and returns, for each printing
// that shows one of secrets in one of its Encodings, a line "TYPE, FORM
// FORMAT: OUTPUT" (FORM and FORMAT, the key of Printings, have no colon).
func Leaks(v any, secrets ...string) []string {
	var encodings []string
	for _, s := range secrets {
		encodings = append(encodings, Encodings(s)...)
	}
	var leaks []string
	for how, out := range Printings(v) {
		if slices.ContainsFunc(encodings, func(enc string) bool { return strings.Contains(out, enc) }) {
			leaks = append(leaks, fmt.Sprintf("%T, %s: %s", v, how, out))
		}
	}
	slices.Sort(leaks)
	return leaks
}
