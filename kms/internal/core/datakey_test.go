package core

import (
	"bytes"
	"crypto/rand"
	"testing"
	"testing/cryptotest"
)

// TestNewDataKey: newDataKey's blob is what sealBlob makes of its data key
// with the nonce read just before the key, it opens to the key under the
// additional data, and the key is a copy, not the blob's bytes.
func TestNewDataKey(t *testing.T) {
	id := newKeyID()
	for _, spec := range []string{"AES_256", "SM4"} {
		aead, err := cmkAEAD(spec, bytes.Repeat([]byte{7}, keySpecs[spec].keyLen))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 16, 32, 1024} {
			for _, aad := range [][]byte{nil, []byte("context")} {
				cryptotest.SetGlobalRandom(t, uint64(n))
				dek, blob := newDataKey(aead, id, n, aad)

				cryptotest.SetGlobalRandom(t, uint64(n))
				random := make([]byte, blobNonceLen+n)
				rand.Read(random)
				nonce, want := random[:blobNonceLen], random[blobNonceLen:]
				if !bytes.Equal(dek, want) {
					t.Fatalf("%s, %d bytes: the data key is not the bytes read after the nonce", spec, n)
				}
				header := append([]byte{blobVersion}, id...)
				sealed := aead.Seal(append(append([]byte(nil), header...), nonce...), nonce, want, append(header, aad...))
				if !bytes.Equal(blob, sealed) {
					t.Fatalf("%s, %d bytes: blob is not the data key sealed with the nonce", spec, n)
				}
				if len(blob) != blobOverhead+n || blobKeyID(blob) != id {
					t.Fatalf("%s, %d bytes: blob of %d bytes names %q", spec, n, len(blob), blobKeyID(blob))
				}
				opened, err := openBlob(aead, blob, aad)
				if err != nil || !bytes.Equal(opened, dek) {
					t.Fatalf("%s, %d bytes: blob does not open to the data key: %v", spec, n, err)
				}
				clear(dek)
				if opened, _ := openBlob(aead, blob, aad); !bytes.Equal(opened, want) {
					t.Fatalf("%s, %d bytes: clearing the data key changed the blob", spec, n)
				}
			}
		}
	}
}
