package interop

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/kms"
)

// Test credentials only: they protect nothing.
const (
	testAK      = "QTENCLAVEINTEROPAK"
	testSK      = "qtenclave-interop-test-secret-key"
	testProject = "0123456789abcdef0123456789abcdef"
	testRegion  = "cn-north-4"
)

// startKMS runs a local KMS in memory on a loopback port, trusting the test
// attestation authority's root, and returns its base URL. It stops when the
// test ends.
func startKMS(t testing.TB) string {
	t.Helper()
	return startKMSWith(t, kms.Options{})
}

// startKMSWith is startKMS with opts, whose credentials and roots it sets.
func startKMSWith(t testing.TB, opts kms.Options) string {
	t.Helper()
	opts.AccessKey, opts.SecretKey = testAK, testSK
	opts.Roots = []*x509.Certificate{attestationtest.Root()}
	srv, err := kms.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("server did not shut down")
		}
		srv.Close()
	})
	return "http://" + ln.Addr().String()
}

// readPEM returns the DER of a PKCS#8 test key of the kms package's testdata
// (one copy of each test key serves both modules).
func readPEM(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "kms", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", name)
	}
	return blk.Bytes
}

// readKey reads a test key that crypto/x509 parses (RSA, P-256/384/521).
func readKey(t testing.TB, name string) crypto.Signer {
	t.Helper()
	k, err := x509.ParsePKCS8PrivateKey(readPEM(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return k.(crypto.Signer)
}

// readSpecKey reads a test key of a KMS EC spec (secp256k1 and SM2
// included, which crypto/x509 does not parse).
func readSpecKey(t testing.TB, name string) *keyspec.PrivateKey {
	t.Helper()
	k, err := keyspec.ParsePrivateKey(readPEM(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return k
}

// publicDER returns the DER SubjectPublicKeyInfo of k's public key.
func publicDER(t testing.TB, k crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return der
}
