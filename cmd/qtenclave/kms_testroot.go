package main

import "crypto/x509"

// testRoot returns the attestation test authority's root, or nil when this
// build has no test authority.
func testRoot() *x509.Certificate { return nil }
