package policy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha512"
	"fmt"
	"slices"
	"testing"
	"time"
)

// nitroRequest is a Decrypt with a Recipient as the KMS will present it:
// the enclave role's session, and the attestation document's image digest
// and its 16 PCRs in the context.
func nitroRequest() Request {
	ctx := map[string][]string{"kms:RecipientAttestation:ImageSha384": {image}}
	for i := 0; i < 16; i++ {
		v := otherImg
		if i == 0 {
			v = image
		}
		ctx[fmt.Sprintf("kms:RecipientAttestation:PCR%d", i)] = []string{v}
	}
	return Request{
		Principal: "arn:aws:sts::111122223333:assumed-role/data-processing/i-0123456789abcdef0",
		Account:   account,
		Action:    "kms:Decrypt",
		Resource:  keyARN,
		Context:   ctx,
	}
}

// decideBatch is how many Decides one timed sample holds: one Decide is
// too short for the clock, a P-384 verify is not.
const decideBatch = 100

// BenchmarkDecideNitro measures Decide on the Nitro key policy of testdata
// (the account statement with NotAction and the enclave statement with
// ImageSha384 and PCR0 under StringEqualsIgnoreCase) against a bare P-384
// ecdsa.Verify, the smallest cryptographic step of a Decrypt with a
// Recipient, interleaved in one loop so that load on the machine falls on
// both alike. It reports the medians, "decide/verify-%" (the integration's
// budget is 5%) and Decide's allocations. Goal: decide/verify-% <= 5,
// decide-allocs = 0.
func BenchmarkDecideNitro(b *testing.B) {
	p, err := ParseAWS(readTestdata(b, "aws-nitro-enclave-key-policy.json"))
	if err != nil {
		b.Fatal(err)
	}
	req := nitroRequest()
	if d := p.Decide(req); d != Allow {
		b.Fatalf("Decide = %v, want Allow", d)
	}
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha512.Sum384([]byte("attestation payload"))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	decide := func() {
		for i := 0; i < decideBatch; i++ {
			if p.Decide(req) != Allow {
				b.Fatal("Decide changed its mind")
			}
		}
	}
	verify := func() {
		if !ecdsa.VerifyASN1(&key.PublicKey, digest[:], sig) {
			b.Fatal("verify failed")
		}
	}
	var tDecide, tVerify []time.Duration
	for b.Loop() {
		first, second := decide, verify
		if len(tDecide)%2 == 1 {
			first, second = verify, decide
		}
		t0 := time.Now()
		first()
		t1 := time.Now()
		second()
		t2 := time.Now()
		if len(tDecide)%2 == 0 {
			tDecide, tVerify = append(tDecide, t1.Sub(t0)), append(tVerify, t2.Sub(t1))
		} else {
			tVerify, tDecide = append(tVerify, t1.Sub(t0)), append(tDecide, t2.Sub(t1))
		}
	}
	slices.Sort(tDecide)
	slices.Sort(tVerify)
	mDecide := float64(tDecide[len(tDecide)/2].Nanoseconds()) / decideBatch
	mVerify := float64(tVerify[len(tVerify)/2].Nanoseconds())
	b.ReportMetric(mDecide, "decide-median-ns/op")
	b.ReportMetric(mVerify, "p384verify-median-ns/op")
	b.ReportMetric(100*mDecide/mVerify, "decide/verify-%")
	b.ReportMetric(testing.AllocsPerRun(100, func() { p.Decide(req) }), "decide-allocs")
}

// BenchmarkDecide is Decide alone on the same policy and request, for
// ns/op and allocs/op as go test reports them.
func BenchmarkDecide(b *testing.B) {
	p, err := ParseAWS(readTestdata(b, "aws-nitro-enclave-key-policy.json"))
	if err != nil {
		b.Fatal(err)
	}
	req := nitroRequest()
	b.ReportAllocs()
	for b.Loop() {
		p.Decide(req)
	}
}
