package kms

import (
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/attestation/attestationtest"
)

// TestPolicyTableCrypto is TestPolicyTable's sibling for the operations of
// issue 12, on both front ends, in every policy column:
//
//   - Decrypt and decrypt-data under an RSA key release a secret: every
//     recipient × policy cell answers exactly as TestPolicyTable's rule
//     (expect) says;
//   - GenerateDataKeyWithoutPlaintext, GenerateDataKeyPairWithoutPlaintext,
//     create-datakey-without-plaintext and ReEncrypt never release one: in
//     every cell they answer without any plaintext (or sealed) field and
//     without the secret in any encoding, and they are decided as their own
//     actions: recipient_attestation denies kms:ReEncryptFrom (a ciphertext
//     may not leave an attested key), and the IAM policy that allows
//     kms:dek:create only with an attested PCR0 denies
//     create-datakey-without-plaintext, which takes no recipient.
func TestPolicyTableCrypto(t *testing.T) {
	e := newEnclave(t)
	pcr0 := hex.EncodeToString(testPCR(0))
	roots := []*x509.Certificate{attestationtest.Root()}
	k := newTestKMS(t, Options{Roots: roots})
	servers := map[policyColumn]*testKMS{
		colIAMAttested: newTestKMS(t, Options{Roots: roots, HuaweiPolicies: [][]byte{[]byte(iamAttestedPolicy(pcr0))}}),
		colIAMDeny:     newTestKMS(t, Options{Roots: roots, HuaweiPolicies: [][]byte{[]byte(iamDenyPolicy)}}),
	}
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
	secret := "table secret"

	// Each column's keys: a symmetric key and an RSA ENCRYPT_DECRYPT key,
	// with a ciphertext of the secret under each.
	type colKeys struct{ sym, rsa, symCT, rsaCT string }
	keys := map[policyColumn]*colKeys{}
	for col := colNone; col <= colIAMDeny; col++ {
		srv := servers[col]
		if srv == nil {
			srv = k
			servers[col] = k
		}
		ck := new(colKeys)
		switch col {
		case colShorthand, colIAMAttested, colIAMDeny:
			var pcrs map[string]string
			if col == colShorthand {
				pcrs = map[string]string{"PCR0": pcr0}
			}
			for _, p := range []struct {
				id          *string
				spec, usage string
			}{{&ck.sym, "AES_256", ""}, {&ck.rsa, "RSA_2048", "ENCRYPT_DECRYPT"}} {
				status, body := srv.post(t, "create-key", js(map[string]any{"key_alias": "crypto-table", "key_spec": p.spec, "key_usage": p.usage, "recipient_attestation": pcrs}))
				require.Equal(t, http.StatusOK, status, "%s", body)
				var out struct {
					KeyInfo struct {
						KeyID string `json:"key_id"`
					} `json:"key_info"`
				}
				require.NoError(t, json.Unmarshal(body, &out))
				*p.id = out.KeyInfo.KeyID
			}
		default:
			var policy any
			switch col {
			case colPCR0:
				policy = attestedPolicy("kms:RecipientAttestation:PCR0", pcr0)
			case colImage:
				policy = attestedPolicy("kms:RecipientAttestation:ImageSha384", strings.ToUpper(pcr0))
			case colDeny:
				policy = denyPolicy
			}
			create := func(spec, usage string) string {
				req := map[string]any{"KeySpec": spec, "KeyUsage": usage}
				if policy != nil {
					req["Policy"] = policy
				}
				return srv.aws(t, "CreateKey", req)["KeyMetadata"].(map[string]any)["KeyId"].(string)
			}
			ck.sym, ck.rsa = create("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), create("RSA_2048", "ENCRYPT_DECRYPT")
		}
		for _, c := range []struct {
			id, alg string
			out     *string
		}{{ck.sym, "SYMMETRIC_DEFAULT", &ck.symCT}, {ck.rsa, "RSAES_OAEP_SHA_256", &ck.rsaCT}} {
			status, body := srv.post(t, "encrypt-data", js(map[string]any{"key_id": c.id, "plain_text": secret, "encryption_algorithm": c.alg}))
			require.Equal(t, http.StatusOK, status, "%s %s", columnNames[col], body)
			var enc struct {
				CipherText string `json:"cipher_text"`
			}
			require.NoError(t, json.Unmarshal(body, &enc))
			*c.out = enc.CipherText
		}
		keys[col] = ck
	}
	cells := 0
	call := func(t *testing.T, srv *testKMS, aws bool, op, body string) (int, map[string]any) {
		t.Helper()
		if aws {
			return srv.awsDo(t, awsRequest{target: op, body: body})
		}
		status, raw := srv.post(t, op, body)
		var out map[string]any
		require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
		return status, out
	}

	// Part 1: RSA decryption releases the secret, as Decrypt does.
	rsaOps := []tableOp{
		{aws: true, name: "Decrypt", action: "kms:Decrypt", secretN: len(secret), plain: []string{"Plaintext"}},
		{name: "decrypt-data", action: "kms:Decrypt", hwIAM: "kms:cmk:decryptData", secretN: len(secret), plain: []string{"plain_text", "plain_text_base64"}},
	}
	for _, op := range rsaOps {
		for col := colNone; col <= colIAMDeny; col++ {
			if col.iam() && op.aws {
				continue
			}
			for d := docNone; d <= docTampered; d++ {
				want := expect(col, d, false)
				ck := keys[col]
				cells++
				t.Run(fmt.Sprintf("RSA %s/%s/%s", op.name, columnNames[col], docNames[d]), func(t *testing.T) {
					req := map[string]any{"KeyId": ck.rsa, "CiphertextBlob": ck.rsaCT, "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}
					field := "Recipient"
					if !op.aws {
						req = map[string]any{"key_id": ck.rsa, "cipher_text": ck.rsaCT, "encryption_algorithm": "RSAES_OAEP_SHA_256"}
						field = "recipient"
					}
					if r := recipientOf(op.aws, d); r != nil {
						req[field] = r
					}
					status, out := call(t, servers[col], op.aws, op.name, js(req))
					checkCell(t, e, op, col, &tableKeys{sym: ck.rsa}, want, status, out)
				})
			}
		}
	}

	// Part 2: the operations that never release the secret.
	type quiet struct {
		aws        bool
		name       string
		body       func(ck *colKeys) map[string]any
		deniedIn   map[policyColumn]string // column -> the denial's action and resource key ("" if none)
		deniedHow  map[policyColumn]string // column -> "explicit" or "implicit"
		deniedWith map[policyColumn]func(ck *colKeys) string
	}
	dest := keys[colNone].sym
	plainFields := []string{"Plaintext", "PrivateKeyPlaintext", "CiphertextForRecipient", "plain_text", "plain_text_base64", "ciphertext_recipient", "data_key"}
	quietOps := []quiet{
		{aws: true, name: "GenerateDataKeyWithoutPlaintext", body: func(ck *colKeys) map[string]any { return map[string]any{"KeyId": ck.sym, "KeySpec": "AES_256"} }},
		{aws: true, name: "GenerateDataKeyPairWithoutPlaintext", body: func(ck *colKeys) map[string]any {
			return map[string]any{"KeyId": ck.sym, "KeyPairSpec": "ECC_NIST_P256"}
		}},
		{aws: true, name: "ReEncrypt", body: func(ck *colKeys) map[string]any {
			return map[string]any{"CiphertextBlob": ck.symCT, "DestinationKeyId": dest}
		},
			deniedIn:   map[policyColumn]string{colShorthand: "kms:ReEncryptFrom"},
			deniedHow:  map[policyColumn]string{colShorthand: "explicit"},
			deniedWith: map[policyColumn]func(ck *colKeys) string{colShorthand: func(ck *colKeys) string { return "arn:aws:kms:us-east-1:000000000000:key/" + ck.sym }}},
		{aws: true, name: "ReEncrypt", body: func(ck *colKeys) map[string]any {
			return map[string]any{"CiphertextBlob": ck.rsaCT, "SourceKeyId": ck.rsa, "SourceEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "DestinationKeyId": ck.rsa, "DestinationEncryptionAlgorithm": "RSAES_OAEP_SHA_1"}
		},
			deniedIn:   map[policyColumn]string{colShorthand: "kms:ReEncryptFrom"},
			deniedHow:  map[policyColumn]string{colShorthand: "explicit"},
			deniedWith: map[policyColumn]func(ck *colKeys) string{colShorthand: func(ck *colKeys) string { return "arn:aws:kms:us-east-1:000000000000:key/" + ck.rsa }}},
		{name: "create-datakey-without-plaintext", body: func(ck *colKeys) map[string]any { return map[string]any{"key_id": ck.sym} },
			deniedIn:   map[policyColumn]string{colIAMAttested: "kms:cmk:createDataKeyWithoutPlaintext"},
			deniedHow:  map[policyColumn]string{colIAMAttested: "implicit"},
			deniedWith: map[policyColumn]func(ck *colKeys) string{colIAMAttested: func(ck *colKeys) string { return "kms:us-east-1:000000000000:KeyId:" + ck.sym }}},
	}
	for _, op := range quietOps {
		for col := colNone; col <= colIAMDeny; col++ {
			if col.iam() && op.aws {
				continue
			}
			ck := keys[col]
			cells++
			t.Run(fmt.Sprintf("%s/%s", op.name, columnNames[col]), func(t *testing.T) {
				status, out := call(t, servers[col], op.aws, op.name, js(op.body(ck)))
				raw, err := json.Marshal(out)
				require.NoError(t, err)
				for _, enc := range []string{secret, b64([]byte(secret)), hex.EncodeToString([]byte(secret))} {
					require.NotContains(t, string(raw), enc, "the answer carries the secret")
				}
				for _, f := range plainFields {
					require.NotContains(t, out, f)
				}
				act := op.deniedIn[col]
				if act == "" {
					require.Equal(t, http.StatusOK, status, "%v", out)
					return
				}
				code, msg := errorOf(op.aws, out)
				if op.aws {
					require.Equal(t, "AccessDeniedException", code)
				} else {
					require.Equal(t, "KMS.0904", code)
				}
				kind := "resource-based"
				if !op.aws {
					kind = "identity-based"
				}
				want := "User: arn:aws:iam::000000000000:root is not authorized to perform: " + act + " on resource: " + op.deniedWith[col](ck)
				if op.deniedHow[col] == "explicit" {
					want += " with an explicit deny in a" + map[bool]string{true: "n", false: ""}[kind == "identity-based"] + " " + kind + " policy"
				} else {
					want += " because no " + kind + " policy allows the " + act + " action"
				}
				require.Equal(t, want, msg)
			})
		}
	}
	t.Logf("%d cells", cells)
}
