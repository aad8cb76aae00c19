package kms_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/kms"
	"github.com/qtenclave/qtenclave/recipient"
)

// A local KMS in memory, and a client for it.
func startKMS(roots ...*x509.Certificate) (*kms.Client, func()) {
	srv, err := kms.NewServer(kms.Options{Token: "example-token", Roots: roots})
	if err != nil {
		panic(err)
	}
	hs := httptest.NewServer(srv)
	c := &kms.Client{Endpoint: hs.URL, ProjectID: "0123456789abcdef0123456789abcdef", Token: "example-token"}
	return c, func() { hs.Close(); srv.Close() }
}

// Envelope encryption: the KMS encrypts a data key under a master key
// (plain_text is the data key and its SHA-256) and decrypts it back.
func Example() {
	c, stop := startKMS()
	defer stop()
	ctx := context.Background()

	key, err := c.CreateKey(ctx, &kms.CreateKeyRequest{KeyAlias: "example", KeySpec: "AES_256"})
	if err != nil {
		panic(err)
	}
	dek := bytes.Repeat([]byte{0x42}, 32)
	digest := sha256.Sum256(dek)
	enc, err := c.EncryptDatakey(ctx, &kms.EncryptDatakeyRequest{
		KeyID:              key.KeyInfo.KeyID,
		PlainText:          hex.EncodeToString(append(dek, digest[:]...)),
		DatakeyPlainLength: "32",
	})
	if err != nil {
		panic(err)
	}
	dec, err := c.DecryptDatakey(ctx, &kms.DecryptDatakeyRequest{
		KeyID:               key.KeyInfo.KeyID,
		CipherText:          enc.CipherText,
		DatakeyCipherLength: enc.DatakeyLength,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("data key length:", dec.DatakeyLength)
	fmt.Println("round trip:", dec.DataKey == hex.EncodeToString(dek))

	// A digest that does not match its data key is refused.
	_, err = c.EncryptDatakey(ctx, &kms.EncryptDatakeyRequest{
		KeyID:              key.KeyInfo.KeyID,
		PlainText:          hex.EncodeToString(append(dek, make([]byte, 32)...)),
		DatakeyPlainLength: "32",
	})
	var apiErr *kms.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
	}
	// Output:
	// data key length: 32
	// round trip: true
	// 400 KMS.0705
}

// The recipient flow: an enclave asks for a shared secret sealed to the RSA
// key in its attestation document, and only the enclave can open it.
func ExampleClient_DeriveSharedSecret() {
	c, stop := startKMS(attestationtest.Root()) // trust the TEST authority
	defer stop()
	ctx := context.Background()

	key, err := c.CreateKey(ctx, &kms.CreateKeyRequest{KeyAlias: "agreement", KeySpec: "EC_P256", KeyUsage: "KEY_AGREEMENT"})
	if err != nil {
		panic(err)
	}
	peer, err := keyspec.GenerateKey(keyspec.P256)
	if err != nil {
		panic(err)
	}

	// In the enclave: a fresh RSA key, and an attestation document that
	// carries it (here from the test authority).
	enclaveKey, err := recipient.GenerateKey(2048)
	if err != nil {
		panic(err)
	}
	doc, err := attestationtest.Issue(attestationtest.Options{PublicKey: enclaveKey.PublicKeyDER()})
	if err != nil {
		panic(err)
	}
	resp, err := c.DeriveSharedSecret(ctx, &kms.DeriveSharedSecretRequest{
		KeyID:                 key.KeyInfo.KeyID,
		KeyAgreementAlgorithm: "ECDH",
		PublicKey:             base64.StdEncoding.EncodeToString(peer.PublicKey().MarshalPKIX()),
		Recipient:             &kms.Recipient{AttestationDocument: base64.StdEncoding.EncodeToString(doc)},
	})
	if err != nil {
		panic(err)
	}
	env, _ := base64.StdEncoding.DecodeString(resp.CiphertextRecipient)
	secret, err := recipient.OpenSharedSecret(env, enclaveKey, recipient.OpenOptions{})
	if err != nil {
		panic(err)
	}

	// The peer computes the same secret from the KMS key's public key.
	pub, err := c.GetPublicKey(ctx, &kms.KeyRequest{KeyID: key.KeyInfo.KeyID})
	if err != nil {
		panic(err)
	}
	der, _ := base64.StdEncoding.DecodeString(pub.PublicKey)
	kmsPub, err := keyspec.ParsePublicKey(der)
	if err != nil {
		panic(err)
	}
	want, err := peer.ECDH(kmsPub)
	if err != nil {
		panic(err)
	}
	fmt.Println("shared_secret in the response:", resp.SharedSecret != "")
	fmt.Println("enclave and peer agree:", bytes.Equal(secret, want))
	// Output:
	// shared_secret in the response: false
	// enclave and peer agree: true
}

// Importing your own key material: WrapKeyMaterial builds the request from
// get-parameters-for-import's wrapping key and token.
func ExampleWrapKeyMaterial() {
	c, stop := startKMS()
	defer stop()
	ctx := context.Background()

	key, err := c.CreateKey(ctx, &kms.CreateKeyRequest{KeyAlias: "byok", KeySpec: "AES_256", Origin: "external"})
	if err != nil {
		panic(err)
	}
	params, err := c.GetParametersForImport(ctx, &kms.GetParametersForImportRequest{
		KeyID: key.KeyInfo.KeyID, WrappingAlgorithm: "RSAES_OAEP_SHA_256",
	})
	if err != nil {
		panic(err)
	}
	material := bytes.Repeat([]byte{7}, 32) // your AES-256 key
	req, err := kms.WrapKeyMaterial(params, material)
	if err != nil {
		panic(err)
	}
	if err := c.ImportKeyMaterial(ctx, req); err != nil {
		panic(err)
	}
	d, err := c.DescribeKey(ctx, &kms.KeyRequest{KeyID: key.KeyInfo.KeyID})
	if err != nil {
		panic(err)
	}
	fmt.Println("origin:", d.KeyInfo.Origin, "state:", d.KeyInfo.KeyState)
	// Output:
	// origin: external state: 2
}
