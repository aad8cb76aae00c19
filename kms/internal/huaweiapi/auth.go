package huaweiapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/qtenclave/qtenclave/internal/httpsig"
	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// Huawei's AK/SK signature (SDK-HMAC-SHA256), as the official Huawei Cloud
// SDK sends it (KMS-WIRE.md); package httpsig computes it.

// VerifySignature checks the SDK-HMAC-SHA256 signature of r over body with
// creds' access key pair. params is what follows the scheme in the
// Authorization header: "Access=AK, SignedHeaders=h1;h2, Signature=hex".
// It returns nil or a core.KindUnauthenticated error that says nothing of
// the key or the signature.
func VerifySignature(r *http.Request, params string, body []byte, creds *core.Credentials) error {
	bad := core.Errorf(core.KindUnauthenticated, "signature is not valid")
	fields := map[string]string{}
	for _, p := range strings.Split(params, ", ") {
		k, v, ok := strings.Cut(p, "=")
		if _, dup := fields[k]; !ok || dup {
			return bad
		}
		fields[k] = v
	}
	ak, signed, sig := fields["Access"], fields["SignedHeaders"], fields["Signature"]
	if len(fields) != 3 || ak == "" || signed == "" || len(sig) != 2*sha256.Size {
		return bad
	}
	headers := strings.Split(signed, ";")
	if !sort.StringsAreSorted(headers) || !contains(headers, "x-sdk-date") {
		return bad
	}
	for i, h := range headers {
		if h == "" || h != strings.ToLower(h) || (i > 0 && headers[i-1] == h) {
			return bad
		}
	}
	dates := r.Header.Values(httpsig.SDKDateHeader)
	if len(dates) != 1 {
		return core.Errorf(core.KindUnauthenticated, "X-Sdk-Date is missing")
	}
	t, err := time.Parse(httpsig.SDKDateFormat, dates[0])
	if err != nil || absDuration(time.Since(t)) > core.MaxClockSkew {
		return core.Errorf(core.KindUnauthenticated, "X-Sdk-Date is malformed or too far from the server's clock")
	}
	want, err := hex.DecodeString(sig)
	if err != nil {
		return bad
	}
	got := httpsig.SDKSignature(creds.SecretKey(), r.Method, r.URL, r.Host, r.Header, headers, dates[0], body)
	// Both checks run whatever the first one's outcome.
	akOK := creds.MatchAccessKey(ak)
	sigOK := hmac.Equal(got, want)
	if !akOK || !sigOK {
		return bad
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
