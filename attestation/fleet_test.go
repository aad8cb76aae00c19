package attestation

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// A fleet is a test authority shaped like AWS's: a root, a region CA,
// zone CAs under it and instance CAs under each zone, and many enclave
// leaves, each with a key of its own, under the instance CAs in turn. It
// issues Nitro-dialect documents signed by any of its leaves. The
// internal tests and benchmarks use it because they cannot import
// attestationtest (which imports this package); its keys are generated
// per process and never leave it.
type fleet struct {
	root        *x509.Certificate
	instanceCAs []*fleetCA
	templates   []*leafTemplate // one per instance CA
	bundles     [][][]byte      // a cabundle (root first) per instance CA
	leaves      []fleetLeaf
}

type fleetLeaf struct {
	der    []byte
	key    *ecdsa.PrivateKey
	bundle [][]byte
}

type fleetCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// fleetPCRs are the PCRs of every fleet document: PCR0..2 non-zero.
var fleetPCRs = func() map[int][]byte {
	pcrs := make(map[int][]byte, 16)
	for i := range 16 {
		pcrs[i] = make([]byte, 48)
		if i < 3 {
			h := sha512.Sum384(fmt.Appendf(nil, "qtenclave fleet PCR%d", i))
			pcrs[i] = h[:]
		}
	}
	return pcrs
}()

var fleetSerial struct {
	sync.Mutex
	n int64
}

// newCert issues a certificate for key, by parent (nil: self-signed).
func newCert(tb testing.TB, name string, key *ecdsa.PrivateKey, parent *fleetCA, isCA bool, notBefore, notAfter time.Time) *x509.Certificate {
	fleetSerial.Lock()
	fleetSerial.n++
	serial := fleetSerial.n
	fleetSerial.Unlock()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{Organization: []string{"qtenclave fleet (TEST ONLY)"}, CommonName: name},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  isCA,
		SignatureAlgorithm:    x509.ECDSAWithSHA384,
	}
	if isCA {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// newFleet makes a fleet of zones × instances instance CAs and n leaves,
// valid from an hour ago for three hours; the CAs from 2020 to 2070.
func newFleet(tb testing.TB, zones, instances, n int) *fleet {
	caFrom, caTo := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2070, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(name string, parent *fleetCA) *fleetCA {
		k := newKey(tb)
		return &fleetCA{newCert(tb, name, k, parent, true, caFrom, caTo), k}
	}
	root := mk("fleet root", nil)
	region := mk("fleet region", root)
	f := &fleet{root: root.cert}
	for z := range zones {
		zone := mk(fmt.Sprintf("fleet zone %d", z), region)
		for i := range instances {
			ca := mk(fmt.Sprintf("fleet instance %d.%d", z, i), zone)
			f.instanceCAs = append(f.instanceCAs, ca)
			f.bundles = append(f.bundles, [][]byte{root.cert.Raw, region.cert.Raw, zone.cert.Raw, ca.cert.Raw})
		}
	}
	f.leaves = make([]fleetLeaf, n)
	now := time.Now()
	for _, ca := range f.instanceCAs {
		f.templates = append(f.templates, newLeafTemplate(tb, ca, now.Add(-time.Hour), now.Add(2*time.Hour)))
	}
	parallel(n, func(i int) { f.leaves[i] = f.newLeaf(tb, i) })
	return f
}

// leafTemplate issues leaf certificates fast. x509.CreateCertificate
// checks every signature it makes, a P-384 verification that costs three
// signatures; so the fleet makes one leaf per instance CA with it, and
// signs copies of its TBSCertificate with the serial number and common
// name patched in place. The leaves under one CA share a key.
type leafTemplate struct {
	ca       *fleetCA
	key      *ecdsa.PrivateKey
	tbs      []byte
	cert     certificateASN1
	serialAt int // 8 bytes
	nameAt   int // 8 digits
}

type certificateASN1 struct {
	TBS       asn1.RawValue
	Algorithm asn1.RawValue
	Signature asn1.BitString
}

var (
	serialMarker = []byte{0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a}
	nameMarker   = []byte("XXXXXXXX")
)

func newLeafTemplate(tb testing.TB, ca *fleetCA, notBefore, notAfter time.Time) *leafTemplate {
	t := &leafTemplate{ca: ca, key: newKey(tb)}
	tmpl := &x509.Certificate{
		SerialNumber:          new(big.Int).SetBytes(serialMarker),
		Subject:               pkix.Name{Organization: []string{"qtenclave fleet (TEST ONLY)"}, CommonName: "enclave-" + string(nameMarker) + ".fleet"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		SignatureAlgorithm:    x509.ECDSAWithSHA384,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &t.key.PublicKey, ca.key)
	if err != nil {
		tb.Fatal(err)
	}
	if rest, err := asn1.Unmarshal(der, &t.cert); err != nil || len(rest) != 0 {
		tb.Fatalf("template: %v", err)
	}
	t.tbs = t.cert.TBS.FullBytes
	t.serialAt, t.nameAt = bytes.Index(t.tbs, serialMarker), bytes.Index(t.tbs, nameMarker)
	if bytes.Count(t.tbs, serialMarker) != 1 || bytes.Count(t.tbs, nameMarker) != 1 {
		tb.Fatal("template: markers not found once")
	}
	return t
}

// issue returns leaf certificate i: serial 0x10 || i, name enclave-%08d.
func (t *leafTemplate) issue(tb testing.TB, i int) []byte {
	tbs := bytes.Clone(t.tbs)
	var serial [8]byte
	binary.BigEndian.PutUint64(serial[:], uint64(i))
	serial[0] = 0x10 // positive, minimal, and i < 2^56
	copy(tbs[t.serialAt:], serial[:])
	copy(tbs[t.nameAt:], fmt.Appendf(nil, "%08d", i%100000000))
	digest := sha512.Sum384(tbs)
	sig, err := ecdsa.SignASN1(rand.Reader, t.ca.key, digest[:])
	if err != nil {
		tb.Fatal(err)
	}
	c := t.cert
	c.TBS = asn1.RawValue{FullBytes: tbs}
	c.Signature = asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}
	der, err := asn1.Marshal(c)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

// newLeaf issues leaf i, under instance CA i mod the number of CAs.
func (f *fleet) newLeaf(tb testing.TB, i int) fleetLeaf {
	b := i % len(f.templates)
	return fleetLeaf{f.templates[b].issue(tb, i), f.templates[b].key, f.bundles[b]}
}

// parallel runs do(0) … do(n-1) on two goroutines: the machine the
// benchmarks run on has two cores.
func parallel(n int, do func(int)) {
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for i := g; i < n; i += 2 {
				do(i)
			}
		})
	}
	wg.Wait()
}

// issue returns a document signed by leaf i, with timestamp ts and the
// given public_key and nonce (nil: null).
func (f *fleet) issue(tb testing.TB, i int, ts time.Time, publicKey, nonce []byte) []byte {
	return f.issueBy(tb, f.leaves[i], fmt.Sprintf("i-%08d-enc%08d", i%len(f.bundles), i), ts, publicKey, nonce)
}

// issueBy returns a document signed by l.
func (f *fleet) issueBy(tb testing.TB, l fleetLeaf, moduleID string, ts time.Time, publicKey, nonce []byte) []byte {
	var pk, n any
	if publicKey != nil {
		pk = publicKey
	}
	if nonce != nil {
		n = nonce
	}
	payload, err := cbor.Marshal(map[string]any{
		"module_id":   moduleID,
		"digest":      "SHA384",
		"timestamp":   uint64(ts.UnixMilli()),
		"pcrs":        fleetPCRs,
		"certificate": l.der,
		"cabundle":    l.bundle,
		"public_key":  pk,
		"user_data":   nil,
		"nonce":       n,
	})
	if err != nil {
		tb.Fatal(err)
	}
	protected := []byte{0xa1, 0x01, 0x38, 0x22} // {1: -35}, ES384
	tbs, err := cbor.Marshal([]any{"Signature1", protected, []byte{}, payload})
	if err != nil {
		tb.Fatal(err)
	}
	digest := sha512.Sum384(tbs)
	r, s, err := ecdsa.Sign(rand.Reader, l.key, digest[:])
	if err != nil {
		tb.Fatal(err)
	}
	sig := make([]byte, 96)
	r.FillBytes(sig[:48])
	s.FillBytes(sig[48:])
	doc, err := cbor.Marshal([]any{protected, map[int]any{}, payload, sig})
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

func TestFleet(t *testing.T) {
	f := newFleet(t, 2, 2, 8)
	resetCaches()
	defer resetCaches()
	opts := VerifyOptions{Roots: []*x509.Certificate{f.root}, PCRs: map[int][]byte{0: fleetPCRs[0]}, Nonce: []byte("n")}
	for i := range f.leaves {
		doc, err := Verify(f.issue(t, i, time.Now(), nil, []byte("n")), opts)
		if err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
		if doc.Platform != Nitro || len(doc.Chain) != 5 || doc.PublicKey != nil || string(doc.Nonce) != "n" {
			t.Errorf("leaf %d: %+v", i, doc)
		}
	}
	// Root, region, two zones, four instances: each CA verified once (a
	// CA miss is a CA verified), and each leaf.
	if n, _ := cas.len(); n != 1+1+2+4 || cas.misses.Load() != 8 || cas.hits.Load() != 3+4 {
		t.Errorf("%d CA entries after %d misses, %d hits; want 8 after 8, 7", n, cas.misses.Load(), cas.hits.Load())
	}
	if n, _ := leaves.len(); n != 8 || leaves.misses.Load() != 8 || leaves.hits.Load() != 0 {
		t.Errorf("%d leaf entries after %d misses, %d hits; want 8 after 8, 0", n, leaves.misses.Load(), leaves.hits.Load())
	}
}

// A leaf in the cache is found only under the CAs it was verified with.
func TestCachedLeafUnderOtherCAs(t *testing.T) {
	f := newFleet(t, 1, 2, 2)
	resetCaches()
	defer resetCaches()
	l := f.leaves[0]
	if _, err := verifyChain(l.der, l.bundle); err != nil {
		t.Fatal(err)
	}
	other := f.bundles[1]
	if c, err := verifyChain(l.der, other); !errors.Is(err, ErrUntrusted) || c != nil {
		t.Errorf("a cached leaf under other CAs: %v, %v", c, err)
	}
	if c, err := verifyChain(l.der, l.bundle); err != nil || !c.hasCAs(l.bundle) {
		t.Errorf("under its own CAs again: %v", err)
	}
}

// The charges of cache entries cover the memory they hold.
func TestCacheCharges(t *testing.T) {
	const n = 400
	f := newFleet(t, 1, 1, n)
	spki := benchRSAKey(t)
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = f.issue(t, i, time.Now(), spki, []byte("nonce"))
	}
	opts := VerifyOptions{Roots: []*x509.Certificate{f.root}}
	resetCaches()
	defer resetCaches()
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	// Leaves (with their CAs), then documents of known leaves.
	h0 := heap()
	for i, l := range f.leaves {
		if _, err := verifyChain(l.der, l.bundle); err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
	}
	h1 := heap()
	for _, raw := range raws {
		if _, err := Verify(raw, opts); err != nil {
			t.Fatal(err)
		}
	}
	h2 := heap()
	_, leafCharges := leaves.len()
	_, caCharges := cas.len()
	_, docCharges := docs.len()
	t.Logf("leaves and CAs: %d bytes held, %d charged; documents: %d held, %d charged", h1-h0, leafCharges+caCharges, h2-h1, docCharges)
	if h1-h0 > uint64(leafCharges+caCharges) {
		t.Errorf("leaves and CAs hold %d bytes, more than their charges, %d", h1-h0, leafCharges+caCharges)
	}
	if h2-h1 > uint64(docCharges) {
		t.Errorf("documents hold %d bytes, more than their charges, %d", h2-h1, docCharges)
	}
	runtime.KeepAlive(raws)
}
