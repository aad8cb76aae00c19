//go:build race

package attestation_test

// raceEnabled makes the slowest tests sample: the race detector slows
// ECDSA down several times.
const raceEnabled = true
