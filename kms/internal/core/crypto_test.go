package core

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"github.com/emmansun/gmsm/sm2"

	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/kms/internal/store"
)

// wantKind fails the test unless err is an *Error of kind want and out is
// nil.
func wantKind[T any](t *testing.T, what string, out *T, err error, want Kind) {
	t.Helper()
	if kind, _ := KindOf(err); err == nil || out != nil || kind != want {
		t.Fatalf("%s: %v, %v (kind %d), want kind %d", what, out, err, kind, want)
	}
}

// signingKeys makes a SIGN_VERIFY key of every spec that signs.
func signingKeys(t *testing.T, k *KMS) map[string]*Key {
	t.Helper()
	keys := map[string]*Key{}
	for _, spec := range []string{"RSA_2048", "EC_P256", "EC_P384", "EC_P521", "SECP256K1", "SM2"} {
		key, err := k.CreateKey(context.Background(), testCaller, &CreateKeyInput{Spec: spec, Usage: UsageSignVerify})
		if err != nil {
			t.Fatal(err)
		}
		keys[spec] = key
	}
	return keys
}

// checkOutside verifies a signature with the public key outside the KMS:
// crypto/rsa and crypto/ecdsa, decred's secp256k1 and gmsm's SM2 (with the
// default distinguishing ID, over the raw message).
func checkOutside(t *testing.T, spki []byte, alg string, msg, sig []byte) {
	t.Helper()
	a := signingAlgorithms[alg]
	var digest []byte
	switch a.hash {
	case crypto.SHA256:
		h := sha256.Sum256(msg)
		digest = h[:]
	case crypto.SHA384:
		h := sha512.Sum384(msg)
		digest = h[:]
	case crypto.SHA512:
		h := sha512.Sum512(msg)
		digest = h[:]
	}
	var ok bool
	if pk, err := keyspec.ParsePublicKey(spki); err == nil && pk.Spec() == keyspec.Secp256k1 {
		pub, err := secp256k1.ParsePubKey(pk.Bytes())
		s, err2 := k1ecdsa.ParseDERSignature(sig)
		ok = err == nil && err2 == nil && s.Verify(digest, pub)
	} else if alg == SignSM2DSA {
		pub, err := sm2Public(spki)
		ok = err == nil && sm2.VerifyASN1WithSM2(pub, nil, msg, sig) // nil uid: the default
	} else {
		key, err := x509.ParsePKIXPublicKey(spki)
		if err != nil {
			t.Fatal(err)
		}
		switch pub := key.(type) {
		case *rsa.PublicKey:
			if a.pss {
				ok = rsa.VerifyPSS(pub, a.hash, digest, sig, &rsa.PSSOptions{SaltLength: a.hash.Size()}) == nil
			} else {
				ok = rsa.VerifyPKCS1v15(pub, a.hash, digest, sig) == nil
			}
		case *ecdsa.PublicKey:
			ok = ecdsa.VerifyASN1(pub, digest, sig)
		}
	}
	if !ok {
		t.Fatalf("%s: the signature does not verify outside the KMS", alg)
	}
}

// TestSignVerify: every spec signs with each of its algorithms, RAW and
// DIGEST; the signatures verify in the KMS and outside it; a changed
// message or signature, another algorithm or a digest of the wrong length
// are refused with their kinds.
func TestSignVerify(t *testing.T) {
	k := vectorKMS(t)
	ctx := context.Background()
	keys := signingKeys(t, k)
	msg := []byte("the message to sign")
	for spec, key := range keys {
		algs := key.SigningAlgorithms()
		if len(algs) == 0 {
			t.Fatalf("%s: no signing algorithms", spec)
		}
		for _, alg := range algs {
			name := spec + "/" + alg
			out, err := k.Sign(ctx, testCaller, &SignInput{KeyID: key.ID, Message: msg, Algorithm: alg})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkOutside(t, key.Public, alg, msg, out.Signature)
			if _, err := k.Verify(ctx, testCaller, &SignInput{KeyID: key.ID, Message: msg, Algorithm: alg, Signature: out.Signature}); err != nil {
				t.Fatalf("%s: Verify of its own signature: %v", name, err)
			}
			// DIGEST: the digest that RAW signs, signed as is, verifies as
			// RAW, and the other way round.
			a := signingAlgorithms[alg]
			digest, err := messageDigest(a, key.Public, msg, false)
			if err != nil {
				t.Fatal(err)
			}
			dsig, err := k.Sign(ctx, testCaller, &SignInput{KeyID: key.ID, Message: digest, Digest: true, Algorithm: alg})
			if err != nil {
				t.Fatalf("%s DIGEST: %v", name, err)
			}
			if _, err := k.Verify(ctx, testCaller, &SignInput{KeyID: key.ID, Message: msg, Algorithm: alg, Signature: dsig.Signature}); err != nil {
				t.Fatalf("%s: a DIGEST signature does not verify as RAW: %v", name, err)
			}
			if _, err := k.Verify(ctx, testCaller, &SignInput{KeyID: key.ID, Message: digest, Digest: true, Algorithm: alg, Signature: out.Signature}); err != nil {
				t.Fatalf("%s: a RAW signature does not verify as DIGEST: %v", name, err)
			}

			bad := bytes.Clone(out.Signature)
			bad[len(bad)/2] ^= 1
			v, err := k.Verify(ctx, testCaller, &SignInput{KeyID: key.ID, Message: msg, Algorithm: alg, Signature: bad})
			wantKind(t, name+" changed signature", v, err, KindInvalidSignature)
			v, err = k.Verify(ctx, testCaller, &SignInput{KeyID: key.ID, Message: []byte("another message"), Algorithm: alg, Signature: out.Signature})
			wantKind(t, name+" other message", v, err, KindInvalidSignature)
			v, err = k.Verify(ctx, testCaller, &SignInput{KeyID: key.ID, Message: msg, Algorithm: alg, Signature: append(bytes.Clone(out.Signature), 0)})
			wantKind(t, name+" trailing byte", v, err, KindInvalidSignature)
			s, err := k.Sign(ctx, testCaller, &SignInput{KeyID: key.ID, Message: digest[1:], Digest: true, Algorithm: alg})
			wantKind(t, name+" short digest", s, err, KindInvalidParameter)
		}
		for alg := range signingAlgorithms {
			if slices.Contains(algs, alg) {
				continue
			}
			s, err := k.Sign(ctx, testCaller, &SignInput{KeyID: key.ID, Message: msg, Algorithm: alg})
			wantKind(t, spec+" signs with "+alg, s, err, KindInvalidKeyUsage)
		}
	}
	// PSS verifies only with a salt as long as the hash.
	rsaKey := keys["RSA_2048"]
	rec := mustLookup(t, k, rsaKey.ID)
	material, err := k.store.Unseal(rec.ID, rec.Sealed)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(material)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(msg)
	short, err := rsa.SignPSS(rand.Reader, priv.(*rsa.PrivateKey), crypto.SHA256, h[:], &rsa.PSSOptions{SaltLength: 20})
	if err == nil {
		v, err := k.Verify(ctx, testCaller, &SignInput{KeyID: rsaKey.ID, Message: msg, Algorithm: SignRSAPSSSHA256, Signature: short})
		wantKind(t, "PSS with a 20-byte salt", v, err, KindInvalidSignature)
	}

	// Limits and usage.
	s, err := k.Sign(ctx, testCaller, &SignInput{KeyID: keys["EC_P256"].ID, Message: make([]byte, MaxSignMessage+1), Algorithm: SignECDSASHA256})
	wantKind(t, "long message", s, err, KindInvalidParameter)
	if _, err := k.Sign(ctx, testCaller, &SignInput{KeyID: keys["EC_P256"].ID, Message: make([]byte, MaxSignMessage), Algorithm: SignECDSASHA256}); err != nil {
		t.Fatalf("a %d-byte message: %v", MaxSignMessage, err)
	}
	s, err = k.Sign(ctx, testCaller, &SignInput{KeyID: keys["EC_P256"].ID, Algorithm: SignECDSASHA256})
	wantKind(t, "empty message", s, err, KindMissingParameter)
	s, err = k.Sign(ctx, testCaller, &SignInput{KeyID: keys["EC_P256"].ID, Message: msg, Algorithm: "ECDSA_SHA_1"})
	wantKind(t, "unknown algorithm", s, err, KindInvalidParameter)
	agree, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{Spec: "EC_P256", Usage: UsageKeyAgreement})
	if err != nil {
		t.Fatal(err)
	}
	s, err = k.Sign(ctx, testCaller, &SignInput{KeyID: agree.ID, Message: msg, Algorithm: SignECDSASHA256})
	wantKind(t, "KEY_AGREEMENT key", s, err, KindInvalidKeyUsage)
	if len(agree.SigningAlgorithms()) != 0 {
		t.Fatalf("a KEY_AGREEMENT key lists signing algorithms: %v", agree.SigningAlgorithms())
	}
	s, err = k.Sign(ctx, testCaller, &SignInput{KeyID: newKeyID(), Message: msg, Algorithm: SignECDSASHA256})
	wantKind(t, "unknown key", s, err, KindNotFound)
	v, err := k.Verify(ctx, testCaller, &SignInput{KeyID: keys["EC_P256"].ID, Message: msg, Algorithm: SignECDSASHA256})
	wantKind(t, "no signature", v, err, KindMissingParameter)
	s, err = k.Sign(ctx, Caller{}, &SignInput{KeyID: keys["EC_P256"].ID, Message: msg, Algorithm: SignECDSASHA256})
	wantKind(t, "no caller", s, err, KindUnauthenticated)
}

func mustLookup(t *testing.T, k *KMS, id string) *store.Record {
	t.Helper()
	rec, err := k.lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestAsymmetricEncryption: RSA keys encrypt and decrypt with both OAEP
// hashes up to AWS's plaintext limits, SM2 keys with SM2PKE; ciphertexts
// of one algorithm do not open with the other; asymmetric decryption needs
// the key; a symmetric ciphertext named with another key is
// KindIncorrectKey.
func TestAsymmetricEncryption(t *testing.T) {
	k := vectorKMS(t)
	ctx := context.Background()
	limits := map[string]map[string]int{
		"RSA_2048": {EncryptRSAOAEPSHA1: 214, EncryptRSAOAEPSHA256: 190},
		"RSA_3072": {EncryptRSAOAEPSHA1: 342, EncryptRSAOAEPSHA256: 318},
		"RSA_4096": {EncryptRSAOAEPSHA1: 470, EncryptRSAOAEPSHA256: 446},
		"SM2":      {EncryptSM2PKE: 1024},
		"AES_256":  {EncryptSymmetricDefault: 4096},
		"SM4":      {EncryptSymmetricDefault: 4096},
	}
	keys := map[string]*Key{}
	for spec, algs := range limits {
		key, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{Spec: spec, Usage: UsageEncryptDecrypt})
		if err != nil {
			t.Fatal(err)
		}
		keys[spec] = key
		got := key.EncryptionAlgorithms()
		for alg, max := range algs {
			if !slices.Contains(got, alg) {
				t.Fatalf("%s lists %v, not %s", spec, got, alg)
			}
			name := spec + "/" + alg
			pt := bytes.Repeat([]byte{0xa5}, max)
			enc, err := k.EncryptWith(ctx, testCaller, &EncryptInput{KeyID: key.ID, Plaintext: pt, Algorithm: alg})
			if err != nil {
				t.Fatalf("%s, %d bytes: %v", name, max, err)
			}
			if enc.Algorithm != alg || enc.KeyID != key.ID {
				t.Fatalf("%s: %+v", name, enc)
			}
			out, err := k.DecryptWith(ctx, testCaller, &DecryptInput{KeyID: key.ID, Ciphertext: enc.Ciphertext, Algorithm: alg})
			if err != nil || !bytes.Equal(out.Plaintext, pt) || out.KeyID != key.ID {
				t.Fatalf("%s: decrypt: %v", name, err)
			}
			e, err := k.EncryptWith(ctx, testCaller, &EncryptInput{KeyID: key.ID, Plaintext: append(pt, 0), Algorithm: alg})
			wantKind(t, name+" over the limit", e, err, KindInvalidParameter)
			for other := range signingAlgorithms {
				e, err := k.EncryptWith(ctx, testCaller, &EncryptInput{KeyID: key.ID, Plaintext: pt[:1], Algorithm: other})
				wantKind(t, name+" with "+other, e, err, KindInvalidParameter)
			}
			if alg == EncryptSymmetricDefault {
				continue
			}
			bad := bytes.Clone(enc.Ciphertext)
			bad[len(bad)-1] ^= 1
			d, err := k.DecryptWith(ctx, testCaller, &DecryptInput{KeyID: key.ID, Ciphertext: bad, Algorithm: alg})
			wantKind(t, name+" changed ciphertext", d, err, KindInvalidCiphertext)
			d, err = k.DecryptWith(ctx, testCaller, &DecryptInput{KeyID: key.ID, Ciphertext: enc.Ciphertext[1:], Algorithm: alg})
			wantKind(t, name+" short ciphertext", d, err, KindInvalidCiphertext)
			d, err = k.DecryptWith(ctx, testCaller, &DecryptInput{Ciphertext: enc.Ciphertext, Algorithm: alg})
			wantKind(t, name+" without the key", d, err, KindMissingParameter)
			d, err = k.DecryptWith(ctx, testCaller, &DecryptInput{KeyID: key.ID, Ciphertext: enc.Ciphertext})
			wantKind(t, name+" as SYMMETRIC_DEFAULT", d, err, KindInvalidKeyUsage)
			d, err = k.DecryptWith(ctx, testCaller, &DecryptInput{KeyID: key.ID, Ciphertext: enc.Ciphertext, Algorithm: alg, AAD: []byte("x")})
			wantKind(t, name+" with AAD", d, err, KindInvalidParameter)
			e, err = k.EncryptWith(ctx, testCaller, &EncryptInput{KeyID: key.ID, Plaintext: pt[:1], Algorithm: alg, AAD: []byte("x")})
			wantKind(t, name+" encrypt with AAD", e, err, KindInvalidParameter)
		}
	}
	// One OAEP hash's ciphertext does not open with the other.
	rsaKey := keys["RSA_2048"]
	enc, err := k.EncryptWith(ctx, testCaller, &EncryptInput{KeyID: rsaKey.ID, Plaintext: []byte("x"), Algorithm: EncryptRSAOAEPSHA1})
	if err != nil {
		t.Fatal(err)
	}
	d, err := k.DecryptWith(ctx, testCaller, &DecryptInput{KeyID: rsaKey.ID, Ciphertext: enc.Ciphertext, Algorithm: EncryptRSAOAEPSHA256})
	wantKind(t, "SHA-1 ciphertext as SHA-256", d, err, KindInvalidCiphertext)
	// RSA under a symmetric key, and the other way round.
	e, err := k.EncryptWith(ctx, testCaller, &EncryptInput{KeyID: keys["AES_256"].ID, Plaintext: []byte("x"), Algorithm: EncryptRSAOAEPSHA256})
	wantKind(t, "RSA algorithm on AES key", e, err, KindInvalidKeyUsage)
	e, err = k.EncryptWith(ctx, testCaller, &EncryptInput{KeyID: rsaKey.ID, Plaintext: []byte("x")})
	wantKind(t, "SYMMETRIC_DEFAULT on RSA key", e, err, KindInvalidKeyUsage)

	// Decrypt with a KeyId that is not the ciphertext's key.
	other, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	blob, err := k.Encrypt(ctx, testCaller, keys["AES_256"].ID, []byte("secret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err = k.DecryptWith(ctx, testCaller, &DecryptInput{KeyID: other.ID, Ciphertext: blob})
	wantKind(t, "another symmetric key", d, err, KindIncorrectKey)
	d, err = k.DecryptWith(ctx, testCaller, &DecryptInput{KeyID: rsaKey.ID, Ciphertext: blob})
	wantKind(t, "an RSA key as SYMMETRIC_DEFAULT", d, err, KindInvalidKeyUsage)
	d, err = k.DecryptWith(ctx, testCaller, &DecryptInput{KeyID: newKeyID(), Ciphertext: blob})
	wantKind(t, "an unknown key", d, err, KindNotFound)
	d, err = k.DecryptWith(ctx, testCaller, &DecryptInput{KeyID: other.ID, Ciphertext: []byte("not a blob")})
	wantKind(t, "not a blob, with a key", d, err, KindInvalidCiphertext)
	if out, err := k.DecryptWith(ctx, testCaller, &DecryptInput{KeyID: keys["AES_256"].ID, Ciphertext: blob}); err != nil || string(out.Plaintext) != "secret" {
		t.Fatalf("the right key: %v", err)
	}
	// Signing keys neither encrypt nor list encryption algorithms.
	sign, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{Spec: "RSA_2048", Usage: UsageSignVerify})
	if err != nil {
		t.Fatal(err)
	}
	e, err = k.EncryptWith(ctx, testCaller, &EncryptInput{KeyID: sign.ID, Plaintext: []byte("x"), Algorithm: EncryptRSAOAEPSHA256})
	wantKind(t, "a SIGN_VERIFY key", e, err, KindInvalidKeyUsage)
	if len(sign.EncryptionAlgorithms()) != 0 {
		t.Fatalf("a SIGN_VERIFY key lists %v", sign.EncryptionAlgorithms())
	}
}

// TestReEncrypt: a ciphertext moves between symmetric keys (with new
// contexts) and asymmetric keys; the output never holds the plaintext; a
// wrong source key or context fails and encrypts nothing.
func TestReEncrypt(t *testing.T) {
	k := vectorKMS(t)
	ctx := context.Background()
	newKey := func(spec string) *Key {
		key, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{Spec: spec, Usage: UsageEncryptDecrypt})
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	a, b, r, s := newKey("AES_256"), newKey("SM4"), newKey("RSA_3072"), newKey("SM2")
	secret := []byte("re-encrypt me")
	blob, err := k.Encrypt(ctx, testCaller, a.ID, secret, []byte("ctx-a"))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		dst *Key
		alg string
		aad []byte
	}{{b, "", []byte("ctx-b")}, {r, EncryptRSAOAEPSHA256, nil}, {s, EncryptSM2PKE, nil}, {r, EncryptRSAOAEPSHA1, nil}, {a, EncryptSymmetricDefault, nil}}
	src, srcAlg, srcAAD := a, "", []byte("ctx-a")
	for i, st := range steps {
		out, err := k.ReEncrypt(ctx, testCaller, &ReEncryptInput{
			SourceKeyID: src.ID, Ciphertext: blob, SourceAAD: srcAAD, SourceAlgorithm: srcAlg,
			DestinationKeyID: st.dst.ID, DestinationAAD: st.aad, DestinationAlgorithm: st.alg,
		})
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if strings.Contains(fmt.Sprintf("%+v %x %s", out, out.Ciphertext, out.Ciphertext), string(secret)) {
			t.Fatalf("step %d: the output carries the plaintext", i)
		}
		if out.SourceKeyID != src.ID || out.KeyID != st.dst.ID {
			t.Fatalf("step %d: %+v", i, out)
		}
		got, err := k.DecryptWith(ctx, testCaller, &DecryptInput{KeyID: st.dst.ID, Ciphertext: out.Ciphertext, AAD: st.aad, Algorithm: st.alg})
		if err != nil || !bytes.Equal(got.Plaintext, secret) {
			t.Fatalf("step %d: the new ciphertext: %v", i, err)
		}
		blob, src, srcAlg, srcAAD = out.Ciphertext, st.dst, st.alg, st.aad
	}
	// The ciphertext is now under a, without a context.
	for _, bad := range []*ReEncryptInput{
		{SourceKeyID: b.ID, Ciphertext: blob, DestinationKeyID: b.ID},
		{Ciphertext: blob, SourceAAD: []byte("wrong"), DestinationKeyID: b.ID},
		{Ciphertext: blob[1:], DestinationKeyID: b.ID},
		{Ciphertext: blob, DestinationKeyID: b.ID, DestinationAAD: []byte("x"), DestinationAlgorithm: EncryptRSAOAEPSHA256},
		{Ciphertext: blob, DestinationKeyID: r.ID, DestinationAAD: []byte("x"), DestinationAlgorithm: EncryptRSAOAEPSHA256},
		{Ciphertext: blob},
	} {
		out, err := k.ReEncrypt(ctx, testCaller, bad)
		if err == nil || out != nil {
			t.Fatalf("%+v: %+v", bad, out)
		}
	}
}

// TestGenerateDataKeyWithoutPlaintext: the data key comes back only under
// the CMK, and Decrypt gives it.
func TestGenerateDataKeyWithoutPlaintext(t *testing.T) {
	k := vectorKMS(t)
	ctx := context.Background()
	key, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := k.GenerateDataKeyWithoutPlaintext(ctx, testCaller, key.ID, 32, []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Plaintext != nil || out.ForRecipient != nil || out.KeyID != key.ID {
		t.Fatalf("%+v", out)
	}
	dk, err := k.Decrypt(ctx, testCaller, "", out.Ciphertext, []byte("aad"), nil)
	if err != nil || len(dk.Plaintext) != 32 {
		t.Fatalf("decrypt: %v", err)
	}
	rsaKey, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{Spec: "RSA_2048", Usage: UsageEncryptDecrypt})
	if err != nil {
		t.Fatal(err)
	}
	out, err = k.GenerateDataKeyWithoutPlaintext(ctx, testCaller, rsaKey.ID, 32, nil)
	wantKind(t, "an RSA CMK", out, err, KindInvalidKeyUsage)
}
