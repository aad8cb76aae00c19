package httpsig

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"
)

// TestCanonicalRequest pins the SDK-HMAC-SHA256 computation to a signature
// computed independently with openssl from the KMS-WIRE.md recipe.
func TestCanonicalRequest(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:8080/v1.0/0123456789abcdef0123456789abcdef/kms/describe-key")
	h := http.Header{}
	h.Set("User-Agent", "huaweicloud-usdk-go/3.0")
	h.Set("X-Project-Id", "0123456789abcdef0123456789abcdef")
	h.Set("X-Sdk-Date", "20261123T120000Z")
	body := []byte(`{"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f"}` + "\n")
	got := SDKSignature(NewMAC([]byte("sk")), "POST", u, u.Host, h, "user-agent;x-project-id;x-sdk-date", "20261123T120000Z", body)
	if hex.EncodeToString(got[:]) != sdkSignatureKAT {
		t.Errorf("signature = %x, want %s", got, sdkSignatureKAT)
	}
}

// sdkSignatureKAT was computed with openssl (dgst -sha256, -hmac) from the
// canonical request of KMS-WIRE.md, not with this package.
const sdkSignatureKAT = "4939bd250a337d8973a9a9062bb887365f15776d0b60549995ba65765bca0725"
