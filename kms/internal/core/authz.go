package core

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"math/bits"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/qtenclave/qtenclave/kms/internal/store"
	"github.com/qtenclave/qtenclave/kms/policy"
)

// Authorization: who a caller is, and whether the policies let it perform an
// operation. Every operation names its action in both policy languages and
// calls authorize once, after the recipient's document (if any) verified
// and before anything secret is computed or returned.
//
// Every key has an AWS key policy. It decides every operation on the key on
// both front ends: a Huawei caller is decided with the operation's AWS action
// name, since the key policy is the key's own rule. The Huawei front end's
// callers are also held to the Huawei IAM policies of Options.HuaweiPolicies,
// when there are any, with the operation's Huawei action names: a call is
// allowed only if every kind of policy that applies allows it, and an
// explicit Deny in any of them wins. Operations on no key (CreateKey,
// ListKeys, GenerateRandom) are decided by the IAM policies alone; the AWS
// front end has none here (the local KMS has no AWS IAM), so its callers may
// perform them.

// Defaults of Options.
const (
	// DefaultAccount is the account that owns the keys when Options name
	// none: twelve zeros, as other local AWS emulators use.
	DefaultAccount = "000000000000"
	// DefaultRegion is the region of key ARNs and URNs when Options name
	// none.
	DefaultRegion = "us-east-1"
)

// identity is who every authenticated caller acts as, and where its keys
// live: the local KMS has one identity per configured credential, and every
// credential is the same user.
type identity struct {
	principal string // an IAM ARN: the account root, a user, a role or a role session
	partition string // of principal: aws, aws-cn, aws-us-gov
	account   string // 12 digits
	region    string
	seedARNs  bool // key ARNs in seed 001's form
}

var (
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-[a-z0-9]+)+$`)
	// principalPattern accepts the ARNs a caller can act as: the account
	// root, an IAM user or role (with a path), or a role session.
	principalPattern = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):(iam::([0-9]{12}):(root|user/[\w+=,.@/-]{1,512}|role/[\w+=,.@/-]{1,512})|sts::([0-9]{12}):assumed-role/[\w+=,.@-]{1,64}/[\w+=,.@-]{2,64})$`)
)

// newIdentity checks and completes the identity of Options.
func newIdentity(opts *Options) (identity, error) {
	id := identity{principal: opts.Principal, account: opts.Account, region: opts.Region, partition: "aws", seedARNs: opts.SeedARNs}
	if id.region == "" {
		id.region = DefaultRegion
	}
	if !regionPattern.MatchString(id.region) || len(id.region) > 32 {
		return identity{}, fmt.Errorf("kms: region %q is not a region name such as us-east-1", id.region)
	}
	if id.account != "" && !accountPattern.MatchString(id.account) {
		return identity{}, fmt.Errorf("kms: account %q is not a 12-digit AWS account ID", id.account)
	}
	if id.principal == "" {
		if id.account == "" {
			id.account = DefaultAccount
		}
		id.principal = "arn:aws:iam::" + id.account + ":root"
		return id, nil
	}
	m := principalPattern.FindStringSubmatch(id.principal)
	if m == nil {
		return identity{}, fmt.Errorf("kms: principal %.128q is not an IAM root, user, role or assumed-role ARN", id.principal)
	}
	account := m[3] + m[5]
	if id.account != "" && id.account != account {
		return identity{}, fmt.Errorf("kms: principal %s is not of account %s", id.principal, id.account)
	}
	id.partition, id.account = m[1], account
	return id, nil
}

// Account returns the AWS account ID that owns every key.
func (k *KMS) Account() string { return k.id.account }

// KeyARN returns the ARN of a key as the AWS front end gives it:
// arn:PARTITION:kms:REGION:ACCOUNT:key/ID, or seed 001's
// arn:verenc:ACCOUNT:key/ID when Options.SeedARNs is set.
func (k *KMS) KeyARN(keyID string) string {
	if k.id.seedARNs {
		return "arn:verenc:" + k.id.account + ":key/" + keyID
	}
	return k.policyARN(keyID)
}

// policyARN is the key's resource in key policies: always AWS's form.
func (k *KMS) policyARN(keyID string) string {
	return "arn:" + k.id.partition + ":kms:" + k.id.region + ":" + k.id.account + ":key/" + keyID
}

// urn is the key's resource in Huawei IAM policies
// (kms:REGION:ACCOUNT:KeyId:ID); "*" for an operation on no key.
func (k *KMS) urn(keyID string) string {
	if keyID == "" {
		return "*"
	}
	return "kms:" + k.id.region + ":" + k.id.account + ":KeyId:" + keyID
}

// action is an operation's name in both policy languages.
type action struct {
	// aws is the AWS KMS action
	// (https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html).
	// Huawei's operations take the AWS action that does the same.
	aws string
	// huawei lists the Huawei IAM actions: the identity-policy (5.0) action
	// first, then its aliases, the policy (1.1) actions that control the
	// same API. A statement that names any of them applies.
	huawei []string
}

// The actions of the operations. The Huawei names are those of each API's
// "Authorization Information" on its page of the DEW API reference
// (https://support.huaweicloud.com/intl/en-us/api-dew/<Operation>.html):
// DecryptData, DecryptDatakey, EncryptData, EncryptDatakey, CreateDatakey,
// CreateEcDatakeyPair, CreateRandom, ShowPublicKey, CreateParametersForImport,
// and the 1.1 table for create-key, list-keys and describe-key
// (https://support.huaweicloud.com/intl/en-us/api-dew/dew_02_0309.html).
// Huawei documents no identity-policy action for derive-shared-secret
// (https://support.huaweicloud.com/intl/en-us/api-dew/DeriveSharedSecret.html);
// kms:cmk:deriveSharedSecret follows the naming of the others. Neither
// page names import-key-material's; kms:cmk:importMaterial is the 1.1
// table's.
var (
	actCreateKey              = action{"kms:CreateKey", []string{"kms:cmk:create"}}
	actDescribeKey            = action{"kms:DescribeKey", []string{"kms:cmk:get"}}
	actListKeys               = action{"kms:ListKeys", []string{"kms:cmk:list"}}
	actGetPublicKey           = action{"kms:GetPublicKey", []string{"kms:cmk:getPublicKey"}}
	actEncrypt                = action{"kms:Encrypt", []string{"kms:cmk:encryptData", "kms:cmk:crypto", "kms:cmk:encrypt"}}
	actEncryptDatakey         = action{"kms:Encrypt", []string{"kms:cmk:encryptDataKey", "kms:dek:crypto", "kms:dek:encrypt"}}
	actDecrypt                = action{"kms:Decrypt", []string{"kms:cmk:decryptData", "kms:cmk:crypto", "kms:cmk:decrypt"}}
	actDecryptDatakey         = action{"kms:Decrypt", []string{"kms:cmk:decryptDataKey", "kms:dek:crypto", "kms:dek:decrypt"}}
	actGenerateDataKey        = action{"kms:GenerateDataKey", []string{"kms:cmk:createDataKey", "kms:dek:create"}}
	actGenerateDataKeyPair    = action{"kms:GenerateDataKeyPair", []string{"kms:cmk:createDataKeyPair"}}
	actGenerateDataKeyPairNoP = action{"kms:GenerateDataKeyPairWithoutPlaintext", []string{"kms:cmk:createDataKeyPair"}}
	actGenerateRandom         = action{"kms:GenerateRandom", []string{"kms::generateRandom", "kms:cmk:generate"}}
	actDeriveSharedSecret     = action{"kms:DeriveSharedSecret", []string{"kms:cmk:deriveSharedSecret"}}
	actGetParametersForImport = action{"kms:GetParametersForImport", []string{"kms:cmk:getMaterial"}}
	actImportKeyMaterial      = action{"kms:ImportKeyMaterial", []string{"kms:cmk:importMaterial"}}
	actPutKeyPolicy           = action{"kms:PutKeyPolicy", nil}
	actGetKeyPolicy           = action{"kms:GetKeyPolicy", nil}
	actListKeyPolicies        = action{"kms:ListKeyPolicies", nil}
)

// secretActions are the actions that release a secret to the caller, in
// plaintext or sealed to a recipient: those that take a Recipient, and
// kms:ReEncryptFrom, which moves a ciphertext's plaintext under a key that
// may release it to anyone. The recipient_attestation shorthand denies them
// to an unattested caller (ReEncrypt takes no recipient: to every caller).
var secretActions = []string{"kms:Decrypt", "kms:DeriveSharedSecret", "kms:GenerateDataKey", "kms:GenerateDataKeyPair", "kms:ReEncryptFrom"}

// APIHuawei is Caller.API for the Huawei front end, whose callers the
// Huawei IAM policies apply to.
const APIHuawei = "huawei"

// errAccessDenied is the cause of every KindAccessDenied error.
var errAccessDenied = errors.New("kms: access denied")

// authorize decides whether c may perform act on the key rec for the
// verified recipient v (nil for none). It returns nil or a KindAccessDenied
// error in the shape AWS and Huawei IAM word denials: "User: P is not
// authorized to perform: A on resource: R because no resource-based policy
// allows the A action", or "... with an explicit deny in a resource-based
// policy".
//
// The Huawei IAM policies decide once per Huawei name of the action: a Deny
// for any name denies, else an Allow for any allows, as a statement that
// names an action or one of its aliases applies to it.
func (k *KMS) authorize(c Caller, act action, rec *store.Record, v *verifiedRecipient) error {
	return k.decide(c, act, rec, rec.ID, v)
}

// authorizeKeyless decides an operation on no existing key: only the Huawei
// IAM policies apply, with the resource kms:REGION:ACCOUNT:KeyId:keyID (the
// key CreateKey makes, or "*" for ListKeys), or "*" when keyID is ""
// (GenerateRandom, whose resource type Huawei leaves empty).
func (k *KMS) authorizeKeyless(c Caller, act action, keyID string, v *verifiedRecipient) error {
	return k.decide(c, act, nil, keyID, v)
}

func (k *KMS) decide(c Caller, act action, rec *store.Record, iamKeyID string, v *verifiedRecipient) error {
	if c.Credential == CredentialNone {
		return Errorf(KindUnauthenticated, "the request carries no credentials")
	}
	var attested map[string][]string
	if v != nil {
		attested = v.context
	}
	keyDecision, iamDecision := policy.Allow, policy.Allow
	var keyARN string
	if rec != nil {
		kp, err := k.keyPolicy(rec)
		if err != nil {
			return err
		}
		keyARN = kp.arn
		keyDecision = kp.p.Decide(policy.Request{Principal: k.id.principal, Account: k.id.account, Action: act.aws, Resource: keyARN, Context: attested})
	}
	var urn string
	if c.API == APIHuawei && len(k.iam) > 0 && len(act.huawei) > 0 {
		urn = k.urn(iamKeyID)
		iamDecision = policy.NotApplicable
		for _, name := range act.huawei {
			switch policy.Evaluate(policy.Request{Principal: k.id.principal, Account: k.id.account, Action: name, Resource: urn, Context: attested}, k.iam...) {
			case policy.Deny:
				iamDecision = policy.Deny
			case policy.Allow:
				if iamDecision == policy.NotApplicable {
					iamDecision = policy.Allow
				}
			}
		}
	}
	switch {
	case keyDecision == policy.Deny:
		return k.denied(act.aws, keyARN, resourceBased, true)
	case iamDecision == policy.Deny:
		return k.denied(act.huawei[0], urn, identityBased, true)
	case keyDecision != policy.Allow:
		return k.denied(act.aws, keyARN, resourceBased, false)
	case iamDecision != policy.Allow:
		return k.denied(act.huawei[0], urn, identityBased, false)
	}
	return nil
}

// The kinds of policy a denial names, with their article.
const (
	resourceBased = "a resource-based"
	identityBased = "an identity-based"
)

func (k *KMS) denied(act, resource, kind string, explicit bool) error {
	msg := "User: " + k.id.principal + " is not authorized to perform: " + act + " on resource: " + resource
	if explicit {
		msg += " with an explicit deny in " + kind + " policy"
	} else {
		msg += " because no " + strings.TrimPrefix(strings.TrimPrefix(kind, "an "), "a ") + " policy allows the " + act + " action"
	}
	return &Error{Kind: KindAccessDenied, Message: msg, Err: errAccessDenied}
}

// attestationContext returns the condition keys of a verified document:
// kms:RecipientAttestation:PCR<n> and kms:RecipientAttestation:ImageSha384
// (PCR0) for key policies
// (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-nitro-enclave.html),
// kms:RecipientAttestation/PCR<n> for Huawei IAM policies
// (https://support.huaweicloud.com/intl/en-us/usermanual-ecs/ecs_03_1413.html),
// each in lower-case hex as AWS writes them.
//
// It is needed for every request with a recipient: the context of a PCR
// set is remembered (contexts), since an enclave sends the same PCRs on
// each call. The maps returned are shared and must not be modified; the
// policies only read them.
func attestationContext(pcrs map[int][]byte) map[string][]string {
	return contexts.get(pcrs)
}

// contextSlots is the number of PCR sets whose context is remembered: a
// KMS serves a few enclave images at a time. A set whose slot another
// took is built again (a few microseconds).
const contextSlots = 64

// contextMemo remembers the contexts of recent PCR sets, each in the slot
// of its hash, checked against the set byte for byte. Safe for concurrent
// use: a slot holds an immutable entry and is replaced whole.
type contextMemo struct {
	seed  maphash.Seed
	slots [contextSlots]atomic.Pointer[contextEntry]
}

type contextEntry struct {
	pcrs map[int][]byte // a copy of the set
	ctx  map[string][]string
}

var contexts = &contextMemo{seed: maphash.MakeSeed()}

// get returns the context of pcrs, from its slot or built and stored there.
func (m *contextMemo) get(pcrs map[int][]byte) map[string][]string {
	// The slot is a hash of the whole set (the instances of one image
	// differ in PCR4), summed over the map in any order: each PCR's hash
	// rotated by its index.
	var h uint64
	for i, v := range pcrs {
		h += bits.RotateLeft64(maphash.Bytes(m.seed, v), i)
	}
	slot := &m.slots[h%contextSlots]
	if e := slot.Load(); e != nil && samePCRs(e.pcrs, pcrs) {
		return e.ctx
	}
	e := &contextEntry{pcrs: make(map[int][]byte, len(pcrs)), ctx: buildContext(pcrs)}
	for i, v := range pcrs {
		e.pcrs[i] = bytes.Clone(v)
	}
	slot.Store(e)
	return e.ctx
}

func samePCRs(a, b map[int][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i, v := range b {
		if w, ok := a[i]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// buildContext builds the context of pcrs: its strings share one hex
// buffer and its values one slice, and the key names of PCR0 to PCR31 are
// made once.
func buildContext(pcrs map[int][]byte) map[string][]string {
	ctx := make(map[string][]string, 2*len(pcrs)+1)
	type span struct{ i, start, end int }
	spans := make([]span, 0, len(pcrs))
	size := 0
	for _, v := range pcrs {
		size += hex.EncodedLen(len(v))
	}
	buf := make([]byte, 0, size)
	for i, v := range pcrs {
		start := len(buf)
		buf = hex.AppendEncode(buf, v)
		spans = append(spans, span{i, start, len(buf)})
	}
	all := string(buf)
	vals := make([]string, len(spans))
	for j, sp := range spans {
		vals[j] = all[sp.start:sp.end]
		h := vals[j : j+1 : j+1]
		aws, huawei := pcrConditionKeys(sp.i)
		ctx[aws] = h
		ctx[huawei] = h
		if sp.i == 0 {
			ctx["kms:RecipientAttestation:ImageSha384"] = h
		}
	}
	return ctx
}

// pcrKeys are the condition keys of PCR0 to PCR31: AWS's and Huawei's.
var pcrKeys = func() (keys [32][2]string) {
	for i := range keys {
		keys[i] = [2]string{"kms:RecipientAttestation:PCR" + strconv.Itoa(i), "kms:RecipientAttestation/PCR" + strconv.Itoa(i)}
	}
	return keys
}()

func pcrConditionKeys(i int) (aws, huawei string) {
	if i >= 0 && i < len(pcrKeys) {
		return pcrKeys[i][0], pcrKeys[i][1]
	}
	n := strconv.Itoa(i)
	return "kms:RecipientAttestation:PCR" + n, "kms:RecipientAttestation/PCR" + n
}

// Key policies. A record keeps its key policy as text (store.Record.Policy);
// the parsed form is kept in memory beside the record it was parsed from,
// and parsed again only when the record is replaced.

type cachedPolicy struct {
	rec *store.Record // records are replaced, never modified: this one's policy
	p   *policy.Policy
	// arn is the key's resource in its policy (policyARN(rec.ID)), which
	// every decision names: built once per record, not per request.
	arn string
}

// keyPolicy returns the parsed key policy of rec and the key's ARN in it. A
// stored policy that no longer parses is an internal error: the key is
// unusable, never open.
func (k *KMS) keyPolicy(rec *store.Record) (*cachedPolicy, error) {
	if e, ok := k.policies.Load(rec.ID); ok && e.(*cachedPolicy).rec == rec {
		return e.(*cachedPolicy), nil
	}
	p, err := policy.ParseAWS([]byte(k.policyText(rec)))
	if err != nil {
		return nil, fmt.Errorf("kms: the stored key policy of key %s does not parse: %w", rec.ID, err)
	}
	c := &cachedPolicy{rec: rec, p: p, arn: k.policyARN(rec.ID)}
	k.policies.Store(rec.ID, c)
	return c, nil
}

// policyText returns the key policy of rec: as stored, or for a record
// written before key policies existed, the default key policy with the
// denials that its PCR policy stands for.
func (k *KMS) policyText(rec *store.Record) string {
	if rec.Policy != "" {
		return rec.Policy
	}
	return k.defaultPolicy(rec.PCRs)
}

// policyStatement is a statement of the key policies this server writes.
type policyStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal any                          `json:"Principal"`
	Action    any                          `json:"Action"`
	Resource  string                       `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// defaultPolicy returns the key policy of a key created without one: AWS's
// default key policy, which gives the account (here: every caller of the
// account) every permission
// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html),
// and for each PCR of recipient_attestation a statement that denies the
// secret-releasing actions unless the request's verified attestation
// document carries that value. StringNotEqualsIgnoreCase holds when the
// key is absent, so a request without a recipient is denied too.
func (k *KMS) defaultPolicy(pcrs map[int][]byte) string {
	doc := struct {
		Version   string            `json:"Version"`
		ID        string            `json:"Id"`
		Statement []policyStatement `json:"Statement"`
	}{Version: "2012-10-17", ID: "key-default-1"}
	doc.Statement = append(doc.Statement, policyStatement{
		Sid:       "Enable IAM User Permissions",
		Effect:    "Allow",
		Principal: map[string]string{"AWS": "arn:" + k.id.partition + ":iam::" + k.id.account + ":root"},
		Action:    "kms:*",
		Resource:  "*",
	})
	if len(pcrs) > 0 {
		doc.ID = "key-recipient-attestation-1"
	}
	for _, i := range slices.Sorted(maps.Keys(pcrs)) {
		n := strconv.Itoa(i)
		doc.Statement = append(doc.Statement, policyStatement{
			Sid:       "Require recipient attestation PCR" + n,
			Effect:    "Deny",
			Principal: "*",
			Action:    secretActions,
			Resource:  "*",
			Condition: map[string]map[string]string{
				"StringNotEqualsIgnoreCase": {"kms:RecipientAttestation:PCR" + n: hex.EncodeToString(pcrs[i])},
			},
		})
	}
	b, err := json.MarshalIndent(&doc, "", "  ")
	if err != nil {
		panic("kms: default key policy: " + err.Error()) // fixed types: cannot fail
	}
	return string(b)
}

// parseKeyPolicy parses a key policy given for keyID and, unless bypass is
// set, applies AWS's policy lockout safety check: the new policy must let
// the caller change it again
// (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-bypass-policy-lockout-safety-check).
// Both failures are KindMalformedPolicy, as AWS's
// MalformedPolicyDocumentException.
func (k *KMS) parseKeyPolicy(keyID string, doc []byte, bypass bool) (*policy.Policy, error) {
	p, err := policy.ParseAWS(doc)
	if err != nil {
		// The engine's message names the JSON path of what it refuses and
		// never echoes more than a short quote of the document.
		return nil, Wrapf(KindMalformedPolicy, err, "key %s", err.Error())
	}
	if !bypass && p.Decide(policy.Request{Principal: k.id.principal, Account: k.id.account, Action: actPutKeyPolicy.aws, Resource: k.policyARN(keyID)}) != policy.Allow {
		return nil, Errorf(KindMalformedPolicy, "The new key policy will not allow you to update the key policy in the future.")
	}
	return p, nil
}
