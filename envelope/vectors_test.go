package envelope_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/qtenclave/qtenclave/envelope"
	"github.com/qtenclave/qtenclave/testvectors"
)

// TestVectors parses every envelope of testvectors' envelope_test.json.
// Parsing decides the classes "malformed" and "unsupported" (package
// recipient's runner decides the rest, by opening): such a vector must
// fail with that sentinel, and every other must parse. An envelope in the
// AWS layout or DER (flags AwsShape, AwsShapePrimitiveContent, Der)
// re-marshals to its own bytes.
func TestVectors(t *testing.T) {
	f, err := testvectors.Load[testvectors.EnvelopeGroup]("envelope_test.json")
	if err != nil {
		t.Fatal(err)
	}
	sentinels := map[string]error{"malformed": envelope.ErrMalformed, "unsupported": envelope.ErrUnsupported}
	parsed, refused, remarshaled := 0, 0, 0
	for _, g := range f.TestGroups {
		for i := range g.Tests {
			tc := &g.Tests[i]
			// What Parse must say: an acceptable vector is decided as
			// package recipient's runner documents (acceptEnvelope there):
			// only IssuerSerialNoCertificate is accepted, which parses.
			wantErr := sentinels[tc.Failure]
			if tc.Result == "valid" || tc.HasFlag("IssuerSerialNoCertificate") {
				wantErr = nil
			}
			env, err := envelope.Parse(tc.Envelope)
			switch {
			case wantErr == nil && err != nil:
				t.Errorf("%v: %v", tc, err)
				continue
			case wantErr != nil && (!errors.Is(err, wantErr) || env != nil):
				t.Errorf("%v: Parse = %v, %v; want %v", tc, env, err, wantErr)
				continue
			case wantErr != nil:
				refused++
				continue
			}
			parsed++
			shape, ok := envelope.DER, tc.HasFlag("Der")
			if tc.HasFlag("AwsShape") || tc.HasFlag("AwsShapePrimitiveContent") {
				shape, ok = envelope.AWS, true
			}
			if !ok {
				continue
			}
			out, err := env.Marshal(shape)
			if err != nil || !bytes.Equal(out, tc.Envelope) {
				t.Errorf("%v: Marshal(%v) differs from the vector: %v", tc, shape, err)
			}
			remarshaled++
		}
	}
	t.Logf("envelope_test.json: %d vectors: %d parsed (%d re-marshaled byte for byte), %d refused with their class's sentinel", f.NumberOfTests, parsed, remarshaled, refused)
}
