package recipient_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/qtenclave/qtenclave/envelope"
	"github.com/qtenclave/qtenclave/recipient"
	"github.com/qtenclave/qtenclave/testvectors"
)

// envelopeFailures maps the failure classes of testvectors'
// envelope_test.json to the errors Open wraps.
var envelopeFailures = map[string]error{
	"malformed":   envelope.ErrMalformed,
	"unsupported": envelope.ErrUnsupported,
	"decryption":  recipient.ErrDecryption,
}

// acceptEnvelope decides an "acceptable" envelope vector as Open does: the
// only recipient named by issuer and serial number is used without a
// certificate; BER beyond what real envelopes use, versions other than
// RFC 5652's and an explicit default label are refused.
func acceptEnvelope(tc *testvectors.EnvelopeTest) bool {
	switch {
	case tc.HasFlag("IssuerSerialNoCertificate"):
		return true
	case tc.HasFlag("BerNonMinimalLength"), tc.HasFlag("BerConstructedImplicit"), tc.HasFlag("BerDeepNesting"),
		tc.HasFlag("WrongVersion"), tc.HasFlag("ExplicitDefaultLabel"):
		return false
	}
	panic("no policy for acceptable vector " + tc.String())
}

// TestVectors opens every envelope of envelope_test.json with its group's
// key (and certificate): a valid one must give msg, an invalid one fail
// with its class's error and no plaintext.
func TestVectors(t *testing.T) {
	f, err := testvectors.Load[testvectors.EnvelopeGroup]("envelope_test.json")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, g := range f.TestGroups {
		k, err := x509.ParsePKCS8PrivateKey(g.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		key := k.(*rsa.PrivateKey)
		if key.N.BitLen() != g.KeySize {
			t.Fatalf("group key of %d bits, keySize %d", key.N.BitLen(), g.KeySize)
		}
		var opts recipient.OpenOptions
		if g.Certificate != nil {
			if opts.Certificate, err = x509.ParseCertificate(g.Certificate); err != nil {
				t.Fatal(err)
			}
		}
		for i := range g.Tests {
			tc := &g.Tests[i]
			accept := tc.Result == "valid" || tc.Result == "acceptable" && acceptEnvelope(tc)
			got, err := recipient.Open(tc.Envelope, key, opts)
			switch {
			case accept && err != nil:
				t.Errorf("%v: %v", tc, err)
			case accept && !bytes.Equal(got, tc.Msg):
				t.Errorf("%v: opened to %x, want %x", tc, got, tc.Msg)
			case accept:
			case err == nil:
				t.Errorf("%v: opened to %x", tc, got)
			case got != nil:
				t.Errorf("%v: plaintext beside the error %v", tc, err)
			case !errors.Is(err, envelopeFailures[tc.Failure]):
				t.Errorf("%v: %v, want class %s", tc, err, tc.Failure)
			}
			counts[tc.Result]++
		}
	}
	t.Logf("envelope_test.json: %d vectors decided: %v", f.NumberOfTests, counts)
}
