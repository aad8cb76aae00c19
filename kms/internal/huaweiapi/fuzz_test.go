package huaweiapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/qtenclave/qtenclave/kms/internal/core"
)

const testProject = "0123456789abcdef0123456789abcdef"

// testCaller is the caller of the tests' requests.
var testCaller = core.Caller{API: "huawei", Credential: core.CredentialToken}

// fuzzKMS returns the front end of a KMS in memory with a key of each kind,
// so that requests reach deep into the operations, and the keys' IDs.
func fuzzKMS(t testing.TB) (*API, map[string]string) {
	k, err := core.New(core.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	ids := map[string]string{}
	for _, c := range []struct{ name, spec, usage, origin string }{
		{"aes", "AES_256", "", ""}, {"sm4", "SM4", "", ""}, {"p256", "EC_P256", "KEY_AGREEMENT", ""},
		{"sm2", "SM2", "KEY_AGREEMENT", ""}, {"ext", "AES_256", "", "external"}, {"extec", "EC_P256", "KEY_AGREEMENT", "external"},
		{"p256s", "EC_P256", "SIGN_VERIFY", ""}, {"sm2s", "SM2", "SIGN_VERIFY", ""}, {"sm2e", "SM2", "ENCRYPT_DECRYPT", ""}, {"rsae", "RSA_2048", "ENCRYPT_DECRYPT", ""},
	} {
		key, err := k.CreateKey(context.Background(), testCaller, &core.CreateKeyInput{Alias: c.name, Spec: c.spec, Usage: c.usage, Origin: c.origin})
		if err != nil {
			t.Fatal(err)
		}
		ids[c.name] = key.ID
	}
	return New(k), ids
}

var fuzzOps = slices.Sorted(func(yield func(string) bool) {
	for op := range operations {
		if op != "create-rsa-datakey-pair" && op != "create-key" { // key generation would dominate the run
			if !yield(op) {
				return
			}
		}
	}
})

// FuzzHuaweiRequest sends arbitrary bodies to every operation (but the two
// that generate RSA or store keys), through Serve as the server calls it
// once a request is authenticated. Property: no panic (Serve does not
// recover from one: the server does), and the answer is
// either 200 with a JSON object or an error status with exactly the error
// object; an error never carries a key, secret or ciphertext field.
func FuzzHuaweiRequest(f *testing.F) {
	api, ids := fuzzKMS(f)
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
		`{"key_id":"%aes","key_spec":"AES_128","datakey_length":"512","additional_authenticated_data":"a"}`,
		`{"key_id":"%sm4","plain_text":"hello","encryption_algorithm":"SYMMETRIC_DEFAULT"}`,
		`{"cipher_text":"ATEyMzQ=","key_id":"%aes","recipient":{"attestation_document":"hEShATgioFkQ"}}`,
		`{"random_data_length":"256","sequence":"919c82d4-8046-4722-9094-35c3c6524cff"}`,
		`{"key_id":"%p256s","message":"` + strings.Repeat("A", 43) + `=","signing_algorithm":"ECDSA_SHA_256"}`,
		`{"key_id":"%p256s","message":"aGVsbG8=","signing_algorithm":"ECDSA_SHA_256","message_type":"RAW","signature":"MEUCIQD/","sequence":"sequence"}`,
		`{"key_id":"%sm2s","message":"` + strings.Repeat("B", 43) + `=","signing_algorithm":"SM2DSA_SM3","message_type":"DIGEST"}`,
		`{"key_id":"%rsae","plain_text":"hello","encryption_algorithm":"RSAES_OAEP_SHA_256"}`,
		`{"key_id":"%sm2e","cipher_text":"MG4CIH9rDIF6IyDnoCaAHlasRlMUW5nAcfbBeZykuTUqDCN+CwIhAO5hPCu0Ll/Gm","encryption_algorithm":"SM2_ENCRYPT"}`,
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
		w := httptest.NewRecorder()
		api.Serve(w, req, body, testCaller)
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

// FuzzHuaweiRoute sends arbitrary methods, paths below
// /v1.0/{project_id}/kms/ (with their query) and bodies to Serve: the
// alias and tag APIs' routing, path parameters and query. Property: as
// FuzzHuaweiRequest's, with a JSON array for list-aliases.
func FuzzHuaweiRoute(f *testing.F) {
	api, ids := fuzzKMS(f)
	methods := []string{http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodPut}
	for _, s := range []struct {
		method uint8
		path   string
		body   string
	}{
		{1, "aliases", `{"key_id":"%aes","alias":"fuzz"}`},
		{0, "aliases?key_id=%aes&limit=1&marker=0", ""},
		{2, "aliases", `{"key_id":"%aes","aliases":["fuzz"]}`},
		{1, "alias/associate", `{"alias":"fuzz","target_key_id":"%sm4"}`},
		{1, "%aes/tags", `{"tag":{"key":"k","value":"v"}}`},
		{0, "%aes/tags", ""},
		{1, "%aes/tags/action", `{"tags":[{"key":"k","value":"v"}],"action":"create"}`},
		{2, "%aes/tags/k", ""},
		{2, "%aes/tags/%2Fk%", ""},
		{0, "tags", ""},
		{3, "aliases", ""},
	} {
		for name, id := range ids {
			s.path = strings.ReplaceAll(s.path, "%"+name, id)
			s.body = strings.ReplaceAll(s.body, "%"+name, id)
		}
		f.Add(s.method, s.path, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, m uint8, path string, body []byte) {
		method := methods[int(m)%len(methods)]
		req, err := http.NewRequest(method, "http://kms/v1.0/"+testProject+"/kms/"+path, bytes.NewReader(body))
		if err != nil {
			return // not a URL: the server never sees it
		}
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		api.Serve(w, req, body, testCaller)
		if w.Code == http.StatusOK {
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("%s %s: 200 with %q", method, path, w.Body.Bytes())
			}
			return
		}
		var resp map[string]json.RawMessage
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %q", method, path, w.Body.Bytes())
		}
		if _, ok := resp["error"]; !ok || len(resp) != 1 {
			t.Fatalf("%s %s: status %d answer is not just an error: %s", method, path, w.Code, w.Body.Bytes())
		}
	})
}
