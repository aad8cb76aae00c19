package core

import (
	"context"
	"strings"
	"testing"

	"github.com/qtenclave/qtenclave/kms/policy"
)

// TestCryptoAuthorization is the authorization table of the operations of
// sign.go, asymenc.go, reencrypt.go and withoutplaintext.go: each is
// decided with its own AWS action on the key's policy and its own Huawei
// actions in IAM policies. For every operation, a key policy that denies
// exactly its action denies it (KindAccessDenied, naming the action), one
// that denies everything else lets it through, and for Huawei callers an
// IAM policy that denies each of its Huawei names denies it.
func TestCryptoAuthorization(t *testing.T) {
	ctx := context.Background()
	const account = "arn:aws:iam::" + DefaultAccount + ":root"
	denyOnly := func(action string) []byte {
		return []byte(`{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"` + account + `"},"Action":"kms:*","Resource":"*"},
 {"Effect":"Deny","Principal":"*","Action":"` + action + `","Resource":"*"}]}`)
	}
	allowOnly := func(action string) []byte {
		return []byte(`{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"` + account + `"},"Action":["` + action + `","kms:PutKeyPolicy"],"Resource":"*"}]}`)
	}
	type op struct {
		name    string
		aws     string   // the action a key policy names
		huawei  []string // the names IAM policies may use (none: IAM policies do not apply)
		spec    string   // the key the policy is on
		usage   string
		run     func(k *KMS, c Caller, id string) error
		srcOnly bool // ReEncrypt: the policy is on the source key
	}
	msg := []byte("authorized?")
	var rsaCT []byte
	var symCT []byte
	var dst string
	ops := []op{
		{name: "Sign", aws: "kms:Sign", huawei: []string{"kms:cmk:sign"}, spec: "EC_P256", usage: UsageSignVerify,
			run: func(k *KMS, c Caller, id string) error {
				_, err := k.Sign(ctx, c, &SignInput{KeyID: id, Message: msg, Algorithm: SignECDSASHA256})
				return err
			}},
		{name: "Verify", aws: "kms:Verify", huawei: []string{"kms:cmk:verify"}, spec: "EC_P256", usage: UsageSignVerify,
			run: func(k *KMS, c Caller, id string) error {
				_, err := k.Verify(ctx, c, &SignInput{KeyID: id, Message: msg, Algorithm: SignECDSASHA256, Signature: []byte{0x30, 0}})
				if kind, _ := KindOf(err); kind == KindInvalidSignature {
					return nil // authorized: the signature was checked
				}
				return err
			}},
		{name: "Encrypt RSA", aws: "kms:Encrypt", huawei: []string{"kms:cmk:encryptData", "kms:cmk:crypto", "kms:cmk:encrypt"}, spec: "RSA_2048", usage: UsageEncryptDecrypt,
			run: func(k *KMS, c Caller, id string) error {
				_, err := k.EncryptWith(ctx, c, &EncryptInput{KeyID: id, Plaintext: msg, Algorithm: EncryptRSAOAEPSHA256})
				return err
			}},
		{name: "Decrypt RSA", aws: "kms:Decrypt", huawei: []string{"kms:cmk:decryptData", "kms:cmk:crypto", "kms:cmk:decrypt"}, spec: "RSA_2048", usage: UsageEncryptDecrypt,
			run: func(k *KMS, c Caller, id string) error {
				_, err := k.DecryptWith(ctx, c, &DecryptInput{KeyID: id, Ciphertext: rsaCT, Algorithm: EncryptRSAOAEPSHA256})
				return err
			}},
		{name: "ReEncrypt from", aws: "kms:ReEncryptFrom", spec: "AES_256", usage: UsageEncryptDecrypt, srcOnly: true,
			run: func(k *KMS, c Caller, id string) error {
				_, err := k.ReEncrypt(ctx, c, &ReEncryptInput{SourceKeyID: id, Ciphertext: symCT, DestinationKeyID: dst})
				return err
			}},
		{name: "ReEncrypt to", aws: "kms:ReEncryptTo", spec: "AES_256", usage: UsageEncryptDecrypt,
			run: func(k *KMS, c Caller, id string) error {
				_, err := k.ReEncrypt(ctx, c, &ReEncryptInput{Ciphertext: symCT, DestinationKeyID: id})
				return err
			}},
		{name: "GenerateDataKeyWithoutPlaintext", aws: "kms:GenerateDataKeyWithoutPlaintext", huawei: []string{"kms:cmk:createDataKeyWithoutPlaintext", "kms:dek:create"}, spec: "AES_256", usage: UsageEncryptDecrypt,
			run: func(k *KMS, c Caller, id string) error {
				_, err := k.GenerateDataKeyWithoutPlaintext(ctx, c, id, 32, nil)
				return err
			}},
		{name: "GenerateDataKeyPairWithoutPlaintext", aws: "kms:GenerateDataKeyPairWithoutPlaintext", huawei: []string{"kms:cmk:createDataKeyPair"}, spec: "AES_256", usage: UsageEncryptDecrypt,
			run: func(k *KMS, c Caller, id string) error {
				_, err := k.DataKeyPair(ctx, c, &DataKeyPairInput{KeyID: id, Spec: "ECC_NIST_P256"})
				return err
			}},
	}
	k := vectorKMS(t)
	// The fixtures the operations use, under keys with the default policy.
	dstKey, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	dst = dstKey.ID
	srcDefault, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	rsaMaterial := func(id string) []byte {
		out, err := k.EncryptWith(ctx, testCaller, &EncryptInput{KeyID: id, Plaintext: msg, Algorithm: EncryptRSAOAEPSHA256})
		if err != nil {
			t.Fatal(err)
		}
		return out.Ciphertext
	}
	cells := 0
	for _, o := range ops {
		for _, c := range []struct {
			name  string
			doc   []byte
			allow bool
		}{
			{"deny " + o.aws, denyOnly(o.aws), false},
			{"allow only " + o.aws, allowOnly(o.aws), true},
			{"deny another action", denyOnly("kms:GenerateMac"), true},
		} {
			key, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{Spec: o.spec, Usage: o.usage})
			if err != nil {
				t.Fatal(err)
			}
			// Fixtures under this key, made before its policy changes.
			if o.spec == "RSA_2048" {
				rsaCT = rsaMaterial(key.ID)
			}
			symCT = nil
			if o.name == "ReEncrypt from" {
				if symCT, err = k.Encrypt(ctx, testCaller, key.ID, msg, nil); err != nil {
					t.Fatal(err)
				}
			} else if symCT, err = k.Encrypt(ctx, testCaller, srcDefault.ID, msg, nil); err != nil {
				t.Fatal(err)
			}
			if err := k.PutKeyPolicy(ctx, testCaller, key.ID, c.doc, true); err != nil {
				t.Fatal(err)
			}
			err = o.run(k, testCaller, key.ID)
			kind, m := KindOf(err)
			switch {
			case c.allow && err != nil:
				t.Errorf("%s, %s: %v", o.name, c.name, err)
			case !c.allow && (kind != KindAccessDenied || !strings.Contains(m, "perform: "+o.aws+" on resource: arn:aws:kms:us-east-1:000000000000:key/"+key.ID)):
				t.Errorf("%s, %s: %v (kind %d)", o.name, c.name, err, kind)
			}
			cells++
		}
		// Huawei IAM: a Deny of each Huawei name, for a Huawei caller.
		for _, name := range o.huawei {
			p, err := policy.ParseHuawei([]byte(`{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["kms:*:*"],"Resource":["*"]},{"Effect":"Deny","Action":["` + name + `"],"Resource":["*"]}]}`))
			if err != nil {
				t.Fatal(err)
			}
			hk, err := New(Options{HuaweiPolicies: []*policy.Policy{p}})
			if err != nil {
				t.Fatal(err)
			}
			key, err := hk.CreateKey(ctx, testCaller, &CreateKeyInput{Spec: o.spec, Usage: o.usage})
			if err != nil {
				t.Fatal(err)
			}
			if o.spec == "RSA_2048" {
				out, err := hk.EncryptWith(ctx, testCaller, &EncryptInput{KeyID: key.ID, Plaintext: msg, Algorithm: EncryptRSAOAEPSHA256})
				if err != nil {
					t.Fatal(err)
				}
				rsaCT = out.Ciphertext
			}
			huaweiCaller := Caller{API: APIHuawei, Credential: CredentialAKSK}
			err = o.run(hk, huaweiCaller, key.ID)
			if kind, m := KindOf(err); kind != KindAccessDenied || !strings.Contains(m, "with an explicit deny in an identity-based policy") {
				t.Errorf("%s, IAM Deny of %s: %v", o.name, name, err)
			}
			if err := o.run(hk, testCaller, key.ID); err != nil {
				t.Errorf("%s: IAM policies hold an AWS caller: %v", o.name, err)
			}
			hk.Close()
			cells++
		}
	}
	t.Logf("%d cells", cells)
}
