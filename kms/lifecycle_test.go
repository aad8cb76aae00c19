package kms

import (
	stdecdh "crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/kms/huawei"
)

// hwDo sends a Huawei request with the token: method, the path below
// /v1.0/{project_id}/kms/, and a JSON body ("" for none). It returns the
// status, the error_code ("" on success) and the decoded answer.
func (k *testKMS) hwDo(t testing.TB, method, path, body string) (int, string, any) {
	t.Helper()
	r, err := http.NewRequest(method, k.url+"/v1.0/"+testProject+"/kms/"+path, strings.NewReader(body))
	require.NoError(t, err)
	r.Header.Set("Content-Type", "application/json;charset=UTF-8")
	r.Header.Set("X-Auth-Token", testToken)
	resp, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out), "body %s", b)
	if resp.StatusCode != http.StatusOK {
		e := out.(map[string]any)["error"].(map[string]any)
		return resp.StatusCode, e["error_code"].(string), out
	}
	return resp.StatusCode, "", out
}

// awsCode calls an AWS operation and returns its status and __type ("" on
// success).
func (k *testKMS) awsCode(t testing.TB, op string, v any) (int, string, map[string]any) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	status, out := k.awsDo(t, awsRequest{target: op, body: string(b)})
	if status != http.StatusOK {
		return status, out["__type"].(string), out
	}
	return status, "", out
}

// stateKey is a key made for one cell of the state table.
type stateKey struct {
	id     string
	blob   []byte // a ciphertext of 32 bytes under the key
	token  string // an import token of the key (external keys)
	params *huawei.GetParametersForImportResponse
}

// The states of the table, in its columns' order.
var tableStates = []int{2, 3, 4, 5}

// makeStateKey makes a key of spec and usage in state: of origin kms (or
// external, with material imported, when external is set) for states 2 to
// 4; of origin external without material for state 5.
func makeStateKey(t *testing.T, k *testKMS, spec, usage string, external bool, state int) *stateKey {
	t.Helper()
	ctx := t.Context()
	origin := ""
	if external || state == 5 {
		origin = "external"
	}
	resp, err := k.client.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "state", KeySpec: spec, KeyUsage: usage, Origin: origin})
	require.NoError(t, err)
	sk := &stateKey{id: resp.KeyInfo.KeyID}
	if origin == "external" {
		sk.params, err = k.client.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{KeyID: sk.id, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
		require.NoError(t, err)
		sk.token = sk.params.ImportToken
	}
	if state == 5 {
		// A ciphertext that names the key: it is refused for the key's
		// state before it could fail to open.
		sk.blob = append(append([]byte{1}, sk.id...), make([]byte, 12+16+32)...)
		return sk
	}
	if origin == "external" {
		material := make([]byte, 32)
		if spec != "AES_256" {
			material = readTestKeyPKCS8(t, spec)
		}
		req, err := huawei.WrapKeyMaterial(sk.params, material)
		require.NoError(t, err)
		require.NoError(t, k.client.ImportKeyMaterial(ctx, req))
	}
	if usage == "ENCRYPT_DECRYPT" && spec == "AES_256" {
		out := k.aws(t, "Encrypt", map[string]any{"KeyId": sk.id, "Plaintext": b64(make([]byte, 32))})
		sk.blob = mustB64(t, out["CiphertextBlob"].(string))
	}
	switch state {
	case 3:
		_, err = k.client.DisableKey(ctx, &huawei.KeyRequest{KeyID: sk.id})
	case 4:
		_, err = k.client.ScheduleKeyDeletion(ctx, &huawei.ScheduleKeyDeletionRequest{KeyID: sk.id, PendingDays: "7"})
	}
	require.NoError(t, err)
	return sk
}

// readTestKeyPKCS8 returns the PKCS#8 DER of the test key of a spec.
func readTestKeyPKCS8(t *testing.T, spec string) []byte {
	name := map[string]string{"EC_P256": "test_p256_key.pem"}[spec]
	require.NotEmpty(t, name, spec)
	return readTestKey(t, name)
}

// stateOp is a row of the state table: an operation on a key of a spec,
// usage and origin, and what it answers in each state (an error code, or
// "" for success) and, after a success, the state the key is left in (0:
// unchanged).
type stateOp struct {
	name     string
	spec     string // default AES_256
	usage    string // default ENCRYPT_DECRYPT
	external bool
	call     func(t *testing.T, k *testKMS, sk *stateKey) (status int, code string)
	want     [4]string
	after    [4]int
}

func hw(method, path string, body any) func(t *testing.T, k *testKMS, sk *stateKey) (int, string) {
	return func(t *testing.T, k *testKMS, sk *stateKey) (int, string) {
		var b []byte
		switch v := body.(type) {
		case nil:
		case func(sk *stateKey) map[string]any:
			b, _ = json.Marshal(v(sk))
		}
		status, code, _ := k.hwDo(t, method, strings.ReplaceAll(path, "{key_id}", sk.id), string(b))
		return status, code
	}
}

func hwKey(op string, extra map[string]any) func(t *testing.T, k *testKMS, sk *stateKey) (int, string) {
	return hw(http.MethodPost, op, func(sk *stateKey) map[string]any {
		m := map[string]any{"key_id": sk.id}
		for k, v := range extra {
			m[k] = v
		}
		return m
	})
}

func awsOp(op string, body func(sk *stateKey) map[string]any) func(t *testing.T, k *testKMS, sk *stateKey) (int, string) {
	return func(t *testing.T, k *testKMS, sk *stateKey) (int, string) {
		status, code, _ := k.awsCode(t, op, body(sk))
		return status, code
	}
}

func awsKeyOp(op string, extra map[string]any) func(t *testing.T, k *testKMS, sk *stateKey) (int, string) {
	return awsOp(op, func(sk *stateKey) map[string]any {
		m := map[string]any{"KeyId": sk.id}
		for k, v := range extra {
			m[k] = v
		}
		return m
	})
}

func peerSPKI(t testing.TB) string {
	priv, err := stdecdh.P256().GenerateKey(rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(priv.PublicKey())
	require.NoError(t, err)
	return b64(der)
}

// stateTable lists every operation on a key of both front ends with what
// it answers in states 2 (enabled), 3 (disabled), 4 (pending deletion) and
// 5 (pending import), as the AWS KMS developer guide's key state table and
// Huawei's error codes have it.
func stateTable(t *testing.T) []stateOp {
	peer := peerSPKI(t)
	const (
		dis  = "DisabledException"
		inv  = "KMSInvalidStateException"
		unsp = "UnsupportedOperationException"
	)
	ok4 := [4]string{}
	crypto := func(d, pd, pi string) [4]string { return [4]string{"", d, pd, pi} }
	hwCrypto := crypto("KMS.0209", "KMS.0210", "KMS.0708")
	awsCrypto := crypto(dis, inv, inv)
	changeable := func(pd string) [4]string { return [4]string{"", "", pd, ""} }
	ec, agree, sign, rsa := "EC_P256", "KEY_AGREEMENT", "SIGN_VERIFY", "RSA_2048"
	blob := func(sk *stateKey) string { return b64(sk.blob) }
	return []stateOp{
		// Huawei: the data path.
		{name: "encrypt-data", call: hwKey("encrypt-data", map[string]any{"plain_text": "x"}), want: hwCrypto},
		{name: "decrypt-data", call: hw(http.MethodPost, "decrypt-data", func(sk *stateKey) map[string]any {
			return map[string]any{"key_id": sk.id, "cipher_text": blob(sk)}
		}), want: hwCrypto},
		{name: "create-datakey", call: hwKey("create-datakey", nil), want: hwCrypto},
		{name: "encrypt-datakey", call: hwKey("encrypt-datakey", map[string]any{"plain_text": dekPlainText("AES_256", make([]byte, 32)), "datakey_plain_length": "32"}), want: hwCrypto},
		{name: "decrypt-datakey", call: hw(http.MethodPost, "decrypt-datakey", func(sk *stateKey) map[string]any {
			return map[string]any{"key_id": sk.id, "cipher_text": fmt.Sprintf("%x", sk.blob), "datakey_cipher_length": "32"}
		}), want: hwCrypto},
		{name: "create-ec-datakey-pair", call: hwKey("create-ec-datakey-pair", map[string]any{"key_spec": "ECC_NIST_P256"}), want: hwCrypto},
		{name: "get-publickey", spec: ec, usage: agree, call: hwKey("get-publickey", nil), want: hwCrypto},
		{name: "derive-shared-secret", spec: ec, usage: agree, call: hwKey("derive-shared-secret", map[string]any{"key_agreement_algorithm": "ECDH", "public_key": peer}), want: hwCrypto},
		// Huawei: signatures, RSA encryption, data keys without plaintext.
		{name: "sign", spec: ec, usage: sign, call: hwKey("sign", map[string]any{"message": b64(make([]byte, 32)), "signing_algorithm": "ECDSA_SHA_256"}), want: hwCrypto},
		{name: "verify", spec: ec, usage: sign, call: func(t *testing.T, k *testKMS, sk *stateKey) (int, string) {
			return hwKey("verify", map[string]any{"message": b64(make([]byte, 32)), "signature": b64(signatureOf(t, k, sk)), "signing_algorithm": "ECDSA_SHA_256"})(t, k, sk)
		}, want: hwCrypto},
		{name: "encrypt-data RSA", spec: rsa, usage: "ENCRYPT_DECRYPT", call: hwKey("encrypt-data", map[string]any{"plain_text": "x", "encryption_algorithm": "RSAES_OAEP_SHA_256"}), want: hwCrypto},
		{name: "decrypt-data RSA", spec: rsa, usage: "ENCRYPT_DECRYPT", call: func(t *testing.T, k *testKMS, sk *stateKey) (int, string) {
			return hwKey("decrypt-data", map[string]any{"cipher_text": b64(rsaCiphertextOf(t, k, sk)), "encryption_algorithm": "RSAES_OAEP_SHA_256"})(t, k, sk)
		}, want: hwCrypto},
		{name: "create-datakey-without-plaintext", call: hwKey("create-datakey-without-plaintext", nil), want: hwCrypto},
		{name: "create-rsa-datakey-pair", call: hwKey("create-rsa-datakey-pair", map[string]any{"key_spec": "RSA_2048"}), want: hwCrypto},
		// Huawei: the lifecycle.
		{name: "describe-key", call: hwKey("describe-key", nil), want: ok4},
		{name: "enable-key", call: hwKey("enable-key", nil), want: [4]string{"KMS.1201", "", "KMS.1201", "KMS.1201"}, after: [4]int{0, 2}},
		{name: "disable-key", call: hwKey("disable-key", nil), want: [4]string{"", "KMS.1301", "KMS.1301", "KMS.1301"}, after: [4]int{3}},
		{name: "schedule-key-deletion", call: hwKey("schedule-key-deletion", map[string]any{"pending_days": "7"}), want: [4]string{"", "", "KMS.1402", ""}, after: [4]int{4, 4, 0, 4}},
		{name: "cancel-key-deletion", call: hwKey("cancel-key-deletion", nil), want: [4]string{"KMS.1501", "KMS.1501", "", "KMS.1501"}, after: [4]int{0, 0, 3}},
		{name: "update-key-description", call: hwKey("update-key-description", map[string]any{"key_description": "d"}), want: changeable("KMS.0210")},
		{name: "update-key-alias", call: hwKey("update-key-alias", map[string]any{"key_alias": "renamed"}), want: changeable("KMS.0210")},
		{name: "create-alias", call: hw(http.MethodPost, "aliases", func(sk *stateKey) map[string]any {
			return map[string]any{"key_id": sk.id, "alias": "a-" + sk.id}
		}), want: changeable("KMS.0210")},
		{name: "list-aliases", call: hw(http.MethodGet, "aliases?key_id={key_id}", nil), want: ok4},
		{name: "create-kms-tag", call: hw(http.MethodPost, "{key_id}/tags", func(*stateKey) map[string]any {
			return map[string]any{"tag": map[string]any{"key": "k", "value": "v"}}
		}), want: changeable("KMS.0210")},
		{name: "show-kms-tags", call: hw(http.MethodGet, "{key_id}/tags", nil), want: ok4},
		{name: "get-parameters-for-import", external: true, call: hwKey("get-parameters-for-import", map[string]any{"wrapping_algorithm": "RSAES_OAEP_SHA_256"}),
			want: [4]string{"KMS.0310", "KMS.0310", "KMS.0310", ""}},
		{name: "import-key-material", external: true, call: func(t *testing.T, k *testKMS, sk *stateKey) (int, string) {
			req, err := huawei.WrapKeyMaterial(sk.params, make([]byte, 32))
			require.NoError(t, err)
			b, _ := json.Marshal(req)
			status, code, _ := k.hwDo(t, http.MethodPost, "import-key-material", string(b))
			return status, code
		}, want: [4]string{"KMS.0310", "KMS.0310", "KMS.0310", ""}, after: [4]int{0, 0, 0, 2}},
		{name: "delete-imported-key-material", external: true, call: hwKey("delete-imported-key-material", nil), want: ok4, after: [4]int{5, 5, 4, 5}},
		{name: "delete-imported-key-material of a kms key", call: hwKey("delete-imported-key-material", nil), want: [4]string{"KMS.0309", "KMS.0309", "KMS.0309", ""}, after: [4]int{0, 0, 0, 5}},

		// AWS: the data path.
		{name: "Encrypt", call: awsKeyOp("Encrypt", map[string]any{"Plaintext": "eA=="}), want: awsCrypto},
		{name: "Decrypt", call: awsOp("Decrypt", func(sk *stateKey) map[string]any { return map[string]any{"CiphertextBlob": blob(sk)} }), want: awsCrypto},
		{name: "GenerateDataKey", call: awsKeyOp("GenerateDataKey", map[string]any{"KeySpec": "AES_256"}), want: awsCrypto},
		{name: "GenerateDataKeyPair", call: awsKeyOp("GenerateDataKeyPair", map[string]any{"KeyPairSpec": "ECC_NIST_P256"}), want: awsCrypto},
		{name: "GetPublicKey", spec: ec, usage: agree, call: awsKeyOp("GetPublicKey", nil), want: awsCrypto},
		{name: "DeriveSharedSecret", spec: ec, usage: agree, call: awsKeyOp("DeriveSharedSecret", map[string]any{"KeyAgreementAlgorithm": "ECDH", "PublicKey": peer}), want: awsCrypto},
		// AWS: signatures, RSA encryption, re-encryption, data keys without
		// plaintext.
		{name: "Sign", spec: ec, usage: sign, call: awsKeyOp("Sign", map[string]any{"Message": b64(make([]byte, 32)), "MessageType": "DIGEST", "SigningAlgorithm": "ECDSA_SHA_256"}), want: awsCrypto},
		{name: "Verify", spec: ec, usage: sign, call: func(t *testing.T, k *testKMS, sk *stateKey) (int, string) {
			return awsKeyOp("Verify", map[string]any{"Message": b64(make([]byte, 32)), "MessageType": "DIGEST", "Signature": b64(signatureOf(t, k, sk)), "SigningAlgorithm": "ECDSA_SHA_256"})(t, k, sk)
		}, want: awsCrypto},
		{name: "Encrypt RSA", spec: rsa, usage: "ENCRYPT_DECRYPT", call: awsKeyOp("Encrypt", map[string]any{"Plaintext": "eA==", "EncryptionAlgorithm": "RSAES_OAEP_SHA_1"}), want: awsCrypto},
		{name: "Decrypt RSA", spec: rsa, usage: "ENCRYPT_DECRYPT", call: func(t *testing.T, k *testKMS, sk *stateKey) (int, string) {
			return awsKeyOp("Decrypt", map[string]any{"CiphertextBlob": b64(rsaCiphertextOf(t, k, sk)), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"})(t, k, sk)
		}, want: awsCrypto},
		{name: "ReEncrypt", call: awsOp("ReEncrypt", func(sk *stateKey) map[string]any {
			return map[string]any{"CiphertextBlob": blob(sk), "DestinationKeyId": sk.id}
		}), want: awsCrypto},
		{name: "GenerateDataKeyWithoutPlaintext", call: awsKeyOp("GenerateDataKeyWithoutPlaintext", map[string]any{"KeySpec": "AES_256"}), want: awsCrypto},
		{name: "GenerateDataKeyPairWithoutPlaintext", call: awsKeyOp("GenerateDataKeyPairWithoutPlaintext", map[string]any{"KeyPairSpec": "ECC_NIST_P256"}), want: awsCrypto},
		// PutKeyPolicy works in every state (the key state table).
		{name: "PutKeyPolicy", call: awsKeyOp("PutKeyPolicy", map[string]any{"PolicyName": "default", "Policy": defaultTestPolicy}), want: ok4},
		// AWS: the lifecycle.
		{name: "DescribeKey", call: awsKeyOp("DescribeKey", nil), want: ok4},
		{name: "GetKeyPolicy", call: awsKeyOp("GetKeyPolicy", map[string]any{"PolicyName": "default"}), want: ok4},
		{name: "ListKeyPolicies", call: awsKeyOp("ListKeyPolicies", nil), want: ok4},
		{name: "EnableKey", call: awsKeyOp("EnableKey", nil), want: [4]string{"", "", inv, inv}, after: [4]int{2, 2}},
		{name: "DisableKey", call: awsKeyOp("DisableKey", nil), want: [4]string{"", "", inv, inv}, after: [4]int{3, 3}},
		{name: "ScheduleKeyDeletion", call: awsKeyOp("ScheduleKeyDeletion", map[string]any{"PendingWindowInDays": 7}), want: [4]string{"", "", inv, ""}, after: [4]int{4, 4, 0, 4}},
		{name: "CancelKeyDeletion", call: awsKeyOp("CancelKeyDeletion", nil), want: [4]string{inv, inv, "", inv}, after: [4]int{0, 0, 3}},
		{name: "UpdateKeyDescription", call: awsKeyOp("UpdateKeyDescription", map[string]any{"Description": "d"}), want: changeable(inv)},
		{name: "CreateAlias", call: awsOp("CreateAlias", func(sk *stateKey) map[string]any {
			return map[string]any{"AliasName": "alias/" + sk.id, "TargetKeyId": sk.id}
		}), want: changeable(inv)},
		{name: "ListAliases", call: awsKeyOp("ListAliases", nil), want: ok4},
		{name: "TagResource", call: awsKeyOp("TagResource", map[string]any{"Tags": []map[string]any{{"TagKey": "k", "TagValue": "v"}}}), want: changeable(inv)},
		{name: "UntagResource", call: awsKeyOp("UntagResource", map[string]any{"TagKeys": []string{"k"}}), want: changeable(inv)},
		{name: "ListResourceTags", call: awsKeyOp("ListResourceTags", nil), want: ok4},
		{name: "GetParametersForImport", external: true, call: awsKeyOp("GetParametersForImport", map[string]any{"WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
			want: [4]string{inv, inv, inv, ""}},
		{name: "ImportKeyMaterial", external: true, call: func(t *testing.T, k *testKMS, sk *stateKey) (int, string) {
			req, err := huawei.WrapKeyMaterial(sk.params, make([]byte, 32))
			require.NoError(t, err)
			status, code, _ := k.awsCode(t, "ImportKeyMaterial", map[string]any{"KeyId": sk.id, "ImportToken": req.ImportToken,
				"EncryptedKeyMaterial": req.EncryptedKeyMaterial, "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"})
			return status, code
		}, want: [4]string{inv, inv, inv, ""}, after: [4]int{0, 0, 0, 2}},
		{name: "DeleteImportedKeyMaterial", external: true, call: awsKeyOp("DeleteImportedKeyMaterial", nil), want: ok4, after: [4]int{5, 5, 4, 5}},
		{name: "DeleteImportedKeyMaterial of a kms key", call: awsKeyOp("DeleteImportedKeyMaterial", nil), want: [4]string{unsp, unsp, unsp, ""}, after: [4]int{0, 0, 0, 5}},
	}
}

// signatureOf signs 32 zero bytes as a digest with sk's P-256 key, or
// returns a well-formed signature of no key when the key's state refuses
// Sign: verify must be refused for the state, not the signature.
func signatureOf(t *testing.T, k *testKMS, sk *stateKey) []byte {
	status, _, out := k.awsCode(t, "Sign", map[string]any{"KeyId": sk.id, "Message": b64(make([]byte, 32)), "MessageType": "DIGEST", "SigningAlgorithm": "ECDSA_SHA_256"})
	if status == http.StatusOK {
		return mustB64(t, out["Signature"].(string))
	}
	return []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}
}

// rsaCiphertextOf encrypts "x" with RSAES-OAEP-SHA-256 under sk's RSA key,
// or returns 256 bytes of no key when the key's state refuses Encrypt.
func rsaCiphertextOf(t *testing.T, k *testKMS, sk *stateKey) []byte {
	status, _, out := k.awsCode(t, "Encrypt", map[string]any{"KeyId": sk.id, "Plaintext": "eA==", "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"})
	if status == http.StatusOK {
		return mustB64(t, out["CiphertextBlob"].(string))
	}
	return make([]byte, 256)
}

// TestStateTable runs every operation on a key of both front ends in every
// key state and checks its answer and the state it leaves the key in.
func TestStateTable(t *testing.T) {
	k := newTestKMS(t, Options{})
	cells := 0
	for _, op := range stateTable(t) {
		for col, state := range tableStates {
			t.Run(fmt.Sprintf("%s/state%d", op.name, state), func(t *testing.T) {
				spec, usage := op.spec, op.usage
				if spec == "" {
					spec, usage = "AES_256", "ENCRYPT_DECRYPT"
				}
				sk := makeStateKey(t, k, spec, usage, op.external, state)
				status, code := op.call(t, k, sk)
				require.Equal(t, op.want[col], code, "status %d", status)
				if code == "" {
					require.Equal(t, http.StatusOK, status)
				} else {
					require.Equal(t, http.StatusBadRequest, status)
				}
				want := state
				if code == "" && op.after[col] != 0 {
					want = op.after[col]
				}
				d, err := k.client.DescribeKey(t.Context(), &huawei.KeyRequest{KeyID: sk.id})
				require.NoError(t, err)
				require.Equal(t, fmt.Sprint(want), d.KeyInfo.KeyState)
			})
			cells++
		}
	}
	t.Logf("%d cells", cells)
}

// defaultTestPolicy is AWS's default key policy for the test KMS's account.
const defaultTestPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow",` +
	`"Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kms:*","Resource":"*"}]}`
