package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// Limits on a document, checked while reading it, before anything beyond
// them is allocated.
const (
	// maxAWSSize is the AWS KMS key policy document quota, which AWS does
	// not let anyone raise
	// (https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html#key-policy-limit).
	maxAWSSize = 32768
	// maxHuaweiSize is the byte limit of a Huawei Cloud custom identity
	// policy
	// (https://support.huaweicloud.com/intl/en-us/productdesc-iam5/iam_01_1135.html);
	// applied to 1.1 policies too.
	maxHuaweiSize = 6144
	// maxDepth bounds nesting. The deepest legitimate path is
	// policy > Statement[] > statement > Condition > operator > key > [values]:
	// depth 6 counting the outer object as 1.
	maxDepth = 8
	// maxNodes bounds the JSON values in a document. A 32 KB document of
	// one-byte values could hold 16,000; real key policies hold hundreds.
	maxNodes = 4096
	// maxList bounds one array (actions, resources, principals, condition
	// values): KMS has fewer than 60 actions, and 256 PCR values is a
	// generous allow-list.
	maxList = 256
	// maxStatements bounds the work of one Decide; real key policies have a
	// handful of statements.
	maxStatements = 128
	// maxString bounds one string (after unescaping): 2,048 is the longest
	// ARN AWS documents, and it bounds the cost of wildcard matching.
	maxString = 2048
)

type kind uint8

const (
	kObject kind = iota + 1
	kArray
	kString
	kNumber
	kBool
	kNull
)

func (k kind) String() string {
	switch k {
	case kObject:
		return "object"
	case kArray:
		return "array"
	case kString:
		return "string"
	case kNumber:
		return "number"
	case kBool:
		return "boolean"
	case kNull:
		return "null"
	}
	return "?"
}

// node is one JSON value. Objects keep their members in document order.
type node struct {
	kind  kind
	str   string // string value, or a number's JSON text
	b     bool
	keys  []string // object member names
	elems []*node  // object member values (parallel to keys) or array elements
}

// readJSON reads one JSON value from doc strictly: valid UTF-8, within the
// limits above, no duplicate member names, no trailing data, and strings
// free of control characters and of runes that latin1 (if set) refuses.
func readJSON(doc []byte, maxSize int, latin1 bool) (*node, error) {
	if len(doc) > maxSize {
		return nil, fmt.Errorf("%w: document is %d bytes, over the limit of %d", ErrInvalid, len(doc), maxSize)
	}
	if err := checkChars(doc, latin1); err != nil {
		return nil, err
	}
	r := &reader{dec: json.NewDecoder(bytes.NewReader(doc)), latin1: latin1}
	r.dec.UseNumber()
	tok, err := r.token()
	if err != nil {
		return nil, err
	}
	n, err := r.value(tok, 1)
	if err != nil {
		return nil, err
	}
	if _, err := r.dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the document at byte %d", ErrInvalid, r.dec.InputOffset())
	}
	return n, nil
}

// checkChars refuses invalid UTF-8 and control characters other than tab,
// line feed and carriage return. With latin1 set it also refuses any rune
// outside printable Basic Latin and Latin-1 Supplement, the character set
// of an AWS KMS key policy
// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html#key-policy-format).
func checkChars(doc []byte, latin1 bool) error {
	for i := 0; i < len(doc); {
		c, size := utf8.DecodeRune(doc[i:])
		if c == utf8.RuneError && size <= 1 {
			return fmt.Errorf("%w: invalid UTF-8 at byte %d", ErrInvalid, i)
		}
		if c != '\t' && c != '\n' && c != '\r' && !allowedRune(c, latin1) {
			return fmt.Errorf("%w: character %U not allowed at byte %d", ErrInvalid, c, i)
		}
		i += size
	}
	return nil
}

func allowedRune(c rune, latin1 bool) bool {
	switch {
	case c < 0x20 || (c >= 0x7f && c < 0xa0):
		return false
	case c == utf8.RuneError:
		// encoding/json turns unpaired surrogate escapes into U+FFFD; a
		// policy has no use for the replacement character.
		return false
	case latin1:
		return c <= 0xff
	}
	return true
}

type reader struct {
	dec    *json.Decoder
	nodes  int
	latin1 bool
}

func (r *reader) token() (json.Token, error) {
	tok, err := r.dec.Token()
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("%w: unexpected end of document", ErrInvalid)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%w: JSON syntax error at byte %d", ErrInvalid, se.Offset)
		}
		return nil, fmt.Errorf("%w: malformed JSON at byte %d", ErrInvalid, r.dec.InputOffset())
	}
	return tok, nil
}

func (r *reader) value(tok json.Token, depth int) (*node, error) {
	r.nodes++
	if r.nodes > maxNodes {
		return nil, fmt.Errorf("%w: more than %d JSON values", ErrInvalid, maxNodes)
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth > maxDepth {
			return nil, fmt.Errorf("%w: nested deeper than %d at byte %d", ErrInvalid, maxDepth, r.dec.InputOffset())
		}
		if t == '{' {
			return r.object(depth)
		}
		if t == '[' {
			return r.array(depth)
		}
		return nil, fmt.Errorf("%w: unexpected %q at byte %d", ErrInvalid, rune(t), r.dec.InputOffset())
	case string:
		if err := r.checkString(t); err != nil {
			return nil, err
		}
		return &node{kind: kString, str: t}, nil
	case json.Number:
		if len(t) > maxString {
			return nil, fmt.Errorf("%w: number over %d bytes at byte %d", ErrInvalid, maxString, r.dec.InputOffset())
		}
		return &node{kind: kNumber, str: string(t)}, nil
	case bool:
		return &node{kind: kBool, b: t}, nil
	case nil:
		return &node{kind: kNull}, nil
	}
	return nil, fmt.Errorf("%w: unexpected JSON token at byte %d", ErrInvalid, r.dec.InputOffset())
}

// checkString applies the character rules to a string after unescaping:
// an escape such as \u0000 must not smuggle in what the raw check refuses.
func (r *reader) checkString(s string) error {
	if len(s) > maxString {
		return fmt.Errorf("%w: string over %d bytes at byte %d", ErrInvalid, maxString, r.dec.InputOffset())
	}
	for _, c := range s {
		if !allowedRune(c, r.latin1) {
			return fmt.Errorf("%w: character %U not allowed in the string ending at byte %d", ErrInvalid, c, r.dec.InputOffset())
		}
	}
	return nil
}

func (r *reader) object(depth int) (*node, error) {
	n := &node{kind: kObject}
	seen := make(map[string]bool)
	for {
		tok, err := r.token()
		if err != nil {
			return nil, err
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			return n, nil
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("%w: object key is not a string at byte %d", ErrInvalid, r.dec.InputOffset())
		}
		if err := r.checkString(key); err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, fmt.Errorf("%w: duplicate key %s at byte %d", ErrInvalid, quote(key), r.dec.InputOffset())
		}
		seen[key] = true
		tok, err = r.token()
		if err != nil {
			return nil, err
		}
		v, err := r.value(tok, depth+1)
		if err != nil {
			return nil, err
		}
		n.keys = append(n.keys, key)
		n.elems = append(n.elems, v)
	}
}

func (r *reader) array(depth int) (*node, error) {
	n := &node{kind: kArray}
	for {
		tok, err := r.token()
		if err != nil {
			return nil, err
		}
		if d, ok := tok.(json.Delim); ok && d == ']' {
			return n, nil
		}
		if len(n.elems) == maxList {
			return nil, fmt.Errorf("%w: array of more than %d values at byte %d", ErrInvalid, maxList, r.dec.InputOffset())
		}
		v, err := r.value(tok, depth+1)
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, v)
	}
}

// quote quotes s for an error message, cut to 64 bytes: errors name the
// construct, they do not echo whole values.
func quote(s string) string {
	const max = 64
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}
