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
// see the same machine load, and report ns/op of each and their ratio; and,
// because a shared machine's load comes in bursts, also the fastest single
// run of each and the ratio of those (min-ratio), which load barely moves.

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
			var m meter
			for b.Loop() {
				t0 := time.Now()
				if _, err := Open(blob, key, OpenOptions{}); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := rsa.DecryptOAEP(sha256.New(), nil, key, ek, nil); err != nil {
					b.Fatal(err)
				}
				m.add(t1.Sub(t0), time.Since(t1))
			}
			m.report(b)
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
			var m meter
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
				m.add(t1.Sub(t0), time.Since(t1))
			}
			m.report(b)
		})
	}
}

// meter sums and keeps the fastest of the interleaved timings.
type meter struct {
	ours, base       time.Duration
	minOurs, minBase time.Duration
}

func (m *meter) add(ours, base time.Duration) {
	m.ours, m.base = m.ours+ours, m.base+base
	if m.minOurs == 0 || ours < m.minOurs {
		m.minOurs = ours
	}
	if m.minBase == 0 || base < m.minBase {
		m.minBase = base
	}
}

func (m *meter) report(b *testing.B) {
	n := float64(b.N)
	b.ReportMetric(float64(m.ours.Nanoseconds())/n, "ours-ns/op")
	b.ReportMetric(float64(m.base.Nanoseconds())/n, "baseline-ns/op")
	b.ReportMetric(float64(m.ours)/float64(m.base), "ratio")
	b.ReportMetric(float64(m.minOurs.Nanoseconds()), "ours-min-ns")
	b.ReportMetric(float64(m.minBase.Nanoseconds()), "baseline-min-ns")
	b.ReportMetric(float64(m.minOurs)/float64(m.minBase), "min-ratio")
}
