// Package attestationtest is a test authority for attestation documents,
// in the way net/http/httptest is a test server: it has its own P-384 root
// and intermediates (TEST ONLY keys, pregenerated in testdata) and issues
// documents in the Nitro and the QingTian dialect, with every real quirk
// and every malformation a verifier must reject on request.
//
// Its root is never among attestation's embedded roots: to accept its
// documents, pass Root in attestation.VerifyOptions.Roots.
//
//	raw, err := attestationtest.Issue(attestationtest.Options{PublicKey: spki})
//	doc, err := attestation.Verify(raw, attestation.VerifyOptions{
//		Roots: []*x509.Certificate{attestationtest.Root()},
//	})
//
// The chain mirrors production: root → region (pathLen 2) → zone (pathLen
// 1) → instance (pathLen 0) → leaf. The CA certificates are valid from 2020
// to 2070; each document gets a fresh leaf certificate valid for three
// hours from just before its timestamp, as real leaves are.
//
// # Security
//
// Every private key of this package is published. Nothing it issues may be
// trusted outside tests and samples.
package attestationtest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"embed"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
)

// Quirk is a set of real-platform departures from the written specs
// (PLATFORMS.md) to put in a document, beyond those of its dialect.
type Quirk uint

const (
	// IndefiniteLength encodes the payload map with an indefinite length,
	// as Nitro does since 2026.
	IndefiniteLength Quirk = 1 << iota
	// HighS makes the signature's s the larger of its two valid values.
	HighS
	// UnknownKey adds a payload key no verifier knows.
	UnknownKey
	// PubkeyName names the enclave key "pubkey", as Huawei's CDDL does.
	PubkeyName
	// Tagged wraps the COSE_Sign1 in CBOR tag 18.
	Tagged
	// NonMinimalInts encodes the protected header's integers in 32 bits and
	// PCR indexes in 16, as QingTian does (implied by the QingTian dialect).
	NonMinimalInts
	// OmitAbsent leaves absent public_key, user_data and nonce out of the
	// payload instead of sending null (Nitro) or an empty string (QingTian).
	OmitAbsent
)

// Malformation is one defect to put in a document. Each comment names the
// error attestation.Verify must return.
type Malformation int

const (
	// None issues a valid document.
	None Malformation = iota
	// DuplicateKey repeats module_id in the payload (ErrMalformed).
	DuplicateKey
	// TrailingBytes appends a byte after the COSE_Sign1 (ErrMalformed).
	TrailingBytes
	// WrongAlg puts ES256 in the protected header (ErrMalformed).
	WrongAlg
	// WrongCurve gives the leaf a P-256 key, which signs (ErrMalformed).
	WrongCurve
	// BothKeyNames sends both public_key and pubkey (ErrMalformed).
	BothKeyNames
	// MissingTimestamp leaves the timestamp out (ErrMalformed).
	MissingTimestamp
	// WrongType sends user_data as a text string (ErrMalformed).
	WrongType
	// IndefiniteField sends the nonce as an indefinite-length byte string
	// (ErrMalformed: only the payload map itself may be indefinite).
	IndefiniteField
	// BadChainOrder swaps the zone and region certificates in the
	// cabundle (ErrUntrusted).
	BadChainOrder
	// BrokenPathLen sends a region certificate with pathLen 0 above the
	// zone and instance CAs (ErrUntrusted).
	BrokenPathLen
	// LeafIsCA issues a leaf with CA:TRUE (ErrUntrusted).
	LeafIsCA
	// UntrustedRoot sends a look-alike root, self-signed with the same key
	// but not byte for byte the test root (ErrUntrusted).
	UntrustedRoot
	// TamperedCertificate alters the leaf certificate's subject, then signs
	// the document with the leaf key (ErrUntrusted).
	TamperedCertificate
	// TamperedPayload changes a byte of module_id after signing
	// (ErrSignature).
	TamperedPayload
	// TamperedSignature flips a bit of the signature (ErrSignature).
	TamperedSignature
	// ExpiredLeaf issues a leaf that expired an hour before the document's
	// timestamp (ErrExpired, at any verification time).
	ExpiredLeaf
	// TimestampBeforeCA reissues the instance CA valid only from an hour
	// after the document's timestamp: at a verification time when every
	// certificate is valid, the timestamp still precedes one of them
	// (ErrNotYetValid, at any verification time).
	TimestampBeforeCA
	// CriticalNameConstraints reissues the zone CA with a critical
	// nameConstraints extension permitting only DNS names under
	// permitted.invalid, and gives the leaf a DNS name outside it
	// (ErrUntrusted).
	CriticalNameConstraints
)

// Options describes a document to issue. The zero value is a valid Nitro
// document issued now, with the default PCRs and no public_key, user_data
// or nonce.
type Options struct {
	// Platform is the dialect: attestation.Nitro (also the zero value) or
	// attestation.QingTian. A Nitro document sends absent fields as null,
	// with Nitro's key order; a QingTian document sends all nine keys (an
	// absent field as an empty string) in QingTian's order, non-minimal
	// integers and a signature with little-endian r and s.
	Platform attestation.Platform
	// Time is the document's timestamp. If zero, the current time.
	Time time.Time
	// LeafNotBefore is the start of the leaf certificate's three-hour
	// validity. If zero, 3 seconds before Time (truncated to the second),
	// as for a leaf made for this document; a real leaf signs documents
	// for hours, so a document's timestamp may be long after it.
	LeafNotBefore time.Time
	// Leaf, if not nil, is the leaf certificate (DER) of an earlier
	// document of this package, which the document reuses instead of a
	// fresh one: a real enclave signs its documents with one leaf for
	// hours, and a verifier that knows the leaf checks only the new
	// signature. LeafNotBefore and WrongCurve do not apply; the leaf must
	// still be valid at Time for the document to verify.
	Leaf []byte
	// ModuleID defaults to "i-0123456789abcdef0-enc0123456789abcdef".
	ModuleID string
	// PCRs default to 16 PCRs of 48 bytes: PCR0, PCR1 and PCR2 are the
	// SHA-384 of "qtenclave test PCR0" (and so on); the others are zero.
	// They are sent as given, even if no verifier should accept them.
	PCRs map[int][]byte
	// PublicKey, UserData and Nonce are sent if not nil.
	PublicKey []byte
	UserData  []byte
	Nonce     []byte

	Quirks       Quirk
	Malformation Malformation
}

//go:embed testdata/*.pem testdata/*.key
var testdata embed.FS

// The authority, loaded once from testdata.
var (
	root, region, zone, instance                      *x509.Certificate
	rootKey, regionKey, zoneKey, instanceKey, leafKey *ecdsa.PrivateKey
	leafP256Key                                       *ecdsa.PrivateKey
)

func init() {
	root, rootKey = mustLoad("root")
	region, regionKey = mustLoad("region")
	zone, zoneKey = mustLoad("zone")
	instance, instanceKey = mustLoad("instance")
	leafKey = mustKey("leaf")
	leafP256Key = mustKey("leaf-p256")
}

func mustPEM(name, typ string) []byte {
	b, err := testdata.ReadFile("testdata/" + name)
	if err != nil {
		panic(err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != typ {
		panic("attestationtest: bad " + name)
	}
	return block.Bytes
}

func mustKey(name string) *ecdsa.PrivateKey {
	k, err := x509.ParsePKCS8PrivateKey(mustPEM(name+".key", "TEST ONLY EC PRIVATE KEY"))
	if err != nil {
		panic(err)
	}
	return k.(*ecdsa.PrivateKey)
}

func mustLoad(name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	c, err := x509.ParseCertificate(mustPEM(name+".pem", "CERTIFICATE"))
	if err != nil {
		panic(err)
	}
	return c, mustKey(name)
}

// Root returns the test authority's root certificate (TEST ONLY: its key
// is published). The same root is returned in every process.
func Root() *x509.Certificate {
	return root
}

// defaultModuleID looks like a real Nitro module ID.
const defaultModuleID = "i-0123456789abcdef0-enc0123456789abcdef"

func defaultPCRs() map[int][]byte {
	pcrs := make(map[int][]byte, 16)
	for i := range 16 {
		pcrs[i] = make([]byte, 48)
		if i < 3 {
			h := sha512.Sum384(fmt.Appendf(nil, "qtenclave test PCR%d", i))
			pcrs[i] = h[:]
		}
	}
	return pcrs
}

// Issue issues a document as opts says. It fails only for an unknown
// platform or a PCR index outside 0..65535.
func Issue(opts Options) ([]byte, error) {
	qt := opts.Platform == attestation.QingTian
	if opts.Platform != 0 && opts.Platform != attestation.Nitro && !qt {
		return nil, errors.New("attestationtest: unknown platform")
	}
	if opts.Time.IsZero() {
		opts.Time = time.Now()
	}
	if opts.ModuleID == "" {
		opts.ModuleID = defaultModuleID
	}
	if opts.PCRs == nil {
		opts.PCRs = defaultPCRs()
	}
	if qt {
		opts.Quirks |= NonMinimalInts
	}
	for i := range opts.PCRs {
		if i < 0 || i > 65535 {
			return nil, errors.New("attestationtest: PCR index out of range")
		}
	}
	mal := opts.Malformation

	key := crypto.Signer(leafKey)
	if mal == WrongCurve {
		key = leafP256Key
	}
	leaf := bytes.Clone(opts.Leaf)
	var err error
	if leaf == nil {
		if leaf, err = issueLeaf(opts, key.Public()); err != nil {
			return nil, err
		}
	}
	if mal == TamperedCertificate {
		// The first occurrence of the module ID is in the leaf's subject.
		leaf[bytes.Index(leaf, []byte(opts.ModuleID))] ^= 0x01
	}
	cabundle := [][]byte{root.Raw, region.Raw, zone.Raw, instance.Raw}
	switch mal {
	case BadChainOrder:
		cabundle[1], cabundle[2] = cabundle[2], cabundle[1]
	case BrokenPathLen:
		if cabundle[1], err = reissue(region, root, rootKey, func(c *x509.Certificate) { c.MaxPathLen, c.MaxPathLenZero = 0, true }); err != nil {
			return nil, err
		}
	case UntrustedRoot:
		if cabundle[0], err = reissue(root, nil, rootKey, func(c *x509.Certificate) { c.SerialNumber = big.NewInt(666) }); err != nil {
			return nil, err
		}
	case TimestampBeforeCA:
		if cabundle[3], err = reissue(instance, zone, zoneKey, func(c *x509.Certificate) { c.NotBefore = opts.Time.Add(time.Hour) }); err != nil {
			return nil, err
		}
	case CriticalNameConstraints:
		if cabundle[2], err = reissue(zone, region, regionKey, func(c *x509.Certificate) {
			c.PermittedDNSDomainsCritical, c.PermittedDNSDomains = true, []string{"permitted.invalid"}
		}); err != nil {
			return nil, err
		}
	}

	payload, err := encodePayload(opts, leaf, cabundle)
	if err != nil {
		return nil, err
	}
	protected := []byte{0xa1, 0x01, 0x38, 0x22} // {1: -35}, ES384
	switch {
	case mal == WrongAlg:
		protected = []byte{0xa1, 0x01, 0x26} // {1: -7}, ES256
	case opts.Quirks&NonMinimalInts != 0:
		protected = []byte{0xa1, 0x1a, 0, 0, 0, 1, 0x3a, 0, 0, 0, 0x22}
	}
	sig, err := sign(key, protected, payload, opts.Quirks&HighS != 0, qt)
	if err != nil {
		return nil, err
	}
	if mal == TamperedPayload {
		// module_id is the first key in both dialects, so its value comes
		// before the leaf certificate's copy of it.
		payload[bytes.Index(payload, []byte(opts.ModuleID))] ^= 0x01
	}
	if mal == TamperedSignature {
		sig[40] ^= 0x01
	}

	var e encoder
	if opts.Quirks&Tagged != 0 {
		e.b = append(e.b, 0xd2)
	}
	e.head(4, 4)
	e.bytes(protected)
	e.head(5, 0) // empty unprotected header
	e.bytes(payload)
	e.bytes(sig)
	if mal == TrailingBytes {
		e.b = append(e.b, 0x00)
	}
	return e.b, nil
}

// issueLeaf makes a fresh leaf certificate for the document, issued by the
// instance CA.
func issueLeaf(opts Options, pub crypto.PublicKey) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	notBefore := opts.Time.Add(-3 * time.Second).Truncate(time.Second)
	if !opts.LeafNotBefore.IsZero() {
		notBefore = opts.LeafNotBefore
	}
	if opts.Malformation == ExpiredLeaf {
		notBefore = notBefore.Add(-4 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Country:      []string{"ZZ"},
			Organization: []string{"qtenclave test authority (TEST ONLY)"},
			CommonName:   opts.ModuleID + ".test.qtenclave",
		},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(3 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  opts.Malformation == LeafIsCA,
		SignatureAlgorithm:    x509.ECDSAWithSHA384,
	}
	if tmpl.IsCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	if opts.Malformation == CriticalNameConstraints {
		tmpl.DNSNames = []string{"enclave.test.qtenclave"}
	}
	return x509.CreateCertificate(rand.Reader, tmpl, instance, pub, instanceKey)
}

// reissue signs a modified copy of c with key, the key of parent (nil: c
// is self-signed).
func reissue(c, parent *x509.Certificate, key *ecdsa.PrivateKey, modify func(*x509.Certificate)) ([]byte, error) {
	tmpl := *c
	modify(&tmpl)
	if parent == nil {
		parent = &tmpl
	}
	return x509.CreateCertificate(rand.Reader, &tmpl, parent, c.PublicKey, key)
}

// sign makes the raw r || s signature over the Sig_structure, with s low
// unless highS, and each half little-endian for QingTian.
func sign(key crypto.Signer, protected, payload []byte, highS, littleEndian bool) ([]byte, error) {
	var e encoder
	e.head(4, 4)
	e.text("Signature1")
	e.bytes(protected)
	e.bytes(nil)
	e.bytes(payload)
	digest := sha512.Sum384(e.b)
	k := key.(*ecdsa.PrivateKey)
	r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
	if err != nil {
		return nil, err
	}
	n := k.Curve.Params().N
	if half := new(big.Int).Rsh(n, 1); (s.Cmp(half) > 0) != highS {
		s.Sub(n, s)
	}
	size := (k.Curve.Params().BitSize + 7) / 8
	sig := make([]byte, 2*size)
	r.FillBytes(sig[:size])
	s.FillBytes(sig[size:])
	if littleEndian {
		reverse(sig[:size])
		reverse(sig[size:])
	}
	if size != 48 { // a P-256 leaf: pad to the ES384 length, as a broken signer would
		sig = append(sig, make([]byte, 96-len(sig))...)
	}
	return sig, nil
}

func reverse(b []byte) {
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
}

// encodePayload writes the payload map in the dialect's key order.
func encodePayload(opts Options, leaf []byte, cabundle [][]byte) ([]byte, error) {
	qt := opts.Platform == attestation.QingTian
	mal := opts.Malformation
	var e encoder
	type field struct {
		key   string
		write func()
	}
	optional := func(key string, v []byte) field {
		return field{key, func() {
			switch {
			case v != nil:
				e.bytes(v)
			case qt:
				e.bytes(nil)
			default:
				e.b = append(e.b, 0xf6) // null
			}
		}}
	}
	pcrs := field{"pcrs", func() {
		e.head(5, uint64(len(opts.PCRs)))
		for _, i := range slices.Sorted(maps.Keys(opts.PCRs)) {
			if opts.Quirks&NonMinimalInts != 0 {
				e.b = append(e.b, 0x19, byte(i>>8), byte(i))
			} else {
				e.head(0, uint64(i))
			}
			e.bytes(opts.PCRs[i])
		}
	}}
	fields := []field{
		{"module_id", func() { e.text(opts.ModuleID) }},
		{"digest", func() { e.text("SHA384") }},
		{"timestamp", func() { e.head(0, uint64(opts.Time.UnixMilli())) }},
		pcrs,
		{"certificate", func() { e.bytes(leaf) }},
		{"cabundle", func() {
			e.head(4, uint64(len(cabundle)))
			for _, c := range cabundle {
				e.bytes(c)
			}
		}},
	}
	keyName := "public_key"
	if opts.Quirks&PubkeyName != 0 {
		keyName = "pubkey"
	}
	if qt { // module_id, timestamp, digest, pcrs, certificate, cabundle, user_data, nonce, public_key
		fields[1], fields[2] = fields[2], fields[1]
		fields = append(fields, optional("user_data", opts.UserData), optional("nonce", opts.Nonce), optional(keyName, opts.PublicKey))
	} else {
		fields = append(fields, optional(keyName, opts.PublicKey), optional("user_data", opts.UserData), optional("nonce", opts.Nonce))
	}
	if opts.Quirks&OmitAbsent != 0 {
		kept := fields[:0]
		for _, f := range fields {
			if (f.key == keyName && opts.PublicKey == nil) || (f.key == "user_data" && opts.UserData == nil) || (f.key == "nonce" && opts.Nonce == nil) {
				continue
			}
			kept = append(kept, f)
		}
		fields = kept
	}
	if mal == MissingTimestamp {
		fields = slices.DeleteFunc(fields, func(f field) bool { return f.key == "timestamp" })
	}
	for i, f := range fields {
		switch {
		case mal == WrongType && f.key == "user_data":
			fields[i].write = func() { e.text("not a byte string") }
		case mal == IndefiniteField && f.key == "nonce":
			fields[i].write = func() { e.b = append(e.b, 0x5f, 0x41, 'n', 0x41, 'o', 0xff) }
		}
	}
	switch mal {
	case DuplicateKey:
		fields = append(fields, fields[0])
	case BothKeyNames:
		other := "pubkey"
		if keyName == other {
			other = "public_key"
		}
		fields = append(fields, field{other, func() { e.bytes(opts.PublicKey) }})
	}
	if opts.Quirks&UnknownKey != 0 {
		fields = append(fields, field{"qtenclave_future_key", func() {
			e.head(5, 1)
			e.text("nested")
			e.head(4, 2)
			e.head(0, 1)
			e.b = append(e.b, 0xf5) // true
		}})
	}

	if opts.Quirks&IndefiniteLength != 0 {
		e.b = append(e.b, 0xbf)
	} else {
		e.head(5, uint64(len(fields)))
	}
	for _, f := range fields {
		e.text(f.key)
		f.write()
	}
	if opts.Quirks&IndefiniteLength != 0 {
		e.b = append(e.b, 0xff)
	}
	return e.b, nil
}

// encoder writes CBOR with minimal heads.
type encoder struct{ b []byte }

func (e *encoder) head(major byte, n uint64) {
	m := major << 5
	switch {
	case n < 24:
		e.b = append(e.b, m|byte(n))
	case n < 1<<8:
		e.b = append(e.b, m|24, byte(n))
	case n < 1<<16:
		e.b = append(e.b, m|25, byte(n>>8), byte(n))
	case n < 1<<32:
		e.b = append(e.b, m|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	default:
		e.b = append(e.b, m|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

func (e *encoder) bytes(b []byte) { e.head(2, uint64(len(b))); e.b = append(e.b, b...) }
func (e *encoder) text(s string)  { e.head(3, uint64(len(s))); e.b = append(e.b, s...) }
