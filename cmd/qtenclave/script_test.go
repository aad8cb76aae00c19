package main

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain makes the test binary double as the qtenclave command, so that
// the scripts in testdata/script run it as a program.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"qtenclave": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/script/*.txt and *.txtar. Each script finds the
// external vectors in $VECTORS (laid out by vectorsDir), the repository's RSA test keys in $TESTKEYS,
// and in its work directory the test authority's root
// (testroot.pem) and documents issued at 2026-03-04T05:06:07Z
// (test-nitro.cbor, test-qingtian.cbor, test-debug.cbor, and
// test-nitro-rsa.cbor whose public_key is $TESTKEYS/test_rsa2048.key.pem's).
func TestScripts(t *testing.T) {
	vectors := vectorsDir(t)
	keys, err := filepath.Abs(filepath.Join("..", "..", "recipient", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("VECTORS", vectors)
			env.Setenv("TESTKEYS", keys)
			root := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: attestationtest.Root().Raw})
			if err := os.WriteFile(filepath.Join(env.WorkDir, "testroot.pem"), root, 0o644); err != nil {
				return err
			}
			rsaSPKI, err := testKeySPKI(filepath.Join(keys, "test_rsa2048.key.pem"))
			if err != nil {
				return err
			}
			at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
			zero := make([]byte, 48)
			for name, opts := range map[string]attestationtest.Options{
				"test-nitro.cbor":     {Platform: attestation.Nitro, Time: at, ModuleID: "i-test-nitro", Nonce: []byte{0xab, 0xcd}, UserData: []byte("hello")},
				"test-qingtian.cbor":  {Platform: attestation.QingTian, Time: at, ModuleID: "i-test-qingtian"},
				"test-debug.cbor":     {Time: at, ModuleID: "i-test-debug", PCRs: map[int][]byte{0: zero, 1: zero, 2: zero}},
				"test-nitro-rsa.cbor": {Platform: attestation.Nitro, Time: at, ModuleID: "i-test-nitro-rsa", PublicKey: rsaSPKI},
			} {
				raw, err := attestationtest.Issue(opts)
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(env.WorkDir, name), raw, 0o644); err != nil {
					return err
				}
			}
			return setupKMSScript(env, rsaSPKI)
		},
		Cmds:                kmsScriptCmds,
		RequireExplicitExec: true,
	})
}

// testKeySPKI returns the DER SubjectPublicKeyInfo of a PEM PKCS#8 test key.
func testKeySPKI(name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM block", name)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKIXPublicKey(k.(crypto.Signer).Public())
}

// vectorsDir lays out the repository's external vectors, which live beside
// the tests of the packages that own them, under one directory for the
// scripts: $VECTORS/nitro (real Nitro documents), and
// $VECTORS/aws_kms_recipient, cms_openhitls and openssl_cms (envelopes).
func vectorsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, target := range map[string]string{
		"nitro":             "attestation/testdata/nitro",
		"aws_kms_recipient": "envelope/testdata/aws_kms_recipient",
		"cms_openhitls":     "envelope/testdata/cms_openhitls",
		"openssl_cms":       "envelope/testdata/openssl_cms",
	} {
		abs, err := filepath.Abs(filepath.Join("..", "..", filepath.FromSlash(target)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(abs); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(abs, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
