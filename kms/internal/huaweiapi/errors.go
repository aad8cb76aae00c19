package huaweiapi

import (
	"errors"
	"net/http"

	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// huaweiError is the wire form of an error on the Huawei front end.
type huaweiError struct {
	status int
	code   string
}

// huaweiErrorOf returns the wire form and message of err: its kind's, or
// the code of a cause that only this front end distinguishes.
func huaweiErrorOf(err error) (huaweiError, string) {
	k, msg := core.KindOf(err)
	if errors.Is(err, errPendingDays) {
		return huaweiError{http.StatusBadRequest, "KMS.1401"}, msg
	}
	return huaweiErrors[k], msg
}

// huaweiErrors is the wire form of each kind on the Huawei front end.
//
// The codes KMS.0201-0206, 0209, 0308-0311 and 1101 are Huawei's own
// (DEW API reference, "Error Codes"), as is APIGW.0301 for authentication.
// Huawei publishes no code for a missing key, a digest mismatch, a failed
// attestation or a policy's denial; the codes for those are this server's
// and lie in ranges Huawei leaves unused (KMS.07xx for key state, KMS.09xx
// for attestation and policies).
var huaweiErrors = map[core.Kind]huaweiError{
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
	// The key lifecycle, with the codes of Huawei's error code table: a key
	// pending deletion cannot be used (KMS.0210); enable-key on a key that
	// is not disabled (KMS.1201), disable-key on one that is not enabled
	// (KMS.1301), schedule-key-deletion on one pending deletion (KMS.1402),
	// cancel-key-deletion on one that is not (KMS.1501); an alias that
	// exists (KMS.1104); a bad tag (KMS.0406) or too many (KMS.0409).
	core.KindPendingDeletion:        {http.StatusBadRequest, "KMS.0210"},
	core.KindNotDisabled:            {http.StatusBadRequest, "KMS.1201"},
	core.KindNotEnabled:             {http.StatusBadRequest, "KMS.1301"},
	core.KindAlreadyPendingDeletion: {http.StatusBadRequest, "KMS.1402"},
	core.KindNotPendingDeletion:     {http.StatusBadRequest, "KMS.1501"},
	core.KindAlreadyExists:          {http.StatusBadRequest, "KMS.1104"},
	core.KindInvalidTag:             {http.StatusBadRequest, "KMS.0406"},
	core.KindLimitExceeded:          {http.StatusBadRequest, "KMS.0409"},
	// A ciphertext under another key than key_id: it does not decrypt under
	// key_id, as any other ciphertext that does not decrypt.
	core.KindIncorrectKey: {http.StatusBadRequest, "KMS.0706"},
	// verify answers signature_valid "false" for a signature that does not
	// verify; no other operation checks one.
	core.KindInvalidSignature: {http.StatusBadRequest, "KMS.0709"},
}
