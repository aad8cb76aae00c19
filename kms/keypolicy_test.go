package kms

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/kms/internal/core"
	"github.com/qtenclave/qtenclave/kms/internal/store"
	"github.com/qtenclave/qtenclave/kms/policy"
)

// TestKeyPolicyAPI: CreateKey's Policy, PutKeyPolicy, GetKeyPolicy and
// ListKeyPolicies on the AWS front end.
func TestKeyPolicyAPI(t *testing.T) {
	k := newTestKMS(t, Options{})
	id, _ := k.awsCreateKey(t, "", "")

	// A key created without a policy has AWS's default key policy.
	got := k.aws(t, "GetKeyPolicy", map[string]any{"KeyId": id, "PolicyName": "default"})
	require.Equal(t, "default", got["PolicyName"])
	require.JSONEq(t, `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kms:*","Resource":"*"}]}`, got["Policy"].(string))
	require.Equal(t, map[string]any{"PolicyNames": []any{"default"}, "Truncated": false}, k.aws(t, "ListKeyPolicies", map[string]any{"KeyId": id}))

	// A policy is kept byte for byte, whitespace included.
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"000000000000\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}]\n}"
	k.aws(t, "PutKeyPolicy", map[string]any{"KeyId": id, "PolicyName": "default", "Policy": doc})
	require.Equal(t, doc, k.aws(t, "GetKeyPolicy", map[string]any{"KeyId": id})["Policy"])
	created := k.aws(t, "CreateKey", map[string]any{"Policy": doc})["KeyMetadata"].(map[string]any)["KeyId"].(string)
	require.Equal(t, doc, k.aws(t, "GetKeyPolicy", map[string]any{"KeyId": created})["Policy"])

	bad := http.StatusBadRequest
	k.awsFail(t, awsRequest{target: "GetKeyPolicy", body: js(map[string]any{"KeyId": id, "PolicyName": "other"})}, bad, "ValidationException")
	k.awsFail(t, awsRequest{target: "PutKeyPolicy", body: js(map[string]any{"KeyId": id, "PolicyName": "other", "Policy": doc})}, bad, "ValidationException")
	k.awsFail(t, awsRequest{target: "PutKeyPolicy", body: js(map[string]any{"KeyId": id})}, bad, "ValidationException")
	k.awsFail(t, awsRequest{target: "ListKeyPolicies", body: js(map[string]any{"KeyId": id, "Marker": "x"})}, bad, "InvalidMarkerException")

	// The lockout safety check: a policy that does not let the caller change
	// it again is refused, unless the caller bypasses the check.
	lockout := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"NotAction":"kms:PutKeyPolicy","Resource":"*"}]}`
	status, out := k.awsDo(t, awsRequest{target: "PutKeyPolicy", body: js(map[string]any{"KeyId": id, "Policy": lockout})})
	require.Equal(t, bad, status)
	require.Equal(t, "MalformedPolicyDocumentException", out["__type"])
	require.Equal(t, "The new key policy will not allow you to update the key policy in the future.", out["message"])
	before := k.keyCount(t)
	k.awsFail(t, awsRequest{target: "CreateKey", body: js(map[string]any{"Policy": lockout})}, bad, "MalformedPolicyDocumentException")
	require.Equal(t, before, k.keyCount(t), "a refused policy creates no key")
	require.Equal(t, doc, k.aws(t, "GetKeyPolicy", map[string]any{"KeyId": id})["Policy"], "a refused policy changes nothing")
	k.aws(t, "PutKeyPolicy", map[string]any{"KeyId": id, "Policy": lockout, "BypassPolicyLockoutSafetyCheck": true})
	status, out = k.awsDo(t, awsRequest{target: "PutKeyPolicy", body: js(map[string]any{"KeyId": id, "Policy": doc})})
	require.Equal(t, bad, status)
	require.Equal(t, "AccessDeniedException", out["__type"])
	require.Equal(t, "User: arn:aws:iam::000000000000:root is not authorized to perform: kms:PutKeyPolicy on resource: arn:aws:kms:us-east-1:000000000000:key/"+id+
		" because no resource-based policy allows the kms:PutKeyPolicy action", out["message"])
	require.Equal(t, lockout, k.aws(t, "GetKeyPolicy", map[string]any{"KeyId": id})["Policy"])
}

// TestBadKeyPolicies: a policy document the engine refuses is a 4xx with a
// message that says why, on CreateKey and PutKeyPolicy, and changes
// nothing: the old policy stays in force.
func TestBadKeyPolicies(t *testing.T) {
	k := newTestKMS(t, Options{Roots: nil})
	id, _ := k.awsCreateKey(t, "", "")
	old := k.aws(t, "GetKeyPolicy", map[string]any{"KeyId": id})["Policy"]
	stmt := `{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"kms:*","Resource":"*"}`
	deep := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:a":` +
		strings.Repeat("[", 10) + `"x"` + strings.Repeat("]", 10) + `}}}]}`
	for _, tc := range []struct {
		name, doc, typ, says string
	}{
		{"oversized", `{"Version":"2012-10-17","Statement":[` + strings.Repeat(stmt+",", 400) + stmt + `]}`, "ValidationException", "Policy is not 1 to 32768"},
		{"deep", deep, "MalformedPolicyDocumentException", "deep"},
		{"unknown operator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"NumericLessThan":{"kms:RecipientAttestation:PCR0":"1"}}}]}`, "MalformedPolicyDocumentException", "NumericLessThan"},
		{"wrong type", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":7,"Resource":"*"}]}`, "MalformedPolicyDocumentException", "Action"},
		{"unknown field", `{"Version":"2012-10-17","Statement":[` + stmt + `],"Extra":1}`, "MalformedPolicyDocumentException", "Extra"},
		{"not JSON", `{"Version":`, "MalformedPolicyDocumentException", "key policy: invalid document"},
		{"empty", ``, "ValidationException", "Policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, op := range []string{"PutKeyPolicy", "CreateKey"} {
				before := k.keyCount(t)
				status, out := k.awsDo(t, awsRequest{target: op, body: js(map[string]any{"KeyId": id, "Policy": tc.doc})})
				if op == "CreateKey" {
					status, out = k.awsDo(t, awsRequest{target: op, body: js(map[string]any{"Policy": tc.doc})})
				}
				require.Equal(t, http.StatusBadRequest, status, "%v", out)
				require.Equal(t, tc.typ, out["__type"], "%v", out)
				require.Contains(t, out["message"], tc.says)
				require.Equal(t, before, k.keyCount(t), "no key was created")
				require.Equal(t, old, k.aws(t, "GetKeyPolicy", map[string]any{"KeyId": id})["Policy"], "the old policy stays")
			}
		})
	}
	// The old policy is still in force: the key works.
	k.aws(t, "GenerateDataKey", map[string]any{"KeyId": id, "NumberOfBytes": 16})
}

// TestPrincipalOption: a key policy that names a role, as users deploy
// them, decides for a server whose Principal is that role; the account's
// root is not the role.
func TestPrincipalOption(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/data-processing"
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"Allow data-processing","Effect":"Allow","Principal":{"AWS":"` + role + `"},"Action":"kms:*","Resource":"*"}]}`
	k := newTestKMS(t, Options{Principal: role})
	md := k.aws(t, "CreateKey", map[string]any{"Policy": doc})["KeyMetadata"].(map[string]any)
	id := md["KeyId"].(string)
	require.Equal(t, "111122223333", md["AWSAccountId"])
	k.aws(t, "GenerateDataKey", map[string]any{"KeyId": id, "NumberOfBytes": 16})
	// The Huawei front end's callers are the same identity.
	status, body := k.post(t, "create-datakey", js(map[string]any{"key_id": id}))
	require.Equal(t, http.StatusOK, status, "%s", body)

	root := newTestKMS(t, Options{Account: "111122223333"})
	root.awsFail(t, awsRequest{target: "CreateKey", body: js(map[string]any{"Policy": doc})}, http.StatusBadRequest, "MalformedPolicyDocumentException")
	rid := root.aws(t, "CreateKey", map[string]any{"Policy": doc, "BypassPolicyLockoutSafetyCheck": true})["KeyMetadata"].(map[string]any)["KeyId"].(string)
	root.awsFail(t, awsRequest{target: "GenerateDataKey", body: js(map[string]any{"KeyId": rid, "NumberOfBytes": 16})}, http.StatusBadRequest, "AccessDeniedException")

	for _, opts := range []Options{
		{Principal: "arn:aws:iam::11112222333:root"},
		{Principal: "role/data-processing"},
		{Principal: role, Account: "000000000000"},
		{Account: "12345"},
		{Region: "Not A Region"},
		{HuaweiPolicies: [][]byte{[]byte(`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["kms:*:*"],"Condition":{"NumericLessThan":{"kms:RecipientAttestation/PCR0":["1"]}}}]}`)}},
	} {
		opts.Token = testToken
		_, err := NewServer(opts)
		require.Error(t, err, "%+v", opts)
	}
}

// TestLegacyPCRRecord: a key record written before key policies, with a
// recipient_attestation PCR map and no policy, keeps its protection: the
// server evaluates the equivalent key policy.
func TestLegacyPCRRecord(t *testing.T) {
	dir := t.TempDir()
	pcr0 := testPCR(0)
	s, err := store.Open(dir)
	require.NoError(t, err)
	id := "0f0e0d0c-0b0a-4908-8706-050403020100"
	material := make([]byte, 32)
	require.NoError(t, s.Create(&store.Record{
		ID: id, Alias: "legacy", Spec: "AES_256", Usage: core.UsageEncryptDecrypt, Origin: "kms",
		State: core.StateEnabled, Created: time.Now().UnixMilli(), Sealed: s.Seal(id, material),
		PCRs: map[int][]byte{0: pcr0},
	}))
	require.NoError(t, s.Close())

	k := newTestKMS(t, Options{DataDir: dir, Roots: []*x509.Certificate{attestationtest.Root()}})
	e := newEnclave(t)
	status, body := k.post(t, "create-datakey", js(map[string]any{"key_id": id}))
	require.Equal(t, http.StatusForbidden, status, "%s", body)
	require.Contains(t, string(body), "KMS.0904")
	status, body = k.post(t, "create-datakey", js(map[string]any{"key_id": id, "recipient": e.recipient(t, nil)}))
	require.Equal(t, http.StatusOK, status, "%s", body)
	status, body = k.post(t, "create-datakey", js(map[string]any{"key_id": id, "recipient": e.recipient(t, func(o *attestationtest.Options) {
		o.PCRs = map[int][]byte{0: testPCR(9), 1: testPCR(1), 2: testPCR(2)}
	})}))
	require.Equal(t, http.StatusForbidden, status, "%s", body)

	var p struct {
		Statement []struct {
			Effect    string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(k.aws(t, "GetKeyPolicy", map[string]any{"KeyId": id})["Policy"].(string)), &p))
	require.Len(t, p.Statement, 2)
	require.Equal(t, "Deny", p.Statement[1].Effect)
	require.Equal(t, hex.EncodeToString(pcr0), p.Statement[1].Condition["StringNotEqualsIgnoreCase"]["kms:RecipientAttestation:PCR0"])
}

// TestRecipientRSAKeyChecks: a document whose RSA key crypto/rsa would
// refuse to encrypt to is a 4xx (the document carries no usable key), not
// a 500 at sealing time, on both front ends (issue 15, item 4).
func TestRecipientRSAKeyChecks(t *testing.T) {
	k := newAttestedKMS(t)
	e := newEnclave(t)
	sym, _ := k.awsCreateKey(t, "", "")
	n := e.key.N
	even := new(big.Int).Add(n, big.NewInt(1))
	for _, tc := range []struct {
		name string
		n    *big.Int
		e    int
	}{
		{"exponent 1", n, 1},
		{"exponent 2", n, 2},
		{"even exponent", n, 4},
		{"exponent 65536", n, 65536},
		{"exponent 2^31+1", n, 1<<31 + 1},
		{"even modulus", even, 65537},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spki, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: tc.n, E: tc.e})
			require.NoError(t, err)
			doc, err := attestationtest.Issue(attestationtest.Options{PublicKey: spki})
			require.NoError(t, err)
			status, body := k.post(t, "create-datakey", js(map[string]any{"key_id": sym, "recipient": map[string]any{"attestation_document": b64(doc)}}))
			require.Equal(t, http.StatusBadRequest, status, "%s", body)
			require.Contains(t, string(body), "KMS.0903")
			k.awsFail(t, awsRequest{target: "GenerateDataKey", body: js(map[string]any{"KeyId": sym, "NumberOfBytes": 32, "Recipient": map[string]any{"AttestationDocument": b64(doc)}})},
				http.StatusBadRequest, "ValidationException")
		})
	}
}

// TestREADMEPolicies: the policy documents the README offers to copy parse,
// as the key policy and the Huawei IAM policy they are.
func TestREADMEPolicies(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	var docs []string
	for rest := string(b); ; {
		_, after, ok := strings.Cut(rest, "```json\n")
		if !ok {
			break
		}
		doc, tail, _ := strings.Cut(after, "```")
		docs, rest = append(docs, doc), tail
	}
	require.Len(t, docs, 2)
	_, err = policy.ParseAWS([]byte(docs[0]))
	require.NoError(t, err)
	_, err = policy.ParseHuawei([]byte(docs[1]))
	require.NoError(t, err)
}

// TestHuaweiIAMResources: Huawei IAM policies name keys by URN
// (kms:REGION:ACCOUNT:KeyId:ID): create-key is decided on the new key's URN,
// list-keys on every key's (KeyId:*), gen-random on "*" only (Huawei gives it
// no resource type), and a statement for one key allows that key alone.
func TestHuaweiIAMResources(t *testing.T) {
	dir := t.TempDir()
	doc := `{"Version":"5.0","Statement":[
		{"Effect":"Allow","Action":["kms:cmk:create","kms:cmk:list","kms::generateRandom"],"Resource":["kms:*:*:KeyId:*"]}]}`
	k := newTestKMS(t, Options{DataDir: dir, HuaweiPolicies: [][]byte{[]byte(doc)}, Region: "cn-north-4"})
	a := k.createKey(t, "AES_256", "", "")
	b := k.createKey(t, "AES_256", "", "")
	require.Equal(t, 2, k.keyCount(t))
	status, body := k.post(t, "gen-random", js(map[string]any{"random_data_length": "64"}))
	require.Equal(t, http.StatusForbidden, status, "%s", body)
	require.Contains(t, string(body), `on resource: * because no identity-based policy allows the kms::generateRandom action`)
	status, body = k.post(t, "describe-key", js(map[string]any{"key_id": a}))
	require.Equal(t, http.StatusForbidden, status, "%s", body)
	require.Contains(t, string(body), `on resource: kms:cn-north-4:000000000000:KeyId:`+a+` because`)
	require.NoError(t, k.srv.Close())

	one := `{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["kms:cmk:*"],"Resource":["kms:cn-north-4:000000000000:KeyId:` + a + `"]}]}`
	k = newTestKMS(t, Options{DataDir: dir, HuaweiPolicies: [][]byte{[]byte(one)}, Region: "cn-north-4"})
	status, body = k.post(t, "describe-key", js(map[string]any{"key_id": a}))
	require.Equal(t, http.StatusOK, status, "%s", body)
	status, body = k.post(t, "describe-key", js(map[string]any{"key_id": b}))
	require.Equal(t, http.StatusForbidden, status, "%s", body)
	status, body = k.post(t, "create-key", js(map[string]any{"key_alias": "x"}))
	require.Equal(t, http.StatusForbidden, status, "%s", body)
}
