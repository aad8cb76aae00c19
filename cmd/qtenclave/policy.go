package main

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
)

// policyFlagNames are the flags of policyFlags: what verify and seal --to
// DOC share.
var policyFlagNames = []string{"at", "platform", "root", "pcr", "nonce", "user-data", "max-age", "allow-debug"}

// policyFlags are the trust, time and policy flags of verify and of seal
// --to DOC: one parser, so that sealing to a document checks exactly what
// verifying it does.
type policyFlags struct {
	opts     attestation.VerifyOptions
	at       string
	platform string
}

// addPolicyFlags registers the policy flags on fs.
func addPolicyFlags(fs *flag.FlagSet) *policyFlags {
	p := &policyFlags{}
	fs.StringVar(&p.at, "at", "now", "verification time: now, document (the document's own timestamp, which says nothing about freshness) or an RFC 3339 time")
	fs.StringVar(&p.platform, "platform", "auto", "required platform: auto, nitro or qingtian. auto: the platform whose root the chain ends in; with a --root of neither platform, guessed from the signature's byte order (the JSON says which, as platform_source)")
	fs.Func("root", "trusted root `FILE.pem` (repeatable); replaces the embedded roots", func(name string) error {
		roots, err := readRoots(name)
		p.opts.Roots = append(p.opts.Roots, roots...)
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
		if p.opts.PCRs == nil {
			p.opts.PCRs = map[int][]byte{}
		}
		p.opts.PCRs[i] = v
		return nil
	})
	hexFlag(fs, &p.opts.Nonce, "nonce", "expected nonce")
	hexFlag(fs, &p.opts.UserData, "user-data", "expected user_data")
	fs.DurationVar(&p.opts.MaxAge, "max-age", 0, "reject documents older than this `duration` (e.g. 5m) at the verification time")
	fs.BoolVar(&p.opts.AllowDebug, "allow-debug", false, "accept enclaves in debug mode (PCR0, PCR1 and PCR2 all zero)")
	return p
}

// hexFlag registers a flag whose value is hex. An empty value is an empty,
// non-nil slice: the field must be present and empty.
func hexFlag(fs *flag.FlagSet, p *[]byte, name, usage string) {
	fs.Func(name, usage+" (`HEX`; \"\" requires it present and empty)", func(s string) error {
		b, err := hex.DecodeString(s)
		if err != nil {
			return err
		}
		if b == nil {
			b = []byte{}
		}
		*p = b
		return nil
	})
}

// options returns the VerifyOptions the parsed flags say, or a usage
// error.
func (p *policyFlags) options() (attestation.VerifyOptions, error) {
	opts := p.opts
	switch p.at {
	case "now":
	case "document":
		opts.AtDocumentTime = true
	default:
		t, err := time.Parse(time.RFC3339, p.at)
		if err != nil {
			return opts, fmt.Errorf("--at: want now, document or an RFC 3339 time: %v", err)
		}
		opts.Time = t
	}
	switch {
	case opts.MaxAge < 0:
		return opts, fmt.Errorf("--max-age %v: want a positive duration", opts.MaxAge)
	case opts.MaxAge > 0 && opts.AtDocumentTime:
		return opts, errors.New("--max-age with --at document: the age at the document's own time is always zero; give --at now or a time")
	}
	switch p.platform {
	case "auto":
	case "nitro":
		opts.Platform = attestation.Nitro
	case "qingtian":
		opts.Platform = attestation.QingTian
	default:
		return opts, fmt.Errorf("--platform: want auto, nitro or qingtian, not %q", p.platform)
	}
	return opts, nil
}

// setPolicyFlags returns the policy flags given on the command line.
func setPolicyFlags(fs *flag.FlagSet) []string {
	var set []string
	fs.Visit(func(f *flag.Flag) {
		for _, n := range policyFlagNames {
			if f.Name == n {
				set = append(set, "--"+n)
			}
		}
	})
	return set
}

// platformSource says how Verify decided doc's platform: by the root its
// chain ends in (one of the embedded roots), by --platform, or, for
// another root without --platform, by the signature's byte order.
func platformSource(doc *attestation.Document, opts attestation.VerifyOptions) string {
	root := doc.Chain[len(doc.Chain)-1]
	for _, r := range attestation.EmbeddedRoots() {
		if r.Equal(root) {
			return "root"
		}
	}
	if opts.Platform != 0 {
		return "flag"
	}
	return "signature"
}
