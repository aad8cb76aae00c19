package kms

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/kms/internal/core"
)

const (
	testProject = "0123456789abcdef0123456789abcdef"
	testToken   = "test-token-0123456789"
	testAK      = "TESTAK0123456789"
	testSK      = "test-secret-key-0123456789abcdef"
)

// testKMS is a server in memory behind httptest, with a token client and
// an AK/SK client.
type testKMS struct {
	srv    *Server
	url    string
	client *huawei.Client // X-Auth-Token
	signed *huawei.Client // SDK-HMAC-SHA256
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newTestKMS(t testing.TB, opts Options) *testKMS {
	t.Helper()
	logs := new(syncBuffer)
	opts.Token, opts.AccessKey, opts.SecretKey = testToken, testAK, testSK
	opts.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	srv, err := NewServer(opts)
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return &testKMS{
		srv:    srv,
		url:    hs.URL,
		client: &huawei.Client{Endpoint: hs.URL, ProjectID: testProject, Token: huawei.NewSecret(testToken), HTTPClient: hs.Client()},
		signed: &huawei.Client{Endpoint: hs.URL, ProjectID: testProject, AccessKey: testAK, SecretKey: huawei.NewSecret(testSK), HTTPClient: hs.Client()},
		logs:   logs,
	}
}

// post sends a raw body to op with the token and returns status and body.
func (k *testKMS) post(t testing.TB, op, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, k.url+"/v1.0/"+testProject+"/kms/"+op, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	req.Header.Set("X-Auth-Token", testToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func (k *testKMS) createKey(t testing.TB, spec, usage, origin string) string {
	t.Helper()
	resp, err := k.client.CreateKey(context.Background(), &huawei.CreateKeyRequest{KeyAlias: "test-" + spec, KeySpec: spec, KeyUsage: usage, Origin: origin})
	require.NoError(t, err)
	require.Regexp(t, keyIDRegexp, resp.KeyInfo.KeyID)
	return resp.KeyInfo.KeyID
}

// keyCount returns the number of keys of every spec.
func (k *testKMS) keyCount(t testing.TB) int {
	t.Helper()
	resp, err := k.client.ListKeys(context.Background(), &huawei.ListKeysRequest{KeySpec: "ALL"})
	require.NoError(t, err)
	return resp.Total
}

func readTestKey(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	blk, _ := pem.Decode(b)
	require.NotNil(t, blk, name)
	return blk.Bytes
}

func dekPlainText(spec string, dek []byte) string {
	var d []byte
	if spec == "SM4" {
		h := sm3.Sum(dek)
		d = h[:]
	} else {
		h := sha256.Sum256(dek)
		d = h[:]
	}
	return hex.EncodeToString(append(append([]byte{}, dek...), d...))
}

func TestCreateDescribeListSymmetric(t *testing.T) {
	k := newTestKMS(t, Options{})
	ctx := context.Background()
	for _, spec := range []string{"AES_256", "SM4"} {
		id := k.createKey(t, spec, "", "")
		d, err := k.client.DescribeKey(ctx, &huawei.KeyRequest{KeyID: id})
		require.NoError(t, err)
		require.Equal(t, spec, d.KeyInfo.KeySpec)
		require.Equal(t, "ENCRYPT_DECRYPT", d.KeyInfo.KeyUsage)
		require.Equal(t, "2", d.KeyInfo.KeyState)
		require.Equal(t, "kms", d.KeyInfo.Origin)
	}
	l, err := k.client.ListKeys(ctx, &huawei.ListKeysRequest{})
	require.NoError(t, err)
	require.Equal(t, 1, l.Total, "list-keys defaults to AES_256")
	l, err = k.client.ListKeys(ctx, &huawei.ListKeysRequest{KeySpec: "ALL", Limit: "1"})
	require.NoError(t, err)
	require.Equal(t, 2, l.Total)
	require.Len(t, l.Keys, 1)
	require.Equal(t, "true", l.Truncated)
	l2, err := k.client.ListKeys(ctx, &huawei.ListKeysRequest{KeySpec: "ALL", Limit: "1", Marker: l.NextMarker})
	require.NoError(t, err)
	require.Len(t, l2.Keys, 1)
	require.Equal(t, "false", l2.Truncated)
	require.NotEqual(t, l.Keys[0], l2.Keys[0])
}

func TestDatakeyRoundTrip(t *testing.T) {
	k := newTestKMS(t, Options{})
	ctx := context.Background()
	for _, spec := range []string{"AES_256", "SM4"} {
		id := k.createKey(t, spec, "", "")
		for _, n := range []int{1, 32, 64, 1024} {
			dek := bytes.Repeat([]byte{byte(n)}, n)
			enc, err := k.signed.EncryptDatakey(ctx, &huawei.EncryptDatakeyRequest{
				KeyID: id, PlainText: huawei.NewSecret(dekPlainText(spec, dek)), DatakeyPlainLength: itoa(n),
				AdditionalAuthenticatedData: "123aad",
			})
			require.NoError(t, err, "%s/%d", spec, n)
			require.Equal(t, itoa(n), enc.DatakeyLength)
			dec, err := k.signed.DecryptDatakey(ctx, &huawei.DecryptDatakeyRequest{
				KeyID: id, CipherText: enc.CipherText, DatakeyCipherLength: itoa(n),
				AdditionalAuthenticatedData: "123aad",
			})
			require.NoError(t, err)
			require.Equal(t, hex.EncodeToString(dek), dec.DataKey.Reveal())
			require.Equal(t, dekPlainText(spec, dek)[2*n:], dec.DatakeyDgst.Reveal())
			// The AAD is bound to the ciphertext.
			_, err = k.client.DecryptDatakey(ctx, &huawei.DecryptDatakeyRequest{
				KeyID: id, CipherText: enc.CipherText, DatakeyCipherLength: itoa(n),
				AdditionalAuthenticatedData: "other",
			})
			requireAPIError(t, err, 400, "KMS.0706")
		}
	}
}

func TestRSADataKeyPair(t *testing.T) {
	k := newTestKMS(t, Options{})
	ctx := context.Background()
	cmk := k.createKey(t, "AES_256", "", "")
	for _, spec := range []string{"RSA_2048", "RSA_3072", "RSA_4096"} {
		resp, err := k.client.CreateRSADataKeyPair(ctx, &huawei.DataKeyPairRequest{KeyID: cmk, KeySpec: spec, AdditionalAuthenticatedData: "aad"})
		require.NoError(t, err, spec)
		require.Equal(t, spec, resp.KeySpec)
		require.NotEmpty(t, resp.PrivateKeyPlainText.Reveal(), "with_plain_text defaults to true")
		require.Empty(t, resp.WrappedPrivateKey)
		require.Empty(t, resp.CiphertextRecipient)
		priv := mustB64(t, resp.PrivateKeyPlainText.Reveal())
		require.Equal(t, resp.PublicKey, base64.StdEncoding.EncodeToString(rsaPublicOf(t, priv)))
		// private_key_cipher_text opens under the CMK with the AAD.
		require.Equal(t, priv, k.decrypt(t, cmk, mustB64(t, resp.PrivateKeyCipherText), []byte("aad")))
	}
	f := false
	resp, err := k.client.CreateRSADataKeyPair(ctx, &huawei.DataKeyPairRequest{KeyID: cmk, KeySpec: "RSA_2048", WithPlainText: &f})
	require.NoError(t, err)
	require.Empty(t, resp.PrivateKeyPlainText.Reveal())
	require.NotEmpty(t, resp.PrivateKeyCipherText)
}

func TestCreateKeyRSAAndPublicKey(t *testing.T) {
	k := newTestKMS(t, Options{})
	ctx := context.Background()
	for _, spec := range []string{"RSA_2048", "RSA_3072", "RSA_4096"} {
		id := k.createKey(t, spec, "", "")
		d, err := k.client.DescribeKey(ctx, &huawei.KeyRequest{KeyID: id})
		require.NoError(t, err)
		require.Equal(t, "SIGN_VERIFY", d.KeyInfo.KeyUsage, "asymmetric keys default to SIGN_VERIFY")
		p, err := k.client.GetPublicKey(ctx, &huawei.KeyRequest{KeyID: id})
		require.NoError(t, err)
		require.NotEmpty(t, mustB64(t, p.PublicKey))
	}
}

func TestImportKeyMaterial(t *testing.T) {
	k := newTestKMS(t, Options{})
	ctx := context.Background()
	cases := []struct {
		spec string
		key  []byte
	}{
		{"AES_256", bytes.Repeat([]byte{0xa5}, 32)},
		{"SM4", bytes.Repeat([]byte{0x5a}, 16)},
		{"RSA_2048", readTestKey(t, "test_rsa2048_key.pem")},
	}
	for _, tc := range cases {
		id := k.createKey(t, tc.spec, "", "external")
		d, err := k.client.DescribeKey(ctx, &huawei.KeyRequest{KeyID: id})
		require.NoError(t, err)
		require.Equal(t, "5", d.KeyInfo.KeyState)
		require.Equal(t, "external", d.KeyInfo.Origin)
		params, err := k.client.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{KeyID: id, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
		require.NoError(t, err)
		require.Regexp(t, `^[0-9a-zA-Z+/=]+$`, params.ImportToken)
		require.True(t, len(params.ImportToken) >= 200 && len(params.ImportToken) <= 6144, "import_token is 200 to 6144 characters")
		req, err := huawei.WrapKeyMaterial(params, tc.key)
		require.NoError(t, err)
		require.Regexp(t, `^[0-9a-zA-Z+/=]{344,360}$`, req.EncryptedKeyMaterial)
		exp := params.ExpirationTime + 3600
		req.ExpirationTime = &exp
		require.NoError(t, k.client.ImportKeyMaterial(ctx, req))
		d, err = k.client.DescribeKey(ctx, &huawei.KeyRequest{KeyID: id})
		require.NoError(t, err)
		require.Equal(t, "2", d.KeyInfo.KeyState)
		// A second import is refused: the key no longer waits for material.
		err = k.client.ImportKeyMaterial(ctx, req)
		requireAPIError(t, err, 400, "KMS.0310")
		if tc.spec == "RSA_2048" {
			p, err := k.client.GetPublicKey(ctx, &huawei.KeyRequest{KeyID: id})
			require.NoError(t, err)
			require.Equal(t, base64.StdEncoding.EncodeToString(rsaPublicOf(t, tc.key)), p.PublicKey)
			continue
		}
		// The imported key is the one the server uses: a DEK encrypted
		// under it decrypts with the imported bytes.
		dek := bytes.Repeat([]byte{1}, 32)
		enc, err := k.client.EncryptDatakey(ctx, &huawei.EncryptDatakeyRequest{KeyID: id, PlainText: huawei.NewSecret(dekPlainText(tc.spec, dek)), DatakeyPlainLength: "32"})
		require.NoError(t, err)
		blob, _ := hex.DecodeString(enc.CipherText)
		require.Equal(t, dek, openTestBlob(t, tc.spec, tc.key, blob, nil))
	}
}

// keyIDRegexp is the key ID format of the seed pages.
var keyIDRegexp = regexp.MustCompile(`^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$`)

// testCaller is the caller that tests use when they call the core directly.
var testCaller = core.Caller{API: "test", Credential: core.CredentialToken}

// decrypt opens a CMK ciphertext with the server's core and returns the
// plaintext.
func (k *testKMS) decrypt(t testing.TB, keyID string, blob, aad []byte) []byte {
	t.Helper()
	out, err := k.srv.core.Decrypt(context.Background(), testCaller, keyID, blob, aad, nil)
	require.NoError(t, err)
	return out.Plaintext
}

// rsaPublicOf returns the DER SubjectPublicKeyInfo of a PKCS#8 RSA private key.
func rsaPublicOf(t testing.TB, pkcs8 []byte) []byte {
	t.Helper()
	k, err := x509.ParsePKCS8PrivateKey(pkcs8)
	require.NoError(t, err)
	rk, ok := k.(*rsa.PrivateKey)
	require.True(t, ok, "not an RSA key")
	spki, err := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	require.NoError(t, err)
	return spki
}

// openTestBlob opens a CMK ciphertext independently of the server, from its
// documented layout: version (1) || key ID (36) || nonce (12) || GCM
// output, with the 37-byte header and aad as additional data; AES-256-GCM,
// or SM4-GCM for an SM4 key.
func openTestBlob(t testing.TB, spec string, key, blob, aad []byte) []byte {
	t.Helper()
	var block cipher.Block
	var err error
	if spec == "SM4" {
		block, err = sm4.NewCipher(key)
	} else {
		block, err = aes.NewCipher(key)
	}
	require.NoError(t, err)
	gcm, err := cipher.NewGCM(block)
	require.NoError(t, err)
	require.Greater(t, len(blob), 1+36+12)
	pt, err := gcm.Open(nil, blob[37:49], blob[49:], append(blob[:37:37], aad...))
	require.NoError(t, err)
	return pt
}

func requireAPIError(t testing.TB, err error, status int, code string) {
	t.Helper()
	var ae *huawei.APIError
	require.True(t, errors.As(err, &ae), "want *APIError, got %v", err)
	require.Equal(t, status, ae.StatusCode, ae.Message)
	require.Equal(t, code, ae.Code, ae.Message)
	require.NotEmpty(t, ae.RequestID)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestImportedMaterialExpires checks expiration_time (seconds, as seed 004
// takes it and describe-key gives it back): the key works until then, is
// pending import after (state 5, KMS.0708), and takes material again.
func TestImportedMaterialExpires(t *testing.T) {
	k := newTestKMS(t, Options{})
	ctx := context.Background()
	id := k.createKey(t, "AES_256", "", "external")
	params, err := k.client.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{KeyID: id, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
	require.NoError(t, err)
	req, err := huawei.WrapKeyMaterial(params, make([]byte, 32))
	require.NoError(t, err)
	exp := time.Now().Unix() + 2
	req.ExpirationTime = &exp
	require.NoError(t, k.client.ImportKeyMaterial(ctx, req))
	enc := &huawei.EncryptDatakeyRequest{KeyID: id, PlainText: huawei.NewSecret(dekPlainText("AES_256", make([]byte, 16))), DatakeyPlainLength: "16"}
	_, err = k.client.EncryptDatakey(ctx, enc)
	require.NoError(t, err)
	d, err := k.client.DescribeKey(ctx, &huawei.KeyRequest{KeyID: id})
	require.NoError(t, err)
	require.Equal(t, strconv.FormatInt(exp, 10), d.KeyInfo.ExpirationTime)
	time.Sleep(time.Until(time.Unix(exp, 0)) + 50*time.Millisecond)
	_, err = k.client.EncryptDatakey(ctx, enc)
	requireAPIError(t, err, 400, "KMS.0708")
	d, err = k.client.DescribeKey(ctx, &huawei.KeyRequest{KeyID: id})
	require.NoError(t, err)
	require.Equal(t, "5", d.KeyInfo.KeyState)
	require.Empty(t, d.KeyInfo.ExpirationTime)

	params, err = k.client.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{KeyID: id, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
	require.NoError(t, err)
	req, err = huawei.WrapKeyMaterial(params, make([]byte, 32))
	require.NoError(t, err)
	require.NoError(t, k.client.ImportKeyMaterial(ctx, req))
	_, err = k.client.EncryptDatakey(ctx, enc)
	require.NoError(t, err)
}

// TestStoreAtRest checks that key material is not in the database file in
// plaintext, that keys survive a restart, and that a database whose master
// key is gone is refused rather than silently re-keyed.
func TestStoreAtRest(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	material := bytes.Repeat([]byte("0123456789abcdef"), 2) // a recognizable AES-256 key
	k := newTestKMS(t, Options{DataDir: dir})
	id := k.createKey(t, "AES_256", "", "external")
	params, err := k.client.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{KeyID: id, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
	require.NoError(t, err)
	req, err := huawei.WrapKeyMaterial(params, material)
	require.NoError(t, err)
	require.NoError(t, k.client.ImportKeyMaterial(ctx, req))
	require.NoError(t, k.srv.Close())

	db, err := os.ReadFile(filepath.Join(dir, "keys.db"))
	require.NoError(t, err)
	require.False(t, bytes.Contains(db, material), "key material is stored in plaintext")
	require.False(t, bytes.Contains(db, []byte(base64.StdEncoding.EncodeToString(material))))
	info, err := os.Stat(filepath.Join(dir, "master.key"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	srv, err := NewServer(Options{DataDir: dir, Token: testToken})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	c := &huawei.Client{Endpoint: hs.URL, ProjectID: testProject, Token: huawei.NewSecret(testToken), HTTPClient: hs.Client()}
	dek := []byte("0123456789abcdef")
	enc, err := c.EncryptDatakey(ctx, &huawei.EncryptDatakeyRequest{KeyID: id, PlainText: huawei.NewSecret(dekPlainText("AES_256", dek)), DatakeyPlainLength: "16"})
	require.NoError(t, err)
	blob, err := hex.DecodeString(enc.CipherText)
	require.NoError(t, err)
	require.Equal(t, dek, openTestBlob(t, "AES_256", material, blob, nil), "the restarted server uses the imported material")
	hs.Close()
	require.NoError(t, srv.Close())

	require.NoError(t, os.Remove(filepath.Join(dir, "master.key")))
	_, err = NewServer(Options{DataDir: dir, Token: testToken})
	require.Error(t, err)
	_, err = os.Stat(filepath.Join(dir, "master.key"))
	require.True(t, os.IsNotExist(err), "no new master key was made")
}

// panicking is a front end whose operations panic with value p.
type panicking struct {
	frontEnd
	p any
}

func (f panicking) Serve(http.ResponseWriter, *http.Request, []byte, core.Caller) (string, error) {
	panic(f.p)
}

// TestHandlerPanicIs500: a panicking handler (a bug) answers 500 with the
// error JSON and KMS.0105 rather than dropping the connection, and the log
// names the panic's kind without its value.
func TestHandlerPanicIs500(t *testing.T) {
	const secretish = "value-that-must-not-be-logged"
	k := newTestKMS(t, Options{})
	k.srv.huawei = panicking{k.srv.huawei, errors.New(secretish)}
	status, body := k.post(t, "describe-key", `{}`)
	require.Equal(t, http.StatusInternalServerError, status, "%s", body)
	var e struct {
		Error struct {
			Code string `json:"error_code"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(body, &e), "%s", body)
	require.Equal(t, "KMS.0105", e.Error.Code)
	require.NotContains(t, string(body), secretish)
	require.NotContains(t, k.logs.String(), secretish)
	require.Contains(t, k.logs.String(), `"status":500`)
	require.Contains(t, k.logs.String(), `"op":"describe-key"`)
}
