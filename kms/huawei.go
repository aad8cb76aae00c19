package kms

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// The Huawei REST front end: POST /v1.0/{project_id}/kms/<operation> with a
// JSON body; errors as {"error": {"error_code": .., "error_msg": ..}}.

type huaweiHandler func(s *Server, ctx context.Context, c core.Caller, project string, body []byte) (any, error)

var huaweiOps = map[string]huaweiHandler{
	"create-key":                (*Server).hwCreateKey,
	"describe-key":              (*Server).hwDescribeKey,
	"list-keys":                 (*Server).hwListKeys,
	"get-publickey":             (*Server).hwGetPublicKey,
	"derive-shared-secret":      (*Server).hwDeriveSharedSecret,
	"create-ec-datakey-pair":    (*Server).hwCreateECDataKeyPair,
	"create-rsa-datakey-pair":   (*Server).hwCreateRSADataKeyPair,
	"encrypt-datakey":           (*Server).hwEncryptDatakey,
	"decrypt-datakey":           (*Server).hwDecryptDatakey,
	"get-parameters-for-import": (*Server).hwGetParametersForImport,
	"import-key-material":       (*Server).hwImportKeyMaterial,
}

// serveHuawei answers an authenticated request and returns the operation's
// name and its error, for the log.
func (s *Server) serveHuawei(w http.ResponseWriter, r *http.Request, body []byte, c core.Caller) (string, error) {
	project, op, ok := parseHuaweiPath(r.URL.Path)
	h := huaweiOps[op]
	if !ok || h == nil || r.URL.RawQuery != "" {
		err := core.Errorf(core.KindUnknownOperation, "request URL names no operation")
		s.writeHuaweiError(w, err)
		return "", err
	}
	if p := r.Header.Values("X-Project-Id"); len(p) > 1 || (len(p) == 1 && p[0] != project) {
		err := core.Errorf(core.KindUnknownOperation, "X-Project-Id does not match the URL")
		s.writeHuaweiError(w, err)
		return op, err
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		err := core.Errorf(core.KindMalformedRequest, "Content-Type is not application/json")
		s.writeHuaweiError(w, err)
		return op, err
	}
	resp, err := h(s, r.Context(), c, project, body)
	if err != nil {
		s.writeHuaweiError(w, err)
		return op, err
	}
	writeJSON(w, http.StatusOK, resp)
	return op, nil
}

// parseHuaweiPath splits /v1.0/{project_id}/kms/{op}.
func parseHuaweiPath(path string) (project, op string, ok bool) {
	parts := strings.Split(path, "/")
	if len(parts) != 5 || parts[0] != "" || parts[1] != "v1.0" || parts[3] != "kms" {
		return "", "", false
	}
	if !projectIDPattern.MatchString(parts[2]) {
		return "", "", false
	}
	return parts[2], parts[4], true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) writeHuaweiError(w http.ResponseWriter, err error) {
	k, msg := core.KindOf(err)
	e := huaweiErrors[k]
	var body struct {
		Error struct {
			Code string `json:"error_code"`
			Msg  string `json:"error_msg"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Msg = e.code, msg
	writeJSON(w, e.status, &body)
}

// Strict JSON. encoding/json matches field names case-insensitively, keeps
// the last of duplicate keys and ignores unknown ones; a KMS request is
// refused for any of these instead, so that what is validated is what the
// caller meant.

// maxJSONDepth bounds nesting: the deepest request is an object holding the
// recipient object.
const maxJSONDepth = 4

func decodeJSON(body []byte, v any) error {
	if len(body) == 0 {
		return nil // no body: no fields (the SDK sends none for an empty list-keys)
	}
	allowed := jsonFields(reflect.TypeOf(v).Elem())
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return core.Errorf(core.KindMalformedRequest, "request body is not a JSON object")
	}
	if err := checkObject(dec, allowed, 1); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return core.Errorf(core.KindMalformedRequest, "request body has data after the JSON object")
	}
	strict := json.NewDecoder(bytes.NewReader(body))
	strict.DisallowUnknownFields()
	if err := strict.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return core.Errorf(core.KindMalformedRequest, "field %s has the wrong JSON type", te.Field)
		}
		return core.Errorf(core.KindMalformedRequest, "request body is not valid JSON")
	}
	return nil
}

// checkObject reads the members of an object whose '{' was just read,
// refusing duplicate keys at any depth and, when allowed is not nil, keys
// that are not exactly one of its field names.
func checkObject(dec *json.Decoder, allowed map[string]bool, depth int) error {
	if depth > maxJSONDepth {
		return core.Errorf(core.KindMalformedRequest, "request body is nested too deeply")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return core.Errorf(core.KindMalformedRequest, "request body is not valid JSON")
		}
		key := tok.(string)
		if seen[key] {
			return core.Errorf(core.KindMalformedRequest, "field %.64q appears twice", key)
		}
		seen[key] = true
		if allowed != nil && !allowed[key] {
			return core.Errorf(core.KindMalformedRequest, "field %.64q is not a field of this operation", key)
		}
		if err := skipValue(dec, depth); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return core.Errorf(core.KindMalformedRequest, "request body is not valid JSON")
	}
	return nil
}

func skipValue(dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return core.Errorf(core.KindMalformedRequest, "request body is not valid JSON")
	}
	switch tok {
	case json.Delim('{'):
		return checkObject(dec, nil, depth+1)
	case json.Delim('['):
		if depth+1 > maxJSONDepth {
			return core.Errorf(core.KindMalformedRequest, "request body is nested too deeply")
		}
		for dec.More() {
			if err := skipValue(dec, depth+1); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return core.Errorf(core.KindMalformedRequest, "request body is not valid JSON")
		}
	}
	return nil
}

// jsonFields returns the JSON names of a struct's fields, embedded
// structs' included.
func jsonFields(t reflect.Type) map[string]bool {
	m := make(map[string]bool, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			maps.Copy(m, jsonFields(f.Type)) // embedded: its fields are the outer object's
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
}

// Handlers: decode, validate in field order, call the typed layer, encode.

func (s *Server) hwCreateKey(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.CreateKeyRequest
	if err := decodeJSON(body, &req); err != nil {
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
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	pcrs, err := pcrPolicy(req.RecipientAttestation)
	if err != nil {
		return nil, err
	}
	key, err := s.core.CreateKey(ctx, c, &core.CreateKeyInput{
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
	if err := decodeJSON(body, &req); err != nil {
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

func (s *Server) hwDescribeKey(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	req, err := keyRequest(body)
	if err != nil {
		return nil, err
	}
	key, err := s.core.DescribeKey(ctx, c, req.KeyID)
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
	}
	if rec.Expires != 0 {
		d.ExpirationTime = strconv.FormatInt(rec.Expires*1000, 10)
	}
	return d
}

func (s *Server) hwListKeys(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.ListKeysRequest
	if err := decodeJSON(body, &req); err != nil {
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
	all, err := s.core.ListKeys(ctx, c)
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

func (s *Server) hwGetPublicKey(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	req, err := keyRequest(body)
	if err != nil {
		return nil, err
	}
	rec, err := s.core.GetPublicKey(ctx, c, req.KeyID)
	if err != nil {
		return nil, err
	}
	if rec.Symmetric() {
		return nil, core.Errorf(core.KindInvalidKeyUsage, "key %s is symmetric: it has no public key", rec.ID)
	}
	if rec.State == core.StatePendingImport {
		return nil, core.Errorf(core.KindInvalidState, "key %s is waiting for its key material", rec.ID)
	}
	return &huawei.GetPublicKeyResponse{KeyID: rec.ID, PublicKey: base64.StdEncoding.EncodeToString(rec.Public)}, nil
}

func (s *Server) hwDeriveSharedSecret(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.DeriveSharedSecretRequest
	if err := decodeJSON(body, &req); err != nil {
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
	peer, err := decodeBase64("public_key", req.PublicKey)
	if err != nil {
		return nil, err
	}
	rcpt, err := recipientOf(req.Recipient)
	if err != nil {
		return nil, err
	}
	out, err := s.core.DeriveSharedSecret(ctx, c, &core.DeriveInput{KeyID: req.KeyID, Peer: peer, Recipient: rcpt})
	if err != nil {
		return nil, err
	}
	return &huawei.DeriveSharedSecretResponse{
		KeyID:                 out.KeyID,
		KeyAgreementAlgorithm: "ECDH",
		SharedSecret:          b64(out.Secret),
		CiphertextRecipient:   b64(out.ForRecipient),
	}, nil
}

// b64 encodes b, or returns "" for nil so that omitempty drops the field.
func b64(b []byte) string {
	if b == nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (s *Server) hwCreateECDataKeyPair(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	return s.hwDataKeyPair(ctx, c, body, core.IsECPairSpec)
}

func (s *Server) hwCreateRSADataKeyPair(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	return s.hwDataKeyPair(ctx, c, body, core.IsRSAPairSpec)
}

// hwDataKeyPair serves a data key pair operation whose key specs are those
// that isSpec accepts.
func (s *Server) hwDataKeyPair(ctx context.Context, c core.Caller, body []byte, isSpec func(string) bool) (any, error) {
	var req huawei.DataKeyPairRequest
	if err := decodeJSON(body, &req); err != nil {
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
	if err := checkAAD(req.AdditionalAuthenticatedData); err != nil {
		return nil, err
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	if err := checkNoPin(req.Pin, req.PinType); err != nil {
		return nil, err
	}
	rcpt, err := recipientOf(req.Recipient)
	if err != nil {
		return nil, err
	}
	plaintext := req.WithPlainText == nil || *req.WithPlainText
	if rcpt != nil && req.WithPlainText != nil && *req.WithPlainText {
		return nil, core.Errorf(core.KindInvalidParameter, "with_plain_text and recipient are mutually exclusive")
	}
	out, err := s.core.DataKeyPair(ctx, c, &core.DataKeyPairInput{
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
		PrivateKeyPlainText:  b64(out.PrivatePlaintext),
		CiphertextRecipient:  b64(out.ForRecipient),
	}, nil
}

func (s *Server) hwEncryptDatakey(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.EncryptDatakeyRequest
	if err := decodeJSON(body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	plain, err := decodeHex("plain_text", req.PlainText)
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
	if err := checkNoPin(req.Pin, req.PinType); err != nil {
		return nil, err
	}
	if req.KeySpec != "" {
		return nil, core.Errorf(core.KindUnsupported, "key_spec applies only to level-4 cryptography testing")
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	blob, err := s.core.EncryptDatakey(ctx, c, req.KeyID, plain, n, []byte(req.AdditionalAuthenticatedData))
	if err != nil {
		return nil, err
	}
	return &huawei.EncryptDatakeyResponse{KeyID: req.KeyID, CipherText: hex.EncodeToString(blob), DatakeyLength: strconv.Itoa(n)}, nil
}

func (s *Server) hwDecryptDatakey(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.DecryptDatakeyRequest
	if err := decodeJSON(body, &req); err != nil {
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
	if err := checkAAD(req.AdditionalAuthenticatedData); err != nil {
		return nil, err
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	dek, digest, err := s.core.DecryptDatakey(ctx, c, req.KeyID, blob, n, []byte(req.AdditionalAuthenticatedData))
	if err != nil {
		return nil, err
	}
	return &huawei.DecryptDatakeyResponse{DataKey: hex.EncodeToString(dek), DatakeyLength: strconv.Itoa(n), DatakeyDgst: hex.EncodeToString(digest)}, nil
}

func (s *Server) hwGetParametersForImport(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.GetParametersForImportRequest
	if err := decodeJSON(body, &req); err != nil {
		return nil, err
	}
	if err := checkKeyID(req.KeyID); err != nil {
		return nil, err
	}
	if err := checkSequence(req.Sequence); err != nil {
		return nil, err
	}
	p, err := s.core.GetParametersForImport(ctx, c, req.KeyID, req.WrappingAlgorithm)
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

func (s *Server) hwImportKeyMaterial(ctx context.Context, c core.Caller, project string, body []byte) (any, error) {
	var req huawei.ImportKeyMaterialRequest
	if err := decodeJSON(body, &req); err != nil {
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
	token, err := decodeBase64("import_token", req.ImportToken)
	if err != nil {
		return nil, core.Errorf(core.KindInvalidImportToken, "import_token is not base64")
	}
	if req.EncryptedKeyMaterial == "" {
		return nil, core.Errorf(core.KindMissingParameter, "encrypted_key_material is missing")
	}
	if !matchBase64Rule(req.EncryptedKeyMaterial, 344, 360) {
		return nil, core.Errorf(core.KindInvalidParameter, "encrypted_key_material does not match ^[0-9a-zA-Z+/=]{344,360}$")
	}
	material, err := decodeBase64("encrypted_key_material", req.EncryptedKeyMaterial)
	if err != nil {
		return nil, err
	}
	var private []byte
	if req.EncryptedPrivatekey != "" {
		if !matchBase64Rule(req.EncryptedPrivatekey, 200, 6144) {
			return nil, core.Errorf(core.KindInvalidParameter, "encrypted_privatekey does not match ^[0-9a-zA-Z+/=]{200,6144}$")
		}
		if private, err = decodeBase64("encrypted_privatekey", req.EncryptedPrivatekey); err != nil {
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
	err = s.core.ImportKeyMaterial(ctx, c, &core.ImportInput{
		KeyID: req.KeyID, Token: token, EncryptedMaterial: material,
		EncryptedPrivate: private, Expires: expires,
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// pcrPolicy parses recipient_attestation: "PCR0".."PCR31" -> hex of 32, 48
// or 64 bytes.
func pcrPolicy(m map[string]string) (map[int][]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[int][]byte, len(m))
	for k, v := range m {
		idx, ok := strings.CutPrefix(k, "PCR")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil || n < 0 || n > 31 || strconv.Itoa(n) != idx {
			return nil, core.Errorf(core.KindInvalidParameter, "recipient_attestation key %q is not PCR0..PCR31", k)
		}
		b, err := decodeHex("recipient_attestation."+k, v)
		if err != nil {
			return nil, err
		}
		if len(b) != 32 && len(b) != 48 && len(b) != 64 {
			return nil, core.Errorf(core.KindInvalidParameter, "recipient_attestation.%s is not 32, 48 or 64 bytes", k)
		}
		out[n] = b
	}
	return out, nil
}

// Key states, with Huawei's numbering.
const (
	stateEnabled       = 2
	statePendingImport = 5
)
