//go:build !race

package huaweiapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/internal/httpsig"
	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// TestSignatureAllocations holds verification of a request signed as the
// official SDK signs it to no allocation (the race detector's sync.Pool drops states at random, hence the build
// tag).
func TestSignatureAllocations(t *testing.T) {
	const ak, sk = "AKTEST", "test-secret-NOT-A-REAL-KEY"
	creds := core.NewCredentials("", ak, sk)
	body := []byte(`{"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f"}` + "\n")
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/v1.0/0123456789abcdef0123456789abcdef/kms/describe-key", nil)
	r.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0")
	r.Header.Set("X-Project-Id", "0123456789abcdef0123456789abcdef")
	httpsig.SignSDK(r, body, ak, sk, []string{"user-agent", "x-project-id", "x-sdk-date"}, time.Now())
	params := strings.TrimPrefix(r.Header.Get("Authorization"), httpsig.SDKScheme+" ")
	if n := testing.AllocsPerRun(100, func() {
		if err := VerifySignature(r, params, body, creds); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("a verification allocates %v times, want 0", n)
	}
}
