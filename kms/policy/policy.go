// Package policy parses and evaluates the access policies of the local KMS:
// AWS KMS key policies and Huawei Cloud IAM identity policies, with the
// kms:RecipientAttestation condition keys that tie a secret to an attested
// enclave.
//
// For most uses, parse the document once, when it is stored, and decide
// every call against it:
//
//	p, err := policy.ParseAWS(doc) // or policy.ParseHuawei
//	if err != nil {
//		return err // errors.Is(err, policy.ErrInvalid)
//	}
//	d := p.Decide(policy.Request{
//		Principal: "arn:aws:iam::111122223333:role/data-processing",
//		Account:   "111122223333",
//		Action:    "kms:Decrypt",
//		Resource:  keyARN,
//		Context: map[string][]string{
//			"kms:RecipientAttestation:ImageSha384": {hex.EncodeToString(doc.PCRs[0])},
//		},
//	})
//	if d != policy.Allow {
//		return errAccessDenied
//	}
//
// Evaluate combines several policies: an explicit Deny in any of them wins,
// and the request is allowed only if some statement allows it. Everything
// else is NotApplicable, an implicit deny. Bytes returns the document as it
// was given, for GetKeyPolicy.
//
// Parsing compiles the document (lower-cased names, split wildcards,
// checked values), so that Decide does not allocate. Evaluation follows the
// IAM policy evaluation logic
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
// statements are independent, the conditions of a statement are ANDed, the
// values of one condition key are ORed (for negated operators: none may
// match).
//
// # AWS key policies (ParseAWS)
//
// The grammar is the IAM policy grammar
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html)
// as AWS KMS uses it for key policies
// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html):
// a JSON object of at most 32,768 bytes with Version ("2012-10-17" or
// "2008-10-17"), an optional Id and a Statement that is one statement
// object or a non-empty array of them. A statement has an optional Sid,
// Effect ("Allow" or "Deny"), exactly one of Principal and NotPrincipal,
// exactly one of Action and NotAction, exactly one of Resource and
// NotResource, and an optional Condition. Lists may be a single string.
//
// Actions match ignoring case, with * and ? wildcards ("kms:*",
// "kms:Generate*"). Resources are "*" (in a key policy: this key) or ARNs
// matched case-sensitively, segment by segment between the first five
// colons, with wildcards inside segments. Principals are "*", or a map of
// "AWS" (account IDs, account root, user, role, assumed-role and
// federated-user ARNs, or "*"), "Service" and "Federated" entries.
//
// Condition operators: StringEquals, StringNotEquals,
// StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike,
// StringNotLike, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, Bool and
// Null; each but Null with the IfExists suffix and the ForAnyValue: and
// ForAllValues: qualifiers. Values may be strings, arrays of strings,
// booleans or numbers (a number is its JSON text). Condition keys (names
// match ignoring ASCII case):
//
//   - kms:RecipientAttestation:ImageSha384 and kms:RecipientAttestation:PCR0
//     to PCR31, from Request.Context;
//   - kms:EncryptionContext:<context-key> and kms:EncryptionContextKeys,
//     from Request.Context;
//   - aws:PrincipalArn (Request.Principal), aws:PrincipalAccount and
//     kms:CallerAccount (Request.Account).
//
// # Huawei Cloud identity policies (ParseHuawei)
//
// Version "1.1" (policies of the IAM "policy" model) or "5.0" (identity
// policies of the new IAM), at most 6,144 bytes
// (https://support.huaweicloud.com/intl/en-us/productdesc-iam5/iam_01_1135.html),
// with a Statement array. A 1.1 statement has Effect, Action and optional
// Resource and Condition; a 5.0 statement
// (https://support.huaweicloud.com/intl/en-us/usermanual-iam5/iam_01_1289.html)
// also an optional Sid, and NotAction and NotResource in place of Action
// and Resource. There is no Principal: an identity policy applies to the
// identity it is attached to, and the caller of Decide chooses the
// policies that apply. A missing Resource means every resource.
//
// Actions ("kms:cmk:decrypt", "kms:dek:*", "kms:*:*") match ignoring case
// with * and ?. Resources are "*" or URNs ("kms:*:*:KeyId:*") matched
// case-sensitively, segment by segment between the first four colons.
// Condition operators: StringEquals, StringNotEquals,
// StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringMatch,
// StringNotMatch, Bool and Null, with IfExists, ForAnyValue: and
// ForAllValues: as for AWS. The only condition keys are
// kms:RecipientAttestation/PCR0 to PCR31, from Request.Context.
//
// # Local semantics
//
// The local KMS has no IAM. A key policy statement whose principal is an
// account (its ID, or its root ARN arn:aws:iam::<account>:root) delegates
// to that account's IAM policies in AWS; here it matches every principal of
// that account, as if IAM allowed everything. In NotPrincipal an account
// entry exempts only the account principal itself, as AWS documents
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html):
// list every user and role to exempt. A role ARN also matches the role's
// assumed-role sessions (arn:aws:sts::<account>:assumed-role/<name>/...).
// Service and Federated principals are kept but never match a local
// caller.
//
// A condition key is present when Request.Context (or the Request field it
// is derived from) holds at least one value for it; a key with no values
// is absent. As in AWS
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html),
// an absent key makes a positive operator false and a negated one true,
// an ...IfExists operator true, ForAnyValue false and ForAllValues true;
// Null tests absence. A request with no attestation therefore fails an
// Allow that requires kms:RecipientAttestation values, and is caught by a
// Deny with a negated operator on them.
//
// Context keys are matched ignoring ASCII case. If a condition that Decide
// evaluates names a key that Context spells twice (ignoring case), or a
// derived key (aws:PrincipalArn, aws:PrincipalAccount, kms:CallerAccount)
// that also appears in Context, the request is ambiguous and Decide
// returns Deny. Context values are matched as the operator says: put
// attestation measurements in as hex, as AWS writes them.
//
// # What is refused
//
// ParseAWS and ParseHuawei fail closed with an error wrapping ErrInvalid
// that names the JSON path of the offending construct. They refuse
// documents over the size limit, nested deeper than 8 levels, with more
// than 128 statements, 256 values in one list or 4,096 JSON values in
// all, strings over 2,048 bytes, duplicate object keys, duplicate
// condition keys (ignoring case), trailing data, invalid UTF-8 and control
// characters (and, in AWS key policies, characters outside Latin-1, as AWS
// KMS does); unknown or misspelled fields; wrong JSON types and empty
// lists; unknown Version or Effect values; statements without Action,
// Principal or Resource (AWS KMS accepts a key policy statement without
// Resource and ignores it, which would silently disable a Deny); unknown
// condition operators and operators this engine does not evaluate
// (Numeric, Date, IpAddress, Binary, Huawei's StringStartWith and
// others); condition keys other than those listed above, whatever their
// namespace; policy variables (${...}) in 2012-10-17 and Huawei
// documents; CanonicalUser principals; and malformed actions, ARNs and
// URNs.
package policy

import (
	"bytes"
	"errors"
)

// ErrInvalid is wrapped by every error of ParseAWS and ParseHuawei.
var ErrInvalid = errors.New("policy: invalid document")

// Decision is the outcome of evaluating a request against policies.
type Decision uint8

const (
	// NotApplicable means no statement allowed or denied the request: an
	// implicit deny.
	NotApplicable Decision = iota
	// Allow means some statement allowed the request and none denied it.
	Allow
	// Deny means some statement explicitly denied the request.
	Deny
)

// String returns "NotApplicable", "Allow" or "Deny".
func (d Decision) String() string {
	switch d {
	case NotApplicable:
		return "NotApplicable"
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "Decision(?)"
}

// Request is one call to be authorized.
type Request struct {
	// Principal is the caller's ARN, such as
	// arn:aws:iam::111122223333:user/alice or
	// arn:aws:sts::111122223333:assumed-role/app/session. Huawei identity
	// policies do not use it.
	Principal string
	// Account is the caller's account ID (the account of Principal).
	Account string
	// Action is the action name in the policy's dialect: "kms:Decrypt"
	// for AWS, "kms:cmk:decrypt" for Huawei.
	Action string
	// Resource is the key's ARN (AWS) or URN (Huawei).
	Resource string
	// Context maps condition-key names, matched ignoring ASCII case, to the
	// request's values: for a request with a verified attestation
	// document, "kms:RecipientAttestation:ImageSha384" and
	// "kms:RecipientAttestation:PCR<n>" (AWS) or
	// "kms:RecipientAttestation/PCR<n>" (Huawei) with the PCRs in hex.
	Context map[string][]string
}

// Policy is a parsed, compiled policy document. It is immutable and safe
// for concurrent use.
type Policy struct {
	raw   []byte
	stmts []statement
}

// Bytes returns a copy of the document exactly as it was parsed.
func (p *Policy) Bytes() []byte {
	if p == nil {
		return nil
	}
	return bytes.Clone(p.raw)
}

// Decide evaluates req against the policy's statements: Deny if any
// applicable statement denies, else Allow if any allows, else
// NotApplicable. A nil Policy is NotApplicable.
func (p *Policy) Decide(req Request) Decision {
	if p == nil {
		return NotApplicable
	}
	d := NotApplicable
	for i := range p.stmts {
		s := &p.stmts[i]
		switch s.applies(&req) {
		case applyNo:
			continue
		case applyAmbiguous:
			return Deny
		}
		if s.effect == Deny {
			return Deny
		}
		d = Allow
	}
	return d
}

// Evaluate decides req against several policies (for example a key policy
// and the caller's identity policies): Deny if any policy denies, else
// Allow if any allows, else NotApplicable. Nil policies are skipped.
func Evaluate(req Request, policies ...*Policy) Decision {
	d := NotApplicable
	for _, p := range policies {
		switch p.Decide(req) {
		case Deny:
			return Deny
		case Allow:
			d = Allow
		}
	}
	return d
}
