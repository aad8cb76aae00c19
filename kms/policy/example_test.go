package policy_test

import (
	"fmt"

	"github.com/qtenclave/qtenclave/kms/policy"
)

// A key policy in the shape AWS documents for Nitro Enclaves: the account
// may do everything but Decrypt, and the data-processing role may Decrypt
// only for an enclave whose image digest (PCR0) is the one expected.
const nitroKeyPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions except Decrypt",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "NotAction": "kms:Decrypt",
      "Resource": "*"
    },
    {
      "Sid": "Enable enclave data processing",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/data-processing"},
      "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:GenerateRandom"],
      "Resource": "*",
      "Condition": {
        "StringEqualsIgnoreCase": {
          "kms:RecipientAttestation:ImageSha384": "26468427d9c6bec72b3146f8e66ba3017d7ad878a47e078f1d6daa986c1596c3115cec857f8e721a72f23be759e81877"
        }
      }
    }
  ]
}`

func Example() {
	p, err := policy.ParseAWS([]byte(nitroKeyPolicy))
	if err != nil {
		fmt.Println(err)
		return
	}
	req := policy.Request{
		Principal: "arn:aws:iam::111122223333:role/data-processing",
		Account:   "111122223333",
		Action:    "kms:Decrypt",
		Resource:  "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	}
	fmt.Println("without attestation:", p.Decide(req))

	// After verifying the Recipient's attestation document, the KMS puts
	// its measurements into the request context.
	req.Context = map[string][]string{
		"kms:RecipientAttestation:ImageSha384": {"26468427D9C6BEC72B3146F8E66BA3017D7AD878A47E078F1D6DAA986C1596C3115CEC857F8E721A72F23BE759E81877"},
	}
	fmt.Println("with the expected image:", p.Decide(req))

	req.Context["kms:RecipientAttestation:ImageSha384"] = []string{"b190dd394825042100c0a2aa476fdff69d3cb63e9d4dfcbe93b360f7d33713aa8184f18fb5dcb20120768dd0efa2a32b"}
	fmt.Println("with another image:", p.Decide(req))
	// Output:
	// without attestation: NotApplicable
	// with the expected image: Allow
	// with another image: NotApplicable
}

// ParseHuawei reads a QingTian-style identity policy; actions are Huawei's
// and the attestation keys are spelled kms:RecipientAttestation/PCR<n>.
func ExampleParseHuawei() {
	p, err := policy.ParseHuawei([]byte(`{
	  "Version": "1.1",
	  "Statement": [{
	    "Effect": "Allow",
	    "Action": ["kms:cmk:decrypt", "kms:dek:decrypt"],
	    "Resource": "*",
	    "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation/PCR0": ["26468427d9c6bec72b3146f8e66ba3017d7ad878a47e078f1d6daa986c1596c3115cec857f8e721a72f23be759e81877"]}}
	  }]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	req := policy.Request{Action: "kms:dek:decrypt", Resource: "kms:cn-north-4:0123456789abcdef0123456789abcdef:KeyId:0d0466b0-e727-4d9c-b35d-f84bb474a37f"}
	fmt.Println(p.Decide(req))
	req.Context = map[string][]string{"kms:RecipientAttestation/PCR0": {"26468427d9c6bec72b3146f8e66ba3017d7ad878a47e078f1d6daa986c1596c3115cec857f8e721a72f23be759e81877"}}
	fmt.Println(p.Decide(req))
	// Output:
	// NotApplicable
	// Allow
}

// Grammar the engine does not evaluate is refused, naming the construct.
func ExampleParseAWS_refused() {
	_, err := policy.ParseAWS([]byte(`{
	  "Version": "2012-10-17",
	  "Statement": [{
	    "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
	    "Condition": {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}
	  }]
	}`))
	fmt.Println(err)
	// Output:
	// policy: invalid document: Statement[0].Condition.NotIpAddress: unsupported condition operator
}

// Evaluate combines a key policy with other policies: an explicit Deny
// anywhere wins.
func ExampleEvaluate() {
	keyPolicy, _ := policy.ParseAWS([]byte(`{"Version": "2012-10-17", "Statement": [
	  {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "kms:*", "Resource": "*"}]}`))
	guard, _ := policy.ParseAWS([]byte(`{"Version": "2012-10-17", "Statement": [
	  {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
	   "Condition": {"Null": {"kms:RecipientAttestation:ImageSha384": "true"}}}]}`))
	req := policy.Request{
		Principal: "arn:aws:iam::111122223333:user/alice",
		Account:   "111122223333",
		Action:    "kms:Decrypt",
		Resource:  "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	}
	fmt.Println(policy.Evaluate(req, keyPolicy))
	fmt.Println(policy.Evaluate(req, keyPolicy, guard))
	// Output:
	// Allow
	// Deny
}
