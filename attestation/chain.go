package attestation

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"time"
)

// chain is a certificate chain whose signatures, names and CA constraints
// have been checked. Validity periods are not: they depend on the
// verification time, so the chain keeps their intersection.
type chain struct {
	certs     []*x509.Certificate // leaf (if any) first, root last
	notBefore time.Time           // the latest NotBefore in certs
	notAfter  time.Time           // the earliest NotAfter in certs
}

func untrusted(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUntrusted}, args...)...)
}

// verifyChain checks leaf → cabundle[n-1] → … → cabundle[0], where
// cabundle[0] has already been found among the trusted roots. Verified
// chains are cached by their exact bytes, so that a warm verification
// checks no certificate signature at all.
func verifyChain(leafDER []byte, cabundle [][]byte) (*chain, error) {
	leafKey := cacheKey('L', leafDER, cabundle)
	if c := chains.get(leafKey); c != nil {
		return c, nil
	}
	bundleKey := cacheKey('B', nil, cabundle)
	cas := chains.get(bundleKey)
	if cas == nil {
		var err error
		if cas, err = verifyCAs(cabundle); err != nil {
			return nil, err
		}
		chains.put(bundleKey, cas)
	}
	leaf, err := x509.ParseCertificate(leafDER)
	if err != nil {
		return nil, malformed("certificate: %v", err)
	}
	if err := checkProfile(leaf, "certificate"); err != nil {
		return nil, err
	}
	// The leaf signs the document with ES384: its key must be P-384.
	if k, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P384() {
		return nil, malformed("certificate: the leaf key is not a P-384 key")
	}
	if leaf.BasicConstraintsValid && leaf.IsCA {
		return nil, untrusted("certificate: the leaf is a CA")
	}
	if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return nil, untrusted("certificate: key usage lacks digitalSignature")
	}
	if err := checkIssued(leaf, cas.certs[0], "certificate", len(cabundle)-1); err != nil {
		return nil, err
	}
	c := &chain{
		certs:     append([]*x509.Certificate{leaf}, cas.certs...),
		notBefore: later(cas.notBefore, leaf.NotBefore),
		notAfter:  earlier(cas.notAfter, leaf.NotAfter),
	}
	chains.put(leafKey, c)
	return c, nil
}

// verifyCAs parses the cabundle (root first) and checks each CA against
// the one before it, returning the certificates in chain order (root last).
func verifyCAs(cabundle [][]byte) (*chain, error) {
	certs := make([]*x509.Certificate, len(cabundle))
	c := &chain{certs: certs}
	for i, der := range cabundle {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, malformed("cabundle[%d]: %v", i, err)
		}
		name := fmt.Sprintf("cabundle[%d]", i)
		if err := checkProfile(cert, name); err != nil {
			return nil, err
		}
		if k, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P384() {
			return nil, untrusted("%s: key is not P-384", name)
		}
		if !cert.BasicConstraintsValid || !cert.IsCA {
			return nil, untrusted("%s: not a CA", name)
		}
		if cert.KeyUsage&x509.KeyUsageCertSign == 0 {
			return nil, untrusted("%s: key usage lacks keyCertSign", name)
		}
		// pathLen counts the CAs below this one (the leaf is not one).
		if below := len(cabundle) - 1 - i; cert.MaxPathLen >= 0 && (cert.MaxPathLen > 0 || cert.MaxPathLenZero) && below > cert.MaxPathLen {
			return nil, untrusted("%s: pathLen %d, but %d CAs below it", name, cert.MaxPathLen, below)
		}
		if i > 0 {
			if err := checkIssued(cert, certs[len(cabundle)-i], name, i-1); err != nil {
				return nil, err
			}
		}
		certs[len(cabundle)-1-i] = cert
		if i == 0 || cert.NotBefore.After(c.notBefore) {
			c.notBefore = cert.NotBefore
		}
		if i == 0 || cert.NotAfter.Before(c.notAfter) {
			c.notAfter = cert.NotAfter
		}
	}
	return c, nil
}

// checkProfile holds what both platforms' certificates have in common.
func checkProfile(cert *x509.Certificate, name string) error {
	if cert.Version != 3 {
		return untrusted("%s: version %d, not 3", name, cert.Version)
	}
	if cert.SignatureAlgorithm != x509.ECDSAWithSHA384 {
		return untrusted("%s: signed with %v, not ECDSA-SHA384", name, cert.SignatureAlgorithm)
	}
	for _, e := range cert.Extensions {
		if e.Critical && !slices.ContainsFunc(enforcedCritical, e.Id.Equal) {
			return untrusted("%s: unhandled critical extension %v", name, e.Id)
		}
	}
	return nil
}

// enforcedCritical are the extensions that may be critical:
// basicConstraints and keyUsage, which verifyChain enforces. RFC 5280
// (4.2) has a verifier reject a certificate with a critical extension it
// does not process; crypto/x509 parses more than these (nameConstraints,
// extKeyUsage, certificate policies) but enforces them only in its own
// chain building, which Verify does not use, so they count as unhandled.
// The real roots and chains make only these two critical.
var enforcedCritical = []asn1.ObjectIdentifier{
	{2, 5, 29, 19}, // basicConstraints
	{2, 5, 29, 15}, // keyUsage
}

// checkIssued checks that parent, cabundle[parentIndex], issued cert.
// Names are compared byte for byte, as crypto/x509 does.
func checkIssued(cert, parent *x509.Certificate, name string, parentIndex int) error {
	if !bytes.Equal(cert.RawIssuer, parent.RawSubject) {
		return untrusted("%s: issuer is not the subject of cabundle[%d]", name, parentIndex)
	}
	if err := cert.CheckSignatureFrom(parent); err != nil {
		return untrusted("%s: not signed by cabundle[%d]: %v", name, parentIndex, err)
	}
	return nil
}

// checkTime reports the first certificate of c that is not valid at t, the
// verification time or (as what says) the document's timestamp: one whose
// validity has not begun is ErrNotYetValid, one that has ended ErrExpired.
// The cached intersection of the validity periods answers the common case.
func (c *chain) checkTime(t time.Time, what string) error {
	if !t.Before(c.notBefore) && !t.After(c.notAfter) {
		return nil
	}
	for i, cert := range c.certs {
		sentinel := ErrExpired
		switch {
		case t.Before(cert.NotBefore):
			sentinel = ErrNotYetValid
		case t.After(cert.NotAfter):
		default:
			continue
		}
		return fmt.Errorf("%w: %s valid from %s to %s, not at %s%s", sentinel, chainName(len(c.certs), i),
			cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339), what, t.Format(time.RFC3339Nano))
	}
	return fmt.Errorf("%w: chain not valid at %s%s", ErrExpired, what, t.Format(time.RFC3339Nano))
}

// chainName names certs[i] of an n-certificate chain (leaf first) as the
// document does.
func chainName(n, i int) string {
	if i == 0 {
		return "certificate"
	}
	return fmt.Sprintf("cabundle[%d]", n-1-i)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// maxCachedChains bounds the chain cache. A verifier typically sees
// documents from a handful of enclaves, each needing two entries (its
// cabundle, and its leaf with that cabundle); an entry is a few KiB.
const maxCachedChains = 256

// chainCache remembers verified chains by a hash of their exact bytes. It
// never decides trust on its own: the root is checked against the trusted
// roots and the validity period against the verification time on every
// call, so a cached chain is trusted exactly as a freshly verified one.
type chainCache struct {
	mu sync.Mutex
	m  map[[32]byte]*chain
}

var chains = &chainCache{m: make(map[[32]byte]*chain)}

// cacheKey hashes the kind of entry, the leaf (if any) and the cabundle,
// each with its length, so that different splits never collide.
func cacheKey(kind byte, leaf []byte, cabundle [][]byte) [32]byte {
	h := sha256.New()
	var n [4]byte
	h.Write([]byte{kind})
	for _, b := range append([][]byte{leaf}, cabundle...) {
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func (c *chainCache) get(k [32]byte) *chain {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *chainCache) put(k [32]byte, ch *chain) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedChains {
		for old := range c.m { // Go randomizes the order: a random eviction
			delete(c.m, old)
			break
		}
	}
	c.m[k] = ch
}

// reset empties the cache (for tests and cold benchmarks).
func (c *chainCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}
