//go:build !race

package awsapi

import "testing"

// TestSigV4Allocations holds verification of an SDK-shaped request to no
// allocation (the race detector's sync.Pool drops states at random, hence
// the build tag).
func TestSigV4Allocations(t *testing.T) {
	creds := testSigV4Credentials(testSigV4SecretKey)
	r, body := newTestSigV4Request(), []byte(testSigV4Body)
	if n := testing.AllocsPerRun(100, func() {
		if err := verifySigV4At(r, body, creds, testSigV4Now); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("a verification allocates %v times, want 0", n)
	}
}
