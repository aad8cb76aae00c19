package kms

import (
	"context"
	"crypto/x509"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/recipient"
)

// latencies collects per-request durations from parallel goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// report adds requests/s and p99 (ms) to b's results.
func (l *latencies) report(b *testing.B, elapsed time.Duration) {
	slices.Sort(l.d)
	if len(l.d) == 0 {
		return
	}
	b.ReportMetric(float64(len(l.d))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(l.d[len(l.d)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkDeriveSharedSecretRecipient measures derive-shared-secret with a
// recipient over loopback HTTP (JSON, authentication, store, verify, ECDH,
// seal) against its cryptographic parts alone (attestation.Verify, the
// P-256 ECDH with the peer key's parsing, recipient.SealToDocument), in the
// same run, both on every core. "loopback" reports its ns/op as a multiple
// of the parts' ("x-parts").
func BenchmarkDeriveSharedSecretRecipient(b *testing.B) {
	k := newTestKMS(b, Options{Roots: []*x509.Certificate{attestationtest.Root()}})
	e := newEnclave(b)
	ctx := context.Background()
	id := k.createKey(b, "EC_P256", "KEY_AGREEMENT", "")
	peer, err := keyspec.ParsePrivateKey(readTestKey(b, "test_p256_key.pem"))
	if err != nil {
		b.Fatal(err)
	}
	peerSPKI := peer.PublicKey().MarshalPKIX()
	rcpt := e.recipient(b, nil)
	doc := mustB64(b, rcpt.AttestationDocument)
	// The parts' ECDH runs from the peer's side: parsing a PKCS#8 private
	// key and an SPKI public key, then the P-256 scalar multiplication, as
	// the server does from its side.
	pk, err := k.client.GetPublicKey(ctx, &huawei.KeyRequest{KeyID: id})
	if err != nil {
		b.Fatal(err)
	}
	kmsSPKI, peerPKCS8 := mustB64(b, pk.PublicKey), readTestKey(b, "test_p256_key.pem")
	roots := []*x509.Certificate{attestationtest.Root()}

	var partsNsPerOp float64
	b.Run("parts", func(b *testing.B) {
		var lat latencies
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				t0 := time.Now()
				d, err := attestation.Verify(doc, attestation.VerifyOptions{Roots: roots, MaxAge: 5 * time.Minute})
				if err != nil {
					b.Error(err)
					return
				}
				secret, err := ecdh(peerPKCS8, kmsSPKI)
				if err != nil {
					b.Error(err)
					return
				}
				if _, err := recipient.SealToDocument(secret, d, recipient.SealOptions{}); err != nil {
					b.Error(err)
					return
				}
				lat.add(time.Since(t0))
			}
		})
		elapsed := time.Since(start)
		partsNsPerOp = float64(elapsed.Nanoseconds()) / float64(b.N)
		lat.report(b, elapsed)
	})
	b.Run("loopback", func(b *testing.B) {
		tr := &http.Transport{MaxIdleConnsPerHost: 64}
		defer tr.CloseIdleConnections()
		c := *k.client
		c.HTTPClient = &http.Client{Transport: tr}
		req := &huawei.DeriveSharedSecretRequest{KeyID: id, KeyAgreementAlgorithm: "ECDH", PublicKey: b64(peerSPKI), Recipient: rcpt}
		var lat latencies
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				t0 := time.Now()
				if _, err := c.DeriveSharedSecret(ctx, req); err != nil {
					b.Error(err)
					return
				}
				lat.add(time.Since(t0))
			}
		})
		elapsed := time.Since(start)
		lat.report(b, elapsed)
		if partsNsPerOp > 0 {
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N)/partsNsPerOp, "x-parts")
		}
	})
}

// ecdh parses a PKCS#8 private key and an SPKI public key and returns their
// shared secret.
func ecdh(pkcs8, spki []byte) ([]byte, error) {
	priv, err := keyspec.ParsePrivateKey(pkcs8)
	if err != nil {
		return nil, err
	}
	pub, err := keyspec.ParsePublicKey(spki)
	if err != nil {
		return nil, err
	}
	return priv.ECDH(pub)
}
