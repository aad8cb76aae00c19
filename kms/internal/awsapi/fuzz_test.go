package awsapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/qtenclave/qtenclave/kms/internal/core"
)

// FuzzAWSRequest feeds arbitrary bodies to the AWS operations that decode
// untrusted input (all but the three that generate keys, whose cost would
// slow the fuzzer without exercising other parsing: their bodies go through
// the same wire.Decode). Property: an operation either answers with a body
// that encodes, or fails with a client error (4xx) that has an __type;
// never a panic, never an internal error.
func FuzzAWSRequest(f *testing.F) {
	k, err := core.New(core.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { k.Close() })
	srv := New(k)
	sym, err := k.CreateKey(f.Context(), testCaller, &core.CreateKeyInput{})
	if err != nil {
		f.Fatal(err)
	}
	ec, err := k.CreateKey(f.Context(), testCaller, &core.CreateKeyInput{Spec: "EC_P256", Usage: core.UsageKeyAgreement})
	if err != nil {
		f.Fatal(err)
	}
	blob, err := k.Encrypt(f.Context(), testCaller, sym.ID, []byte("fuzz"), nil)
	if err != nil {
		f.Fatal(err)
	}
	signer, err := k.CreateKey(f.Context(), testCaller, &core.CreateKeyInput{Spec: "EC_P256", Usage: core.UsageSignVerify})
	if err != nil {
		f.Fatal(err)
	}
	rsaKey, err := k.CreateKey(f.Context(), testCaller, &core.CreateKeyInput{Spec: "RSA_2048", Usage: core.UsageEncryptDecrypt})
	if err != nil {
		f.Fatal(err)
	}
	sig, err := k.Sign(f.Context(), testCaller, &core.SignInput{KeyID: signer.ID, Message: []byte("fuzz"), Algorithm: core.SignECDSASHA256})
	if err != nil {
		f.Fatal(err)
	}
	rsaCT, err := k.EncryptWith(f.Context(), testCaller, &core.EncryptInput{KeyID: rsaKey.ID, Plaintext: []byte("fuzz"), Algorithm: core.EncryptRSAOAEPSHA1})
	if err != nil {
		f.Fatal(err)
	}
	ops := []string{"DescribeKey", "ListKeys", "GetPublicKey", "DeriveSharedSecret", "GenerateDataKey", "Encrypt", "Decrypt", "GenerateRandom",
		"PutKeyPolicy", "GetKeyPolicy", "ListKeyPolicies",
		"EnableKey", "DisableKey", "ScheduleKeyDeletion", "CancelKeyDeletion", "UpdateKeyDescription", "CreateAlias", "UpdateAlias",
		"DeleteAlias", "ListAliases", "TagResource", "UntagResource", "ListResourceTags", "GetParametersForImport", "ImportKeyMaterial",
		"DeleteImportedKeyMaterial",
		"Sign", "Verify", "ReEncrypt", "GenerateDataKeyWithoutPlaintext"}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	// Seeds: the AWS SDK's bodies (KMS-WIRE.md), seed 001's, and near misses.
	for _, s := range []struct {
		op   uint8
		body string
	}{
		{0, js(map[string]any{"KeyId": sym.ID})},
		{0, js(map[string]any{"KeyId": "arn:verenc:" + core.DefaultAccount + ":key/" + sym.ID})},
		{0, js(map[string]any{"KeyId": "arn:aws:kms:eu-west-0:" + core.DefaultAccount + ":key/" + sym.ID, "GrantTokens": []string{"t"}})},
		{1, `{"Limit":2,"Marker":"` + sym.ID + `"}`},
		{2, js(map[string]any{"KeyId": sym.ID})},
		{3, js(map[string]any{"KeyId": sym.ID, "KeyAgreementAlgorithm": "ECDH", "PublicKey": b64([]byte{0x30, 0x59}), "Recipient": map[string]any{"AttestationDocument": b64([]byte{0xd2, 0x84}), "KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256"}})},
		{3, js(map[string]any{"KeyId": ec.ID, "KeyAgreementAlgorithm": "ECDH", "PublicKey": b64(ec.Public)})},
		{3, js(map[string]any{"KeyId": ec.ID, "PublicKey": b64(ec.Public), "RecipientInfo": b64([]byte{0xd2, 0x84, 0x44})})},
		{2, js(map[string]any{"KeyId": ec.ID})},
		{3, `{ "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "PublicKey": "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", "RecipientInfo": "hEQ=" }`},
		{4, js(map[string]any{"KeyId": sym.ID, "KeySpec": "AES_256", "EncryptionContext": map[string]string{"a": "b"}})},
		{4, js(map[string]any{"KeyId": sym.ID, "NumberOfBytes": 7})},
		{5, js(map[string]any{"KeyId": sym.ID, "Plaintext": b64([]byte("x")), "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"})},
		{6, js(map[string]any{"CiphertextBlob": b64(blob)})},
		{6, js(map[string]any{"CiphertextBlob": b64(blob), "KeyId": sym.ID, "EncryptionContext": map[string]string{}})},
		{7, `{"NumberOfBytes":32}`},
		{7, `{"NumberOfBytes":1e3}`},
		{7, js(map[string]any{"NumberOfBytes": 8, "Recipient": map[string]any{"AttestationDocument": b64([]byte{0xd2, 0x84, 0x44})}})},
		{6, js(map[string]any{"CiphertextBlob": b64(blob), "Recipient": map[string]any{"AttestationDocument": b64([]byte{0x84, 0x44})}})},
		{8, js(map[string]any{"KeyId": sym.ID, "PolicyName": "default", "Policy": `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"kms:*","Resource":"*"}}`})},
		{8, js(map[string]any{"KeyId": sym.ID, "Policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEqualsIgnoreCase":{"kms:RecipientAttestation:PCR0":"00"}}},{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}`, "BypassPolicyLockoutSafetyCheck": false})},
		{9, js(map[string]any{"KeyId": sym.ID, "PolicyName": "default"})},
		{10, js(map[string]any{"KeyId": sym.ID, "Limit": 10})},
		{11, js(map[string]any{"KeyId": sym.ID})},
		{13, js(map[string]any{"KeyId": sym.ID, "PendingWindowInDays": 7})},
		{15, js(map[string]any{"KeyId": sym.ID, "Description": "d"})},
		{16, js(map[string]any{"AliasName": "alias/fuzz", "TargetKeyId": sym.ID})},
		{17, js(map[string]any{"AliasName": "alias/fuzz", "TargetKeyId": ec.ID})},
		{18, js(map[string]any{"AliasName": "alias/fuzz"})},
		{19, js(map[string]any{"KeyId": sym.ID, "Limit": 1, "Marker": "alias/fuzz"})},
		{20, js(map[string]any{"KeyId": sym.ID, "Tags": []map[string]any{{"TagKey": "k", "TagValue": ""}}})},
		{21, js(map[string]any{"KeyId": sym.ID, "TagKeys": []string{"k"}})},
		{22, js(map[string]any{"KeyId": sym.ID, "Limit": 1, "Marker": "k"})},
		{23, js(map[string]any{"KeyId": sym.ID, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"})},
		{24, js(map[string]any{"KeyId": sym.ID, "ImportToken": b64([]byte{1, 2}), "EncryptedKeyMaterial": b64([]byte{3}), "ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": 4102444800})},
		{5, js(map[string]any{"KeyId": "alias/fuzz", "Plaintext": b64([]byte("x"))})},
		{0, js(map[string]any{"KeyId": "arn:aws:kms:us-east-1:" + core.DefaultAccount + ":alias/fuzz"})},
		{26, js(map[string]any{"KeyId": signer.ID, "Message": b64([]byte("fuzz")), "SigningAlgorithm": "ECDSA_SHA_256"})},
		{26, js(map[string]any{"KeyId": signer.ID, "Message": b64(make([]byte, 32)), "MessageType": "DIGEST", "SigningAlgorithm": "ECDSA_SHA_256"})},
		{27, js(map[string]any{"KeyId": signer.ID, "Message": b64([]byte("fuzz")), "Signature": b64(sig.Signature), "SigningAlgorithm": "ECDSA_SHA_256"})},
		{5, js(map[string]any{"KeyId": rsaKey.ID, "Plaintext": b64([]byte("x")), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"})},
		{6, js(map[string]any{"CiphertextBlob": b64(rsaCT.Ciphertext), "KeyId": rsaKey.ID, "EncryptionAlgorithm": "RSAES_OAEP_SHA_1"})},
		{28, js(map[string]any{"CiphertextBlob": b64(blob), "DestinationKeyId": sym.ID, "DestinationEncryptionContext": map[string]string{"a": "b"}})},
		{28, js(map[string]any{"CiphertextBlob": b64(rsaCT.Ciphertext), "SourceKeyId": rsaKey.ID, "SourceEncryptionAlgorithm": "RSAES_OAEP_SHA_1", "DestinationKeyId": rsaKey.ID, "DestinationEncryptionAlgorithm": "RSAES_OAEP_SHA_256"})},
		{29, js(map[string]any{"KeyId": sym.ID, "KeySpec": "AES_128"})},
		{0, `{"KeyId":"x"}{}`},
		{0, `{"KeyId":null}`},
	} {
		f.Add(s.op, s.body)
	}
	h := http.Header{}
	h.Set("Content-Type", awsContentType)
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		h.Set("X-Amz-Target", awsTargetPrefix+ops[int(op)%len(ops)])
		v, err := srv.dispatch(t.Context(), testCaller, h, []byte(body))
		if err == nil {
			if v == nil {
				t.Fatal("no response and no error")
			}
			if _, err := json.Marshal(v); err != nil {
				t.Fatalf("response does not encode: %v", err)
			}
			return
		}
		if v != nil {
			t.Fatal("response with an error")
		}
		e, msg := awsErrorOf(err)
		if e.status < 400 || e.status >= 500 || e.typ == "" || msg == "" {
			t.Fatalf("%q: error %v is %d %s", body, err, e.status, e.typ)
		}
	})
}

// FuzzAWSKeyID: a KeyId is refused, or names a key ID whose ARN is accepted
// back as the same key.
func FuzzAWSKeyID(f *testing.F) {
	const id = "1234abcd-12ab-34cd-56ef-1234567890ab"
	for _, s := range []string{id, "arn:verenc:" + core.DefaultAccount + ":key/" + id, "arn:aws:kms:us-east-1:" + core.DefaultAccount + ":key/" + id,
		"arn:verenc:111122223333:key/" + id, "alias/x", "arn:aws:kms:us-east-1:" + core.DefaultAccount + ":alias/x", "arn:::::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, keyID string) {
		got, err := awsKeyID("KeyId", keyID, core.DefaultAccount)
		if err != nil {
			if got != "" {
				t.Fatal("key ID with an error")
			}
			return
		}
		if !core.ValidKeyID(got) || !strings.HasSuffix(keyID, got) {
			t.Fatalf("%q gave key ID %q", keyID, got)
		}
		for _, arn := range []string{"arn:aws:kms:us-east-1:" + core.DefaultAccount + ":key/" + got, "arn:verenc:" + core.DefaultAccount + ":key/" + got} {
			again, err := awsKeyID("KeyId", arn, core.DefaultAccount)
			if err != nil || again != got {
				t.Fatalf("ARN %q: %q, %v", arn, again, err)
			}
		}
	})
}

// FuzzAWSKeyRef: a KeyId that may be an alias is refused, or names a key ID
// (as awsKeyID does) or a valid alias name that its alias ARN names too.
func FuzzAWSKeyRef(f *testing.F) {
	for _, s := range []string{"alias/x", "arn:aws:kms:us-east-1:" + core.DefaultAccount + ":alias/x", "arn:verenc:" + core.DefaultAccount + ":alias/a/b",
		"alias/", "alias/aws/x", "1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:kms:us-east-1:111122223333:alias/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, keyID string) {
		got, err := awsKeyRef("KeyId", keyID, core.DefaultAccount)
		if err != nil {
			if got != "" {
				t.Fatal("a name with an error")
			}
			return
		}
		if core.ValidKeyID(got) {
			return
		}
		if awsAliasName(got, false) != nil || !strings.HasSuffix(keyID, got) {
			t.Fatalf("%q gave %q", keyID, got)
		}
		again, err := awsKeyRef("KeyId", "arn:aws:kms:eu-west-1:"+core.DefaultAccount+":"+got, core.DefaultAccount)
		if err != nil || again != got {
			t.Fatalf("alias ARN of %q: %q, %v", got, again, err)
		}
	})
}

// testCaller is the caller of the tests' operations.
var testCaller = core.Caller{API: "aws", Credential: core.CredentialSigV4, AccessKey: testSigV4AccessKey}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
