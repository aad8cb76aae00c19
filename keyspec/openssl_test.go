package keyspec

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestOpenSSLInterop runs the openssl command on keys written by this
// package, and reads what it writes back: key encodings for all five specs,
// and ECDH (pkeyutl -derive) for all but SM2, which OpenSSL 3.0 refuses to
// derive with (see ../envelope/testdata/openssl_cms/OPENSSL_CMS.md section 4; SM2 ECDH is
// checked against the SM2 vectors instead).
func TestOpenSSLInterop(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not in PATH: live OpenSSL interop not run (TestOpenSSLTestKeys still checks keys OpenSSL made)")
	}
	if testing.Short() {
		t.Skip("-short: live OpenSSL interop not run")
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	openssl := func(args ...string) ([]byte, error) {
		cmd := exec.Command("openssl", args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Logf("openssl %v: %v: %s", args, err, stderr.Bytes())
		}
		return out, err
	}

	for _, s := range allSpecs {
		t.Run(s.String(), func(t *testing.T) {
			a := testKey(t, s, "a")  // made by OpenSSL
			b, err := GenerateKey(s) // made here
			if err != nil {
				t.Fatal(err)
			}
			n := testKeyName[s]
			bPKCS8 := write(n+"-b.p8.der", b.MarshalPKCS8())
			bSEC1 := write(n+"-b.sec1.der", b.MarshalSEC1())
			bSPKI := write(n+"-b.spki.der", b.PublicKey().MarshalPKIX())
			aPKCS8 := write(n+"-a.p8.der", a.MarshalPKCS8())
			aSPKI := write(n+"-a.spki.der", a.PublicKey().MarshalPKIX())

			// OpenSSL accepts our private keys in both forms and finds them valid.
			for _, in := range []string{bPKCS8, bSEC1} {
				if _, err := openssl("pkey", "-inform", "DER", "-in", in, "-check", "-noout"); err != nil {
					t.Errorf("openssl pkey -check refuses %s", filepath.Base(in))
				}
			}
			// It derives the same public key, byte for byte.
			if out, err := openssl("pkey", "-inform", "DER", "-in", bPKCS8, "-pubout", "-outform", "DER"); err != nil || !bytes.Equal(out, b.PublicKey().MarshalPKIX()) {
				t.Errorf("openssl public key of our PKCS#8 differs: %x", out)
			}
			// It re-encodes our SEC 1 key into what we write too.
			if out, err := openssl("pkey", "-inform", "DER", "-in", bSEC1, "-outform", "DER"); err != nil {
				t.Error("openssl pkey refuses our SEC 1 key")
			} else if !bytes.Equal(out, b.MarshalPKCS8()) && !bytes.Equal(out, b.MarshalSEC1()) {
				t.Errorf("openssl re-encodes our key as %x, which is neither our PKCS#8 nor our SEC 1", out)
			}
			if out, err := openssl("pkey", "-inform", "DER", "-in", bPKCS8, "-traditional", "-outform", "DER"); err != nil || !bytes.Equal(out, b.MarshalSEC1()) {
				t.Errorf("openssl traditional (SEC 1) form differs from MarshalSEC1: %x", out)
			}
			// It accepts our SubjectPublicKeyInfo unchanged, and we read its
			// compressed form.
			if out, err := openssl("pkey", "-pubin", "-inform", "DER", "-in", bSPKI, "-outform", "DER"); err != nil || !bytes.Equal(out, b.PublicKey().MarshalPKIX()) {
				t.Errorf("openssl rewrites our SubjectPublicKeyInfo as %x", out)
			}
			out, err := openssl("ec", "-pubin", "-inform", "DER", "-in", bSPKI, "-outform", "DER", "-conv_form", "compressed")
			if err != nil {
				t.Fatal("openssl cannot write a compressed SubjectPublicKeyInfo")
			}
			if len(out) >= len(b.PublicKey().MarshalPKIX()) {
				t.Errorf("openssl ec -conv_form compressed wrote %x", out)
			}
			if pub, err := ParsePublicKey(out); err != nil || !pub.Equal(b.PublicKey()) {
				t.Errorf("compressed SubjectPublicKeyInfo from openssl (%x): %v", out, err)
			}

			// ECDH, both ways.
			zab, err := a.ECDH(b.PublicKey())
			if err != nil {
				t.Fatal(err)
			}
			derive := func(key, peer string) ([]byte, error) {
				return openssl("pkeyutl", "-derive", "-keyform", "DER", "-inkey", key, "-peerform", "DER", "-peerkey", peer)
			}
			if s == SM2 {
				if _, err := derive(aPKCS8, bSPKI); err == nil {
					t.Error("this openssl derives with SM2 keys after all: compare its result here")
				}
				t.Logf("SM2 ECDH not compared with openssl: pkeyutl -derive refuses SM2 keys (checked with the SM2 vectors)")
				return
			}
			for _, c := range [][2]string{{aPKCS8, bSPKI}, {bPKCS8, aSPKI}} {
				if out, err := derive(c[0], c[1]); err != nil || !bytes.Equal(out, zab) {
					t.Errorf("openssl pkeyutl -derive %s %s = %x, ECDH = %x", filepath.Base(c[0]), filepath.Base(c[1]), out, zab)
				}
			}
		})
	}
}
