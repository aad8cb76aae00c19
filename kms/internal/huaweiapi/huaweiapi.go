// Package huaweiapi is the Huawei REST front end of the local KMS: POST
// /v1.0/{project_id}/kms/<operation> with a JSON body, as the official
// Huawei Cloud SDK sends it. The server (package kms) reads a request's
// body within its limit, authenticates it and hands it to Serve, which
// decodes the body strictly into the models of package huawei, checks each
// field in order against the seed pages' rules, calls the core and encodes
// the response. Rules about keys (state, usage, spec) are the core's.
//
// VerifySignature checks the AK/SK signature (SDK-HMAC-SHA256) that the
// official SDK sends instead of an X-Auth-Token.
//
// # Operations and errors
//
// It serves create-key, describe-key, list-keys, get-publickey,
// derive-shared-secret, create-ec-datakey-pair, create-rsa-datakey-pair,
// create-datakey, create-datakey-without-plaintext, encrypt-datakey,
// decrypt-datakey, encrypt-data, decrypt-data, sign, verify, gen-random,
// get-parameters-for-import and import-key-material (sign.go has the
// cryptographic operations beyond the seed pages), and the key lifecycle
// (lifecycle.go): enable-key, disable-key, schedule-key-deletion,
// cancel-key-deletion, update-key-alias, update-key-description and
// delete-imported-key-material (POST like the others), the alias APIs
// (POST, GET and DELETE /v1.0/{project_id}/kms/aliases, POST
// .../kms/alias/associate) and the tag APIs (POST and GET
// .../kms/{key_id}/tags, DELETE .../kms/{key_id}/tags/{key}, POST
// .../kms/{key_id}/tags/action, GET .../kms/tags).
//
// encrypt-data and decrypt-data take SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_256
// (RSA keys) and SM2_ENCRYPT (SM2 keys); an asymmetric ciphertext needs
// key_id to decrypt. sign and verify take RSASSA_PSS_* and
// RSASSA_PKCS1_V1_5_* (RSA keys), ECDSA_SHA_256 (EC_P256, SECP256K1),
// ECDSA_SHA_384 (EC_P384), ECDSA_SHA_512 (this server's EC_P521) and
// SM2DSA_SM3 (SM2, digests only), with message_type DIGEST (the default) or
// RAW; verify answers signature_valid "false" for a signature that does not
// verify. A recipient is accepted by every operation that
// releases a secret: derive-shared-secret, create-ec-datakey-pair,
// create-rsa-datakey-pair, create-datakey, decrypt-datakey, decrypt-data and
// gen-random. It answers errors as
// {"error": {"error_code": .., "error_msg": ..}}, the shape the official SDK
// reads, with these codes (Huawei's own where Huawei publishes one):
//
//	400 KMS.0201  the URL names no operation, or a query parameter it does not take (also 405 for
//	              a method the path does not take)
//	400 KMS.0202  the body is not a JSON object of the operation's fields
//	400 KMS.0203  the body is larger than 64 KiB
//	400 KMS.0204  a mandatory field is missing
//	400 KMS.0205  key_id is not a 36-byte key ID
//	400 KMS.0206  sequence is longer than 36 bytes
//	400 KMS.0209  the key is disabled
//	400 KMS.0210  the key is pending deletion
//	400 KMS.0308  a field breaks its enum, pattern, length or range, or is not supported
//	400 KMS.0309  import on a key whose origin is not external
//	400 KMS.0310  import on a key that does not wait for key material
//	400 KMS.0311  encrypted_key_material or encrypted_privatekey does not decrypt
//	400 KMS.0406  a tag's key (1-36 characters) or value (0-43) breaks its rule
//	400 KMS.0409  a key would have more than 50 tags or 100 aliases
//	400 KMS.1101  key_alias or an alias breaks its pattern
//	400 KMS.1104  the alias exists
//	400 KMS.1201  enable-key of a key that is not disabled
//	400 KMS.1301  disable-key of a key that is not enabled
//	400 KMS.1401  pending_days is not 7 to 1096
//	400 KMS.1402  schedule-key-deletion of a key pending deletion
//	400 KMS.1501  cancel-key-deletion of a key that is not pending deletion
//	404 KMS.0701  no key has that ID (a key past its deletion date is gone), no such alias of the
//	              key, no such tag
//	400 KMS.0702  the key's usage or kind does not allow the operation, or the algorithm does not fit it
//	400 KMS.0703  the peer's or the imported key is of another spec
//	400 KMS.0704  public_key is not a valid DER SubjectPublicKeyInfo on its curve
//	400 KMS.0705  plain_text's digest does not match its data key
//	400 KMS.0706  a ciphertext does not decrypt (key, AAD or bytes; key_id not the ciphertext's key)
//	400 KMS.0707  import_token is forged, expired or for another key
//	400 KMS.0708  the key still waits for its key material
//	400 KMS.0901  the attestation document is malformed
//	403 KMS.0902  the document's signature, chain, validity or age fails, or it is from a debug enclave
//	400 KMS.0903  the document carries no RSA-2048/3072/4096 public_key that can be encrypted to
//	403 KMS.0904  the key policy or an IAM policy (kms serve --policy) does not allow the call
//	401 APIGW.0301 no valid X-Auth-Token or signature
//	500 KMS.0105  internal error
//
// # What is not checked
//
// key_alias is not unique (Huawei answers KMS.1104 for a taken one): it is
// a display name here; the aliases of create-alias are unique. The
// reference gives no rule for those aliases: key_alias's is applied.
// list-aliases answers a JSON array of one page, as the reference's table
// and the SDK's model have it (its example shows the page alone).
// list-kms-by-tags (resource_instances/action) is not served.
//
// enterprise_project_id, keystore_id and vm_id are accepted and ignored;
// sequence is checked for its length only (at most 36 bytes: the pages'
// own example sends "sequence"). pin_type is accepted as the pages define it
// (CipherText, the default, or PlainText); a pin and encrypt-datakey's
// key_spec (SM2 or RSA), which only level-4 cryptography testing honours, are
// refused as not supported, naming the field, as are the
// HMAC key specs of create-datakey. re-encrypt, which the official SDK
// models, is not served on this front end (the AWS front end's ReEncrypt
// is). decrypt-data's cipher_text
// needs no 128 characters, the reference's minimum for Huawei's own
// ciphertexts: this server's are shorter for short plaintexts.
//
// The recipient of create-datakey, decrypt-datakey, decrypt-data and
// gen-random, and the ciphertext_recipient of their answers, are this
// server's: Huawei lists the kms:RecipientAttestation condition key for
// these APIs, but its API reference and SDK models show the fields only
// for derive-shared-secret and the data key pairs.
package huaweiapi

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/kms/internal/core"
	"github.com/qtenclave/qtenclave/kms/internal/wire"
)

// API is the Huawei front end of a core.KMS.
type API struct {
	core *core.KMS
}

// New returns the Huawei front end of k.
func New(k *core.KMS) *API { return &API{core: k} }

// handler serves one operation: it decodes body, checks its fields in
// order, calls the core and returns the response body.
type handler func(a *API, ctx context.Context, c core.Caller, project string, body []byte) (any, error)

var operations = map[string]handler{
	"create-key":                   (*API).createKey,
	"describe-key":                 (*API).describeKey,
	"list-keys":                    (*API).listKeys,
	"get-publickey":                (*API).getPublicKey,
	"derive-shared-secret":         (*API).deriveSharedSecret,
	"create-ec-datakey-pair":       (*API).createECDataKeyPair,
	"create-rsa-datakey-pair":      (*API).createRSADataKeyPair,
	"encrypt-datakey":              (*API).encryptDatakey,
	"decrypt-datakey":              (*API).decryptDatakey,
	"get-parameters-for-import":    (*API).getParametersForImport,
	"import-key-material":          (*API).importKeyMaterial,
	"enable-key":                   (*API).enableKey,
	"disable-key":                  (*API).disableKey,
	"schedule-key-deletion":        (*API).scheduleKeyDeletion,
	"cancel-key-deletion":          (*API).cancelKeyDeletion,
	"update-key-alias":             (*API).updateKeyAlias,
	"update-key-description":       (*API).updateKeyDescription,
	"delete-imported-key-material": (*API).deleteImportedKeyMaterial,
	"create-datakey":               (*API).createDatakey,
	"encrypt-data":                 (*API).encryptData,
	"decrypt-data":                 (*API).decryptData,
	"gen-random":                   (*API).genRandom,

	// sign.go
	"sign":                             (*API).sign,
	"verify":                           (*API).verify,
	"create-datakey-without-plaintext": (*API).createDatakeyWithoutPlaintext,
}

// Operation returns the name of the operation that r's path names, or "" if
// it names none: the path is caller input, so only known names are
// returned, for the log.
func (a *API) Operation(r *http.Request) string {
	if rt, _, ok := matchRoute(r.Method, r.URL.Path); ok {
		return rt.name
	}
	if _, op, ok := parsePath(r.URL.Path); ok && operations[op] != nil {
		return op
	}
	return ""
}

// Serve answers an authenticated request whose body the server has read
// within its limit, and returns the operation's name and its error, for the
// log.
func (a *API) Serve(w http.ResponseWriter, r *http.Request, body []byte, c core.Caller) (string, error) {
	if rt, params, ok := matchRoute(r.Method, r.URL.Path); ok {
		return a.serveRoute(w, r, body, c, rt, params)
	}
	project, op, ok := parsePath(r.URL.Path)
	h := operations[op]
	if !ok || h == nil || r.URL.RawQuery != "" {
		err := core.Errorf(core.KindUnknownOperation, "request URL names no operation")
		a.WriteError(w, err)
		return "", err
	}
	if r.Method != http.MethodPost {
		err := core.Errorf(core.KindMethodNotAllowed, "method %s is not allowed", r.Method)
		a.WriteError(w, err)
		return op, err
	}
	if p := r.Header.Values("X-Project-Id"); len(p) > 1 || (len(p) == 1 && p[0] != project) {
		err := core.Errorf(core.KindUnknownOperation, "X-Project-Id does not match the URL")
		a.WriteError(w, err)
		return op, err
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		err := core.Errorf(core.KindMalformedRequest, "Content-Type is not application/json")
		a.WriteError(w, err)
		return op, err
	}
	resp, err := h(a, r.Context(), c, project, body)
	if err != nil {
		a.WriteError(w, err)
		return op, err
	}
	writeJSON(w, http.StatusOK, resp)
	return op, nil
}

// isJSON reports whether a Content-Type is application/json, with any
// parameters; the official SDK's, application/json;charset=UTF-8, without
// parsing it.
func isJSON(contentType string) bool {
	if contentType == "application/json;charset=UTF-8" || contentType == "application/json" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// parsePath splits /v1.0/{project_id}/kms/{op}: exactly these five
// segments, op possibly empty.
func parsePath(path string) (project, op string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/v1.0/")
	if !ok {
		return "", "", false
	}
	project, rest, ok = strings.Cut(rest, "/")
	if !ok || !isProjectID(project) {
		return "", "", false
	}
	op, ok = strings.CutPrefix(rest, "kms/")
	if !ok || strings.Contains(op, "/") {
		return "", "", false
	}
	return project, op, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	if r, ok := v.(*deriveResponse); ok {
		if b, ok := appendDeriveResponse(make([]byte, 0, 160+base64.StdEncoding.EncodedLen(len(r.forRecipient))), r); ok {
			w.Write(b)
			return
		}
		v = r.model()
	}
	json.NewEncoder(w).Encode(v)
}

// appendDeriveResponse appends r as json.Encoder writes it, newline
// included, without reflection: derive-shared-secret is the call an
// enclave makes most. ok is false if a string would need escaping (none
// that the server writes does), for encoding/json to write it.
// TestDeriveResponseJSON holds it to encoding/json.
func appendDeriveResponse(b []byte, r *deriveResponse) (_ []byte, ok bool) {
	field := func(name, value string) {
		b = append(b, name...)
		b = append(b, '"')
		b = append(b, value...)
		b = append(b, '"')
		ok = ok && plainJSON(value)
	}
	ok = r.CiphertextRecipient == ""
	field(`{"key_id":`, r.KeyID)
	field(`,"key_agreement_algorithm":`, r.KeyAgreementAlgorithm)
	if !r.SharedSecret.IsZero() {
		field(`,"shared_secret":`, r.SharedSecret.Reveal())
	}
	if len(r.forRecipient) > 0 {
		b = append(b, `,"ciphertext_recipient":"`...)
		b = base64.StdEncoding.AppendEncode(b, r.forRecipient)
		b = append(b, '"')
	}
	return append(b, "}\n"...), ok
}

// plainJSON reports whether encoding/json writes s as is between quotes:
// printable ASCII but for '"', '\\' and the HTML characters it escapes.
func plainJSON(s string) bool {
	for i := range len(s) {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// WriteError answers with err as {"error": {"error_code": .., "error_msg":
// ..}} and its status.
func (a *API) WriteError(w http.ResponseWriter, err error) {
	e, msg := huaweiErrorOf(err)
	var body struct {
		Error struct {
			Code string `json:"error_code"`
			Msg  string `json:"error_msg"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Msg = e.code, msg
	writeJSON(w, e.status, &body)
}

// ErrorCode returns the error_code that err is answered with, for the log.
func (a *API) ErrorCode(err error) string {
	e, _ := huaweiErrorOf(err)
	return e.code
}

// Handlers: decode, validate in field order, call the core, encode.

func (a *API) createKey(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.CreateKeyRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	if req.KeyAlias == "" {
		return nil, core.Errorf(core.KindMissingParameter, "key_alias is missing")
	}
	if !aliasPattern.MatchString(req.KeyAlias) {
		return nil, core.Errorf(core.KindInvalidAlias, "key_alias does not match ^[a-zA-Z0-9:/_-]{1,255}$")
	}
	if len([]rune(req.KeyDescription)) > maxDescriptionLen {
		return nil, core.Errorf(core.KindInvalidParameter, "key_description is longer than %d characters", maxDescriptionLen)
	}
	if req.KeyUsage == core.UsageDeriveSharedSecret {
		// Seed 001's AWS name: not among create-key's key_usage values.
		return nil, core.Errorf(core.KindInvalidParameter, "key_usage %s is not a key usage of create-key", req.KeyUsage)
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	pcrs, err := pcrPolicy(req.RecipientAttestation)
	if err != nil {
		return nil, err
	}
	key, err := a.core.CreateKey(ctx, c, &core.CreateKeyInput{
		Alias: req.KeyAlias, Spec: req.KeySpec, Usage: req.KeyUsage,
		Description: req.KeyDescription, Origin: req.Origin, PCRs: pcrs,
	})
	if err != nil {
		return nil, err
	}
	return &huawei.CreateKeyResponse{KeyInfo: huawei.KeyInfo{KeyID: key.ID, DomainID: project}}, nil
}

// keyRequest decodes and validates the body of describe-key and get-publickey.
func keyRequest(body []byte) (*huawei.KeyRequest, error) {
	var req huawei.KeyRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	return &req, nil
}

func (a *API) describeKey(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	req, err := keyRequest(body)
	if err != nil {
		return nil, err
	}
	key, err := a.core.DescribeKey(ctx, c, req.KeyID)
	if err != nil {
		return nil, err
	}
	return &huawei.DescribeKeyResponse{KeyInfo: keyDetails(key, project)}, nil
}

func keyDetails(rec *core.Key, project string) huawei.KeyDetails {
	keyType := "1" // symmetric
	if !rec.Symmetric() {
		keyType = "2"
	}
	d := huawei.KeyDetails{
		KeyID:                rec.ID,
		DomainID:             project,
		KeyAlias:             rec.Alias,
		Realm:                "local",
		KeySpec:              rec.Spec,
		KeyUsage:             rec.Usage,
		KeyDescription:       rec.Description,
		CreationDate:         strconv.FormatInt(rec.Created, 10),
		KeyState:             strconv.Itoa(rec.State),
		DefaultKeyFlag:       "0",
		KeyType:              keyType,
		Origin:               rec.Origin,
		KeyRotationEnabled:   "false",
		SysEnterpriseProject: "0",
		KeystoreID:           "0",
	}
	// expiration_time in seconds, the unit import-key-material takes it in
	// (seed 004); scheduled_deletion_date in milliseconds, as
	// creation_date.
	if rec.Expires != 0 {
		d.ExpirationTime = strconv.FormatInt(rec.Expires, 10)
	}
	if rec.State == core.StatePendingDeletion {
		d.ScheduledDeletionDate = strconv.FormatInt(rec.DeletionDate, 10)
	}
	return d
}

func (a *API) listKeys(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.ListKeysRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	limit := maxListLimit
	if req.Limit != "" {
		var err error
		if limit, err = parseLength("limit", req.Limit, maxListLimit); err != nil {
			return nil, err
		}
	}
	start := 0
	if req.Marker != "" {
		n, err := strconv.Atoi(req.Marker)
		if err != nil || n < 0 || strconv.Itoa(n) != req.Marker {
			return nil, core.Errorf(core.KindInvalidParameter, "marker is not a next_marker value")
		}
		start = n
	}
	if req.KeyState != "" && !keyStatePattern.MatchString(req.KeyState) {
		return nil, core.Errorf(core.KindInvalidParameter, "key_state does not match ^[1-5]{1}$")
	}
	spec := req.KeySpec
	if spec == "" {
		spec = "AES_256"
	}
	if !core.IsKeySpec(spec) && spec != "ALL" {
		return nil, core.Errorf(core.KindInvalidParameter, "key_spec %q is not a key spec or ALL", spec)
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	all, err := a.core.ListKeys(ctx, c)
	if err != nil {
		return nil, err
	}
	var match []*core.Key
	for _, rec := range all {
		if (spec == "ALL" || rec.Spec == spec) && (req.KeyState == "" || strconv.Itoa(rec.State) == req.KeyState) {
			match = append(match, rec)
		}
	}
	resp := &huawei.ListKeysResponse{Keys: []string{}, KeyDetails: []huawei.KeyDetails{}, Truncated: "false", Total: len(match)}
	if start > len(match) {
		start = len(match)
	}
	end := min(start+limit, len(match))
	for _, rec := range match[start:end] {
		resp.Keys = append(resp.Keys, rec.ID)
		resp.KeyDetails = append(resp.KeyDetails, keyDetails(rec, project))
	}
	if end < len(match) {
		resp.Truncated, resp.NextMarker = "true", strconv.Itoa(end)
	}
	return resp, nil
}

func (a *API) getPublicKey(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	req, err := keyRequest(body)
	if err != nil {
		return nil, err
	}
	rec, err := a.core.GetPublicKey(ctx, c, req.KeyID)
	if err != nil {
		return nil, err
	}
	if rec.Symmetric() {
		return nil, core.Errorf(core.KindInvalidKeyUsage, "key %s is symmetric: it has no public key", rec.ID)
	}
	if err := rec.Usable(); err != nil {
		return nil, err
	}
	return &huawei.GetPublicKeyResponse{KeyID: rec.ID, PublicKey: base64.StdEncoding.EncodeToString(rec.Public)}, nil
}

// deriveRequest is huawei.DeriveSharedSecretRequest as the server reads
// it: an enclave's request is mostly its attestation document, which the
// decoder decodes from the body, without a string of it
// (TestDeriveRequestMirrorsModel holds the fields to the model's).
type deriveRequest struct {
	KeyID                 string         `json:"key_id"`
	KeyAgreementAlgorithm string         `json:"key_agreement_algorithm"`
	PublicKey             string         `json:"public_key"`
	Recipient             *blobRecipient `json:"recipient,omitempty"`
}

func (a *API) deriveSharedSecret(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req deriveRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	switch req.KeyAgreementAlgorithm {
	case "ECDH":
	case "":
		return nil, core.Errorf(core.KindMissingParameter, "key_agreement_algorithm is missing")
	default:
		return nil, core.Errorf(core.KindInvalidParameter, "key_agreement_algorithm %q is not ECDH", req.KeyAgreementAlgorithm)
	}
	peer, err := wire.Base64("public_key", req.PublicKey)
	if err != nil {
		return nil, err
	}
	rcpt, err := blobRecipientOf(req.Recipient)
	if err != nil {
		return nil, err
	}
	out, err := a.core.DeriveSharedSecret(ctx, c, &core.DeriveInput{KeyID: req.KeyID, Peer: peer, Recipient: rcpt})
	if err != nil {
		return nil, err
	}
	return &deriveResponse{
		DeriveSharedSecretResponse: huawei.DeriveSharedSecretResponse{
			KeyID:                 out.KeyID,
			KeyAgreementAlgorithm: "ECDH",
			SharedSecret:          huawei.NewSecret(b64(out.Secret)),
		},
		forRecipient: out.ForRecipient,
	}, nil
}

// deriveResponse is a derive-shared-secret answer whose
// ciphertext_recipient (sealed: not a secret) writeJSON encodes into the
// body, not into a string first.
type deriveResponse struct {
	huawei.DeriveSharedSecretResponse // CiphertextRecipient unset
	forRecipient                      []byte
}

// model returns r as the model encoding/json writes.
func (r *deriveResponse) model() *huawei.DeriveSharedSecretResponse {
	m := r.DeriveSharedSecretResponse
	m.CiphertextRecipient = b64(r.forRecipient)
	return &m
}

// b64 encodes b, or returns "" for nil so that omitempty drops the field.
func b64(b []byte) string {
	if b == nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (a *API) createECDataKeyPair(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	return a.dataKeyPair(ctx, c, body, core.IsECPairSpec)
}

func (a *API) createRSADataKeyPair(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	return a.dataKeyPair(ctx, c, body, core.IsRSAPairSpec)
}

// dataKeyPair serves a data key pair operation whose key specs are those
// that isSpec accepts.
func (a *API) dataKeyPair(ctx context.Context, c core.Caller, body []byte, isSpec func(string) bool) (any, error) {
	var req huawei.DataKeyPairRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	if req.KeySpec == "" {
		return nil, core.Errorf(core.KindMissingParameter, "key_spec is missing")
	}
	if !isSpec(req.KeySpec) {
		return nil, core.Errorf(core.KindInvalidParameter, "key_spec %q is not supported by this operation", req.KeySpec)
	}
	rcpt, err := secretTail(req.AdditionalAuthenticatedData, req.Sequence, req.Pin.Reveal(), req.PinType, req.Recipient)
	if err != nil {
		return nil, err
	}
	plaintext := req.WithPlainText == nil || *req.WithPlainText
	if rcpt != nil && req.WithPlainText != nil && *req.WithPlainText {
		return nil, core.Errorf(core.KindInvalidParameter, "with_plain_text and recipient are mutually exclusive")
	}
	out, err := a.core.DataKeyPair(ctx, c, &core.DataKeyPairInput{
		KeyID: req.KeyID, Spec: req.KeySpec, Plaintext: plaintext && rcpt == nil,
		AAD: []byte(req.AdditionalAuthenticatedData), Recipient: rcpt,
	})
	if err != nil {
		return nil, err
	}
	return &huawei.DataKeyPairResponse{
		KeyID:                out.KeyID,
		KeySpec:              out.Spec,
		PublicKey:            b64(out.Public),
		PrivateKeyCipherText: b64(out.PrivateCiphertext),
		PrivateKeyPlainText:  huawei.NewSecret(b64(out.PrivatePlaintext)),
		CiphertextRecipient:  b64(out.ForRecipient),
	}, nil
}

func (a *API) encryptDatakey(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.EncryptDatakeyRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	plain, err := decodeHex("plain_text", req.PlainText.Reveal())
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	n, err := parseLength("datakey_plain_length", req.DatakeyPlainLength, maxDataKeyLen)
	if err != nil {
		return nil, err
	}
	if err := checkAAD(req.AdditionalAuthenticatedData); err != nil {
		return nil, err
	}
	if err := checkPin(req.Pin.Reveal(), req.PinType); err != nil {
		return nil, err
	}
	switch req.KeySpec {
	case "":
	case "SM2", "RSA":
		return nil, core.Errorf(core.KindUnsupported, "key_spec %s: encrypting SM2 and RSA data keys (level-4 cryptography testing) is not supported by this server", req.KeySpec)
	default:
		return nil, core.Errorf(core.KindInvalidParameter, "key_spec %.64q is not SM2 or RSA", req.KeySpec)
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	blob, err := a.core.EncryptDatakey(ctx, c, req.KeyID, plain, n, []byte(req.AdditionalAuthenticatedData))
	if err != nil {
		return nil, err
	}
	return &huawei.EncryptDatakeyResponse{KeyID: req.KeyID, CipherText: hex.EncodeToString(blob), DatakeyLength: strconv.Itoa(n)}, nil
}

func (a *API) decryptDatakey(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.DecryptDatakeyRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	blob, err := decodeHex("cipher_text", req.CipherText)
	if err != nil {
		return nil, err
	}
	n, err := parseLength("datakey_cipher_length", req.DatakeyCipherLength, maxDataKeyLen)
	if err != nil {
		return nil, err
	}
	rcpt, err := secretTail(req.AdditionalAuthenticatedData, req.Sequence, "", "", req.Recipient)
	if err != nil {
		return nil, err
	}
	out, err := a.core.DecryptDatakey(ctx, c, req.KeyID, blob, n, []byte(req.AdditionalAuthenticatedData), rcpt)
	if err != nil {
		return nil, err
	}
	return &huawei.DecryptDatakeyResponse{
		DataKey:             huawei.NewSecret(hexOrEmpty(out.Plaintext)),
		DatakeyLength:       strconv.Itoa(n),
		DatakeyDgst:         huawei.NewSecret(hexOrEmpty(out.Digest)),
		CiphertextRecipient: b64(out.ForRecipient),
	}, nil
}

// hexOrEmpty encodes b, or returns "" for nil so that omitempty drops the
// field.
func hexOrEmpty(b []byte) string {
	if b == nil {
		return ""
	}
	return hex.EncodeToString(b)
}

// The data operations (create-datakey, encrypt-data, decrypt-data,
// gen-random) as the DEW API reference defines them
// (https://support.huaweicloud.com/intl/en-us/api-dew/CreateDatakey.html,
// EncryptData.html, DecryptData.html, CreateRandom.html), on the core's
// symmetric operations, which the AWS front end's GenerateDataKey, Encrypt,
// Decrypt and GenerateRandom share.

func (a *API) createDatakey(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.CreateDatakeyRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	bits, err := datakeyBits(req.KeySpec, req.DatakeyLength)
	if err != nil {
		return nil, err
	}
	rcpt, err := secretTail(req.AdditionalAuthenticatedData, req.Sequence, req.Pin.Reveal(), req.PinType, req.Recipient)
	if err != nil {
		return nil, err
	}
	out, err := a.core.GenerateDataKey(ctx, c, req.KeyID, bits/8, []byte(req.AdditionalAuthenticatedData), rcpt)
	if err != nil {
		return nil, err
	}
	return &huawei.CreateDatakeyResponse{
		KeyID:               out.KeyID,
		PlainText:           huawei.NewSecret(hexOrEmpty(out.Plaintext)),
		CipherText:          hex.EncodeToString(out.Ciphertext),
		CiphertextRecipient: b64(out.ForRecipient),
	}, nil
}

// datakeyBits returns the length in bits of the data key that
// create-datakey (and create-datakey-without-plaintext) asks for.
func datakeyBits(keySpec, datakeyLength string) (int, error) {
	bits := 256 // neither key_spec nor datakey_length: 256 bits
	switch keySpec {
	case "", "AES_256":
	case "AES_128", "SM4":
		bits = 128
	case "HMAC_256", "HMAC_384", "HMAC_512", "HMAC_SM3":
		return 0, core.Errorf(core.KindUnsupported, "key_spec %s is not supported by this server", keySpec)
	default:
		return 0, core.Errorf(core.KindInvalidParameter, "key_spec %.64q is not AES_256, AES_128 or SM4", keySpec)
	}
	if datakeyLength != "" {
		// Given both, datakey_length wins, as the reference says.
		return parseBits("datakey_length", datakeyLength)
	}
	return bits, nil
}

func (a *API) encryptData(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.EncryptDataRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	plain := req.PlainText.Reveal()
	if plain == "" {
		return nil, core.Errorf(core.KindMissingParameter, "plain_text is missing")
	}
	// ^.{1,4096}$ and 1 to 4096 bytes: no line feed (which . does not
	// match); the length is checked apart (Go caps repeat counts at 1000).
	if len(plain) > maxPlainTextLen || strings.ContainsRune(plain, '\n') {
		return nil, core.Errorf(core.KindInvalidParameter, "plain_text is not 1 to %d bytes of one line", maxPlainTextLen)
	}
	alg, err := encryptionAlgorithm(req.EncryptionAlgorithm)
	if err != nil {
		return nil, err
	}
	if err := checkAAD(req.AdditionalAuthenticatedData); err != nil {
		return nil, err
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	out, err := a.core.EncryptWith(ctx, c, &core.EncryptInput{KeyID: req.KeyID, Plaintext: []byte(plain), AAD: []byte(req.AdditionalAuthenticatedData), Algorithm: alg})
	if err != nil {
		return nil, err
	}
	return &huawei.EncryptDataResponse{KeyID: out.KeyID, CipherText: b64(out.Ciphertext)}, nil
}

func (a *API) decryptData(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.DecryptDataRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	if req.CipherText == "" {
		return nil, core.Errorf(core.KindMissingParameter, "cipher_text is missing")
	}
	// The reference's rule is ^[0-9a-zA-Z+/=]{128,5648}$; its minimum
	// fits Huawei's own ciphertexts, which carry more metadata than this
	// server's: encrypt-data's answer for a short plaintext is shorter, and
	// is accepted.
	if !matchBase64Rule(req.CipherText, 1, maxDataCipherLen) {
		return nil, core.Errorf(core.KindInvalidParameter, "cipher_text does not match ^[0-9a-zA-Z+/=]{1,%d}$", maxDataCipherLen)
	}
	blob, err := wire.Base64("cipher_text", req.CipherText)
	if err != nil {
		return nil, err
	}
	alg, err := encryptionAlgorithm(req.EncryptionAlgorithm)
	if err != nil {
		return nil, err
	}
	if req.KeyID != "" {
		if err := checkKeyID(req.KeyID); err != nil {
			return nil, err
		}
	}
	rcpt, err := secretTail(req.AdditionalAuthenticatedData, req.Sequence, "", "", req.Recipient)
	if err != nil {
		return nil, err
	}
	out, err := a.core.DecryptWith(ctx, c, &core.DecryptInput{KeyID: req.KeyID, Ciphertext: blob, AAD: []byte(req.AdditionalAuthenticatedData), Algorithm: alg, Recipient: rcpt})
	if err != nil {
		return nil, err
	}
	return &huawei.DecryptDataResponse{
		KeyID:               out.KeyID,
		PlainText:           huawei.NewSecret(string(out.Plaintext)),
		PlainTextBase64:     huawei.NewSecret(b64(out.Plaintext)),
		CiphertextRecipient: b64(out.ForRecipient),
	}, nil
}

func (a *API) genRandom(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.GenRandomRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	bits, err := parseBits("random_data_length", req.RandomDataLength)
	if err != nil {
		return nil, err
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	rcpt, err := recipientOf(req.Recipient)
	if err != nil {
		return nil, err
	}
	out, err := a.core.GenerateRandom(ctx, c, bits/8, rcpt)
	if err != nil {
		return nil, err
	}
	return &huawei.GenRandomResponse{RandomData: huawei.NewSecret(hexOrEmpty(out.Plaintext)), CiphertextRecipient: b64(out.ForRecipient)}, nil
}

func (a *API) getParametersForImport(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.GetParametersForImportRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	p, err := a.core.GetParametersForImport(ctx, c, req.KeyID, req.WrappingAlgorithm)
	if err != nil {
		return nil, err
	}
	return &huawei.GetParametersForImportResponse{
		KeyID:          p.KeyID,
		ImportToken:    b64(p.Token),
		ExpirationTime: p.Expires.Unix(),
		PublicKey:      b64(p.Public),
	}, nil
}

func (a *API) importKeyMaterial(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.ImportKeyMaterialRequest
	if err := wire.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	if req.ImportToken == "" {
		return nil, core.Errorf(core.KindMissingParameter, "import_token is missing")
	}
	if !matchBase64Rule(req.ImportToken, 200, 6144) {
		return nil, core.Errorf(core.KindInvalidParameter, "import_token does not match ^[0-9a-zA-Z+/=]{200,6144}$")
	}
	token, err := wire.Base64("import_token", req.ImportToken)
	if err != nil {
		return nil, core.Errorf(core.KindInvalidImportToken, "import_token is not base64")
	}
	if req.EncryptedKeyMaterial == "" {
		return nil, core.Errorf(core.KindMissingParameter, "encrypted_key_material is missing")
	}
	if !matchBase64Rule(req.EncryptedKeyMaterial, 344, 360) {
		return nil, core.Errorf(core.KindInvalidParameter, "encrypted_key_material does not match ^[0-9a-zA-Z+/=]{344,360}$")
	}
	material, err := wire.Base64("encrypted_key_material", req.EncryptedKeyMaterial)
	if err != nil {
		return nil, err
	}
	var private []byte
	if req.EncryptedPrivatekey != "" {
		if !matchBase64Rule(req.EncryptedPrivatekey, 200, 6144) {
			return nil, core.Errorf(core.KindInvalidParameter, "encrypted_privatekey does not match ^[0-9a-zA-Z+/=]{200,6144}$")
		}
		if private, err = wire.Base64("encrypted_privatekey", req.EncryptedPrivatekey); err != nil {
			return nil, err
		}
	}
	var expires int64
	if req.ExpirationTime != nil {
		if expires = *req.ExpirationTime; expires <= 0 {
			return nil, core.Errorf(core.KindInvalidParameter, "expiration_time is not a positive timestamp")
		}
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	err = a.core.ImportKeyMaterial(ctx, c, &core.ImportInput{
		KeyID: req.KeyID, Token: token, EncryptedMaterial: material,
		EncryptedPrivate: private, Expires: expires,
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
