package envelope_test

import (
	"bytes"
	"fmt"

	"github.com/qtenclave/qtenclave/envelope"
)

// An envelope built from its fields, written in both shapes, and read back.
func Example() {
	env := &envelope.EnvelopedData{
		Recipients: []envelope.Recipient{{
			SubjectKeyID: bytes.Repeat([]byte{0xab}, 32),  // SHA-256 of the recipient's SPKI
			EncryptedKey: bytes.Repeat([]byte{0x01}, 256), // RSAES-OAEP of the content key
		}},
		Cipher:     envelope.AES256CBC,
		IV:         bytes.Repeat([]byte{0x02}, 16),
		Ciphertext: bytes.Repeat([]byte{0x03}, 48),
	}
	for _, shape := range []envelope.Shape{envelope.AWS, envelope.DER} {
		b, err := env.Marshal(shape)
		if err != nil {
			panic(err)
		}
		parsed, err := envelope.Parse(b)
		if err != nil {
			panic(err)
		}
		r := parsed.Recipients[0]
		fmt.Printf("%s: %d bytes, starts %x, %v, key id %x..., %d-byte encrypted key, %d-byte content\n",
			shape, len(b), b[:2], parsed.Cipher, r.SubjectKeyID[:4], len(r.EncryptedKey), len(parsed.Ciphertext))
	}
	// Output:
	// aws: 493 bytes, starts 3080, AES-256-CBC, key id abababab..., 256-byte encrypted key, 48-byte content
	// der: 487 bytes, starts 3082, AES-256-CBC, key id abababab..., 256-byte encrypted key, 48-byte content
}
