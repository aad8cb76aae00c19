package attestation

// Internals for the external tests.

// MaxClockSkew is maxClockSkew.
const MaxClockSkew = maxClockSkew

// ResetChainCache empties the verified-chain cache, so that a test can
// compare a cold verification with a warm one.
func ResetChainCache() { chains.reset() }
