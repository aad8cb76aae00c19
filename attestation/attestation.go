// Package attestation verifies the attestation documents of AWS Nitro
// Enclaves and Huawei Cloud QingTian Enclaves: COSE_Sign1 (RFC 9052)
// structures signed with ES384 by a leaf certificate that chains up to the
// platform's root.
//
// For most uses, call Verify with the raw document bytes and a policy:
//
//	doc, err := attestation.Verify(raw, attestation.VerifyOptions{
//		PCRs:  map[int][]byte{0: wantImage},
//		Nonce: challenge,
//	})
//	if err != nil {
//		return err // errors.Is(err, attestation.ErrPolicy), ...
//	}
//	use(doc.PublicKey)
//
// A Document is only ever returned verified: signature, chain, validity and
// policy. Decode reads a document without verifying it, for display only.
//
// # What is checked
//
// The document is parsed strictly (duplicate keys, trailing bytes, wrong
// types, missing fields and anything over the size limits are rejected);
// the quirks of real platforms are accepted in one place, decodePayload,
// and are listed there. The protected header must be exactly {alg: ES384}
// and the unprotected header empty. The signature is checked over the bytes
// received, never a re-encoding, with the leaf's P-384 key; high-S
// signatures are valid. QingTian stores r and s little-endian: that reading
// is accepted only for documents whose chain ends in the QingTian root, or
// in a root from VerifyOptions.Roots that is neither platform's (such as
// attestationtest's) unless Platform is Nitro; such a document is then
// reported as QingTian.
//
// The chain is the leaf followed by the cabundle in reverse; cabundle[0]
// must be byte for byte one of the trusted roots. Every certificate must be
// X.509 v3, P-384 and ECDSA-SHA384; every CA must have basicConstraints
// CA:TRUE, keyCertSign and a pathLen (if any) that the chain respects; the
// leaf must not be a CA and must have digitalSignature. Names chain byte
// for byte, as in crypto/x509.
//
// The only critical extensions accepted are basicConstraints and keyUsage,
// the two that are checked (and the only ones critical in the real
// platforms' chains). Any other critical extension is rejected as
// unhandled (ErrUntrusted), even one that crypto/x509 parses: Verify does
// not enforce nameConstraints, extended key usage or certificate policies,
// so a certificate that makes them critical is refused rather than
// accepted unenforced.
//
// Every certificate must be valid at the verification time (by default
// now: old documents verify only with AtDocumentTime) and at the
// document's timestamp, and the timestamp may be at most 5 minutes (a clock
// skew allowance) in the future of the verification time, whether or not
// MaxAge is set.
//
// An empty public_key, user_data or nonce is returned as an empty, non-nil
// slice; a null or absent one as nil (VerifyOptions can require either).
//
// # Caching
//
// Verify remembers, by the exact bytes, the work that
// depends on nothing but the bytes: that a document's chain and signature
// verify. The same document again costs no signature check (a KMS sees an
// enclave's document on each of its calls); a new document from a known
// leaf costs one; a new leaf under known CAs two. CAs are cached apart
// from leaves, each once for all the cabundles that share it. Only what
// verified is cached; a document that fails parsing, its chain or its
// signature leaves nothing behind. The caches are safe for concurrent use
// and bounded in entries and in memory (208 MiB in all, reached only by a
// fleet of some 16,000 enclaves), with CLOCK eviction.
//
// The caches never change a result, error included: on every call, cached
// or not, the root is checked against VerifyOptions.Roots, every
// certificate's validity and the timestamp rules against the verification
// time, then MaxAge, the platform and every policy check, in the order
// given under Errors. The Document returned is the caller's own: its PCRs
// and byte slices are copies.
//
// # Errors
//
// Checks run in this order, and the first failure decides the sentinel:
// parsing (ErrMalformed, also for a certificate that does not parse or a
// leaf key that is not P-384), the chain's root, names, constraints and
// signatures (ErrUntrusted), the document's signature (ErrSignature),
// validity times and MaxAge (ErrExpired, or ErrNotYetValid, which is also
// ErrExpired), and finally VerifyOptions' policy and platform (ErrPolicy).
// So a tampered certificate is ErrUntrusted, a tampered payload
// ErrSignature, and only a genuine document can fail with ErrExpired or
// ErrPolicy.
//
// # What is not checked
//
// Revocation (the platforms publish none), the meaning of PCRs beyond the
// values given in VerifyOptions.PCRs, and the contents of public_key,
// user_data and nonce beyond VerifyOptions. A document is a statement by
// the platform about an enclave at one moment: freshness needs a nonce or
// MaxAge.
package attestation

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"time"
	"weak"
)

// Errors returned by Verify, wrapped with the field or rule that failed.
// Check them with errors.Is.
var (
	// ErrMalformed: the bytes are not a well-formed attestation document.
	ErrMalformed = errors.New("attestation: malformed document")
	// ErrSignature: the document's signature does not verify with its leaf key.
	ErrSignature = errors.New("attestation: bad signature")
	// ErrUntrusted: the certificate chain is broken or does not end in a
	// trusted root.
	ErrUntrusted = errors.New("attestation: untrusted certificate chain")
	// ErrExpired: a certificate is not valid at the verification time or at
	// the document's timestamp, the timestamp is in the future of the
	// verification time, or the document is older than MaxAge. It covers
	// every validity failure, ErrNotYetValid included.
	ErrExpired = errors.New("attestation: expired")
	// ErrNotYetValid: the failure is not an expiry but the opposite: a
	// certificate whose validity begins after the verification time or after
	// the document's timestamp, or a timestamp more than the allowed clock
	// skew in the future of the verification time. Every ErrNotYetValid is
	// also an ErrExpired, so a caller that treats all validity failures alike
	// checks ErrExpired alone.
	ErrNotYetValid error = notYetValid{}
	// ErrPolicy: the document is genuine but does not meet VerifyOptions.
	ErrPolicy = errors.New("attestation: policy not met")
)

// notYetValid is ErrNotYetValid: its own message, and also ErrExpired.
type notYetValid struct{}

func (notYetValid) Error() string        { return "attestation: not yet valid" }
func (notYetValid) Is(target error) bool { return target == ErrExpired }

// maxClockSkew is how far in the future of the verification time a
// document's timestamp may be. The enclave's host and the verifier each
// keep their own clock; five minutes is the customary allowance for
// clocks kept by NTP (Kerberos' default clockskew is 300 s), small beside
// a leaf certificate's three hours and no larger than a typical MaxAge.
const maxClockSkew = 5 * time.Minute

// VerifyOptions is the trust and policy for Verify. The zero value trusts
// the embedded roots, checks validity at the current time, refuses debug
// enclaves and requires nothing else.
type VerifyOptions struct {
	// Roots, if not nil, replaces the embedded roots (see EmbeddedRoots).
	Roots []*x509.Certificate

	// Platform, if not zero, is the platform the document must come from.
	// If zero, the platform is the one whose root the chain ends in.
	Platform Platform

	// Time is the verification time. If zero, the current time is used.
	Time time.Time
	// AtDocumentTime verifies as of the document's own timestamp (Time is
	// then ignored). Certificates live hours: only this way do old
	// documents verify. It says nothing about freshness.
	AtDocumentTime bool
	// MaxAge, if positive, rejects documents whose timestamp is older than
	// this at the verification time. (A timestamp more than 5 minutes in
	// the future of the verification time is rejected in any case.)
	MaxAge time.Duration

	// PCRs are expected measurements: each index given must be present
	// with exactly this value.
	PCRs map[int][]byte
	// Nonce, UserData and PublicKey, if not nil, must equal the
	// document's fields, which must be present: a non-nil empty slice
	// (such as []byte{}) requires the field present and empty, and a
	// document whose field is null or absent does not meet it. Nil
	// requires nothing.
	Nonce     []byte
	UserData  []byte
	PublicKey []byte
	// RequireRSAPublicKey requires public_key to be a DER
	// SubjectPublicKeyInfo of an RSA key that a KMS can seal to: 2048, 3072
	// or 4096 bits, and nothing crypto/rsa refuses to encrypt to (an even
	// modulus; an exponent that is even, below 3 or above 2^31-1).
	RequireRSAPublicKey bool

	// AllowDebug accepts enclaves in debug mode (PCR0, PCR1 and PCR2 all
	// zero or absent), whose memory the host can read.
	AllowDebug bool
}

// Verify verifies the attestation document doc (the raw COSE_Sign1 bytes,
// tagged or not) and returns what it attests. On any error the Document is
// nil.
func Verify(doc []byte, opts VerifyOptions) (*Document, error) {
	roots := opts.Roots
	if roots == nil {
		roots = EmbeddedRoots()
	}
	d, c, err := verifySigned(doc, roots, opts.Platform)
	if err != nil {
		return nil, err
	}
	p := d.p

	// Time: every certificate must be valid at the verification time and
	// at the document's timestamp, which may not be in the future.
	t := opts.Time
	switch {
	case opts.AtDocumentTime:
		t = p.timestamp
	case t.IsZero():
		t = time.Now()
	}
	if err := c.checkTime(t, ""); err != nil {
		return nil, err
	}
	if err := c.checkTime(p.timestamp, "the document's timestamp "); err != nil {
		return nil, err
	}
	age := t.Sub(p.timestamp)
	if age < -maxClockSkew {
		return nil, fmt.Errorf("%w: timestamp %s is %v in the future of the verification time %s (allowed clock skew %v)",
			ErrNotYetValid, p.timestamp.Format(time.RFC3339Nano), -age, t.Format(time.RFC3339Nano), maxClockSkew)
	}
	if opts.MaxAge > 0 && age > opts.MaxAge {
		return nil, fmt.Errorf("%w: timestamp %s is %v from the verification time, max age %v", ErrExpired, p.timestamp.Format(time.RFC3339Nano), age, opts.MaxAge)
	}

	if opts.Platform != 0 && d.platform != opts.Platform {
		return nil, fmt.Errorf("%w: platform: the document is from %v, want %v", ErrPolicy, d.platform, opts.Platform)
	}
	if err := checkPolicy(d, &opts); err != nil {
		return nil, err
	}
	return d.document(c), nil
}

// verifySigned parses doc and verifies its chain, which must end in one of
// roots, and its signature: the work that depends only on the bytes. It
// returns the document and its verified chain. A document that passes is
// cached with a copy of its bytes, so that the same bytes again cost a
// fast hash, a comparison, the check of their root against roots and
// nothing else here.
// want is VerifyOptions.Platform.
func verifySigned(doc []byte, roots []*x509.Certificate, want Platform) (*signedDoc, *chain, error) {
	if len(doc) <= maxDocumentSize { // larger is malformed: not worth hashing
		// For a root that is neither platform's, want decides which
		// readings of the signature verifySignature tries: a document
		// verified with another want is verified again.
		if d := lookupDoc(doc); d != nil {
			if c := d.chain.Value(); c != nil && d.signedAs == signingPlatform(c.root(), want) {
				if err := checkRoot(c.root(), roots); err != nil {
					return nil, nil, err
				}
				return d, c, nil
			}
		}
	}

	m, err := parseSign1(doc)
	if err != nil {
		return nil, nil, err
	}
	p, err := decodePayload(m.payload)
	if err != nil {
		return nil, nil, err
	}
	// Trust: the chain must end in a trusted root.
	if err := checkRoot(p.cabundle[0], roots); err != nil {
		return nil, nil, err
	}
	signedAs := signingPlatform(p.cabundle[0], want)
	c, err := verifyChain(p.cert, p.cabundle)
	if err != nil {
		return nil, nil, err
	}
	// Signature, with the key of the verified leaf.
	platform, err := verifySignature(c.certs[0].PublicKey.(*ecdsa.PublicKey), m, signedAs)
	if err != nil {
		return nil, nil, err
	}
	p.cert, p.cabundle = nil, nil
	d := &signedDoc{raw: bytes.Clone(doc), p: p, rsaKey: checkRSAPublicKey(p.publicKey), chain: weak.Make(c), signedAs: signedAs, platform: platform}
	docs.put(docKey(doc), d, d.charge())
	return d, c, nil
}

// checkRoot checks that der, a document's cabundle[0], is byte for byte
// one of roots.
func checkRoot(der []byte, roots []*x509.Certificate) error {
	if !slices.ContainsFunc(roots, func(r *x509.Certificate) bool { return r != nil && bytes.Equal(r.Raw, der) }) {
		return untrusted("cabundle[0] is not a trusted root")
	}
	return nil
}

// signingPlatform is the platform a document whose chain ends in root is
// checked as: the root's, or for another root (such as attestationtest's)
// the platform the caller wants, if any.
func signingPlatform(root []byte, want Platform) Platform {
	if p := rootPlatform(root); p != 0 {
		return p
	}
	return want
}

// verifySignature checks the ES384 signature over Sig_structure =
// ["Signature1", protected, empty external_aad, payload], built from the
// bytes received.
// It returns the platform, decided by the signature's byte order when the
// root did not decide it.
func verifySignature(key *ecdsa.PublicKey, m *sign1, platform Platform) (Platform, error) {
	h := sha512.New384()
	h.Write([]byte{0x84, 0x6a}) // array(4), text(10)
	h.Write([]byte("Signature1"))
	h.Write(bstrHead(len(m.protected)))
	h.Write(m.protected)
	h.Write([]byte{0x40}) // external_aad: h''
	h.Write(bstrHead(len(m.payload)))
	h.Write(m.payload)
	digest := h.Sum(nil)

	// QingTian writes r and s each as a little-endian 48-byte integer;
	// other platforms big-endian. Which readings are tried depends only on
	// the platform; which is tried first only saves time: QingTian's order
	// first for its root, or for an unknown root when the protected header
	// has QingTian's non-minimal encoding.
	type reading struct {
		littleEndian bool
		platform     Platform
	}
	readings := []reading{{false, Nitro}}
	switch {
	case platform == QingTian:
		readings = []reading{{true, QingTian}, {false, QingTian}}
	case platform == 0 && !bytes.Equal(m.protected, []byte{0xa1, 0x01, 0x38, 0x22}):
		readings = []reading{{true, QingTian}, {false, Nitro}}
	case platform == 0:
		readings = append(readings, reading{true, QingTian})
	}
	for _, rd := range readings {
		r, s := m.signature[:48], m.signature[48:]
		if rd.littleEndian {
			r, s = reversed(r), reversed(s)
		}
		if ecdsa.Verify(key, digest, new(big.Int).SetBytes(r), new(big.Int).SetBytes(s)) {
			return rd.platform, nil
		}
	}
	return 0, fmt.Errorf("%w: ES384 signature does not verify with the leaf key", ErrSignature)
}

// bstrHead encodes the head of a CBOR byte string of n bytes, minimally.
func bstrHead(n int) []byte {
	switch {
	case n < 24:
		return []byte{0x40 | byte(n)}
	case n < 1<<8:
		return []byte{0x58, byte(n)}
	case n < 1<<16:
		return []byte{0x59, byte(n >> 8), byte(n)}
	default:
		return []byte{0x5a, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
}

func reversed(b []byte) []byte {
	r := slices.Clone(b)
	slices.Reverse(r)
	return r
}

func policy(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrPolicy}, args...)...)
}

func checkPolicy(d *signedDoc, opts *VerifyOptions) error {
	p := d.p
	if !opts.AllowDebug && isZero(p.pcrs[0]) && isZero(p.pcrs[1]) && isZero(p.pcrs[2]) {
		return policy("debug mode (PCR0, PCR1 and PCR2 are zero)")
	}
	for _, i := range slices.Sorted(maps.Keys(opts.PCRs)) {
		got, ok := p.pcrs[i]
		if !ok {
			return policy("PCR%d absent", i)
		}
		if !bytes.Equal(got, opts.PCRs[i]) {
			return policy("PCR%d differs", i)
		}
	}
	for _, f := range []struct {
		name      string
		got, want []byte
	}{{"nonce", p.nonce, opts.Nonce}, {"user_data", p.userData, opts.UserData}, {"public_key", p.publicKey, opts.PublicKey}} {
		switch {
		case f.want == nil:
		case f.got == nil:
			return policy("%s differs: null or absent in the document", f.name)
		case !bytes.Equal(f.got, f.want):
			return policy("%s differs", f.name)
		}
	}
	if opts.RequireRSAPublicKey {
		return d.rsaKey
	}
	return nil
}

// checkRSAPublicKey is the check of RequireRSAPublicKey: publicKey must be
// an RSA SubjectPublicKeyInfo that checkRSAKey accepts.
func checkRSAPublicKey(publicKey []byte) error {
	if len(publicKey) == 0 {
		return policy("public_key absent or empty, want an RSA key")
	}
	k, err := x509.ParsePKIXPublicKey(publicKey)
	if err != nil {
		return policy("public_key is not a SubjectPublicKeyInfo: %v", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return policy("public_key is a %T, want an RSA key", k)
	}
	if err := checkRSAKey(rk); err != nil {
		return policy("public_key: %v", err)
	}
	return nil
}

// checkRSAKey accepts the RSA keys a KMS may seal to: 2048, 3072 or 4096
// bits, and nothing that crypto/rsa's EncryptOAEP refuses. Go 1.26 refuses
// (crypto/internal/fips140/rsa.checkPublicKey, and bigmod.NewModulus and
// checkKeySize before it) a modulus that is even, of at most one or under
// 1024 bits, and an exponent below 2, even, or above 2^31-1; this mirrors
// those rules so that such a key fails here, as a policy error, and not
// later when the secret is sealed. TestRequireRSAPublicKeyMirrorsCryptoRSA
// holds the mirror to EncryptOAEP.
func checkRSAKey(k *rsa.PublicKey) error {
	switch bits := k.N.BitLen(); {
	case bits != 2048 && bits != 3072 && bits != 4096:
		return fmt.Errorf("RSA-%d, want 2048, 3072 or 4096 bits", bits)
	case k.N.Bit(0) == 0:
		return errors.New("the RSA modulus is even")
	case k.E < 3 || k.E > 1<<31-1:
		return fmt.Errorf("RSA exponent %d, want 3 to 2^31-1", k.E)
	case k.E%2 == 0:
		return fmt.Errorf("RSA exponent %d is even", k.E)
	}
	return nil
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
