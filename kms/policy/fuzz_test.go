package policy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzRequests exercise every part of a statement: principals of several
// shapes, actions of both dialects, ARNs and URNs, attestation and
// encryption-context keys, and an ambiguous context.
var fuzzRequests = []Request{
	{},
	decrypt(enclave, map[string][]string{"kms:RecipientAttestation:ImageSha384": {image}, "kms:RecipientAttestation:PCR0": {image}}),
	decrypt("arn:aws:sts::111122223333:assumed-role/data-processing/s", map[string][]string{"kms:EncryptionContext:dept": {"a", "b"}, "kms:EncryptionContextKeys": {}}),
	{Principal: root, Account: account, Action: "kms:PutKeyPolicy", Resource: keyARN},
	{Principal: "arn:aws:iam::444455556666:user/bob", Account: "444455556666", Action: "kms:GenerateDataKey", Resource: "arn:aws:kms:eu-west-1:444455556666:alias/x"},
	{Action: "kms:cmk:decrypt", Resource: keyURN, Context: map[string][]string{"kms:RecipientAttestation/PCR0": {image}, "kms:RecipientAttestation/PCR8": {pcr8}}},
	{Action: "kms::generateRandom", Resource: "kms:*:*:KeyId:*", Context: map[string][]string{"kms:recipientattestation/pcr0": {image}, "KMS:RecipientAttestation/PCR0": {image}}},
	{Principal: "arn:", Account: "1", Action: "kms:", Resource: ":::::", Context: map[string][]string{"": {""}, "aws:PrincipalArn": {"x"}}},
}

func fuzzSeeds(f *testing.F, prefix string, extra ...string) {
	names, err := filepath.Glob(filepath.Join("testdata", prefix+"*.json"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no seeds for %s: %v", prefix, err)
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

func fuzzCheck(t *testing.T, doc []byte, parse func([]byte) (*Policy, error)) {
	in := bytes.Clone(doc)
	p, err := parse(doc)
	if !bytes.Equal(in, doc) {
		t.Fatal("parse modified its input")
	}
	if err != nil {
		if p != nil {
			t.Fatalf("result beside error %v", err)
		}
		if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "policy: ") {
			t.Fatalf("error %v does not wrap ErrInvalid", err)
		}
		return
	}
	if !bytes.Equal(p.Bytes(), doc) {
		t.Fatal("Bytes differs from the document")
	}
	for _, req := range fuzzRequests {
		d := p.Decide(req)
		if d != NotApplicable && d != Allow && d != Deny {
			t.Fatalf("Decide returned %d", d)
		}
		if again := p.Decide(req); again != d {
			t.Fatalf("Decide is not deterministic: %v then %v", d, again)
		}
		if e := Evaluate(req, p, p); e != d {
			t.Fatalf("Evaluate(p, p) = %v, Decide = %v", e, d)
		}
	}
}

func FuzzParseAWS(f *testing.F) {
	fuzzSeeds(f, "aws-",
		awsDoc(stmt),
		condWith(`{"ForAllValues:StringNotLikeIfExists":{"kms:EncryptionContext:dept":["a*","?b"]},"Null":{"kms:EncryptionContextKeys":"false"}}`),
		condWith(`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"},"Bool":{"kms:EncryptionContext:x":true}}`),
		awsDoc(`{"Effect":"Deny","NotPrincipal":{"AWS":["111122223333","arn:aws:iam::111122223333:role/r"]},"NotAction":"kms:Get*","NotResource":"arn:aws:kms:*:*:key/*"}`),
	)
	f.Fuzz(func(t *testing.T, doc []byte) { fuzzCheck(t, doc, ParseAWS) })
}

func FuzzParseHuawei(f *testing.F) {
	fuzzSeeds(f, "huawei-",
		huaweiDoc("5.0", `{"Effect":"Allow","NotAction":["kms:cmk:create"],"NotResource":["kms:*:*:KeyId:*"],"Condition":{"ForAnyValue:StringNotMatch":{"kms:RecipientAttestation/PCR0":["a*"]}}}`),
		huaweiDoc("1.1", `{"Effect":"Deny","Action":["kms:*:*"],"Condition":{"StringNotEqualsIgnoreCaseIfExists":{"kms:RecipientAttestation/PCR8":["x"]}}}`),
	)
	f.Fuzz(func(t *testing.T, doc []byte) { fuzzCheck(t, doc, ParseHuawei) })
}
