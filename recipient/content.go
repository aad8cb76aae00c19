package recipient

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"fmt"

	"github.com/emmansun/gmsm/sm4"

	"github.com/qtenclave/qtenclave/envelope"
)

// blockSize is the block size of every envelope.Cipher (AES and SM4).
const blockSize = 16

// newBlock returns the block cipher of c keyed with key.
func newBlock(c envelope.Cipher, key []byte) (cipher.Block, error) {
	if len(key) != c.KeySize() {
		return nil, fmt.Errorf("recipient: %v key of %d bytes", c, len(key))
	}
	if c == envelope.SM4CBC {
		return sm4.NewCipher(key)
	}
	return aes.NewCipher(key)
}

// encryptContent is CBC encryption with PKCS#7 padding.
func encryptContent(c envelope.Cipher, key, iv, plaintext []byte) ([]byte, error) {
	block, err := newBlock(c, key)
	if err != nil {
		return nil, err
	}
	pad := blockSize - len(plaintext)%blockSize
	out := make([]byte, len(plaintext)+pad)
	copy(out, plaintext)
	for i := len(plaintext); i < len(out); i++ {
		out[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, out)
	return out, nil
}

// decryptContent is CBC decryption with PKCS#7 unpadding in constant time.
// On failure it returns ErrDecryption and leaves no plaintext behind.
func decryptContent(c envelope.Cipher, key, iv, ciphertext []byte) ([]byte, error) {
	block, err := newBlock(c, key)
	if err != nil || len(iv) != blockSize || len(ciphertext) == 0 || len(ciphertext)%blockSize != 0 {
		return nil, ErrDecryption
	}
	out := make([]byte, len(ciphertext))
	n, ok := cbcOpen(block, iv, ciphertext, out)
	if !ok {
		return nil, ErrDecryption
	}
	return out[:n], nil
}

// cbcOpen decrypts ciphertext into out (of the same length) and returns the
// length of the unpadded plaintext; if the padding is wrong it zeroes out.
func cbcOpen(block cipher.Block, iv, ciphertext, out []byte) (int, bool) {
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, ciphertext)
	p, good := unpad(out)
	if good != 1 {
		clear(out)
		return 0, false
	}
	return len(out) - p, true
}

// unpad checks the PKCS#7 padding of the last block of b (whose length is a
// non-zero multiple of blockSize) in time independent of its contents, like
// crypto/tls's extractPadding. It returns the padding length and good = 1,
// or 0 and good = 0.
func unpad(b []byte) (n, good int) {
	last := b[len(b)-blockSize:]
	p := int(last[blockSize-1])
	good = subtle.ConstantTimeLessOrEq(1, p) & subtle.ConstantTimeLessOrEq(p, blockSize)
	for i := range blockSize {
		// The i-th byte from the end is padding if i < p, and must equal p.
		isPad := subtle.ConstantTimeLessOrEq(i+1, p)
		eq := subtle.ConstantTimeByteEq(last[blockSize-1-i], byte(p))
		good &= subtle.ConstantTimeSelect(isPad, eq, 1)
	}
	return subtle.ConstantTimeSelect(good, p, 0), good
}
