package main

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

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

const sealUsage = `usage: qtenclave seal --to FILE [--shape aws|der] [--at now|document|RFC3339] [--root FILE.pem]... < plaintext > envelope

Seals stdin to an RSA key as a CMS envelope (KMS ciphertext_recipient).
FILE is a PEM public key ("PUBLIC KEY" or "RSA PUBLIC KEY"), or an
attestation document (raw CBOR or base64), which is verified first (against
the embedded roots, or --root) and must carry an RSA public_key.

flags:
`

func runSeal(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("seal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, sealUsage); fs.PrintDefaults() }
	to := fs.String("to", "", "recipient: PEM public key or attestation document")
	shape := fs.String("shape", "aws", "envelope encoding: aws (as AWS KMS writes it) or der")
	var vopts attestation.VerifyOptions
	at := fs.String("at", "now", "verification time of an attestation document: now, document (its own timestamp) or an RFC 3339 time")
	fs.Func("root", "trusted root `FILE.pem` for attestation documents (repeatable); replaces the embedded roots", func(name string) error {
		roots, err := readRoots(name)
		vopts.Roots = append(vopts.Roots, roots...)
		return err
	})
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
	if err := setVerifyTime(&vopts, *at); err != nil {
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
	plaintext, err := readAllBounded(stdin, "stdin")
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave seal: %v\n", err)
		return 1
	}
	var out []byte
	if pub, ok, perr := parsePEMPublicKey(file); ok {
		if perr != nil {
			fmt.Fprintf(stderr, "qtenclave seal: %s: %v\n", *to, perr)
			return 1
		}
		out, err = recipient.Seal(plaintext, pub, opts)
	} else {
		out, err = sealToDocument(plaintext, *to, vopts, opts)
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

// sealToDocument verifies the attestation document in file (raw CBOR or
// base64), requiring an RSA public_key, and seals to that key.
func sealToDocument(plaintext []byte, file string, vopts attestation.VerifyOptions, opts recipient.SealOptions) ([]byte, error) {
	raw, err := readDocument(file, nil)
	if err != nil {
		return nil, err
	}
	vopts.RequireRSAPublicKey = true
	doc, err := attestation.Verify(raw, vopts)
	if err != nil {
		return nil, fmt.Errorf("%s: rejected: %w", file, err)
	}
	return recipient.SealToDocument(plaintext, doc, opts)
}

// parsePEMPublicKey reports whether b is PEM, and if so returns the RSA key
// it holds or why it holds none.
func parsePEMPublicKey(b []byte) (*rsa.PublicKey, bool, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(b), []byte("-----BEGIN ")) {
		return nil, false, nil
	}
	blk, rest := pem.Decode(b)
	if blk == nil || len(bytes.TrimSpace(rest)) != 0 {
		return nil, true, errors.New("not one PEM block")
	}
	var pub any
	var err error
	switch blk.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(blk.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(blk.Bytes)
	default:
		return nil, true, fmt.Errorf("PEM type %q: want PUBLIC KEY or RSA PUBLIC KEY", blk.Type)
	}
	if err != nil {
		return nil, true, err
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, true, fmt.Errorf("%T is not an RSA key", pub)
	}
	return rsaPub, true, nil
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

// loadPrivateKey reads a PEM RSA private key, PKCS#8 or PKCS#1. Errors never
// quote the file's contents.
func loadPrivateKey(name string) (crypto.Decrypter, error) {
	b, err := readFileBounded(name)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM block")
	}
	defer clear(blk.Bytes)
	switch blk.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, err
		}
		rsaKey, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%T is not an RSA key", k)
		}
		return rsaKey, nil
	}
	return nil, fmt.Errorf("PEM type %q: want PRIVATE KEY or RSA PRIVATE KEY", blk.Type)
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
