package attestation

import (
	"bytes"
	"crypto/x509"
	_ "embed"
	"encoding/pem"
)

// The platforms' roots, as published (PLATFORMS.md). roots_test.go checks
// their SHA-256 fingerprints against the values the platforms publish.
var (
	//go:embed aws_nitro_enclaves_root_G1.pem
	nitroRootPEM []byte
	//go:embed huawei_qingtian_enclaves_root_G1.pem
	qingtianRootPEM []byte

	nitroRoot    = mustParsePEM(nitroRootPEM)
	qingtianRoot = mustParsePEM(qingtianRootPEM)
)

func mustParsePEM(b []byte) *x509.Certificate {
	block, rest := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
		panic("attestation: bad embedded root")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		panic("attestation: bad embedded root: " + err.Error())
	}
	return c
}

// EmbeddedRoots returns the roots Verify trusts by default: AWS Nitro
// Enclaves Root G1 and Huawei Cloud QingTian Enclaves Root G1. To trust
// another root as well, pass it with these in VerifyOptions.Roots.
func EmbeddedRoots() []*x509.Certificate {
	return []*x509.Certificate{nitroRoot, qingtianRoot}
}

// rootPlatform returns the platform whose embedded root der is, or 0.
func rootPlatform(der []byte) Platform {
	switch {
	case bytes.Equal(der, nitroRoot.Raw):
		return Nitro
	case bytes.Equal(der, qingtianRoot.Raw):
		return QingTian
	}
	return 0
}
