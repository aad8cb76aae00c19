package main

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
)

func init() {
	commands["verify"] = runVerify
	commands["inspect"] = runInspect
}

const verifyUsage = `usage: qtenclave verify [flags] FILE

Verify the attestation document in FILE (raw CBOR, hex or base64; '-' for
stdin). Exit status: 0 verified, 1 rejected (the reason on stderr), 2 usage
error.

flags:
`

func runVerify(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, verifyUsage); fs.PrintDefaults() }
	policy := addPolicyFlags(fs)
	jsonOut := fs.Bool("json", false, "print one JSON object")
	file, ok := parseArgs(fs, args, stderr)
	if !ok {
		return 2
	}
	opts, err := policy.options()
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave verify: %v\n", err)
		return 2
	}

	raw, enc, err := readDocument(file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave verify: %v\n", err)
		return 1
	}
	doc, err := attestation.Verify(raw, opts)
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave verify: rejected: %v%s\n", err, readAs(err, enc))
		return 1
	}
	source := platformSource(doc, opts)
	report := reportOf(true, doc.Platform, &source, doc.ModuleID, doc.Timestamp, doc.Digest, doc.PCRs, doc.PublicKey, doc.UserData, doc.Nonce, doc.Chain)
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

// readAs names the encoding a document was read in, for an error that
// says it does not decode.
func readAs(err error, enc string) string {
	if !errors.Is(err, attestation.ErrMalformed) || enc == "" {
		return ""
	}
	return " (read as " + enc + ")"
}

const inspectUsage = `usage: qtenclave inspect FILE

Decode the attestation document in FILE (raw CBOR, hex or base64; '-' for
stdin) WITHOUT verifying it, and print it as one JSON object with
"verified": false.
`

func runInspect(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, inspectUsage) }
	file, ok := parseArgs(fs, args, stderr)
	if !ok {
		return 2
	}
	raw, enc, err := readDocument(file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave inspect: %v\n", err)
		return 1
	}
	u, err := attestation.Decode(raw)
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave inspect: %v%s\n", err, readAs(err, enc))
		return 1
	}
	var source *string
	if u.Platform != 0 {
		s := "root"
		source = &s
	}
	return writeJSON(stdout, stderr, reportOf(false, u.Platform, source, u.ModuleID, u.Timestamp, u.Digest, u.PCRs, u.PublicKey, u.UserData, u.Nonce, u.Chain))
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

// report is what verify and inspect print, in the CLI contract's order.
type report struct {
	Verified bool   `json:"verified"`
	Platform string `json:"platform"`
	// PlatformSource says how the platform was decided: "root" (the
	// chain ends in that platform's root), "flag" (--platform), or
	// "signature" (another root: guessed from the signature's byte
	// order); null when unverified and unknown.
	PlatformSource *string   `json:"platform_source"`
	ModuleID       string    `json:"module_id"`
	Timestamp      string    `json:"timestamp"`
	Digest         string    `json:"digest"`
	PCRs           pcrs      `json:"pcrs"`
	PublicKey      hexOrNull `json:"public_key"`
	UserData       hexOrNull `json:"user_data"`
	Nonce          hexOrNull `json:"nonce"`
	Chain          []string  `json:"chain"`
}

func reportOf(verified bool, p attestation.Platform, source *string, moduleID string, ts time.Time, digest string, pcrMap map[int][]byte, publicKey, userData, nonce []byte, chain []*x509.Certificate) *report {
	platform := p.String()
	r := &report{
		Verified: verified, Platform: platform, PlatformSource: source, ModuleID: moduleID,
		Timestamp: ts.UTC().Format(rfc3339Milli), Digest: digest, PCRs: pcrMap,
		PublicKey: publicKey, UserData: userData, Nonce: nonce,
	}
	for _, c := range chain {
		r.Chain = append(r.Chain, c.Subject.String())
	}
	return r
}

func writeJSON(stdout, stderr io.Writer, r any) int {
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
	if r.PlatformSource != nil {
		how := map[string]string{
			"root":      "by its root",
			"flag":      "by --platform",
			"signature": "guessed from the signature's byte order: the root is neither platform's (--platform pins it)",
		}[*r.PlatformSource]
		fmt.Fprintf(w, "  platform    %s, %s\n", r.Platform, how)
	}
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
	if len(b) == 0 {
		return "empty"
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

// hexOrNull marshals as a hex string, or null when nil: an empty field is
// "", a null or absent one null.
type hexOrNull []byte

func (h hexOrNull) MarshalJSON() ([]byte, error) {
	if h == nil {
		return []byte("null"), nil
	}
	return json.Marshal(hex.EncodeToString(h))
}

// rfc3339Milli is RFC 3339 with the milliseconds a document's timestamp has.
const rfc3339Milli = "2006-01-02T15:04:05.000Z07:00"
