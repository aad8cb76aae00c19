package kms

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/internal/httpsig"
	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// FuzzSDKAuthorization feeds arbitrary Authorization and X-Sdk-Date headers
// to the signature check. Property: only the correctly signed request is
// let in, as the caller of that access key; nothing panics.
func FuzzSDKAuthorization(f *testing.F) {
	srv, err := NewServer(Options{Token: testToken, AccessKey: testAK, SecretKey: testSK})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	key, err := srv.core.CreateKey(f.Context(), testCaller, &core.CreateKeyInput{})
	if err != nil {
		f.Fatal(err)
	}
	body := []byte(`{"key_id":"` + key.ID + `"}`)
	now := time.Now()
	date := now.UTC().Format(httpsig.SDKDateFormat)
	build := func(auth, d string) *http.Request {
		req := httptest.NewRequest(http.MethodPost, "http://kms.local/v1.0/"+testProject+"/kms/describe-key", bytes.NewReader(body))
		req.Header.Set("Authorization", auth)
		req.Header.Set("X-Sdk-Date", d)
		return req
	}
	req := build("", date)
	httpsig.SignSDK(req, body, testAK, testSK, []string{"host", "x-sdk-date"}, now)
	good := req.Header.Get("Authorization")
	f.Add(good, date)
	f.Add("SDK-HMAC-SHA256 Access=, SignedHeaders=;, Signature=00", date)
	f.Add("AWS4-HMAC-SHA256 Credential=x", "20260101T000000Z")
	f.Fuzz(func(t *testing.T, auth, d string) {
		caller, err := srv.authenticate(build(auth, d), body, "huawei")
		if err == nil && (auth != good || d != date) {
			t.Fatalf("let in with Authorization %q, X-Sdk-Date %q", auth, d)
		}
		want := core.Caller{API: "huawei", Credential: core.CredentialAKSK, AccessKey: testAK}
		if err != nil {
			want = core.Caller{}
		}
		if caller != want {
			t.Fatalf("caller %+v, want %+v", caller, want)
		}
		if err != nil && kindOf(err) != core.KindUnauthenticated {
			t.Fatalf("failure of the wrong kind: %v", err)
		}
	})
}

func kindOf(err error) core.Kind {
	k, _ := core.KindOf(err)
	return k
}
