package kms

import (
	"crypto/x509"
	"net/http"
	"testing"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/testvectors"
	"github.com/stretchr/testify/require"
)

// TestRecipientKeyVectors runs the recipient key cases of the test vectors
// (attestation_test.json, flag RequireRsaPublicKey; issue 15, item 4)
// through both front ends. The vectors' documents are signed by the
// vectors' own authority at a fixed time, which the server (verifying now,
// against its roots) cannot take; so each vector's public_key is carried
// into a fresh document of the test authority. A key the vector calls
// valid gets a data key sealed to it (200); every other one is a 400
// (KMS.0903, ValidationException), never a 500 at sealing time.
func TestRecipientKeyVectors(t *testing.T) {
	f, err := testvectors.Load[testvectors.AttestationGroup]("attestation_test.json")
	require.NoError(t, err)
	k := newAttestedKMS(t)
	sym, _ := k.awsCreateKey(t, "", "")
	n := 0
	for _, g := range f.TestGroups {
		roots := make([]*x509.Certificate, len(g.Roots))
		for i, r := range g.Roots {
			roots[i], err = x509.ParseCertificate(r)
			require.NoError(t, err)
		}
		for i := range g.Tests {
			tc := &g.Tests[i]
			if !tc.HasFlag("RequireRsaPublicKey") {
				continue
			}
			n++
			// The vector's document is genuine: only the key policy decides it.
			vdoc, err := attestation.Verify(tc.Doc, attestation.VerifyOptions{Roots: roots, Time: tc.Time, AllowDebug: tc.AllowDebug})
			require.NoError(t, err, "%v", tc)
			doc, err := attestationtest.Issue(attestationtest.Options{PublicKey: vdoc.PublicKey})
			require.NoError(t, err, "%v", tc)
			status, body := k.post(t, "create-datakey", js(map[string]any{"key_id": sym, "recipient": map[string]any{"attestation_document": b64(doc)}}))
			req := awsRequest{target: "GenerateDataKey", body: js(map[string]any{"KeyId": sym, "NumberOfBytes": 32, "Recipient": map[string]any{"AttestationDocument": b64(doc)}})}
			if tc.Result == "valid" {
				require.Equal(t, http.StatusOK, status, "%v: %s", tc, body)
				awsStatus, out := k.awsDo(t, req)
				require.Equal(t, http.StatusOK, awsStatus, "%v: %v", tc, out)
				require.NotEmpty(t, out["CiphertextForRecipient"], "%v", tc)
				continue
			}
			require.Equal(t, "policy", tc.Failure, "%v", tc)
			require.Equal(t, http.StatusBadRequest, status, "%v: %s", tc, body)
			require.Contains(t, string(body), "KMS.0903", "%v", tc)
			k.awsFail(t, req, http.StatusBadRequest, "ValidationException")
		}
	}
	require.GreaterOrEqual(t, n, 30, "the vectors lost their recipient key cases")
	t.Logf("%d recipient key vectors through both front ends", n)
}
