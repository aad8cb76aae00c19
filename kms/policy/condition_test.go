package policy

import (
	"fmt"
	"testing"
)

// absent marks a condition key missing from the request context.
var absent []string

// condCase is one operator applied to one request context. The policy
// allows iff the condition holds, so Decide is Allow or NotApplicable.
type condCase struct {
	op     string
	values string   // JSON of the policy's values
	req    []string // the request's values for the key; absent: not in Context
	want   bool
}

func (c condCase) String() string {
	req := "absent"
	if c.req != nil {
		req = fmt.Sprintf("%q", c.req)
	}
	return fmt.Sprintf("%s %s vs %s", c.op, c.values, req)
}

// Key "kms:EncryptionContext:dept" is a request-context key that may hold
// several values.
const ecKey = "kms:EncryptionContext:dept"

var awsConditionCases = []condCase{
	// StringEquals: case-sensitive; any request value against any policy value.
	{"StringEquals", `["a","b"]`, []string{"a"}, true},
	{"StringEquals", `["a","b"]`, []string{"c"}, false},
	{"StringEquals", `["a","b"]`, []string{"A"}, false},
	{"StringEquals", `["a","b"]`, absent, false},
	{"StringEquals", `["a","b"]`, []string{}, false},
	{"StringEquals", `["a","b"]`, []string{"c", "b"}, true},
	{"StringEquals", `"a"`, []string{"a"}, true},
	{"StringEquals", `""`, []string{""}, true},
	// StringNotEquals: holds when no value matches; absent key: true.
	{"StringNotEquals", `["a","b"]`, []string{"a"}, false},
	{"StringNotEquals", `["a","b"]`, []string{"c"}, true},
	{"StringNotEquals", `["a","b"]`, []string{"A"}, true},
	{"StringNotEquals", `["a","b"]`, absent, true},
	{"StringNotEquals", `["a","b"]`, []string{"c", "b"}, false},
	{"StringNotEquals", `["a","b"]`, []string{"c", "d"}, true},
	// StringEqualsIgnoreCase.
	{"StringEqualsIgnoreCase", `["a","b"]`, []string{"A"}, true},
	{"StringEqualsIgnoreCase", `["ABC"]`, []string{"abc"}, true},
	{"StringEqualsIgnoreCase", `["a","b"]`, []string{"c"}, false},
	{"StringEqualsIgnoreCase", `["a","b"]`, absent, false},
	{"StringEqualsIgnoreCase", `["a","b"]`, []string{"C", "B"}, true},
	{"StringEqualsIgnoreCase", `["Straße"]`, []string{"STRASSE"}, false},
	// StringNotEqualsIgnoreCase.
	{"StringNotEqualsIgnoreCase", `["a","b"]`, []string{"A"}, false},
	{"StringNotEqualsIgnoreCase", `["a","b"]`, []string{"c"}, true},
	{"StringNotEqualsIgnoreCase", `["a","b"]`, absent, true},
	{"StringNotEqualsIgnoreCase", `["a","b"]`, []string{"C", "B"}, false},
	// StringLike: * and ?, case-sensitive.
	{"StringLike", `["a*","?x"]`, []string{"abc"}, true},
	{"StringLike", `["a*","?x"]`, []string{"bx"}, true},
	{"StringLike", `["a*","?x"]`, []string{"Abc"}, false},
	{"StringLike", `["a*","?x"]`, []string{"cd"}, false},
	{"StringLike", `["a*","?x"]`, []string{"x"}, false},
	{"StringLike", `["a*","?x"]`, absent, false},
	{"StringLike", `["a*","?x"]`, []string{"cd", "ab"}, true},
	{"StringLike", `"*"`, []string{""}, true},
	{"StringLike", `"a?c"`, []string{"aéc"}, true},
	{"StringLike", `"*.example/*/x"`, []string{"a.example/b/c/x"}, true},
	// StringNotLike.
	{"StringNotLike", `["a*","?x"]`, []string{"abc"}, false},
	{"StringNotLike", `["a*","?x"]`, []string{"cd"}, true},
	{"StringNotLike", `["a*","?x"]`, absent, true},
	{"StringNotLike", `["a*","?x"]`, []string{"cd", "ab"}, false},
	// Bool: "true"/"false", ignoring case; JSON booleans accepted.
	{"Bool", `"true"`, []string{"true"}, true},
	{"Bool", `"true"`, []string{"TRUE"}, true},
	{"Bool", `true`, []string{"true"}, true},
	{"Bool", `"True"`, []string{"true"}, true},
	{"Bool", `"true"`, []string{"false"}, false},
	{"Bool", `"true"`, []string{"yes"}, false},
	{"Bool", `"true"`, absent, false},
	{"Bool", `"false"`, absent, false},
	{"Bool", `"true"`, []string{"false", "true"}, true},
	// Null: absent (or no values) vs present.
	{"Null", `"true"`, absent, true},
	{"Null", `"true"`, []string{}, true},
	{"Null", `"true"`, []string{"a"}, false},
	{"Null", `"true"`, []string{""}, false},
	{"Null", `true`, absent, true},
	{"Null", `"false"`, absent, false},
	{"Null", `"false"`, []string{"a"}, true},
	{"Null", `["false"]`, []string{"a", "b"}, true},
	// ...IfExists: an absent key holds; a present one is tested.
	{"StringEqualsIfExists", `"a"`, absent, true},
	{"StringEqualsIfExists", `"a"`, []string{}, true},
	{"StringEqualsIfExists", `"a"`, []string{"a"}, true},
	{"StringEqualsIfExists", `"a"`, []string{"b"}, false},
	{"StringNotEqualsIfExists", `"a"`, absent, true},
	{"StringNotEqualsIfExists", `"a"`, []string{"a"}, false},
	{"StringNotEqualsIfExists", `"a"`, []string{"b"}, true},
	{"StringEqualsIgnoreCaseIfExists", `"a"`, []string{"A"}, true},
	{"StringEqualsIgnoreCaseIfExists", `"a"`, []string{"b"}, false},
	{"StringNotEqualsIgnoreCaseIfExists", `"a"`, []string{"A"}, false},
	{"StringLikeIfExists", `"a*"`, absent, true},
	{"StringLikeIfExists", `"a*"`, []string{"b"}, false},
	{"StringNotLikeIfExists", `"a*"`, []string{"b"}, true},
	{"BoolIfExists", `"false"`, absent, true},
	{"BoolIfExists", `"false"`, []string{"true"}, false},
	{"BoolIfExists", `"false"`, []string{"false"}, true},
	// ForAnyValue: some request value satisfies the operator; empty or
	// absent: false, whatever the operator.
	{"ForAnyValue:StringEquals", `["a","b"]`, []string{"c", "a"}, true},
	{"ForAnyValue:StringEquals", `["a","b"]`, []string{"c"}, false},
	{"ForAnyValue:StringEquals", `["a","b"]`, absent, false},
	{"ForAnyValue:StringEquals", `["a","b"]`, []string{}, false},
	{"ForAnyValue:StringNotEquals", `["a","b"]`, []string{"a", "c"}, true},
	{"ForAnyValue:StringNotEquals", `["a","b"]`, []string{"a", "b"}, false},
	{"ForAnyValue:StringNotEquals", `["a","b"]`, absent, false},
	{"ForAnyValue:StringLike", `["a*"]`, []string{"x", "ay"}, true},
	{"ForAnyValue:StringNotLike", `["a*"]`, []string{"ax", "ay"}, false},
	{"ForAnyValue:StringEqualsIgnoreCase", `["a"]`, []string{"x", "A"}, true},
	{"ForAnyValue:Bool", `"true"`, []string{"false", "TRUE"}, true},
	{"ForAnyValue:StringEqualsIfExists", `["a"]`, absent, true},
	{"ForAnyValue:StringEqualsIfExists", `["a"]`, []string{"b"}, false},
	// ForAllValues: every request value satisfies the operator; empty or
	// absent: true, whatever the operator.
	{"ForAllValues:StringEquals", `["a","b"]`, []string{"a", "b"}, true},
	{"ForAllValues:StringEquals", `["a","b"]`, []string{"a"}, true},
	{"ForAllValues:StringEquals", `["a","b"]`, []string{"a", "c"}, false},
	{"ForAllValues:StringEquals", `["a","b"]`, absent, true},
	{"ForAllValues:StringEquals", `["a","b"]`, []string{}, true},
	{"ForAllValues:StringNotEquals", `["a","b"]`, []string{"c", "d"}, true},
	{"ForAllValues:StringNotEquals", `["a","b"]`, []string{"a", "c"}, false},
	{"ForAllValues:StringNotEquals", `["a","b"]`, absent, true},
	{"ForAllValues:StringLike", `["a*","b*"]`, []string{"ax", "by"}, true},
	{"ForAllValues:StringLike", `["a*","b*"]`, []string{"ax", "cy"}, false},
	{"ForAllValues:StringNotLike", `["a*"]`, []string{"x", "y"}, true},
	{"ForAllValues:StringEqualsIgnoreCase", `["a","b"]`, []string{"A", "B"}, true},
	{"ForAllValues:StringNotEqualsIgnoreCase", `["a"]`, []string{"A"}, false},
	{"ForAllValues:StringEqualsIfExists", `["a"]`, absent, true},
	{"ForAllValues:StringEqualsIfExists", `["a"]`, []string{"a", "b"}, false},
	// Numbers are their JSON text.
	{"StringEquals", `123`, []string{"123"}, true},
	{"StringEquals", `[1.50, "x"]`, []string{"1.50"}, true},
	{"StringEquals", `1.5`, []string{"1.50"}, false},
	// Values with wildcard characters are literal for StringEquals.
	{"StringEquals", `"a*"`, []string{"abc"}, false},
	{"StringEquals", `"a*"`, []string{"a*"}, true},
}

func condPolicyAWS(t *testing.T, op, key, values string) *Policy {
	return mustAWS(t, awsDoc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*",
		"Condition":{"`+op+`":{"`+key+`":`+values+`}}}`))
}

func TestAWSConditionOperators(t *testing.T) {
	for _, tc := range awsConditionCases {
		p := condPolicyAWS(t, tc.op, ecKey, tc.values)
		req := decrypt(alice, nil)
		if tc.req != nil {
			req.Context = map[string][]string{ecKey: tc.req}
		}
		if got := p.Decide(req) == Allow; got != tc.want {
			t.Errorf("%v: got %v, want %v", tc, got, tc.want)
		}
	}
}

// TestHuaweiConditionOperators runs the operators Huawei shares with AWS,
// and StringMatch/StringNotMatch as StringLike/StringNotLike, over a
// Huawei attestation key (single-valued in practice, multi-valued here).
func TestHuaweiConditionOperators(t *testing.T) {
	const key = "kms:RecipientAttestation/PCR4"
	for _, version := range []string{"1.1", "5.0"} {
		for _, tc := range awsConditionCases {
			op := tc.op
			switch op {
			case "StringLike", "StringNotLike", "StringLikeIfExists", "StringNotLikeIfExists",
				"ForAnyValue:StringLike", "ForAnyValue:StringNotLike", "ForAllValues:StringLike", "ForAllValues:StringNotLike":
				op = replaceLike(op)
			}
			p := mustHuawei(t, `{"Version":"`+version+`","Statement":[{"Effect":"Allow","Action":["kms:*:*"],
				"Condition":{"`+op+`":{"`+key+`":`+tc.values+`}}}]}`)
			req := Request{Action: "kms:cmk:decrypt", Resource: keyURN}
			if tc.req != nil {
				req.Context = map[string][]string{key: tc.req}
			}
			if got := p.Decide(req) == Allow; got != tc.want {
				t.Errorf("%s %v: got %v, want %v", version, tc, got, tc.want)
			}
		}
	}
}

func replaceLike(op string) string {
	out := []byte{}
	for i := 0; i < len(op); i++ {
		if i+4 <= len(op) && op[i:i+4] == "Like" {
			out = append(out, "Match"...)
			i += 3
			continue
		}
		out = append(out, op[i])
	}
	return string(out)
}

func TestARNConditions(t *testing.T) {
	for _, tc := range []struct {
		op, values, principal string
		want                  bool
	}{
		{"ArnLike", `"arn:aws:iam::*:role/*"`, enclave, true},
		{"ArnLike", `"arn:aws:iam::*:role/*"`, alice, false},
		{"ArnEquals", `"arn:aws:iam::111122223333:role/data-processing"`, enclave, true},
		{"ArnEquals", `"arn:aws:iam::111122223333:role/data-*"`, enclave, true},
		{"ArnLike", `"arn:aws:iam::*:role/*"`, "arn:aws:iam::1:x:role/y", false},
		{"ArnLike", `"*"`, alice, true},
		{"ArnNotLike", `"arn:aws:iam::*:role/*"`, alice, true},
		{"ArnNotEquals", `"arn:aws:iam::111122223333:role/data-processing"`, enclave, false},
		{"ArnLike", `"arn:aws:iam::*:role/*"`, "", false},
		{"ArnNotLike", `"arn:aws:iam::*:role/*"`, "", true},
		{"ArnLikeIfExists", `"arn:aws:iam::*:role/*"`, "", true},
	} {
		p := condPolicyAWS(t, tc.op, "aws:PrincipalArn", tc.values)
		if got := p.Decide(decrypt(tc.principal, nil)) == Allow; got != tc.want {
			t.Errorf("%s %s vs %q: got %v, want %v", tc.op, tc.values, tc.principal, got, tc.want)
		}
	}
}

func TestDerivedKeys(t *testing.T) {
	for _, tc := range []struct {
		key, values string
		req         Request
		want        Decision
	}{
		{"kms:CallerAccount", `"111122223333"`, decrypt(alice, nil), Allow},
		{"kms:calleraccount", `"111122223333"`, Request{Principal: alice, Account: "444455556666", Action: "kms:Decrypt", Resource: keyARN}, NotApplicable},
		{"aws:PrincipalAccount", `"111122223333"`, decrypt(alice, nil), Allow},
		{"aws:PrincipalArn", `"` + alice + `"`, decrypt(alice, nil), Allow},
		{"aws:PrincipalArn", `"` + alice + `"`, decrypt(enclave, nil), NotApplicable},
		// A derived key in Context is ambiguous: Deny.
		{"aws:PrincipalArn", `"` + alice + `"`, decrypt(alice, map[string][]string{"aws:principalarn": {alice}}), Deny},
		{"kms:CallerAccount", `"111122223333"`, decrypt(alice, map[string][]string{"kms:CallerAccount": {account}}), Deny},
		// No Account: the key is absent.
		{"kms:CallerAccount", `"111122223333"`, Request{Principal: alice, Action: "kms:Decrypt", Resource: keyARN}, NotApplicable},
	} {
		p := condPolicyAWS(t, "StringEquals", tc.key, tc.values)
		if got := p.Decide(tc.req); got != tc.want {
			t.Errorf("%s %s vs %+v: got %v, want %v", tc.key, tc.values, tc.req, got, tc.want)
		}
	}
	p := condPolicyAWS(t, "Null", "kms:CallerAccount", `"true"`)
	if got := p.Decide(Request{Principal: alice, Action: "kms:Decrypt", Resource: keyARN}); got != Allow {
		t.Errorf("Null kms:CallerAccount without Account: got %v", got)
	}
}

// TestConditionBlocks: operators and keys are ANDed, each key's values
// ORed; key names ignore case, values follow the operator.
func TestConditionBlocks(t *testing.T) {
	p := mustAWS(t, awsDoc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*",
		"Condition":{
			"StringEqualsIgnoreCase":{"KMS:RECIPIENTATTESTATION:PCR0":["`+image+`","`+otherImg+`"],"kms:RecipientAttestation:PCR8":"`+pcr8+`"},
			"StringEquals":{"kms:encryptioncontext:Purpose":"backup"}}}`))
	ok := map[string][]string{
		"kms:RecipientAttestation:PCR0":      {otherImg},
		"kms:RecipientAttestation:PCR8":      {pcr8},
		"kms:EncryptionContext:purpose":      {"backup"},
		"kms:RecipientAttestation:PCR1":      {image},
		"kms:RecipientAttestation:ImageSha3": {image},
	}
	if got := p.Decide(decrypt(alice, ok)); got != Allow {
		t.Errorf("all conditions hold: got %v", got)
	}
	for _, drop := range []string{"kms:RecipientAttestation:PCR0", "kms:RecipientAttestation:PCR8", "kms:EncryptionContext:purpose"} {
		ctx := map[string][]string{}
		for k, v := range ok {
			if k != drop {
				ctx[k] = v
			}
		}
		if got := p.Decide(decrypt(alice, ctx)); got != NotApplicable {
			t.Errorf("without %s: got %v", drop, got)
		}
	}
	ctx := map[string][]string{}
	for k, v := range ok {
		ctx[k] = v
	}
	ctx["kms:EncryptionContext:purpose"] = []string{"Backup"}
	if got := p.Decide(decrypt(alice, ctx)); got != NotApplicable {
		t.Errorf("StringEquals value in another case: got %v", got)
	}
}

// TestDenyWithNegatedOperator: the usual way to require attestation in a
// key policy whose other statements allow broadly.
func TestDenyWithNegatedOperator(t *testing.T) {
	p := mustAWS(t, awsDoc(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"},
		{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*",
		 "Condition":{"StringNotEqualsIgnoreCase":{"kms:RecipientAttestation:ImageSha384":"`+image+`"}}}`))
	for _, tc := range []struct {
		ctx  map[string][]string
		want Decision
	}{
		{map[string][]string{"kms:RecipientAttestation:ImageSha384": {image}}, Allow},
		{nil, Deny},
		{map[string][]string{"kms:RecipientAttestation:ImageSha384": {otherImg}}, Deny},
		{map[string][]string{"kms:RecipientAttestation:ImageSha384": {}}, Deny},
	} {
		if got := p.Decide(decrypt(alice, tc.ctx)); got != tc.want {
			t.Errorf("%v: got %v, want %v", tc.ctx, got, tc.want)
		}
	}
}

// TestKeyNamesFoldASCIIOnly: condition-key names ignore ASCII case only,
// in the policy and in Context alike.
func TestKeyNamesFoldASCIIOnly(t *testing.T) {
	p := condPolicyAWS(t, "StringEquals", "kms:EncryptionContext:Ärger", `"x"`)
	for _, tc := range []struct {
		key  string
		want Decision
	}{
		{"kms:EncryptionContext:Ärger", Allow},
		{"KMS:ENCRYPTIONCONTEXT:Ärger", Allow},
		{"kms:EncryptionContext:ärger", NotApplicable},
		{"kms:EncryptionContext:ÄRGER", Allow},
	} {
		if got := p.Decide(decrypt(alice, map[string][]string{tc.key: {"x"}})); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.key, got, tc.want)
		}
	}
}
