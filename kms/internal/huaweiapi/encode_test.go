package huaweiapi

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/qtenclave/qtenclave/kms/huawei"
)

// writeJSON answers derive-shared-secret byte for byte as encoding/json
// does, escaping included.
func TestDeriveResponseJSON(t *testing.T) {
	b64 := strings.Repeat("AZaz09+/", 90) + "=="
	for _, r := range []huawei.DeriveSharedSecretResponse{
		{KeyID: "0d0466b0-e727-4d9c-b35d-f84bb474a37f", KeyAgreementAlgorithm: "ECDH", SharedSecret: huawei.NewSecret(b64[:44])},
		{KeyID: "0d0466b0-e727-4d9c-b35d-f84bb474a37f", KeyAgreementAlgorithm: "ECDH", CiphertextRecipient: b64},
		{KeyID: "k", KeyAgreementAlgorithm: "ECDH", SharedSecret: huawei.NewSecret("s"), CiphertextRecipient: "c"},
		{},
		{KeyID: "a<b>&c", KeyAgreementAlgorithm: "\"\\\n\x7f", SharedSecret: huawei.NewSecret("é"), CiphertextRecipient: "\u2028"},
		{KeyID: "x", CiphertextRecipient: "<"},
		{KeyID: "x", SharedSecret: huawei.NewSecret("&")},
	} {
		if _, ok := appendDeriveResponse(nil, &r); ok != plainJSON(r.KeyID+r.KeyAgreementAlgorithm+r.SharedSecret.Reveal()+r.CiphertextRecipient) {
			t.Errorf("%q: fast path %v", r.KeyID, ok)
		}
		want, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		writeJSON(w, 200, &r)
		if got := w.Body.String(); got != string(want)+"\n" {
			t.Errorf("%q, encoding/json %q", got, want)
		}
	}
}
