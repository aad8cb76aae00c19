package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxDocumentFile bounds what verify, inspect and seal read as a document:
// a document is at most 64 KiB, 88 KiB as base64 and 128 KiB as hex;
// anything much larger is not one.
const maxDocumentFile = 1 << 20

// The encodings of a document that decodeDocument detects.
const (
	encRaw    = "raw CBOR"
	encHex    = "hex"
	encBase64 = "base64"
)

// readDocument reads FILE ('-' is stdin) and decodes it with
// decodeDocument.
func readDocument(file string, stdin io.Reader) (doc []byte, enc string, err error) {
	r, name := stdin, "stdin"
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, "", err
		}
		defer f.Close()
		r, name = f, file
	}
	b, err := io.ReadAll(io.LimitReader(r, maxDocumentFile+1))
	if err != nil {
		return nil, "", err
	}
	if len(b) > maxDocumentFile {
		return nil, "", fmt.Errorf("%s: larger than %d bytes: not an attestation document", name, maxDocumentFile)
	}
	doc, enc, err = decodeDocument(b)
	if err != nil {
		return nil, enc, fmt.Errorf("%s: %w", name, err)
	}
	return doc, enc, nil
}

// decodeDocument detects how b encodes a document and decodes it. Binary
// input is raw CBOR, returned as is for the parser to judge (a COSE_Sign1
// starts with 0x84, or 0xd2 when tagged). Text, with ASCII whitespace
// anywhere ignored, is hex (either case) or else base64 (standard or
// URL-safe, padded or not). Hex is tried first, and no document is
// mistaken for it: the base64 of a COSE_Sign1 starts with "h" or "0o",
// which are not hex digits. Text that is neither is an error, and so is
// empty input. The encoding is returned with the error, too, once known.
func decodeDocument(b []byte) (doc []byte, enc string, err error) {
	if len(b) > 0 && (b[0] == 0x84 || b[0] == 0xd2) {
		return b, encRaw, nil
	}
	text := make([]byte, 0, len(b))
	for _, c := range b {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
		case c > 0x20 && c < 0x7f:
			text = append(text, c)
		default:
			return b, encRaw, nil // not text
		}
	}
	if len(text) == 0 {
		return nil, "", errors.New("empty: no attestation document")
	}
	if isHex(text) {
		doc = make([]byte, hex.DecodedLen(len(text)))
		if _, err := hex.Decode(doc, text); err != nil {
			return nil, encHex, fmt.Errorf("hex text of %d digits does not decode: %v", len(text), err)
		}
		return doc, encHex, nil
	}
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if d, err := e.AppendDecode(nil, text); err == nil {
			return d, encBase64, nil
		}
	}
	return nil, "", errors.New("text that is neither hex nor base64 (nor binary CBOR): not an attestation document")
}

func isHex(b []byte) bool {
	return bytes.IndexFunc(b, func(r rune) bool {
		return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F')
	}) < 0
}
