package kms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/internal/httpsig"
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
			rec, err := srv.createKey(context.Background(), &createKeyInput{alias: c.name, spec: c.spec, usage: c.usage, origin: c.origin})
			if err != nil {
				panic(err)
			}
			ids[c.name] = rec.ID
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

// FuzzImportToken feeds arbitrary tokens to the token parser. Property: a
// token the server did not make for the key never opens, and the failure is
// always kindInvalidImportToken with a nil key.
func FuzzImportToken(f *testing.F) {
	srv, ids := fuzzServer(f)
	p, err := srv.getParametersForImport(context.Background(), ids["ext"], keyEncryptionAlgorithm)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p.token)
	f.Add(p.token[:45])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, token []byte) {
		k, err := srv.openImportToken(ids["ext"], token)
		if bytes.Equal(token, p.token) {
			if err != nil || k == nil {
				t.Fatalf("the server's own token does not open: %v", err)
			}
			return
		}
		if k != nil || kindOfErr(err) != kindInvalidImportToken {
			t.Fatalf("a foreign token opened or failed oddly: %v", err)
		}
	})
}

// FuzzSDKAuthorization feeds arbitrary Authorization and X-Sdk-Date headers
// to the signature check. Property: only the correctly signed request is
// let in; nothing panics.
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
		err := srv.authenticate(build(auth, d), body)
		if err == nil && (auth != good || d != date) {
			t.Fatalf("let in with Authorization %q, X-Sdk-Date %q", auth, d)
		}
		if err != nil && kindOfErr(err) != kindUnauthenticated {
			t.Fatalf("failure of the wrong kind: %v", err)
		}
	})
}

func kindOfErr(err error) kind {
	var e *opError
	if errors.As(err, &e) {
		return e.kind
	}
	return kindInternal
}
