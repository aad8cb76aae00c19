package main

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/envelope"
	"github.com/qtenclave/qtenclave/recipient"
)

func init() {
	commands["seal"] = runSeal
	commands["open"] = runOpen
}

// maxSealInput bounds what seal and open read from stdin and from files: the
// envelope package parses envelopes of up to 1 MiB.
const maxSealInput = 1 << 20

const sealUsage = `usage: qtenclave seal --to FILE [--shape aws|der] [policy flags] < plaintext > envelope

Seals stdin to an RSA key as a CMS envelope (KMS ciphertext_recipient).
FILE is a PEM public key ("PUBLIC KEY" or "RSA PUBLIC KEY"), or an
attestation document (raw CBOR, hex or base64), which is verified first
exactly as "qtenclave verify" does, with the same policy flags (--at,
--platform, --root, --pcr, --nonce, --user-data, --max-age, --allow-debug),
and must carry an RSA public_key. Without --pcr, any genuine enclave of the
platform can have made the document, whatever code it runs: sealing then
trusts every enclave of that platform.

flags:
`

func runSeal(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("seal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, sealUsage); fs.PrintDefaults() }
	to := fs.String("to", "", "recipient: PEM public key or attestation document")
	shape := fs.String("shape", "aws", "envelope encoding: aws (as AWS KMS writes it) or der")
	policy := addPolicyFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *to == "" || fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	opts := recipient.SealOptions{}
	switch *shape {
	case "aws":
		opts.Shape = envelope.AWS
	case "der":
		opts.Shape = envelope.DER
	default:
		fmt.Fprintf(stderr, "qtenclave seal: --shape %q: want aws or der\n", *shape)
		return 2
	}
	vopts, err := policy.options()
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave seal: %v\n", err)
		return 2
	}
	if *to == "-" {
		fmt.Fprintln(stderr, "qtenclave seal: --to -: stdin is the plaintext; give a file")
		return 2
	}

	file, err := readFileBounded(*to)
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave seal: %v\n", err)
		return 1
	}
	pub, isPEM, perr := parsePEMPublicKey(file)
	if set := setPolicyFlags(fs); isPEM && len(set) > 0 {
		fmt.Fprintf(stderr, "qtenclave seal: %s: a PEM key has no attestation to check: %s apply only to a document\n", *to, strings.Join(set, ", "))
		return 2
	}
	if isPEM && perr != nil {
		fmt.Fprintf(stderr, "qtenclave seal: %s: %v\n", *to, perr)
		return 1
	}
	plaintext, err := readAllBounded(stdin, "stdin")
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave seal: %v\n", err)
		return 1
	}
	var out []byte
	if isPEM {
		out, err = recipient.Seal(plaintext, pub, opts)
	} else {
		out, err = sealToDocument(plaintext, *to, file, vopts, opts, stderr)
	}
	clear(plaintext)
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave seal: %v\n", err)
		return 1
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "qtenclave seal: %v\n", err)
		return 1
	}
	return 0
}

// sealToDocument verifies the attestation document b (read from name: raw
// CBOR, hex or base64) with vopts, requiring an RSA public_key, and seals
// to that key. Without a PCR policy it warns on stderr that every enclave
// of the platform is trusted.
func sealToDocument(plaintext []byte, name string, b []byte, vopts attestation.VerifyOptions, opts recipient.SealOptions, stderr io.Writer) ([]byte, error) {
	raw, enc, err := decodeDocument(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	vopts.RequireRSAPublicKey = true
	doc, err := attestation.Verify(raw, vopts)
	if err != nil {
		return nil, fmt.Errorf("%s: rejected: %w%s", name, err, readAs(err, enc))
	}
	if len(vopts.PCRs) == 0 {
		fmt.Fprintf(stderr, "qtenclave seal: warning: no --pcr policy: this trusts every genuine %s enclave, whatever code it runs\n", doc.Platform)
	}
	return recipient.SealToDocument(plaintext, doc, opts)
}

const openUsage = `usage: qtenclave open --key KEY.pem < envelope > plaintext

Opens a CMS envelope (KMS ciphertext_recipient, BER or DER, raw or base64)
with an RSA private key (PEM "PRIVATE KEY" or "RSA PRIVATE KEY").
`

func runOpen(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("open", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, openUsage); fs.PrintDefaults() }
	keyFile := fs.String("key", "", "PEM RSA private key")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *keyFile == "" || fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	key, err := loadPrivateKey(*keyFile)
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave open: %s: %v\n", *keyFile, err)
		return 1
	}
	in, err := readAllBounded(stdin, "stdin")
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave open: %v\n", err)
		return 1
	}
	plaintext, err := recipient.Open(envelopeBytes(in), key, recipient.OpenOptions{})
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave open: %v\n", err)
		return 1
	}
	_, err = stdout.Write(plaintext)
	clear(plaintext)
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave open: %v\n", err)
		return 1
	}
	return 0
}

// envelopeBytes returns the base64 decoding of b if b is base64 text, and b
// otherwise. A BER or DER envelope starts with 0x30, which is not base64.
func envelopeBytes(b []byte) []byte {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] == 0x30 {
		return b
	}
	d, err := base64.StdEncoding.AppendDecode(nil, t)
	if err != nil {
		return b
	}
	return d
}

func readFileBounded(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllBounded(f, name)
}

func readAllBounded(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxSealInput+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSealInput {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxSealInput)
	}
	return b, nil
}
