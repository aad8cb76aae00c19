package attestation_test

import (
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
)

// A real AWS Nitro document from 2021: it verifies as of its own timestamp,
// and is rejected as expired now.
func Example_verify() {
	raw, err := os.ReadFile(filepath.Join("testdata", "nitro", "docs", "open-contracts_attestation_doc.cbor"))
	if err != nil {
		fmt.Println(err)
		return
	}
	pcr0, _ := hex.DecodeString("873182f16823c060458da4694f9e78a5faede6cc8ed41fe33888f0181f201c5d0b9488ecfd9533fa6014b39aaf2849b0")

	doc, err := attestation.Verify(raw, attestation.VerifyOptions{
		AtDocumentTime: true,
		PCRs:           map[int][]byte{0: pcr0},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(doc.Platform, doc.ModuleID, doc.Timestamp.Format(time.RFC3339))
	fmt.Printf("user_data %q\n", doc.UserData)

	_, err = attestation.Verify(raw, attestation.VerifyOptions{})
	fmt.Println("now:", errors.Is(err, attestation.ErrExpired))
	// Output:
	// nitro i-0059d193987fc90bf-enc017b5732dcb803a8 2021-08-18T02:59:44Z
	// user_data "more stuff"
	// now: true
}

// A KMS checks a fresh document from the test authority: its root, a
// nonce, an RSA recipient key and a maximum age.
func Example_verifyRecipient() {
	spki, _ := x509.MarshalPKIXPublicKey(&testRSAKey.PublicKey)
	nonce := []byte("challenge 42")
	raw, err := attestationtest.Issue(attestationtest.Options{
		Platform:  attestation.QingTian,
		PublicKey: spki,
		Nonce:     nonce,
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	doc, err := attestation.Verify(raw, attestation.VerifyOptions{
		Roots:               []*x509.Certificate{attestationtest.Root()},
		MaxAge:              5 * time.Minute,
		Nonce:               nonce,
		RequireRSAPublicKey: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(doc.Platform, len(doc.PublicKey), "byte RSA key")

	_, err = attestation.Verify(raw, attestation.VerifyOptions{
		Roots: []*x509.Certificate{attestationtest.Root()},
		Nonce: []byte("another challenge"),
	})
	fmt.Println(err)
	// Output:
	// qingtian 294 byte RSA key
	// attestation: policy not met: nonce differs
}

// Decode shows what a document claims without verifying it.
func ExampleDecode() {
	raw, err := attestationtest.Issue(attestationtest.Options{
		ModuleID: "i-example",
		Time:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	u, err := attestation.Decode(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.ModuleID, u.Timestamp.Format(time.RFC3339), len(u.Chain), "certificates")
	fmt.Println(u.Chain[len(u.Chain)-1].Subject.CommonName)
	// Output:
	// i-example 2026-01-02T03:04:05Z 5 certificates
	// qtenclave TEST ONLY root
}
