package huawei

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/qtenclave/qtenclave/internal/httpsig"
	"github.com/qtenclave/qtenclave/internal/kwp"
)

// Client calls a KMS's Huawei REST API: package kms's Server, or Huawei
// Cloud KMS itself. It authenticates with Token when set, otherwise with an
// SDK-HMAC-SHA256 signature made from AccessKey and SecretKey.
type Client struct {
	Endpoint  string // scheme and host, e.g. "http://127.0.0.1:8443"
	ProjectID string // 32 characters

	Token     Secret
	AccessKey string
	SecretKey Secret

	HTTPClient *http.Client // nil: http.DefaultClient
}

// APIError is an error answer of the KMS: any status but 200. Code,
// Message and RequestID come from the answer, cut to a bounded length
// without control characters; they are empty when the answer has none.
type APIError struct {
	StatusCode int
	Code       string // e.g. "KMS.0205"
	Message    string
	RequestID  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("kms: %d %s: %s", e.StatusCode, e.Code, e.Message)
}

// ErrMalformedResponse is the error of a 200 answer whose body is not the
// operation's JSON object. The error says where the body went wrong, never
// what it holds.
var ErrMalformedResponse = errors.New("kms: malformed response")

// Limits of a response.
const (
	// maxResponseBytes bounds a response body; the largest is a list of
	// 1000 keys.
	maxResponseBytes = 4 << 20
	// maxErrorCode and maxErrorText bound the fields of an APIError, which
	// end up in logs: codes are like "KMS.0205", messages a sentence.
	maxErrorCode = 64
	maxErrorText = 512
)

func call[Resp any](ctx context.Context, c *Client, op string, req any) (*Resp, error) {
	return callREST[Resp](ctx, c, http.MethodPost, op, req)
}

// callREST calls the operation at path (below /v1.0/{project_id}/kms/,
// escaped, with its query) with method; req is the JSON body, nil for
// none.
func callREST[Resp any](ctx context.Context, c *Client, method, path string, req any) (*Resp, error) {
	op := path
	var body []byte
	if req != nil {
		var err error
		if body, err = json.Marshal(req); err != nil {
			return nil, fmt.Errorf("kms: encode %s request: %w", op, err)
		}
	}
	u, err := url.Parse(strings.TrimSuffix(c.Endpoint, "/") + "/v1.0/" + url.PathEscape(c.ProjectID) + "/kms/" + path)
	if err != nil {
		return nil, fmt.Errorf("kms: endpoint: %w", err)
	}
	hr, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	hr.Header.Set("Content-Type", "application/json;charset=UTF-8")
	hr.Header.Set("X-Project-Id", c.ProjectID)
	switch {
	case !c.Token.IsZero():
		hr.Header.Set("X-Auth-Token", c.Token.Reveal())
	case c.AccessKey != "":
		httpsig.SignSDK(hr, body, c.AccessKey, c.SecretKey.Reveal(), []string{"host", "x-project-id", "x-sdk-date"}, time.Now())
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("kms: %s: %w", op, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("kms: %s: read response: %w", op, err)
	}
	if len(rb) > maxResponseBytes {
		return nil, fmt.Errorf("kms: %s: response is larger than %d bytes", op, maxResponseBytes)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(resp.StatusCode, resp.Header, rb)
	}
	out := new(Resp)
	if err := decodeResponse(rb, out); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformedResponse, op, err)
	}
	return out, nil
}

// decodeResponse decodes a 200 answer: one JSON object (nothing before or
// after it) whose fields of out's names have out's types. Fields that out
// does not have are ignored: the service may add some. An operation whose
// answer has no fields (import-key-material) accepts an empty body too. The
// error names a field or an offset, never content.
func decodeResponse(body []byte, out any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 && reflect.TypeOf(out).Elem().Kind() == reflect.Struct && reflect.TypeOf(out).Elem().NumField() == 0 {
		return nil
	}
	isList := reflect.TypeOf(out).Elem().Kind() == reflect.Slice // list-aliases answers an array
	if len(trimmed) == 0 || (trimmed[0] != '{' && !(isList && trimmed[0] == '[')) {
		return errors.New("the body is not a JSON object")
	}
	err := json.Unmarshal(body, out)
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te):
		return fmt.Errorf("field %.64q has the wrong JSON type", te.Field)
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d", se.Offset)
	default:
		return errors.New("invalid JSON")
	}
}

// apiError reads either error shape that Huawei's services answer with: the
// KMS's {"error": {"error_code": .., "error_msg": ..}} and the API
// gateway's flat {"error_code": .., "error_msg": .., "request_id": ..}
// (https://support.huaweicloud.com/intl/en-us/apig_faq/apig-faq-0003.html).
// A body in neither shape, JSON or not, leaves the code and message empty.
func apiError(status int, header http.Header, body []byte) *APIError {
	var e struct {
		Error *struct {
			Code string `json:"error_code"`
			Msg  string `json:"error_msg"`
		} `json:"error"`
		Code      string `json:"error_code"`
		Msg       string `json:"error_msg"`
		RequestID string `json:"request_id"`
	}
	if json.Unmarshal(body, &e) != nil {
		e.Error, e.Code, e.Msg, e.RequestID = nil, "", "", ""
	}
	if e.Error != nil {
		e.Code, e.Msg = e.Error.Code, e.Error.Msg
	}
	rid := header.Get("X-Request-Id")
	if rid == "" {
		rid = e.RequestID
	}
	return &APIError{StatusCode: status, Code: cleanText(e.Code, maxErrorCode),
		Message: cleanText(e.Msg, maxErrorText), RequestID: cleanText(rid, maxErrorCode)}
}

// cleanText returns s without control characters or invalid UTF-8, cut to
// at most max bytes on a character boundary: an error message from the
// network goes into logs.
func cleanText(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > max {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CreateKey calls create-key.
func (c *Client) CreateKey(ctx context.Context, req *CreateKeyRequest) (*CreateKeyResponse, error) {
	return call[CreateKeyResponse](ctx, c, "create-key", req)
}

// DescribeKey calls describe-key.
func (c *Client) DescribeKey(ctx context.Context, req *KeyRequest) (*DescribeKeyResponse, error) {
	return call[DescribeKeyResponse](ctx, c, "describe-key", req)
}

// ListKeys calls list-keys.
func (c *Client) ListKeys(ctx context.Context, req *ListKeysRequest) (*ListKeysResponse, error) {
	return call[ListKeysResponse](ctx, c, "list-keys", req)
}

// GetPublicKey calls get-publickey.
func (c *Client) GetPublicKey(ctx context.Context, req *KeyRequest) (*GetPublicKeyResponse, error) {
	return call[GetPublicKeyResponse](ctx, c, "get-publickey", req)
}

// DeriveSharedSecret calls derive-shared-secret.
func (c *Client) DeriveSharedSecret(ctx context.Context, req *DeriveSharedSecretRequest) (*DeriveSharedSecretResponse, error) {
	return call[DeriveSharedSecretResponse](ctx, c, "derive-shared-secret", req)
}

// CreateECDataKeyPair calls create-ec-datakey-pair.
func (c *Client) CreateECDataKeyPair(ctx context.Context, req *DataKeyPairRequest) (*DataKeyPairResponse, error) {
	return call[DataKeyPairResponse](ctx, c, "create-ec-datakey-pair", req)
}

// CreateRSADataKeyPair calls create-rsa-datakey-pair.
func (c *Client) CreateRSADataKeyPair(ctx context.Context, req *DataKeyPairRequest) (*DataKeyPairResponse, error) {
	return call[DataKeyPairResponse](ctx, c, "create-rsa-datakey-pair", req)
}

// EncryptDatakey calls encrypt-datakey.
func (c *Client) EncryptDatakey(ctx context.Context, req *EncryptDatakeyRequest) (*EncryptDatakeyResponse, error) {
	return call[EncryptDatakeyResponse](ctx, c, "encrypt-datakey", req)
}

// DecryptDatakey calls decrypt-datakey.
func (c *Client) DecryptDatakey(ctx context.Context, req *DecryptDatakeyRequest) (*DecryptDatakeyResponse, error) {
	return call[DecryptDatakeyResponse](ctx, c, "decrypt-datakey", req)
}

// GetParametersForImport calls get-parameters-for-import.
func (c *Client) GetParametersForImport(ctx context.Context, req *GetParametersForImportRequest) (*GetParametersForImportResponse, error) {
	return call[GetParametersForImportResponse](ctx, c, "get-parameters-for-import", req)
}

// ImportKeyMaterial calls import-key-material.
func (c *Client) ImportKeyMaterial(ctx context.Context, req *ImportKeyMaterialRequest) error {
	_, err := call[struct{}](ctx, c, "import-key-material", req)
	return err
}

// WrapKeyMaterial builds an import-key-material request from the parameters
// of get-parameters-for-import and the key to import: the raw key of an
// AES_256 (32 bytes) or SM4 (16 bytes) key, or the PKCS#8 DER private key of
// an asymmetric key (any other length). A symmetric key is encrypted with RSAES-OAEP-SHA256
// under the wrapping key; a private key is wrapped (RFC 5649) under a fresh
// AES-256 intermediate key, which is itself encrypted with RSAES-OAEP.
func WrapKeyMaterial(params *GetParametersForImportResponse, key []byte) (*ImportKeyMaterialRequest, error) {
	der, err := base64.StdEncoding.DecodeString(params.PublicKey)
	if err != nil {
		return nil, errors.New("kms: wrapping public key is not base64")
	}
	pk, err := x509.ParsePKIXPublicKey(der)
	wk, ok := pk.(*rsa.PublicKey)
	if err != nil || !ok {
		return nil, errors.New("kms: wrapping public key is not an RSA SubjectPublicKeyInfo")
	}
	req := &ImportKeyMaterialRequest{KeyID: params.KeyID, ImportToken: params.ImportToken}
	material := key
	if len(key) != 16 && len(key) != 32 {
		kek := make([]byte, 32)
		rand.Read(kek)
		defer clear(kek)
		wrapped, err := kwp.Wrap(kek, key)
		if err != nil {
			return nil, err
		}
		req.EncryptedPrivatekey = base64.StdEncoding.EncodeToString(wrapped)
		material = kek
	}
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, wk, material, nil)
	if err != nil {
		return nil, fmt.Errorf("kms: encrypt key material: %w", err)
	}
	req.EncryptedKeyMaterial = base64.StdEncoding.EncodeToString(ct)
	return req, nil
}
