package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
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
			for _, name := range []string{"import-key-material", "refuse wrong PCR0", "refuse tampered signature"} {
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
