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
// chains are cached by their exact bytes: a known leaf costs no
// certificate signature check at all, and a new leaf under known CAs one.
func verifyChain(leafDER []byte, cabundle [][]byte) (*chain, error) {
	leafKey := sha256.Sum256(leafDER)
	if c := leaves.get(leafKey, nil); c != nil && c.hasCAs(cabundle) {
		return c, nil
	}
	keys := caKeys(cabundle)
	cas, err := verifyCAs(cabundle, keys[:len(cabundle)])
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(bytes.Clone(leafDER)) // not to keep the caller's bytes
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
	c := cas.extend(leaf)
	leaves.put(leafKey, c, entryCharge+certCharge(leaf))
	return c, nil
}

// verifyCAs checks the cabundle (root first), returning its certificates
// in chain order (root last). Every verified prefix of a cabundle is
// cached, so that CAs shared by many cabundles (a region's, a zone's) are
// checked once, and a new CA under known ones costs one signature check.
// keys[i] is the cache key of cabundle[:i+1].
func verifyCAs(cabundle [][]byte, keys [][32]byte) (*chain, error) {
	// The longest cached prefix: the whole cabundle, when warm.
	known := len(cabundle)
	var c *chain
	for ; known > 0; known-- {
		if c = cas.get(keys[known-1], nil); c != nil {
			break
		}
	}
	// What a cached prefix was checked for holds for any cabundle that
	// starts with it, except pathLen, which counts the CAs below.
	for i := range known {
		if err := checkPathLen(c.certs[known-1-i], i, len(cabundle)-1-i); err != nil {
			return nil, err
		}
	}
	for i := known; i < len(cabundle); i++ {
		cert, err := x509.ParseCertificate(bytes.Clone(cabundle[i]))
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
		if err := checkPathLen(cert, i, len(cabundle)-1-i); err != nil {
			return nil, err
		}
		if i > 0 {
			if err := checkIssued(cert, c.certs[0], name, i-1); err != nil {
				return nil, err
			}
		}
		c = c.extend(cert)
		cas.put(keys[i], c, entryCharge+certCharge(cert))
	}
	return c, nil
}

// root returns the DER of the chain's root.
func (c *chain) root() []byte { return c.certs[len(c.certs)-1].Raw }

// hasCAs reports whether the CAs of c are, byte for byte, cabundle (root
// first).
func (c *chain) hasCAs(cabundle [][]byte) bool {
	if len(c.certs) != 1+len(cabundle) {
		return false
	}
	for i, der := range cabundle {
		if !bytes.Equal(c.certs[len(c.certs)-1-i].Raw, der) {
			return false
		}
	}
	return true
}

// checkPathLen checks the pathLen, if any, of cert, cabundle[i], against
// the number of CAs below it (the leaf is not one).
func checkPathLen(cert *x509.Certificate, i, below int) error {
	if cert.MaxPathLen >= 0 && (cert.MaxPathLen > 0 || cert.MaxPathLenZero) && below > cert.MaxPathLen {
		return untrusted("cabundle[%d]: pathLen %d, but %d CAs below it", i, cert.MaxPathLen, below)
	}
	return nil
}

// extend returns the chain of cert issued by the first certificate of c,
// which may be nil for a root.
func (c *chain) extend(cert *x509.Certificate) *chain {
	if c == nil {
		return &chain{certs: []*x509.Certificate{cert}, notBefore: cert.NotBefore, notAfter: cert.NotAfter}
	}
	return &chain{
		certs:     append([]*x509.Certificate{cert}, c.certs...),
		notBefore: later(c.notBefore, cert.NotBefore),
		notAfter:  earlier(c.notAfter, cert.NotAfter),
	}
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

// The chain caches remember verified chains by a hash of their exact
// bytes. They never decide trust on their own: the root is checked against
// the trusted roots, pathLen against the CAs below and the validity
// periods against the verification time on every call, so a cached chain
// is trusted exactly as a freshly verified one.
var (
	// cas holds verified CA chains, each a prefix of a cabundle (root
	// first), under the key of that prefix (see caKeys).
	cas = newClockCache[[32]byte, chain](maxCachedCAs, maxCachedCABytes)
	// leaves holds verified leaf chains under the SHA-256 of the leaf; a
	// leaf is found only under the very CAs it was verified with (hasCAs),
	// or verified again. Leaves come and go by the thousand, CAs stay:
	// apart, the leaves of a fleet never evict the CAs they share.
	leaves = newClockCache[[32]byte, chain](maxCachedLeaves, maxCachedLeafBytes)
)

// caKeys returns the cache key of each prefix of the cabundle: keys[i] is
// that of cabundle[:i+1], the SHA-256 of keys[i-1] (zero for the root),
// and of cabundle[i] with its length. A hash chain: the keys cost one pass
// over the bytes, and different splits never collide.
func caKeys(cabundle [][]byte) (keys [maxCABundle][32]byte) {
	h := sha256.New()
	var parent [32]byte
	for i, der := range cabundle {
		h.Reset()
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(der)))
		h.Write(parent[:])
		h.Write(n[:])
		h.Write(der)
		h.Sum(keys[i][:0])
		parent = keys[i]
	}
	return keys
}
