package core

import (
	"bytes"
	"encoding/hex"
	"maps"
	"reflect"
	"strconv"
	"testing"
)

// The condition keys of a PCR set are the same remembered or built, for
// each set, whatever else is in the memo; a set never gets another's.
func TestAttestationContextMemo(t *testing.T) {
	want := func(pcrs map[int][]byte) map[string][]string {
		m := map[string][]string{}
		for i, v := range pcrs {
			h := []string{hex.EncodeToString(v)}
			m["kms:RecipientAttestation:PCR"+strconv.Itoa(i)] = h
			m["kms:RecipientAttestation/PCR"+strconv.Itoa(i)] = h
			if i == 0 {
				m["kms:RecipientAttestation:ImageSha384"] = h
			}
		}
		return m
	}
	set := func(n int, fill byte) map[int][]byte {
		m := map[int][]byte{}
		for i := range n {
			m[i] = bytes.Repeat([]byte{fill, byte(i)}, 24)
		}
		return m
	}
	sets := []map[int][]byte{{}, set(1, 0), set(3, 0), set(16, 0), set(16, 1), {4: {1, 2}}, {4: {1, 2, 3}}, {5: {1, 2}}, {0: {}, 1: nil}}
	for range 3 { // built, then remembered
		for j, pcrs := range sets {
			if got := attestationContext(pcrs); !reflect.DeepEqual(got, want(pcrs)) {
				t.Fatalf("set %d: %v, want %v", j, got, want(pcrs))
			}
		}
	}
	// Every slot taken by another set: each set is still its own.
	for j, pcrs := range sets {
		other := sets[(j+1)%len(sets)]
		for i := range contexts.slots {
			contexts.slots[i].Store(&contextEntry{pcrs: maps.Clone(other), ctx: want(other)})
		}
		if got := attestationContext(pcrs); !reflect.DeepEqual(got, want(pcrs)) {
			t.Fatalf("set %d after set %d: %v", j, (j+1)%len(sets), got)
		}
	}
	// The memo keeps its own copy: changing the caller's set changes
	// nothing remembered.
	pcrs := set(2, 9)
	attestationContext(pcrs)
	pcrs[1][0] ^= 1
	if got := attestationContext(pcrs); !reflect.DeepEqual(got, want(pcrs)) {
		t.Fatalf("after the caller changed its set: %v", got)
	}
}
