package envelope

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/qtenclave/qtenclave/testvectors"
)

// FuzzParse: Parse either fails with nil and a sentinel-wrapping error, or
// returns an envelope that marshals in both shapes and parses back to
// itself (DER fixing the content form).
func FuzzParse(f *testing.F) {
	for _, name := range append(append(awsBlobs, unsupportedEnvelopes...), keys(oaepEnvelopes)...) {
		f.Add(readTestdata(f, name))
	}
	// Every envelope of the test vectors.
	vf, err := testvectors.Load[testvectors.EnvelopeGroup]("envelope_test.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, g := range vf.TestGroups {
		for _, tc := range g.Tests {
			f.Add([]byte(tc.Envelope))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := Parse(b)
		if err != nil {
			if env != nil {
				t.Fatal("result beside an error")
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error wraps neither sentinel: %v", err)
			}
			return
		}
		for _, shape := range []Shape{AWS, DER} {
			out, err := env.Marshal(shape)
			if err != nil {
				t.Fatalf("%v: parsed envelope does not marshal: %v", shape, err)
			}
			env2, err := Parse(out)
			if err != nil {
				t.Fatalf("%v: own output does not parse: %v", shape, err)
			}
			want := *env
			if shape == DER {
				// DER: a primitive content, and the SET OF recipients in
				// the order of their encodings.
				want.PrimitiveContent = true
				want.Recipients = slices.Clone(env.Recipients)
				slices.SortStableFunc(want.Recipients, func(a, b Recipient) int { return bytes.Compare(a.marshal(), b.marshal()) })
			}
			if !reflect.DeepEqual(&want, env2) {
				t.Fatalf("%v: round trip changed the envelope", shape)
			}
			if out2, err := env2.Marshal(shape); err != nil || !bytes.Equal(out, out2) {
				t.Fatalf("%v: marshal is not a fixed point", shape)
			}
		}
	})
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
