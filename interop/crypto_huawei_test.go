package interop

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2/model"
)

// The official Huawei Cloud Go SDK runs the Huawei operations of issue 12
// against the local KMS: sign and verify (ValidateSignature),
// create-datakey-without-plaintext, and encrypt-data / decrypt-data with
// RSAES_OAEP_SHA_256 and SM2_ENCRYPT keys. The SDK model has re-encrypt
// too; this server does not serve it on the Huawei front end.

func TestHuaweiSignVerify(t *testing.T) {
	c := newHuaweiClient(t, startKMS(t), testAK, testSK)
	specs := model.GetCreateKeyRequestBodyKeySpecEnum()
	signVerify := model.GetCreateKeyRequestBodyKeyUsageEnum().SIGN_VERIFY
	sa := model.GetSignRequestBodySigningAlgorithmEnum()
	va := model.GetVerifyRequestBodySigningAlgorithmEnum()
	raw := model.GetSignRequestBodyMessageTypeEnum().RAW
	msg, another := []byte("signed through the Huawei SDK"), []byte("another message")
	h256, h384, h512 := sha256.Sum256(msg), sha512.Sum384(msg), sha512.Sum512(msg)
	o256, o384, o512 := sha256.Sum256(another), sha512.Sum384(another), sha512.Sum512(another)
	for _, tc := range []struct {
		spec   model.CreateKeyRequestBodyKeySpec
		sign   model.SignRequestBodySigningAlgorithm
		verify model.VerifyRequestBodySigningAlgorithm
		digest []byte
		other  []byte
	}{
		{specs.RSA_2048, sa.RSASSA_PSS_SHA_256, va.RSASSA_PSS_SHA_256, h256[:], o256[:]},
		{specs.RSA_2048, sa.RSASSA_PKCS1_V1_5_SHA_512, va.RSASSA_PKCS1_V1_5_SHA_512, h512[:], o512[:]},
		{specs.EC_P256, sa.ECDSA_SHA_256, va.ECDSA_SHA_256, h256[:], o256[:]},
		{specs.EC_P384, sa.ECDSA_SHA_384, va.ECDSA_SHA_384, h384[:], o384[:]},
		{specs.SECP256_K1, sa.ECDSA_SHA_256, va.ECDSA_SHA_256, h256[:], o256[:]},
	} {
		key := hwCreateKey(t, c, tc.spec, &signVerify, nil)
		name := tc.spec.Value() + "/" + tc.sign.Value()
		// message_type DIGEST, the default.
		s, err := c.Sign(&model.SignRequest{Body: &model.SignRequestBody{KeyId: key, Message: base64.StdEncoding.EncodeToString(tc.digest), SigningAlgorithm: tc.sign}})
		if err != nil {
			t.Fatalf("%s: sign: %v", name, err)
		}
		v, err := c.ValidateSignature(&model.ValidateSignatureRequest{Body: &model.VerifyRequestBody{KeyId: key, Message: base64.StdEncoding.EncodeToString(tc.digest), Signature: *s.Signature, SigningAlgorithm: tc.verify}})
		if err != nil || *v.SignatureValid != "true" || *v.KeyId != key {
			t.Errorf("%s: verify: %v %v", name, err, v)
		}
		// RAW, and a signature of another message.
		s, err = c.Sign(&model.SignRequest{Body: &model.SignRequestBody{KeyId: key, Message: base64.StdEncoding.EncodeToString(msg), SigningAlgorithm: tc.sign, MessageType: &raw}})
		if err != nil {
			t.Fatalf("%s: sign RAW: %v", name, err)
		}
		// The RAW signature is of msg: against another message's digest it
		// is "false", a 200 answer.
		v, err = c.ValidateSignature(&model.ValidateSignatureRequest{Body: &model.VerifyRequestBody{KeyId: key, Message: base64.StdEncoding.EncodeToString(tc.other), Signature: *s.Signature, SigningAlgorithm: tc.verify}})
		if err != nil || *v.SignatureValid != "false" {
			t.Errorf("%s: verify of another message: %v %v", name, err, v)
		}
		v, err = c.ValidateSignature(&model.ValidateSignatureRequest{Body: &model.VerifyRequestBody{KeyId: key, Message: base64.StdEncoding.EncodeToString(tc.digest), Signature: *s.Signature, SigningAlgorithm: tc.verify}})
		if err != nil || *v.SignatureValid != "true" {
			t.Errorf("%s: verify of the RAW signature: %v %v", name, err, v)
		}
	}
	// An SM2 key signs e = SM3(Z_A || M), digests only.
	sm2Key := hwCreateKey(t, c, specs.SM2, &signVerify, nil)
	_, err := c.Sign(&model.SignRequest{Body: &model.SignRequestBody{KeyId: sm2Key, Message: base64.StdEncoding.EncodeToString(msg), SigningAlgorithm: sa.SM2_DSA_SM3, MessageType: &raw}})
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) || se.StatusCode != 400 || se.ErrorCode != "KMS.0308" {
		t.Errorf("sign RAW with SM2: %v", err)
	}
	s, err := c.Sign(&model.SignRequest{Body: &model.SignRequestBody{KeyId: sm2Key, Message: base64.StdEncoding.EncodeToString(h256[:]), SigningAlgorithm: sa.SM2_DSA_SM3}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.ValidateSignature(&model.ValidateSignatureRequest{Body: &model.VerifyRequestBody{KeyId: sm2Key, Message: base64.StdEncoding.EncodeToString(h256[:]), Signature: *s.Signature, SigningAlgorithm: va.SM2_DSA_SM3}})
	if err != nil || *v.SignatureValid != "true" {
		t.Errorf("SM2 verify: %v %v", err, v)
	}
}

func TestHuaweiAsymmetricDataAndWithoutPlaintext(t *testing.T) {
	c := newHuaweiClient(t, startKMS(t), testAK, testSK)
	specs := model.GetCreateKeyRequestBodyKeySpecEnum()
	encDec := model.GetCreateKeyRequestBodyKeyUsageEnum().ENCRYPT_DECRYPT
	ea := model.GetEncryptDataRequestBodyEncryptionAlgorithmEnum()
	da := model.GetDecryptDataRequestBodyEncryptionAlgorithmEnum()
	for _, tc := range []struct {
		spec model.CreateKeyRequestBodyKeySpec
		enc  model.EncryptDataRequestBodyEncryptionAlgorithm
		dec  model.DecryptDataRequestBodyEncryptionAlgorithm
	}{
		{specs.RSA_2048, ea.RSAES_OAEP_SHA_256, da.RSAES_OAEP_SHA_256},
		{specs.RSA_3072, ea.RSAES_OAEP_SHA_256, da.RSAES_OAEP_SHA_256},
		{specs.SM2, ea.SM2_ENCRYPT, da.SM2_ENCRYPT},
	} {
		key := hwCreateKey(t, c, tc.spec, &encDec, nil)
		enc, err := c.EncryptData(&model.EncryptDataRequest{Body: &model.EncryptDataRequestBody{KeyId: key, PlainText: "asymmetric, via the SDK", EncryptionAlgorithm: &tc.enc}})
		if err != nil {
			t.Fatalf("%s: encrypt-data: %v", tc.spec.Value(), err)
		}
		dec, err := c.DecryptData(&model.DecryptDataRequest{Body: &model.DecryptDataRequestBody{CipherText: *enc.CipherText, KeyId: &key, EncryptionAlgorithm: &tc.dec}})
		if err != nil || *dec.PlainText != "asymmetric, via the SDK" {
			t.Errorf("%s: decrypt-data: %v %v", tc.spec.Value(), err, dec)
		}
		_, err = c.DecryptData(&model.DecryptDataRequest{Body: &model.DecryptDataRequestBody{CipherText: *enc.CipherText, EncryptionAlgorithm: &tc.dec}})
		var se *sdkerr.ServiceResponseError
		if !errors.As(err, &se) || se.ErrorCode != "KMS.0204" {
			t.Errorf("%s: decrypt-data without key_id: %v", tc.spec.Value(), err)
		}
	}

	aes := hwCreateKey(t, c, specs.AES_256, nil, nil)
	length, aad := "256", "interop"
	out, err := c.CreateDatakeyWithoutPlaintext(&model.CreateDatakeyWithoutPlaintextRequest{Body: &model.CreateDatakeyRequestBody{KeyId: aes, DatakeyLength: &length, AdditionalAuthenticatedData: &aad}})
	if err != nil {
		t.Fatal(err)
	}
	if *out.KeyId != aes || out.CipherText == nil {
		t.Fatalf("create-datakey-without-plaintext: %+v", out)
	}
	dk, err := c.DecryptDatakey(&model.DecryptDatakeyRequest{Body: &model.DecryptDatakeyRequestBody{KeyId: aes, CipherText: *out.CipherText, DatakeyCipherLength: "32", AdditionalAuthenticatedData: &aad}})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := hex.DecodeString(*dk.DataKey); err != nil || len(b) != 32 {
		t.Errorf("decrypt-datakey of a data key without plaintext: %v", err)
	}
	// pin_type as the model defines it (the default CipherText) is accepted.
	ct := model.GetCreateDatakeyRequestBodyPinTypeEnum().CIPHER_TEXT
	if _, err := c.CreateDatakeyWithoutPlaintext(&model.CreateDatakeyWithoutPlaintextRequest{Body: &model.CreateDatakeyRequestBody{KeyId: aes, PinType: &ct}}); err != nil {
		t.Errorf("pin_type CipherText: %v", err)
	}
}
