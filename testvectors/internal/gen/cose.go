package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"time"
)

// An attestation document: COSE_Sign1 (RFC 9052) of a CBOR payload map,
// signed ES384 by the leaf certificate's key. The model holds what the
// document says; entries() encodes it in a dialect; the parts are then
// signed and assembled, with a hook at each step for the malformations.

// docModel is what a document says.
type docModel struct {
	moduleID string
	digest   string
	ts       uint64 // milliseconds since the epoch
	pcrs     map[int][]byte
	cert     []byte
	cabundle [][]byte
	// public_key, user_data and nonce: nil is absent (or null, see
	// optional), a non-nil empty slice an empty byte string.
	pub, user, nonce []byte
	// emptyUnset records that the dialect writes an unset optional field
	// as an empty byte string (set when the document is built).
	emptyUnset bool
}

// optionalForm is how a dialect writes an optional field that is not set.
type optionalForm int

const (
	optNull   optionalForm = iota // Nitro: present as null
	optEmpty                      // QingTian: an empty byte string
	optAbsent                     // omitted
)

// dialect holds the encoding habits of a platform (PLATFORMS.md).
type dialect struct {
	name        string
	order       []string // payload key order
	protected   []byte   // the protected header map, encoded
	pcrIndex    func(i int) []byte
	optional    optionalForm
	littleLimbs bool // r and s each little-endian (QingTian)
}

var dialects = map[string]*dialect{
	"nitro": {
		name:      "nitro",
		order:     []string{"module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle", "public_key", "user_data", "nonce"},
		protected: []byte{0xa1, 0x01, 0x38, 0x22}, // {1: -35}
		pcrIndex:  func(i int) []byte { return cborUintOf(uint64(i)) },
		optional:  optNull,
	},
	"qingtian": {
		name:  "qingtian",
		order: []string{"module_id", "timestamp", "digest", "pcrs", "certificate", "cabundle", "user_data", "nonce", "public_key"},
		// {1: -35} with 32-bit integers, as real QingTian documents have it.
		protected:   []byte{0xa1, 0x1a, 0x00, 0x00, 0x00, 0x01, 0x3a, 0x00, 0x00, 0x00, 0x22},
		pcrIndex:    func(i int) []byte { return cborHeadWide(cborUint, uint64(i), 2) },
		optional:    optEmpty,
		littleLimbs: true,
	},
}

// pcrValues returns 16 PCRs of 48 bytes: image, kernel, application, IAM
// role, instance ID and signing certificate set (0, 1, 2, 3, 4, 8), the
// others zero.
func pcrValues(label string, size int) map[int][]byte {
	m := map[int][]byte{}
	for i := range 16 {
		v := make([]byte, size)
		if i <= 4 || i == 8 {
			v = bytesOf(fmt.Sprintf("%s PCR%d", label, i), size)
		}
		m[i] = v
	}
	return m
}

// encodePCRs encodes a PCR map with the dialect's index encoding, in index
// order.
func (d *dialect) encodePCRs(pcrs map[int][]byte) []byte {
	var es []entry
	for _, i := range slices.Sorted(maps.Keys(pcrs)) {
		es = append(es, entry{d.pcrIndex(i), cborBstr(pcrs[i])})
	}
	return cborMapOf(false, es...)
}

// entries encodes m's payload entries in the dialect's order.
func (d *dialect) entries(m *docModel) []entry {
	var es []entry
	for _, k := range d.order {
		var v []byte
		switch k {
		case "module_id":
			v = cborTstr(m.moduleID)
		case "digest":
			v = cborTstr(m.digest)
		case "timestamp":
			v = cborUintOf(m.ts)
		case "pcrs":
			v = d.encodePCRs(m.pcrs)
		case "certificate":
			v = cborBstr(m.cert)
		case "cabundle":
			var items [][]byte
			for _, c := range m.cabundle {
				items = append(items, cborBstr(c))
			}
			v = cborArrayOf(items...)
		case "public_key", "user_data", "nonce":
			b := map[string][]byte{"public_key": m.pub, "user_data": m.user, "nonce": m.nonce}[k]
			switch {
			case b != nil:
				v = cborBstr(b)
			case d.optional == optNull:
				v = cborNull
			case d.optional == optEmpty:
				v = cborBstr(nil)
			default:
				continue
			}
		}
		es = append(es, textEntry(k, v))
	}
	return es
}

// sign1 is a COSE_Sign1 being built.
type sign1 struct {
	tagged      bool
	protected   []byte // contents of the protected bstr
	unprotected []byte // encoded item
	payload     []byte // contents of the payload bstr
	signature   []byte
	trailing    []byte
}

func (s *sign1) bytes() []byte {
	var out []byte
	if s.tagged {
		out = append(out, 0xd2) // tag 18
	}
	out = append(out, 0x84)
	out = append(out, cborBstr(s.protected)...)
	out = append(out, s.unprotected...)
	out = append(out, cborBstr(s.payload)...)
	out = append(out, cborBstr(s.signature)...)
	return append(out, s.trailing...)
}

// sigStructure is Sig_structure = ["Signature1", protected, external_aad,
// payload] (RFC 9052, section 4.4), over the bytes as they are sent.
func sigStructure(context string, protected, aad, payload []byte) []byte {
	return cborArrayOf(cborTstr(context), cborBstr(protected), cborBstr(aad), cborBstr(payload))
}

// sigOpts varies how a document is signed.
type sigOpts struct {
	littleLimbs bool
	highS       bool
	context     string // default "Signature1"
	aad         []byte
	sha256      bool // digest with SHA-256 instead of SHA-384
}

// es384 signs the Sig_structure of protected and payload with key,
// returning r || s of 48 bytes each (each reversed if littleLimbs).
func es384(key *ecdsa.PrivateKey, protected, payload []byte, o sigOpts) []byte {
	ctx := o.context
	if ctx == "" {
		ctx = "Signature1"
	}
	tbs := sigStructure(ctx, protected, o.aad, payload)
	d384 := sha512.Sum384(tbs)
	digest, hash := d384[:], crypto.SHA384
	if o.sha256 {
		d256 := sha256.Sum256(tbs)
		digest, hash = d256[:], crypto.SHA256
	}
	der, err := key.Sign(nil, digest, hash)
	if err != nil {
		panic(err)
	}
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &sig); err != nil {
		panic(err)
	}
	n := key.Curve.Params().N
	if o.highS == (sig.S.Cmp(new(big.Int).Rsh(n, 1)) <= 0) {
		sig.S.Sub(n, sig.S) // the other of s and n - s
	}
	return rawSignature(sig.R, sig.S, o.littleLimbs)
}

// rawSignature is r || s, 48 bytes each, each reversed if littleLimbs.
func rawSignature(r, s *big.Int, littleLimbs bool) []byte {
	rb, sb := r.FillBytes(make([]byte, 48)), s.FillBytes(make([]byte, 48))
	if littleLimbs {
		slices.Reverse(rb)
		slices.Reverse(sb)
	}
	return concat(rb, sb)
}

// defaultModel is a document of the hierarchy p with every field set.
func defaultModel(p *pki) *docModel {
	m := &docModel{
		moduleID: "i-0123456789abcdef0-enc0123456789abcd",
		digest:   "SHA384",
		ts:       uint64(docTime.UnixMilli()),
		pcrs:     pcrValues(p.dialect, 48),
		cert:     p.leaf.cert.Raw,
		cabundle: p.cabundle(),
		pub:      recipientSPKI(),
		user:     []byte("qtenclave test vector user_data"),
		nonce:    bytesOf("nonce", 32),
	}
	if p.dialect == "qingtian" {
		m.user = nil // unused: an empty byte string in this dialect
		m.emptyUnset = true
	}
	return m
}

// recipientSPKI is the DER SubjectPublicKeyInfo of the RSA-2048 TEST KEY
// "a", as an enclave puts its KMS recipient key into public_key.
func recipientSPKI() []byte {
	k := rsaTestKey("test-rsa2048-a.key.pem")
	b, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		panic(err)
	}
	return b
}

// rfc3339 formats a verification time.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// p384N is the order of P-384.
var p384N = elliptic.P384().Params().N
