package policy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	account  = "111122223333"
	root     = "arn:aws:iam::111122223333:root"
	enclave  = "arn:aws:iam::111122223333:role/data-processing"
	alice    = "arn:aws:iam::111122223333:user/alice"
	keyARN   = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	keyURN   = "kms:cn-north-4:0123456789abcdef0123456789abcdef:KeyId:0d0466b0-e727-4d9c-b35d-f84bb474a37f"
	image    = "26468427d9c6bec72b3146f8e66ba3017d7ad878a47e078f1d6daa986c1596c3115cec857f8e721a72f23be759e81877"
	pcr8     = "0327d814d32df1e5cc4ab090ca8eb5cc07cf4244ce95516873b7bfe413ae9a50002dd8c0b80bf7a48bd8984c701d64d6"
	otherImg = "b190dd394825042100c0a2aa476fdff69d3cb63e9d4dfcbe93b360f7d33713aa8184f18fb5dcb20120768dd0efa2a32b"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustAWS(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := ParseAWS([]byte(doc))
	if err != nil {
		t.Fatalf("ParseAWS: %v\n%s", err, doc)
	}
	return p
}

func mustHuawei(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := ParseHuawei([]byte(doc))
	if err != nil {
		t.Fatalf("ParseHuawei: %v\n%s", err, doc)
	}
	return p
}

// awsDoc wraps statements (JSON objects, comma-separated) in a key policy.
func awsDoc(statements string) string {
	return `{"Version":"2012-10-17","Statement":[` + statements + `]}`
}

func decrypt(principal string, ctx map[string][]string) Request {
	return Request{Principal: principal, Account: account, Action: "kms:Decrypt", Resource: keyARN, Context: ctx}
}

func TestNitroKeyPolicy(t *testing.T) {
	p, err := ParseAWS(readTestdata(t, "aws-nitro-enclave-key-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	attested := map[string][]string{
		"kms:RecipientAttestation:ImageSha384": {image},
		"kms:RecipientAttestation:PCR0":        {image},
	}
	for _, tc := range []struct {
		name string
		req  Request
		want Decision
	}{
		{"enclave with attestation", decrypt(enclave, attested), Allow},
		{"enclave, upper-case hex", decrypt(enclave, map[string][]string{
			"kms:RecipientAttestation:ImageSha384": {strings.ToUpper(image)},
			"kms:RecipientAttestation:PCR0":        {strings.ToUpper(image)},
		}), Allow},
		{"enclave, context keys in another case", decrypt(enclave, map[string][]string{
			"KMS:recipientattestation:imagesha384": {image},
			"kms:RECIPIENTATTESTATION:pcr0":        {image},
		}), Allow},
		{"enclave without attestation", decrypt(enclave, nil), NotApplicable},
		{"enclave, image only", decrypt(enclave, map[string][]string{"kms:RecipientAttestation:ImageSha384": {image}}), NotApplicable},
		{"enclave, other image", decrypt(enclave, map[string][]string{
			"kms:RecipientAttestation:ImageSha384": {otherImg},
			"kms:RecipientAttestation:PCR0":        {otherImg},
		}), NotApplicable},
		{"same account, not the role", decrypt(alice, attested), NotApplicable},
		{"other account's role", Request{Principal: "arn:aws:iam::444455556666:role/data-processing", Account: "444455556666",
			Action: "kms:Decrypt", Resource: keyARN, Context: attested}, NotApplicable},
		{"role session", decrypt("arn:aws:sts::111122223333:assumed-role/data-processing/i-0123", attested), Allow},
		{"account principal: everything but Decrypt", Request{Principal: alice, Account: account, Action: "kms:Encrypt", Resource: keyARN}, Allow},
		{"GenerateDataKey by the enclave without attestation: account statement", Request{Principal: enclave, Account: account,
			Action: "kms:GenerateDataKey", Resource: keyARN}, Allow},
		{"ambiguous context", decrypt(enclave, map[string][]string{
			"kms:RecipientAttestation:ImageSha384": {image},
			"kms:recipientattestation:imagesha384": {otherImg},
			"kms:RecipientAttestation:PCR0":        {image},
		}), Deny},
	} {
		if got := p.Decide(tc.req); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestDefaultKeyPolicy(t *testing.T) {
	doc := readTestdata(t, "aws-default-key-policy.json")
	p, err := ParseAWS(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Bytes(), doc) {
		t.Error("Bytes differs from the document parsed")
	}
	b := p.Bytes()
	b[0] = 'x'
	if p.Bytes()[0] != '{' {
		t.Error("Bytes shares memory with the policy")
	}
	for _, tc := range []struct {
		req  Request
		want Decision
	}{
		{Request{Principal: root, Account: account, Action: "kms:PutKeyPolicy", Resource: keyARN}, Allow},
		{Request{Principal: alice, Account: account, Action: "kms:Decrypt", Resource: keyARN}, Allow},
		{Request{Principal: enclave, Account: account, Action: "kms:GenerateDataKey", Resource: keyARN}, Allow},
		{Request{Principal: "arn:aws:iam::444455556666:user/bob", Account: "444455556666", Action: "kms:Decrypt", Resource: keyARN}, NotApplicable},
		{Request{Principal: alice, Account: account, Action: "s3:GetObject", Resource: keyARN}, NotApplicable},
		{Request{Principal: alice, Action: "kms:Decrypt", Resource: keyARN}, NotApplicable}, // no account
	} {
		if got := p.Decide(tc.req); got != tc.want {
			t.Errorf("%+v: got %v, want %v", tc.req, got, tc.want)
		}
	}
}

// TestConsoleKeyPolicyRefused: the console's default policy uses
// kms:GrantIsForAWSResource, which the local KMS cannot supply; the whole
// document is refused rather than evaluated with the key absent.
func TestConsoleKeyPolicyRefused(t *testing.T) {
	p, err := ParseAWS(readTestdata(t, "aws-console-key-policy.json"))
	if !errors.Is(err, ErrInvalid) || p != nil {
		t.Fatalf("got %v, %v; want nil, ErrInvalid", p, err)
	}
	if !strings.Contains(err.Error(), "Statement[3].Condition.Bool") {
		t.Errorf("error does not name the construct: %v", err)
	}
}

func TestHuawei11QingTian(t *testing.T) {
	p, err := ParseHuawei(readTestdata(t, "huawei-1.1-qingtian.json"))
	if err != nil {
		t.Fatal(err)
	}
	both := map[string][]string{"kms:RecipientAttestation/PCR0": {image}, "kms:RecipientAttestation/PCR8": {pcr8}}
	req := func(action string, ctx map[string][]string) Request {
		return Request{Account: "0123456789abcdef0123456789abcdef", Action: action, Resource: keyURN, Context: ctx}
	}
	for _, tc := range []struct {
		req  Request
		want Decision
	}{
		{req("kms:cmk:decrypt", both), Allow},
		{req("kms:dek:decrypt", both), Allow},
		{req("KMS:CMK:Decrypt", both), Allow},
		{req("kms:cmk:decrypt", map[string][]string{"kms:RecipientAttestation/PCR0": {strings.ToUpper(image)}, "kms:recipientattestation/pcr8": {pcr8}}), Allow},
		{req("kms:cmk:decrypt", map[string][]string{"kms:RecipientAttestation/PCR0": {image}}), NotApplicable},
		{req("kms:cmk:decrypt", nil), NotApplicable},
		{req("kms:cmk:encrypt", both), NotApplicable},
		{req("kms:Decrypt", map[string][]string{"kms:RecipientAttestation:PCR0": {image}, "kms:RecipientAttestation:PCR8": {pcr8}}), NotApplicable},
	} {
		if got := p.Decide(tc.req); got != tc.want {
			t.Errorf("%s %v: got %v, want %v", tc.req.Action, tc.req.Context, got, tc.want)
		}
	}
}

func TestHuawei50(t *testing.T) {
	p, err := ParseHuawei(readTestdata(t, "huawei-5.0-kms.json"))
	if err != nil {
		t.Fatal(err)
	}
	att := map[string][]string{"kms:RecipientAttestation/PCR0": {image}}
	req := func(action, resource string, ctx map[string][]string) Request {
		return Request{Action: action, Resource: resource, Context: ctx}
	}
	for _, tc := range []struct {
		req  Request
		want Decision
	}{
		{req("kms:cmk:decryptDataKey", keyURN, att), Allow},
		{req("kms:cmk:createDataKey", keyURN, att), Allow},
		{req("kms::generateRandom", keyURN, att), Allow},
		{req("kms:cmk:decryptDataKey", keyURN, nil), Deny},
		{req("kms:cmk:decryptData", keyURN, map[string][]string{"kms:RecipientAttestation/PCR0": {}}), Deny},
		{req("kms:cmk:createDataKey", keyURN, nil), NotApplicable},
		{req("kms:cmk:decryptDataKey", keyURN, map[string][]string{"kms:RecipientAttestation/PCR0": {otherImg}}), NotApplicable},
		{req("kms:cmk:decryptDataKey", "kms:cn-north-4:0123:Alias:x", att), NotApplicable},
		{req("kms:cmk:decryptDataKey", "kms:cn-north-4:0123:keyid:x", att), NotApplicable}, // URNs are case-sensitive
	} {
		if got := p.Decide(tc.req); got != tc.want {
			t.Errorf("%s %s %v: got %v, want %v", tc.req.Action, tc.req.Resource, tc.req.Context, got, tc.want)
		}
	}
}

func TestExplicitDenyWins(t *testing.T) {
	allow := mustAWS(t, awsDoc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}`))
	deny := mustAWS(t, awsDoc(`{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*"}`))
	both := mustAWS(t, awsDoc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
		{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*"},
		{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}`))
	none := mustAWS(t, awsDoc(`{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*"}`))
	req := decrypt(alice, nil)
	for _, tc := range []struct {
		name string
		got  Decision
		want Decision
	}{
		{"allow alone", allow.Decide(req), Allow},
		{"deny alone", deny.Decide(req), Deny},
		{"deny between allows", both.Decide(req), Deny},
		{"no statement applies", none.Decide(req), NotApplicable},
		{"Evaluate allow+deny", Evaluate(req, allow, deny), Deny},
		{"Evaluate deny+allow", Evaluate(req, deny, allow), Deny},
		{"Evaluate allow+none", Evaluate(req, none, allow), Allow},
		{"Evaluate none", Evaluate(req, none), NotApplicable},
		{"Evaluate nothing", Evaluate(req), NotApplicable},
		{"Evaluate nil", Evaluate(req, nil, allow), Allow},
		{"nil policy", (*Policy)(nil).Decide(req), NotApplicable},
		{"other action", deny.Decide(Request{Principal: alice, Account: account, Action: "kms:Encrypt", Resource: keyARN}), NotApplicable},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if (*Policy)(nil).Bytes() != nil {
		t.Error("nil policy has bytes")
	}
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{NotApplicable: "NotApplicable", Allow: "Allow", Deny: "Deny", 7: "Decision(?)"} {
		if got := d.String(); got != want {
			t.Errorf("%d: got %q, want %q", d, got, want)
		}
	}
}

func TestActions(t *testing.T) {
	for _, tc := range []struct {
		pattern, action string
		want            bool
	}{
		{"kms:*", "kms:Decrypt", true},
		{"kms:*", "s3:GetObject", false},
		{"*", "s3:GetObject", true},
		{"kms:Generate*", "kms:GenerateDataKey", true},
		{"kms:Generate*", "kms:generatedatakeypairwithoutplaintext", true},
		{"kms:Generate*", "kms:Decrypt", false},
		{"KMS:DECRYPT", "kms:decrypt", true},
		{"kms:?ecrypt", "kms:Decrypt", true},
		{"kms:?ecrypt", "kms:Encrypt", false},
		{"kms:*crypt", "kms:ReEncrypt", true},
		{"kms:*Key*", "kms:DescribeKey", true},
		{"kms:Decrypt", "kms:DecryptX", false},
		{"kms:Decrypt", "kms:Decryp", false},
		{"kms:Describe*", "kms:Descri", false},
	} {
		p := mustAWS(t, awsDoc(`{"Effect":"Allow","Principal":"*","Action":"`+tc.pattern+`","Resource":"*"}`))
		got := p.Decide(Request{Principal: alice, Account: account, Action: tc.action, Resource: keyARN}) == Allow
		if got != tc.want {
			t.Errorf("%s vs %s: got %v", tc.pattern, tc.action, got)
		}
		n := mustAWS(t, awsDoc(`{"Effect":"Allow","Principal":"*","NotAction":"`+tc.pattern+`","Resource":"*"}`))
		if got := n.Decide(Request{Principal: alice, Account: account, Action: tc.action, Resource: keyARN}) == Allow; got == tc.want {
			t.Errorf("NotAction %s vs %s: got %v", tc.pattern, tc.action, got)
		}
	}
}

func TestResources(t *testing.T) {
	for _, tc := range []struct {
		pattern, resource string
		want              bool
	}{
		{"*", keyARN, true},
		{keyARN, keyARN, true},
		{"arn:aws:kms:*:111122223333:key/*", keyARN, true},
		{"arn:aws:kms:us-east-1:111122223333:*", keyARN, true},
		{"arn:aws:kms:*:444455556666:key/*", keyARN, false},
		{"arn:aws:kms:*:111122223333:KEY/*", keyARN, false},
		{"arn:aws:kms:*:*:alias/*", keyARN, false},
		{"arn:aws:kms:us-east-?:111122223333:key/*", keyARN, true},
		// A * inside a segment does not reach across a colon.
		{"arn:aws:kms:*:111122223333:key/*", "arn:aws:kms:us-east-1:x:111122223333:key/1", false},
		{"arn:aws:kms:us-east-1:111122223333:key/*", "arn:aws:kms:us-east-1:111122223333:key/a:b", true},
		{"arn:aws:kms:us-east-1:111122223333:key/*", "key/1", false},
	} {
		p := mustAWS(t, awsDoc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"`+tc.pattern+`"}`))
		if got := p.Decide(Request{Principal: alice, Account: account, Action: "kms:Decrypt", Resource: tc.resource}) == Allow; got != tc.want {
			t.Errorf("%s vs %s: got %v", tc.pattern, tc.resource, got)
		}
		n := mustAWS(t, awsDoc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","NotResource":"`+tc.pattern+`"}`))
		if got := n.Decide(Request{Principal: alice, Account: account, Action: "kms:Decrypt", Resource: tc.resource}) == Allow; got == tc.want {
			t.Errorf("NotResource %s vs %s: got %v", tc.pattern, tc.resource, got)
		}
	}
}

func TestPrincipals(t *testing.T) {
	const bob = "arn:aws:iam::444455556666:user/bob"
	callers := map[string]Request{
		"root":       {Principal: root, Account: account},
		"alice":      {Principal: alice, Account: account},
		"role":       {Principal: enclave, Account: account},
		"session":    {Principal: "arn:aws:sts::111122223333:assumed-role/data-processing/s1", Account: account},
		"bob":        {Principal: bob, Account: "444455556666"},
		"anonymous":  {},
		"china role": {Principal: "arn:aws-cn:iam::111122223333:role/data-processing", Account: account},
	}
	for _, tc := range []struct {
		principal string
		allowed   []string
	}{
		{`"*"`, []string{"root", "alice", "role", "session", "bob", "anonymous", "china role"}},
		{`{"AWS":"*"}`, []string{"root", "alice", "role", "session", "bob", "anonymous", "china role"}},
		{`{"AWS":"111122223333"}`, []string{"root", "alice", "role", "session", "china role"}},
		{`{"AWS":"arn:aws:iam::111122223333:root"}`, []string{"root", "alice", "role", "session", "china role"}},
		{`{"AWS":["arn:aws:iam::444455556666:root"]}`, []string{"bob"}},
		{`{"AWS":"arn:aws:iam::111122223333:user/alice"}`, []string{"alice"}},
		{`{"AWS":"arn:aws:iam::111122223333:user/Alice"}`, nil},
		{`{"AWS":"arn:aws:iam::111122223333:role/data-processing"}`, []string{"role", "session"}},
		{`{"AWS":"arn:aws:iam::111122223333:role/team/data-processing"}`, []string{"session"}},
		{`{"AWS":"arn:aws:sts::111122223333:assumed-role/data-processing/s1"}`, []string{"session"}},
		{`{"Service":"ec2.amazonaws.com"}`, nil},
		{`{"Federated":"accounts.google.com"}`, nil},
		{`{"Service":"ec2.amazonaws.com","AWS":"arn:aws:iam::111122223333:user/alice"}`, []string{"alice"}},
	} {
		p := mustAWS(t, awsDoc(`{"Effect":"Allow","Principal":`+tc.principal+`,"Action":"kms:*","Resource":"*"}`))
		for name, req := range callers {
			req.Action, req.Resource = "kms:Decrypt", keyARN
			want := Allow
			if !contains(tc.allowed, name) {
				want = NotApplicable
			}
			if got := p.Decide(req); got != want {
				t.Errorf("Principal %s, caller %s: got %v, want %v", tc.principal, name, got, want)
			}
		}
	}
}

// TestNotPrincipal: Deny with NotPrincipal denies everyone not listed; an
// account entry there exempts only the account principal itself.
func TestNotPrincipal(t *testing.T) {
	p := mustAWS(t, awsDoc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
		{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:root",
			"arn:aws:iam::111122223333:role/data-processing"]},"Action":"kms:Decrypt","Resource":"*"}`))
	for _, tc := range []struct {
		principal string
		want      Decision
	}{
		{alice, Allow},
		{root, Allow},
		{enclave, Allow},
		{"arn:aws:sts::111122223333:assumed-role/data-processing/s", Allow},
		{"arn:aws:iam::111122223333:user/mallory", Deny},
		{"arn:aws:sts::111122223333:assumed-role/other/s", Deny},
	} {
		if got := p.Decide(decrypt(tc.principal, nil)); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.principal, got, tc.want)
		}
	}
	acct := mustAWS(t, awsDoc(`{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}`))
	for _, tc := range []struct {
		principal, account string
		want               Decision
	}{
		{root, account, NotApplicable},
		{alice, account, Allow},
		{"arn:aws:iam::444455556666:user/bob", "444455556666", Allow},
	} {
		req := Request{Principal: tc.principal, Account: tc.account, Action: "kms:Decrypt", Resource: keyARN}
		if got := acct.Decide(req); got != tc.want {
			t.Errorf("NotPrincipal account, %s: got %v, want %v", tc.principal, got, tc.want)
		}
	}
	nobody := mustAWS(t, awsDoc(`{"Effect":"Deny","NotPrincipal":"*","Action":"kms:*","Resource":"*"}`))
	if got := nobody.Decide(decrypt(alice, nil)); got != NotApplicable {
		t.Errorf(`NotPrincipal "*": got %v`, got)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestDecideDoesNotAllocate(t *testing.T) {
	p, err := ParseAWS(readTestdata(t, "aws-nitro-enclave-key-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	reqs := []Request{
		decrypt(enclave, map[string][]string{"kms:RecipientAttestation:ImageSha384": {image}, "kms:RecipientAttestation:PCR0": {image}}),
		decrypt(enclave, nil),
		decrypt("arn:aws:sts::111122223333:assumed-role/data-processing/s", nil),
	}
	derived := mustAWS(t, awsDoc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*",
		"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"},"StringEquals":{"kms:CallerAccount":"111122223333"}}}`))
	for i, req := range reqs {
		if n := testing.AllocsPerRun(100, func() { p.Decide(req) }); n != 0 {
			t.Errorf("request %d: %v allocations per Decide", i, n)
		}
		if n := testing.AllocsPerRun(100, func() { derived.Decide(req) }); n != 0 {
			t.Errorf("request %d, derived keys: %v allocations per Decide", i, n)
		}
	}
}
