package policy

import (
	"errors"
	"strings"
	"testing"
)

// stmt is a valid AWS statement to build bad documents around.
const stmt = `{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}`

func stmtWith(field string) string {
	return `{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*",` + field + `}`
}

func condWith(cond string) string {
	return awsDoc(stmtWith(`"Condition":` + cond))
}

func nested(depth int) string {
	return strings.Repeat(`[`, depth) + strings.Repeat(`]`, depth)
}

var awsRejected = []struct {
	name, doc string
	where     string // a part of the error message: the path or the reason
}{
	{"empty document", ``, "end of document"},
	{"not JSON", `Version: 2012-10-17`, "syntax"},
	{"array", `[]`, "want an object"},
	{"string", `"x"`, "want an object"},
	{"trailing data", awsDoc(stmt) + `{}`, "after the document"},
	{"trailing garbage", awsDoc(stmt) + `x`, "after the document"},
	{"truncated", awsDoc(stmt)[:40], "end of document"},
	{"oversized", `{"Version":"2012-10-17","Id":"` + strings.Repeat("x", maxAWSSize) + `","Statement":[` + stmt + `]}`, "over the limit"},
	{"too deep", `{"Version":"2012-10-17","Statement":[` + stmtWith(`"Sid":`+nested(10)) + `]}`, "nested deeper"},
	{"too many statements", awsDoc(strings.TrimSuffix(strings.Repeat(stmt+",", maxStatements+1), ",")), "more than 128 statements"},
	{"too many values", awsDoc(stmtWith(`"Condition":{"StringEquals":{"kms:EncryptionContext:a":[` +
		strings.TrimSuffix(strings.Repeat(`"x",`, maxList+1), ",") + `]}}`)), "more than 256 values"},
	{"too many nodes", `{"Version":"2012-10-17","Id":[` + strings.TrimSuffix(strings.Repeat(`[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],`, 250), ",") + `],"Statement":[]}`, "more than 4096"},
	{"long string", awsDoc(stmtWith(`"Sid":"` + strings.Repeat("s", maxString+1) + `"`)), "over 2048 bytes"},
	{"duplicate top-level key", `{"Version":"2012-10-17","Version":"2012-10-17","Statement":[` + stmt + `]}`, `duplicate key "Version"`},
	{"duplicate statement key", awsDoc(`{"Effect":"Allow","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}`), `duplicate key "Effect"`},
	{"duplicate condition key", condWith(`{"StringEquals":{"kms:EncryptionContext:a":"x","kms:EncryptionContext:a":"y"}}`), "duplicate key"},
	{"condition key repeated in another case", condWith(`{"StringEquals":{"kms:EncryptionContext:a":"x","KMS:encryptioncontext:A":"y"}}`), "repeated"},
	{"invalid UTF-8", "{\"Version\":\"2012-10-17\",\"Id\":\"\xff\",\"Statement\":[" + stmt + "]}", "invalid UTF-8"},
	{"control character", "{\"Version\":\"2012-10-17\",\"Id\":\"a\x01\",\"Statement\":[" + stmt + "]}", "not allowed"},
	{"escaped NUL", `{"Version":"2012-10-17","Id":"a\u0000","Statement":[` + stmt + `]}`, "not allowed"},
	{"unpaired surrogate", `{"Version":"2012-10-17","Id":"\ud800","Statement":[` + stmt + `]}`, "not allowed"},
	{"non-Latin-1 character", `{"Version":"2012-10-17","Id":"鍵","Statement":[` + stmt + `]}`, "not allowed"},
	{"escaped non-Latin-1 character", `{"Version":"2012-10-17","Id":"\u9375","Statement":[` + stmt + `]}`, "not allowed"},
	{"unknown top-level field", `{"Version":"2012-10-17","Statement":[` + stmt + `],"Comment":"x"}`, "document.Comment"},
	{"long unknown field", `{"Version":"2012-10-17","Statement":[` + stmt + `],"` + strings.Repeat("x", 1000) + `":1}`, `document["xxxx`},
	{"lower-case field", `{"version":"2012-10-17","Statement":[` + stmt + `]}`, "document.version"},
	{"missing Version", `{"Statement":[` + stmt + `]}`, "Version: missing"},
	{"bad Version", `{"Version":"2012-10-18","Statement":[` + stmt + `]}`, "Version: want"},
	{"Huawei Version", `{"Version":"1.1","Statement":[` + stmt + `]}`, "Version: want"},
	{"numeric Version", `{"Version":2012,"Statement":[` + stmt + `]}`, "Version: want a string"},
	{"Id not a string", `{"Version":"2012-10-17","Id":1,"Statement":[` + stmt + `]}`, "Id: want a string"},
	{"missing Statement", `{"Version":"2012-10-17"}`, "Statement: missing"},
	{"empty Statement", `{"Version":"2012-10-17","Statement":[]}`, "Statement: empty"},
	{"Statement string", `{"Version":"2012-10-17","Statement":"x"}`, "Statement: want"},
	{"statement not an object", awsDoc(`"x"`), "Statement[0]: want an object"},
	{"unknown statement field", awsDoc(stmtWith(`"Notes":"x"`)), "Statement[0].Notes"},
	{"missing Effect", awsDoc(`{"Principal":"*","Action":"kms:*","Resource":"*"}`), "Effect: missing"},
	{"bad Effect", awsDoc(`{"Effect":"allow","Principal":"*","Action":"kms:*","Resource":"*"}`), "Statement[0].Effect"},
	{"Effect not a string", awsDoc(`{"Effect":true,"Principal":"*","Action":"kms:*","Resource":"*"}`), "Statement[0].Effect"},
	{"missing Action", awsDoc(`{"Effect":"Allow","Principal":"*","Resource":"*"}`), "missing Action"},
	{"Action and NotAction", awsDoc(stmtWith(`"NotAction":"kms:Decrypt"`)), "both Action and NotAction"},
	{"missing Resource", awsDoc(`{"Effect":"Deny","Principal":"*","Action":"kms:*"}`), "missing Resource"},
	{"Resource and NotResource", awsDoc(stmtWith(`"NotResource":"*"`)), "both Resource and NotResource"},
	{"missing Principal", awsDoc(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`), "missing Principal"},
	{"Principal and NotPrincipal", awsDoc(stmtWith(`"NotPrincipal":"*"`)), "both Principal and NotPrincipal"},
	{"Sid not a string", awsDoc(stmtWith(`"Sid":1`)), "Statement[0].Sid"},
	{"Action number", awsDoc(`{"Effect":"Allow","Principal":"*","Action":1,"Resource":"*"}`), "Statement[0].Action: want"},
	{"Action empty array", awsDoc(`{"Effect":"Allow","Principal":"*","Action":[],"Resource":"*"}`), "Statement[0].Action: empty"},
	{"Action array with a number", awsDoc(`{"Effect":"Allow","Principal":"*","Action":["kms:Decrypt",1],"Resource":"*"}`), "Statement[0].Action[1]"},
	{"Action without service", awsDoc(`{"Effect":"Allow","Principal":"*","Action":"Decrypt","Resource":"*"}`), "malformed action"},
	{"Action in Huawei form", awsDoc(`{"Effect":"Allow","Principal":"*","Action":"kms:cmk:decrypt","Resource":"*"}`), "malformed action"},
	{"Action wildcard service", awsDoc(`{"Effect":"Allow","Principal":"*","Action":"k*:Decrypt","Resource":"*"}`), "malformed action"},
	{"Action empty name", awsDoc(`{"Effect":"Allow","Principal":"*","Action":"kms:","Resource":"*"}`), "malformed action"},
	{"Resource not an ARN", awsDoc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"key/1"}`), "Statement[0].Resource"},
	{"Resource short ARN", awsDoc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:*"}`), "Statement[0].Resource"},
	{"Resource policy variable", awsDoc(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:*:*:key/${aws:username}"}`), "policy variables"},
	{"Principal string", awsDoc(`{"Effect":"Allow","Principal":"111122223333","Action":"kms:*","Resource":"*"}`), "Statement[0].Principal"},
	{"Principal empty object", awsDoc(`{"Effect":"Allow","Principal":{},"Action":"kms:*","Resource":"*"}`), "Statement[0].Principal: empty"},
	{"Principal array", awsDoc(`{"Effect":"Allow","Principal":["*"],"Action":"kms:*","Resource":"*"}`), "Statement[0].Principal"},
	{"CanonicalUser", awsDoc(`{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df9"},"Action":"kms:*","Resource":"*"}`), "CanonicalUser"},
	{"unknown principal type", awsDoc(`{"Effect":"Allow","Principal":{"IAM":"x"},"Action":"kms:*","Resource":"*"}`), "unknown principal type"},
	{"principal with wildcard", awsDoc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"kms:*","Resource":"*"}`), "malformed AWS principal"},
	{"short account", awsDoc(`{"Effect":"Allow","Principal":{"AWS":"11112222333"},"Action":"kms:*","Resource":"*"}`), "malformed AWS principal"},
	{"principal group", awsDoc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:group/g"},"Action":"kms:*","Resource":"*"}`), "malformed AWS principal"},
	{"principal with region", awsDoc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam:us-east-1:111122223333:root"},"Action":"kms:*","Resource":"*"}`), "malformed AWS principal"},
	{"principal role without name", awsDoc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/"},"Action":"kms:*","Resource":"*"}`), "malformed AWS principal"},
	{"Service wildcard", awsDoc(`{"Effect":"Allow","Principal":{"Service":"*"},"Action":"kms:*","Resource":"*"}`), "malformed principal"},
	{"Condition not an object", condWith(`[]`), "Statement[0].Condition: want an object"},
	{"empty Condition", condWith(`{}`), "Statement[0].Condition: empty"},
	{"unknown operator", condWith(`{"StringEqualz":{"kms:EncryptionContext:a":"x"}}`), "Statement[0].Condition.StringEqualz: unsupported condition operator"},
	{"operator in another case", condWith(`{"stringequals":{"kms:EncryptionContext:a":"x"}}`), "unsupported condition operator"},
	{"numeric operator", condWith(`{"NumericLessThan":{"kms:EncryptionContext:a":"1"}}`), "unsupported condition operator"},
	{"date operator", condWith(`{"DateGreaterThan":{"kms:EncryptionContext:a":"2020-01-01T00:00:00Z"}}`), "unsupported condition operator"},
	{"IP operator", condWith(`{"IpAddress":{"kms:EncryptionContext:a":"203.0.113.0/24"}}`), "unsupported condition operator"},
	{"Huawei operator", condWith(`{"StringMatch":{"kms:EncryptionContext:a":"x*"}}`), "unsupported condition operator"},
	{"NullIfExists", condWith(`{"NullIfExists":{"kms:EncryptionContext:a":"true"}}`), "unsupported condition operator"},
	{"ForAnyValue:Null", condWith(`{"ForAnyValue:Null":{"kms:EncryptionContext:a":"true"}}`), "unsupported condition operator"},
	{"double qualifier", condWith(`{"ForAnyValue:ForAllValues:StringEquals":{"kms:EncryptionContext:a":"x"}}`), "unsupported condition operator"},
	{"operator block empty", condWith(`{"StringEquals":{}}`), "StringEquals: empty"},
	{"operator block array", condWith(`{"StringEquals":["x"]}`), "StringEquals: want an object"},
	{"unknown key namespace", condWith(`{"StringEquals":{"s3:prefix":"x"}}`), `["s3:prefix"]: unsupported condition key`},
	{"unsupported AWS key", condWith(`{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`), "unsupported condition operator"},
	{"unsupported global key", condWith(`{"StringEquals":{"aws:SourceVpce":"vpce-1"}}`), "unsupported condition key"},
	{"unsupported KMS key", condWith(`{"StringEquals":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}}`), "unsupported condition key"},
	{"NitroTPM key", condWith(`{"StringEquals":{"kms:RecipientAttestation:NitroTPMPCR4":"ab"}}`), "unsupported condition key"},
	{"PCR out of range", condWith(`{"StringEquals":{"kms:RecipientAttestation:PCR32":"ab"}}`), "unsupported condition key"},
	{"PCR leading zero", condWith(`{"StringEquals":{"kms:RecipientAttestation:PCR01":"ab"}}`), "unsupported condition key"},
	{"Huawei key in AWS", condWith(`{"StringEquals":{"kms:RecipientAttestation/PCR0":"ab"}}`), "unsupported condition key"},
	{"empty encryption context key", condWith(`{"StringEquals":{"kms:EncryptionContext:":"x"}}`), "unsupported condition key"},
	{"value null", condWith(`{"StringEquals":{"kms:EncryptionContext:a":null}}`), "want a string, number or boolean"},
	{"value object", condWith(`{"StringEquals":{"kms:EncryptionContext:a":{"x":"y"}}}`), "want a string, number or boolean"},
	{"value empty array", condWith(`{"StringEquals":{"kms:EncryptionContext:a":[]}}`), "empty array"},
	{"value nested array", condWith(`{"StringEquals":{"kms:EncryptionContext:a":[["x"]]}}`), `["kms:EncryptionContext:a"][0]`},
	{"policy variable in value", condWith(`{"StringLike":{"kms:EncryptionContext:a":"${aws:username}/*"}}`), "policy variables"},
	{"Bool value", condWith(`{"Bool":{"kms:EncryptionContext:a":"yes"}}`), `want "true" or "false"`},
	{"Null value", condWith(`{"Null":{"kms:EncryptionContext:a":"1"}}`), `want "true" or "false"`},
	{"Null two values", condWith(`{"Null":{"kms:EncryptionContext:a":["true","false"]}}`), "Null takes one value"},
	{"ARN value", condWith(`{"ArnLike":{"aws:PrincipalArn":"role/*"}}`), "want \"*\" or an ARN"},
}

func TestParseAWSRejects(t *testing.T) {
	for _, tc := range awsRejected {
		p, err := ParseAWS([]byte(tc.doc))
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if !errors.Is(err, ErrInvalid) || p != nil {
			t.Errorf("%s: got %v, %v; want nil, ErrInvalid", tc.name, p, err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "policy: ") || !strings.Contains(msg, tc.where) {
			t.Errorf("%s: error %q does not say %q", tc.name, msg, tc.where)
		}
		if len(msg) > 400 {
			t.Errorf("%s: error of %d bytes echoes the input", tc.name, len(msg))
		}
	}
}

func huaweiDoc(version, statements string) string {
	return `{"Version":"` + version + `","Statement":[` + statements + `]}`
}

const hstmt = `{"Effect":"Allow","Action":["kms:cmk:decrypt"]}`

var huaweiRejected = []struct {
	name, doc string
	where     string
}{
	{"oversized", `{"Version":"5.0","Statement":[{"Sid":"` + strings.Repeat("x", maxHuaweiSize) + `","Effect":"Allow","Action":["kms:*:*"]}]}`, "over the limit"},
	{"AWS version", huaweiDoc("2012-10-17", hstmt), "Version: want"},
	{"version 1.0", huaweiDoc("1.0", hstmt), "Version: want"},
	{"missing Version", `{"Statement":[` + hstmt + `]}`, "Version: missing"},
	{"Id", `{"Version":"5.0","Id":"x","Statement":[` + hstmt + `]}`, "document.Id"},
	{"Statement object", `{"Version":"5.0","Statement":` + hstmt + `}`, "Statement: want an array"},
	{"empty Statement", huaweiDoc("5.0", ``), "Statement: empty"},
	{"Principal", huaweiDoc("5.0", `{"Effect":"Allow","Action":["kms:*:*"],"Principal":{"IAM":["x"]}}`), "Statement[0].Principal: field not allowed in a Huawei 5.0 statement"},
	{"NotAction in 1.1", huaweiDoc("1.1", `{"Effect":"Allow","NotAction":["kms:cmk:decrypt"]}`), "Statement[0].NotAction: field not allowed in a Huawei 1.1 statement"},
	{"NotResource in 1.1", huaweiDoc("1.1", `{"Effect":"Allow","Action":["kms:*:*"],"NotResource":["*"]}`), "not allowed in a Huawei 1.1"},
	{"Sid in 1.1", huaweiDoc("1.1", `{"Sid":"x","Effect":"Allow","Action":["kms:*:*"]}`), "Statement[0].Sid: field not allowed"},
	{"missing Action", huaweiDoc("5.0", `{"Effect":"Allow"}`), "missing Action"},
	{"bad Effect", huaweiDoc("5.0", `{"Effect":"Permit","Action":["kms:*:*"]}`), "Statement[0].Effect"},
	{"AWS action", huaweiDoc("5.0", `{"Effect":"Allow","Action":["kms:cmk:de:crypt"]}`), "malformed action"},
	{"action empty operation", huaweiDoc("5.0", `{"Effect":"Allow","Action":["kms:cmk:"]}`), "malformed action"},
	{"resource not a URN", huaweiDoc("5.0", `{"Effect":"Allow","Action":["kms:*:*"],"Resource":["KeyId:1"]}`), "Statement[0].Resource"},
	{"resource variable", huaweiDoc("5.0", `{"Effect":"Allow","Action":["kms:*:*"],"Resource":["kms:*:${g:DomainId}:KeyId:*"]}`), "policy variables"},
	{"AWS key", huaweiDoc("5.0", `{"Effect":"Allow","Action":["kms:*:*"],"Condition":{"StringEquals":{"kms:RecipientAttestation:PCR0":["ab"]}}}`), "unsupported condition key"},
	{"global key", huaweiDoc("5.0", `{"Effect":"Allow","Action":["kms:*:*"],"Condition":{"StringEndWithIfExists":{"g:UserName":["x"]}}}`), "unsupported condition operator"},
	{"g: key", huaweiDoc("5.0", `{"Effect":"Allow","Action":["kms:*:*"],"Condition":{"StringEquals":{"g:UserName":["x"]}}}`), "unsupported condition key"},
	{"StringLike", huaweiDoc("5.0", `{"Effect":"Allow","Action":["kms:*:*"],"Condition":{"StringLike":{"kms:RecipientAttestation/PCR0":["a*"]}}}`), "unsupported condition operator"},
	{"StringStartWith", huaweiDoc("1.1", `{"Effect":"Allow","Action":["kms:*:*"],"Condition":{"StringStartWith":{"kms:RecipientAttestation/PCR0":["a"]}}}`), "unsupported condition operator"},
	{"ArnLike", huaweiDoc("5.0", `{"Effect":"Allow","Action":["kms:*:*"],"Condition":{"ArnLike":{"kms:RecipientAttestation/PCR0":["*"]}}}`), "unsupported condition operator"},
	{"NumberEquals", huaweiDoc("5.0", `{"Effect":"Allow","Action":["kms:*:*"],"Condition":{"NumberEquals":{"kms:RecipientAttestation/PCR0":["1"]}}}`), "unsupported condition operator"},
	{"value variable", huaweiDoc("5.0", `{"Effect":"Allow","Action":["kms:*:*"],"Condition":{"StringEquals":{"kms:RecipientAttestation/PCR0":["${g:x}"]}}}`), "policy variables"},
	{"non-Latin-1 is fine but not control characters", huaweiDoc("5.0", "{\"Sid\":\"鍵\x7f\",\"Effect\":\"Allow\",\"Action\":[\"kms:*:*\"]}"), "not allowed"},
}

func TestParseHuaweiRejects(t *testing.T) {
	for _, tc := range huaweiRejected {
		p, err := ParseHuawei([]byte(tc.doc))
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if !errors.Is(err, ErrInvalid) || p != nil {
			t.Errorf("%s: got %v, %v; want nil, ErrInvalid", tc.name, p, err)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "policy: ") || !strings.Contains(msg, tc.where) {
			t.Errorf("%s: error %q does not say %q", tc.name, msg, tc.where)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	for _, doc := range []string{
		// Statement as a single object; Version 2008-10-17 keeps ${...}
		// as literal text.
		`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:*:*:key/${x}"}}`,
		// Key policy Sids may hold spaces; Latin-1 is allowed.
		awsDoc(stmtWith(`"Sid":"Allow use of the key by Zoë"`)),
		awsDoc(stmtWith(`"Condition":{"StringEquals":{"kms:EncryptionContext:a":["x",1,true]}}`)),
		awsDoc(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::111122223333:federated-user/bob","arn:aws:sts::111122223333:assumed-role/r/s"]},"Action":"kms:*","Resource":"*"}`),
		awsDoc(`{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws-cn:iam::111122223333:root"],"Service":["ec2.amazonaws.com"],"Federated":"cognito-identity.amazonaws.com"},"Action":["kms:Decrypt","kms:*"],"Resource":["*","arn:aws:kms:*:*:key/*"]}`),
		`{"Version":"2012-10-17","Statement":[` + strings.TrimSuffix(strings.Repeat(stmt+",", maxStatements), ",") + `]}`,
		"{\"Version\":\"2012-10-17\",\r\n\t\"Statement\":[" + stmt + "]}\n",
	} {
		if _, err := ParseAWS([]byte(doc)); err != nil {
			t.Errorf("%v\n%s", err, doc)
		}
	}
	for _, doc := range []string{
		huaweiDoc("1.1", hstmt),
		huaweiDoc("5.0", `{"Sid":"鍵","Effect":"Deny","NotAction":"kms:cmk:create","NotResource":"kms:*:*:KeyId:*"}`),
		huaweiDoc("5.0", `{"Effect":"Allow","Action":["kms:*","kms::generateRandom","*"],"Condition":{"ForAnyValue:StringNotEquals":{"kms:RecipientAttestation/PCR0":["a","b"]},"Null":{"kms:RecipientAttestation/PCR8":["false"]}}}`),
	} {
		if _, err := ParseHuawei([]byte(doc)); err != nil {
			t.Errorf("%v\n%s", err, doc)
		}
	}
}
