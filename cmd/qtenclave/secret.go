package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// maxSecretFile bounds a --token-file or --secret-key-file. A secret key
// is tens of bytes, but a Huawei IAM X-Auth-Token (a PKI token) is several
// KiB.
const maxSecretFile = 16 << 10

// Why a secret file is refused. The messages give no part of the file.
var (
	errSecretEmpty     = errors.New("empty")
	errSecretLines     = errors.New("more than one line")
	errSecretCharacter = errors.New("a character that is not printable ASCII (or a space)")
	errSecretTooLong   = fmt.Errorf("larger than %d bytes", maxSecretFile)
)

// readSecretFile reads a secret from the file name: one line of printable
// ASCII, without spaces, and its line ending. Errors name the file, never
// any of its content.
func readSecretFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("%s: read failed", name)
	}
	defer clear(b)
	s, err := parseSecret(b)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// parseSecret returns the secret that b holds: one line, whose "\n" or
// "\r\n" ending is removed, of printable ASCII characters other than the
// space. Its errors are fixed values that depend on no byte of b.
func parseSecret(b []byte) (string, error) {
	if len(b) > maxSecretFile {
		return "", errSecretTooLong
	}
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	if len(b) == 0 {
		return "", errSecretEmpty
	}
	for _, c := range b {
		switch {
		case c == '\n' || c == '\r':
			return "", errSecretLines
		case c <= ' ' || c >= 0x7f:
			return "", errSecretCharacter
		}
	}
	return string(b), nil
}
