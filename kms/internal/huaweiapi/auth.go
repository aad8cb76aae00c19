package huaweiapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
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
	bad := func() error { return core.Errorf(core.KindUnauthenticated, "signature is not valid") }
	var ak, signed, sig string
	var seen int
	for p := range strings.SplitSeq(params, ", ") {
		k, v, ok := strings.Cut(p, "=")
		var dst *string
		switch k {
		case "Access":
			dst = &ak
		case "SignedHeaders":
			dst = &signed
		case "Signature":
			dst = &sig
		}
		if !ok || dst == nil || *dst != "" || v == "" {
			return bad()
		}
		*dst, seen = v, seen+1
	}
	if seen != 3 || len(sig) != 2*sha256.Size {
		return bad()
	}
	// Lower case, sorted, unique, x-sdk-date among them.
	var prev string
	var date bool
	first := true
	for h := range strings.SplitSeq(signed, ";") {
		if h == "" || h != strings.ToLower(h) || (!first && h <= prev) {
			return bad()
		}
		first, prev, date = false, h, date || h == "x-sdk-date"
	}
	if !date {
		return bad()
	}
	dates := r.Header.Values(httpsig.SDKDateHeader)
	if len(dates) != 1 {
		return core.Errorf(core.KindUnauthenticated, "X-Sdk-Date is missing")
	}
	t, err := time.Parse(httpsig.SDKDateFormat, dates[0])
	if err != nil || absDuration(time.Since(t)) > core.MaxClockSkew {
		return core.Errorf(core.KindUnauthenticated, "X-Sdk-Date is malformed or too far from the server's clock")
	}
	var want [sha256.Size]byte
	var hexSig [2 * sha256.Size]byte // not []byte(sig), which allocates at this length
	copy(hexSig[:], sig)
	if _, err := hex.Decode(want[:], hexSig[:]); err != nil {
		return bad()
	}
	got := httpsig.SDKSignature(creds.SecretMAC(), r.Method, r.URL, r.Host, r.Header, signed, dates[0], body)
	// Both checks run whatever the first one's outcome.
	akOK := creds.MatchAccessKey(ak)
	sigOK := hmac.Equal(got[:], want[:])
	if !akOK || !sigOK {
		return bad()
	}
	return nil
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
