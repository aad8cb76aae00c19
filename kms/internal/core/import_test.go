package core

import (
	"bytes"
	"testing"
)

// testCaller is the caller of the tests' operations.
var testCaller = Caller{API: "test", Credential: CredentialToken}

// FuzzImportToken feeds arbitrary tokens to the token parser. Property: a
// token the server did not make for the key never opens, and the failure is
// always KindInvalidImportToken with a nil key.
func FuzzImportToken(f *testing.F) {
	k, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { k.Close() })
	ext, err := k.CreateKey(f.Context(), testCaller, &CreateKeyInput{Origin: "external"})
	if err != nil {
		f.Fatal(err)
	}
	p, err := k.GetParametersForImport(f.Context(), testCaller, ext.ID, keyEncryptionAlgorithm)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p.Token)
	f.Add(p.Token[:45])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, token []byte) {
		wk, err := k.openImportToken(ext.ID, token)
		if bytes.Equal(token, p.Token) {
			if err != nil || wk == nil {
				t.Fatalf("the server's own token does not open: %v", err)
			}
			return
		}
		if kind, _ := KindOf(err); wk != nil || kind != KindInvalidImportToken {
			t.Fatalf("a foreign token opened or failed oddly: %v", err)
		}
	})
}
