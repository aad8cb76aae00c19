package awsapi

import (
	"fmt"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/internal/httpsig"
)

// TestParseSigV4DateRules checks parseSigV4Date and parseSigV4Day against
// time.Parse, which they replace, over every month 00-13 and day 00-32 of
// years around the leap-year rules (centuries, 400 years, 0000, 9999), each
// hour, minute and second up to one past its range, and strings that break
// the form one byte at a time. The one difference is deliberate: time.Parse
// takes fractional seconds that the layout does not have; X-Amz-Date has
// none.
func TestParseSigV4DateRules(t *testing.T) {
	check := func(s string) {
		t.Helper()
		want, err := time.Parse(httpsig.SigV4DateFormat, s)
		wantOK := err == nil && len(s) == len(httpsig.SigV4DateFormat)
		got, ok := parseSigV4Date(s)
		if ok != wantOK || !got.Equal(want) && ok {
			t.Fatalf("parseSigV4Date(%q) = %v, %t; time.Parse: %v, %v", s, got, ok, want, err)
		}
		if ok && got.Location() != time.UTC {
			t.Fatalf("parseSigV4Date(%q) is in %v", s, got.Location())
		}
		if len(s) >= 8 {
			day := s[:8]
			want, err := time.Parse(sigV4ScopeLayout, day)
			y, m, d, ok := parseSigV4Day(day)
			if ok != (err == nil) || ok && (y != want.Year() || m != int(want.Month()) || d != want.Day()) {
				t.Fatalf("parseSigV4Day(%q) = %d %d %d %t; time.Parse: %v, %v", day, y, m, d, ok, want, err)
			}
		}
	}
	n := 0
	for _, y := range []int{0, 1, 4, 100, 400, 1900, 1996, 2000, 2024, 2025, 2026, 2100, 2400, 9996, 9999} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				check(fmt.Sprintf("%04d%02d%02dT120000Z", y, m, d))
				n++
			}
		}
	}
	for h := 0; h <= 24; h++ {
		for mi := 0; mi <= 60; mi++ {
			for s := 0; s <= 60; s++ {
				check(fmt.Sprintf("20240229T%02d%02d%02dZ", h, mi, s))
				n++
			}
		}
	}
	// Each byte of a valid date replaced by each byte that could confuse a
	// parser: other digits, signs, separators, letters, the end of input.
	const good = "20261123T120000Z"
	for i := range len(good) {
		for _, c := range []byte("0159+- .,:TtZz\x00\xff") {
			b := []byte(good)
			b[i] = c
			check(string(b))
			n++
		}
		check(good[:i])
		check(good[:i] + good[i+1:])
		check(good + good[i:i+1])
		n += 3
	}
	for _, s := range []string{"", "20261123", "20261123T1200Z", "20261123T120000", "20261123T120000z", "20261123t120000Z",
		"+0261123T120000Z", "-0261123T120000Z", "2026112 T120000Z", "20261123T 20000Z", "20261123T12000 Z", "20261123T120000ZZ"} {
		check(s)
		n++
	}
	// The one deliberate difference.
	if _, err := time.Parse(httpsig.SigV4DateFormat, "20261123T120000.5Z"); err != nil {
		t.Fatalf("time.Parse no longer takes fractional seconds: %v", err)
	}
	if _, ok := parseSigV4Date("20261123T120000.5Z"); ok {
		t.Error("parseSigV4Date took fractional seconds")
	}
	t.Logf("%d dates checked against time.Parse", n)
}

// FuzzParseSigV4Date: parseSigV4Date never panics and agrees with
// time.Parse on every input of the form's length (time.Parse also takes
// fractional seconds, which change the length); parseSigV4Day agrees with
// time.Parse on every input.
func FuzzParseSigV4Date(f *testing.F) {
	for _, s := range []string{testSigV4Date, "20240229T235959Z", "20230229T000000Z", "20261123T120000.5Z", "20261131T000000Z",
		"00000101T000000Z", "99991231T235959Z", "2026-11-23T12:00:00Z", "", "20261123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseSigV4Date(s)
		want, err := time.Parse(httpsig.SigV4DateFormat, s)
		if ok && (err != nil || !got.Equal(want) || len(s) != len(httpsig.SigV4DateFormat)) {
			t.Fatalf("parseSigV4Date(%q) = %v; time.Parse: %v, %v", s, got, want, err)
		}
		if !ok && err == nil && len(s) == len(httpsig.SigV4DateFormat) {
			t.Fatalf("parseSigV4Date(%q) refused what time.Parse takes: %v", s, want)
		}
		if !ok && got != (time.Time{}) {
			t.Fatal("a result with a refusal")
		}
		y, m, d, ok := parseSigV4Day(s)
		wantDay, err := time.Parse(sigV4ScopeLayout, s)
		if ok != (err == nil) || ok && (y != wantDay.Year() || m != int(wantDay.Month()) || d != wantDay.Day()) {
			t.Fatalf("parseSigV4Day(%q) = %d %d %d %t; time.Parse: %v, %v", s, y, m, d, ok, wantDay, err)
		}
	})
}
