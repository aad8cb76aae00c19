package attestation

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"
)

// Only the critical extensions Verify enforces (basicConstraints and
// keyUsage) are accepted; every other critical extension is rejected as
// unhandled, including those crypto/x509 parses but only its own Verify
// enforces. The same extensions, non-critical, are accepted.
func TestCriticalExtensions(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mustDER := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	oid := func(last int) asn1.ObjectIdentifier { return asn1.ObjectIdentifier{2, 5, 29, last} }
	serverAuth := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}
	anyPolicy := asn1.ObjectIdentifier{2, 5, 29, 32, 0}
	dnsName := func(name string) asn1.RawValue { // GeneralName dNSName [2] IA5String
		return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte(name)}
	}
	for _, tc := range []struct {
		name string
		ext  pkix.Extension
	}{
		{"nameConstraints", pkix.Extension{Id: oid(30), Value: mustDER(struct {
			Permitted []struct{ Base asn1.RawValue } `asn1:"tag:0,optional"`
		}{Permitted: []struct{ Base asn1.RawValue }{{dnsName("permitted.invalid")}}})}},
		{"extKeyUsage", pkix.Extension{Id: oid(37), Value: mustDER([]asn1.ObjectIdentifier{serverAuth})}},
		{"certificatePolicies", pkix.Extension{Id: oid(32), Value: mustDER([]struct{ ID asn1.ObjectIdentifier }{{anyPolicy}})}},
		{"policyConstraints", pkix.Extension{Id: oid(36), Value: mustDER(struct {
			Require int `asn1:"tag:0,optional"`
		}{0})}},
		{"inhibitAnyPolicy", pkix.Extension{Id: oid(54), Value: mustDER(0)}},
		{"policyMappings", pkix.Extension{Id: oid(33), Value: mustDER([]struct{ A, B asn1.ObjectIdentifier }{{anyPolicy, serverAuth}})}},
		{"subjectAltName", pkix.Extension{Id: oid(17), Value: mustDER([]asn1.RawValue{dnsName("enclave.invalid")})}},
		{"unknown", pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Value: mustDER(true)}},
	} {
		for _, critical := range []bool{true, false} {
			tc.ext.Critical = critical
			tmpl := &x509.Certificate{
				SerialNumber:          big.NewInt(1),
				Subject:               pkix.Name{CommonName: "TEST ONLY critical " + tc.name},
				NotBefore:             time.Unix(0, 0),
				NotAfter:              time.Unix(1<<32, 0),
				KeyUsage:              x509.KeyUsageCertSign,
				BasicConstraintsValid: true,
				IsCA:                  true,
				SignatureAlgorithm:    x509.ECDSAWithSHA384,
				ExtraExtensions:       []pkix.Extension{tc.ext},
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if len(cert.UnhandledCriticalExtensions) > 0 && tc.ext.Id[0] == 2 {
				t.Fatalf("%s: crypto/x509 does not handle it: the test's encoding is wrong", tc.name)
			}
			err = checkProfile(cert, "cabundle[0]")
			if want := critical; (err != nil) != want || (err != nil && !errors.Is(err, ErrUntrusted)) {
				t.Errorf("%s critical=%v: checkProfile = %v; want rejected=%v", tc.name, critical, err, want)
			}
		}
	}
	// basicConstraints and keyUsage are critical in real chains and
	// enforced: accepted.
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "TEST ONLY"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<32, 0),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
		SignatureAlgorithm: x509.ECDSAWithSHA384,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	if err := checkProfile(cert, "cabundle[0]"); err != nil {
		t.Errorf("critical basicConstraints and keyUsage: %v", err)
	}
	// The real roots and every real chain have only those two critical.
	for _, r := range EmbeddedRoots() {
		if err := checkProfile(r, "root"); err != nil {
			t.Errorf("%s: %v", r.Subject, err)
		}
	}
}
