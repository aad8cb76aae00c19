package huawei_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http/httptest"

	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/kms"
	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/recipient"
)

// A local KMS in memory (package kms), and a client for it.
func startKMS(roots ...*x509.Certificate) (*huawei.Client, func()) {
	srv, err := kms.NewServer(kms.Options{Token: "example-token", Roots: roots})
	if err != nil {
		panic(err)
	}
	hs := httptest.NewServer(srv)
	c := &huawei.Client{Endpoint: hs.URL, ProjectID: "0123456789abcdef0123456789abcdef", Token: huawei.NewSecret("example-token")}
	return c, func() { hs.Close(); srv.Close() }
}

// The recipient flow: an enclave asks for a shared secret sealed to the RSA
// key in its attestation document, and only the enclave can open it.
func ExampleClient_DeriveSharedSecret() {
	c, stop := startKMS(attestationtest.Root()) // trust the TEST authority
	defer stop()
	ctx := context.Background()

	key, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "agreement", KeySpec: "EC_P256", KeyUsage: "KEY_AGREEMENT"})
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
	resp, err := c.DeriveSharedSecret(ctx, &huawei.DeriveSharedSecretRequest{
		KeyID:                 key.KeyInfo.KeyID,
		KeyAgreementAlgorithm: "ECDH",
		PublicKey:             base64.StdEncoding.EncodeToString(peer.PublicKey().MarshalPKIX()),
		Recipient:             &huawei.Recipient{AttestationDocument: base64.StdEncoding.EncodeToString(doc)},
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
	pub, err := c.GetPublicKey(ctx, &huawei.KeyRequest{KeyID: key.KeyInfo.KeyID})
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
	fmt.Println("shared_secret in the response:", !resp.SharedSecret.IsZero())
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

	key, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "byok", KeySpec: "AES_256", Origin: "external"})
	if err != nil {
		panic(err)
	}
	params, err := c.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{
		KeyID: key.KeyInfo.KeyID, WrappingAlgorithm: "RSAES_OAEP_SHA_256",
	})
	if err != nil {
		panic(err)
	}
	material := bytes.Repeat([]byte{7}, 32) // your AES-256 key
	req, err := huawei.WrapKeyMaterial(params, material)
	if err != nil {
		panic(err)
	}
	if err := c.ImportKeyMaterial(ctx, req); err != nil {
		panic(err)
	}
	d, err := c.DescribeKey(ctx, &huawei.KeyRequest{KeyID: key.KeyInfo.KeyID})
	if err != nil {
		panic(err)
	}
	fmt.Println("origin:", d.KeyInfo.Origin, "state:", d.KeyInfo.KeyState)
	// Output:
	// origin: external state: 2
}
