// Command qtenclave verifies attestation documents, seals and opens
// ciphertext_recipient envelopes, and runs a local KMS.
//
// It is a thin shell over the library: flags, I/O and exit codes only.
// Exit codes: 0 success, 1 rejected or failed, 2 usage error.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage: qtenclave <command> [flags] [args]

commands:
  verify FILE     verify an attestation document
  inspect FILE    decode an attestation document without verifying it
  seal --to FILE  seal stdin to an attested or PEM RSA key
  open --key KEY  open an envelope from stdin
  kms serve       run a local KMS
  kms OPERATION   call a KMS (qtenclave kms --help lists the operations)
`

// command runs one subcommand and returns its exit code.
type command func(args []string, stdin io.Reader, stdout, stderr io.Writer) int

// commands is filled by the file of each subcommand.
var commands = map[string]command{}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "qtenclave: unknown command %q\n%s", args[0], usage)
		return 2
	}
	return cmd(args[1:], stdin, stdout, stderr)
}
