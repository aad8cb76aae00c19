package wire

import (
	"encoding"
	"encoding/binary"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// The decoder: one pass over the body that checks the JSON grammar, the
// rules of this package (each field once, exact names, depth, no trailing
// data, valid UTF-8) and the Go types of the model, and fills the model as
// it goes. Per Go type, a codec (built once, cached) says how a JSON value
// goes into it.
//
// Values of the kinds a request model uses (strings, booleans, numbers,
// pointers, structs, slices, maps with string keys) are decoded here. A type
// with an UnmarshalJSON method gets the value's bytes, as encoding/json gives
// them, after this package checked them; any other type (interfaces, arrays,
// []byte, encoding.TextUnmarshaler) gets them through json.Unmarshal, also
// after the check, so that the rules hold inside it too.

// syntaxError is the error of a body that is not JSON.
func syntaxError() error {
	return core.Errorf(core.KindMalformedRequest, "request body is not valid JSON")
}

func tooDeep() error {
	return core.Errorf(core.KindMalformedRequest, "request body is nested too deeply")
}

// typeError is a value of the wrong JSON type; field is filled in as the
// error returns through the objects that hold it (JSON names joined by
// dots, as encoding/json names them).
type typeError struct{ field string }

func (e *typeError) Error() string { return "wrong JSON type" }

func (e *typeError) in(name string) *typeError {
	if e.field == "" {
		e.field = name
	} else {
		e.field = name + "." + e.field
	}
	return e
}

// codecKind is how a JSON value goes into a Go type.
type codecKind uint8

const (
	kString codecKind = iota
	kBool
	kInt
	kUint
	kFloat
	kPointer
	kStruct
	kSlice
	kMap
	kBlob        // Blob: a string's content, base64-decoded
	kUnmarshaler // UnmarshalJSON, given the value's bytes
	kOther       // json.Unmarshal, given the value's bytes
)

type codec struct {
	kind codecKind
	elem *codec // pointer, slice and map elements

	// Structs.
	fields []field
	byName map[string]int
}

type field struct {
	name  string
	index []int // through embedded structs
	codec *codec
}

var (
	codecs   sync.Map // reflect.Type -> *codec
	buildMu  sync.Mutex
	blobType = reflect.TypeFor[Blob]()
	jsonType = reflect.TypeFor[json.Unmarshaler]()
	textType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// codecFor returns the codec of t, building it (and those of the types it
// holds) on first use.
func codecFor(t reflect.Type) *codec {
	if c, ok := codecs.Load(t); ok {
		return c.(*codec)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	building := map[reflect.Type]*codec{}
	c := build(t, building)
	for t, c := range building {
		codecs.Store(t, c)
	}
	return c
}

func build(t reflect.Type, building map[reflect.Type]*codec) *codec {
	if c, ok := codecs.Load(t); ok {
		return c.(*codec)
	}
	if c, ok := building[t]; ok {
		return c // a recursive type: filled in below, before first use
	}
	c := new(codec)
	building[t] = c
	switch {
	case t.Kind() == reflect.Pointer:
		// A pointer is allocated for a value and set to nil for null;
		// its element decides how.
	case t == blobType: // before its UnmarshalJSON, which is for encoding/json
		c.kind = kBlob
		return c
	case reflect.PointerTo(t).Implements(jsonType):
		c.kind = kUnmarshaler
		return c
	case reflect.PointerTo(t).Implements(textType):
		c.kind = kOther
		return c
	}
	switch t.Kind() {
	case reflect.String:
		c.kind = kString
	case reflect.Bool:
		c.kind = kBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.kind = kInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		c.kind = kUint
	case reflect.Float32, reflect.Float64:
		c.kind = kFloat
	case reflect.Pointer:
		c.kind, c.elem = kPointer, build(t.Elem(), building)
	case reflect.Struct:
		c.kind = kStruct
		buildStruct(c, t, building)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			c.kind = kOther // []byte is base64 to encoding/json
			break
		}
		c.kind, c.elem = kSlice, build(t.Elem(), building)
	case reflect.Map:
		if t.Key().Kind() != reflect.String || reflect.PointerTo(t.Key()).Implements(textType) {
			c.kind = kOther
			break
		}
		c.kind, c.elem = kMap, build(t.Elem(), building)
	default:
		c.kind = kOther
	}
	return c
}

// buildStruct lists a struct's JSON fields as encoding/json does: the tag's
// name or the Go name; "-" leaves a field out; an untagged embedded struct
// (or pointer to one) lends its fields, which a shallower field of the same
// name hides (at equal depth, a tagged field wins over untagged ones, and
// two of a kind hide each other). Only exact names match.
func buildStruct(c *codec, t reflect.Type, building map[reflect.Type]*codec) {
	type candidate struct {
		field
		depth  int
		tagged bool
	}
	var all []candidate
	var walk func(t reflect.Type, index []int, depth int)
	walk = func(t reflect.Type, index []int, depth int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			for opt := range strings.SplitSeq(opts, ",") {
				if opt == "string" {
					panic("wire: the ,string option is not supported (field " + f.Name + ")")
				}
			}
			idx := append(index[:len(index):len(index)], i)
			ft := f.Type
			if f.Anonymous && name == "" {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					// Through an unexported pointer too: its fields take
					// their names, and cannot be set (fieldValue).
					walk(et, idx, depth+1)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			tagged := name != ""
			if !tagged {
				name = f.Name
			}
			all = append(all, candidate{field{name: name, index: idx, codec: build(ft, building)}, depth, tagged})
		}
	}
	walk(t, nil, 0)
	byName := map[string][]candidate{}
	var names []string
	for _, cand := range all {
		if byName[cand.name] == nil {
			names = append(names, cand.name)
		}
		byName[cand.name] = append(byName[cand.name], cand)
	}
	c.byName = make(map[string]int, len(names))
	for _, name := range names {
		cands := byName[name]
		minDepth := cands[0].depth
		for _, cand := range cands {
			minDepth = min(minDepth, cand.depth)
		}
		var shallow, tagged []candidate
		for _, cand := range cands {
			if cand.depth == minDepth {
				shallow = append(shallow, cand)
				if cand.tagged {
					tagged = append(tagged, cand)
				}
			}
		}
		switch {
		case len(shallow) == 1:
		case len(tagged) == 1:
			shallow = tagged
		default:
			continue // ambiguous: no field has the name
		}
		c.byName[name] = len(c.fields)
		c.fields = append(c.fields, shallow[0].field)
	}
}

// decoder reads one JSON text.
type decoder struct {
	data []byte
	pos  int
	buf  []byte // scratch for strings with escapes
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) && isSpace(d.data[d.pos]) {
		d.pos++
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (d *decoder) peek() byte {
	d.skipSpace()
	if d.pos == len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

// literal consumes one of true, false and null.
func (d *decoder) literal(word string) error {
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		return syntaxError()
	}
	d.pos += len(word)
	return nil
}

// value decodes the next value into v (settable) by c; depth counts the
// objects and arrays that hold it.
func (d *decoder) value(v reflect.Value, c *codec, depth int) error {
	switch d.peek() {
	case 'n':
		if err := d.literal("null"); err != nil {
			return err
		}
		switch c.kind {
		case kPointer, kSlice, kMap:
			v.SetZero()
		case kUnmarshaler:
			return unmarshal(v, []byte("null"))
		case kOther:
			return d.other(v, []byte("null"))
		}
		return nil // no effect on other kinds, as with encoding/json
	case 0:
		return syntaxError()
	}
	switch c.kind {
	case kPointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return d.value(v.Elem(), c.elem, depth)
	case kUnmarshaler, kOther:
		start := d.pos
		if err := d.skip(depth); err != nil {
			return err
		}
		if c.kind == kUnmarshaler {
			return unmarshal(v, d.data[start:d.pos])
		}
		return d.other(v, d.data[start:d.pos])
	}
	switch d.data[d.pos] {
	case '"':
		if c.kind == kBlob {
			return d.blob(v.Addr().Interface().(*Blob))
		}
		if c.kind != kString {
			return d.wrongType(depth)
		}
		s, err := d.str()
		if err != nil {
			return err
		}
		v.SetString(s)
		return nil
	case 't', 'f':
		b := d.data[d.pos] == 't'
		word := "false"
		if b {
			word = "true"
		}
		if err := d.literal(word); err != nil {
			return err
		}
		if c.kind != kBool {
			return &typeError{}
		}
		v.SetBool(b)
		return nil
	case '{':
		switch c.kind {
		case kStruct:
			return d.object(v, c, depth+1)
		case kMap:
			return d.mapObject(v, c, depth+1)
		}
		return d.wrongType(depth)
	case '[':
		if c.kind != kSlice {
			return d.wrongType(depth)
		}
		return d.array(v, c, depth+1)
	}
	return d.number(v, c)
}

// wrongType skips the value, which must still be valid JSON, and returns
// a type error.
func (d *decoder) wrongType(depth int) error {
	if err := d.skip(depth); err != nil {
		return err
	}
	return &typeError{}
}

// unmarshal hands a checked value to v's UnmarshalJSON.
func unmarshal(v reflect.Value, raw []byte) error {
	if v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw) != nil {
		return &typeError{}
	}
	return nil
}

// other hands a checked value to encoding/json.
func (d *decoder) other(v reflect.Value, raw []byte) error {
	if json.Unmarshal(raw, v.Addr().Interface()) != nil {
		return &typeError{}
	}
	return nil
}

// object decodes an object into a struct: each member once, by exact name.
func (d *decoder) object(v reflect.Value, c *codec, depth int) error {
	if depth > maxJSONDepth {
		return tooDeep()
	}
	d.pos++ // '{'
	var small [2]uint64
	seen := small[:]
	if n := (len(c.fields) + 63) / 64; n > len(small) {
		seen = make([]uint64, n)
	}
	for first := true; ; first = false {
		key, end, err := d.member(first)
		if end || err != nil {
			return err
		}
		i, ok := c.byName[string(key)]
		if !ok {
			return core.Errorf(core.KindMalformedRequest, "field %.64q is not a field of this operation", key)
		}
		if seen[i/64]&(1<<(i%64)) != 0 {
			return core.Errorf(core.KindMalformedRequest, "field %.64q appears twice", key)
		}
		seen[i/64] |= 1 << (i % 64)
		f := &c.fields[i]
		fv, ok := fieldValue(v, f.index)
		if !ok {
			return &typeError{field: f.name}
		}
		if err := d.value(fv, f.codec, depth); err != nil {
			if te, ok := err.(*typeError); ok {
				return te.in(f.name)
			}
			return err
		}
		if done, err := d.next('}'); done || err != nil {
			return err
		}
	}
}

// fieldValue returns the field at index, allocating embedded pointers; ok
// is false when one is nil and unexported, which cannot be set (as with
// encoding/json).
func fieldValue(v reflect.Value, index []int) (_ reflect.Value, ok bool) {
	for j, i := range index {
		if j > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}

// next consumes the ',' or the closing byte after a member or element, and
// reports whether it was the closing one.
func (d *decoder) next(closing byte) (bool, error) {
	switch d.peek() {
	case ',':
		d.pos++
		return false, nil
	case closing:
		d.pos++
		return true, nil
	}
	return false, syntaxError()
}

// key reads a member's name and the ':' after it. The name may alias the
// scratch buffer: use it before the next string is read.
func (d *decoder) key() ([]byte, error) {
	key, err := d.strBytes()
	if err != nil {
		return nil, err
	}
	if d.peek() != ':' {
		return nil, syntaxError()
	}
	d.pos++
	return key, nil
}

// mapObject decodes an object into a map with string keys: each key once.
func (d *decoder) mapObject(v reflect.Value, c *codec, depth int) error {
	if depth > maxJSONDepth {
		return tooDeep()
	}
	d.pos++ // '{'
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	// map[string]string, the common case, without reflection per entry.
	ss, _ := v.Addr().Interface().(*map[string]string)
	var elem reflect.Value
	for first := true; ; first = false {
		kb, end, err := d.member(first)
		if end || err != nil {
			return err
		}
		key := string(kb)
		if ss != nil {
			if _, dup := (*ss)[key]; dup {
				return core.Errorf(core.KindMalformedRequest, "field %.64q appears twice", key)
			}
			if d.peek() != '"' {
				if err := d.value(reflect.New(reflect.TypeFor[string]()).Elem(), c.elem, depth); err != nil {
					return keyed(err, key)
				}
				(*ss)[key] = ""
			} else {
				s, err := d.str()
				if err != nil {
					return err
				}
				(*ss)[key] = s
			}
		} else {
			kv := reflect.ValueOf(key).Convert(v.Type().Key())
			if v.MapIndex(kv).IsValid() {
				return core.Errorf(core.KindMalformedRequest, "field %.64q appears twice", key)
			}
			if !elem.IsValid() {
				elem = reflect.New(v.Type().Elem()).Elem()
			}
			elem.SetZero()
			if err := d.value(elem, c.elem, depth); err != nil {
				return keyed(err, key)
			}
			v.SetMapIndex(kv, elem)
		}
		if done, err := d.next('}'); done || err != nil {
			return err
		}
	}
}

func keyed(err error, key string) error {
	if te, ok := err.(*typeError); ok {
		return te.in(key)
	}
	return err
}

// array decodes an array into a slice.
func (d *decoder) array(v reflect.Value, c *codec, depth int) error {
	if depth > maxJSONDepth {
		return tooDeep()
	}
	d.pos++ // '['
	s := reflect.MakeSlice(v.Type(), 0, 0)
	for first := true; ; first = false {
		if d.peek() == ']' {
			if !first {
				return syntaxError()
			}
			d.pos++
			break
		}
		s = reflect.Append(s, reflect.Zero(v.Type().Elem()))
		if err := d.value(s.Index(s.Len()-1), c.elem, depth); err != nil {
			return err
		}
		done, err := d.next(']')
		if err != nil {
			return err
		}
		if done {
			break
		}
	}
	v.Set(s)
	return nil
}

// number decodes a number into a numeric kind.
func (d *decoder) number(v reflect.Value, c *codec) error {
	lit, integer, err := d.numberLiteral()
	if err != nil {
		return err
	}
	switch c.kind {
	case kInt:
		n, ok := parseInt(lit)
		if !integer || !ok || v.OverflowInt(n) {
			return &typeError{}
		}
		v.SetInt(n)
	case kUint:
		n, ok := parseUint(lit)
		if !integer || !ok || v.OverflowUint(n) {
			return &typeError{}
		}
		v.SetUint(n)
	case kFloat:
		f, err := strconv.ParseFloat(string(lit), v.Type().Bits())
		if err != nil || v.OverflowFloat(f) {
			return &typeError{}
		}
		v.SetFloat(f)
	default:
		return &typeError{}
	}
	return nil
}

// numberLiteral reads a number as RFC 8259 writes it and reports whether it
// has neither a fraction nor an exponent.
func (d *decoder) numberLiteral() (lit []byte, integer bool, err error) {
	b, start := d.data, d.pos
	i := start
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return nil, false, syntaxError()
	}
	integer = true
	if i < len(b) && b[i] == '.' {
		integer = false
		i++
		if i == len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false, syntaxError()
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		integer = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i == len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false, syntaxError()
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	d.pos = i
	return b[start:i], integer, nil
}

// parseInt parses an integer literal of the grammar; ok is false when it
// does not fit in an int64.
func parseInt(lit []byte) (int64, bool) {
	neg := lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	u, ok := parseUint(lit)
	switch {
	case !ok:
		return 0, false
	case neg && u <= 1<<63:
		return -int64(u-1) - 1, true
	case !neg && u < 1<<63:
		return int64(u), true
	}
	return 0, false
}

// parseUint parses the digits of an integer literal; ok is false for a sign
// or a value that does not fit in a uint64.
func parseUint(lit []byte) (uint64, bool) {
	if len(lit) == 0 || lit[0] == '-' {
		return 0, false
	}
	var n uint64
	for _, c := range lit {
		if n > (1<<64-1)/10 {
			return 0, false
		}
		n *= 10
		if n+uint64(c-'0') < n {
			return 0, false
		}
		n += uint64(c - '0')
	}
	return n, true
}

// str reads a string.
func (d *decoder) str() (string, error) {
	b, err := d.strBytes()
	return string(b), err
}

// strBytes reads a string and returns its content: a slice of the body, or
// of the scratch buffer when it has escapes. Control characters, invalid
// UTF-8 and lone surrogates are refused: RFC 8259 requires UTF-8 and
// encoding/json would replace them, so that what is checked would not be
// what was sent.
func (d *decoder) strBytes() ([]byte, error) {
	b := d.data
	i := d.pos + 1 // past '"'
	start := i
	for i < len(b) {
		for i+8 <= len(b) && plain8(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i == len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return b[start:i], nil
		case c == '\\':
			d.buf = append(d.buf[:0], b[start:i]...)
			return d.escaped(i)
		case c < 0x20:
			return nil, syntaxError()
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return nil, invalidUTF8()
			}
			i += n
		}
	}
	return nil, syntaxError()
}

// errInvalidUTF8 is the cause of the error of a string that is not UTF-8.
var errInvalidUTF8 = errors.New("string is not valid UTF-8")

// plain marks the bytes that stand for themselves in a string: printable
// ASCII but for '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plain8 reports whether the 8 bytes of x (little-endian) are all plain:
// none is '"', '\\', a control character or beyond ASCII. A string's bytes
// are checked a word at a time (base64 blobs of kilobytes are the long
// strings of a request); a false answer is not always exact, and leaves
// the word to the byte-by-byte check.
func plain8(x uint64) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	// A byte is zero in v iff the high bit of (v - ones) &^ v is set in
	// it, for the lowest such byte at least; a byte below 0x20 likewise
	// with v - 0x20 in each byte.
	zero := func(v uint64) uint64 { return (v - ones) &^ v }
	special := (x - 0x20*ones) &^ x // below 0x20
	special |= zero(x ^ '"'*ones)
	special |= zero(x ^ '\\'*ones)
	special |= x // beyond ASCII
	return special&highs == 0
}

func invalidUTF8() error {
	return core.Wrapf(core.KindMalformedRequest, errInvalidUTF8, "request body has a string that is not valid UTF-8")
}

// escaped reads the rest of a string from its first backslash at i, into
// the scratch buffer.
func (d *decoder) escaped(i int) ([]byte, error) {
	b := d.data
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return d.buf, nil
		case c == '\\':
			if i+1 == len(b) {
				return nil, syntaxError()
			}
			i += 2
			switch b[i-1] {
			case '"', '\\', '/':
				d.buf = append(d.buf, b[i-1])
			case 'b':
				d.buf = append(d.buf, '\b')
			case 'f':
				d.buf = append(d.buf, '\f')
			case 'n':
				d.buf = append(d.buf, '\n')
			case 'r':
				d.buf = append(d.buf, '\r')
			case 't':
				d.buf = append(d.buf, '\t')
			case 'u':
				r, ok := hex4(b[i:])
				if !ok {
					return nil, syntaxError()
				}
				i += 4
				if utf16.IsSurrogate(r) {
					r2, ok := rune(0), false
					if i+6 <= len(b) && b[i] == '\\' && b[i+1] == 'u' {
						r2, ok = hex4(b[i+2:])
					}
					r = utf16.DecodeRune(r, r2)
					if !ok || r == utf8.RuneError {
						return nil, invalidUTF8()
					}
					i += 6
				}
				d.buf = utf8.AppendRune(d.buf, r)
			default:
				return nil, syntaxError()
			}
		case c < 0x20:
			return nil, syntaxError()
		case c < utf8.RuneSelf:
			d.buf = append(d.buf, c)
			i++
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return nil, invalidUTF8()
			}
			d.buf = append(d.buf, b[i:i+n]...)
			i += n
		}
	}
	return nil, syntaxError()
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// skip checks and passes over a value that no model field receives as
// such (one handed to UnmarshalJSON or encoding/json, or of the wrong
// type): its grammar, depth, duplicate keys and strings.
func (d *decoder) skip(depth int) error {
	switch d.peek() {
	case '"':
		_, err := d.strBytes()
		return err
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	case '[':
		if depth+1 > maxJSONDepth {
			return tooDeep()
		}
		d.pos++
		for first := true; ; first = false {
			if d.peek() == ']' {
				if !first {
					return syntaxError()
				}
				d.pos++
				return nil
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			if done, err := d.next(']'); done || err != nil {
				return err
			}
		}
	case '{':
		if depth+1 > maxJSONDepth {
			return tooDeep()
		}
		d.pos++
		var keys []string
		var keySet map[string]bool // past smallObject keys
		for first := true; ; first = false {
			kb, end, err := d.member(first)
			if end || err != nil {
				return err
			}
			if dupKey(&keys, &keySet, kb) {
				return core.Errorf(core.KindMalformedRequest, "field %.64q appears twice", kb)
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			if done, err := d.next('}'); done || err != nil {
				return err
			}
		}
	}
	_, _, err := d.numberLiteral()
	return err
}

// smallObject is the number of keys that dupKey compares one by one before
// it keeps them in a map.
const smallObject = 16

// dupKey reports whether key is among keys (or keySet, once there are more
// than smallObject), and adds it.
func dupKey(keys *[]string, keySet *map[string]bool, key []byte) bool {
	if *keySet != nil {
		if (*keySet)[string(key)] {
			return true
		}
		(*keySet)[string(key)] = true
		return false
	}
	for _, k := range *keys {
		if k == string(key) {
			return true
		}
	}
	*keys = append(*keys, string(key))
	if len(*keys) > smallObject {
		*keySet = make(map[string]bool, 2*smallObject)
		for _, k := range *keys {
			(*keySet)[k] = true
		}
	}
	return false
}

// member reads the opening of an object's member, after its '{' (first) or
// a ',': its key, or, where the object may end (first), the '}' that ends
// it (end). A '}' after a comma is a trailing comma.
func (d *decoder) member(first bool) (key []byte, end bool, err error) {
	switch d.peek() {
	case '}':
		if !first {
			return nil, false, syntaxError() // a trailing comma
		}
		d.pos++
		return nil, true, nil
	case '"':
		key, err = d.key()
		return key, false, err
	}
	return nil, false, syntaxError()
}
