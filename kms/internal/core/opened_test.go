package core

import (
	"bytes"
	"context"
	"crypto"
	"encoding/binary"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/internal/printtest"
	"github.com/qtenclave/qtenclave/keyspec"
)

// TestParseMaterial: the material of every create-key spec parses into its
// kind of key; material of another spec does not.
func TestParseMaterial(t *testing.T) {
	for spec, info := range keySpecs {
		if info.rsaBits > 2048 {
			continue // slow to generate, parsed like RSA_2048
		}
		material, public, err := newMaterial(spec, info)
		require.NoError(t, err)
		o, err := parseMaterial(spec, material)
		require.NoError(t, err, spec)
		switch {
		case info.symmetric:
			aead := o.aead()
			require.NotNil(t, aead, spec)
			ct := aead.Seal(nil, make([]byte, 12), []byte("x"), nil)
			pt, err := aead.Open(nil, make([]byte, 12), ct, nil)
			require.NoError(t, err)
			require.Equal(t, "x", string(pt))
		case info.rsaBits != 0:
			require.Equal(t, info.rsaBits, o.rsa().N.BitLen())
		default:
			require.Equal(t, public, o.ec().PublicKey().MarshalPKIX(), spec)
			require.NotNil(t, o.priv(), "%s: parsed for signing too", spec)
			sig, err := signDigest(o, signingAlgorithm{hash: crypto.SHA256}, make([]byte, 32))
			require.NoError(t, err, spec)
			require.NotEmpty(t, sig, spec)
		}
		for other, oinfo := range keySpecs {
			if oinfo.symmetric || other == spec || pairSpecOf(other) == pairSpecOf(spec) {
				continue
			}
			_, err := parseMaterial(other, material)
			require.ErrorIs(t, err, errStoredKey, "%s material as %s", spec, other)
		}
	}
}

// TestOpenedKeyDestroy: Destroy clears an RSA key's numbers and drops
// every part.
func TestOpenedKeyDestroy(t *testing.T) {
	material, _, err := newMaterial("RSA_2048", keySpecs["RSA_2048"])
	require.NoError(t, err)
	o, err := parseMaterial("RSA_2048", material)
	require.NoError(t, err)
	k := o.rsa()
	d, p := k.D, k.Primes[0]
	o.Destroy()
	for _, n := range []*big.Int{d, p} {
		require.NotEmpty(t, n.Bits())
		for _, w := range n.Bits() {
			require.Zero(t, w, "D and the primes are cleared")
		}
	}
	require.Nil(t, o.rsa())
	require.Nil(t, o.aead())
	require.Nil(t, o.ec())
}

// TestOpenedKeyNotPrinted: no fmt verb prints a parsed key's material: the
// raw key, an AES key schedule's first words, an EC scalar, RSA's D.
func TestOpenedKeyNotPrinted(t *testing.T) {
	for _, spec := range []string{"AES_256", "EC_P256", "RSA_2048"} {
		material, _, err := newMaterial(spec, keySpecs[spec])
		require.NoError(t, err)
		o, err := parseMaterial(spec, material)
		require.NoError(t, err)
		secrets := []string{string(material)}
		switch spec {
		case "AES_256":
			var words []string
			for i := 0; i < 8; i += 4 {
				words = append(words, strconv.FormatUint(uint64(binary.LittleEndian.Uint32(material[i:])), 10))
			}
			secrets = append(secrets, strings.Join(words, " "))
		case "EC_P256":
			ec, err := keyspec.ParsePrivateKey(material)
			require.NoError(t, err)
			sec1 := ec.MarshalSEC1()
			secrets = append(secrets, string(sec1[7:7+32])) // the scalar
		case "RSA_2048":
			// D as fmt prints it through a Format method, and as its words
			// (an unexported field's big.Int prints its nat).
			w := o.rsa().D.Bits()
			secrets = append(secrets, o.rsa().D.String(), strconv.FormatUint(uint64(w[0]), 10)+" "+strconv.FormatUint(uint64(w[1]), 10))
		}
		for _, v := range []any{o, *o, *o.parts()} {
			leaks := printtest.Leaks(v, secrets...)
			if _, parts := v.(keyParts); parts {
				if spec == "AES_256" { // keyspec and big.Int pointers keep theirs from fmt
					require.NotEmpty(t, leaks, "the check itself: the AEAD prints its key schedule")
				}
				continue
			}
			for _, leak := range leaks {
				t.Errorf("%s: prints key material: %s", spec, leak)
			}
		}
	}
}

// TestCachedKeyFollowsRecord: an operation gives the same result from a
// parsed key as from the material, before and after the record changes.
func TestCachedKeyFollowsRecord(t *testing.T) {
	k, err := New(Options{})
	require.NoError(t, err)
	defer k.Close()
	ctx := context.Background()
	key, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{Spec: "EC_P256", Usage: UsageKeyAgreement})
	require.NoError(t, err)
	peer, err := keyspec.GenerateKey(keyspec.P256)
	require.NoError(t, err)
	pub, err := keyspec.ParsePublicKey(key.Public)
	require.NoError(t, err)
	want, err := peer.ECDH(pub)
	require.NoError(t, err)
	derive := func() []byte {
		out, err := k.DeriveSharedSecret(ctx, testCaller, &DeriveInput{KeyID: key.ID, Peer: peer.PublicKey().MarshalPKIX()})
		require.NoError(t, err)
		return out.Secret
	}
	require.Equal(t, want, derive(), "parsed")
	require.Equal(t, want, derive(), "cached")
	require.NoError(t, k.PutKeyPolicy(ctx, testCaller, key.ID, []byte(k.defaultPolicy(nil)), false))
	require.Equal(t, want, derive(), "parsed again after the update")

	aes, err := k.CreateKey(ctx, testCaller, &CreateKeyInput{})
	require.NoError(t, err)
	var blobs [][]byte
	for range 3 {
		blob, err := k.Encrypt(ctx, testCaller, aes.ID, []byte("pt"), nil)
		require.NoError(t, err)
		blobs = append(blobs, blob)
	}
	for _, blob := range blobs {
		out, err := k.Decrypt(ctx, testCaller, "", blob, nil, nil)
		require.NoError(t, err)
		require.True(t, bytes.Equal([]byte("pt"), out.Plaintext))
	}
}
