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
	"time"

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

const sealUsage = `usage: qtenclave seal --to FILE [--shape aws|der] [--at now|document|RFC3339] < plaintext > envelope

Seals stdin to an RSA key as a CMS envelope (KMS ciphertext_recipient).
FILE is a PEM public key ("PUBLIC KEY" or "RSA PUBLIC KEY"), or an
attestation document, which is verified first and whose public_key is used.
`

func runSeal(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("seal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, sealUsage); fs.PrintDefaults() }
	to := fs.String("to", "", "recipient: PEM public key or attestation document")
	shape := fs.String("shape", "aws", "envelope encoding: aws (as AWS KMS writes it) or der")
	at := fs.String("at", "now", "time to verify an attestation document at: now, document or RFC3339")
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
	when, atDocument, err := parseSealAt(*at)
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave seal: --at: %v\n", err)
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
		out, err = sealToDocument(plaintext, file, when, atDocument, opts)
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

// sealToDocument verifies an attestation document (raw CBOR or base64) and
// seals to its public_key.
func sealToDocument(plaintext, doc []byte, when time.Time, atDocument bool, opts recipient.SealOptions) ([]byte, error) {
	_, _, _ = doc, when, atDocument
	return nil, errors.New("attestation documents are not supported yet: give a PEM public key")
}

// parseSealAt reads --at: now (zero time), document, or an RFC 3339 time.
func parseSealAt(s string) (when time.Time, atDocument bool, err error) {
	switch s {
	case "now":
		return time.Time{}, false, nil
	case "document":
		return time.Time{}, true, nil
	}
	when, err = time.Parse(time.RFC3339, s)
	return when, false, err
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
