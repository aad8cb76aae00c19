package recipient_test

import (
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/recipient"
)

// The whole flow: the enclave makes a key for its attestation document, the
// KMS seals a secret to the verified document, the enclave opens it.
func Example() {
	// In the enclave.
	key, err := recipient.GenerateKey(2048)
	if err != nil {
		panic(err)
	}
	spki := key.PublicKeyDER() // goes into the attestation document's public_key

	// In the KMS: doc comes from attestation.Verify of the enclave's document.
	doc := &attestation.Document{Platform: attestation.Nitro, PublicKey: spki}
	blob, err := recipient.SealToDocument([]byte("data key"), doc, recipient.SealOptions{})
	if err != nil {
		panic(err)
	}

	// Back in the enclave.
	secret, err := recipient.Open(blob, key, recipient.OpenOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s\n", secret)
	// Output: data key
}

// Any failure after parsing is the same error, whatever went wrong.
func ExampleOpen_wrongKey() {
	key, _ := recipient.GenerateKey(2048)
	other, _ := recipient.GenerateKey(2048)
	blob, _ := recipient.Seal([]byte("secret"), other.Public().(*rsa.PublicKey), recipient.SealOptions{})
	_, err := recipient.Open(blob, key, recipient.OpenOptions{})
	fmt.Println(err, errors.Is(err, recipient.ErrDecryption))
	// Output: recipient: decryption failed true
}

// The payload of derive-shared-secret is the raw ECDH shared secret.
func ExampleOpenSharedSecret() {
	key, _ := recipient.GenerateKey(2048)
	shared := make([]byte, 32) // what KMS computed, the x-coordinate on P-256
	blob, _ := recipient.Seal(shared, key.Public().(*rsa.PublicKey), recipient.SealOptions{})
	secret, err := recipient.OpenSharedSecret(blob, key, recipient.OpenOptions{})
	fmt.Println(len(secret), err)
	// Output: 32 <nil>
}
