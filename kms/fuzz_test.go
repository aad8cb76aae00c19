package kms

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/internal/httpsig"
	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// fuzzKMS is one server for all fuzz inputs, with a key of each kind so that
// requests reach deep into the operations.
var fuzzKMS struct {
	once sync.Once
	srv  *Server
	ids  map[string]string
}

func fuzzServer(t testing.TB) (*Server, map[string]string) {
	fuzzKMS.once.Do(func() {
		srv, err := NewServer(Options{Token: testToken, AccessKey: testAK, SecretKey: testSK})
		if err != nil {
			panic(err)
		}
		ids := map[string]string{}
		for _, c := range []struct{ name, spec, usage, origin string }{
			{"aes", "AES_256", "", ""}, {"sm4", "SM4", "", ""}, {"p256", "EC_P256", "KEY_AGREEMENT", ""},
			{"sm2", "SM2", "KEY_AGREEMENT", ""}, {"ext", "AES_256", "", "external"}, {"extec", "EC_P256", "KEY_AGREEMENT", "external"},
		} {
			key, err := srv.core.CreateKey(context.Background(), testCaller, &core.CreateKeyInput{Alias: c.name, Spec: c.spec, Usage: c.usage, Origin: c.origin})
			if err != nil {
				panic(err)
			}
			ids[c.name] = key.ID
		}
		fuzzKMS.srv, fuzzKMS.ids = srv, ids
	})
	return fuzzKMS.srv, fuzzKMS.ids
}

var fuzzOps = slices.Sorted(func(yield func(string) bool) {
	for op := range huaweiOps {
		if op != "create-rsa-datakey-pair" && op != "create-key" { // key generation would dominate the run
			if !yield(op) {
				return
			}
		}
	}
})

// FuzzHuaweiRequest sends arbitrary bodies to every operation (but the two
// that generate RSA or store keys). Property: no panic, and the answer is
// either 200 with a JSON object or an error status with exactly the error
// object; an error never carries a key, secret or ciphertext field.
func FuzzHuaweiRequest(f *testing.F) {
	srv, ids := fuzzServer(f)
	seeds := []string{
		`{"key_id":"%aes","plain_text":"00","datakey_plain_length":"1"}`,
		`{"key_id":"%p256","key_agreement_algorithm":"ECDH","public_key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4UPptf7NVo2H+8Mz1V1dMz9x+DGdQSFxwLsqkUSXy4XNgs6bnxMtUB3WuI9GGzIYw21R/+w4lJvNDxYjd/Q1sQ=="}`,
		`{"key_id":"%p256","key_agreement_algorithm":"ECDH","public_key":"AA==","recipient":{"attestation_document":"hEShATgioFkQ","key_encryption_algorithm":"RSAES_OAEP_SHA_256"}}`,
		`{"key_id":"%aes","key_spec":"ECC_NIST_P256","with_plain_text":false}`,
		`{"key_id":"%sm4","cipher_text":"01","datakey_cipher_length":"1","additional_authenticated_data":"a"}`,
		`{"key_id":"%ext","wrapping_algorithm":"RSAES_OAEP_SHA_256"}`,
		`{"key_id":"%extec","import_token":"` + strings.Repeat("A", 200) + `","encrypted_key_material":"` + strings.Repeat("B", 344) + `","encrypted_privatekey":"` + strings.Repeat("C", 200) + `"}`,
		`{"limit":"2","marker":"1","key_spec":"ALL","key_state":"2"}`,
		`{"key_id":"%sm2","sequence":"919c82d4-8046-4722-9094-35c3c6524cff"}`,
	}
	for i, s := range seeds {
		for name, id := range ids {
			s = strings.ReplaceAll(s, "%"+name, id)
		}
		for j := range fuzzOps {
			f.Add(uint8(i+j), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, opIndex uint8, body []byte) {
		op := fuzzOps[int(opIndex)%len(fuzzOps)]
		req := httptest.NewRequest(http.MethodPost, "/v1.0/"+testProject+"/kms/"+op, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Auth-Token", testToken)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		var resp map[string]json.RawMessage
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("%s: answer is not a JSON object: %q", op, w.Body.Bytes())
		}
		if w.Code == http.StatusOK {
			if _, ok := resp["error"]; ok {
				t.Fatalf("%s: 200 with an error", op)
			}
			return
		}
		if _, ok := resp["error"]; !ok || len(resp) != 1 {
			t.Fatalf("%s: status %d answer is not just an error: %s", op, w.Code, w.Body.Bytes())
		}
	})
}

// FuzzSDKAuthorization feeds arbitrary Authorization and X-Sdk-Date headers
// to the signature check. Property: only the correctly signed request is
// let in, as the caller of that access key; nothing panics.
func FuzzSDKAuthorization(f *testing.F) {
	srv, ids := fuzzServer(f)
	body := []byte(`{"key_id":"` + ids["aes"] + `"}`)
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
