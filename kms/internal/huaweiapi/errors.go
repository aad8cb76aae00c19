package huaweiapi

import (
	"net/http"

	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// huaweiErrors is the wire form of each kind on the Huawei front end.
//
// The codes KMS.0201-0206, 0209, 0308-0311 and 1101 are Huawei's own
// (DEW API reference, "Error Codes"), as is APIGW.0301 for authentication.
// Huawei publishes no code for a missing key, a digest mismatch, a failed
// attestation or a policy's denial; the codes for those are this server's
// and lie in ranges Huawei leaves unused (KMS.07xx for key state, KMS.09xx
// for attestation and policies).
var huaweiErrors = map[core.Kind]struct {
	status int
	code   string
}{
	core.KindInternal:             {http.StatusInternalServerError, "KMS.0105"},
	core.KindMalformedRequest:     {http.StatusBadRequest, "KMS.0202"},
	core.KindTooLarge:             {http.StatusBadRequest, "KMS.0203"},
	core.KindMissingParameter:     {http.StatusBadRequest, "KMS.0204"},
	core.KindInvalidKeyID:         {http.StatusBadRequest, "KMS.0205"},
	core.KindInvalidSequence:      {http.StatusBadRequest, "KMS.0206"},
	core.KindInvalidParameter:     {http.StatusBadRequest, "KMS.0308"},
	core.KindInvalidAlias:         {http.StatusBadRequest, "KMS.1101"},
	core.KindNotFound:             {http.StatusNotFound, "KMS.0701"},
	core.KindDisabled:             {http.StatusBadRequest, "KMS.0209"},
	core.KindInvalidKeyUsage:      {http.StatusBadRequest, "KMS.0702"},
	core.KindSpecMismatch:         {http.StatusBadRequest, "KMS.0703"},
	core.KindInvalidPublicKey:     {http.StatusBadRequest, "KMS.0704"},
	core.KindDigestMismatch:       {http.StatusBadRequest, "KMS.0705"},
	core.KindInvalidCiphertext:    {http.StatusBadRequest, "KMS.0706"},
	core.KindNotExternal:          {http.StatusBadRequest, "KMS.0309"},
	core.KindNotPendingImport:     {http.StatusBadRequest, "KMS.0310"},
	core.KindInvalidImportToken:   {http.StatusBadRequest, "KMS.0707"},
	core.KindImportDecrypt:        {http.StatusBadRequest, "KMS.0311"},
	core.KindAttestationMalformed: {http.StatusBadRequest, "KMS.0901"},
	core.KindAttestationRejected:  {http.StatusForbidden, "KMS.0902"},
	core.KindRecipientKey:         {http.StatusBadRequest, "KMS.0903"},
	core.KindUnauthenticated:      {http.StatusUnauthorized, "APIGW.0301"},
	core.KindUnknownOperation:     {http.StatusBadRequest, "KMS.0201"},
	core.KindUnsupported:          {http.StatusBadRequest, "KMS.0308"},
	core.KindInvalidState:         {http.StatusBadRequest, "KMS.0708"},
	core.KindMethodNotAllowed:     {http.StatusMethodNotAllowed, "KMS.0201"},
	// A key policy or IAM policy denies the call. Huawei words an IAM
	// denial as this server does ("User: P is not authorized to perform:
	// A on resource: R because no identity-based policy allows the A
	// action", https://support.huaweicloud.com/intl/en-us/iam5_faq/iam_01_0931.html)
	// with a 403, but publishes no KMS code for it.
	core.KindAccessDenied: {http.StatusForbidden, "KMS.0904"},
	// Key policies are set through the AWS front end only.
	core.KindMalformedPolicy: {http.StatusBadRequest, "KMS.0308"},
	// A ciphertext under another key than key_id: it does not decrypt under
	// key_id, as any other ciphertext that does not decrypt.
	core.KindIncorrectKey: {http.StatusBadRequest, "KMS.0706"},
	// verify answers signature_valid "false" for a signature that does not
	// verify; no other operation checks one.
	core.KindInvalidSignature: {http.StatusBadRequest, "KMS.0709"},
}
