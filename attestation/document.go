package attestation

import (
	"crypto/x509"
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
	PublicKey []byte         // the enclave's key as carried (DER SubjectPublicKeyInfo for KMS), or nil
	UserData  []byte         // nil when absent or null
	Nonce     []byte         // nil when absent or null

	// Chain is the verified chain, leaf first and the trusted root last.
	Chain []*x509.Certificate
}
