package core

import (
	"bytes"
	"context"
	"testing"
)

// FuzzVerify feeds arbitrary signatures (DER for EC keys, raw for RSA) to
// Verify with a key of every signing spec, seeded with each key's real
// signature. Property: no panic; the answer is success or
// KindInvalidSignature, and a signature the KMS accepts also verifies
// outside it (crypto/rsa, crypto/ecdsa, decred's secp256k1, gmsm's SM2).
func FuzzVerify(f *testing.F) {
	k, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { k.Close() })
	ctx := context.Background()
	msg := []byte("fuzzed signatures")
	var keys []*Key
	var algs []string
	for _, spec := range []string{"RSA_2048", "EC_P256", "EC_P384", "EC_P521", "SECP256K1", "SM2"} {
		key, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{Spec: spec, Usage: UsageSignVerify})
		if err != nil {
			f.Fatal(err)
		}
		for _, alg := range key.SigningAlgorithms() {
			out, err := k.Sign(ctx, testCaller, &SignInput{KeyID: key.ID, Message: msg, Algorithm: alg})
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(len(keys)), out.Signature)
			f.Add(uint8(len(keys)), out.Signature[:len(out.Signature)-1])
			keys, algs = append(keys, key), append(algs, alg)
		}
	}
	f.Fuzz(func(t *testing.T, i uint8, sig []byte) {
		key, alg := keys[int(i)%len(keys)], algs[int(i)%len(keys)]
		out, err := k.Verify(ctx, testCaller, &SignInput{KeyID: key.ID, Message: msg, Algorithm: alg, Signature: sig})
		if err == nil {
			checkOutside(t, key.Public, alg, msg, sig)
			return
		}
		want := KindInvalidSignature
		if len(sig) == 0 {
			want = KindMissingParameter
		}
		if kind, _ := KindOf(err); kind != want || out != nil {
			t.Fatalf("%s: %v (kind %d)", alg, err, kind)
		}
	})
}

// FuzzAsymDecrypt feeds arbitrary ciphertexts to DecryptWith under an RSA
// key (both OAEP hashes) and an SM2 key, seeded with real ciphertexts.
// Property: no panic; every failure is KindInvalidCiphertext with no
// output; the real ciphertexts decrypt to their plaintext.
func FuzzAsymDecrypt(f *testing.F) {
	k, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { k.Close() })
	ctx := context.Background()
	pt := []byte("fuzzed ciphertexts")
	type target struct {
		id, alg string
		real    []byte // a ciphertext of pt
	}
	var targets []target
	for spec, list := range map[string][]string{"RSA_2048": {EncryptRSAOAEPSHA1, EncryptRSAOAEPSHA256}, "SM2": {EncryptSM2PKE}} {
		key, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{Spec: spec, Usage: UsageEncryptDecrypt})
		if err != nil {
			f.Fatal(err)
		}
		for _, alg := range list {
			out, err := k.EncryptWith(ctx, testCaller, &EncryptInput{KeyID: key.ID, Plaintext: pt, Algorithm: alg})
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(len(targets)), out.Ciphertext)
			f.Add(uint8(len(targets)), out.Ciphertext[1:])
			targets = append(targets, target{key.ID, alg, out.Ciphertext})
		}
	}
	f.Fuzz(func(t *testing.T, i uint8, ct []byte) {
		tg := targets[int(i)%len(targets)]
		out, err := k.DecryptWith(ctx, testCaller, &DecryptInput{KeyID: tg.id, Ciphertext: ct, Algorithm: tg.alg})
		if bytes.Equal(ct, tg.real) && (err != nil || !bytes.Equal(out.Plaintext, pt)) {
			t.Fatalf("%s: the real ciphertext does not decrypt: %v", tg.alg, err)
		}
		if err == nil {
			if out == nil || out.KeyID != tg.id {
				t.Fatalf("%s: %+v", tg.alg, out)
			}
			return
		}
		if kind, _ := KindOf(err); kind != KindInvalidCiphertext || out != nil {
			t.Fatalf("%s: %v (kind %d)", tg.alg, err, kind)
		}
	})
}
