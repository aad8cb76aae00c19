package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/kms"
)

func init() { commands["kms"] = runKMS }

const kmsUsage = `usage: qtenclave kms serve [--addr 127.0.0.1:PORT] [--data DIR] [--trust-test-root]
                            [--root FILE.pem]... [--token-file FILE] [--access-key AK --secret-key-file FILE]
                            [--principal ARN] [--account ID] [--region REGION] [--seed-arns]
                            [--policy FILE]...

Credentials come from files (--token-file, --secret-key-file: one line each)
or the environment (QTENCLAVE_KMS_TOKEN, QTENCLAVE_KMS_AK, QTENCLAVE_KMS_SK);
a file beats the environment. --token and --secret-key are for tests only:
other users of the machine see command lines (ps). With none, credentials
are generated and printed.

Every key has an AWS key policy (CreateKey's Policy, PutKeyPolicy; the
default gives the account every permission, and create-key's
recipient_attestation adds a Deny of secret-releasing calls without that
PCR). It decides every call on the key, on both APIs, with the conditions
kms:RecipientAttestation:ImageSha384 and kms:RecipientAttestation:PCR0..31
taken from the recipient's verified attestation document. Every caller acts
as --principal (default arn:aws:iam::ACCOUNT:root, ACCOUNT 000000000000), so
a key policy that names a role works with --principal set to that role.

--policy loads a Huawei IAM policy (Version "1.1" or "5.0", with
kms:RecipientAttestation/PCR0..31 conditions) for the Huawei API's callers:
with one or more, a Huawei call is allowed only if the key policy and these
policies allow it (an explicit Deny anywhere wins). Without, Huawei callers
have every IAM permission.
`

// kmsContext is done when the server should stop gracefully (SIGINT or
// SIGTERM).
var kmsContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func runKMS(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "serve" {
		return runKMSClient(args, stdin, stdout, stderr)
	}
	fs := flag.NewFlagSet("kms serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, kmsUsage); fs.PrintDefaults() }
	addr := fs.String("addr", "127.0.0.1:0", "listen address (port 0 picks a free port)")
	data := fs.String("data", "", "key store directory (default: keys in memory)")
	trustTest := fs.Bool("trust-test-root", false, "also trust the attestation test authority's root (for tests only)")
	var trusted []*x509.Certificate
	fs.Func("root", "extra trusted attestation root `FILE.pem` (repeatable)", func(name string) error {
		roots, err := readRoots(name)
		trusted = append(trusted, roots...)
		return err
	})
	token := fs.String("token", os.Getenv("QTENCLAVE_KMS_TOKEN"), "X-Auth-Token to accept, for tests only: other users see command lines (ps); use --token-file or QTENCLAVE_KMS_TOKEN")
	tokenFile := fs.String("token-file", "", "read the X-Auth-Token to accept from `FILE` (one line)")
	ak := fs.String("access-key", os.Getenv("QTENCLAVE_KMS_AK"), "access key for signed requests (or QTENCLAVE_KMS_AK)")
	sk := fs.String("secret-key", os.Getenv("QTENCLAVE_KMS_SK"), "secret key for signed requests, for tests only: other users see command lines (ps); use --secret-key-file or QTENCLAVE_KMS_SK")
	skFile := fs.String("secret-key-file", "", "read the secret key for signed requests from `FILE` (one line)")
	principal := fs.String("principal", "", "IAM `ARN` every caller acts as in key policies (default: the account's root)")
	account := fs.String("account", "", "12-digit AWS account `ID` that owns the keys (default: the principal's, or 000000000000)")
	region := fs.String("region", "", "`REGION` of key ARNs (default: us-east-1)")
	seedARNs := fs.Bool("seed-arns", false, "answer key ARNs in seed 001's form arn:verenc:ACCOUNT:key/ID")
	var huaweiPolicies [][]byte
	fs.Func("policy", "Huawei IAM policy `FILE` (JSON, Version 1.1 or 5.0) for the Huawei API's callers (repeatable)", func(name string) error {
		doc, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		huaweiPolicies = append(huaweiPolicies, doc)
		return nil
	})
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "qtenclave kms serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	for _, f := range []struct {
		flag, file string
		value      *string
	}{{"token", *tokenFile, token}, {"secret-key", *skFile, sk}} {
		if f.file == "" {
			continue
		}
		if isFlagSet(fs, f.flag) {
			fmt.Fprintf(stderr, "qtenclave kms serve: --%s and --%s-file: give one\n", f.flag, f.flag)
			return 2
		}
		v, err := readSecretFile(f.file)
		if err != nil {
			fmt.Fprintf(stderr, "qtenclave kms serve: --%s-file: %v\n", f.flag, err)
			return 2
		}
		*f.value = v
	}
	if (*ak == "") != (*sk == "") {
		fmt.Fprintln(stderr, "qtenclave kms serve: --access-key and --secret-key (or --secret-key-file) go together")
		return 2
	}
	generated := *token == "" && *ak == ""
	if generated {
		*token, *ak, *sk = randomCredential(24), "QTAK"+randomCredential(8), randomCredential(20)
	}
	if *trustTest {
		trusted = append(trusted, attestationtest.Root())
	}
	srv, err := kms.NewServer(kms.Options{
		DataDir:   *data,
		Token:     *token,
		AccessKey: *ak,
		SecretKey: *sk,
		Roots:     trusted,
		Logger:    slog.New(slog.NewJSONHandler(stderr, nil)),

		Principal:      *principal,
		Account:        *account,
		Region:         *region,
		SeedARNs:       *seedARNs,
		HuaweiPolicies: huaweiPolicies,
	})
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave kms serve: %v\n", err)
		return 1
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "qtenclave kms serve: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	if generated {
		fmt.Fprintf(stdout, "token: %s\naccess key: %s\nsecret key: %s\n", *token, *ak, *sk)
	}
	if f, ok := stdout.(interface{ Sync() error }); ok {
		f.Sync()
	}
	ctx, stop := kmsContext()
	defer stop()
	if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "qtenclave kms serve: %v\n", err)
		return 1
	}
	return 0
}

// isFlagSet reports whether the flag name was given on the command line.
func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// randomCredential returns n random bytes in hex.
func randomCredential(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
