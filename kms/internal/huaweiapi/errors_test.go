package huaweiapi

import (
	"strings"
	"testing"

	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// TestHuaweiErrorCodes: every kind has a Huawei wire form: a status a
// handler can write and a code of the KMS or API gateway ranges.
func TestHuaweiErrorCodes(t *testing.T) {
	for k := core.KindInternal; k <= core.KindInvalidSignature; k++ {
		e, ok := huaweiErrors[k]
		if !ok || e.status < 400 || e.status > 599 || !(strings.HasPrefix(e.code, "KMS.") || strings.HasPrefix(e.code, "APIGW.")) {
			t.Errorf("kind %d has no Huawei error: %+v", k, e)
		}
	}
}
