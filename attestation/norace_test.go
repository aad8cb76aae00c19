//go:build !race

package attestation_test

const raceEnabled = false
