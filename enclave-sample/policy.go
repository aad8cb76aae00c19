package main

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/recipient"
)

// Policies: a key whose policy names the enclave's image (PCR0) releases
// its secrets to that enclave only. On each front end: a request without a
// recipient is refused, the enclave's request is allowed, and a document of
// another image is refused.

// runPolicies runs the policy steps on both front ends.
func (f *flow) runPolicies() {
	var hwKey string
	if f.step("PCR0 key policy (Huawei)", "create-key recipient_attestation", func() (string, error) {
		var err error
		hwKey, err = f.createKey("enclave-sample-attested", "EC_P256", "KEY_AGREEMENT",
			map[string]string{"PCR0": hex.EncodeToString(f.docPCR0)})
		if err != nil {
			return "", err
		}
		return "EC_P256 key agreement key " + hwKey + " whose secrets need PCR0 " + shortHex(f.docPCR0), nil
	}) == nil {
		f.step("refuse plaintext (Huawei)", "derive-shared-secret", func() (string, error) { return f.huaweiDerive(hwKey, nil) })
		f.step("allow the enclave (Huawei)", "derive-shared-secret", func() (string, error) { return f.huaweiDerive(hwKey, f.doc) })
		f.step("refuse another image (Huawei)", "derive-shared-secret", func() (string, error) { return f.huaweiDerive(hwKey, f.otherImageDoc()) })
	}

	aws := &awsClient{url: f.kmsURL, token: f.kms.Token.Reveal(), ak: f.kms.AccessKey, sk: f.kms.SecretKey.Reveal(), region: "us-east-1",
		hc: &http.Client{Timeout: 30 * time.Second}}
	var awsKey string
	var ciphertext []byte
	if f.step("PCR0 key policy (AWS)", "CreateKey Policy", func() (string, error) {
		var err error
		awsKey, ciphertext, err = f.awsPolicyKey(aws)
		if err != nil {
			return "", err
		}
		return "AES key " + awsKey + " whose policy allows Decrypt for kms:RecipientAttestation:ImageSha384 " + shortHex(f.docPCR0) + " only; GetKeyPolicy gives it back", nil
	}) == nil {
		f.step("refuse plaintext (AWS)", "Decrypt", func() (string, error) { return f.awsDecrypt(aws, ciphertext, nil) })
		f.step("allow the enclave (AWS)", "Decrypt", func() (string, error) { return f.awsDecrypt(aws, ciphertext, f.doc) })
		f.step("refuse another image (AWS)", "Decrypt", func() (string, error) { return f.awsDecrypt(aws, ciphertext, f.otherImageDoc()) })
	}
}

func shortHex(b []byte) string { return fmt.Sprintf("%.16x…", b) }

// otherImageDoc is a genuine document for the enclave's key from another
// enclave image: another PCR0.
func (f *flow) otherImageDoc() []byte {
	pcrs := maps.Clone(f.docPCRs)
	other := sha512.Sum384([]byte("another enclave image"))
	pcrs[0] = other[:]
	doc, err := attestationtest.Issue(attestationtest.Options{Platform: f.platform, PublicKey: f.key.PublicKeyDER(), PCRs: pcrs})
	if err != nil {
		panic(err) // the test authority's fixed keys: cannot fail
	}
	return doc
}

// huaweiDerive asks for a shared secret of key, sealed to doc (or in
// plaintext without one): with the enclave's document it must be sealed
// and open, otherwise refused with a 403 that wraps nothing.
func (f *flow) huaweiDerive(keyID string, doc []byte) (string, error) {
	peer, err := keyspec.GenerateKey(keyspec.P256)
	if err != nil {
		return "", err
	}
	req := &huawei.DeriveSharedSecretRequest{KeyID: keyID, KeyAgreementAlgorithm: "ECDH",
		PublicKey: base64.StdEncoding.EncodeToString(peer.PublicKey().MarshalPKIX())}
	if doc != nil {
		req.Recipient = &huawei.Recipient{AttestationDocument: base64.StdEncoding.EncodeToString(doc), KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256"}
	}
	resp, err := f.kms.DeriveSharedSecret(f.ctx, req)
	if !bytes.Equal(doc, f.doc) {
		var apiErr *huawei.APIError
		switch {
		case err == nil:
			return "", fmt.Errorf("the KMS released the secret (%d bytes in plaintext, %d sealed)", len(resp.SharedSecret.Reveal()), len(resp.CiphertextRecipient))
		case !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusForbidden:
			return "", fmt.Errorf("the KMS failed instead of refusing: %w", err)
		}
		return fmt.Sprintf("refused: HTTP %d %s: %s; nothing released", apiErr.StatusCode, apiErr.Code, apiErr.Message), nil
	}
	if err != nil {
		return "", f.kmsError("derive-shared-secret", err)
	}
	if !resp.SharedSecret.IsZero() {
		return "", errors.New("derive-shared-secret returned shared_secret in plaintext")
	}
	env, err := base64.StdEncoding.DecodeString(resp.CiphertextRecipient)
	if err != nil {
		return "", err
	}
	secret, err := recipient.OpenSharedSecret(env, f.key, recipient.OpenOptions{})
	if err != nil {
		return "", fmt.Errorf("opening ciphertext_recipient: %w", err)
	}
	return fmt.Sprintf("allowed: the %d-byte secret sealed to the enclave opens", len(secret)), nil
}

// awsPolicyKey creates a symmetric key with a key policy on the AWS front
// end, as AWS documents it for enclaves (README, "Attestation policies"),
// reads the policy back and encrypts a secret under the key.
func (f *flow) awsPolicyKey(aws *awsClient) (keyID string, ciphertext []byte, err error) {
	// The account the keys belong to, from a key's metadata.
	var md struct {
		KeyMetadata struct {
			AWSAccountID string `json:"AWSAccountId"`
			KeyID        string `json:"KeyId"`
		} `json:"KeyMetadata"`
	}
	if err := aws.call(f.ctx, "DescribeKey", map[string]string{"KeyId": f.aesCMK}, &md); err != nil {
		return "", nil, f.kmsError("DescribeKey", err)
	}
	secret := `["kms:Decrypt", "kms:DeriveSharedSecret", "kms:GenerateDataKey", "kms:GenerateDataKeyPair"]`
	// Administrators may not re-encrypt either: ReEncrypt would move the
	// secret under a key that releases it to anyone.
	notSecret := `["kms:Decrypt", "kms:DeriveSharedSecret", "kms:GenerateDataKey", "kms:GenerateDataKeyPair", "kms:ReEncryptFrom"]`
	account := "arn:aws:iam::" + md.KeyMetadata.AWSAccountID + ":root"
	policy := `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Key administration", "Effect": "Allow", "Principal": {"AWS": "` + account + `"}, "NotAction": ` + notSecret + `, "Resource": "*"},
    {"Sid": "Secrets for the enclave only", "Effect": "Allow", "Principal": {"AWS": "` + account + `"}, "Action": ` + secret + `, "Resource": "*",
     "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:ImageSha384": "` + hex.EncodeToString(f.docPCR0) + `"}}}
  ]
}`
	if err := aws.call(f.ctx, "CreateKey", map[string]string{"Description": "enclave-sample attested key", "Policy": policy}, &md); err != nil {
		return "", nil, f.kmsError("CreateKey", err)
	}
	keyID = md.KeyMetadata.KeyID
	var got struct{ Policy string }
	if err := aws.call(f.ctx, "GetKeyPolicy", map[string]string{"KeyId": keyID, "PolicyName": "default"}, &got); err != nil {
		return "", nil, f.kmsError("GetKeyPolicy", err)
	}
	if got.Policy != policy {
		return "", nil, errors.New("GetKeyPolicy returned another policy")
	}
	var enc struct{ CiphertextBlob []byte }
	if err := aws.call(f.ctx, "Encrypt", map[string]any{"KeyId": keyID, "Plaintext": []byte("the enclave's secret")}, &enc); err != nil {
		return "", nil, f.kmsError("Encrypt", err)
	}
	return keyID, enc.CiphertextBlob, nil
}

// awsDecrypt decrypts ciphertext for doc's recipient (or in plaintext):
// only the enclave's document may get the secret, sealed.
func (f *flow) awsDecrypt(aws *awsClient, ciphertext, doc []byte) (string, error) {
	in := map[string]any{"CiphertextBlob": ciphertext}
	if doc != nil {
		in["Recipient"] = map[string]any{"AttestationDocument": doc, "KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256"}
	}
	var out struct {
		Plaintext              []byte
		CiphertextForRecipient []byte
	}
	err := aws.call(f.ctx, "Decrypt", in, &out)
	if !bytes.Equal(doc, f.doc) {
		var ae *awsError
		switch {
		case err == nil:
			return "", fmt.Errorf("the KMS released the secret (%d bytes in plaintext, %d sealed)", len(out.Plaintext), len(out.CiphertextForRecipient))
		case !errors.As(err, &ae) || ae.typ != "AccessDeniedException":
			return "", fmt.Errorf("the KMS failed instead of refusing: %w", err)
		}
		return fmt.Sprintf("refused: HTTP %d %s: %s; nothing released", ae.status, ae.typ, ae.message), nil
	}
	if err != nil {
		return "", f.kmsError("Decrypt", err)
	}
	if out.Plaintext != nil {
		return "", errors.New("a Decrypt with a recipient returned Plaintext")
	}
	pt, err := recipient.Open(out.CiphertextForRecipient, f.key, recipient.OpenOptions{})
	if err != nil {
		return "", fmt.Errorf("opening CiphertextForRecipient: %w", err)
	}
	if string(pt) != "the enclave's secret" {
		return "", errors.New("CiphertextForRecipient opens to another plaintext")
	}
	return fmt.Sprintf("allowed: the %d-byte plaintext sealed to the enclave opens", len(pt)), nil
}
