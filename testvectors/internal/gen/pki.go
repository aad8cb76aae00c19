package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"io"
	"math/big"
	"time"
)

// The test PKI of the attestation vectors: for each dialect a root, three
// intermediates and a leaf, all ECDSA P-384 with SHA-384, made with
// crypto/x509 and signed deterministically (RFC 6979). Every key is a TEST
// KEY derived from its label.

// ecKey returns the TEST KEY of a label on a curve: its scalar is derived
// from SHA-512 of the label, reduced into [1, n-1].
func ecKey(c elliptic.Curve, label string) *ecdsa.PrivateKey {
	n := c.Params().N
	h := sha512.Sum512([]byte("qtenclave test vectors key: " + label))
	d := new(big.Int).SetBytes(h[:])
	d.Mod(d, new(big.Int).Sub(n, big.NewInt(1)))
	d.Add(d, big.NewInt(1))
	k, err := ecdsa.ParseRawPrivateKey(c, d.FillBytes(make([]byte, (n.BitLen()+7)/8)))
	if err != nil {
		panic(err)
	}
	return k
}

// detSigner signs deterministically: crypto/ecdsa signs per RFC 6979 when
// given no randomness.
type detSigner struct{ k *ecdsa.PrivateKey }

func (s detSigner) Public() crypto.PublicKey { return &s.k.PublicKey }

func (s detSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.k.Sign(nil, digest, opts)
}

// authority is a certificate and its key.
type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// issue makes a certificate from tmpl for pub, signed by parent (nil:
// self-signed with key). The template's signature algorithm defaults to
// ECDSA-SHA384.
func issue(tmpl *x509.Certificate, parent *authority, key *ecdsa.PrivateKey) *authority {
	if tmpl.SignatureAlgorithm == x509.UnknownSignatureAlgorithm {
		tmpl.SignatureAlgorithm = x509.ECDSAWithSHA384
	}
	if parent == nil {
		return issueRaw(tmpl, tmpl, key, key)
	}
	return issueRaw(tmpl, parent.cert, parent.key, key)
}

// Times of the attestation vectors.
var (
	// t0 is the moment the test documents are issued (to the second).
	t0 = time.Date(2026, 1, 15, 10, 20, 30, 0, time.UTC)
	// docTime is the documents' timestamp.
	docTime = t0.Add(456 * time.Millisecond)
	// verifyTime is the verification time of most vectors: a minute later.
	verifyTime = t0.Add(time.Minute)
)

func testName(cn string) pkix.Name {
	return pkix.Name{
		Country:            []string{"ZZ"},
		Organization:       []string{"qtenclave test vectors"},
		OrganizationalUnit: []string{"TEST ONLY"},
		CommonName:         cn,
	}
}

// caTemplate is a CA certificate template; pathLen < 0 means no limit.
func caTemplate(serial int64, cn string, notBefore, notAfter time.Time, pathLen int) *x509.Certificate {
	t := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               testName(cn),
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		MaxPathLen:            pathLen,
		MaxPathLenZero:        pathLen == 0,
	}
	return t
}

func leafTemplate(serial int64, cn string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               testName(cn),
		NotBefore:             t0.Add(-time.Hour),
		NotAfter:              t0.Add(2 * time.Hour),
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
}

// pki is one dialect's hierarchy: root, intermediates (root's child first)
// and leaf.
type pki struct {
	dialect string
	root    *authority
	inter   []*authority
	leaf    *authority
}

// cabundle is root first, as documents carry it.
func (p *pki) cabundle() [][]byte {
	out := [][]byte{p.root.cert.Raw}
	for _, a := range p.inter {
		out = append(out, a.cert.Raw)
	}
	return out
}

// interNames and interPathLens shape the dialects' hierarchies as the real
// platforms do (PLATFORMS.md): QingTian's region, grid and instance CAs
// with pathLen 3, 2 and 1.
var (
	interNames = map[string][]string{
		"nitro":    {"nitro region", "nitro zone", "nitro instance"},
		"qingtian": {"qingtian region", "qingtian grid \u2013 UTF8String", "qingtian instance"},
	}
	interPathLens = map[string][]int{
		"nitro":    {2, 1, 0},
		"qingtian": {3, 2, 1},
	}
	interValidity = []time.Duration{10 * 24 * time.Hour, 3 * 24 * time.Hour, 12 * time.Hour}
)

// newPKI makes a dialect's hierarchy; label varies the keys so that a
// second, untrusted hierarchy with the same names can be made.
func newPKI(dialect, label string) *pki {
	p := &pki{dialect: dialect}
	root := caTemplate(1, "qtenclave test vectors "+dialect+" root", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC), -1)
	p.root = issue(root, nil, ecKey(elliptic.P384(), label+dialect+" root"))
	parent := p.root
	for i, name := range interNames[dialect] {
		d := interValidity[i]
		tmpl := caTemplate(int64(10+i), "qtenclave test vectors "+name, t0.Add(-d), t0.Add(d), interPathLens[dialect][i])
		a := issue(tmpl, parent, ecKey(elliptic.P384(), label+dialect+" "+name))
		p.inter = append(p.inter, a)
		parent = a
	}
	p.leaf = issue(leafTemplate(100, "i-0123456789abcdef0.test-enclave"), parent, ecKey(elliptic.P384(), label+dialect+" leaf"))
	return p
}

// last returns the leaf's issuer.
func (p *pki) last() *authority { return p.inter[len(p.inter)-1] }

// withLeaf returns a copy of p whose leaf is made from tmpl with key,
// issued by the last intermediate.
func (p *pki) withLeaf(tmpl *x509.Certificate, key *ecdsa.PrivateKey) *pki {
	q := *p
	q.leaf = issue(tmpl, p.last(), key)
	return &q
}

// withInter returns a copy of p whose intermediate i is made from tmpl
// (issued by its usual parent), with the intermediates below it and the
// leaf reissued under it.
func (p *pki) withInter(i int, tmpl *x509.Certificate, key *ecdsa.PrivateKey) *pki {
	q := *p
	q.inter = append([]*authority(nil), p.inter[:i]...)
	parent := p.root
	if i > 0 {
		parent = p.inter[i-1]
	}
	a := issue(tmpl, parent, key)
	q.inter = append(q.inter, a)
	for j := i + 1; j < len(p.inter); j++ {
		c := *p.inter[j].cert
		t := caTemplate(c.SerialNumber.Int64(), c.Subject.CommonName, c.NotBefore, c.NotAfter, c.MaxPathLen)
		t.MaxPathLenZero = c.MaxPathLenZero
		a = issue(t, a, p.inter[j].key)
		q.inter = append(q.inter, a)
	}
	lt := leafTemplate(p.leaf.cert.SerialNumber.Int64(), p.leaf.cert.Subject.CommonName)
	q.leaf = issue(lt, a, p.leaf.key)
	return &q
}

// deeper returns a copy of p with n more intermediates without pathLen
// limits (and a root and intermediates without limits either), so that
// the chain is long but valid.
func (p *pki) deeper(n int) *pki {
	q := &pki{dialect: p.dialect, root: p.root}
	parent := p.root
	for i := range len(p.inter) + n {
		tmpl := caTemplate(int64(200+i), "qtenclave test vectors deep CA "+itoa(i), t0.Add(-48*time.Hour), t0.Add(48*time.Hour), -1)
		a := issue(tmpl, parent, ecKey(elliptic.P384(), p.dialect+" deep CA "+itoa(i)))
		q.inter = append(q.inter, a)
		parent = a
	}
	q.leaf = issue(leafTemplate(101, "i-deep.test-enclave"), parent, p.leaf.key)
	return q
}

// oidUnknownCritical is an extension no verifier knows (under the
// example arc of RFC 7229's spirit: a private test OID).
var oidUnknownCritical = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 1, 1}
