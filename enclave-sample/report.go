package main

import (
	"fmt"
	"io"
	"time"
)

// step is one checked step of the flow.
type step struct {
	Name    string  `json:"name"`
	Spec    string  `json:"spec,omitempty"`
	OK      bool    `json:"ok"`
	Checked string  `json:"checked,omitempty"` // what was checked, when OK
	Error   string  `json:"error,omitempty"`   // why not, when not OK
	Millis  float64 `json:"ms"`
}

// report is what the sample prints, as lines or as JSON.
type report struct {
	Platform string   `json:"platform"`
	KMS      string   `json:"kms"`
	Specs    []string `json:"specs"`
	Steps    []step   `json:"steps"`
	Passed   int      `json:"passed"`
	Failed   int      `json:"failed"`
	OK       bool     `json:"ok"`
	Millis   float64  `json:"ms"`
}

// add records the outcome of a step that began at start.
func (r *report) add(name, spec string, start time.Time, checked string, err error) {
	s := step{Name: name, Spec: spec, OK: err == nil, Millis: millis(time.Since(start))}
	if err != nil {
		s.Error = err.Error()
		r.Failed++
	} else {
		s.Checked = checked
		r.Passed++
	}
	r.Steps = append(r.Steps, s)
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "enclave-sample: %s enclave, KMS %s\n", r.Platform, r.KMS)
	for _, s := range r.Steps {
		name := s.Name
		if s.Spec != "" {
			name += " " + s.Spec
		}
		if s.OK {
			fmt.Fprintf(w, "ok   %-58s %8.1f ms  %s\n", name, s.Millis, s.Checked)
		} else {
			fmt.Fprintf(w, "FAIL %-58s %8.1f ms  %s\n", name, s.Millis, s.Error)
		}
	}
	verdict := "all steps passed"
	if !r.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "%d passed, %d failed in %.0f ms: %s\n", r.Passed, r.Failed, r.Millis, verdict)
}

func millis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
