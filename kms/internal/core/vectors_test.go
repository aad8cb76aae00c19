package core

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/testvectors"
)

// The KMS payload vectors of package testvectors, run against the typed
// operations of this package (EncryptDatakey, ImportKeyMaterial), below
// the wire front ends: the vectors are about the payloads, not the JSON
// or base64 around them.

// TestVectorsEncryptDatakey decides every plain_text of
// kms_encrypt_datakey_test.json with a CMK of the group's spec: a valid one
// is encrypted, and decrypt-datakey gives back its DEK and digest; an
// invalid one fails with its class's error kind.
func TestVectorsEncryptDatakey(t *testing.T) {
	f, err := testvectors.Load[testvectors.DatakeyGroup]("kms_encrypt_datakey_test.json")
	if err != nil {
		t.Fatal(err)
	}
	failures := map[string]Kind{"invalid_length": KindInvalidParameter, "digest_mismatch": KindDigestMismatch}
	k := vectorKMS(t)
	ctx := context.Background()
	counts := map[string]int{}
	for _, g := range f.TestGroups {
		rec, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{Alias: "vectors-" + g.KeySpec, Spec: g.KeySpec})
		if err != nil {
			t.Fatal(err)
		}
		for i := range g.Tests {
			tc := &g.Tests[i]
			blob, err := k.EncryptDatakey(ctx, testCaller, rec.ID, tc.PlainText, tc.DatakeyLength, nil)
			switch tc.Result {
			case "valid":
				if err != nil {
					t.Errorf("%s %v: %v", g.KeySpec, tc, err)
					break
				}
				out, err := k.DecryptDatakey(ctx, testCaller, rec.ID, blob, tc.DatakeyLength, nil, nil)
				if err != nil || !bytes.Equal(out.Plaintext, tc.Datakey) || !bytes.Equal(append(out.Plaintext, out.Digest...), tc.PlainText) {
					t.Errorf("%s %v: decrypt-datakey gives %+v, %v", g.KeySpec, tc, out, err)
				}
			case "invalid":
				if kind, _ := KindOf(err); err == nil || blob != nil || kind != failures[tc.Failure] {
					t.Errorf("%s %v: %x, %v (kind %d), want class %s", g.KeySpec, tc, blob, err, kind, tc.Failure)
				}
			default:
				t.Fatalf("%v: no policy for result %q", tc, tc.Result)
			}
			counts[tc.Result]++
		}
	}
	t.Logf("kms_encrypt_datakey_test.json: %d vectors decided: %v", f.NumberOfTests, counts)
}

// TestVectorsImportKeyMaterial decides every vector of
// kms_import_key_material_test.json: for each, a key of the group's spec
// waits for import, and an import token carries the group's wrapping key.
// A valid import stores exactly keyMaterial (and publicKey); an invalid one
// fails with its class's error kind and leaves the key waiting.
func TestVectorsImportKeyMaterial(t *testing.T) {
	f, err := testvectors.Load[testvectors.ImportGroup]("kms_import_key_material_test.json")
	if err != nil {
		t.Fatal(err)
	}
	failures := map[string]Kind{"decryption": KindImportDecrypt, "key_mismatch": KindSpecMismatch}
	k := vectorKMS(t)
	ctx := context.Background()
	counts := map[string]int{}
	for _, g := range f.TestGroups {
		usage := ""
		if !keySpecs[g.KeySpec].symmetric {
			usage = UsageKeyAgreement
		}
		for i := range g.Tests {
			tc := &g.Tests[i]
			rec, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{Spec: g.KeySpec, Usage: usage, Origin: "external"})
			if err != nil {
				t.Fatal(err)
			}
			// The token get-parameters-for-import would have made, but for
			// the vectors' wrapping key.
			header := tokenHeader(rec.ID, time.Now().Add(time.Hour).Unix())
			token := append(header, k.store.Seal(string(header), g.WrappingKey)...)
			err = k.ImportKeyMaterial(ctx, testCaller, &ImportInput{KeyID: rec.ID, Token: token, EncryptedMaterial: tc.EncryptedKeyMaterial, EncryptedPrivate: tc.EncryptedPrivateKey})
			switch tc.Result {
			case "valid":
				if err != nil {
					t.Errorf("%s %v: %v", g.KeySpec, tc, err)
					break
				}
				stored, err := k.lookup(rec.ID)
				var material []byte
				if err == nil {
					material, err = k.store.Unseal(stored.ID, stored.Sealed)
				}
				if err != nil || !bytes.Equal(material, tc.KeyMaterial) || !bytes.Equal(stored.Public, tc.PublicKey) {
					t.Errorf("%s %v: stored material %d bytes, public key %x, %v", g.KeySpec, tc, len(material), stored.Public, err)
				}
			case "invalid":
				if kind, _ := KindOf(err); err == nil || kind != failures[tc.Failure] {
					t.Errorf("%s %v: %v (kind %d), want class %s", g.KeySpec, tc, err, kind, tc.Failure)
				}
				if r, err := k.lookup(rec.ID); err != nil || r.State != StatePendingImport {
					t.Errorf("%s %v: the key left the pending-import state after a failed import", g.KeySpec, tc)
				}
			default:
				t.Fatalf("%v: no policy for result %q", tc, tc.Result)
			}
			counts[tc.Result]++
		}
	}
	t.Logf("kms_import_key_material_test.json: %d vectors decided: %v", f.NumberOfTests, counts)
}

func vectorKMS(t *testing.T) *KMS {
	t.Helper()
	k, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}
