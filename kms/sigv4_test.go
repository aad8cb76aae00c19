package kms

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Test credentials only: they protect nothing.
const (
	testSigV4AccessKey = "AKIDQTENCLAVETEST"
	testSigV4SecretKey = "qtenclave-test-secret-key/NOT-A-REAL-KEY"
)

// testSigV4Request is a request shaped like the AWS SDK for Go v2's
// (KMS-WIRE.md: the same seven signed headers), signed at 2026-11-23
// 12:00:00 UTC for region eu-west-0. Its signature was computed outside Go,
// with openssl, from the hand-written canonical request
//
//	POST
//	/
//
//	amz-sdk-invocation-id:7e3fe4a7-bd6c-4b5c-a1a0-4a3f9a3a2d10
//	amz-sdk-request:attempt=1; max=3
//	content-length:20
//	content-type:application/x-amz-json-1.1
//	host:127.0.0.1:4000
//	x-amz-date:20261123T120000Z
//	x-amz-target:TrentService.GenerateRandom
//
//	amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date;x-amz-target
//	b386e4217667b85b62d23d3751c5cd6ec17da520661d3785147076dbc373761c
//
// (canonical request hash 664deb6f…08b1ba) by the HMAC chain
// "AWS4"+secret, 20261123, eu-west-0, kms, aws4_request.
const (
	testSigV4Body      = `{"NumberOfBytes":32}`
	testSigV4Date      = "20261123T120000Z"
	testSigV4Signature = "a2b7a39b289f52cfb7a0ed722286bb20dd6562d2933ec7495ec0d2f68fdbb097"
	testSigV4Signed    = "amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date;x-amz-target"
)

var testSigV4Now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func newTestSigV4Request() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4000/", strings.NewReader(testSigV4Body))
	r.Header.Set("Amz-Sdk-Invocation-Id", "7e3fe4a7-bd6c-4b5c-a1a0-4a3f9a3a2d10")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	r.Header.Set("Content-Length", "20")
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Date", testSigV4Date)
	r.Header.Set("X-Amz-Target", "TrentService.GenerateRandom")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testSigV4AccessKey+"/20261123/eu-west-0/kms/aws4_request, SignedHeaders="+testSigV4Signed+", Signature="+testSigV4Signature)
	return r
}

func testSigV4Credentials(secret string) *credentials {
	return &credentials{akHash: hashSecret(testSigV4AccessKey), ak: testSigV4AccessKey, sk: []byte(secret)}
}

func verifyTestSigV4(r *http.Request, body string, now time.Time) error {
	return verifySigV4At(r, []byte(body), testSigV4Credentials(testSigV4SecretKey), now)
}

func TestSigV4KnownRequest(t *testing.T) {
	if err := verifyTestSigV4(newTestSigV4Request(), testSigV4Body, testSigV4Now); err != nil {
		t.Fatalf("verify: %v", err)
	}
	// Within the skew bound on either side.
	for _, d := range []time.Duration{-maxClockSkew, maxClockSkew} {
		if err := verifyTestSigV4(newTestSigV4Request(), testSigV4Body, testSigV4Now.Add(d)); err != nil {
			t.Errorf("verify at %v: %v", d, err)
		}
	}
}

// TestSigV4PublishedVectors checks the algorithm against AWS's own published
// examples (the SigV4 documentation's signing-key and IAM ListUsers examples,
// and the get-vanilla cases of the aws-sig-v4-test-suite), which use other
// services than kms.
func TestSigV4PublishedVectors(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

	t.Run("signing key", func(t *testing.T) {
		got := hex.EncodeToString(sigV4SigningKey([]byte(secret), "20120215", "us-east-1", "iam"))
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
			canonical, err := sigV4CanonicalRequest(r, tc.signed, emptyHash)
			if err != nil {
				t.Fatal(err)
			}
			sts := sigV4StringToSign("20150830T123600Z", "20150830/us-east-1/"+tc.service+"/aws4_request", canonical)
			if tc.canonicalHash != "" && !strings.HasSuffix(sts, "\n"+tc.canonicalHash) {
				t.Errorf("canonical request hash: string to sign is\n%s\nwant hash %s", sts, tc.canonicalHash)
			}
			key := sigV4SigningKey([]byte(secret), "20150830", "us-east-1", tc.service)
			if got := hex.EncodeToString(hmacSHA256(key, sts)); got != tc.signature {
				t.Errorf("signature = %s, want %s\ncanonical request:\n%s", got, tc.signature, canonical)
			}
		})
	}
}

func TestSigV4Rejects(t *testing.T) {
	auth := func(cred, signed, sig string) string {
		return "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=" + signed + ", Signature=" + sig
	}
	goodCred := testSigV4AccessKey + "/20261123/eu-west-0/kms/aws4_request"
	for _, tc := range []struct {
		name   string
		edit   func(r *http.Request)
		body   string
		now    time.Time
		secret string
		want   error
	}{
		{name: "body changed", body: `{"NumberOfBytes":33}`, want: errSigV4BadSignature},
		{name: "target changed", edit: func(r *http.Request) { r.Header.Set("X-Amz-Target", "TrentService.Decrypt") }, want: errSigV4BadSignature},
		{name: "host changed", edit: func(r *http.Request) { r.Host = "127.0.0.1:4001" }, want: errSigV4BadSignature},
		{name: "path changed", edit: func(r *http.Request) { r.URL.Path = "/x" }, want: errSigV4BadSignature},
		{name: "query added", edit: func(r *http.Request) { r.URL.RawQuery = "a=b" }, want: errSigV4BadSignature},
		{name: "method changed", edit: func(r *http.Request) { r.Method = http.MethodPut }, want: errSigV4BadSignature},
		{name: "wrong secret", secret: "another-secret", want: errSigV4BadSignature},
		{name: "signature flipped", edit: func(r *http.Request) {
			r.Header.Set("Authorization", auth(goodCred, testSigV4Signed, "b"+testSigV4Signature[1:]))
		}, want: errSigV4BadSignature},
		{name: "unknown access key", edit: func(r *http.Request) {
			r.Header.Set("Authorization", auth("AKIDOTHER/20261123/eu-west-0/kms/aws4_request", testSigV4Signed, testSigV4Signature))
		}, want: errSigV4UnknownKey},
		{name: "other region", edit: func(r *http.Request) {
			r.Header.Set("Authorization", auth(testSigV4AccessKey+"/20261123/us-east-1/kms/aws4_request", testSigV4Signed, testSigV4Signature))
		}, want: errSigV4BadSignature},
		{name: "stale", now: testSigV4Now.Add(maxClockSkew + time.Second), want: errSigV4Expired},
		{name: "future", now: testSigV4Now.Add(-maxClockSkew - time.Second), want: errSigV4Expired},
		{name: "unsigned x-amz header", edit: func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "t") }, want: errSigV4Malformed},
		{name: "content hash mismatch", edit: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			r.Header.Set("Authorization", auth(goodCred, testSigV4Signed+";x-amz-content-sha256", testSigV4Signature))
		}, want: errSigV4Malformed}, // the signed list is no longer sorted
		{name: "content hash unsigned payload", edit: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			r.Header.Set("Authorization", auth(goodCred, "amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target", testSigV4Signature))
		}, want: errSigV4PayloadHashed},
		{name: "no authorization", edit: func(r *http.Request) { r.Header.Del("Authorization") }, want: errSigV4Malformed},
		{name: "other algorithm", edit: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), sigV4Scheme, "AWS4-HMAC-SHA512", 1))
		}, want: errSigV4Malformed},
		{name: "other service", edit: func(r *http.Request) {
			r.Header.Set("Authorization", auth(testSigV4AccessKey+"/20261123/eu-west-0/s3/aws4_request", testSigV4Signed, testSigV4Signature))
		}, want: errSigV4Malformed},
		{name: "scope date differs", edit: func(r *http.Request) {
			r.Header.Set("Authorization", auth(testSigV4AccessKey+"/20261122/eu-west-0/kms/aws4_request", testSigV4Signed, testSigV4Signature))
		}, want: errSigV4Malformed},
		{name: "bad region", edit: func(r *http.Request) {
			r.Header.Set("Authorization", auth(testSigV4AccessKey+"/20261123/EU_WEST/kms/aws4_request", testSigV4Signed, testSigV4Signature))
		}, want: errSigV4Malformed},
		{name: "host not signed", edit: func(r *http.Request) {
			r.Header.Set("Authorization", auth(goodCred, "x-amz-date;x-amz-target", testSigV4Signature))
		}, want: errSigV4Malformed},
		{name: "target not signed", edit: func(r *http.Request) {
			r.Header.Set("Authorization", auth(goodCred, "host;x-amz-date", testSigV4Signature))
		}, want: errSigV4Malformed},
		{name: "signed header absent", edit: func(r *http.Request) { r.Header.Del("Amz-Sdk-Request") }, want: errSigV4Malformed},
		{name: "signed headers unsorted", edit: func(r *http.Request) {
			r.Header.Set("Authorization", auth(goodCred, "host;content-type;x-amz-date;x-amz-target", testSigV4Signature))
		}, want: errSigV4Malformed},
		{name: "signed headers repeated", edit: func(r *http.Request) {
			r.Header.Set("Authorization", auth(goodCred, "host;host;x-amz-date;x-amz-target", testSigV4Signature))
		}, want: errSigV4Malformed},
		{name: "upper-case signature", edit: func(r *http.Request) {
			r.Header.Set("Authorization", auth(goodCred, testSigV4Signed, strings.ToUpper(testSigV4Signature)))
		}, want: errSigV4Malformed},
		{name: "short signature", edit: func(r *http.Request) {
			r.Header.Set("Authorization", auth(goodCred, testSigV4Signed, testSigV4Signature[:62]))
		}, want: errSigV4Malformed},
		{name: "credential twice", edit: func(r *http.Request) {
			r.Header.Set("Authorization", auth(goodCred, testSigV4Signed, testSigV4Signature)+", Credential="+goodCred)
		}, want: errSigV4Malformed},
		{name: "date missing", edit: func(r *http.Request) { r.Header.Del("X-Amz-Date") }, want: errSigV4Malformed},
		{name: "date twice", edit: func(r *http.Request) { r.Header.Add("X-Amz-Date", testSigV4Date) }, want: errSigV4Malformed},
		{name: "date not basic ISO 8601", edit: func(r *http.Request) { r.Header.Set("X-Amz-Date", "2026-11-23T12:00:00Z") }, want: errSigV4Malformed},
		{name: "oversized authorization", edit: func(r *http.Request) {
			r.Header.Set("Authorization", auth(goodCred, testSigV4Signed, testSigV4Signature)+strings.Repeat(" ", maxSigV4Authorization))
		}, want: errSigV4Malformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestSigV4Request()
			if tc.edit != nil {
				tc.edit(r)
			}
			body, now, secret := testSigV4Body, testSigV4Now, testSigV4SecretKey
			if tc.body != "" {
				body = tc.body
			}
			if !tc.now.IsZero() {
				now = tc.now
			}
			if tc.secret != "" {
				secret = tc.secret
			}
			err := verifySigV4At(r, []byte(body), testSigV4Credentials(secret), now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if k, _ := kindOf(err); k != kindUnauthenticated {
				t.Errorf("kind = %v, want kindUnauthenticated", k)
			}
			for _, s := range []string{testSigV4SecretKey, secret, testSigV4Signature, testSigV4AccessKey} {
				if msg := fmt.Sprintf("%+v", err); strings.Contains(msg, s) {
					t.Errorf("error %q shows a credential or signature", msg)
				}
			}
		})
	}
}

func TestSigV4ParseAuthorization(t *testing.T) {
	a, err := parseSigV4Authorization("AWS4-HMAC-SHA256 Signature=" + testSigV4Signature + ",SignedHeaders=host;x-amz-date,Credential=AK/20261123/cn-north-4/kms/aws4_request")
	if err != nil {
		t.Fatal(err)
	}
	if a.accessKey != "AK" || a.date != "20261123" || a.region != "cn-north-4" || strings.Join(a.signedHeaders, ";") != "host;x-amz-date" || hex.EncodeToString(a.signature) != testSigV4Signature {
		t.Errorf("parsed %+v", a)
	}
	if got, want := a.scope(), "20261123/cn-north-4/kms/aws4_request"; got != want {
		t.Errorf("scope = %q, want %q", got, want)
	}
}

// FuzzSigV4Authorization: the parser either fails with nothing or returns a
// value whose re-serialization parses to the same value.
func FuzzSigV4Authorization(f *testing.F) {
	f.Add(newTestSigV4Request().Header.Get("Authorization"))
	f.Add("AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + testSigV4Signature)
	f.Add("AWS4-HMAC-SHA256 Credential=//////, SignedHeaders=;;, Signature=")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseSigV4Authorization(h)
		if err != nil {
			if a != nil {
				t.Fatal("non-nil result with an error")
			}
			return
		}
		again := "AWS4-HMAC-SHA256 Credential=" + a.accessKey + "/" + a.scope() +
			", SignedHeaders=" + strings.Join(a.signedHeaders, ";") + ", Signature=" + hex.EncodeToString(a.signature)
		b, err := parseSigV4Authorization(again)
		if err != nil {
			t.Fatalf("re-serialized %q does not parse: %v", again, err)
		}
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("round trip changed %+v into %+v", a, b)
		}
	})
}

// BenchmarkSigV4 measures verifying the SDK-shaped request of
// TestSigV4KnownRequest ("ours": parse, canonicalize, derive, compare)
// against its irreducible part ("baseline": the five HMAC-SHA256 of key
// derivation and signing, and the two SHA-256 of body and canonical
// request), and reports their ratio.
func BenchmarkSigV4(b *testing.B) {
	creds := testSigV4Credentials(testSigV4SecretKey)
	body := []byte(testSigV4Body)
	var ours time.Duration
	b.Run("ours", func(b *testing.B) {
		r := newTestSigV4Request()
		for b.Loop() {
			if err := verifySigV4At(r, body, creds, testSigV4Now); err != nil {
				b.Fatal(err)
			}
		}
		ours = b.Elapsed() / time.Duration(b.N)
	})
	b.Run("baseline", func(b *testing.B) {
		r := newTestSigV4Request()
		sum := sha256.Sum256(body)
		canonical, err := sigV4CanonicalRequest(r, strings.Split(testSigV4Signed, ";"), hex.EncodeToString(sum[:]))
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			sum = sha256.Sum256(body)
			_ = sigV4Sign(creds.sk, "20261123", "eu-west-0", sigV4StringToSign(testSigV4Date, "20261123/eu-west-0/kms/aws4_request", canonical))
		}
		if base := b.Elapsed() / time.Duration(b.N); base > 0 && ours > 0 {
			b.ReportMetric(float64(ours)/float64(base), "ours/baseline")
		}
	})
}
