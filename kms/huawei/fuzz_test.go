package huawei_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"

	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/kms"
	"github.com/qtenclave/qtenclave/kms/huawei"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// clientOp calls an operation of the Client; the bool reports whether it
// returned a response. The request does not matter: the answer is canned.
type clientOp struct {
	name string
	call func(context.Context, *huawei.Client) (bool, error)
}

func op[Req, Resp any](name string, method func(*huawei.Client, context.Context, *Req) (*Resp, error)) clientOp {
	return clientOp{name, func(ctx context.Context, c *huawei.Client) (bool, error) {
		r, err := method(c, ctx, new(Req))
		return r != nil, err
	}}
}

// clientOps are every operation of the Client.
var clientOps = []clientOp{
	op("create-key", (*huawei.Client).CreateKey),
	op("describe-key", (*huawei.Client).DescribeKey),
	op("list-keys", (*huawei.Client).ListKeys),
	op("get-publickey", (*huawei.Client).GetPublicKey),
	op("derive-shared-secret", (*huawei.Client).DeriveSharedSecret),
	op("create-ec-datakey-pair", (*huawei.Client).CreateECDataKeyPair),
	op("create-rsa-datakey-pair", (*huawei.Client).CreateRSADataKeyPair),
	op("encrypt-datakey", (*huawei.Client).EncryptDatakey),
	op("decrypt-datakey", (*huawei.Client).DecryptDatakey),
	op("get-parameters-for-import", (*huawei.Client).GetParametersForImport),
	{"import-key-material", func(ctx context.Context, c *huawei.Client) (bool, error) {
		err := c.ImportKeyMaterial(ctx, &huawei.ImportKeyMaterialRequest{})
		return err == nil, err
	}},
}

// recordedAnswer is an answer of the local KMS to one operation.
type recordedAnswer struct {
	op     int // index in clientOps
	status int
	body   []byte
}

// recordAnswers runs a session against the local KMS (package kms) that
// calls every operation, successfully and not, and returns its answers.
func recordAnswers(t testing.TB) []recordedAnswer {
	t.Helper()
	srv, err := kms.NewServer(kms.Options{Token: "seed-token"})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer func() { hs.Close(); srv.Close() }()
	var answers []recordedAnswer
	transport := hs.Client().Transport
	record := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := transport.RoundTrip(r)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		for i, op := range clientOps {
			if strings.HasSuffix(r.URL.Path, "/kms/"+op.name) {
				answers = append(answers, recordedAnswer{i, resp.StatusCode, body})
			}
		}
		return resp, nil
	})
	c := &huawei.Client{Endpoint: hs.URL, ProjectID: strings.Repeat("0", 32), Token: huawei.NewSecret("seed-token"),
		HTTPClient: &http.Client{Transport: record}}
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	aes, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "aes"})
	must(err)
	ec, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "ec", KeySpec: "EC_P256", KeyUsage: "KEY_AGREEMENT"})
	must(err)
	ext, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "ext", Origin: "external"})
	must(err)
	_, err = c.DescribeKey(ctx, &huawei.KeyRequest{KeyID: ec.KeyInfo.KeyID})
	must(err)
	_, err = c.ListKeys(ctx, &huawei.ListKeysRequest{KeySpec: "ALL"})
	must(err)
	_, err = c.GetPublicKey(ctx, &huawei.KeyRequest{KeyID: ec.KeyInfo.KeyID})
	must(err)
	peer, err := keyspec.GenerateKey(keyspec.P256)
	must(err)
	_, err = c.DeriveSharedSecret(ctx, &huawei.DeriveSharedSecretRequest{KeyID: ec.KeyInfo.KeyID, KeyAgreementAlgorithm: "ECDH",
		PublicKey: base64.StdEncoding.EncodeToString(peer.PublicKey().MarshalPKIX())})
	must(err)
	_, err = c.CreateECDataKeyPair(ctx, &huawei.DataKeyPairRequest{KeyID: aes.KeyInfo.KeyID, KeySpec: "ECC_NIST_P256"})
	must(err)
	_, err = c.CreateRSADataKeyPair(ctx, &huawei.DataKeyPairRequest{KeyID: aes.KeyInfo.KeyID, KeySpec: "RSA_2048"})
	must(err)
	dek := bytes.Repeat([]byte{0x5e}, 32)
	sum := sha256.Sum256(dek)
	enc, err := c.EncryptDatakey(ctx, &huawei.EncryptDatakeyRequest{KeyID: aes.KeyInfo.KeyID,
		PlainText: huawei.NewSecret(hex.EncodeToString(append(dek, sum[:]...))), DatakeyPlainLength: "32"})
	must(err)
	_, err = c.DecryptDatakey(ctx, &huawei.DecryptDatakeyRequest{KeyID: aes.KeyInfo.KeyID, CipherText: enc.CipherText, DatakeyCipherLength: "32"})
	must(err)
	params, err := c.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{KeyID: ext.KeyInfo.KeyID, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
	must(err)
	imp, err := huawei.WrapKeyMaterial(params, bytes.Repeat([]byte{7}, 32))
	must(err)
	must(c.ImportKeyMaterial(ctx, imp))
	// Error answers.
	c.DescribeKey(ctx, &huawei.KeyRequest{KeyID: "00000000-0000-0000-0000-000000000000"})
	c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "bad", KeySpec: "NOPE"})
	c.DecryptDatakey(ctx, &huawei.DecryptDatakeyRequest{KeyID: aes.KeyInfo.KeyID, CipherText: "00", DatakeyCipherLength: "32"})
	c.ImportKeyMaterial(ctx, imp)
	bad := *c
	bad.Token = huawei.NewSecret("wrong")
	bad.ListKeys(ctx, &huawei.ListKeysRequest{})
	if len(answers) < len(clientOps)+5 {
		t.Fatalf("recorded %d answers", len(answers))
	}
	return answers
}

// FuzzClientResponse feeds arbitrary answers (status and body) to every
// operation of the Client, seeded with the local KMS's real answers and the
// gateway's flat error shape. Properties: nothing panics; an operation
// returns a response exactly when it returns no error, and only for a 200;
// only a JSON object is a response (or nothing, for an operation without
// one); any other status is an *APIError of that status with bounded, printable
// fields; a 200 that does not decode is ErrMalformedResponse, with a bounded
// message.
func FuzzClientResponse(f *testing.F) {
	for _, a := range recordAnswers(f) {
		f.Add(uint8(a.op), uint16(a.status), a.body)
	}
	// The API gateway's flat error shape, and bodies that are not the
	// operation's object.
	f.Add(uint8(2), uint16(401), []byte(`{"error_msg":"Incorrect IAM authentication information: verify aksk signature fail","error_code":"APIGW.0301","request_id":"8c2e0c3b"}`))
	f.Add(uint8(1), uint16(502), []byte("<html><body>Bad Gateway</body></html>"))
	f.Add(uint8(8), uint16(200), []byte(`null`))
	f.Add(uint8(8), uint16(200), []byte(`{"data_key":12}`))
	f.Add(uint8(10), uint16(200), []byte(``))
	f.Fuzz(func(t *testing.T, op uint8, status uint16, body []byte) {
		code := int(status) // net/http makes 100 to 999 of anything else
		if code < 100 || code > 999 {
			code = 100 + code%900
		}
		c := &huawei.Client{Endpoint: "http://kms.invalid", ProjectID: strings.Repeat("0", 32), Token: huawei.NewSecret("t"),
			HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: code, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
			})}}
		o := clientOps[int(op)%len(clientOps)]
		ok, err := o.call(context.Background(), c)
		if ok != (err == nil) {
			t.Fatalf("%s: response %v with error %v", o.name, ok, err)
		}
		if err == nil {
			if code != http.StatusOK {
				t.Fatalf("%s: status %d accepted", o.name, code)
			}
			trimmed := bytes.TrimSpace(body)
			object := json.Valid(body) && len(trimmed) > 0 && trimmed[0] == '{'
			if !object && (o.name != "import-key-material" || len(trimmed) > 0) {
				t.Fatalf("%s: %q accepted as the operation's object", o.name, body)
			}
			return
		}
		if len(err.Error()) > 700 || strings.ContainsFunc(err.Error(), unicode.IsControl) {
			t.Fatalf("%s: error %q is unbounded or not printable", o.name, err)
		}
		var ae *huawei.APIError
		switch {
		case code != http.StatusOK:
			if !errors.As(err, &ae) || ae.StatusCode != code {
				t.Fatalf("%s: status %d gives %v", o.name, code, err)
			}
		case !errors.Is(err, huawei.ErrMalformedResponse):
			t.Fatalf("%s: a 200 that does not decode gives %v", o.name, err)
		}
	})
}

// TestClientAnswers: both error shapes give their code, message and request
// ID, cleaned and bounded; a 200 must be the operation's JSON object.
func TestClientAnswers(t *testing.T) {
	answer := func(status int, header http.Header, body string) *huawei.Client {
		return &huawei.Client{Endpoint: "http://kms.invalid", ProjectID: strings.Repeat("0", 32),
			HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
			})}}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
		body   string
		want   huawei.APIError
	}{
		{"nested", 400, http.Header{"X-Request-Id": {"rid-1"}}, `{"error":{"error_code":"KMS.0205","error_msg":"bad key_id"}}`,
			huawei.APIError{StatusCode: 400, Code: "KMS.0205", Message: "bad key_id", RequestID: "rid-1"}},
		{"flat", 401, http.Header{}, `{"error_msg":"Incorrect IAM authentication information","error_code":"APIGW.0301","request_id":"rid-2"}`,
			huawei.APIError{StatusCode: 401, Code: "APIGW.0301", Message: "Incorrect IAM authentication information", RequestID: "rid-2"}},
		{"not JSON", 502, http.Header{}, `<html>Bad Gateway</html>`, huawei.APIError{StatusCode: 502}},
		{"wrong types", 500, http.Header{}, `{"error_code":5,"error_msg":"m"}`, huawei.APIError{StatusCode: 500}},
		{"control characters", 403, http.Header{}, `{"error_code":"A\u0000B","error_msg":"line\nbreak\u001b[31m` + strings.Repeat("x", 1000) + `"}`,
			huawei.APIError{StatusCode: 403, Code: "AB", Message: "linebreak[31m" + strings.Repeat("x", 512-len("linebreak[31m"))}},
	} {
		_, err := answer(tc.status, tc.header, tc.body).DescribeKey(ctx, &huawei.KeyRequest{KeyID: "k"})
		var ae *huawei.APIError
		if !errors.As(err, &ae) || *ae != tc.want {
			t.Errorf("%s: %#v, want %#v", tc.name, err, tc.want)
		}
	}
	for _, body := range []string{``, `null`, `[]`, `"x"`, `{"key_info":{}} {}`, `{"key_info":{"key_id":5}}`, `{`} {
		d, err := answer(200, http.Header{}, body).DescribeKey(ctx, &huawei.KeyRequest{KeyID: "k"})
		if d != nil || !errors.Is(err, huawei.ErrMalformedResponse) {
			t.Errorf("200 %q: %v, %v", body, d, err)
		}
	}
	if err := answer(200, http.Header{}, "").ImportKeyMaterial(ctx, &huawei.ImportKeyMaterialRequest{}); err != nil {
		t.Errorf("import-key-material with an empty 200: %v", err)
	}
	d, err := answer(200, http.Header{}, `{"data_key":"00ff","datakey_length":"2","datakey_dgst":"aa","later":1}`).
		DecryptDatakey(ctx, &huawei.DecryptDatakeyRequest{})
	if err != nil || d.DataKey.Reveal() != "00ff" {
		t.Errorf("a field the client does not know: %v", err)
	}
}
