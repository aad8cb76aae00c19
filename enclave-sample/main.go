// Command enclave-sample runs the whole qtenclave flow end to end: an
// enclave proves what it is, a KMS wraps secrets only for it, and the
// enclave opens them and finishes ECDH itself, for every KMS key spec. Then
// the attestation policies, on both of the KMS's APIs: a key whose policy
// names the enclave's image (PCR0) refuses a request without a recipient,
// allows the enclave's, and refuses a document of another image.
//
//	go run ./enclave-sample                     # QingTian dialect, in-process KMS
//	go run ./enclave-sample --platform nitro --json
//	go run ./enclave-sample --kms http://127.0.0.1:PORT --token TOKEN
//
// The enclave is simulated: its attestation document comes from the test
// authority of attestation/attestationtest, so a KMS given with --kms must
// trust that authority (qtenclave kms serve --trust-test-root).
//
// It prints one line per step (what was checked, and how long it took) and
// a summary, or one JSON report with --json. The exit code is 0 when every
// step passed, 1 when one failed and 2 for a usage error.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config is what the command line asks for.
type config struct {
	platform  attestation.Platform
	kmsURL    string // empty: an in-process KMS
	projectID string
	token     string
	accessKey string
	secretKey string
	json      bool
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, ok := parseFlags(args, stderr)
	if !ok {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	rep := runFlow(ctx, cfg)
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "enclave-sample: %v\n", err)
			return 1
		}
	} else {
		rep.print(stdout)
	}
	if !rep.OK {
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (config, bool) {
	var cfg config
	fs := flag.NewFlagSet("enclave-sample", flag.ContinueOnError)
	fs.SetOutput(stderr)
	platform := fs.String("platform", "qingtian", "simulated enclave platform: qingtian or nitro")
	fs.StringVar(&cfg.kmsURL, "kms", "", "URL of a running KMS (default: start one in-process)")
	fs.StringVar(&cfg.projectID, "project-id", "0123456789abcdef0123456789abcdef", "project ID in the KMS paths (32 characters)")
	fs.StringVar(&cfg.token, "token", os.Getenv("QTENCLAVE_KMS_TOKEN"), "X-Auth-Token for --kms (or QTENCLAVE_KMS_TOKEN)")
	fs.StringVar(&cfg.accessKey, "access-key", os.Getenv("QTENCLAVE_KMS_AK"), "access key for --kms (or QTENCLAVE_KMS_AK)")
	fs.StringVar(&cfg.secretKey, "secret-key", os.Getenv("QTENCLAVE_KMS_SK"), "secret key for --kms (or QTENCLAVE_KMS_SK)")
	fs.BoolVar(&cfg.json, "json", false, "print one JSON report instead of lines")
	if err := fs.Parse(args); err != nil {
		return cfg, false
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "enclave-sample: unexpected argument %q\n", fs.Arg(0))
		return cfg, false
	}
	switch *platform {
	case "qingtian":
		cfg.platform = attestation.QingTian
	case "nitro":
		cfg.platform = attestation.Nitro
	default:
		fmt.Fprintf(stderr, "enclave-sample: --platform must be qingtian or nitro, not %q\n", *platform)
		return cfg, false
	}
	if cfg.kmsURL != "" && cfg.token == "" && (cfg.accessKey == "" || cfg.secretKey == "") {
		fmt.Fprintln(stderr, "enclave-sample: --kms needs --token, or --access-key and --secret-key")
		return cfg, false
	}
	return cfg, true
}
