// Package awsapi is the AWS front end of the local KMS: AWS KMS's JSON 1.1
// protocol, so that the AWS SDKs can use the server unmodified apart from
// the endpoint and credentials.
//
//	POST /
//	Content-Type: application/x-amz-json-1.1
//	X-Amz-Target: TrentService.<Operation>
//
// The server (package kms) reads a request's body within its limit,
// authenticates it and hands it to Serve. Each operation decodes its body
// into an aws*Request (strictly, with package wire; through decodeAWSKeyed
// when it acts on a key), calls the core as the Huawei front end does, and
// encodes an aws*Response. VerifySignature checks AWS Signature Version 4,
// which the AWS SDKs authenticate with.
//
// # Operations and errors
//
// It serves CreateKey (with Policy and BypassPolicyLockoutSafetyCheck),
// DescribeKey, ListKeys, GetPublicKey, DeriveSharedSecret,
// GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext,
// GenerateDataKey, GenerateDataKeyWithoutPlaintext, Encrypt, Decrypt,
// ReEncrypt, Sign, Verify, GenerateRandom, PutKeyPolicy, GetKeyPolicy and
// ListKeyPolicies (the one policy name is "default"), and the key lifecycle
// (lifecycle.go): EnableKey, DisableKey, ScheduleKeyDeletion,
// CancelKeyDeletion, UpdateKeyDescription, CreateAlias, UpdateAlias,
// DeleteAlias, ListAliases, TagResource, UntagResource, ListResourceTags,
// GetParametersForImport, ImportKeyMaterial and DeleteImportedKeyMaterial.
// An alias (alias/NAME or its ARN) is a KeyId of the operations that AWS
// lets take one (awsKeyRef: the cryptographic operations, DescribeKey,
// GetPublicKey); the others refuse it as NotFoundException. Decrypt,
// GenerateDataKey, GenerateDataKeyPair, GenerateRandom and
// DeriveSharedSecret take a Recipient.
//
// CreateKey makes the KeySpec and KeyUsage combinations AWS allows:
// SYMMETRIC_DEFAULT ENCRYPT_DECRYPT; RSA_2048/3072/4096 ENCRYPT_DECRYPT or
// SIGN_VERIFY; ECC_NIST_P256/P384/P521 SIGN_VERIFY or KEY_AGREEMENT;
// ECC_SECG_P256K1 SIGN_VERIFY; SM2 (China Regions on AWS, every region here)
// ENCRYPT_DECRYPT, SIGN_VERIFY or KEY_AGREEMENT. Keys and GetPublicKey list
// their EncryptionAlgorithms (SYMMETRIC_DEFAULT; RSAES_OAEP_SHA_1 and
// RSAES_OAEP_SHA_256; SM2PKE), SigningAlgorithms (RSASSA_PSS_SHA_256/384/512
// and RSASSA_PKCS1_V1_5_SHA_256/384/512; ECDSA_SHA_256 for P-256 and
// secp256k1, ECDSA_SHA_384, ECDSA_SHA_512; SM2DSA) or KeyAgreementAlgorithms
// (ECDH). Sign and Verify take RAW (the default) or DIGEST messages of 1 to
// 4096 bytes; Encrypt takes plaintexts up to AWS's limit of the algorithm
// and key size (4096 bytes symmetric, 214/342/470 with OAEP SHA-1 and
// 190/318/446 with SHA-256, 1024 with SM2PKE). The rules are the core's
// (sign.go, asymenc.go, reencrypt.go). DryRun is not modelled: a request
// with it is refused (SerializationException), not run.
//
// Errors are {"__type": .., "message": ..}, which the
// AWS SDKs turn into typed errors, with AWS KMS's own exceptions
// (awsErrorOf):
//
//	400 SerializationException          the body is not a JSON object of the operation's members
//	413 ValidationException             the body is larger than 64 KiB
//	400 ValidationException             a member is missing or breaks its enum, length or range; the
//	                                    attestation document is malformed or carries no RSA key
//	400 NotFoundException               no key or alias has that KeyId or AliasName (a key past its
//	                                    deletion date is gone); KeyId is malformed, of another account,
//	                                    or an alias where the operation takes none
//	400 DisabledException               the key is disabled
//	400 InvalidKeyUsageException        the key's usage or kind does not allow the operation, or the
//	                                    encryption or signing algorithm does not fit the key spec
//	400 IncorrectKeyException           Decrypt's KeyId or ReEncrypt's SourceKeyId is not the
//	                                    ciphertext's key
//	400 KMSInvalidSignatureException    Verify's signature does not verify
//	400 InvalidPublicKeyException       PublicKey is not a DER SubjectPublicKeyInfo on the key's curve
//	400 InvalidCiphertextException      a ciphertext does not decrypt (key, context or bytes)
//	400 KMSInvalidStateException        the key's state does not allow the operation: pending import or
//	                                    deletion, enable or disable of one, a second ScheduleKeyDeletion,
//	                                    CancelKeyDeletion of a key not pending deletion, an import into a
//	                                    key not pending import
//	400 AlreadyExistsException          CreateAlias of an alias that exists
//	400 InvalidAliasNameException       AliasName is not alias/ and ^[a-zA-Z0-9:/_-]+$ (256 at most), or
//	                                    is under alias/aws/
//	400 TagException                    a TagKey (1-128, not aws:) or TagValue (0-256) breaks its rule
//	400 LimitExceededException          a key would have more than 50 tags or 100 aliases
//	400 UnsupportedOperationException   a valid value this server does not implement (HMAC, ML-DSA and
//	                                    Ed25519 specs and algorithms, EXTERNAL_MU, multi-Region keys,
//	                                    wrapping algorithms but RSAES_OAEP_SHA_256 and
//	                                    RSA_AES_KEY_WRAP_SHA_256), a symmetric key's public key,
//	                                    DeleteImportedKeyMaterial of a key that is not EXTERNAL
//	400 InvalidMarkerException          Marker is not one this server gave
//	400 AccessDeniedException           the key policy does not allow the call, in AWS's words
//	400 MalformedPolicyDocumentException a key policy the engine refuses (named by its JSON path), or
//	                                    one that would lock the caller out
//	403 AccessDeniedException           the document's signature, chain, validity or age fails, or it
//	                                    is from a debug enclave
//	400 UnknownOperationException       X-Amz-Target names no operation (405 for a method other than POST)
//	415 UnsupportedMediaTypeException   Content-Type is not application/x-amz-json-1.1
//	401 MissingAuthenticationTokenException  no credentials, or no valid X-Auth-Token
//	401 IncompleteSignatureException    the AWS4-HMAC-SHA256 Authorization is malformed
//	403 UnrecognizedClientException     the signature's access key is unknown
//	403 InvalidSignatureException       the signature does not match, or its date is too far off
//	500 KMSInternalException            internal error
//
// InvalidPublicKeyException is seed 001's; the AWS SDK reads it as a generic
// API error with that code.
//
// # Seed 001's shape
//
// Seed 001 describes DeriveSharedSecret differently from the real AWS client
// (KMS-WIRE.md). Both are accepted, and the differences are handled in
// exactly these places: the top-level RecipientInfo blob (the attestation
// document, sealed to with RSAES_OAEP_SHA_256) in awsRecipientOf; key usage
// DERIVE_SHARED_SECRET as a synonym of KEY_AGREEMENT (core.UsageDeriveSharedSecret,
// which the key reports back as its KeyUsage);
// KeyAgreementAlgorithm optional (ECDH) in deriveSharedSecret. KeyId may be
// a key ID or an ARN in AWS's form or the seed's (awsKeyID); responses give
// the ARN in AWS's form, arn:aws:kms:REGION:ACCOUNT:key/ID, or in the seed's,
// arn:verenc:ACCOUNT:key/ID, when the server is so configured
// (core.KMS.KeyARN).
package awsapi

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/qtenclave/qtenclave/kms/internal/core"
	"github.com/qtenclave/qtenclave/kms/internal/wire"
)

const (
	awsContentType  = "application/x-amz-json-1.1"
	awsTargetPrefix = "TrentService."

	// Bounds of the AWS KMS API reference.
	awsMaxPlaintext      = 4096 // Encrypt's Plaintext
	awsMaxPublicKey      = 8192 // DeriveSharedSecret's PublicKey
	awsMaxCiphertext     = 6144 // Decrypt's CiphertextBlob
	awsMaxRandom         = 1024 // GenerateRandom's and GenerateDataKey's NumberOfBytes
	awsMaxDescription    = 8192 // CreateKey's Description
	awsMaxKeyID          = 2048 // KeyId, as an ID, ARN or alias
	awsMaxGrantTokens    = 10   // GrantTokens (accepted and unused: there are no grants here)
	awsDefaultListLimit  = 100  // ListKeys' default Limit
	awsMaxListLimit      = 1000 // ListKeys' largest Limit
	awsMaxContextEntries = 64   // EncryptionContext pairs; AWS bounds the total at 8192 bytes
	awsMaxContextBytes   = 8192
)

// API is the AWS front end of a core.KMS.
type API struct {
	core *core.KMS
	// arnPrefix is what a key ARN has before the key ID (k.KeyARN("")),
	// which the data path's responses write without joining them.
	arnPrefix string
}

// New returns the AWS front end of k (nil: one that only writes errors).
func New(k *core.KMS) *API {
	a := &API{core: k}
	if k != nil {
		a.arnPrefix = k.KeyARN("")
	}
	return a
}

// keyARN returns the ARN of the key id, as core.KMS.KeyARN gives it.
func (a *API) keyARN(id string) keyARN { return keyARN{a.arnPrefix, id} }

// handler serves one operation: it decodes body, checks its members, calls
// the core and returns the response body.
type handler func(a *API, ctx context.Context, c core.Caller, body []byte) (any, error)

// operations maps an X-Amz-Target operation to its handler. A handler
// decodes its own body, so that each names its fields in its errors.
var operations = map[string]handler{
	"CreateKey":                 (*API).createKey,
	"DescribeKey":               (*API).describeKey,
	"ListKeys":                  (*API).listKeys,
	"GetPublicKey":              (*API).getPublicKey,
	"DeriveSharedSecret":        (*API).deriveSharedSecret,
	"GenerateDataKeyPair":       (*API).generateDataKeyPair,
	"GenerateDataKey":           (*API).generateDataKey,
	"Encrypt":                   (*API).encrypt,
	"Decrypt":                   (*API).decrypt,
	"GenerateRandom":            (*API).generateRandom,
	"PutKeyPolicy":              (*API).putKeyPolicy,
	"GetKeyPolicy":              (*API).getKeyPolicy,
	"ListKeyPolicies":           (*API).listKeyPolicies,
	"EnableKey":                 (*API).enableKey,
	"DisableKey":                (*API).disableKey,
	"ScheduleKeyDeletion":       (*API).scheduleKeyDeletion,
	"CancelKeyDeletion":         (*API).cancelKeyDeletion,
	"UpdateKeyDescription":      (*API).updateKeyDescription,
	"CreateAlias":               (*API).createAlias,
	"UpdateAlias":               (*API).updateAlias,
	"DeleteAlias":               (*API).deleteAlias,
	"ListAliases":               (*API).listAliases,
	"TagResource":               (*API).tagResource,
	"UntagResource":             (*API).untagResource,
	"ListResourceTags":          (*API).listResourceTags,
	"GetParametersForImport":    (*API).getParametersForImport,
	"ImportKeyMaterial":         (*API).importKeyMaterial,
	"DeleteImportedKeyMaterial": (*API).deleteImportedKeyMaterial,

	// crypto.go
	"Sign":                                (*API).sign,
	"Verify":                              (*API).verify,
	"ReEncrypt":                           (*API).reEncrypt,
	"GenerateDataKeyWithoutPlaintext":     (*API).generateDataKeyWithoutPlaintext,
	"GenerateDataKeyPairWithoutPlaintext": (*API).generateDataKeyPairWithoutPlaintext,
}

// Operation returns the X-Amz-Target of r, bounded, for the log.
func (a *API) Operation(r *http.Request) string {
	op := firstValue(r.Header["X-Amz-Target"])
	return op[:min(len(op), 64)] // caller input: bounded in the log
}

// Serve answers an authenticated AWS JSON 1.1 request (POST / with
// X-Amz-Target) whose body the server has read within its limit. It returns
// the operation's X-Amz-Target and the error it answered with, for the log.
func (a *API) Serve(w http.ResponseWriter, r *http.Request, body []byte, c core.Caller) (string, error) {
	v, err := a.dispatch(r.Context(), c, r.Header, body)
	writeAWS(w, v, err)
	return a.Operation(r), err
}

// WriteError writes err as an AWS JSON error. The server uses it for the
// failures that come before an operation runs (method, body, credentials).
func (a *API) WriteError(w http.ResponseWriter, err error) { writeAWS(w, nil, err) }

// ErrorCode returns the __type that err is answered with, for the log.
func (a *API) ErrorCode(err error) string {
	e, _ := awsErrorOf(err)
	return e.typ
}

// dispatch runs the operation that an authenticated AWS request names and
// returns its response body or error.
func (a *API) dispatch(ctx context.Context, c core.Caller, h http.Header, body []byte) (any, error) {
	// The AWS SDKs send the media type alone, which needs no parsing.
	if ct := firstValue(h["Content-Type"]); ct != awsContentType {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != awsContentType {
			return nil, core.Wrapf(core.KindMalformedRequest, errAWSMediaType, "Content-Type must be %s", awsContentType)
		}
	}
	op, ok := strings.CutPrefix(firstValue(h["X-Amz-Target"]), awsTargetPrefix)
	handler := operations[op]
	if !ok || handler == nil {
		return nil, core.Errorf(core.KindUnknownOperation, "unknown operation: the X-Amz-Target is not TrentService.<one of this server's operations>")
	}
	return handler(a, ctx, c, body)
}

// firstValue returns the first of a header's values, or "": what
// http.Header.Get returns. The front end reads headers of canonical names
// from the map directly (h["X-Amz-Target"]), which Get would canonicalize
// again on each call.
func firstValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// writeAWS writes an AWS response: v as JSON, or err as its __type.
func writeAWS(w http.ResponseWriter, v any, err error) {
	status := http.StatusOK
	if err != nil {
		e, msg := awsErrorOf(err)
		status, v = e.status, &awsErrorBody{Type: e.typ, Message: msg}
	}
	writeJSON(w, status, v)
}

// Causes of errors that only the AWS API distinguishes, wrapped in an error
// of the nearest kind (for the Huawei front end and the log) and mapped to
// their own __type by awsErrorOf.
var (
	errAWSMediaType = errors.New("content type is not " + awsContentType)
	errAWSMarker    = errors.New("marker is not one this server gave")
)

// awsKeyID returns the key ID that a KeyId names: a key ID, or an ARN of
// account's keys in the seed's form (arn:verenc:ACCOUNT:key/ID) or AWS's
// (arn:PARTITION:kms:REGION:ACCOUNT:key/ID, any region). An alias is
// refused: this is for the operations that AWS documents as taking a key ID
// or key ARN only (awsKeyRef takes aliases too).
func awsKeyID(field, keyID, account string) (string, error) {
	if keyID == "" {
		return "", core.Errorf(core.KindMissingParameter, "%s is missing", field)
	}
	if len(keyID) > awsMaxKeyID {
		return "", core.Errorf(core.KindInvalidParameter, "%s is longer than %d characters", field, awsMaxKeyID)
	}
	if strings.HasPrefix(keyID, core.AliasPrefix) || strings.Contains(keyID, ":"+core.AliasPrefix) {
		return "", core.Errorf(core.KindInvalidKeyID, "%s: this operation takes a key ID or key ARN, not an alias", field)
	}
	id := keyID
	if strings.HasPrefix(keyID, "arn:") {
		keyAccount, resource, ok := splitARN(keyID)
		if !ok {
			return "", core.Errorf(core.KindInvalidKeyID, "%s is not a key ID or a key ARN", field)
		}
		if id, ok = strings.CutPrefix(resource, "key/"); !ok {
			return "", core.Errorf(core.KindInvalidKeyID, "%s is not a key ID or a key ARN", field)
		}
		if keyAccount != account {
			return "", core.Errorf(core.KindNotFound, "%s names another account", field)
		}
	}
	if !core.ValidKeyID(id) {
		return "", core.Errorf(core.KindInvalidKeyID, "%s is not a key ID or a key ARN", field)
	}
	return id, nil
}

// splitARN returns the account and resource of a KMS ARN in AWS's form
// (arn:PARTITION:kms:REGION:ACCOUNT:RESOURCE, any region) or the seed's
// (arn:verenc:ACCOUNT:RESOURCE).
func splitARN(arn string) (account, resource string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return "", "", false
	}
	// The resource is what follows the account: an alias name may hold
	// colons (AliasName's pattern is ^[a-zA-Z0-9:/_-]+$).
	if seed, ok := strings.CutPrefix(rest, "verenc:"); ok {
		account, resource, ok = strings.Cut(seed, ":")
		return account, resource, ok
	}
	parts := strings.SplitN(rest, ":", 5)
	if len(parts) == 5 && parts[0] != "" && parts[1] == "kms" && validRegion(parts[2]) {
		return parts[3], parts[4], true
	}
	return "", "", false
}

// awsBlob decodes a required base64 blob member of at most max bytes.
func awsBlob(field, s string, max int) ([]byte, error) {
	if len(s) > base64.StdEncoding.EncodedLen(max) {
		return nil, core.Errorf(core.KindInvalidParameter, "%s is longer than %d bytes", field, max)
	}
	b, err := wire.Base64(field, s)
	if err != nil {
		return nil, err
	}
	if len(b) > max {
		return nil, core.Errorf(core.KindInvalidParameter, "%s is longer than %d bytes", field, max)
	}
	return b, nil
}

// awsRecipientOf returns the recipient of a request: the AWS SDK's Recipient
// member, or seed 001's RecipientInfo blob (the attestation document
// itself), never both.
func awsRecipientOf(r *awsRecipient, seedInfo string) (*core.Recipient, error) {
	if r != nil && seedInfo != "" {
		return nil, core.Errorf(core.KindInvalidParameter, "Recipient and RecipientInfo are mutually exclusive")
	}
	if seedInfo != "" {
		r = &awsRecipient{AttestationDocument: seedInfo}
	}
	if r == nil {
		return nil, nil
	}
	if r.AttestationDocument == "" {
		return nil, core.Errorf(core.KindMissingParameter, "Recipient.AttestationDocument is missing")
	}
	doc, err := awsBlob("Recipient.AttestationDocument", r.AttestationDocument, core.MaxDocumentLen)
	if err != nil {
		return nil, err
	}
	return &core.Recipient{Document: doc, Algorithm: r.KeyEncryptionAlgorithm}, nil
}

// awsContext returns the additional authenticated data that an
// EncryptionContext binds: the pairs sorted by key, each key and value
// prefixed by its length as a uvarint. An empty context binds nothing, so a
// ciphertext made without one opens on the Huawei front end without
// additional_authenticated_data.
func awsContext(ctx map[string]string) ([]byte, error) {
	if len(ctx) == 0 {
		return nil, nil
	}
	if len(ctx) > awsMaxContextEntries {
		return nil, core.Errorf(core.KindInvalidParameter, "EncryptionContext has more than %d pairs", awsMaxContextEntries)
	}
	keys := make([]string, 0, len(ctx))
	total := 0
	for k, v := range ctx {
		keys = append(keys, k)
		total += len(k) + len(v)
	}
	if total > awsMaxContextBytes {
		return nil, core.Errorf(core.KindInvalidParameter, "EncryptionContext is longer than %d bytes", awsMaxContextBytes)
	}
	slices.Sort(keys)
	aad := make([]byte, 0, total+4*len(keys))
	for _, k := range keys {
		aad = binary.AppendUvarint(aad, uint64(len(k)))
		aad = append(aad, k...)
		aad = binary.AppendUvarint(aad, uint64(len(ctx[k])))
		aad = append(aad, ctx[k]...)
	}
	return aad, nil
}

// decodeAWSKeyed decodes the body of an operation on a key and returns it
// with the key ID that its KeyId names, or "" when KeyId is optional
// (Decrypt) and absent.
func decodeAWSKeyed[R any, P interface {
	*R
	keyed() (k *awsKeyed, optional bool)
}](a *API, body []byte) (*R, string, error) {
	in := P(new(R))
	if err := wire.Decode(body, in); err != nil {
		return nil, "", err
	}
	k, optional := in.keyed()
	if len(k.GrantTokens) > awsMaxGrantTokens {
		return nil, "", core.Errorf(core.KindInvalidParameter, "GrantTokens has more than %d tokens", awsMaxGrantTokens)
	}
	if optional && k.KeyID == "" {
		return in, "", nil
	}
	id, err := awsKeyRef("KeyId", k.KeyID, a.core.Account())
	if err != nil {
		return nil, "", err
	}
	return in, id, nil
}

// awsSpecs maps AWS KeySpec names to this server's create-key specs.
var awsSpecs = map[string]string{
	"SYMMETRIC_DEFAULT": "AES_256",
	"RSA_2048":          "RSA_2048",
	"RSA_3072":          "RSA_3072",
	"RSA_4096":          "RSA_4096",
	"ECC_NIST_P256":     "EC_P256",
	"ECC_NIST_P384":     "EC_P384",
	"ECC_NIST_P521":     "EC_P521",
	"ECC_SECG_P256K1":   "SECP256K1",
	"SM2":               "SM2",
}

// awsSpecOf returns the AWS KeySpec of a create-key spec. SM4, which AWS
// does not have, keeps its name.
func awsSpecOf(spec string) string {
	for aws, ours := range awsSpecs {
		if ours == spec {
			return aws
		}
	}
	return spec
}

// awsUnsupportedSpecs are AWS KeySpecs that this server knows but does not
// implement.
var awsUnsupportedSpecs = map[string]bool{
	"HMAC_224": true, "HMAC_256": true, "HMAC_384": true, "HMAC_512": true,
	"ML_DSA_44": true, "ML_DSA_65": true, "ML_DSA_87": true, "ECC_NIST_EDWARDS25519": true,
}

func awsCreateKeyInput(in *awsCreateKeyRequest) (*core.CreateKeyInput, error) {
	var err error
	spec := in.KeySpec
	if spec == "" {
		spec = in.CustomerMasterKeySpec
	} else if in.CustomerMasterKeySpec != "" {
		return nil, core.Errorf(core.KindInvalidParameter, "KeySpec and CustomerMasterKeySpec are mutually exclusive")
	}
	if spec == "" {
		spec = "SYMMETRIC_DEFAULT"
	}
	ours, ok := awsSpecs[spec]
	if !ok {
		if awsUnsupportedSpecs[spec] {
			return nil, core.Errorf(core.KindUnsupported, "KeySpec %s is not supported by this server", spec)
		}
		return nil, core.Errorf(core.KindInvalidParameter, "KeySpec %.64q is not a KMS key spec", spec)
	}
	usage := in.KeyUsage
	switch usage {
	case "":
		usage = core.UsageEncryptDecrypt // AWS's default, whatever the spec
	case core.UsageEncryptDecrypt, core.UsageSignVerify, core.UsageKeyAgreement:
	case core.UsageDeriveSharedSecret: // seed 001's name, kept and reported back
	case "GENERATE_VERIFY_MAC":
		return nil, core.Errorf(core.KindUnsupported, "KeyUsage GENERATE_VERIFY_MAC is not supported by this server")
	default:
		return nil, core.Errorf(core.KindInvalidParameter, "KeyUsage %.64q is not a key usage", usage)
	}
	if !core.UsageAllowed(ours, usage) || (spec == "ECC_SECG_P256K1" && usage != core.UsageSignVerify) {
		// AWS allows ECC_SECG_P256K1 keys SIGN_VERIFY only, where Huawei's
		// SECP256K1 keys also agree keys
		// (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html#KMS-CreateKey-request-KeyUsage).
		return nil, core.Errorf(core.KindInvalidParameter, "KeyUsage %s does not apply to KeySpec %s", usage, spec)
	}
	var origin string
	switch in.Origin {
	case "", "AWS_KMS":
		origin = "kms"
	case "EXTERNAL":
		origin = "external"
	case "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE":
		return nil, core.Errorf(core.KindUnsupported, "Origin %s is not supported by this server", in.Origin)
	default:
		return nil, core.Errorf(core.KindInvalidParameter, "Origin %.64q is not an origin", in.Origin)
	}
	if len(in.Description) > awsMaxDescription {
		return nil, core.Errorf(core.KindInvalidParameter, "Description is longer than %d characters", awsMaxDescription)
	}
	if in.MultiRegion {
		return nil, core.Errorf(core.KindUnsupported, "multi-Region keys are not supported by this server")
	}
	ci := &core.CreateKeyInput{Spec: ours, Usage: usage, Origin: origin, Description: in.Description, BypassPolicyLockoutSafetyCheck: in.BypassPolicyLockoutSafetyCheck}
	if in.Policy != nil {
		if ci.Policy, err = awsPolicy(*in.Policy); err != nil {
			return nil, err
		}
	}
	return ci, nil
}

// awsMaxPolicy bounds a key policy: 32 KiB, AWS's limit (the policy engine
// checks it again, in bytes).
const awsMaxPolicy = 32768

// awsPolicy checks the Policy member's length; the core parses it.
func awsPolicy(p string) ([]byte, error) {
	if p == "" || len(p) > awsMaxPolicy {
		return nil, core.Errorf(core.KindInvalidParameter, "Policy is not 1 to %d characters long", awsMaxPolicy)
	}
	return []byte(p), nil
}

// awsPolicyKey returns the key ID that the KeyId of a key policy operation
// names, after checking its PolicyName: absent, or "default", the only key
// policy a key has.
func (a *API) awsPolicyKey(keyID string, name *string) (string, error) {
	id, err := awsKeyID("KeyId", keyID, a.core.Account())
	if err != nil {
		return "", err
	}
	if name != nil && *name != core.KeyPolicyName {
		return "", core.Errorf(core.KindInvalidParameter, "PolicyName %.64q is not %s, the only key policy name", *name, core.KeyPolicyName)
	}
	return id, nil
}

func (a *API) createKey(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsCreateKeyRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	ci, err := awsCreateKeyInput(&in)
	if err != nil {
		return nil, err
	}
	key, err := a.core.CreateKey(ctx, c, ci)
	if err != nil {
		return nil, err
	}
	return &awsKeyMetadataResponse{KeyMetadata: a.metadata(key)}, nil
}

// metadata describes a key as AWS's KeyMetadata.
func (a *API) metadata(rec *core.Key) awsKeyMetadata {
	m := awsKeyMetadata{
		AWSAccountID:          a.core.Account(),
		Arn:                   a.core.KeyARN(rec.ID),
		CreationDate:          float64(rec.Created) / 1000,
		Description:           rec.Description,
		KeyID:                 rec.ID,
		KeyManager:            "CUSTOMER",
		KeySpec:               awsSpecOf(rec.Spec),
		CustomerMasterKeySpec: awsSpecOf(rec.Spec),
		KeyUsage:              rec.Usage,
		Origin:                awsOrigin(rec.Origin),
	}
	m.KeyState, m.Enabled = awsKeyState(rec.State), rec.State == core.StateEnabled
	if rec.State == core.StatePendingDeletion {
		m.DeletionDate, m.PendingDeletionWindow = float64(rec.DeletionDate)/1000, rec.PendingDays
	}
	if rec.Origin == "external" && rec.State != core.StatePendingImport {
		m.ExpirationModel = "KEY_MATERIAL_DOES_NOT_EXPIRE"
		if rec.Expires != 0 {
			m.ExpirationModel, m.ValidTo = "KEY_MATERIAL_EXPIRES", float64(rec.Expires)
		}
	}
	m.EncryptionAlgorithms, m.KeyAgreementAlgorithms = awsAlgorithms(rec)
	m.SigningAlgorithms = rec.SigningAlgorithms()
	return m
}

// awsAlgorithms lists what this server does with a key: the encryption
// algorithms of ENCRYPT_DECRYPT keys, ECDH for KEY_AGREEMENT keys. The
// signing algorithms of SIGN_VERIFY keys are core.Key.SigningAlgorithms.
func awsAlgorithms(rec *core.Key) (encryption, agreement []string) {
	if rec.HasUsage(core.UsageKeyAgreement) {
		return nil, []string{"ECDH"}
	}
	return rec.EncryptionAlgorithms(), nil
}

func awsOrigin(origin string) string {
	if origin == "external" {
		return "EXTERNAL"
	}
	return "AWS_KMS"
}

func (a *API) describeKey(ctx context.Context, c core.Caller, body []byte) (any, error) {
	_, id, err := decodeAWSKeyed[awsKeyed](a, body)
	if err != nil {
		return nil, err
	}
	key, err := a.core.DescribeKey(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return &awsKeyMetadataResponse{KeyMetadata: a.metadata(key)}, nil
}

func (a *API) listKeys(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsListKeysRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	limit := awsDefaultListLimit
	if in.Limit != nil {
		if limit = *in.Limit; limit < 1 || limit > awsMaxListLimit {
			return nil, core.Errorf(core.KindInvalidParameter, "Limit is not in 1..%d", awsMaxListLimit)
		}
	}
	recs, err := a.core.ListKeys(ctx, c) // sorted by creation, then ID
	if err != nil {
		return nil, err
	}
	start := 0
	if in.Marker != "" {
		// The marker is the ID of the last key of the previous page.
		i := slices.IndexFunc(recs, func(r *core.Key) bool { return r.ID == in.Marker })
		if i < 0 {
			return nil, core.Wrapf(core.KindInvalidParameter, errAWSMarker, "Marker is not one this server gave")
		}
		start = i + 1
	}
	out := &awsListKeysResponse{Keys: []awsKeyListEntry{}}
	for _, rec := range recs[start:min(start+limit, len(recs))] {
		out.Keys = append(out.Keys, awsKeyListEntry{KeyArn: a.core.KeyARN(rec.ID), KeyID: rec.ID})
	}
	if start+limit < len(recs) {
		out.Truncated, out.NextMarker = true, out.Keys[len(out.Keys)-1].KeyID
	}
	return out, nil
}

func (a *API) getPublicKey(ctx context.Context, c core.Caller, body []byte) (any, error) {
	_, id, err := decodeAWSKeyed[awsKeyed](a, body)
	if err != nil {
		return nil, err
	}
	rec, err := a.core.GetPublicKey(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if err := rec.Usable(); err != nil {
		return nil, err
	}
	switch {
	case len(rec.Public) == 0:
		return nil, core.Errorf(core.KindUnsupported, "key %s is symmetric and has no public key", id)
	}
	enc, agree := awsAlgorithms(rec)
	return &awsGetPublicKeyResponse{
		CustomerMasterKeySpec:  awsSpecOf(rec.Spec),
		EncryptionAlgorithms:   enc,
		KeyAgreementAlgorithms: agree,
		KeyID:                  a.core.KeyARN(rec.ID),
		KeySpec:                awsSpecOf(rec.Spec),
		KeyUsage:               rec.Usage,
		PublicKey:              rec.Public,
		SigningAlgorithms:      rec.SigningAlgorithms(),
	}, nil
}

func (a *API) deriveSharedSecret(ctx context.Context, c core.Caller, body []byte) (any, error) {
	in, id, err := decodeAWSKeyed[awsDeriveSharedSecretRequest](a, body)
	if err != nil {
		return nil, err
	}
	switch in.KeyAgreementAlgorithm {
	case "", "ECDH": // optional in seed 001, always sent by the AWS SDK
	default:
		return nil, core.Errorf(core.KindInvalidParameter, "KeyAgreementAlgorithm %.64q is not ECDH", in.KeyAgreementAlgorithm)
	}
	peer, err := awsBlob("PublicKey", in.PublicKey, awsMaxPublicKey)
	if err != nil {
		return nil, err
	}
	r, err := awsRecipientOf(in.Recipient, in.RecipientInfo)
	if err != nil {
		return nil, err
	}
	out, err := a.core.DeriveSharedSecret(ctx, c, &core.DeriveInput{KeyID: id, Peer: peer, Recipient: r})
	if err != nil {
		return nil, err
	}
	return &awsDeriveSharedSecretResponse{
		CiphertextForRecipient: out.ForRecipient,
		KeyAgreementAlgorithm:  "ECDH",
		KeyID:                  a.core.KeyARN(out.KeyID),
		KeyOrigin:              awsOrigin(out.Origin),
		SharedSecret:           out.Secret,
	}, nil
}

func (a *API) generateDataKeyPair(ctx context.Context, c core.Caller, body []byte) (any, error) {
	in, id, err := decodeAWSKeyed[awsGenerateDataKeyPairRequest](a, body)
	if err != nil {
		return nil, err
	}
	aad, err := awsPairSpecContext(in.KeyPairSpec, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	r, err := awsRecipientOf(in.Recipient, "")
	if err != nil {
		return nil, err
	}
	out, err := a.core.DataKeyPair(ctx, c, &core.DataKeyPairInput{KeyID: id, Spec: in.KeyPairSpec, Plaintext: true, AAD: aad, Recipient: r})
	if err != nil {
		return nil, err
	}
	return &awsGenerateDataKeyPairResponse{
		CiphertextForRecipient:   out.ForRecipient,
		KeyID:                    a.core.KeyARN(out.KeyID),
		KeyPairSpec:              out.Spec,
		PrivateKeyCiphertextBlob: out.PrivateCiphertext,
		PrivateKeyPlaintext:      out.PrivatePlaintext,
		PublicKey:                out.Public,
	}, nil
}

// awsPairSpecContext checks the KeyPairSpec of a data key pair request and
// returns its encryption context as additional authenticated data.
func awsPairSpecContext(spec string, context map[string]string) ([]byte, error) {
	if spec == "" {
		return nil, core.Errorf(core.KindMissingParameter, "KeyPairSpec is missing")
	}
	if !core.IsECPairSpec(spec) && !core.IsRSAPairSpec(spec) {
		return nil, core.Errorf(core.KindInvalidParameter, "KeyPairSpec %.64q is not a data key pair spec", spec)
	}
	return awsContext(context)
}

// awsDataKeyParams checks a data key request's length (awsDataKeyLen) and
// returns it with the encryption context as additional authenticated data.
func awsDataKeyParams(spec string, n *int, context map[string]string) (int, []byte, error) {
	length, err := awsDataKeyLen(spec, n)
	if err != nil {
		return 0, nil, err
	}
	aad, err := awsContext(context)
	if err != nil {
		return 0, nil, err
	}
	return length, aad, nil
}

// awsDataKeyLen returns the length of the data key that GenerateDataKey
// asks for: KeySpec AES_128 or AES_256, or NumberOfBytes, exactly one.
func awsDataKeyLen(keySpec string, n *int) (int, error) {
	switch {
	case keySpec != "" && n != nil:
		return 0, core.Errorf(core.KindInvalidParameter, "KeySpec and NumberOfBytes are mutually exclusive")
	case keySpec == "AES_256":
		return 32, nil
	case keySpec == "AES_128":
		return 16, nil
	case keySpec != "":
		return 0, core.Errorf(core.KindInvalidParameter, "KeySpec %.64q is not AES_128 or AES_256", keySpec)
	case n == nil:
		return 0, core.Errorf(core.KindMissingParameter, "KeySpec or NumberOfBytes is required")
	}
	return awsNumberOfBytes(n)
}

func awsNumberOfBytes(n *int) (int, error) {
	if n == nil {
		return 0, core.Errorf(core.KindMissingParameter, "NumberOfBytes is missing")
	}
	if *n < 1 || *n > awsMaxRandom {
		return 0, core.Errorf(core.KindInvalidParameter, "NumberOfBytes is not in 1..%d", awsMaxRandom)
	}
	return *n, nil
}

func (a *API) generateDataKey(ctx context.Context, c core.Caller, body []byte) (any, error) {
	in, id, err := decodeAWSKeyed[awsGenerateDataKeyRequest](a, body)
	if err != nil {
		return nil, err
	}
	n, aad, err := awsDataKeyParams(in.KeySpec, in.NumberOfBytes, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	r, err := awsRecipientOf(in.Recipient, "")
	if err != nil {
		return nil, err
	}
	out, err := a.core.GenerateDataKey(ctx, c, id, n, aad, r)
	if err != nil {
		return nil, err
	}
	return &awsGenerateDataKeyResponse{
		CiphertextBlob:         out.Ciphertext,
		CiphertextForRecipient: out.ForRecipient,
		KeyID:                  a.keyARN(out.KeyID),
		Plaintext:              out.Plaintext,
	}, nil
}

func (a *API) encrypt(ctx context.Context, c core.Caller, body []byte) (any, error) {
	in, id, err := decodeAWSKeyed[awsEncryptRequest](a, body)
	if err != nil {
		return nil, err
	}
	if err := awsEncryptionAlgorithm("EncryptionAlgorithm", in.EncryptionAlgorithm); err != nil {
		return nil, err
	}
	pt, err := awsBlob("Plaintext", in.Plaintext, awsMaxPlaintext)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	aad, err := awsContext(in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	out, err := a.core.EncryptWith(ctx, c, &core.EncryptInput{KeyID: id, Plaintext: pt, AAD: aad, Algorithm: in.EncryptionAlgorithm})
	if err != nil {
		return nil, err
	}
	return &awsEncryptResponse{CiphertextBlob: out.Ciphertext, EncryptionAlgorithm: out.Algorithm, KeyID: a.keyARN(out.KeyID)}, nil
}

func (a *API) decrypt(ctx context.Context, c core.Caller, body []byte) (any, error) {
	in, id, err := decodeAWSKeyed[awsDecryptRequest](a, body) // id is "" when KeyId is absent
	if err != nil {
		return nil, err
	}
	if err := awsEncryptionAlgorithm("EncryptionAlgorithm", in.EncryptionAlgorithm); err != nil {
		return nil, err
	}
	blob, err := awsBlob("CiphertextBlob", in.CiphertextBlob, awsMaxCiphertext)
	if err != nil {
		return nil, err
	}
	aad, err := awsContext(in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	r, err := awsRecipientOf(in.Recipient, "")
	if err != nil {
		return nil, err
	}
	out, err := a.core.DecryptWith(ctx, c, &core.DecryptInput{KeyID: id, Ciphertext: blob, AAD: aad, Algorithm: in.EncryptionAlgorithm, Recipient: r})
	if err != nil {
		return nil, err
	}
	return &awsDecryptResponse{
		CiphertextForRecipient: out.ForRecipient,
		EncryptionAlgorithm:    awsAlgorithmOr(in.EncryptionAlgorithm),
		KeyID:                  a.keyARN(out.KeyID),
		Plaintext:              out.Plaintext,
	}, nil
}

func (a *API) generateRandom(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsGenerateRandomRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	n, err := awsNumberOfBytes(in.NumberOfBytes)
	if err != nil {
		return nil, err
	}
	r, err := awsRecipientOf(in.Recipient, "")
	if err != nil {
		return nil, err
	}
	out, err := a.core.GenerateRandom(ctx, c, n, r)
	if err != nil {
		return nil, err
	}
	return &awsGenerateRandomResponse{CiphertextForRecipient: out.ForRecipient, Plaintext: out.Plaintext}, nil
}

func (a *API) putKeyPolicy(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsPutKeyPolicyRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	id, err := a.awsPolicyKey(in.KeyID, in.PolicyName)
	if err != nil {
		return nil, err
	}
	if in.Policy == nil {
		return nil, core.Errorf(core.KindMissingParameter, "Policy is missing")
	}
	doc, err := awsPolicy(*in.Policy)
	if err != nil {
		return nil, err
	}
	if err := a.core.PutKeyPolicy(ctx, c, id, doc, in.BypassPolicyLockoutSafetyCheck); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *API) getKeyPolicy(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsGetKeyPolicyRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	id, err := a.awsPolicyKey(in.KeyID, in.PolicyName)
	if err != nil {
		return nil, err
	}
	doc, err := a.core.GetKeyPolicy(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return &awsGetKeyPolicyResponse{Policy: doc, PolicyName: core.KeyPolicyName}, nil
}

func (a *API) listKeyPolicies(ctx context.Context, c core.Caller, body []byte) (any, error) {
	var in awsListKeyPoliciesRequest
	if err := wire.Decode(body, &in); err != nil {
		return nil, err
	}
	id, err := a.awsPolicyKey(in.KeyID, nil)
	if err != nil {
		return nil, err
	}
	if in.Limit != nil && (*in.Limit < 1 || *in.Limit > awsMaxListLimit) {
		return nil, core.Errorf(core.KindInvalidParameter, "Limit is not in 1..%d", awsMaxListLimit)
	}
	if in.Marker != "" {
		// One policy fits in any page: there is never a next page.
		return nil, core.Wrapf(core.KindInvalidParameter, errAWSMarker, "Marker is not one this server gave")
	}
	names, err := a.core.ListKeyPolicies(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return &awsListKeyPoliciesResponse{PolicyNames: names}, nil
}
