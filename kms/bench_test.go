package kms

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/internal/cpuclock"
	"github.com/qtenclave/qtenclave/internal/httpsig"
	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/recipient"
)

// The benchmarks of the server's CPU per request call Server.ServeHTTP
// directly, in one goroutine, with a prepared request: what they time is
// the server's work once net/http has read the request (body, credentials,
// decoding, the core, the answer, the log line). Their baseline runs
// interleaved in the same loop, so that the machine's load falls on both;
// "x" is ours over the baseline (see cpuRatio).
//
// The log goes where kms serve sends it, a JSON handler on a file: here
// /dev/null, so that each line costs its formatting and its write system
// call.

// benchServer returns a server with the benchmarks' logger and data
// directory ("" for memory).
func benchServer(b *testing.B, dir string) *Server {
	b.Helper()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := NewServer(Options{
		DataDir: dir, Token: testToken, AccessKey: testAK, SecretKey: testSK,
		Roots:  []*x509.Certificate{attestationtest.Root()},
		Logger: slog.New(slog.NewJSONHandler(null, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		srv.Close()
		null.Close()
	})
	return srv
}

// direct serves prepared requests with a handler's ServeHTTP (the
// server's, or a baseline's), keeping the answer.
type direct struct {
	srv    http.Handler
	header http.Header
	status int
	body   bytes.Buffer
}

func (d *direct) Header() http.Header { return d.header }

func (d *direct) WriteHeader(code int) {
	if d.status == 0 {
		d.status = code
	}
}

func (d *direct) Write(p []byte) (int, error) {
	d.WriteHeader(http.StatusOK)
	return d.body.Write(p)
}

// serve answers r, whose body is body, and requires a 200.
func (d *direct) serve(b *testing.B, r *http.Request, body []byte) {
	if d.header == nil {
		d.header = http.Header{}
	}
	clear(d.header)
	d.status = 0
	d.body.Reset()
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	d.srv.ServeHTTP(d, r)
	if d.status != http.StatusOK {
		b.Fatalf("status %d: %s", d.status, d.body.Bytes())
	}
}

// huaweiRequest returns a request for a Huawei operation signed as the
// official SDK signs it (SDK-HMAC-SHA256 over user-agent, x-project-id and
// x-sdk-date), with the SDK's trailing newline.
func huaweiRequest(b *testing.B, op string, v any) (*http.Request, []byte) {
	b.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	body = append(body, '\n')
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/v1.0/"+testProject+"/kms/"+op, nil)
	r.Header.Set("Content-Type", "application/json;charset=UTF-8")
	r.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0")
	r.Header.Set("X-Project-Id", testProject)
	httpsig.SignSDK(r, body, testAK, testSK, []string{"user-agent", "x-project-id", "x-sdk-date"}, time.Now())
	return r, body
}

// cpuRatio runs ours and baseline interleaved on one locked thread, timed
// with its CPU clock, reports both per operation (and the bytes each
// allocates) and their ratio "x", and returns their totals. prepare, if not
// nil, runs untimed before each ours.
//
// The garbage collector runs only between rounds of gcEvery iterations,
// untimed: run concurrently, its work falls on whichever side is running
// when it does, whoever made the garbage, and swung the ratios by a third.
// The allocations show what it would cost.
func cpuRatio(b *testing.B, prepare func(), ours, baseline func()) (o, base time.Duration) {
	const (
		gcEvery   = 16
		allocsPer = 16 // allocations are read every allocsPer iterations (ReadMemStats stops the world)
	)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	ours()
	baseline()
	var oBytes, baseBytes uint64
	i, sampled := 0, 0
	for b.Loop() {
		if i++; i%gcEvery == 0 {
			b.StopTimer()
			runtime.GC()
			b.StartTimer()
		}
		if prepare != nil {
			prepare()
		}
		// Each goes first every other iteration: the second of a pair
		// ran some 5% faster, in caches the first warmed.
		first, second := ours, baseline
		if i%2 == 1 {
			first, second = baseline, ours
		}
		count := i%allocsPer == 0
		var a0, a1, a2 uint64
		if count {
			a0 = allocated()
		}
		t0 := cpuclock.Thread()
		first()
		t1 := cpuclock.Thread()
		if count {
			a1 = allocated()
		}
		t2 := cpuclock.Thread()
		second()
		t3 := cpuclock.Thread()
		if count {
			a2 = allocated()
		}
		d1, d2, n1, n2 := t1-t0, t3-t2, a1-a0, a2-a1
		if i%2 == 1 {
			d1, d2, n1, n2 = d2, d1, n2, n1
		}
		o, base = o+d1, base+d2
		if count {
			oBytes, baseBytes, sampled = oBytes+n1, baseBytes+n2, sampled+1
		}
	}
	b.ReportMetric(float64(o.Nanoseconds())/1e3/float64(b.N), "ours-us/op")
	b.ReportMetric(float64(base.Nanoseconds())/1e3/float64(b.N), "baseline-us/op")
	if sampled > 0 {
		b.ReportMetric(float64(oBytes)/float64(sampled), "ours-B/op")
		b.ReportMetric(float64(baseBytes)/float64(sampled), "baseline-B/op")
	}
	b.ReportMetric(float64(o)/float64(base), "x")
	return o, base
}

// allocated returns the bytes allocated on the heap so far, exactly
// (ReadMemStats flushes the per-processor caches; it is not timed).
func allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// BenchmarkDeriveSharedSecretCPU measures the server's CPU per
// derive-shared-secret request (Huawei front end, signed as the SDK signs)
// on an EC_P256 key against the cryptography the request needs, issue 14's
// measure:
//
//	recipient-repeat: the enclave's document again (it is cached); baseline:
//	                  the ECDH (the peer key parsed and multiplied) and the
//	                  sealing to the enclave (RSA-OAEP, AES-CBC, the CMS
//	                  envelope) - target 1.3x
//	recipient-fresh:  a fresh document from a known enclave (its leaf
//	                  cached); baseline: those and one P-384 signature
//	                  check - target 1.3x
//	no-recipient:     baseline: the ECDH alone - target 1.5x
//
// recipient-fresh signs a new document and request before each request,
// untimed.
func BenchmarkDeriveSharedSecretCPU(b *testing.B) {
	srv := benchServer(b, "")
	d := &direct{srv: srv}
	e := newEnclave(b)
	peerPKCS8 := readTestKey(b, "test_p256_key.pem")
	peer, err := keyspec.ParsePrivateKey(peerPKCS8)
	if err != nil {
		b.Fatal(err)
	}
	peerSPKI := peer.PublicKey().MarshalPKIX()

	// A key agreement key, and its private key for the baseline's ECDH
	// (the server's side: its key, the peer's public key).
	r, body := huaweiRequest(b, "create-key", map[string]any{"key_alias": "bench", "key_spec": "EC_P256", "key_usage": "KEY_AGREEMENT"})
	d.serve(b, r, body)
	var created struct {
		KeyInfo struct {
			KeyID string `json:"key_id"`
		} `json:"key_info"`
	}
	if err := json.Unmarshal(d.body.Bytes(), &created); err != nil {
		b.Fatal(err)
	}
	id := created.KeyInfo.KeyID
	// The baseline's ECDH runs on the server's side: a parsed P-256 key
	// (of the same cost as the KMS's) and the peer's public key, parsed.
	kmsKey, err := keyspec.GenerateKey(keyspec.P256)
	if err != nil {
		b.Fatal(err)
	}
	ecdh := func() []byte {
		pub, err := keyspec.ParsePublicKey(peerSPKI)
		if err != nil {
			b.Fatal(err)
		}
		secret, err := kmsKey.ECDH(pub)
		if err != nil {
			b.Fatal(err)
		}
		return secret
	}

	first := e.document(b, nil)
	raw, _ := base64.StdEncoding.DecodeString(first)
	doc, err := attestation.Verify(raw, attestation.VerifyOptions{Roots: []*x509.Certificate{attestationtest.Root()}})
	if err != nil {
		b.Fatal(err)
	}
	seal := func(secret []byte) {
		if _, err := recipient.SealToDocument(secret, doc, recipient.SealOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	// One P-384 signature check, as attestation makes one per new
	// document (over a SHA-384 digest).
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha512.Sum384([]byte("document"))
	sig, err := ecdsa.SignASN1(rand.Reader, p384, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	verify := func() {
		if !ecdsa.VerifyASN1(&p384.PublicKey, digest[:], sig) {
			b.Fatal("baseline signature does not verify")
		}
	}

	deriveBody := func(document string) map[string]any {
		m := map[string]any{"key_id": id, "key_agreement_algorithm": "ECDH", "public_key": base64.StdEncoding.EncodeToString(peerSPKI)}
		if document != "" {
			m["recipient"] = map[string]any{"attestation_document": document, "key_encryption_algorithm": "RSAES_OAEP_SHA_256"}
		}
		return m
	}

	b.Run("recipient-repeat", func(b *testing.B) {
		r, body := huaweiRequest(b, "derive-shared-secret", deriveBody(first))
		cpuRatio(b, nil, func() { d.serve(b, r, body) }, func() { seal(ecdh()) })
	})
	b.Run("recipient-fresh", func(b *testing.B) {
		leaf := doc.Chain[0].Raw
		var r *http.Request
		var body []byte
		prepare := func() {
			fresh := e.document(b, func(o *attestationtest.Options) { o.Leaf = leaf })
			r, body = huaweiRequest(b, "derive-shared-secret", deriveBody(fresh))
		}
		prepare()
		cpuRatio(b, prepare, func() { d.serve(b, r, body) }, func() { verify(); seal(ecdh()) })
	})
	b.Run("no-recipient", func(b *testing.B) {
		r, body := huaweiRequest(b, "derive-shared-secret", deriveBody(""))
		cpuRatio(b, nil, func() { d.serve(b, r, body) }, func() { ecdh() })
	})
}

// BenchmarkRequestLog measures the request log's share of a cheap
// request's CPU: AWS Encrypt (SigV4) served by a server that logs each
// request as kms serve does (a JSON handler on a file) and by one whose
// logger discards, interleaved. "x" is the logging server's CPU over the
// other's; "log-share" is the log's part of the logging server's.
func BenchmarkRequestLog(b *testing.B) {
	logging := benchServer(b, "")
	quiet, err := NewServer(Options{Token: testToken, AccessKey: testAK, SecretKey: testSK})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { quiet.Close() })
	dl, dq := &direct{srv: logging}, &direct{srv: quiet}
	reqs := make(map[*Server]func() (*http.Request, []byte))
	for _, srv := range []*Server{logging, quiet} {
		d := &direct{srv: srv}
		r, body := awsBenchRequest(b, "CreateKey", `{}`)
		d.serve(b, r, body)
		var out struct{ KeyMetadata struct{ KeyId string } }
		if err := json.Unmarshal(d.body.Bytes(), &out); err != nil {
			b.Fatal(err)
		}
		req := `{"KeyId":"` + out.KeyMetadata.KeyId + `","Plaintext":"aGVsbG8gd29ybGQ="}`
		reqs[srv] = func() (*http.Request, []byte) { return awsBenchRequest(b, "Encrypt", req) }
	}
	rl, bl := reqs[logging]()
	rq, bq := reqs[quiet]()
	o, base := cpuRatio(b, nil, func() { dl.serve(b, rl, bl) }, func() { dq.serve(b, rq, bq) })
	b.ReportMetric(float64(o-base)/float64(o), "log-share")
}

// awsBenchRequest returns an AWS JSON 1.1 request signed with SigV4 as the
// tests sign (host, content-type, x-amz-date, x-amz-target).
func awsBenchRequest(b *testing.B, op, body string) (*http.Request, []byte) {
	b.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", nil)
	r.Header.Set("Content-Type", awsContentType)
	r.Header.Set("X-Amz-Target", "TrentService."+op)
	signAWSTest(r, []byte(body), testAK, testSK, time.Now())
	return r, []byte(body)
}
