package attestationtest_test

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
)

func ExampleIssue() {
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	opts := attestation.VerifyOptions{
		Roots:          []*x509.Certificate{attestationtest.Root()},
		AtDocumentTime: true,
	}
	for _, o := range []attestationtest.Options{
		{Platform: attestation.Nitro, Time: at, Quirks: attestationtest.IndefiniteLength | attestationtest.HighS},
		{Platform: attestation.QingTian, Time: at, Quirks: attestationtest.PubkeyName, PublicKey: []byte("key")},
		{Time: at, Malformation: attestationtest.BrokenPathLen},
	} {
		raw, err := attestationtest.Issue(o)
		if err != nil {
			fmt.Println(err)
			return
		}
		doc, err := attestation.Verify(raw, opts)
		switch {
		case errors.Is(err, attestation.ErrUntrusted):
			fmt.Println("rejected:", err)
		case err != nil:
			fmt.Println(err)
		default:
			fmt.Println("verified:", doc.Platform, doc.Timestamp.Format(time.RFC3339), doc.PublicKey)
		}
	}
	// Output:
	// verified: nitro 2026-05-06T07:08:09Z []
	// verified: qingtian 2026-05-06T07:08:09Z [107 101 121]
	// rejected: attestation: untrusted certificate chain: cabundle[1]: pathLen 0, but 2 CAs below it
}
