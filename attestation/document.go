package attestation

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"time"
)

// Platform names the enclave platform a document comes from. It is decided
// by the trusted root that the document's certificate chain ends in.
type Platform int

const (
	// Nitro is AWS Nitro Enclaves.
	Nitro Platform = iota + 1
	// QingTian is Huawei Cloud QingTian Enclaves.
	QingTian
)

// String returns "nitro" or "qingtian".
func (p Platform) String() string {
	switch p {
	case Nitro:
		return "nitro"
	case QingTian:
		return "qingtian"
	}
	return "unknown"
}

// Document is a verified attestation document. Verify returns one only when
// the signature, the certificate chain and the policy all check out.
type Document struct {
	Platform  Platform
	ModuleID  string
	Timestamp time.Time
	Digest    string         // "SHA384"
	PCRs      map[int][]byte // index 0..31 -> measurement
	PublicKey []byte         // the enclave's key as carried (DER SubjectPublicKeyInfo for KMS); nil when absent or null, empty (non-nil) when empty
	UserData  []byte         // nil when absent or null, empty (non-nil) when empty
	Nonce     []byte         // nil when absent or null, empty (non-nil) when empty

	// Chain is the verified chain, leaf first and the trusted root last.
	// The certificates are shared with other results: do not modify them.
	Chain []*x509.Certificate
}

// Unverified is what a document claims, decoded by Decode without checking
// its signature, chain, validity or any policy. Nothing in it may be
// trusted; it exists to display documents, and to debug rejected ones.
type Unverified struct {
	// Platform is the platform whose embedded root cabundle[0] is, or 0.
	Platform  Platform
	ModuleID  string
	Timestamp time.Time
	Digest    string
	PCRs      map[int][]byte
	PublicKey []byte
	UserData  []byte
	Nonce     []byte

	// Chain is the leaf followed by the cabundle in reverse (root last),
	// parsed but not verified.
	Chain []*x509.Certificate
}

// Decode decodes doc as strictly as Verify parses it (every document Decode
// rejects, Verify rejects too) and parses its certificates, but verifies
// nothing: not the signature, the chain, the times nor any policy.
func Decode(doc []byte) (*Unverified, error) {
	m, err := parseSign1(doc)
	if err != nil {
		return nil, err
	}
	p, err := decodePayload(m.payload)
	if err != nil {
		return nil, err
	}
	chain := make([]*x509.Certificate, 0, 1+len(p.cabundle))
	for i := len(p.cabundle); i >= 0; i-- {
		der, name := p.cert, "certificate"
		if i < len(p.cabundle) {
			der, name = p.cabundle[i], fmt.Sprintf("cabundle[%d]", i)
		}
		c, err := x509.ParseCertificate(bytes.Clone(der)) // der may be doc's
		if err != nil {
			return nil, malformed("%s: %v", name, err)
		}
		chain = append(chain, c)
	}
	return &Unverified{
		Platform:  rootPlatform(p.cabundle[0]),
		ModuleID:  p.moduleID,
		Timestamp: p.timestamp,
		Digest:    p.digest,
		PCRs:      p.pcrs,
		PublicKey: p.publicKey,
		UserData:  p.userData,
		Nonce:     p.nonce,
		Chain:     chain,
	}, nil
}
