package kms

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qtenclave/qtenclave/kms/internal/awsapi"
	"github.com/qtenclave/qtenclave/kms/internal/core"
	"github.com/qtenclave/qtenclave/kms/internal/huaweiapi"
	"github.com/qtenclave/qtenclave/kms/internal/store"
	"github.com/qtenclave/qtenclave/kms/policy"
)

// Options configures a Server. The zero value is not usable on its own: a
// server needs a token or an access key pair to let anyone in.
type Options struct {
	// DataDir holds the key store (keys.db, with its journal) and its
	// master key (master.key).
	// If empty, keys live in memory and die with the server.
	DataDir string

	// Token is accepted in X-Auth-Token. Empty: tokens are refused.
	Token string

	// AccessKey and SecretKey verify SDK-HMAC-SHA256 (Huawei SDK) and
	// AWS4-HMAC-SHA256 signatures. Empty: signatures are refused.
	AccessKey string
	SecretKey string

	// Roots are trusted attestation roots added to the attestation
	// package's embedded roots (AWS Nitro and Huawei QingTian).
	Roots []*x509.Certificate

	// Principal is the IAM ARN that every authenticated caller acts as in
	// key policies, whatever its credential and front end: the local KMS
	// has one identity. A key policy that names a role works unchanged when
	// Principal is that role. Empty: the account's root,
	// arn:aws:iam::ACCOUNT:root.
	Principal string
	// Account is the 12-digit AWS account that owns every key (the account
	// of key ARNs, KeyMetadata.AWSAccountId and default key policies).
	// Empty: Principal's account, or 000000000000.
	Account string
	// Region is the region of key ARNs (and of the URNs that Huawei IAM
	// policies name keys by). Empty: us-east-1.
	Region string
	// SeedARNs answers key ARNs in seed 001's form arn:verenc:ACCOUNT:key/ID
	// instead of AWS's arn:aws:kms:REGION:ACCOUNT:key/ID. Both are accepted
	// on input either way.
	SeedARNs bool

	// HuaweiPolicies are Huawei Cloud IAM identity policy documents
	// (Version "1.1" or "5.0", see package policy) that hold the Huawei
	// front end's callers (token and AK/SK): a Huawei call is then allowed
	// only if the key's policy allows it and these policies allow the
	// operation's Huawei action; an explicit Deny in any of them wins.
	// None: Huawei callers have every IAM permission, and key policies
	// alone decide.
	HuaweiPolicies [][]byte

	// Logger receives the request log (see the package doc), without
	// secrets. Nil discards logs.
	Logger *slog.Logger
}

// Format prints Options with the token and secret key redacted, so that a
// configuration can be logged.
func (o Options) Format(f fmt.State, verb rune) {
	redact := func(s string) string {
		if s == "" {
			return ""
		}
		return "REDACTED"
	}
	fmt.Fprintf(f, "{DataDir:%s Token:%s AccessKey:%s SecretKey:%s Roots:%d Principal:%s Account:%s Region:%s SeedARNs:%t HuaweiPolicies:%d}",
		o.DataDir, redact(o.Token), o.AccessKey, redact(o.SecretKey), len(o.Roots), o.Principal, o.Account, o.Region, o.SeedARNs, len(o.HuaweiPolicies))
}

// Server is a local KMS. It is an http.Handler serving the Huawei REST
// front end (POST /v1.0/{project_id}/kms/<operation>) and the AWS JSON 1.1
// front end (POST / with X-Amz-Target) on one listener.
type Server struct {
	core *core.KMS
	*secrets
	huawei frontEnd
	aws    frontEnd
	log    *slog.Logger
	ids    *requestIDs
	sample *logSampler
}

// secrets holds the server's credentials two pointers away from the
// Server. fmt prints a pointer that it meets with a verb for other kinds
// (%s, %q, %e, ...) by printing what it points to, one level deep, even in
// an unexported field, where no Format method is called; the second pointer
// is printed as an address.
type secrets struct {
	creds *core.Credentials
}

// frontEnd is a wire API of the server (huaweiapi.API, awsapi.API).
type frontEnd interface {
	// Operation names the operation that r asks for, for the log: a
	// known name or a bounded copy of the caller's.
	Operation(r *http.Request) string
	// Serve answers an authenticated request whose body was read within
	// the limit; it returns the operation's name and its error, for the
	// log.
	Serve(w http.ResponseWriter, r *http.Request, body []byte, c core.Caller) (op string, err error)
	// WriteError answers with err in the wire's error shape.
	WriteError(w http.ResponseWriter, err error)
	// ErrorCode returns err's code on the wire, for the log.
	ErrorCode(err error) string
}

// Limits of the HTTP server.
const (
	// maxBodyBytes bounds a request body: the largest legitimate one is an
	// attestation document (at most core.MaxDocumentLen bytes, base64-encoded)
	// inside a small JSON object.
	maxBodyBytes      = 64 << 10
	maxHeaderBytes    = 16 << 10
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	// writeTimeout allows for RSA-4096 data key pair generation on a busy
	// machine.
	writeTimeout    = 60 * time.Second
	idleTimeout     = 2 * time.Minute
	shutdownTimeout = 10 * time.Second
)

// NewServer opens the key store and returns a server. Close it to release
// the store. A master key that is not the store's is refused; a master key
// or data directory that other users may read or write is logged as a
// warning.
func NewServer(opts Options) (*Server, error) {
	if opts.Token == "" && opts.AccessKey == "" {
		return nil, errors.New("kms: a token or an access key is required")
	}
	if (opts.AccessKey == "") != (opts.SecretKey == "") {
		return nil, errors.New("kms: an access key needs a secret key and the reverse")
	}
	s := &Server{log: opts.Logger, ids: newRequestIDs(), sample: new(logSampler), secrets: &secrets{core.NewCredentials(opts.Token, opts.AccessKey, opts.SecretKey)}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	copts := core.Options{
		DataDir: opts.DataDir, Roots: opts.Roots,
		Principal: opts.Principal, Account: opts.Account, Region: opts.Region, SeedARNs: opts.SeedARNs,
	}
	for i, doc := range opts.HuaweiPolicies {
		p, err := policy.ParseHuawei(doc)
		if err != nil {
			return nil, fmt.Errorf("kms: Huawei IAM policy %d: %w", i+1, err)
		}
		copts.HuaweiPolicies = append(copts.HuaweiPolicies, p)
	}
	k, err := core.New(copts)
	if err != nil {
		return nil, err
	}
	for _, w := range store.LoosePermissions(opts.DataDir) {
		s.log.Warn(w)
	}
	s.core, s.huawei, s.aws = k, huaweiapi.New(k), awsapi.New(k)
	return s, nil
}

// Close releases the key store.
func (s *Server) Close() error { return s.core.Close() }

// Serve answers HTTP requests on ln until ctx is done, then shuts down
// gracefully: it stops accepting, lets requests in flight finish (for up to
// ten seconds) and returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-errc
	return err
}

// statusWriter records the status a handler wrote, for the log. ServeHTTP
// takes one from statusWriters and puts it back when it returns: nothing
// keeps a ResponseWriter past its request.
type statusWriter struct {
	http.ResponseWriter
	status int
}

var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP routes a request to its front end after reading the body within
// the limit and authenticating it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := s.ids.next()
	// One slice holds the ID for both headers (net/http only reads a
	// header's values), set in the map directly: the names are canonical.
	ridHeader := []string{rid}
	h := w.Header()
	h["X-Request-Id"] = ridHeader
	sw := statusWriters.Get().(*statusWriter)
	sw.ResponseWriter, sw.status = w, 0

	// The request's shape picks its front end: AWS JSON 1.1 is POST / with
	// X-Amz-Target, anything else is for the Huawei REST API.
	api, fe := core.APIHuawei, s.huawei
	// Header names are read from the map directly, canonical as net/http
	// stores them: Get canonicalizes its argument on every call.
	if t := r.Header["X-Amz-Target"]; r.URL.Path == "/" && len(t) > 0 && t[0] != "" {
		api, fe = "aws", s.aws
		h["X-Amzn-Requestid"] = ridHeader
	}
	op := fe.Operation(r)
	var failure error
	defer func() {
		// A panic in a handler is a bug, never the caller's doing: answer
		// 500 with the error JSON (if nothing was written yet) instead of
		// dropping the connection, and log what kind of panic it was but
		// not its value, which could hold request data.
		if p := recover(); p != nil {
			cause := fmt.Sprintf("panic %T", p)
			if re, ok := p.(runtime.Error); ok {
				cause = "panic: " + re.Error()
			}
			failure = errors.New(cause)
			if sw.status == 0 {
				fe.WriteError(sw, failure)
			}
		}
		s.logRequest(r.Context(), start, rid, api, op, sw.status, failure, fe)
		sw.ResponseWriter = nil
		statusWriters.Put(sw)
	}()

	// The Huawei front end also routes GET and DELETE (aliases, tags).
	if r.Method != http.MethodPost && (api != core.APIHuawei || (r.Method != http.MethodGet && r.Method != http.MethodDelete)) {
		failure = core.Errorf(core.KindMethodNotAllowed, "method %s is not allowed", r.Method)
		fe.WriteError(sw, failure)
		return
	}
	body, buf, err := readBody(sw, r)
	if buf != nil {
		defer releaseBody(buf)
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			failure = core.Errorf(core.KindTooLarge, "request body is larger than %d bytes", maxBodyBytes)
		} else {
			failure = core.Errorf(core.KindMalformedRequest, "request body could not be read")
		}
		fe.WriteError(sw, failure)
		return
	}
	caller, err := s.authenticate(r, body, api)
	if err != nil {
		failure = err
		fe.WriteError(sw, failure)
		return
	}
	op, failure = fe.Serve(sw, r, body, caller)
}

// readBody reads the body within maxBodyBytes: into one buffer of the
// announced length when there is one (io.ReadAll grows its buffer some ten
// times for an attestation document), checking that no more follows. A
// body of up to maxPooledBody bytes is read into a buffer of bodyBufs,
// returned as buf: release it with releaseBody once the request is
// answered (nothing keeps a slice of a body: the decoders copy what they
// take). buf is nil otherwise.
func readBody(w http.ResponseWriter, r *http.Request) (body []byte, buf *[]byte, err error) {
	if r.ContentLength < 0 || r.ContentLength > maxBodyBytes {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			return nil, nil, err
		}
		return body, nil, nil
	}
	// Within the limit: net/http's body ends at Content-Length, so
	// http.MaxBytesReader (an allocation) has nothing to stop; a body
	// that does not end there is refused as it would have refused it.
	n := int(r.ContentLength)
	if n < maxPooledBody {
		buf = bodyBufs.Get().(*[]byte)
		if cap(*buf) < n+1 {
			*buf = make([]byte, 0, n+1)
		}
		*buf = (*buf)[:n+1] // the spare byte takes what would follow
		body = (*buf)[: n : n+1]
	} else {
		body = make([]byte, n, n+1)
	}
	if body, err = readExactly(r.Body, body); err != nil && buf != nil {
		releaseBody(buf)
		buf = nil
	}
	return body, buf, err
}

// readExactly reads len(body) bytes into body, which has room for one
// more, and checks that the reader ends there.
func readExactly(rd io.Reader, body []byte) ([]byte, error) {
	n := len(body)
	if _, err := io.ReadFull(rd, body); err != nil {
		return nil, err
	}
	switch _, err := io.ReadFull(rd, body[n:n+1]); err {
	case io.EOF:
		return body, nil
	case nil:
		if n == maxBodyBytes {
			return nil, &http.MaxBytesError{Limit: maxBodyBytes}
		}
		return nil, errors.New("kms: body longer than its Content-Length")
	default:
		return nil, err
	}
}

// maxPooledBody bounds the bodies read into a pooled buffer: a data path
// request is a few hundred bytes; an attestation document's is left to the
// collector.
const maxPooledBody = 4 << 10

// bodyBufs holds request body buffers, all zero: a body may hold a
// plaintext (Encrypt) or secrets, so releaseBody clears what a request put
// in one before it is reused.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// releaseBody clears a buffer of bodyBufs and puts it back.
func releaseBody(buf *[]byte) {
	clear(*buf)
	*buf = (*buf)[:0]
	bodyBufs.Put(buf)
}

// logRequest writes the request's log line: its ID, front end, operation,
// status and duration, and for a failure the error code and message (which
// name fields, never their content) and, for an internal error, its cause.
// Every failure is logged; successes up to successLogRate a second (of
// their start), the others counted in a line of their own (see the package
// doc). The line is built only for a logger that takes it, with the time
// read once and the attributes in the record itself (a success's five fit
// without an allocation); a success that is not logged reads no clock.
func (s *Server) logRequest(ctx context.Context, start time.Time, rid, api, op string, status int, failure error, fe frontEnd) {
	h := s.log.Handler()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	log, skipped := s.sample.admit(start, failure == nil)
	if !log && skipped == 0 {
		return
	}
	end := time.Now()
	if skipped > 0 {
		rec := slog.NewRecord(end, slog.LevelInfo, "requests not logged", 0)
		rec.AddAttrs(slog.Int("count", skipped), slog.Duration("within", time.Second))
		h.Handle(ctx, rec)
	}
	if !log {
		return
	}
	rec := slog.NewRecord(end, slog.LevelInfo, "request", 0)
	rec.AddAttrs(slog.String("id", rid), slog.String("api", api), slog.String("op", op),
		slog.Int("status", status), slog.Duration("duration", end.Sub(start)))
	if failure != nil {
		k, msg := core.KindOf(failure)
		rec.AddAttrs(slog.String("code", fe.ErrorCode(failure)), slog.String("error", msg))
		if k == core.KindInternal {
			rec.AddAttrs(slog.String("cause", failure.Error()))
		}
	}
	h.Handle(ctx, rec)
}

// successLogRate is how many successful requests a second get a log line:
// all of them while a developer tries the server by hand or runs a test
// suite at a modest pace, a few under load, where the line (formatting and
// a write) was a fifth of a cheap request's CPU.
const successLogRate = 100

// logSampler admits every failure to the log and successLogRate successes
// a second (of the wall clock), and counts the successes it turns away.
type logSampler struct {
	mu      sync.Mutex
	second  int64 // the second being counted
	logged  int   // successes logged in it
	skipped int   // successes not logged in it
}

// admit reports whether a request that started at t is logged and, when t
// opens a new second, how many successes the last one did not log. A
// request that started before the second being counted (it ran longer than
// those after it) is counted in that second.
func (l *logSampler) admit(t time.Time, success bool) (log bool, skipped int) {
	sec := t.Unix()
	l.mu.Lock()
	defer l.mu.Unlock()
	if sec > l.second {
		skipped = l.skipped
		l.second, l.logged, l.skipped = sec, 0, 0
	}
	switch {
	case !success:
		return true, skipped
	case l.logged < successLogRate:
		l.logged++
		return true, skipped
	}
	l.skipped++
	return false, skipped
}

// requestIDs makes request IDs: 32 hex digits, a random prefix drawn when
// the server starts and a counter, so that IDs are unique across restarts
// without reading the random source per request.
type requestIDs struct {
	prefix [8]byte
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	ids := new(requestIDs)
	rand.Read(ids.prefix[:])
	return ids
}

func (ids *requestIDs) next() string {
	var b [16]byte
	copy(b[:8], ids.prefix[:])
	binary.BigEndian.PutUint64(b[8:], ids.n.Add(1))
	var h [32]byte
	hex.Encode(h[:], b[:])
	return string(h[:])
}
