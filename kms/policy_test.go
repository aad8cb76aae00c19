package kms

import (
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/recipient"
)

// The policy table: every operation that can release a secret, on both
// front ends, against every kind of recipient and every kind of policy. No
// cell may return a secret (in plaintext or sealed) unless the policy allows
// it, and each cell's answer is exactly the one expected.

// testPCR is a PCR value of the attestation test authority's default
// documents: the SHA-384 of "qtenclave test PCR<n>".
func testPCR(n int) []byte {
	h := sha512.Sum384([]byte(fmt.Sprintf("qtenclave test PCR%d", n)))
	return h[:]
}

// secretActions are the AWS actions that release a secret (those that take
// a Recipient).
const secretActionsJSON = `["kms:Decrypt","kms:DeriveSharedSecret","kms:GenerateDataKey","kms:GenerateDataKeyPair"]`

// attestedPolicy is a key policy in the shape AWS documents for enclaves:
// the account may do everything but release secrets, and may release them
// only to a recipient whose attestation document carries the value of key.
func attestedPolicy(key, value string) string {
	return `{"Version":"2012-10-17","Statement":[
 {"Sid":"Administration","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"NotAction":` + secretActionsJSON + `,"Resource":"*"},
 {"Sid":"Attested use","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":` + secretActionsJSON + `,"Resource":"*",
  "Condition":{"StringEqualsIgnoreCase":{"` + key + `":"` + value + `"}}}]}`
}

// denyPolicy is the default key policy plus an unconditional Deny of the
// secret-releasing actions, for everyone.
const denyPolicy = `{"Version":"2012-10-17","Statement":[
 {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kms:*","Resource":"*"},
 {"Sid":"No secrets","Effect":"Deny","Principal":"*","Action":` + secretActionsJSON + `,"Resource":"*"}]}`

// iamAttestedPolicy is a Huawei IAM policy (1.1) in the shape Huawei
// documents for QingTian enclaves: the setup actions, and the
// secret-releasing ones only with the enclave's PCR0.
func iamAttestedPolicy(pcr0 string) string {
	return `{"Version":"1.1","Statement":[
 {"Effect":"Allow","Action":["kms:cmk:create","kms:cmk:get","kms:cmk:list","kms:cmk:getPublicKey","kms:cmk:encrypt","kms:dek:encrypt"]},
 {"Effect":"Allow","Action":["kms:cmk:decrypt","kms:dek:decrypt","kms:dek:create","kms:cmk:createDataKeyPair","kms:cmk:deriveSharedSecret","kms:cmk:generate"],"Resource":["*"],
  "Condition":{"StringEqualsIgnoreCase":{"kms:RecipientAttestation/PCR0":["` + pcr0 + `"]}}}]}`
}

// iamDenyPolicy (5.0) allows everything and denies the secret-releasing
// actions, by their identity-policy names.
const iamDenyPolicy = `{"Version":"5.0","Statement":[
 {"Effect":"Allow","Action":["kms:*:*"],"Resource":["*"]},
 {"Effect":"Deny","Action":["kms:cmk:decryptData","kms:cmk:decryptDataKey","kms:cmk:createDataKey","kms:cmk:createDataKeyPair","kms:cmk:deriveSharedSecret","kms::generateRandom"],"Resource":["*"]}]}`

// policyColumn is one policy of the table.
type policyColumn int

const (
	colNone        policyColumn = iota // the default key policy
	colPCR0                            // attestedPolicy on kms:RecipientAttestation:PCR0
	colImage                           // attestedPolicy on kms:RecipientAttestation:ImageSha384
	colDeny                            // denyPolicy
	colShorthand                       // create-key's recipient_attestation {"PCR0": ...}
	colIAMAttested                     // default key policy; iamAttestedPolicy (Huawei callers)
	colIAMDeny                         // default key policy; iamDenyPolicy (Huawei callers)
)

var columnNames = []string{"no policy", "PCR0 condition", "ImageSha384 condition", "explicit Deny", "recipient_attestation", "IAM PCR0 condition", "IAM explicit Deny"}

func (c policyColumn) iam() bool { return c >= colIAMAttested }

// docKind is the recipient of a cell.
type docKind int

const (
	docNone      docKind = iota // no recipient
	docMatch                    // a valid document with the policy's PCR0
	docWrongPCR                 // a valid document with another PCR0
	docWrongRoot                // a document of an untrusted root
	docExpired                  // a document whose leaf certificate expired
	docTampered                 // a document whose signature does not verify
)

var docNames = []string{"no recipient", "matching document", "wrong PCR", "wrong root", "expired", "tampered"}

// outcome is what a cell must answer.
type outcome int

const (
	outPlain    outcome = iota // 200 with the secret in plaintext
	outSealed                  // 200 with the secret sealed to the enclave, and no plaintext
	outImplicit                // denied: no policy allows it
	outExplicit                // denied: a policy denies it
	outRejected                // the document fails verification (attestation error)
)

// expect is the table's rule. keyless is an operation on no key
// (GenerateRandom), which only IAM policies decide.
func expect(col policyColumn, doc docKind, keyless bool) outcome {
	switch doc {
	case docWrongRoot, docExpired, docTampered:
		return outRejected // verified before any policy is evaluated
	}
	if keyless && !col.iam() {
		col = colNone // no key, no key policy
	}
	switch col {
	case colPCR0, colImage, colIAMAttested:
		if doc == docMatch {
			return outSealed
		}
		return outImplicit
	case colDeny, colIAMDeny:
		return outExplicit
	case colShorthand:
		if doc == docMatch {
			return outSealed
		}
		return outExplicit
	}
	if doc == docNone {
		return outPlain
	}
	return outSealed
}

// tableKeys are the keys and ciphertexts of one column.
type tableKeys struct {
	sym, agree string // AES_256 ENCRYPT_DECRYPT and EC_P256 KEY_AGREEMENT
	blob       string // base64 of Encrypt("table secret") under sym
	dekHex     string // hex of encrypt-datakey of a 32-byte DEK under sym
}

// tableOp is one operation that can release a secret.
type tableOp struct {
	aws     bool
	name    string
	keyless bool
	action  string // the action named in a denial: AWS's, or Huawei's for IAM denials
	hwIAM   string
	body    func(keys *tableKeys, r any) string
	plain   []string // the fields that carry the secret without a recipient
	secretN int      // the length of the secret, or 0 for a PKCS#8 private key
}

func tableOps(peerSPKI string) []tableOp {
	withR := func(m map[string]any, field string, r any) string {
		if r != nil {
			m[field] = r
		}
		return js(m)
	}
	return []tableOp{
		{aws: true, name: "Decrypt", action: "kms:Decrypt", secretN: len("table secret"), plain: []string{"Plaintext"},
			body: func(k *tableKeys, r any) string {
				return withR(map[string]any{"CiphertextBlob": k.blob}, "Recipient", r)
			}},
		{aws: true, name: "GenerateDataKey", action: "kms:GenerateDataKey", secretN: 32, plain: []string{"Plaintext"},
			body: func(k *tableKeys, r any) string {
				return withR(map[string]any{"KeyId": k.sym, "KeySpec": "AES_256"}, "Recipient", r)
			}},
		{aws: true, name: "GenerateDataKeyPair", action: "kms:GenerateDataKeyPair", plain: []string{"PrivateKeyPlaintext"},
			body: func(k *tableKeys, r any) string {
				return withR(map[string]any{"KeyId": k.sym, "KeyPairSpec": "ECC_NIST_P256"}, "Recipient", r)
			}},
		{aws: true, name: "GenerateRandom", keyless: true, action: "kms:GenerateRandom", secretN: 32, plain: []string{"Plaintext"},
			body: func(k *tableKeys, r any) string {
				return withR(map[string]any{"NumberOfBytes": 32}, "Recipient", r)
			}},
		{aws: true, name: "DeriveSharedSecret", action: "kms:DeriveSharedSecret", secretN: 32, plain: []string{"SharedSecret"},
			body: func(k *tableKeys, r any) string {
				return withR(map[string]any{"KeyId": k.agree, "KeyAgreementAlgorithm": "ECDH", "PublicKey": peerSPKI}, "Recipient", r)
			}},
		{name: "derive-shared-secret", action: "kms:DeriveSharedSecret", hwIAM: "kms:cmk:deriveSharedSecret", secretN: 32, plain: []string{"shared_secret"},
			body: func(k *tableKeys, r any) string {
				return withR(map[string]any{"key_id": k.agree, "key_agreement_algorithm": "ECDH", "public_key": peerSPKI}, "recipient", r)
			}},
		{name: "create-ec-datakey-pair", action: "kms:GenerateDataKeyPair", hwIAM: "kms:cmk:createDataKeyPair", plain: []string{"private_key_plain_text"},
			body: func(k *tableKeys, r any) string {
				return withR(map[string]any{"key_id": k.sym, "key_spec": "ECC_NIST_P256"}, "recipient", r)
			}},
		{name: "create-rsa-datakey-pair", action: "kms:GenerateDataKeyPair", hwIAM: "kms:cmk:createDataKeyPair", plain: []string{"private_key_plain_text"},
			body: func(k *tableKeys, r any) string {
				return withR(map[string]any{"key_id": k.sym, "key_spec": "RSA_2048"}, "recipient", r)
			}},
		{name: "create-datakey", action: "kms:GenerateDataKey", hwIAM: "kms:cmk:createDataKey", secretN: 32, plain: []string{"plain_text"},
			body: func(k *tableKeys, r any) string {
				return withR(map[string]any{"key_id": k.sym, "key_spec": "AES_256"}, "recipient", r)
			}},
		{name: "decrypt-data", action: "kms:Decrypt", hwIAM: "kms:cmk:decryptData", secretN: len("table secret"), plain: []string{"plain_text", "plain_text_base64"},
			body: func(k *tableKeys, r any) string {
				return withR(map[string]any{"cipher_text": k.blob}, "recipient", r)
			}},
		{name: "decrypt-datakey", action: "kms:Decrypt", hwIAM: "kms:cmk:decryptDataKey", secretN: 32, plain: []string{"data_key", "datakey_dgst"},
			body: func(k *tableKeys, r any) string {
				return withR(map[string]any{"key_id": k.sym, "cipher_text": k.dekHex, "datakey_cipher_length": "32"}, "recipient", r)
			}},
		{name: "gen-random", keyless: true, action: "kms:GenerateRandom", hwIAM: "kms::generateRandom", secretN: 32, plain: []string{"random_data"},
			body: func(k *tableKeys, r any) string {
				return withR(map[string]any{"random_data_length": "256"}, "recipient", r)
			}},
	}
}

// TestPolicyTable runs every cell of operation × recipient × policy.
func TestPolicyTable(t *testing.T) {
	e := newEnclave(t)
	pcr0 := hex.EncodeToString(testPCR(0))
	roots := []*x509.Certificate{attestationtest.Root()}
	k := newTestKMS(t, Options{Roots: roots})
	iamAttested := newTestKMS(t, Options{Roots: roots, HuaweiPolicies: [][]byte{[]byte(iamAttestedPolicy(pcr0))}})
	iamDeny := newTestKMS(t, Options{Roots: roots, HuaweiPolicies: [][]byte{[]byte(iamDenyPolicy)}})

	peer, err := keyspec.ParsePrivateKey(readTestKey(t, "test_p256_key.pem"))
	require.NoError(t, err)
	peerSPKI := b64(peer.PublicKey().MarshalPKIX())

	// The recipients: one document of each kind, in both wire shapes.
	other := map[int][]byte{0: testPCR(100), 1: testPCR(1), 2: testPCR(2)}
	docs := []string{
		docMatch:     e.document(t, nil),
		docWrongPCR:  e.document(t, func(o *attestationtest.Options) { o.PCRs = other }),
		docWrongRoot: e.document(t, func(o *attestationtest.Options) { o.Malformation = attestationtest.UntrustedRoot }),
		docExpired:   e.document(t, func(o *attestationtest.Options) { o.Malformation = attestationtest.ExpiredLeaf }),
		docTampered:  e.document(t, func(o *attestationtest.Options) { o.Malformation = attestationtest.TamperedSignature }),
	}
	recipientOf := func(aws bool, d docKind) any {
		if d == docNone {
			return nil
		}
		if aws {
			return map[string]any{"AttestationDocument": docs[d], "KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256"}
		}
		return map[string]any{"attestation_document": docs[d], "key_encryption_algorithm": "RSAES_OAEP_SHA_256"}
	}

	// The keys of each column, and the server they live on.
	servers := map[policyColumn]*testKMS{colIAMAttested: iamAttested, colIAMDeny: iamDeny}
	keys := map[policyColumn]*tableKeys{}
	for col := colNone; col <= colIAMDeny; col++ {
		srv := servers[col]
		if srv == nil {
			srv = k
			servers[col] = k
		}
		tk := &tableKeys{
			sym:   policyColumnKey(t, srv, col, pcr0, "AES_256", "", "SYMMETRIC_DEFAULT"),
			agree: policyColumnKey(t, srv, col, pcr0, "EC_P256", "KEY_AGREEMENT", "ECC_NIST_P256"),
		}
		// Encryption is never a secret-releasing action: every column allows it.
		status, body := srv.post(t, "encrypt-data", js(map[string]any{"key_id": tk.sym, "plain_text": "table secret"}))
		require.Equal(t, http.StatusOK, status, "%s %s", columnNames[col], body)
		var enc struct {
			CipherText string `json:"cipher_text"`
		}
		require.NoError(t, json.Unmarshal(body, &enc))
		tk.blob = enc.CipherText
		status, body = srv.post(t, "encrypt-datakey", js(map[string]any{"key_id": tk.sym, "plain_text": dekPlainText("AES_256", make([]byte, 32)), "datakey_plain_length": "32"}))
		require.Equal(t, http.StatusOK, status, "%s %s", columnNames[col], body)
		require.NoError(t, json.Unmarshal(body, &enc))
		tk.dekHex = enc.CipherText
		keys[col] = tk
	}

	cells := 0
	for _, op := range tableOps(peerSPKI) {
		for col := colNone; col <= colIAMDeny; col++ {
			if col.iam() && op.aws {
				continue // IAM policies hold Huawei callers only
			}
			for d := docNone; d <= docTampered; d++ {
				want := expect(col, d, op.keyless)
				name := fmt.Sprintf("%s/%s/%s", op.name, columnNames[col], docNames[d])
				cells++
				t.Run(name, func(t *testing.T) {
					srv, tk := servers[col], keys[col]
					body := op.body(tk, recipientOf(op.aws, d))
					var status int
					var raw []byte
					if op.aws {
						var out map[string]any
						status, out = srv.awsDo(t, awsRequest{target: op.name, body: body})
						raw, _ = json.Marshal(out)
					} else {
						status, raw = srv.post(t, op.name, body)
					}
					var out map[string]any
					require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
					checkCell(t, e, op, col, tk, want, status, out)
				})
			}
		}
	}
	t.Logf("%d cells", cells)
}

// checkCell checks one answer against its outcome.
func checkCell(t *testing.T, e *enclave, op tableOp, col policyColumn, tk *tableKeys, want outcome, status int, out map[string]any) {
	t.Helper()
	sealedField := "ciphertext_recipient"
	if op.aws {
		sealedField = "CiphertextForRecipient"
	}
	switch want {
	case outPlain, outSealed:
		require.Equal(t, http.StatusOK, status, "%v", out)
		var secret []byte
		if want == outPlain {
			require.NotContains(t, out, sealedField)
			for _, f := range op.plain {
				require.NotEmpty(t, out[f], "%s is missing: %v", f, out)
			}
			secret = plainSecret(t, op, out[op.plain[0]].(string))
		} else {
			for _, f := range op.plain {
				require.NotContains(t, out, f, "a sealed answer carries the secret in plaintext")
			}
			var err error
			secret, err = recipient.Open(blob(t, out[sealedField]), e.key, recipient.OpenOptions{})
			require.NoError(t, err)
		}
		if op.secretN != 0 {
			require.Len(t, secret, op.secretN)
		} else {
			_, err := x509.ParsePKCS8PrivateKey(secret)
			require.NoError(t, err, "the private key is a PKCS#8 key")
		}
		return
	}
	// An error: only the error's fields.
	if op.aws {
		require.Len(t, out, 2, "an error answer carries only __type and message: %v", out)
	} else {
		require.Len(t, out, 1, "an error answer carries only the error: %v", out)
	}
	code, msg := errorOf(op.aws, out)
	switch want {
	case outRejected:
		if op.aws {
			require.Equal(t, http.StatusForbidden, status)
			require.Equal(t, "AccessDeniedException", code)
		} else {
			require.Equal(t, http.StatusForbidden, status)
			require.Equal(t, "KMS.0902", code)
		}
		require.Contains(t, msg, "attestation_document")
		return
	}
	if op.aws {
		require.Equal(t, http.StatusBadRequest, status)
		require.Equal(t, "AccessDeniedException", code)
	} else {
		require.Equal(t, http.StatusForbidden, status)
		require.Equal(t, "KMS.0904", code)
	}
	// The denial is worded as AWS words it, naming the action and the key
	// (or the key's URN, for an IAM policy's denial).
	var wantMsg string
	switch {
	case col.iam():
		resource := "*"
		if !op.keyless {
			id := tk.sym
			if strings.Contains(op.name, "derive") {
				id = tk.agree
			}
			resource = "kms:us-east-1:000000000000:KeyId:" + id
		}
		wantMsg = "User: arn:aws:iam::000000000000:root is not authorized to perform: " + op.hwIAM + " on resource: " + resource
		if want == outExplicit {
			wantMsg += " with an explicit deny in an identity-based policy"
		} else {
			wantMsg += " because no identity-based policy allows the " + op.hwIAM + " action"
		}
	default:
		id := tk.sym
		if strings.Contains(strings.ToLower(op.name), "derive") {
			id = tk.agree
		}
		wantMsg = "User: arn:aws:iam::000000000000:root is not authorized to perform: " + op.action + " on resource: arn:aws:kms:us-east-1:000000000000:key/" + id
		if want == outExplicit {
			wantMsg += " with an explicit deny in a resource-based policy"
		} else {
			wantMsg += " because no resource-based policy allows the " + op.action + " action"
		}
	}
	require.Equal(t, wantMsg, msg)
}

// plainSecret decodes the secret of a plaintext answer.
func plainSecret(t *testing.T, op tableOp, v string) []byte {
	t.Helper()
	if op.aws || strings.Contains(op.name, "pair") || strings.Contains(op.name, "derive") {
		return mustB64(t, v)
	}
	if op.name == "decrypt-data" {
		return []byte(v)
	}
	b, err := hex.DecodeString(v)
	require.NoError(t, err)
	return b
}

// errorOf returns the code and message of an error answer of either front
// end.
func errorOf(aws bool, out map[string]any) (code, msg string) {
	if aws {
		code, _ = out["__type"].(string)
		msg, _ = out["message"].(string)
		return code, msg
	}
	e, _ := out["error"].(map[string]any)
	code, _ = e["error_code"].(string)
	msg, _ = e["error_msg"].(string)
	return code, msg
}

// policyColumnKey creates on srv a key of a column of the policy tables:
// with Huawei's create-key (and recipient_attestation {"PCR0": pcr0} in the
// shorthand column) in the shorthand and IAM columns, with AWS's CreateKey
// and the column's key policy in the others. hwSpec and hwUsage are the
// Huawei spec and usage ("" for ENCRYPT_DECRYPT), awsSpec the AWS one.
func policyColumnKey(t *testing.T, srv *testKMS, col policyColumn, pcr0, hwSpec, hwUsage, awsSpec string) string {
	t.Helper()
	switch col {
	case colShorthand, colIAMAttested, colIAMDeny:
		var pcrs map[string]string
		if col == colShorthand {
			pcrs = map[string]string{"PCR0": pcr0}
		}
		status, body := srv.post(t, "create-key", js(map[string]any{"key_alias": "table", "key_spec": hwSpec, "key_usage": hwUsage, "recipient_attestation": pcrs}))
		require.Equal(t, http.StatusOK, status, "%s", body)
		var out struct {
			KeyInfo struct {
				KeyID string `json:"key_id"`
			} `json:"key_info"`
		}
		require.NoError(t, json.Unmarshal(body, &out))
		return out.KeyInfo.KeyID
	}
	usage := hwUsage
	if usage == "" {
		usage = "ENCRYPT_DECRYPT"
	}
	req := map[string]any{"KeySpec": awsSpec, "KeyUsage": usage}
	switch col {
	case colPCR0:
		req["Policy"] = attestedPolicy("kms:RecipientAttestation:PCR0", pcr0)
	case colImage:
		req["Policy"] = attestedPolicy("kms:RecipientAttestation:ImageSha384", strings.ToUpper(pcr0)) // IgnoreCase
	case colDeny:
		req["Policy"] = denyPolicy
	}
	return srv.aws(t, "CreateKey", req)["KeyMetadata"].(map[string]any)["KeyId"].(string)
}
