package kms

import (
	"cmp"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/internal/httpsig"
	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/kms/internal/core"
	"github.com/qtenclave/qtenclave/recipient"
)

// awsTestRegion is the region the tests sign for; the server takes any.
const awsTestRegion = "cn-north-4"

const (
	awsContentType  = "application/x-amz-json-1.1"
	awsAccountID    = "000000000000" // the account of every key of the server
	awsMaxPlaintext = 4096
)

// signAWSTest signs r as the AWS SDK does, over host, content-type,
// x-amz-date, x-amz-target and body, with the test access key pair at now.
// It uses the verifier's own canonical form: the verifier itself is checked
// against published vectors (sigv4_test.go) and the AWS SDK's signer
// (interop module).
func signAWSTest(r *http.Request, body []byte, ak, sk string, now time.Time) {
	signed := []string{"host", "x-amz-date"}
	for name := range r.Header {
		if l := strings.ToLower(name); l == "content-type" || l == "x-amz-target" {
			signed = append(signed, l)
		}
	}
	slices.Sort(signed)
	if err := httpsig.SignSigV4(r, body, ak, sk, awsTestRegion, "kms", signed, now); err != nil {
		panic(err)
	}
}

// awsRequest is a raw AWS front-end request; zero fields take the defaults
// of the AWS SDK (POST /, x-amz-json-1.1, signed now with the test key).
type awsRequest struct {
	target      string // operation name, or a full X-Amz-Target when it has a dot
	body        string
	contentType string
	method      string
	sign        func(r *http.Request, body []byte) // replaces the default signature
}

// awsDo sends req and returns the status and the decoded JSON answer.
func (k *testKMS) awsDo(t testing.TB, req awsRequest) (int, map[string]any) {
	t.Helper()
	method := cmp.Or(req.method, http.MethodPost)
	r, err := http.NewRequest(method, k.url+"/", strings.NewReader(req.body))
	require.NoError(t, err)
	target := req.target
	if !strings.Contains(target, ".") {
		target = "TrentService." + target
	}
	r.Header.Set("X-Amz-Target", target)
	r.Header.Set("Content-Type", cmp.Or(req.contentType, awsContentType))
	if req.sign != nil {
		req.sign(r, []byte(req.body))
	} else {
		signAWSTest(r, []byte(req.body), testAK, testSK, time.Now())
	}
	resp, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, awsContentType, resp.Header.Get("Content-Type"))
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out), "body %s", b)
	return resp.StatusCode, out
}

// aws calls op with v as its JSON body and requires a 200.
func (k *testKMS) aws(t testing.TB, op string, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	status, out := k.awsDo(t, awsRequest{target: op, body: string(b)})
	require.Equal(t, http.StatusOK, status, "%s: %v", op, out)
	return out
}

// awsFail calls op and requires the given status and __type.
func (k *testKMS) awsFail(t testing.TB, req awsRequest, status int, typ string) {
	t.Helper()
	got, out := k.awsDo(t, req)
	require.Equal(t, typ, out["__type"], "%v", out)
	require.Equal(t, status, got, "%v", out)
	require.NotEmpty(t, out["message"])
	require.Len(t, out, 2, "error body has only __type and message")
}

func (k *testKMS) awsCreateKey(t testing.TB, spec, usage string) (id, arn string) {
	t.Helper()
	out := k.aws(t, "CreateKey", map[string]any{"KeySpec": spec, "KeyUsage": usage})
	md := out["KeyMetadata"].(map[string]any)
	return md["KeyId"].(string), md["Arn"].(string)
}

func blob(t testing.TB, v any) []byte {
	t.Helper()
	s, ok := v.(string)
	require.True(t, ok, "%v is not a blob", v)
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestAWSCreateDescribeList(t *testing.T) {
	k := newTestKMS(t, Options{})

	out := k.aws(t, "CreateKey", map[string]any{"Description": "test key"})
	md := out["KeyMetadata"].(map[string]any)
	id := md["KeyId"].(string)
	require.Regexp(t, keyIDRegexp, id)
	require.Equal(t, "arn:aws:kms:us-east-1:"+awsAccountID+":key/"+id, md["Arn"], "AWS's ARN form, in the default region")
	require.Equal(t, awsAccountID, md["AWSAccountId"])
	require.Equal(t, "SYMMETRIC_DEFAULT", md["KeySpec"])
	require.Equal(t, "ENCRYPT_DECRYPT", md["KeyUsage"])
	require.Equal(t, "Enabled", md["KeyState"])
	require.Equal(t, true, md["Enabled"])
	require.Equal(t, "AWS_KMS", md["Origin"])
	require.Equal(t, "test key", md["Description"])
	require.Equal(t, []any{"SYMMETRIC_DEFAULT"}, md["EncryptionAlgorithms"])
	require.InDelta(t, float64(time.Now().Unix()), md["CreationDate"], 60)

	// DescribeKey by ID, by its ARN, by the seed's ARN and by an AWS-style
	// ARN of another region of the same account.
	for _, keyID := range []string{id, md["Arn"].(string), "arn:verenc:" + awsAccountID + ":key/" + id, "arn:aws:kms:" + awsTestRegion + ":" + awsAccountID + ":key/" + id} {
		got := k.aws(t, "DescribeKey", map[string]any{"KeyId": keyID})
		require.Equal(t, md, got["KeyMetadata"], keyID)
	}

	// The same key through the Huawei front end.
	hk, err := k.client.DescribeKey(t.Context(), &huawei.KeyRequest{KeyID: id})
	require.NoError(t, err)
	require.Equal(t, "AES_256", hk.KeyInfo.KeySpec)

	// An external key waits for its material.
	ext := k.aws(t, "CreateKey", map[string]any{"Origin": "EXTERNAL"})["KeyMetadata"].(map[string]any)
	require.Equal(t, "PendingImport", ext["KeyState"])
	require.Equal(t, false, ext["Enabled"])
	require.Equal(t, "EXTERNAL", ext["Origin"])

	// ListKeys pages through every key, the same ones as in one page.
	var want []string
	want = append(want, id, ext["KeyId"].(string))
	for range 3 {
		kid, _ := k.awsCreateKey(t, "", "")
		want = append(want, kid)
	}
	var got []string
	marker := ""
	for pages := 0; ; pages++ {
		req := map[string]any{"Limit": 2}
		if marker != "" {
			req["Marker"] = marker
		}
		page := k.aws(t, "ListKeys", req)
		for _, e := range page["Keys"].([]any) {
			e := e.(map[string]any)
			require.Equal(t, "arn:aws:kms:us-east-1:"+awsAccountID+":key/"+e["KeyId"].(string), e["KeyArn"])
			got = append(got, e["KeyId"].(string))
		}
		if page["Truncated"] != true {
			require.Nil(t, page["NextMarker"])
			require.Equal(t, 2, pages)
			break
		}
		marker = page["NextMarker"].(string)
	}
	require.ElementsMatch(t, want, got)
	var all []string
	for _, e := range k.aws(t, "ListKeys", map[string]any{})["Keys"].([]any) {
		all = append(all, e.(map[string]any)["KeyId"].(string))
	}
	require.Equal(t, all, got)

	// With SeedARNs, ARNs take seed 001's form; with an account, region and
	// principal, ARNs and metadata name them.
	seed := newTestKMS(t, Options{SeedARNs: true})
	md = seed.aws(t, "CreateKey", map[string]any{})["KeyMetadata"].(map[string]any)
	require.Equal(t, "arn:verenc:"+awsAccountID+":key/"+md["KeyId"].(string), md["Arn"])
	own := newTestKMS(t, Options{Principal: "arn:aws:iam::111122223333:role/data-processing", Region: "eu-west-1"})
	md = own.aws(t, "CreateKey", map[string]any{})["KeyMetadata"].(map[string]any)
	require.Equal(t, "arn:aws:kms:eu-west-1:111122223333:key/"+md["KeyId"].(string), md["Arn"])
	require.Equal(t, "111122223333", md["AWSAccountId"])
	own.awsFail(t, awsRequest{target: "DescribeKey", body: js(map[string]any{"KeyId": "arn:aws:kms:eu-west-1:" + awsAccountID + ":key/" + md["KeyId"].(string)})}, http.StatusBadRequest, "NotFoundException")
}

func TestAWSEncryptDecrypt(t *testing.T) {
	k := newTestKMS(t, Options{})
	id, arn := k.awsCreateKey(t, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
	pt := []byte("attack at dawn")
	ctx := map[string]string{"purpose": "test", "a": "b"}

	enc := k.aws(t, "Encrypt", map[string]any{"KeyId": arn, "Plaintext": b64(pt), "EncryptionContext": ctx})
	require.Equal(t, arn, enc["KeyId"])
	require.Equal(t, "SYMMETRIC_DEFAULT", enc["EncryptionAlgorithm"])
	ct := enc["CiphertextBlob"].(string)

	// Decrypt needs no KeyId: the ciphertext names its key.
	dec := k.aws(t, "Decrypt", map[string]any{"CiphertextBlob": ct, "EncryptionContext": ctx})
	require.Equal(t, pt, blob(t, dec["Plaintext"]))
	require.Equal(t, arn, dec["KeyId"])
	dec = k.aws(t, "Decrypt", map[string]any{"CiphertextBlob": ct, "EncryptionContext": ctx, "KeyId": id})
	require.Equal(t, pt, blob(t, dec["Plaintext"]))

	// The context is bound: none or another value fail alike.
	for _, c := range []map[string]string{nil, {"purpose": "test"}, {"purpose": "test", "a": "c"}} {
		body, _ := json.Marshal(map[string]any{"CiphertextBlob": ct, "EncryptionContext": c})
		k.awsFail(t, awsRequest{target: "Decrypt", body: string(body)}, http.StatusBadRequest, "InvalidCiphertextException")
	}
	// A KeyId that is not the ciphertext's key is IncorrectKeyException, as
	// AWS documents it for Decrypt.
	other, _ := k.awsCreateKey(t, "", "")
	body, _ := json.Marshal(map[string]any{"CiphertextBlob": ct, "EncryptionContext": ctx, "KeyId": other})
	k.awsFail(t, awsRequest{target: "Decrypt", body: string(body)}, http.StatusBadRequest, "IncorrectKeyException")

	// GenerateDataKey: the ciphertext decrypts to the plaintext it came with.
	for _, req := range []map[string]any{{"KeySpec": "AES_256"}, {"KeySpec": "AES_128"}, {"NumberOfBytes": 1}, {"NumberOfBytes": 1024}} {
		req["KeyId"] = id
		dk := k.aws(t, "GenerateDataKey", req)
		plain := blob(t, dk["Plaintext"])
		switch {
		case req["KeySpec"] == "AES_256":
			require.Len(t, plain, 32)
		case req["KeySpec"] == "AES_128":
			require.Len(t, plain, 16)
		default:
			require.Len(t, plain, req["NumberOfBytes"].(int))
		}
		require.Equal(t, arn, dk["KeyId"])
		require.Nil(t, dk["CiphertextForRecipient"])
		dec := k.aws(t, "Decrypt", map[string]any{"CiphertextBlob": dk["CiphertextBlob"]})
		require.Equal(t, plain, blob(t, dec["Plaintext"]))
	}

	// GenerateRandom.
	r1 := blob(t, k.aws(t, "GenerateRandom", map[string]any{"NumberOfBytes": 32})["Plaintext"])
	r2 := blob(t, k.aws(t, "GenerateRandom", map[string]any{"NumberOfBytes": 32})["Plaintext"])
	require.Len(t, r1, 32)
	require.NotEqual(t, r1, r2)
}

func TestAWSRSADataKeyPair(t *testing.T) {
	k := newTestKMS(t, Options{})
	id, arn := k.awsCreateKey(t, "", "")
	out := k.aws(t, "GenerateDataKeyPair", map[string]any{"KeyId": id, "KeyPairSpec": "RSA_2048", "EncryptionContext": map[string]string{"k": "v"}})
	require.Equal(t, arn, out["KeyId"])
	require.Equal(t, "RSA_2048", out["KeyPairSpec"])
	priv, err := x509.ParsePKCS8PrivateKey(blob(t, out["PrivateKeyPlaintext"]))
	require.NoError(t, err)
	pub, err := x509.ParsePKIXPublicKey(blob(t, out["PublicKey"]))
	require.NoError(t, err)
	require.True(t, pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(priv.(crypto.Signer).Public()))
	dec := k.aws(t, "Decrypt", map[string]any{"CiphertextBlob": out["PrivateKeyCiphertextBlob"], "EncryptionContext": map[string]string{"k": "v"}})
	require.Equal(t, blob(t, out["PrivateKeyPlaintext"]), blob(t, dec["Plaintext"]))
}

// awsPeers are the test peer keys of each AWS key agreement spec, from
// testdata.
var awsPeers = map[string]string{
	"ECC_NIST_P256":   "test_p256_key.pem",
	"ECC_NIST_P384":   "test_p384_key.pem",
	"ECC_NIST_P521":   "test_p521_key.pem",
	"ECC_SECG_P256K1": "test_secp256k1_key.pem",
	"SM2":             "test_sm2_key.pem",
}

func TestAWSDeriveSharedSecret(t *testing.T) {
	k := newTestKMS(t, Options{})
	for spec, file := range awsPeers {
		t.Run(spec, func(t *testing.T) {
			peer, err := keyspec.ParsePrivateKey(readTestKey(t, file))
			require.NoError(t, err)
			peerSPKI := peer.PublicKey().MarshalPKIX()
			// Seed 001's usage name and the AWS SDK's.
			for _, usage := range []string{"KEY_AGREEMENT", "DERIVE_SHARED_SECRET"} {
				var id, arn string
				if spec == "ECC_SECG_P256K1" {
					// AWS's secp256k1 keys only sign; Huawei's also agree
					// keys, and the AWS front end uses them.
					k.awsFail(t, awsRequest{target: "CreateKey", body: js(map[string]any{"KeySpec": spec, "KeyUsage": usage})}, http.StatusBadRequest, "ValidationException")
					if usage != "KEY_AGREEMENT" {
						continue
					}
					id = k.createKey(t, "SECP256K1", usage, "")
					arn = "arn:aws:kms:us-east-1:" + awsAccountID + ":key/" + id
				} else {
					id, arn = k.awsCreateKey(t, spec, usage)
				}
				md := k.aws(t, "DescribeKey", map[string]any{"KeyId": id})["KeyMetadata"].(map[string]any)
				require.Equal(t, usage, md["KeyUsage"], "the usage is reported by the name it was created with")
				require.Equal(t, spec, md["KeySpec"])
				require.Equal(t, []any{"ECDH"}, md["KeyAgreementAlgorithms"])

				pk := k.aws(t, "GetPublicKey", map[string]any{"KeyId": arn})
				require.Equal(t, arn, pk["KeyId"])
				require.Equal(t, spec, pk["KeySpec"])
				require.Equal(t, usage, pk["KeyUsage"])
				kmsPub, err := keyspec.ParsePublicKey(blob(t, pk["PublicKey"]))
				require.NoError(t, err)
				want, err := peer.ECDH(kmsPub)
				require.NoError(t, err)

				// The AWS SDK's shape.
				out := k.aws(t, "DeriveSharedSecret", map[string]any{"KeyId": arn, "KeyAgreementAlgorithm": "ECDH", "PublicKey": b64(peerSPKI)})
				require.Equal(t, want, blob(t, out["SharedSecret"]))
				require.Equal(t, arn, out["KeyId"])
				require.Equal(t, "ECDH", out["KeyAgreementAlgorithm"])
				require.Equal(t, "AWS_KMS", out["KeyOrigin"])
				require.Nil(t, out["CiphertextForRecipient"])

				// Seed 001's example request: KeyId and PublicKey only, and
				// its response: the ARN and the secret.
				status, seed := k.awsDo(t, awsRequest{target: "DeriveSharedSecret",
					body: fmt.Sprintf(`{ "KeyId": %q, "PublicKey": %q }`, id, b64(peerSPKI))})
				require.Equal(t, http.StatusOK, status, "%v", seed)
				require.Equal(t, arn, seed["KeyId"])
				require.Equal(t, want, blob(t, seed["SharedSecret"]))
			}
		})
	}
}

func TestAWSErrors(t *testing.T) {
	k := newTestKMS(t, Options{})
	sym, symARN := k.awsCreateKey(t, "", "")
	ec, _ := k.awsCreateKey(t, "ECC_NIST_P256", "KEY_AGREEMENT")
	ext := k.aws(t, "CreateKey", map[string]any{"Origin": "EXTERNAL"})["KeyMetadata"].(map[string]any)["KeyId"].(string)
	p384, err := x509.ParsePKCS8PrivateKey(readTestKey(t, "test_p384_key.pem"))
	require.NoError(t, err)
	p384SPKI, err := x509.MarshalPKIXPublicKey(p384.(crypto.Signer).Public())
	require.NoError(t, err)
	ct := k.aws(t, "Encrypt", map[string]any{"KeyId": sym, "Plaintext": b64([]byte("x"))})["CiphertextBlob"].(string)
	tampered := blob(t, ct)
	tampered[len(tampered)-1] ^= 1
	unknown := "0b0b0b0b-1111-4222-8333-444444444444"

	signWith := func(ak, sk string, at time.Time) func(*http.Request, []byte) {
		return func(r *http.Request, body []byte) { signAWSTest(r, body, ak, sk, at) }
	}
	const (
		bad  = http.StatusBadRequest
		auth = http.StatusUnauthorized
		deny = http.StatusForbidden
	)
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	for _, tc := range []struct {
		name   string
		req    awsRequest
		status int
		typ    string
	}{
		{"bad JSON", awsRequest{target: "DescribeKey", body: `{"KeyId":`}, bad, "SerializationException"},
		{"not an object", awsRequest{target: "DescribeKey", body: `["KeyId"]`}, bad, "SerializationException"},
		{"trailing data", awsRequest{target: "DescribeKey", body: js(map[string]any{"KeyId": sym}) + `{}`}, bad, "SerializationException"},
		{"unknown member", awsRequest{target: "DescribeKey", body: `{"KeyId":"` + sym + `","Policy":"x"}`}, bad, "SerializationException"},
		{"member twice", awsRequest{target: "DescribeKey", body: `{"KeyId":"` + sym + `","KeyId":"` + unknown + `"}`}, bad, "SerializationException"},
		{"member in another case", awsRequest{target: "DescribeKey", body: `{"keyid":"` + sym + `"}`}, bad, "SerializationException"},
		{"embedded member twice", awsRequest{target: "Encrypt", body: `{"KeyId":"` + sym + `","Plaintext":"aGk=","KeyId":"` + unknown + `"}`}, bad, "SerializationException"},
		{"embedded member unknown", awsRequest{target: "Encrypt", body: `{"KeyId":"` + sym + `","Plaintext":"aGk=","KeyID":"` + sym + `"}`}, bad, "SerializationException"},
		{"wrong member type", awsRequest{target: "GenerateRandom", body: `{"NumberOfBytes":"32"}`}, bad, "SerializationException"},
		{"unknown operation", awsRequest{target: "CreateCustomKeyStore", body: `{}`}, bad, "UnknownOperationException"},
		{"wrong service", awsRequest{target: "OtherService.DescribeKey", body: `{}`}, bad, "UnknownOperationException"},
		{"wrong content type", awsRequest{target: "DescribeKey", contentType: "application/json", body: js(map[string]any{"KeyId": sym})}, http.StatusUnsupportedMediaType, "UnsupportedMediaTypeException"},
		{"JSON 1.0 content type", awsRequest{target: "DescribeKey", contentType: "application/x-amz-json-1.0", body: js(map[string]any{"KeyId": sym})}, http.StatusUnsupportedMediaType, "UnsupportedMediaTypeException"},
		{"GET", awsRequest{target: "DescribeKey", method: http.MethodGet}, http.StatusMethodNotAllowed, "UnknownOperationException"},

		{"missing KeyId", awsRequest{target: "DescribeKey", body: `{}`}, bad, "ValidationException"},
		{"too many grant tokens, no KeyId", awsRequest{target: "Decrypt", body: js(map[string]any{"CiphertextBlob": "AAAA", "GrantTokens": make([]string, 11)})}, bad, "ValidationException"},
		{"unknown key", awsRequest{target: "DescribeKey", body: js(map[string]any{"KeyId": unknown})}, bad, "NotFoundException"},
		{"malformed key ID", awsRequest{target: "DescribeKey", body: js(map[string]any{"KeyId": "1234"})}, bad, "NotFoundException"},
		{"ARN of another account", awsRequest{target: "DescribeKey", body: js(map[string]any{"KeyId": strings.Replace(symARN, awsAccountID, "111122223333", 1)})}, bad, "NotFoundException"},
		{"ARN of another service", awsRequest{target: "DescribeKey", body: js(map[string]any{"KeyId": "arn:aws:s3:eu-west-0:" + awsAccountID + ":key/" + sym})}, bad, "NotFoundException"},
		{"no such alias", awsRequest{target: "DescribeKey", body: js(map[string]any{"KeyId": "alias/test"})}, bad, "NotFoundException"},

		{"bad key spec", awsRequest{target: "CreateKey", body: js(map[string]any{"KeySpec": "ECC_NIST_P999"})}, bad, "ValidationException"},
		{"Edwards key", awsRequest{target: "CreateKey", body: js(map[string]any{"KeySpec": "ECC_NIST_EDWARDS25519", "KeyUsage": "KEY_AGREEMENT"})}, bad, "UnsupportedOperationException"},
		{"usage not for spec", awsRequest{target: "CreateKey", body: js(map[string]any{"KeySpec": "ECC_NIST_P256"})}, bad, "ValidationException"},
		{"bad usage", awsRequest{target: "CreateKey", body: js(map[string]any{"KeyUsage": "WRAP"})}, bad, "ValidationException"},
		{"bad origin", awsRequest{target: "CreateKey", body: js(map[string]any{"Origin": "kms"})}, bad, "ValidationException"},
		{"multi-Region", awsRequest{target: "CreateKey", body: js(map[string]any{"MultiRegion": true})}, bad, "UnsupportedOperationException"},

		{"derive: wrong usage", awsRequest{target: "DeriveSharedSecret", body: js(map[string]any{"KeyId": sym, "KeyAgreementAlgorithm": "ECDH", "PublicKey": b64(p384SPKI)})}, bad, "InvalidKeyUsageException"},
		{"derive: other curve", awsRequest{target: "DeriveSharedSecret", body: js(map[string]any{"KeyId": ec, "KeyAgreementAlgorithm": "ECDH", "PublicKey": b64(p384SPKI)})}, bad, "InvalidPublicKeyException"},
		{"derive: not SPKI", awsRequest{target: "DeriveSharedSecret", body: js(map[string]any{"KeyId": ec, "PublicKey": b64([]byte("not a key"))})}, bad, "InvalidPublicKeyException"},
		{"derive: not base64", awsRequest{target: "DeriveSharedSecret", body: js(map[string]any{"KeyId": ec, "PublicKey": "!!"})}, bad, "ValidationException"},
		{"derive: missing public key", awsRequest{target: "DeriveSharedSecret", body: js(map[string]any{"KeyId": ec})}, bad, "ValidationException"},
		{"derive: other algorithm", awsRequest{target: "DeriveSharedSecret", body: js(map[string]any{"KeyId": ec, "KeyAgreementAlgorithm": "ECMQV", "PublicKey": b64(p384SPKI)})}, bad, "ValidationException"},
		{"derive: both recipient shapes", awsRequest{target: "DeriveSharedSecret", body: js(map[string]any{"KeyId": ec, "PublicKey": b64(p384SPKI), "RecipientInfo": b64([]byte{1}), "Recipient": map[string]any{"AttestationDocument": b64([]byte{1})}})}, bad, "ValidationException"},
		{"derive: pending import", awsRequest{target: "DeriveSharedSecret", body: js(map[string]any{"KeyId": ext, "PublicKey": b64(p384SPKI)})}, bad, "KMSInvalidStateException"},
		{"public key of a symmetric key", awsRequest{target: "GetPublicKey", body: js(map[string]any{"KeyId": sym})}, bad, "UnsupportedOperationException"},
		{"public key of a pending key", awsRequest{target: "GetPublicKey", body: js(map[string]any{"KeyId": ext})}, bad, "KMSInvalidStateException"},

		{"encrypt: wrong usage", awsRequest{target: "Encrypt", body: js(map[string]any{"KeyId": ec, "Plaintext": b64([]byte("x"))})}, bad, "InvalidKeyUsageException"},
		{"encrypt: too long", awsRequest{target: "Encrypt", body: js(map[string]any{"KeyId": sym, "Plaintext": b64(make([]byte, awsMaxPlaintext+1))})}, bad, "ValidationException"},
		{"encrypt: empty", awsRequest{target: "Encrypt", body: js(map[string]any{"KeyId": sym, "Plaintext": ""})}, bad, "ValidationException"},
		{"encrypt: RSA algorithm on a symmetric key", awsRequest{target: "Encrypt", body: js(map[string]any{"KeyId": sym, "Plaintext": b64([]byte("x")), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"})}, bad, "InvalidKeyUsageException"},
		{"decrypt: tampered", awsRequest{target: "Decrypt", body: js(map[string]any{"CiphertextBlob": b64(tampered)})}, bad, "InvalidCiphertextException"},
		{"decrypt: garbage", awsRequest{target: "Decrypt", body: js(map[string]any{"CiphertextBlob": b64([]byte("garbage"))})}, bad, "InvalidCiphertextException"},
		{"data key: both sizes", awsRequest{target: "GenerateDataKey", body: js(map[string]any{"KeyId": sym, "KeySpec": "AES_256", "NumberOfBytes": 32})}, bad, "ValidationException"},
		{"data key: no size", awsRequest{target: "GenerateDataKey", body: js(map[string]any{"KeyId": sym})}, bad, "ValidationException"},
		{"data key: too long", awsRequest{target: "GenerateDataKey", body: js(map[string]any{"KeyId": sym, "NumberOfBytes": 1025})}, bad, "ValidationException"},
		{"data key pair: bad spec", awsRequest{target: "GenerateDataKeyPair", body: js(map[string]any{"KeyId": sym, "KeyPairSpec": "RSA_1024"})}, bad, "ValidationException"},
		{"data key pair: asymmetric CMK", awsRequest{target: "GenerateDataKeyPair", body: js(map[string]any{"KeyId": ec, "KeyPairSpec": "RSA_2048"})}, bad, "InvalidKeyUsageException"},
		{"random: zero", awsRequest{target: "GenerateRandom", body: js(map[string]any{"NumberOfBytes": 0})}, bad, "ValidationException"},
		{"random: too many", awsRequest{target: "GenerateRandom", body: js(map[string]any{"NumberOfBytes": 1025})}, bad, "ValidationException"},
		{"list: bad limit", awsRequest{target: "ListKeys", body: js(map[string]any{"Limit": 0})}, bad, "ValidationException"},
		{"list: bad marker", awsRequest{target: "ListKeys", body: js(map[string]any{"Marker": "nope"})}, bad, "InvalidMarkerException"},
		{"too many grant tokens", awsRequest{target: "DescribeKey", body: js(map[string]any{"KeyId": sym, "GrantTokens": make([]string, 11)})}, bad, "ValidationException"},
		{"recipient without document", awsRequest{target: "GenerateRandom", body: js(map[string]any{"NumberOfBytes": 1, "Recipient": map[string]any{"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256"}})}, bad, "ValidationException"},

		{"no credentials", awsRequest{target: "DescribeKey", body: `{}`, sign: func(*http.Request, []byte) {}}, auth, "MissingAuthenticationTokenException"},
		{"malformed signature", awsRequest{target: "DescribeKey", body: `{}`, sign: func(r *http.Request, _ []byte) {
			r.Header.Set("Authorization", httpsig.SigV4Scheme+" Credential=x")
		}}, auth, "IncompleteSignatureException"},
		{"bad signature", awsRequest{target: "DescribeKey", body: `{}`, sign: signWith(testAK, "wrong secret", time.Now())}, deny, "InvalidSignatureException"},
		{"unknown access key", awsRequest{target: "DescribeKey", body: `{}`, sign: signWith("AKIDUNKNOWN", testSK, time.Now())}, deny, "UnrecognizedClientException"},
		{"stale date", awsRequest{target: "DescribeKey", body: `{}`, sign: signWith(testAK, testSK, time.Now().Add(-core.MaxClockSkew-time.Minute))}, deny, "InvalidSignatureException"},
		{"body changed after signing", awsRequest{target: "DescribeKey", body: `{}`, sign: func(r *http.Request, _ []byte) {
			signAWSTest(r, []byte(`{"KeyId":"x"}`), testAK, testSK, time.Now())
		}}, deny, "InvalidSignatureException"},
		{"bad token", awsRequest{target: "DescribeKey", body: `{}`, sign: func(r *http.Request, _ []byte) { r.Header.Set("X-Auth-Token", "wrong") }}, auth, "MissingAuthenticationTokenException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := k.keyCount(t)
			k.awsFail(t, tc.req, tc.status, tc.typ)
			require.Equal(t, before, k.keyCount(t), "a failed request stored a key")
		})
	}
}

// TestAWSToken: the seed pages' X-Auth-Token lets AWS-shaped requests in too.
func TestAWSToken(t *testing.T) {
	k := newTestKMS(t, Options{})
	status, out := k.awsDo(t, awsRequest{target: "GenerateRandom", body: `{"NumberOfBytes":8}`, sign: func(r *http.Request, _ []byte) {
		r.Header.Set("X-Auth-Token", testToken)
	}})
	require.Equal(t, http.StatusOK, status, "%v", out)
	require.Len(t, blob(t, out["Plaintext"]), 8)
}

// TestAWSRecipient: seed 001's example request with RecipientInfo (the
// attestation document as a top-level blob) and the AWS SDK's Recipient both
// seal the shared secret to the enclave, and attestation failures seal
// nothing.
func TestAWSRecipient(t *testing.T) {
	k := newTestKMS(t, Options{Roots: []*x509.Certificate{attestationtest.Root()}})
	enclave, err := x509.ParsePKCS8PrivateKey(readTestKey(t, "test_enclave_rsa2048_key.pem"))
	require.NoError(t, err)
	enclaveSPKI, err := x509.MarshalPKIXPublicKey(enclave.(crypto.Signer).Public())
	require.NoError(t, err)
	issue := func(opts attestationtest.Options) string {
		opts.PublicKey = enclaveSPKI
		doc, err := attestationtest.Issue(opts)
		require.NoError(t, err)
		return b64(doc)
	}
	id, _ := k.awsCreateKey(t, "ECC_NIST_P256", "DERIVE_SHARED_SECRET")
	peer, err := x509.ParsePKCS8PrivateKey(readTestKey(t, "test_p256_key.pem"))
	require.NoError(t, err)
	peerSPKI, err := x509.MarshalPKIXPublicKey(peer.(crypto.Signer).Public())
	require.NoError(t, err)

	status, plain := k.awsDo(t, awsRequest{target: "DeriveSharedSecret", body: fmt.Sprintf(`{ "KeyId": %q, "PublicKey": %q }`, id, b64(peerSPKI))})
	require.Equal(t, http.StatusOK, status, "%v", plain)
	want := blob(t, plain["SharedSecret"])

	for name, body := range map[string]string{
		"seed 001 RecipientInfo": fmt.Sprintf(`{ "KeyId": %q, "PublicKey": %q, "RecipientInfo": %q }`, id, b64(peerSPKI), issue(attestationtest.Options{})),
		"AWS SDK Recipient": fmt.Sprintf(`{"KeyAgreementAlgorithm":"ECDH","KeyId":%q,"PublicKey":%q,"Recipient":{"AttestationDocument":%q,"KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_256"}}`,
			id, b64(peerSPKI), issue(attestationtest.Options{Platform: attestation.QingTian})),
	} {
		t.Run(name, func(t *testing.T) {
			status, out := k.awsDo(t, awsRequest{target: "DeriveSharedSecret", body: body})
			require.Equal(t, http.StatusOK, status, "%v", out)
			require.NotContains(t, out, "SharedSecret")
			got, err := recipient.OpenSharedSecret(blob(t, out["CiphertextForRecipient"]), enclave.(crypto.Decrypter), recipient.OpenOptions{})
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}

	// The other attested operations: the envelope opens to the bytes the
	// call without a recipient would give.
	t.Run("GenerateRandom, GenerateDataKey, Decrypt, GenerateDataKeyPair", func(t *testing.T) {
		open := func(out map[string]any) []byte {
			t.Helper()
			require.NotContains(t, out, "Plaintext")
			require.NotContains(t, out, "PrivateKeyPlaintext")
			b, err := recipient.Open(blob(t, out["CiphertextForRecipient"]), enclave.(crypto.Decrypter), recipient.OpenOptions{})
			require.NoError(t, err)
			return b
		}
		r := map[string]any{"AttestationDocument": issue(attestationtest.Options{})}
		require.Len(t, open(k.aws(t, "GenerateRandom", map[string]any{"NumberOfBytes": 40, "Recipient": r})), 40)
		sym, _ := k.awsCreateKey(t, "", "")
		dk := k.aws(t, "GenerateDataKey", map[string]any{"KeyId": sym, "KeySpec": "AES_256", "Recipient": r})
		dataKey := open(dk)
		require.Equal(t, dataKey, blob(t, k.aws(t, "Decrypt", map[string]any{"CiphertextBlob": dk["CiphertextBlob"]})["Plaintext"]))
		require.Equal(t, dataKey, open(k.aws(t, "Decrypt", map[string]any{"CiphertextBlob": dk["CiphertextBlob"], "Recipient": r})))
		pair := k.aws(t, "GenerateDataKeyPair", map[string]any{"KeyId": sym, "KeyPairSpec": "ECC_NIST_P256", "Recipient": r})
		pkcs8 := open(pair)
		priv, err := x509.ParsePKCS8PrivateKey(pkcs8)
		require.NoError(t, err)
		pub, err := x509.MarshalPKIXPublicKey(priv.(crypto.Signer).Public())
		require.NoError(t, err)
		require.Equal(t, blob(t, pair["PublicKey"]), pub)
	})

	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
		typ    string
	}{
		{"untrusted root", map[string]any{"RecipientInfo": issue(attestationtest.Options{Malformation: attestationtest.UntrustedRoot})}, http.StatusForbidden, "AccessDeniedException"},
		{"tampered signature", map[string]any{"RecipientInfo": issue(attestationtest.Options{Malformation: attestationtest.TamperedSignature})}, http.StatusForbidden, "AccessDeniedException"},
		{"expired leaf", map[string]any{"Recipient": map[string]any{"AttestationDocument": issue(attestationtest.Options{Malformation: attestationtest.ExpiredLeaf})}}, http.StatusForbidden, "AccessDeniedException"},
		{"malformed document", map[string]any{"RecipientInfo": issue(attestationtest.Options{Malformation: attestationtest.DuplicateKey})}, http.StatusBadRequest, "ValidationException"},
		{"not a document", map[string]any{"RecipientInfo": b64([]byte("not a document"))}, http.StatusBadRequest, "ValidationException"},
		{"not base64", map[string]any{"RecipientInfo": "%%%"}, http.StatusBadRequest, "ValidationException"},
		{"other key encryption", map[string]any{"Recipient": map[string]any{"AttestationDocument": issue(attestationtest.Options{}), "KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_1"}}, http.StatusBadRequest, "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.body["KeyId"], tc.body["PublicKey"] = id, b64(peerSPKI)
			k.awsFail(t, awsRequest{target: "DeriveSharedSecret", body: js(tc.body)}, tc.status, tc.typ)
		})
	}
}

// TestAWSMaterialExpires: a key whose imported material has expired is
// pending import again (KMSInvalidStateException, KeyState PendingImport),
// and takes material again.
func TestAWSMaterialExpires(t *testing.T) {
	k := newTestKMS(t, Options{})
	id := k.aws(t, "CreateKey", map[string]any{"Origin": "EXTERNAL"})["KeyMetadata"].(map[string]any)["KeyId"].(string)
	params, err := k.client.GetParametersForImport(t.Context(), &huawei.GetParametersForImportRequest{KeyID: id, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
	require.NoError(t, err)
	req, err := huawei.WrapKeyMaterial(params, make([]byte, 32))
	require.NoError(t, err)
	exp := time.Now().Unix() + 2
	req.ExpirationTime = &exp
	require.NoError(t, k.client.ImportKeyMaterial(t.Context(), req))
	body := fmt.Sprintf(`{"KeyId":%q,"Plaintext":"eA=="}`, id)
	status, out := k.awsDo(t, awsRequest{target: "Encrypt", body: body})
	require.Equal(t, http.StatusOK, status, "%v", out)
	md := k.aws(t, "DescribeKey", map[string]any{"KeyId": id})["KeyMetadata"].(map[string]any)
	require.Equal(t, "KEY_MATERIAL_EXPIRES", md["ExpirationModel"])
	require.Equal(t, float64(exp), md["ValidTo"])

	time.Sleep(time.Until(time.Unix(exp, 0)) + 50*time.Millisecond)
	k.awsFail(t, awsRequest{target: "Encrypt", body: body}, http.StatusBadRequest, "KMSInvalidStateException")
	md = k.aws(t, "DescribeKey", map[string]any{"KeyId": id})["KeyMetadata"].(map[string]any)
	require.Equal(t, "PendingImport", md["KeyState"])
	require.Equal(t, false, md["Enabled"])
	require.Nil(t, md["ValidTo"])

	params, err = k.client.GetParametersForImport(t.Context(), &huawei.GetParametersForImportRequest{KeyID: id, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
	require.NoError(t, err)
	req, err = huawei.WrapKeyMaterial(params, make([]byte, 32))
	require.NoError(t, err)
	require.NoError(t, k.client.ImportKeyMaterial(t.Context(), req))
	status, out = k.awsDo(t, awsRequest{target: "Encrypt", body: body})
	require.Equal(t, http.StatusOK, status, "%v", out)
}
