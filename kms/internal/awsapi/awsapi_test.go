package awsapi

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// TestAWSContext: the encryption context's encoding is injective, so two
// different contexts never bind the same bytes.
func TestAWSContext(t *testing.T) {
	seen := map[string]map[string]string{}
	for _, c := range []map[string]string{
		nil, {"a": ""}, {"": "a"}, {"ab": "c"}, {"a": "bc"}, {"a": "b", "c": "d"}, {"a": "bc", "": "d"},
		{"a\x01": "b"}, {"a": "\x01b"},
	} {
		aad, err := awsContext(c)
		require.NoError(t, err)
		if prev, ok := seen[string(aad)]; ok {
			t.Fatalf("%v and %v bind the same bytes %x", prev, c, aad)
		}
		seen[string(aad)] = c
	}
	big := map[string]string{"k": strings.Repeat("v", awsMaxContextBytes)}
	_, err := awsContext(big)
	require.Error(t, err)
}

// TestAWSErrorTypes: every kind has an AWS wire form, and the message of an
// internal error never carries its cause.
func TestAWSErrorTypes(t *testing.T) {
	for k := core.KindInternal; k <= core.KindInvalidSignature; k++ {
		if _, ok := awsErrors[k]; !ok {
			t.Errorf("kind %d has no AWS error", k)
		}
	}
	e, msg := awsErrorOf(fmt.Errorf("disk on fire: %w", io.ErrUnexpectedEOF))
	require.Equal(t, awsError{http.StatusInternalServerError, "KMSInternalException"}, e)
	require.NotContains(t, msg, "disk")
	rec := httptest.NewRecorder()
	New(nil).WriteError(rec, core.Errorf(core.KindNotFound, "key x does not exist"))
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.JSONEq(t, `{"__type":"NotFoundException","message":"key x does not exist"}`, rec.Body.String())
}
