package httpsig

import (
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSigV4PublishedVectors checks the algorithm against AWS's own published
// examples (the SigV4 documentation's signing-key and IAM ListUsers examples,
// and the get-vanilla cases of the aws-sig-v4-test-suite), which use other
// services than kms.
func TestSigV4PublishedVectors(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

	t.Run("signing key", func(t *testing.T) {
		got := hex.EncodeToString(SigV4SigningKey([]byte(secret), "20120215", "us-east-1", "iam"))
		if want := "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"; got != want {
			t.Errorf("signing key = %s, want %s", got, want)
		}
	})

	for _, tc := range []struct {
		name, service, host, target string
		header                      map[string]string
		signed                      []string
		canonicalHash, signature    string
	}{
		{
			name: "iam ListUsers", service: "iam", host: "iam.amazonaws.com",
			target: "/?Action=ListUsers&Version=2010-05-08",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
			signed: []string{"content-type", "host", "x-amz-date"},
			// The documentation prints both hashes.
			canonicalHash: "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59",
			signature:     "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
		},
		{
			name: "get-vanilla", service: "service", host: "example.amazonaws.com", target: "/",
			signed:    []string{"host", "x-amz-date"},
			signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		},
		{
			name: "get-vanilla-query-order-key-case", service: "service", host: "example.amazonaws.com",
			target:    "/?Param2=value2&Param1=value1",
			signed:    []string{"host", "x-amz-date"},
			signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://"+tc.host+tc.target, nil)
			r.Header.Set("X-Amz-Date", "20150830T123600Z")
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
			canonical, err := SigV4CanonicalRequest(r, tc.signed, emptyHash)
			if err != nil {
				t.Fatal(err)
			}
			sts := SigV4StringToSign("20150830T123600Z", "20150830/us-east-1/"+tc.service+"/aws4_request", canonical)
			if tc.canonicalHash != "" && !strings.HasSuffix(sts, "\n"+tc.canonicalHash) {
				t.Errorf("canonical request hash: string to sign is\n%s\nwant hash %s", sts, tc.canonicalHash)
			}
			if got := hex.EncodeToString(SigV4Sign([]byte(secret), "20150830", "us-east-1", tc.service, sts)); got != tc.signature {
				t.Errorf("signature = %s, want %s\ncanonical request:\n%s", got, tc.signature, canonical)
			}
			// The verifier's path: one buffer, a reused key.
			key := NewMAC(SigV4SigningKey([]byte(secret), "20150830", "us-east-1", tc.service))
			for range 2 {
				sig, err := SigV4Signature(key, r, strings.Join(tc.signed, ";"), "20150830T123600Z", "us-east-1", tc.service, []byte(emptyHash))
				if err != nil {
					t.Fatal(err)
				}
				if got := hex.EncodeToString(sig[:]); got != tc.signature {
					t.Errorf("SigV4Signature = %s, want %s", got, tc.signature)
				}
			}
		})
	}
}
