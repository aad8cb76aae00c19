package keyspec_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log"

	"github.com/qtenclave/qtenclave/keyspec"
)

// The public_key of the derive-shared-secret example request.
const seedPublicKey = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4UPptf7NVo2H+8Mz1V1dMz9x+DGdQSFxwLsqkUSXy4XNgs6bnxMtUB3WuI9GGzIYw21R/+w4lJvNDxYjd/Q1sQ=="

// A KMS answering derive-shared-secret: the key's spec, the peer's
// SubjectPublicKeyInfo from the request, and ECDH.
func Example() {
	spec, err := keyspec.ParseSpec("EC_P256")
	if err != nil {
		log.Fatal(err)
	}
	kmsKey, err := keyspec.GenerateKey(spec)
	if err != nil {
		log.Fatal(err)
	}

	der, err := base64.StdEncoding.DecodeString(seedPublicKey)
	if err != nil {
		log.Fatal(err)
	}
	peer, err := keyspec.ParsePublicKey(der)
	if err != nil {
		log.Fatal(err)
	}
	shared, err := kmsKey.ECDH(peer)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(peer.Spec(), len(shared), "bytes of shared secret")
	// Output: ECC_NIST_P256 32 bytes of shared secret
}

// create-ec-datakey-pair returns the public key as SubjectPublicKeyInfo and
// the private key as PKCS#8; an enclave that receives the private key
// finishes ECDH itself, and gets what the KMS would have derived.
func ExamplePrivateKey_ECDH() {
	for _, name := range []string{"ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SM2"} {
		spec, err := keyspec.ParseSpec(name)
		if err != nil {
			log.Fatal(err)
		}
		pair, err := keyspec.GenerateKey(spec)
		if err != nil {
			log.Fatal(err)
		}
		publicKey := pair.PublicKey().MarshalPKIX() // "public_key"
		privateKey := pair.MarshalPKCS8()           // "private_key_plain_text"

		// In the enclave.
		priv, err := keyspec.ParsePrivateKey(privateKey)
		if err != nil {
			log.Fatal(err)
		}
		// The other party.
		other, err := keyspec.GenerateKey(spec)
		if err != nil {
			log.Fatal(err)
		}
		z1, err := priv.ECDH(other.PublicKey())
		if err != nil {
			log.Fatal(err)
		}
		pub, err := keyspec.ParsePublicKey(publicKey)
		if err != nil {
			log.Fatal(err)
		}
		z2, err := other.ECDH(pub)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(spec, len(z1), bytes.Equal(z1, z2))
	}
	// Output:
	// ECC_NIST_P256 32 true
	// ECC_NIST_P384 48 true
	// ECC_NIST_P521 66 true
	// ECC_SECG_P256K1 32 true
	// SM2 32 true
}

// A KMS refuses a peer key of another spec than its own key.
func ExamplePrivateKey_ECDH_specMismatch() {
	kmsKey, err := keyspec.GenerateKey(keyspec.SM2)
	if err != nil {
		log.Fatal(err)
	}
	der, err := base64.StdEncoding.DecodeString(seedPublicKey)
	if err != nil {
		log.Fatal(err)
	}
	peer, err := keyspec.ParsePublicKey(der)
	if err != nil {
		log.Fatal(err)
	}
	_, err = kmsKey.ECDH(peer)
	fmt.Println(errors.Is(err, keyspec.ErrSpecMismatch))
	fmt.Println(err)
	// Output:
	// true
	// keyspec: key specs do not match: private key SM2, peer key ECC_NIST_P256
}

func ExampleParseSpec() {
	for _, name := range []string{"ECC_SECG_P256K1", "SECP256K1", "EC_384", "RSA_2048"} {
		spec, err := keyspec.ParseSpec(name)
		fmt.Println(spec, errors.Is(err, keyspec.ErrUnknownSpec))
	}
	// Output:
	// ECC_SECG_P256K1 false
	// ECC_SECG_P256K1 false
	// ECC_NIST_P384 false
	// keyspec.Spec(0) true
}
