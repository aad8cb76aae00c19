package recipient

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/qtenclave/qtenclave/envelope"
)

// The benchmarks interleave ours and the baseline in one loop, so that both
// see the same machine load, and report ns/op of each and their ratio.

// BenchmarkOpen compares Open (parse, find the recipient, RSAES-OAEP, CBC,
// unpad) with a bare rsa.DecryptOAEP of the same encrypted key.
func BenchmarkOpen(b *testing.B) {
	for _, bits := range testKeySizes {
		b.Run(fmt.Sprintf("rsa%d", bits), func(b *testing.B) {
			key := testKey(b, bits)
			blob, err := Seal(make([]byte, 32), &key.PublicKey, SealOptions{})
			if err != nil {
				b.Fatal(err)
			}
			env, err := envelope.Parse(blob)
			if err != nil {
				b.Fatal(err)
			}
			ek := env.Recipients[0].EncryptedKey
			var ours, base time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := Open(blob, key, OpenOptions{}); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := rsa.DecryptOAEP(sha256.New(), nil, key, ek, nil); err != nil {
					b.Fatal(err)
				}
				ours, base = ours+t1.Sub(t0), base+time.Since(t1)
			}
			report(b, ours, base)
		})
	}
}

// BenchmarkSeal compares Seal (a 32-byte data key, AWS shape) with the bare
// work it cannot avoid: a random key and IV, rsa.EncryptOAEP of the key, and
// AES-256-CBC of the padded plaintext.
func BenchmarkSeal(b *testing.B) {
	for _, bits := range testKeySizes {
		b.Run(fmt.Sprintf("rsa%d", bits), func(b *testing.B) {
			pub := &testKey(b, bits).PublicKey
			msg := make([]byte, 32)
			var ours, base time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := Seal(msg, pub, SealOptions{}); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				var cek [32]byte
				iv := make([]byte, 16)
				rand.Read(cek[:])
				rand.Read(iv)
				if _, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, cek[:], nil); err != nil {
					b.Fatal(err)
				}
				block, _ := aes.NewCipher(cek[:])
				ct := make([]byte, len(msg)+16)
				copy(ct, msg)
				cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, ct)
				ours, base = ours+t1.Sub(t0), base+time.Since(t1)
			}
			report(b, ours, base)
		})
	}
}

func report(b *testing.B, ours, base time.Duration) {
	n := float64(b.N)
	b.ReportMetric(float64(ours.Nanoseconds())/n, "ours-ns/op")
	b.ReportMetric(float64(base.Nanoseconds())/n, "baseline-ns/op")
	b.ReportMetric(float64(ours)/float64(base), "ratio")
}
