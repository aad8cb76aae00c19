package interop

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	hwkms "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2/model"

	"github.com/qtenclave/qtenclave/kms/huawei"
)

// newHuaweiClient returns the Huawei Cloud SDK's KMS client for the local
// server: the SDK's defaults, with only the endpoint and AK/SK set.
func newHuaweiClient(t testing.TB, url, ak, sk string) *hwkms.KmsClient {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(testProject).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := hwkms.KmsClientBuilder().
		WithEndpoints([]string{url}).
		WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig()).
		SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return hwkms.NewKmsClient(hc)
}

// hwUsage makes a create-key key_usage the SDK's enum lacks (KEY_AGREEMENT)
// the way a caller of the unmodified SDK can: through its JSON form.
func hwUsage(t testing.TB, usage string) *model.CreateKeyRequestBodyKeyUsage {
	t.Helper()
	var u model.CreateKeyRequestBodyKeyUsage
	if err := json.Unmarshal([]byte(strconv.Quote(usage)), &u); err != nil {
		t.Fatal(err)
	}
	return &u
}

func hwCreateKey(t testing.TB, c *hwkms.KmsClient, spec model.CreateKeyRequestBodyKeySpec, usage *model.CreateKeyRequestBodyKeyUsage, origin *model.CreateKeyRequestBodyOrigin) string {
	t.Helper()
	resp, err := c.CreateKey(&model.CreateKeyRequest{Body: &model.CreateKeyRequestBody{
		KeyAlias: "interop-" + spec.Value(), KeySpec: &spec, KeyUsage: usage, Origin: origin,
	}})
	if err != nil {
		t.Fatalf("create-key %s: %v", spec.Value(), err)
	}
	return *resp.KeyInfo.KeyId
}

func TestHuaweiKeys(t *testing.T) {
	url := startKMS(t)
	c := newHuaweiClient(t, url, testAK, testSK)
	specs := model.GetCreateKeyRequestBodyKeySpecEnum()
	aes := hwCreateKey(t, c, specs.AES_256, nil, nil)
	ec := hwCreateKey(t, c, specs.EC_P256, hwUsage(t, "KEY_AGREEMENT"), nil)

	d, err := c.ListKeyDetail(&model.ListKeyDetailRequest{Body: &model.OperateKeyRequestBody{KeyId: ec}})
	if err != nil {
		t.Fatal(err)
	}
	if *d.KeyInfo.KeyId != ec || d.KeyInfo.KeySpec.Value() != "EC_P256" || d.KeyInfo.KeyUsage.Value() != "KEY_AGREEMENT" || *d.KeyInfo.KeyState != "2" {
		t.Errorf("describe-key: %+v", d.KeyInfo)
	}

	all := model.GetListKeysRequestBodyKeySpecEnum().ALL
	l, err := c.ListKeys(&model.ListKeysRequest{Body: &model.ListKeysRequestBody{KeySpec: &all}})
	if err != nil {
		t.Fatal(err)
	}
	if *l.Total != 2 || len(*l.Keys) != 2 || len(*l.KeyDetails) != 2 {
		t.Errorf("list-keys: %v", l)
	}

	pk, err := c.ShowPublicKey(&model.ShowPublicKeyRequest{Body: &model.OperateKeyRequestBody{KeyId: ec}})
	if err != nil {
		t.Fatal(err)
	}
	der, err := base64.StdEncoding.DecodeString(*pk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParsePKIXPublicKey(der); err != nil {
		t.Errorf("get-publickey: %v", err)
	}

	// Errors reach the caller as ServiceResponseError with the server's code.
	_, err = c.ShowPublicKey(&model.ShowPublicKeyRequest{Body: &model.OperateKeyRequestBody{KeyId: aes + "x"}})
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) || se.StatusCode != 400 || se.ErrorCode != "KMS.0205" || se.RequestId == "" {
		t.Errorf("get-publickey with a bad key_id: %v", err)
	}
	_, err = newHuaweiClient(t, url, testAK, "wrong").ListKeys(&model.ListKeysRequest{Body: &model.ListKeysRequestBody{}})
	if !errors.As(err, &se) || se.StatusCode != 401 {
		t.Errorf("a client with a wrong secret key: %v", err)
	}
}

func TestHuaweiDatakeys(t *testing.T) {
	c := newHuaweiClient(t, startKMS(t), testAK, testSK)
	aes := hwCreateKey(t, c, model.GetCreateKeyRequestBodyKeySpecEnum().AES_256, nil, nil)
	aad := "interop"

	dek := make([]byte, 32)
	rand.Read(dek)
	digest := sha256.Sum256(dek)
	enc, err := c.EncryptDatakey(&model.EncryptDatakeyRequest{Body: &model.EncryptDatakeyRequestBody{
		KeyId: aes, PlainText: hex.EncodeToString(append(bytes.Clone(dek), digest[:]...)), DatakeyPlainLength: "32",
		AdditionalAuthenticatedData: &aad,
	}})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := c.DecryptDatakey(&model.DecryptDatakeyRequest{Body: &model.DecryptDatakeyRequestBody{
		KeyId: aes, CipherText: *enc.CipherText, DatakeyCipherLength: "32", AdditionalAuthenticatedData: &aad,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if *dec.DataKey != hex.EncodeToString(dek) || *dec.DatakeyDgst != hex.EncodeToString(digest[:]) {
		t.Errorf("decrypt-datakey: %+v", dec)
	}

	ecSpecs := model.GetCreateEcDatakeyPairRequestBodyKeySpecEnum()
	for _, spec := range []model.CreateEcDatakeyPairRequestBodyKeySpec{ecSpecs.ECC_NIST_P256, ecSpecs.ECC_NIST_P384, ecSpecs.ECC_NIST_P521, ecSpecs.ECC_SECG_P256_K1, ecSpecs.SM2} {
		out, err := c.CreateEcDatakeyPair(&model.CreateEcDatakeyPairRequest{Body: &model.CreateEcDatakeyPairRequestBody{KeyId: aes, KeySpec: spec}})
		if err != nil {
			t.Fatalf("create-ec-datakey-pair %s: %v", spec.Value(), err)
		}
		if out.PrivateKeyPlainText == nil || out.PrivateKeyCipherText == nil || out.PublicKey == nil || out.CiphertextRecipient != nil {
			t.Errorf("create-ec-datakey-pair %s: %+v", spec.Value(), out)
		}
	}
	rsaSpec := model.GetCreateRsaDatakeyPairRequestBodyKeySpecEnum().RSA_2048
	noPlain := false
	out, err := c.CreateRsaDatakeyPair(&model.CreateRsaDatakeyPairRequest{Body: &model.CreateRsaDatakeyPairRequestBody{KeyId: aes, KeySpec: rsaSpec, WithPlainText: &noPlain}})
	if err != nil {
		t.Fatal(err)
	}
	if out.PrivateKeyPlainText != nil || out.PrivateKeyCipherText == nil {
		t.Errorf("create-rsa-datakey-pair without plaintext: %+v", out)
	}
}

func TestHuaweiDeriveSharedSecret(t *testing.T) {
	c := newHuaweiClient(t, startKMS(t), testAK, testSK)
	key := hwCreateKey(t, c, model.GetCreateKeyRequestBodyKeySpecEnum().EC_P256, hwUsage(t, "KEY_AGREEMENT"), nil)
	peer := readKey(t, "test_p256_key.pem")
	out, err := c.DeriveSharedSecret(&model.DeriveSharedSecretRequest{Body: &model.DeriveSharedSecretRequestBody{
		KeyId: key, KeyAgreementAlgorithm: model.GetDeriveSharedSecretRequestBodyKeyAgreementAlgorithmEnum().ECDH,
		PublicKey: base64.StdEncoding.EncodeToString(publicDER(t, peer)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := base64.StdEncoding.DecodeString(*out.SharedSecret)
	if err != nil {
		t.Fatal(err)
	}
	if want := hwPeerSecret(t, c, key, peer.(interface {
		ECDH() (*ecdh.PrivateKey, error)
	})); !bytes.Equal(got, want) {
		t.Errorf("shared_secret %x, want %x", got, want)
	}
}

// hwPeerSecret is the secret the peer computes with the KMS key's public key.
func hwPeerSecret(t testing.TB, c *hwkms.KmsClient, keyID string, peer interface {
	ECDH() (*ecdh.PrivateKey, error)
}) []byte {
	t.Helper()
	pk, err := c.ShowPublicKey(&model.ShowPublicKeyRequest{Body: &model.OperateKeyRequestBody{KeyId: keyID}})
	if err != nil {
		t.Fatal(err)
	}
	der, err := base64.StdEncoding.DecodeString(*pk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatal(err)
	}
	kmsPub, err := pub.(interface {
		ECDH() (*ecdh.PublicKey, error)
	}).ECDH()
	if err != nil {
		t.Fatal(err)
	}
	p, err := peer.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.ECDH(kmsPub)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHuaweiImport imports an AES key and an EC private key through
// get-parameters-for-import and import-key-material, wrapped by the kms
// package's client-side helper.
func TestHuaweiImport(t *testing.T) {
	c := newHuaweiClient(t, startKMS(t), testAK, testSK)
	external := model.GetCreateKeyRequestBodyOriginEnum().EXTERNAL
	specs := model.GetCreateKeyRequestBodyKeySpecEnum()
	ecKey := readKey(t, "test_p256_key.pem")
	ecPKCS8, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	aesKey := make([]byte, 32)
	rand.Read(aesKey)

	for _, tc := range []struct {
		spec     model.CreateKeyRequestBodyKeySpec
		usage    *model.CreateKeyRequestBodyKeyUsage
		material []byte
	}{
		{specs.AES_256, nil, aesKey},
		{specs.EC_P256, hwUsage(t, "KEY_AGREEMENT"), ecPKCS8},
	} {
		key := hwCreateKey(t, c, tc.spec, tc.usage, &external)
		params, err := c.CreateParametersForImport(&model.CreateParametersForImportRequest{Body: &model.GetParametersForImportRequestBody{
			KeyId: key, WrappingAlgorithm: model.GetGetParametersForImportRequestBodyWrappingAlgorithmEnum().RSAES_OAEP_SHA_256,
		}})
		if err != nil {
			t.Fatal(err)
		}
		wrapped, err := huawei.WrapKeyMaterial(&huawei.GetParametersForImportResponse{
			KeyID: *params.KeyId, ImportToken: *params.ImportToken, ExpirationTime: *params.ExpirationTime, PublicKey: *params.PublicKey,
		}, tc.material)
		if err != nil {
			t.Fatal(err)
		}
		body := &model.ImportKeyMaterialRequestBody{KeyId: wrapped.KeyID, ImportToken: wrapped.ImportToken, EncryptedKeyMaterial: wrapped.EncryptedKeyMaterial}
		if wrapped.EncryptedPrivatekey != "" {
			body.EncryptedPrivatekey = &wrapped.EncryptedPrivatekey
		}
		if _, err := c.ImportKeyMaterial(&model.ImportKeyMaterialRequest{Body: body}); err != nil {
			t.Fatalf("%s: %v", tc.spec.Value(), err)
		}
		d, err := c.ListKeyDetail(&model.ListKeyDetailRequest{Body: &model.OperateKeyRequestBody{KeyId: key}})
		if err != nil {
			t.Fatal(err)
		}
		if *d.KeyInfo.KeyState != "2" || d.KeyInfo.Origin.Value() != "external" {
			t.Errorf("%s: imported key: %+v", tc.spec.Value(), d.KeyInfo)
		}
		if tc.usage != nil {
			pk, err := c.ShowPublicKey(&model.ShowPublicKeyRequest{Body: &model.OperateKeyRequestBody{KeyId: key}})
			if err != nil {
				t.Fatal(err)
			}
			if *pk.PublicKey != base64.StdEncoding.EncodeToString(publicDER(t, ecKey)) {
				t.Errorf("%s: the imported key's public key is not the key's", tc.spec.Value())
			}
		}
	}
}

// TestHuaweiDataOperations runs the data operations through the official
// SDK: create-datakey (with its plaintext, under AES_256 and SM4 keys, and
// opened again by decrypt-datakey), symmetric encrypt-data and
// decrypt-data with additional authenticated data, gen-random, and
// list-keys with its filters (key_spec, key_state, limit and marker).
func TestHuaweiDataOperations(t *testing.T) {
	c := newHuaweiClient(t, startKMS(t), testAK, testSK)
	specs := model.GetCreateKeyRequestBodyKeySpecEnum()
	aes := hwCreateKey(t, c, specs.AES_256, nil, nil)
	sm4 := hwCreateKey(t, c, specs.SM4, nil, nil)
	aad := "interop"

	for _, tc := range []struct {
		key, bits string
		bytes     int
	}{{aes, "256", 32}, {aes, "512", 64}, {sm4, "128", 16}} {
		dk, err := c.CreateDatakey(&model.CreateDatakeyRequest{Body: &model.CreateDatakeyRequestBody{KeyId: tc.key, DatakeyLength: &tc.bits, AdditionalAuthenticatedData: &aad}})
		if err != nil {
			t.Fatalf("create-datakey %s bits: %v", tc.bits, err)
		}
		plain, err := hex.DecodeString(*dk.PlainText)
		if err != nil || len(plain) != tc.bytes || *dk.KeyId != tc.key || dk.CipherText == nil {
			t.Fatalf("create-datakey %s bits: %v %+v", tc.bits, err, dk)
		}
		dec, err := c.DecryptDatakey(&model.DecryptDatakeyRequest{Body: &model.DecryptDatakeyRequestBody{
			KeyId: tc.key, CipherText: *dk.CipherText, DatakeyCipherLength: strconv.Itoa(tc.bytes), AdditionalAuthenticatedData: &aad,
		}})
		if err != nil || *dec.DataKey != *dk.PlainText {
			t.Errorf("decrypt-datakey of create-datakey's key (%s bits): %v", tc.bits, err)
		}
		other := "another"
		_, err = c.DecryptDatakey(&model.DecryptDatakeyRequest{Body: &model.DecryptDatakeyRequestBody{
			KeyId: tc.key, CipherText: *dk.CipherText, DatakeyCipherLength: strconv.Itoa(tc.bytes), AdditionalAuthenticatedData: &other,
		}})
		requireHuaweiCode(t, "decrypt-datakey with other additional_authenticated_data", err, "KMS.0706")
	}

	for _, key := range []string{aes, sm4} {
		enc, err := c.EncryptData(&model.EncryptDataRequest{Body: &model.EncryptDataRequestBody{KeyId: key, PlainText: "symmetric, via the SDK", AdditionalAuthenticatedData: &aad}})
		if err != nil {
			t.Fatal(err)
		}
		if *enc.KeyId != key {
			t.Errorf("encrypt-data: %+v", enc)
		}
		// The ciphertext names its key: decrypt-data needs no key_id.
		dec, err := c.DecryptData(&model.DecryptDataRequest{Body: &model.DecryptDataRequestBody{CipherText: *enc.CipherText, AdditionalAuthenticatedData: &aad}})
		if err != nil || *dec.PlainText != "symmetric, via the SDK" || *dec.KeyId != key {
			t.Errorf("decrypt-data: %v %+v", err, dec)
		}
		_, err = c.DecryptData(&model.DecryptDataRequest{Body: &model.DecryptDataRequestBody{CipherText: *enc.CipherText}})
		requireHuaweiCode(t, "decrypt-data without its additional_authenticated_data", err, "KMS.0706")
	}

	seen := map[string]bool{}
	for range 2 {
		r, err := c.CreateRandom(&model.CreateRandomRequest{Body: &model.GenRandomRequestBody{RandomDataLength: "512"}})
		if err != nil {
			t.Fatal(err)
		}
		if b, err := hex.DecodeString(*r.RandomData); err != nil || len(b) != 64 || seen[*r.RandomData] {
			t.Errorf("gen-random 512 bits: %v %q", err, *r.RandomData)
		}
		seen[*r.RandomData] = true
	}
	_, err := c.CreateRandom(&model.CreateRandomRequest{Body: &model.GenRandomRequestBody{RandomDataLength: "8200"}})
	requireHuaweiCode(t, "gen-random of 8200 bits", err, "KMS.0308")

	// list-keys: the default key_spec is AES_256; a spec, a state, pages.
	l, err := c.ListKeys(&model.ListKeysRequest{Body: &model.ListKeysRequestBody{}})
	if err != nil || *l.Total != 1 || (*l.Keys)[0] != aes {
		t.Errorf("list-keys without key_spec: %v %v", err, l)
	}
	sm4Spec := model.GetListKeysRequestBodyKeySpecEnum().SM4
	l, err = c.ListKeys(&model.ListKeysRequest{Body: &model.ListKeysRequestBody{KeySpec: &sm4Spec}})
	if err != nil || *l.Total != 1 || (*l.Keys)[0] != sm4 {
		t.Errorf("list-keys key_spec SM4: %v %v", err, l)
	}
	if _, err := c.DisableKey(&model.DisableKeyRequest{Body: &model.OperateKeyRequestBody{KeyId: sm4}}); err != nil {
		t.Fatal(err)
	}
	all, disabled := model.GetListKeysRequestBodyKeySpecEnum().ALL, "3"
	l, err = c.ListKeys(&model.ListKeysRequest{Body: &model.ListKeysRequestBody{KeySpec: &all, KeyState: &disabled}})
	if err != nil || *l.Total != 1 || (*l.Keys)[0] != sm4 || (*l.KeyDetails)[0].KeyState == nil || *(*l.KeyDetails)[0].KeyState != "3" {
		t.Errorf("list-keys key_state 3: %v %v", err, l)
	}
	one := "1"
	var pages []string
	var marker *string
	for range 3 {
		l, err = c.ListKeys(&model.ListKeysRequest{Body: &model.ListKeysRequestBody{KeySpec: &all, Limit: &one, Marker: marker}})
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, *l.Keys...)
		if l.Truncated == nil || l.Truncated.Value() != "true" {
			break
		}
		marker = l.NextMarker
	}
	if len(pages) != 2 || pages[0] == pages[1] {
		t.Errorf("list-keys by pages of 1: %v", pages)
	}
}
