package interop

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestSigV4Signer signs raw requests with the AWS SDK's own SigV4 signer, in
// shapes beyond what the KMS client sends (query strings, extra and repeated
// headers, odd spacing, other regions), and checks that the server accepts
// exactly the requests the signer signed.
func TestSigV4Signer(t *testing.T) {
	url := startKMS(t)
	signer := v4.NewSigner()
	creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}
	const body = `{"NumberOfBytes":16}`

	type request struct {
		name   string
		query  string
		header http.Header
		region string
		at     time.Time
		hash   string                // payload hash given to the signer; default SHA-256(body)
		after  func(r *http.Request) // applied after signing
		status int                   // expected
		typ    string                // expected __type, for failures
	}
	for _, tc := range []request{
		{name: "as the KMS client", status: http.StatusOK},
		{name: "other region", region: "us-gov-west-1", status: http.StatusOK},
		{name: "query string", query: "b=2&a=1&a=0&c=%20x%2Fy&d=", status: http.StatusOK},
		{name: "extra headers", header: http.Header{
			"X-Custom":    {"  a   b  c "},
			"X-Repeated":  {"one", "two"},
			"Content-Md5": {"ignored-but-signed"},
		}, status: http.StatusOK},
		{name: "signed a minute ago", at: time.Now().Add(-time.Minute), status: http.StatusOK},

		{name: "body replaced", after: func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(`{"NumberOfBytes":17}`))
			r.ContentLength = int64(len(`{"NumberOfBytes":17}`))
		}, status: http.StatusForbidden, typ: "InvalidSignatureException"},
		{name: "target changed", after: func(r *http.Request) { r.Header.Set("X-Amz-Target", "TrentService.ListKeys") },
			status: http.StatusForbidden, typ: "InvalidSignatureException"},
		{name: "signed header changed", header: http.Header{"X-Custom": {"a"}}, after: func(r *http.Request) { r.Header.Set("X-Custom", "b") },
			status: http.StatusForbidden, typ: "InvalidSignatureException"},
		{name: "query changed", query: "a=1", after: func(r *http.Request) { r.URL.RawQuery = "a=2" },
			status: http.StatusForbidden, typ: "InvalidSignatureException"},
		{name: "unsigned x-amz header added", after: func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "t") },
			status: http.StatusUnauthorized, typ: "IncompleteSignatureException"},
		{name: "stale", at: time.Now().Add(-20 * time.Minute), status: http.StatusForbidden, typ: "InvalidSignatureException"},
		{name: "from the future", at: time.Now().Add(20 * time.Minute), status: http.StatusForbidden, typ: "InvalidSignatureException"},
		{name: "unsigned payload", hash: "UNSIGNED-PAYLOAD", header: http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}},
			status: http.StatusForbidden, typ: "InvalidSignatureException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := url + "/"
			if tc.query != "" {
				target += "?" + tc.query
			}
			r, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", "application/x-amz-json-1.1")
			r.Header.Set("X-Amz-Target", "TrentService.GenerateRandom")
			for k, vs := range tc.header {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			hash := tc.hash
			if hash == "" {
				sum := sha256.Sum256([]byte(body))
				hash = hex.EncodeToString(sum[:])
			}
			at := tc.at
			if at.IsZero() {
				at = time.Now()
			}
			region := tc.region
			if region == "" {
				region = testRegion
			}
			if err := signer.SignHTTP(t.Context(), creds, r, hash, "kms", region, at); err != nil {
				t.Fatal(err)
			}
			if tc.after != nil {
				tc.after(r)
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || (tc.typ != "" && out["__type"] != tc.typ) {
				t.Fatalf("status %d %v, want %d %s", resp.StatusCode, out, tc.status, tc.typ)
			}
			if tc.status == http.StatusOK && out["Plaintext"] == nil {
				t.Errorf("no Plaintext in %v", out)
			}
		})
	}
}
