package main

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"hash"
	"math/big"
)

// RSAES-OAEP (RFC 8017, section 7.1.1) written out, with the seed given,
// so that the vectors are deterministic; the RSA operation is m^e mod n.

// rsaTestKey reads one of the RSA TEST KEYS of testdata.
func rsaTestKey(name string) *rsa.PrivateKey {
	block, _ := pem.Decode(readTestKey(name))
	if block == nil {
		panic(name + ": no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		panic(err)
	}
	return k.(*rsa.PrivateKey)
}

// pkcs8 returns the PKCS#8 encoding of an RSA key.
func pkcs8(k *rsa.PrivateKey) []byte {
	b, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	return b
}

// mgf1 is MGF1 (RFC 8017, B.2.1) with hash h.
func mgf1(h func() hash.Hash, seed []byte, n int) []byte {
	var out []byte
	for c := uint32(0); len(out) < n; c++ {
		d := h()
		d.Write(seed)
		d.Write([]byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)})
		out = d.Sum(out)
	}
	return out[:n]
}

// oaepParams selects the hashes and label of an OAEP encryption.
type oaepParams struct {
	hash, mgfHash func() hash.Hash
	label         []byte
}

var (
	oaepSHA256 = oaepParams{hash: sha256.New, mgfHash: sha256.New}
	oaepSHA1   = oaepParams{hash: sha1.New, mgfHash: sha1.New}
)

// oaepEncrypt encrypts msg to pub with RSAES-OAEP, the seed drawn from
// label's stream.
func oaepEncrypt(pub *rsa.PublicKey, msg []byte, p oaepParams, seedLabel string) []byte {
	k := (pub.N.BitLen() + 7) / 8
	lh := p.hash()
	lh.Write(p.label)
	lHash := lh.Sum(nil)
	hLen := len(lHash)
	if len(msg) > k-2*hLen-2 {
		panic("oaep: message too long")
	}
	db := concat(lHash, make([]byte, k-len(msg)-2*hLen-2), []byte{0x01}, msg)
	seed := bytesOf("oaep seed "+seedLabel, hLen)
	dbMask := mgf1(p.mgfHash, seed, len(db))
	for i := range db {
		db[i] ^= dbMask[i]
	}
	seedMask := mgf1(p.mgfHash, db, hLen)
	for i := range seed {
		seed[i] ^= seedMask[i]
	}
	em := concat([]byte{0}, seed, db)
	return rsaPublic(pub, em)
}

// rsaPublic is the raw RSA operation, output of the modulus's size.
func rsaPublic(pub *rsa.PublicKey, em []byte) []byte {
	m := new(big.Int).SetBytes(em)
	c := new(big.Int).Exp(m, big.NewInt(int64(pub.E)), pub.N)
	return c.FillBytes(make([]byte, (pub.N.BitLen()+7)/8))
}
