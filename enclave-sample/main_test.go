package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/kms"
)

// TestSampleBothPlatforms runs the whole flow against an in-process KMS for
// each platform and checks the JSON report: every step passed, every key
// spec was covered by both recipient operations, and the negative cases
// were refused.
func TestSampleBothPlatforms(t *testing.T) {
	for _, platform := range []string{"qingtian", "nitro"} {
		t.Run(platform, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run([]string{"--json", "--platform", platform}, &stdout, &stderr)
			var rep report
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatalf("report is not JSON: %v\n%s\n%s", err, stdout.Bytes(), stderr.Bytes())
			}
			for _, s := range rep.Steps {
				if !s.OK {
					t.Errorf("step %s %s failed: %s", s.Name, s.Spec, s.Error)
				}
			}
			if code != 0 || !rep.OK || rep.Failed != 0 {
				t.Fatalf("exit %d, ok %v, %d failed; stderr: %s", code, rep.OK, rep.Failed, stderr.Bytes())
			}
			if rep.Platform != platform {
				t.Errorf("platform = %q, want %q", rep.Platform, platform)
			}
			want := []string{"ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SM2"}
			for _, spec := range want {
				for _, op := range []string{"derive-shared-secret", "create-ec-datakey-pair"} {
					if !slices.ContainsFunc(rep.Steps, func(s step) bool { return s.Name == op && s.Spec == spec && s.OK }) {
						t.Errorf("no passing %s step for %s", op, spec)
					}
				}
			}
			for _, name := range []string{"import-key-material", "refuse wrong PCR0", "refuse tampered signature",
				"PCR0 key policy (Huawei)", "refuse plaintext (Huawei)", "allow the enclave (Huawei)", "refuse another image (Huawei)",
				"PCR0 key policy (AWS)", "refuse plaintext (AWS)", "allow the enclave (AWS)", "refuse another image (AWS)"} {
				if !slices.ContainsFunc(rep.Steps, func(s step) bool { return s.Name == name && s.OK }) {
					t.Errorf("no passing %q step", name)
				}
			}
			if rep.Passed != len(rep.Steps) {
				t.Errorf("passed = %d, steps = %d", rep.Passed, len(rep.Steps))
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--platform", "sgx"},
		{"extra"},
		{"--kms", "http://127.0.0.1:1"}, // no credentials
		{"--no-such-flag"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
		if stderr.Len() == 0 {
			t.Errorf("run(%q) printed no reason", args)
		}
	}
}

// TestUnreachableKMS checks that a KMS that cannot be reached is a failure
// (exit 1) with a report that says so, not a panic or a pass.
func TestUnreachableKMS(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"--json", "--kms", "http://127.0.0.1:1", "--token", "x"}, &stdout, &stderr)
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	if code != 1 || rep.OK || rep.Failed == 0 {
		t.Fatalf("exit %d, ok %v, failed %d; want a failure", code, rep.OK, rep.Failed)
	}
}

// TestRemoteKMS runs the sample with --kms against a KMS server in this
// process, as `qtenclave kms serve --trust-test-root` would be, once with a
// token and once with an AK/SK pair.
func TestRemoteKMS(t *testing.T) {
	srv, err := kms.NewServer(kms.Options{
		Token: "test-token", AccessKey: "TESTAK", SecretKey: "test-secret-key",
		Roots: []*x509.Certificate{attestationtest.Root()},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for name, creds := range map[string][]string{
		"token": {"--token", "test-token"},
		"ak/sk": {"--access-key", "TESTAK", "--secret-key", "test-secret-key"},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"--json", "--platform", "nitro", "--kms", ts.URL}, creds...)
			code := run(args, &stdout, &stderr)
			var rep report
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatalf("report is not JSON: %v", err)
			}
			if code != 0 || !rep.OK || rep.KMS != ts.URL {
				t.Fatalf("exit %d, ok %v, kms %q: %+v", code, rep.OK, rep.KMS, rep.Steps)
			}
		})
	}
}

// TestWrongCredentials: a KMS that refuses the caller makes the sample fail
// with a message naming the KMS, and exit 1.
func TestWrongCredentials(t *testing.T) {
	srv, err := kms.NewServer(kms.Options{Token: "right", Roots: []*x509.Certificate{attestationtest.Root()}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var stdout, stderr bytes.Buffer
	code := run([]string{"--kms", ts.URL, "--token", "wrong"}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !bytes.Contains(stdout.Bytes(), []byte("KMS at "+ts.URL+" refused create-key")) {
		t.Errorf("output does not say which KMS refused what:\n%s", stdout.Bytes())
	}
}
