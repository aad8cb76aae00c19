package kms

import (
	"bytes"
	"cmp"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/recipient"
)

// Load test figures: issue 12's 10,000 requests from 64 clients.
const (
	loadTotal   = 10000
	loadClients = 64
)

// errLoadAnswer is a 200 answer with the wrong content.
var errLoadAnswer = errors.New("wrong answer")

// loadAWSError is an AWS front-end error answer.
type loadAWSError struct {
	Status int
	Type   string
}

func (e *loadAWSError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Type) }

// loadEnv is what the requests of TestLoad share: the server, its three
// clients (Huawei token, Huawei AK/SK, AWS SigV4), the keys of the mix and
// the fixtures the answers are checked against.
type loadEnv struct {
	url    string
	http   *http.Client
	hw     [2]*huawei.Client // token, AK/SK
	enc    *enclave
	docMu  sync.Mutex
	doc    string // base64 attestation document for the enclave key
	docAt  time.Time
	aes    string // AES_256
	aes2   string // AES_256, ReEncrypt's destination
	sm4    string
	rsaEnc string // RSA_2048 ENCRYPT_DECRYPT
	sm2Enc string // SM2 ENCRYPT_DECRYPT
	ecSign string // EC_P256 SIGN_VERIFY
	rsaSig string // RSA_2048 SIGN_VERIFY
	sm2Sig string // SM2 SIGN_VERIFY
	agree  string // EC_P256 KEY_AGREEMENT

	plain     []byte
	awsBlob   []byte // AWS Encrypt of plain under aes, context {"load":"1"}
	hwData    string // encrypt-data of plain under sm4, aad "load"
	hwDek     string // encrypt-datakey of dek under aes, aad "load"
	dek       []byte
	rsaCT     string // encrypt-data of plain under rsaEnc (RSAES_OAEP_SHA_256)
	sm2CT     string // encrypt-data of plain under sm2Enc (SM2_ENCRYPT)
	peerSPKI  []byte
	secret    []byte // ECDH of agree and the peer
	ecPub     *ecdsa.PublicKey
	msg       []byte
	rsaSigB64 string // RSASSA_PSS_SHA_256 signature of msg by rsaSig
	sm2Digest []byte // SM2DSA_SM3 digest of msg for sm2Sig
	rsaPairs  atomic.Int64
	// segmentsDone counts the lifecycle segments completed, by segment.
	segmentsDone [7]atomic.Int64
	opened       atomic.Int64
}

// aws calls op of the AWS front end, signed with SigV4, and decodes the
// answer into out (if not nil).
func (e *loadEnv) aws(ctx context.Context, op string, in any, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	r.Header.Set("X-Amz-Target", "TrentService."+op)
	r.Header.Set("Content-Type", awsContentType)
	signAWSTest(r, body, testAK, testSK, time.Now())
	resp, err := e.http.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var ae struct {
			Type string `json:"__type"`
		}
		if err := json.Unmarshal(b, &ae); err != nil || ae.Type == "" {
			return fmt.Errorf("%s: %d %s", op, resp.StatusCode, b)
		}
		return &loadAWSError{Status: resp.StatusCode, Type: ae.Type}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// awsWant calls op and requires AWS's error type typ.
func (e *loadEnv) awsWant(ctx context.Context, typ, op string, in any) error {
	err := e.aws(ctx, op, in, nil)
	var ae *loadAWSError
	if !errors.As(err, &ae) || ae.Type != typ {
		return fmt.Errorf("%s: want %s, got %v", op, typ, err)
	}
	return nil
}

// hwWant requires Huawei's error code from a call.
func hwWant(code string, err error) error {
	var ae *huawei.APIError
	if !errors.As(err, &ae) || ae.Code != code {
		return fmt.Errorf("want %s, got %v", code, err)
	}
	return nil
}

// document returns a base64 attestation document for the enclave key,
// issued again each minute: the server takes documents at most five
// minutes old, and a slow machine may take longer for the whole load. A
// failure to issue one leaves an empty document, which the server refuses,
// so the request counts as failed.
func (e *loadEnv) document() string {
	e.docMu.Lock()
	defer e.docMu.Unlock()
	if time.Since(e.docAt) > time.Minute {
		doc, err := attestationtest.Issue(attestationtest.Options{PublicKey: e.enc.spki})
		if err != nil {
			return ""
		}
		e.doc, e.docAt = base64.StdEncoding.EncodeToString(doc), time.Now()
	}
	return e.doc
}

func (e *loadEnv) awsRecipient() map[string]string {
	return map[string]string{"AttestationDocument": e.document(), "KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256"}
}

func (e *loadEnv) hwRecipient() *huawei.Recipient {
	return &huawei.Recipient{AttestationDocument: e.document(), KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256"}
}

// open checks a base64 envelope for the enclave: one in four (of all
// recipient answers) is opened with open and its content returned; the
// others must be non-empty base64 and give nil content, which the caller
// then does not compare. Opening costs the client an RSA-2048 decryption,
// more than the server spends on the request.
func (e *loadEnv) open(env string, open func([]byte, crypto.Decrypter, recipient.OpenOptions) ([]byte, error)) ([]byte, bool, error) {
	b, err := base64.StdEncoding.DecodeString(env)
	if err != nil || env == "" {
		return nil, false, fmt.Errorf("no envelope: %w", errLoadAnswer)
	}
	if e.opened.Add(1)%4 != 0 {
		return nil, false, nil
	}
	got, err := open(b, e.enc.key, recipient.OpenOptions{})
	return got, true, err
}

// loadWorker is one client of TestLoad: its Huawei client (token for even
// workers, AK/SK for odd), and the keys of its lifecycle segments, which
// no other client touches.
type loadWorker struct {
	id   int
	hw   *huawei.Client
	life string // AES_256, the lifecycle key
	dest string // AES_256, where aliases move
	ext  string // external AES_256, pending import between segments
	seg  int    // the current lifecycle segment
	step int    // the next step in it
	tmp  map[string]string
}

// loadOp is an operation of the mix.
type loadOp struct {
	name string
	run  func(ctx context.Context, e *loadEnv, w *loadWorker) error
}

// TestLoad sends 10,000 requests from 64 concurrent clients over loopback,
// with a key store on disk, mixing every operation of both front ends: the
// data and cryptographic operations (data keys with and without
// plaintext, data key pairs, encrypt and decrypt with symmetric, RSA and
// SM2 keys, sign and verify, ReEncrypt, random bytes, ECDH, and each of
// them that takes a recipient with an attestation document), reads, key
// creation, and the lifecycle (segments of state changes, aliases, tags,
// descriptions and import on keys each client owns), over Huawei token,
// Huawei AK/SK and AWS SigV4 clients. Every answer is checked; an error is
// correct only where the lifecycle makes it so (a disabled key refuses
// with DisabledException / KMS.0209, ...) and is asserted as such. After
// the load the server restarts on the same directory and every key, alias
// and tag reads back as before. It logs requests/s and latency
// percentiles.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	opts := Options{DataDir: dir, Token: testToken, AccessKey: testAK, SecretKey: testSK,
		Roots: []*x509.Certificate{attestationtest.Root()}, Logger: slog.New(slog.DiscardHandler)}
	srv, err := NewServer(opts)
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	defer func() { hs.Close(); srv.Close() }()
	tr := &http.Transport{MaxIdleConnsPerHost: loadClients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	ctx := context.Background()

	e := newLoadEnv(t, hs.URL, hc)
	ops := loadOps()
	workers := make([]*loadWorker, loadClients)
	for w := range workers {
		life, err := e.hw[0].CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "life-" + strconv.Itoa(w), KeySpec: "AES_256"})
		require.NoError(t, err)
		dest, err := e.hw[0].CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "dest-" + strconv.Itoa(w), KeySpec: "AES_256"})
		require.NoError(t, err)
		ext, err := e.hw[0].CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "ext-" + strconv.Itoa(w), KeySpec: "AES_256", Origin: "external"})
		require.NoError(t, err)
		// The importers start with the import segment, the others at
		// segment w mod the others' count.
		seg := len(lifecycleSegments) - 1
		if w >= loadImporters {
			seg = w % seg
		}
		workers[w] = &loadWorker{id: w, hw: e.hw[w%2], life: life.KeyInfo.KeyID, dest: dest.KeyInfo.KeyID, ext: ext.KeyInfo.KeyID,
			seg: seg, tmp: map[string]string{}}
	}

	var (
		next     atomic.Int64
		failures atomic.Int64
		lat      = make([]time.Duration, loadTotal)
		counts   = make([]atomic.Int64, len(ops))
		opTime   = make([]atomic.Int64, len(ops))
		wg       sync.WaitGroup
	)
	start := time.Now()
	for _, w := range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= loadTotal {
					return
				}
				op := int(i) % len(ops)
				t0 := time.Now()
				err := ops[op].run(ctx, e, w)
				lat[i] = time.Since(t0)
				counts[op].Add(1)
				opTime[op].Add(int64(lat[i]))
				if err != nil {
					if failures.Add(1) <= 10 {
						t.Errorf("request %d (%s, client %d): %v", i, ops[op].name, w.id, err)
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	require.Zero(t, failures.Load(), "failed requests")
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(loadTotal-1))] }
	steps := 0
	for i, op := range ops {
		if strings.HasPrefix(op.name, "lifecycle") {
			steps += int(counts[i].Load())
		}
	}
	t.Logf("%d requests (%d kinds, %d lifecycle steps), %d clients, both front ends, keys on disk: %.0f requests/s; latency p50 %v, p99 %v, max %v",
		loadTotal, len(ops), steps, loadClients, float64(loadTotal)/elapsed.Seconds(), pct(0.50), pct(0.99), lat[loadTotal-1])
	slowest := make([]int, len(ops))
	for i := range slowest {
		slowest[i] = i
	}
	slices.SortFunc(slowest, func(a, b int) int { return cmp.Compare(opTime[b].Load(), opTime[a].Load()) })
	for _, i := range slowest[:5] {
		t.Logf("%s: %d requests, mean %v", ops[i].name, counts[i].Load(), time.Duration(opTime[i].Load()/max(counts[i].Load(), 1)))
	}
	done := make([]int64, len(lifecycleSegments))
	for i := range done {
		done[i] = e.segmentsDone[i].Load()
		require.NotZero(t, done[i], "lifecycle segment %d never completed", i)
	}
	t.Logf("lifecycle segments completed: %v", done)

	// Every acknowledged change is on disk: the server started again on the
	// same directory answers as before.
	before := loadSnapshot(t, e, workers)
	hs.Close()
	require.NoError(t, srv.Close())
	srv, err = NewServer(opts)
	require.NoError(t, err)
	hs = httptest.NewServer(srv)
	e.url = hs.URL
	for _, c := range e.hw {
		c.Endpoint = hs.URL
	}
	require.Equal(t, before, loadSnapshot(t, e, workers))
}

// loadSnapshot reads every key's details, every alias and the lifecycle
// keys' tags, on both front ends.
func loadSnapshot(t *testing.T, e *loadEnv, workers []*loadWorker) string {
	ctx := context.Background()
	var b strings.Builder
	keys, err := e.hw[0].ListKeys(ctx, &huawei.ListKeysRequest{KeySpec: "ALL"})
	require.NoError(t, err)
	require.Equal(t, "false", keys.Truncated)
	for _, d := range keys.KeyDetails {
		fmt.Fprintf(&b, "%+v\n", d)
	}
	var aliases struct{ Aliases []map[string]any }
	require.NoError(t, e.aws(ctx, "ListAliases", map[string]any{}, &aliases))
	fmt.Fprintf(&b, "%v\n", aliases.Aliases)
	for _, w := range workers {
		tags, err := e.hw[1].ShowKMSTags(ctx, &huawei.KeyTagsRequest{KeyID: w.life})
		require.NoError(t, err)
		fmt.Fprintf(&b, "%s %v\n", w.life, tags.Tags)
	}
	return b.String()
}

func newLoadEnv(t *testing.T, url string, hc *http.Client) *loadEnv {
	t.Helper()
	ctx := context.Background()
	e := &loadEnv{url: url, http: hc, enc: newEnclave(t), plain: []byte("mixed load"), msg: []byte("signed under load")}
	e.hw[0] = &huawei.Client{Endpoint: url, ProjectID: testProject, Token: huawei.NewSecret(testToken), HTTPClient: hc}
	e.hw[1] = &huawei.Client{Endpoint: url, ProjectID: testProject, AccessKey: testAK, SecretKey: huawei.NewSecret(testSK), HTTPClient: hc}
	require.NotEmpty(t, e.document())
	create := func(spec, usage string) string {
		resp, err := e.hw[0].CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "load-" + spec, KeySpec: spec, KeyUsage: usage})
		require.NoError(t, err)
		return resp.KeyInfo.KeyID
	}
	e.aes, e.aes2, e.sm4 = create("AES_256", ""), create("AES_256", ""), create("SM4", "")
	e.rsaEnc, e.sm2Enc = create("RSA_2048", "ENCRYPT_DECRYPT"), create("SM2", "ENCRYPT_DECRYPT")
	e.ecSign, e.rsaSig, e.sm2Sig = create("EC_P256", "SIGN_VERIFY"), create("RSA_2048", "SIGN_VERIFY"), create("SM2", "SIGN_VERIFY")
	e.agree = create("EC_P256", "KEY_AGREEMENT")

	var enc struct{ CiphertextBlob []byte }
	require.NoError(t, e.aws(ctx, "Encrypt", map[string]any{"KeyId": e.aes, "Plaintext": e.plain, "EncryptionContext": map[string]string{"load": "1"}}, &enc))
	e.awsBlob = enc.CiphertextBlob
	data, err := e.hw[0].EncryptData(ctx, &huawei.EncryptDataRequest{KeyID: e.sm4, PlainText: huawei.NewSecret(string(e.plain)), AdditionalAuthenticatedData: "load"})
	require.NoError(t, err)
	e.hwData = data.CipherText
	e.dek = bytes.Repeat([]byte{7}, 32)
	dek, err := e.hw[0].EncryptDatakey(ctx, &huawei.EncryptDatakeyRequest{KeyID: e.aes, PlainText: huawei.NewSecret(dekPlainText("AES_256", e.dek)), DatakeyPlainLength: "32", AdditionalAuthenticatedData: "load"})
	require.NoError(t, err)
	e.hwDek = dek.CipherText
	rsaCT, err := e.hw[0].EncryptData(ctx, &huawei.EncryptDataRequest{KeyID: e.rsaEnc, PlainText: huawei.NewSecret(string(e.plain)), EncryptionAlgorithm: "RSAES_OAEP_SHA_256"})
	require.NoError(t, err)
	e.rsaCT = rsaCT.CipherText
	sm2CT, err := e.hw[0].EncryptData(ctx, &huawei.EncryptDataRequest{KeyID: e.sm2Enc, PlainText: huawei.NewSecret(string(e.plain)), EncryptionAlgorithm: "SM2_ENCRYPT"})
	require.NoError(t, err)
	e.sm2CT = sm2CT.CipherText

	peer, err := keyspec.ParsePrivateKey(readTestKey(t, "test_p256_key.pem"))
	require.NoError(t, err)
	e.peerSPKI = peer.PublicKey().MarshalPKIX()
	pub, err := e.hw[0].GetPublicKey(ctx, &huawei.KeyRequest{KeyID: e.agree})
	require.NoError(t, err)
	kmsPub, err := keyspec.ParsePublicKey(mustB64(t, pub.PublicKey))
	require.NoError(t, err)
	e.secret, err = peer.ECDH(kmsPub)
	require.NoError(t, err)
	pub, err = e.hw[0].GetPublicKey(ctx, &huawei.KeyRequest{KeyID: e.ecSign})
	require.NoError(t, err)
	ecPub, err := x509.ParsePKIXPublicKey(mustB64(t, pub.PublicKey))
	require.NoError(t, err)
	e.ecPub = ecPub.(*ecdsa.PublicKey)
	var sig struct{ Signature string }
	require.NoError(t, e.aws(ctx, "Sign", map[string]any{"KeyId": e.rsaSig, "Message": e.msg, "SigningAlgorithm": "RSASSA_PSS_SHA_256"}, &sig))
	e.rsaSigB64 = sig.Signature
	pub, err = e.hw[0].GetPublicKey(ctx, &huawei.KeyRequest{KeyID: e.sm2Sig})
	require.NoError(t, err)
	e.sm2Digest = huaweiDigest(t, "SM2DSA_SM3", mustB64(t, pub.PublicKey), e.msg)
	return e
}

// loadCheck turns a failed condition of an answer into errLoadAnswer.
func loadCheck(ok bool, what string) error {
	if !ok {
		return fmt.Errorf("%s: %w", what, errLoadAnswer)
	}
	return nil
}

// loadOps is the mix: each data and cryptographic operation of both front
// ends once, reads and key creation, and lifecycle steps (a third of the
// requests, which run the worker's segments in order).
func loadOps() []loadOp {
	ops := []loadOp{
		// AWS JSON 1.1, SigV4.
		{"aws Encrypt", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct {
				CiphertextBlob      []byte
				KeyId               string
				EncryptionAlgorithm string
			}
			if err := e.aws(ctx, "Encrypt", map[string]any{"KeyId": e.aes, "Plaintext": e.plain}, &out); err != nil {
				return err
			}
			return loadCheck(len(out.CiphertextBlob) > 0 && strings.HasSuffix(out.KeyId, e.aes) && out.EncryptionAlgorithm == "SYMMETRIC_DEFAULT", "Encrypt")
		}},
		{"aws Decrypt", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct{ Plaintext []byte }
			if err := e.aws(ctx, "Decrypt", map[string]any{"CiphertextBlob": e.awsBlob, "EncryptionContext": map[string]string{"load": "1"}}, &out); err != nil {
				return err
			}
			return loadCheck(bytes.Equal(out.Plaintext, e.plain), "Decrypt")
		}},
		{"aws Decrypt under another KeyId", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			return e.awsWant(ctx, "IncorrectKeyException", "Decrypt", map[string]any{"CiphertextBlob": e.awsBlob, "KeyId": e.aes2, "EncryptionContext": map[string]string{"load": "1"}})
		}},
		{"aws GenerateDataKey", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct{ Plaintext, CiphertextBlob []byte }
			if err := e.aws(ctx, "GenerateDataKey", map[string]any{"KeyId": e.aes, "KeySpec": "AES_256"}, &out); err != nil {
				return err
			}
			return loadCheck(len(out.Plaintext) == 32 && len(out.CiphertextBlob) > 0, "GenerateDataKey")
		}},
		{"aws GenerateDataKeyWithoutPlaintext", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out map[string]any
			if err := e.aws(ctx, "GenerateDataKeyWithoutPlaintext", map[string]any{"KeyId": e.aes, "NumberOfBytes": 16}, &out); err != nil {
				return err
			}
			_, plain := out["Plaintext"]
			return loadCheck(!plain && out["CiphertextBlob"] != nil, "GenerateDataKeyWithoutPlaintext")
		}},
		{"aws GenerateDataKeyPair", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct{ PrivateKeyPlaintext, PrivateKeyCiphertextBlob, PublicKey []byte }
			if err := e.aws(ctx, "GenerateDataKeyPair", map[string]any{"KeyId": e.aes, "KeyPairSpec": "ECC_NIST_P256"}, &out); err != nil {
				return err
			}
			priv, err := x509.ParsePKCS8PrivateKey(out.PrivateKeyPlaintext)
			if err != nil {
				return err
			}
			der, err := x509.MarshalPKIXPublicKey(priv.(crypto.Signer).Public())
			return loadCheck(err == nil && bytes.Equal(der, out.PublicKey) && len(out.PrivateKeyCiphertextBlob) > 0, "GenerateDataKeyPair")
		}},
		{"aws GenerateDataKeyPairWithoutPlaintext", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out map[string]any
			if err := e.aws(ctx, "GenerateDataKeyPairWithoutPlaintext", map[string]any{"KeyId": e.sm4, "KeyPairSpec": "SM2"}, &out); err != nil {
				return err
			}
			_, plain := out["PrivateKeyPlaintext"]
			return loadCheck(!plain && out["PublicKey"] != nil && out["KeyPairSpec"] == "SM2", "GenerateDataKeyPairWithoutPlaintext")
		}},
		{"aws Sign ECDSA", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct{ Signature []byte }
			if err := e.aws(ctx, "Sign", map[string]any{"KeyId": e.ecSign, "Message": e.msg, "SigningAlgorithm": "ECDSA_SHA_256"}, &out); err != nil {
				return err
			}
			h := sha256.Sum256(e.msg)
			return loadCheck(ecdsa.VerifyASN1(e.ecPub, h[:], out.Signature), "Sign")
		}},
		{"aws Verify RSASSA-PSS", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct{ SignatureValid bool }
			if err := e.aws(ctx, "Verify", map[string]any{"KeyId": e.rsaSig, "Message": e.msg, "Signature": e.rsaSigB64, "SigningAlgorithm": "RSASSA_PSS_SHA_256"}, &out); err != nil {
				return err
			}
			return loadCheck(out.SignatureValid, "Verify")
		}},
		{"aws Verify of another message", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			return e.awsWant(ctx, "KMSInvalidSignatureException", "Verify", map[string]any{"KeyId": e.rsaSig, "Message": e.plain, "Signature": e.rsaSigB64, "SigningAlgorithm": "RSASSA_PSS_SHA_256"})
		}},
		{"aws Decrypt RSAES_OAEP_SHA_256", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct{ Plaintext []byte }
			if err := e.aws(ctx, "Decrypt", map[string]any{"KeyId": e.rsaEnc, "CiphertextBlob": e.rsaCT, "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}, &out); err != nil {
				return err
			}
			return loadCheck(bytes.Equal(out.Plaintext, e.plain), "Decrypt RSA")
		}},
		{"aws Encrypt and Decrypt SM2PKE", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var enc struct{ CiphertextBlob []byte }
			if err := e.aws(ctx, "Encrypt", map[string]any{"KeyId": e.sm2Enc, "Plaintext": e.plain, "EncryptionAlgorithm": "SM2PKE"}, &enc); err != nil {
				return err
			}
			var out struct{ Plaintext []byte }
			if err := e.aws(ctx, "Decrypt", map[string]any{"KeyId": e.sm2Enc, "CiphertextBlob": enc.CiphertextBlob, "EncryptionAlgorithm": "SM2PKE"}, &out); err != nil {
				return err
			}
			return loadCheck(bytes.Equal(out.Plaintext, e.plain), "SM2PKE")
		}},
		{"aws ReEncrypt", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct {
				CiphertextBlob     []byte
				SourceKeyId, KeyId string
			}
			if err := e.aws(ctx, "ReEncrypt", map[string]any{"CiphertextBlob": e.awsBlob, "SourceEncryptionContext": map[string]string{"load": "1"}, "DestinationKeyId": e.aes2}, &out); err != nil {
				return err
			}
			return loadCheck(len(out.CiphertextBlob) > 0 && strings.HasSuffix(out.SourceKeyId, e.aes) && strings.HasSuffix(out.KeyId, e.aes2), "ReEncrypt")
		}},
		{"aws GenerateRandom", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct{ Plaintext []byte }
			if err := e.aws(ctx, "GenerateRandom", map[string]any{"NumberOfBytes": 32}, &out); err != nil {
				return err
			}
			return loadCheck(len(out.Plaintext) == 32, "GenerateRandom")
		}},
		{"aws DeriveSharedSecret", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct{ SharedSecret []byte }
			if err := e.aws(ctx, "DeriveSharedSecret", map[string]any{"KeyId": e.agree, "KeyAgreementAlgorithm": "ECDH", "PublicKey": e.peerSPKI}, &out); err != nil {
				return err
			}
			return loadCheck(bytes.Equal(out.SharedSecret, e.secret), "DeriveSharedSecret")
		}},
		{"aws Decrypt with a recipient", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out map[string]any
			if err := e.aws(ctx, "Decrypt", map[string]any{"CiphertextBlob": e.awsBlob, "EncryptionContext": map[string]string{"load": "1"}, "Recipient": e.awsRecipient()}, &out); err != nil {
				return err
			}
			env, _ := out["CiphertextForRecipient"].(string)
			got, opened, err := e.open(env, recipient.Open)
			return cmp.Or(err, loadCheck(out["Plaintext"] == nil && (!opened || bytes.Equal(got, e.plain)), "Decrypt with a recipient"))
		}},
		{"aws GenerateDataKey with a recipient", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out map[string]any
			if err := e.aws(ctx, "GenerateDataKey", map[string]any{"KeyId": e.aes, "NumberOfBytes": 32, "Recipient": e.awsRecipient()}, &out); err != nil {
				return err
			}
			env, _ := out["CiphertextForRecipient"].(string)
			got, opened, err := e.open(env, recipient.Open)
			return cmp.Or(err, loadCheck(out["Plaintext"] == nil && (!opened || len(got) == 32), "GenerateDataKey with a recipient"))
		}},
		{"aws GenerateDataKeyPair with a recipient", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out map[string]any
			if err := e.aws(ctx, "GenerateDataKeyPair", map[string]any{"KeyId": e.aes, "KeyPairSpec": "ECC_NIST_P384", "Recipient": e.awsRecipient()}, &out); err != nil {
				return err
			}
			env, _ := out["CiphertextForRecipient"].(string)
			got, opened, err := e.open(env, recipient.OpenPrivateKey)
			if err != nil {
				return err
			}
			var perr error
			if opened {
				_, perr = x509.ParsePKCS8PrivateKey(got)
			}
			return cmp.Or(perr, loadCheck(out["PrivateKeyPlaintext"] == nil, "GenerateDataKeyPair with a recipient"))
		}},
		{"aws GenerateRandom with a recipient", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out map[string]any
			if err := e.aws(ctx, "GenerateRandom", map[string]any{"NumberOfBytes": 24, "Recipient": e.awsRecipient()}, &out); err != nil {
				return err
			}
			env, _ := out["CiphertextForRecipient"].(string)
			got, opened, err := e.open(env, recipient.Open)
			return cmp.Or(err, loadCheck(out["Plaintext"] == nil && (!opened || len(got) == 24), "GenerateRandom with a recipient"))
		}},
		{"aws DeriveSharedSecret with a recipient", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out map[string]any
			if err := e.aws(ctx, "DeriveSharedSecret", map[string]any{"KeyId": e.agree, "KeyAgreementAlgorithm": "ECDH", "PublicKey": e.peerSPKI, "Recipient": e.awsRecipient()}, &out); err != nil {
				return err
			}
			env, _ := out["CiphertextForRecipient"].(string)
			got, opened, err := e.open(env, recipient.OpenSharedSecret)
			return cmp.Or(err, loadCheck(out["SharedSecret"] == nil && (!opened || bytes.Equal(got, e.secret)), "DeriveSharedSecret with a recipient"))
		}},
		{"aws DescribeKey", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct {
				KeyMetadata struct{ KeyId, KeyState string }
			}
			if err := e.aws(ctx, "DescribeKey", map[string]any{"KeyId": e.ecSign}, &out); err != nil {
				return err
			}
			return loadCheck(out.KeyMetadata.KeyId == e.ecSign && out.KeyMetadata.KeyState == "Enabled", "DescribeKey")
		}},
		{"aws ListKeys", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct {
				Keys      []map[string]any
				Truncated bool
			}
			if err := e.aws(ctx, "ListKeys", map[string]any{"Limit": 5}, &out); err != nil {
				return err
			}
			return loadCheck(len(out.Keys) == 5 && out.Truncated, "ListKeys")
		}},
		{"aws GetPublicKey", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct{ PublicKey []byte }
			if err := e.aws(ctx, "GetPublicKey", map[string]any{"KeyId": e.rsaEnc}, &out); err != nil {
				return err
			}
			_, err := x509.ParsePKIXPublicKey(out.PublicKey)
			return err
		}},
		{"aws CreateKey", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct {
				KeyMetadata struct{ KeyId, KeyState string }
			}
			if err := e.aws(ctx, "CreateKey", map[string]any{"Description": "load"}, &out); err != nil {
				return err
			}
			return loadCheck(out.KeyMetadata.KeyState == "Enabled", "CreateKey")
		}},

		// Huawei REST, token or AK/SK.
		{"huawei create-datakey", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.CreateDatakey(ctx, &huawei.CreateDatakeyRequest{KeyID: e.aes, DatakeyLength: "256", AdditionalAuthenticatedData: "load"})
			if err != nil {
				return err
			}
			dk, err := hex.DecodeString(out.PlainText.Reveal())
			return cmp.Or(err, loadCheck(len(dk) == 32 && out.CipherText != "", "create-datakey"))
		}},
		{"huawei create-datakey-without-plaintext", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.CreateDatakeyWithoutPlaintext(ctx, &huawei.CreateDatakeyRequest{KeyID: e.sm4, DatakeyLength: "128"})
			if err != nil {
				return err
			}
			return loadCheck(out.KeyID == e.sm4 && out.CipherText != "", "create-datakey-without-plaintext")
		}},
		{"huawei encrypt-data", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.EncryptData(ctx, &huawei.EncryptDataRequest{KeyID: e.aes, PlainText: huawei.NewSecret(string(e.plain))})
			if err != nil {
				return err
			}
			return loadCheck(out.KeyID == e.aes && out.CipherText != "", "encrypt-data")
		}},
		{"huawei decrypt-data", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.DecryptData(ctx, &huawei.DecryptDataRequest{CipherText: e.hwData, AdditionalAuthenticatedData: "load"})
			if err != nil {
				return err
			}
			return loadCheck(out.PlainText.Reveal() == string(e.plain), "decrypt-data")
		}},
		{"huawei decrypt-data RSAES_OAEP_SHA_256", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.DecryptData(ctx, &huawei.DecryptDataRequest{KeyID: e.rsaEnc, CipherText: e.rsaCT, EncryptionAlgorithm: "RSAES_OAEP_SHA_256"})
			if err != nil {
				return err
			}
			return loadCheck(out.PlainText.Reveal() == string(e.plain), "decrypt-data RSA")
		}},
		{"huawei decrypt-data SM2_ENCRYPT", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.DecryptData(ctx, &huawei.DecryptDataRequest{KeyID: e.sm2Enc, CipherText: e.sm2CT, EncryptionAlgorithm: "SM2_ENCRYPT"})
			if err != nil {
				return err
			}
			return loadCheck(out.PlainText.Reveal() == string(e.plain), "decrypt-data SM2")
		}},
		{"huawei encrypt-datakey", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.EncryptDatakey(ctx, &huawei.EncryptDatakeyRequest{KeyID: e.sm4, PlainText: huawei.NewSecret(dekPlainText("SM4", e.dek)), DatakeyPlainLength: "32"})
			if err != nil {
				return err
			}
			return loadCheck(out.CipherText != "" && out.DatakeyLength == "32", "encrypt-datakey")
		}},
		{"huawei decrypt-datakey", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.DecryptDatakey(ctx, &huawei.DecryptDatakeyRequest{KeyID: e.aes, CipherText: e.hwDek, DatakeyCipherLength: "32", AdditionalAuthenticatedData: "load"})
			if err != nil {
				return err
			}
			return loadCheck(out.DataKey.Reveal() == hex.EncodeToString(e.dek), "decrypt-datakey")
		}},
		{"huawei create-ec-datakey-pair", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.CreateECDataKeyPair(ctx, &huawei.DataKeyPairRequest{KeyID: e.aes, KeySpec: "ECC_SECG_P256K1"})
			if err != nil {
				return err
			}
			return loadCheck(!out.PrivateKeyPlainText.IsZero() && out.PrivateKeyCipherText != "" && out.PublicKey != "", "create-ec-datakey-pair")
		}},
		{"huawei data key pair without plaintext (RSA_2048 one in 32)", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			// RSA key generation costs a hundred EC ones: one in 32 of
			// these requests is create-rsa-datakey-pair, the others
			// create-ec-datakey-pair, both without plaintext.
			no := false
			req := &huawei.DataKeyPairRequest{KeyID: e.aes, KeySpec: "ECC_NIST_P521", WithPlainText: &no}
			call := w.hw.CreateECDataKeyPair
			if e.rsaPairs.Add(1)%32 == 1 {
				req.KeySpec, call = "RSA_2048", w.hw.CreateRSADataKeyPair
			}
			out, err := call(ctx, req)
			if err != nil {
				return err
			}
			return loadCheck(out.PrivateKeyPlainText.IsZero() && out.PrivateKeyCipherText != "" && out.KeySpec == req.KeySpec, "data key pair without plaintext")
		}},
		{"huawei sign and verify SM2DSA_SM3", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			s, err := w.hw.Sign(ctx, &huawei.SignRequest{KeyID: e.sm2Sig, Message: b64(e.sm2Digest), SigningAlgorithm: "SM2DSA_SM3"})
			if err != nil {
				return err
			}
			v, err := w.hw.Verify(ctx, &huawei.VerifyRequest{KeyID: e.sm2Sig, Message: b64(e.sm2Digest), Signature: s.Signature, SigningAlgorithm: "SM2DSA_SM3"})
			if err != nil {
				return err
			}
			return loadCheck(v.SignatureValid == "true", "verify SM2")
		}},
		{"huawei sign RAW ECDSA_SHA_256", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			s, err := w.hw.Sign(ctx, &huawei.SignRequest{KeyID: e.ecSign, Message: b64(e.msg), SigningAlgorithm: "ECDSA_SHA_256", MessageType: "RAW"})
			if err != nil {
				return err
			}
			sig, err := base64.StdEncoding.DecodeString(s.Signature)
			h := sha256.Sum256(e.msg)
			return cmp.Or(err, loadCheck(ecdsa.VerifyASN1(e.ecPub, h[:], sig), "sign"))
		}},
		{"huawei verify RSASSA-PSS", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			h := sha256.Sum256(e.msg)
			v, err := w.hw.Verify(ctx, &huawei.VerifyRequest{KeyID: e.rsaSig, Message: b64(h[:]), Signature: e.rsaSigB64, SigningAlgorithm: "RSASSA_PSS_SHA_256"})
			if err != nil {
				return err
			}
			return loadCheck(v.SignatureValid == "true", "verify RSA")
		}},
		{"huawei encrypt-data RSAES_OAEP_SHA_256", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.EncryptData(ctx, &huawei.EncryptDataRequest{KeyID: e.rsaEnc, PlainText: huawei.NewSecret(string(e.plain)), EncryptionAlgorithm: "RSAES_OAEP_SHA_256"})
			if err != nil {
				return err
			}
			return loadCheck(out.CipherText != "", "encrypt-data RSA")
		}},
		{"huawei gen-random", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.GenRandom(ctx, &huawei.GenRandomRequest{RandomDataLength: "512"})
			if err != nil {
				return err
			}
			return loadCheck(len(out.RandomData.Reveal()) == 128, "gen-random")
		}},
		{"huawei derive-shared-secret", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.DeriveSharedSecret(ctx, &huawei.DeriveSharedSecretRequest{KeyID: e.agree, KeyAgreementAlgorithm: "ECDH", PublicKey: b64(e.peerSPKI)})
			if err != nil {
				return err
			}
			return loadCheck(out.SharedSecret.Reveal() == b64(e.secret), "derive-shared-secret")
		}},
		{"huawei derive-shared-secret with a recipient", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.DeriveSharedSecret(ctx, &huawei.DeriveSharedSecretRequest{KeyID: e.agree, KeyAgreementAlgorithm: "ECDH", PublicKey: b64(e.peerSPKI), Recipient: e.hwRecipient()})
			if err != nil {
				return err
			}
			got, opened, err := e.open(out.CiphertextRecipient, recipient.OpenSharedSecret)
			return cmp.Or(err, loadCheck(out.SharedSecret.IsZero() && (!opened || bytes.Equal(got, e.secret)), "derive-shared-secret with a recipient"))
		}},
		{"huawei create-datakey with a recipient", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.CreateDatakey(ctx, &huawei.CreateDatakeyRequest{KeyID: e.sm4, DatakeyLength: "128", Recipient: e.hwRecipient()})
			if err != nil {
				return err
			}
			got, opened, err := e.open(out.CiphertextRecipient, recipient.Open)
			return cmp.Or(err, loadCheck(out.PlainText.IsZero() && (!opened || len(got) == 16), "create-datakey with a recipient"))
		}},
		{"huawei decrypt-datakey with a recipient", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.DecryptDatakey(ctx, &huawei.DecryptDatakeyRequest{KeyID: e.aes, CipherText: e.hwDek, DatakeyCipherLength: "32", AdditionalAuthenticatedData: "load", Recipient: e.hwRecipient()})
			if err != nil {
				return err
			}
			got, opened, err := e.open(out.CiphertextRecipient, recipient.Open)
			return cmp.Or(err, loadCheck(out.DataKey.IsZero() && (!opened || bytes.Equal(got, e.dek)), "decrypt-datakey with a recipient"))
		}},
		{"huawei decrypt-data with a recipient", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.DecryptData(ctx, &huawei.DecryptDataRequest{CipherText: e.hwData, AdditionalAuthenticatedData: "load", Recipient: e.hwRecipient()})
			if err != nil {
				return err
			}
			got, opened, err := e.open(out.CiphertextRecipient, recipient.Open)
			return cmp.Or(err, loadCheck(out.PlainText.IsZero() && (!opened || bytes.Equal(got, e.plain)), "decrypt-data with a recipient"))
		}},
		{"huawei gen-random with a recipient", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.GenRandom(ctx, &huawei.GenRandomRequest{RandomDataLength: "256", Recipient: e.hwRecipient()})
			if err != nil {
				return err
			}
			got, opened, err := e.open(out.CiphertextRecipient, recipient.Open)
			return cmp.Or(err, loadCheck(out.RandomData.IsZero() && (!opened || len(got) == 32), "gen-random with a recipient"))
		}},
		{"huawei create-ec-datakey-pair with a recipient", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.CreateECDataKeyPair(ctx, &huawei.DataKeyPairRequest{KeyID: e.aes, KeySpec: "ECC_NIST_P256", Recipient: e.hwRecipient()})
			if err != nil {
				return err
			}
			got, opened, err := e.open(out.CiphertextRecipient, recipient.OpenPrivateKey)
			if err != nil {
				return err
			}
			var perr error
			if opened {
				_, perr = x509.ParsePKCS8PrivateKey(got)
			}
			return cmp.Or(perr, loadCheck(out.PrivateKeyPlainText.IsZero(), "create-ec-datakey-pair with a recipient"))
		}},
		{"huawei describe-key", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.DescribeKey(ctx, &huawei.KeyRequest{KeyID: e.sm4})
			if err != nil {
				return err
			}
			return loadCheck(out.KeyInfo.KeySpec == "SM4" && out.KeyInfo.KeyState == "2", "describe-key")
		}},
		{"huawei list-keys", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.ListKeys(ctx, &huawei.ListKeysRequest{KeySpec: "SM2", Limit: "10"})
			if err != nil {
				return err
			}
			return loadCheck(out.Total == 2 && len(out.Keys) == 2, "list-keys")
		}},
		{"huawei get-publickey", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.GetPublicKey(ctx, &huawei.KeyRequest{KeyID: e.agree})
			if err != nil {
				return err
			}
			return loadCheck(out.PublicKey != "", "get-publickey")
		}},
		{"huawei list-kms-tags", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			_, err := w.hw.ListKMSTags(ctx, &huawei.ProjectTagsRequest{})
			return err
		}},
		{"huawei create-key", func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "load-" + strconv.Itoa(w.id), KeySpec: "SM4"})
			if err != nil {
				return err
			}
			return loadCheck(out.KeyInfo.KeyID != "", "create-key")
		}},
	}
	// The lifecycle: one request in twenty. Its writes are serialized
	// on disk, so a larger share makes the test slow without loading the
	// server more.
	n := len(ops)
	for i := range n / 16 {
		ops = append(ops, loadOp{"lifecycle " + strconv.Itoa(i), lifecycleStep})
	}
	return ops
}

// loadStep is one request of a lifecycle segment on the worker's keys.
type loadStep func(ctx context.Context, e *loadEnv, w *loadWorker) error

// lifecycleSegments are sequences of lifecycle requests that each start and
// end with the worker's keys enabled (the external key pending import),
// without aliases or tags, so that a worker may start at any segment.
// Workers walk them in turn (the last, import, only loadImporters of them); the
// refusals in them are AWS's and Huawei's documented answers for the state.
var lifecycleSegments = [][]loadStep{
	{ // Disable and enable.
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.DisableKey(ctx, &huawei.KeyRequest{KeyID: w.life})
			return cmp.Or(err, loadCheck(err == nil && out.KeyInfo.KeyState == "3", "disable-key"))
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			// https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html#API_Encrypt_Errors
			return e.awsWant(ctx, "DisabledException", "Encrypt", map[string]any{"KeyId": w.life, "Plaintext": e.plain})
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			_, err := w.hw.EncryptData(ctx, &huawei.EncryptDataRequest{KeyID: w.life, PlainText: huawei.NewSecret("x")})
			return hwWant("KMS.0209", err)
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			return e.aws(ctx, "EnableKey", map[string]any{"KeyId": w.life}, nil)
		},
	},
	{ // Schedule deletion and cancel it.
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct {
				KeyState            string
				PendingWindowInDays int
			}
			err := e.aws(ctx, "ScheduleKeyDeletion", map[string]any{"KeyId": w.life, "PendingWindowInDays": 7}, &out)
			return cmp.Or(err, loadCheck(out.KeyState == "PendingDeletion" && out.PendingWindowInDays == 7, "ScheduleKeyDeletion"))
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			_, err := w.hw.EncryptData(ctx, &huawei.EncryptDataRequest{KeyID: w.life, PlainText: huawei.NewSecret("x")})
			return hwWant("KMS.0210", err)
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
			return e.awsWant(ctx, "KMSInvalidStateException", "GenerateDataKey", map[string]any{"KeyId": w.life, "KeySpec": "AES_256"})
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.CancelKeyDeletion(ctx, &huawei.KeyRequest{KeyID: w.life})
			return cmp.Or(err, loadCheck(err == nil && out.KeyState == "3", "cancel-key-deletion"))
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.EnableKey(ctx, &huawei.KeyRequest{KeyID: w.life})
			return cmp.Or(err, loadCheck(err == nil && out.KeyInfo.KeyState == "2", "enable-key"))
		},
	},
	{ // AWS aliases.
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			return e.aws(ctx, "CreateAlias", map[string]any{"AliasName": w.awsAlias(), "TargetKeyId": w.life}, nil)
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct{ KeyId string }
			err := e.aws(ctx, "Encrypt", map[string]any{"KeyId": w.awsAlias(), "Plaintext": e.plain}, &out)
			return cmp.Or(err, loadCheck(strings.HasSuffix(out.KeyId, ":key/"+w.life), "Encrypt by alias"))
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			return e.awsWant(ctx, "AlreadyExistsException", "CreateAlias", map[string]any{"AliasName": w.awsAlias(), "TargetKeyId": w.dest})
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			return e.aws(ctx, "UpdateAlias", map[string]any{"AliasName": w.awsAlias(), "TargetKeyId": w.dest}, nil)
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct {
				Aliases []struct{ AliasName, TargetKeyId string }
			}
			err := e.aws(ctx, "ListAliases", map[string]any{"KeyId": w.dest}, &out)
			return cmp.Or(err, loadCheck(len(out.Aliases) == 1 && out.Aliases[0].AliasName == w.awsAlias() && out.Aliases[0].TargetKeyId == w.dest, "ListAliases"))
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			return e.aws(ctx, "DeleteAlias", map[string]any{"AliasName": w.awsAlias()}, nil)
		},
	},
	{ // Huawei aliases.
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.CreateAlias(ctx, &huawei.CreateAliasRequest{KeyID: w.life, Alias: w.hwAlias()})
			return cmp.Or(err, loadCheck(err == nil && out.KeyID == w.life && out.Alias == w.hwAlias(), "create-alias"))
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.AssociateAlias(ctx, &huawei.AssociateAliasRequest{Alias: w.hwAlias(), TargetKeyID: w.dest})
			return cmp.Or(err, loadCheck(err == nil && out.KeyID == w.dest, "associate-alias"))
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.ListAliases(ctx, &huawei.ListAliasesRequest{KeyID: w.dest})
			return cmp.Or(err, loadCheck(err == nil && len(*out) == 1 && len((*out)[0].Aliases) == 1 && (*out)[0].Aliases[0].Alias == w.hwAlias(), "list-aliases"))
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			return w.hw.DeleteAlias(ctx, &huawei.DeleteAliasRequest{KeyID: w.dest, Aliases: []string{w.hwAlias()}})
		},
	},
	{ // Tags on both front ends.
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			return e.aws(ctx, "TagResource", map[string]any{"KeyId": w.life, "Tags": []map[string]string{{"TagKey": "env", "TagValue": "load"}}}, nil)
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			return w.hw.CreateKMSTag(ctx, &huawei.CreateKMSTagRequest{KeyID: w.life, Tag: &huawei.TagItem{Key: "worker", Value: strconv.Itoa(w.id)}})
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.ShowKMSTags(ctx, &huawei.KeyTagsRequest{KeyID: w.life})
			return cmp.Or(err, loadCheck(err == nil && len(out.Tags) == 2 && out.ExistTagsNum == 2, "show-kms-tags"))
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			return e.aws(ctx, "UntagResource", map[string]any{"KeyId": w.life, "TagKeys": []string{"env"}}, nil)
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			return w.hw.DeleteKMSTag(ctx, &huawei.DeleteKMSTagRequest{KeyID: w.life, Key: "worker"})
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct{ Tags []any }
			err := e.aws(ctx, "ListResourceTags", map[string]any{"KeyId": w.life}, &out)
			return cmp.Or(err, loadCheck(len(out.Tags) == 0, "ListResourceTags"))
		},
	},
	{ // Names and descriptions.
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			w.tmp["name"] = "life-" + strconv.Itoa(w.id) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
			out, err := w.hw.UpdateKeyAlias(ctx, &huawei.UpdateKeyAliasRequest{KeyID: w.life, KeyAlias: w.tmp["name"]})
			return cmp.Or(err, loadCheck(err == nil && out.KeyInfo.KeyAlias == w.tmp["name"], "update-key-alias"))
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			_, err := w.hw.UpdateKeyDescription(ctx, &huawei.UpdateKeyDescriptionRequest{KeyID: w.life, KeyDescription: "huawei " + w.tmp["name"]})
			return err
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.DescribeKey(ctx, &huawei.KeyRequest{KeyID: w.life})
			return cmp.Or(err, loadCheck(err == nil && out.KeyInfo.KeyAlias == w.tmp["name"] && out.KeyInfo.KeyDescription == "huawei "+w.tmp["name"], "describe-key"))
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			return e.aws(ctx, "UpdateKeyDescription", map[string]any{"KeyId": w.life, "Description": "aws " + w.tmp["name"]}, nil)
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct {
				KeyMetadata struct{ Description, KeyState string }
			}
			err := e.aws(ctx, "DescribeKey", map[string]any{"KeyId": w.life}, &out)
			return cmp.Or(err, loadCheck(out.KeyMetadata.Description == "aws "+w.tmp["name"] && out.KeyMetadata.KeyState == "Enabled", "DescribeKey"))
		},
	},
	{ // Import and delete key material.
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			out, err := w.hw.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{KeyID: w.ext, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
			if err != nil {
				return err
			}
			req, err := huawei.WrapKeyMaterial(out, bytes.Repeat([]byte{byte(w.id)}, 32))
			if err != nil {
				return err
			}
			b, err := json.Marshal(req)
			w.tmp["import"] = string(b)
			return err
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var req huawei.ImportKeyMaterialRequest
			if err := json.Unmarshal([]byte(w.tmp["import"]), &req); err != nil {
				return err
			}
			return w.hw.ImportKeyMaterial(ctx, &req)
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			var out struct{ CiphertextBlob []byte }
			err := e.aws(ctx, "Encrypt", map[string]any{"KeyId": w.ext, "Plaintext": e.plain}, &out)
			return cmp.Or(err, loadCheck(len(out.CiphertextBlob) > 0, "Encrypt under imported material"))
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			return e.aws(ctx, "DeleteImportedKeyMaterial", map[string]any{"KeyId": w.ext}, nil)
		},
		func(ctx context.Context, e *loadEnv, w *loadWorker) error {
			// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html:
			// a key pending import refuses cryptographic operations.
			return e.awsWant(ctx, "KMSInvalidStateException", "Encrypt", map[string]any{"KeyId": w.ext, "Plaintext": e.plain})
		},
	},
}

func (w *loadWorker) awsAlias() string { return "alias/load-" + strconv.Itoa(w.id) }
func (w *loadWorker) hwAlias() string  { return "load-" + strconv.Itoa(w.id) }

// loadImporters is how many workers run the import segment, whose
// get-parameters-for-import generates an RSA-2048 wrapping key.
const loadImporters = 4

// lifecycleStep runs the worker's next lifecycle request.
func lifecycleStep(ctx context.Context, e *loadEnv, w *loadWorker) error {
	if w.seg == len(lifecycleSegments)-1 && w.step == 0 && w.id >= loadImporters {
		w.seg = 0
	}
	seg := lifecycleSegments[w.seg]
	err := seg[w.step](ctx, e, w)
	if w.step++; w.step == len(seg) {
		if err == nil {
			e.segmentsDone[w.seg].Add(1)
		}
		w.seg, w.step = (w.seg+1)%len(lifecycleSegments), 0
	}
	return err
}
