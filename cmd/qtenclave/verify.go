package main

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/qtenclave/qtenclave/attestation"
)

func init() {
	commands["verify"] = runVerify
	commands["inspect"] = runInspect
}

// maxDocumentFile bounds what verify and inspect read: a document is at
// most 64 KiB, or about 88 KiB as base64; anything much larger is not one.
const maxDocumentFile = 1 << 20

const verifyUsage = `usage: qtenclave verify [flags] FILE

Verify the attestation document in FILE (raw CBOR or base64; '-' for stdin).
Exit status: 0 verified, 1 rejected (the reason on stderr), 2 usage error.

flags:
`

func runVerify(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, verifyUsage); fs.PrintDefaults() }
	var opts attestation.VerifyOptions
	at := fs.String("at", "now", "verification time: now, document (the document's own timestamp) or an RFC 3339 time")
	platform := fs.String("platform", "auto", "required platform: auto (decided by the root), nitro or qingtian")
	fs.Func("root", "trusted root `FILE.pem` (repeatable); replaces the embedded roots", func(name string) error {
		roots, err := readRoots(name)
		opts.Roots = append(opts.Roots, roots...)
		return err
	})
	fs.Func("pcr", "expected PCR value `N=HEX` (repeatable)", func(s string) error {
		n, h, ok := strings.Cut(s, "=")
		i, err := strconv.Atoi(n)
		if !ok || err != nil || i < 0 || i > 31 {
			return errors.New("want N=HEX with N in 0..31")
		}
		v, err := hex.DecodeString(h)
		if err != nil {
			return err
		}
		if opts.PCRs == nil {
			opts.PCRs = map[int][]byte{}
		}
		opts.PCRs[i] = v
		return nil
	})
	hexFlag(fs, &opts.Nonce, "nonce", "expected nonce")
	hexFlag(fs, &opts.UserData, "user-data", "expected user_data")
	fs.DurationVar(&opts.MaxAge, "max-age", 0, "reject documents older than this `duration` (e.g. 5m)")
	fs.BoolVar(&opts.AllowDebug, "allow-debug", false, "accept enclaves in debug mode (PCR0, PCR1 and PCR2 all zero)")
	jsonOut := fs.Bool("json", false, "print one JSON object")
	file, ok := parseArgs(fs, args, stderr)
	if !ok {
		return 2
	}
	if err := setVerifyTime(&opts, *at); err != nil {
		fmt.Fprintf(stderr, "qtenclave verify: %v\n", err)
		return 2
	}
	switch *platform {
	case "auto":
	case "nitro":
		opts.Platform = attestation.Nitro
	case "qingtian":
		opts.Platform = attestation.QingTian
	default:
		fmt.Fprintf(stderr, "qtenclave verify: --platform: want auto, nitro or qingtian, not %q\n", *platform)
		return 2
	}

	raw, err := readDocument(file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave verify: %v\n", err)
		return 1
	}
	doc, err := attestation.Verify(raw, opts)
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave verify: rejected: %v\n", err)
		return 1
	}
	report := reportOf(true, doc.Platform, doc.ModuleID, doc.Timestamp, doc.Digest, doc.PCRs, doc.PublicKey, doc.UserData, doc.Nonce, doc.Chain)
	if *jsonOut {
		return writeJSON(stdout, stderr, report)
	}
	when := "at the current time"
	switch {
	case opts.AtDocumentTime:
		when = "as of its own timestamp (this says nothing about freshness)"
	case !opts.Time.IsZero():
		when = "as of " + opts.Time.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(stdout, "verified %s attestation document %s\n", doc.Platform, when)
	report.writeText(stdout)
	return 0
}

const inspectUsage = `usage: qtenclave inspect FILE

Decode the attestation document in FILE (raw CBOR or base64; '-' for stdin)
WITHOUT verifying it, and print it as one JSON object with "verified": false.
`

func runInspect(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, inspectUsage) }
	file, ok := parseArgs(fs, args, stderr)
	if !ok {
		return 2
	}
	raw, err := readDocument(file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave inspect: %v\n", err)
		return 1
	}
	u, err := attestation.Decode(raw)
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave inspect: %v\n", err)
		return 1
	}
	return writeJSON(stdout, stderr, reportOf(false, u.Platform, u.ModuleID, u.Timestamp, u.Digest, u.PCRs, u.PublicKey, u.UserData, u.Nonce, u.Chain))
}

// parseArgs parses flags given before or after the one FILE argument.
func parseArgs(fs *flag.FlagSet, args []string, stderr io.Writer) (file string, ok bool) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", false
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		fmt.Fprintf(stderr, "qtenclave %s: want one FILE, got %d\n", fs.Name(), len(files))
		fs.Usage()
		return "", false
	}
	return files[0], true
}

func hexFlag(fs *flag.FlagSet, p *[]byte, name, usage string) {
	fs.Func(name, usage+" (`HEX`)", func(s string) error {
		b, err := hex.DecodeString(s)
		if err != nil {
			return err
		}
		*p = b
		return nil
	})
}

// setVerifyTime sets the verification time of opts from an --at flag:
// now, document (the document's own timestamp) or an RFC 3339 time.
func setVerifyTime(opts *attestation.VerifyOptions, at string) error {
	switch at {
	case "now":
	case "document":
		opts.AtDocumentTime = true
	default:
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return fmt.Errorf("--at: want now, document or an RFC 3339 time: %v", err)
		}
		opts.Time = t
	}
	return nil
}

func readRoots(name string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var roots []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		roots = append(roots, c)
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate", name)
	}
	return roots, nil
}

// readDocument reads FILE ('-' is stdin) and decodes base64 text; raw CBOR
// (a COSE_Sign1 starts with 0x84, or 0xd2 when tagged) is returned as is.
func readDocument(file string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxDocumentFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxDocumentFile {
		return nil, fmt.Errorf("%s: larger than %d bytes: not an attestation document", file, maxDocumentFile)
	}
	if len(b) > 0 && (b[0] == 0x84 || b[0] == 0xd2) {
		return b, nil
	}
	text := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, string(b))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if d, err := enc.DecodeString(text); err == nil {
			return d, nil
		}
	}
	return b, nil // neither: let the parser say what is wrong
}

// report is what verify and inspect print, in the CLI contract's order.
type report struct {
	Verified  bool      `json:"verified"`
	Platform  string    `json:"platform"`
	ModuleID  string    `json:"module_id"`
	Timestamp string    `json:"timestamp"`
	Digest    string    `json:"digest"`
	PCRs      pcrs      `json:"pcrs"`
	PublicKey hexOrNull `json:"public_key"`
	UserData  hexOrNull `json:"user_data"`
	Nonce     hexOrNull `json:"nonce"`
	Chain     []string  `json:"chain"`
}

func reportOf(verified bool, p attestation.Platform, moduleID string, ts time.Time, digest string, pcrMap map[int][]byte, publicKey, userData, nonce []byte, chain []*x509.Certificate) *report {
	platform := p.String()
	r := &report{
		Verified: verified, Platform: platform, ModuleID: moduleID,
		Timestamp: ts.UTC().Format(rfc3339Milli), Digest: digest, PCRs: pcrMap,
		PublicKey: publicKey, UserData: userData, Nonce: nonce,
	}
	for _, c := range chain {
		r.Chain = append(r.Chain, c.Subject.String())
	}
	return r
}

func writeJSON(stdout, stderr io.Writer, r *report) int {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave: %v\n", err)
		return 1
	}
	stdout.Write(append(b, '\n'))
	return 0
}

// writeText prints the report for a person: every field on its own line,
// long byte strings shortened (--json has them in full).
func (r *report) writeText(w io.Writer) {
	fmt.Fprintf(w, "  module_id   %s\n", r.ModuleID)
	fmt.Fprintf(w, "  timestamp   %s\n", r.Timestamp)
	fmt.Fprintf(w, "  digest      %s\n", r.Digest)
	for _, i := range slices.Sorted(maps.Keys(r.PCRs)) {
		v := r.PCRs[i]
		if bytes.Count(v, []byte{0}) == len(v) {
			fmt.Fprintf(w, "  pcr%-2d       zero\n", i)
			continue
		}
		fmt.Fprintf(w, "  pcr%-2d       %x\n", i, v)
	}
	for _, f := range []struct {
		name string
		v    []byte
	}{{"public_key", r.PublicKey}, {"user_data", r.UserData}, {"nonce", r.Nonce}} {
		fmt.Fprintf(w, "  %-11s %s\n", f.name, describe(f.v))
	}
	for i, s := range r.Chain {
		label := ""
		if i == 0 {
			label = "chain"
		}
		fmt.Fprintf(w, "  %-11s %s\n", label, s)
	}
}

// describe shows a byte string briefly: its length, then printable text
// quoted or the first 32 bytes in hex.
func describe(b []byte) string {
	if b == nil {
		return "none"
	}
	s := fmt.Sprintf("%d bytes", len(b))
	const max = 32
	switch {
	case len(b) == 0:
	case isPrintable(b):
		if len(b) > 2*max {
			return fmt.Sprintf("%s %q…", s, b[:2*max])
		}
		return fmt.Sprintf("%s %q", s, b)
	case len(b) > max:
		return fmt.Sprintf("%s %x…", s, b[:max])
	default:
		return fmt.Sprintf("%s %x", s, b)
	}
	return s
}

func isPrintable(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 || c > 0x7e) && c != '\n' {
			return false
		}
	}
	return true
}

// pcrs marshals as {"0": hex, "1": hex, ...} in numeric order.
type pcrs map[int][]byte

func (p pcrs) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for n, i := range slices.Sorted(maps.Keys(p)) {
		if n > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%q:%q", strconv.Itoa(i), hex.EncodeToString(p[i]))
	}
	return append(b, '}'), nil
}

// hexOrNull marshals as a hex string, or null when nil.
type hexOrNull []byte

func (h hexOrNull) MarshalJSON() ([]byte, error) {
	if h == nil {
		return []byte("null"), nil
	}
	return json.Marshal(hex.EncodeToString(h))
}

// rfc3339Milli is RFC 3339 with the milliseconds a document's timestamp has.
const rfc3339Milli = "2006-01-02T15:04:05.000Z07:00"
