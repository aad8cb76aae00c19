package main

import (
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"time"
)

// The hardening cases of the attestation family: the adversarial cases of
// qtenclave's security review (issue 15, items 2 to 4), in groups of their
// own.
//
//   - Time: the document's timestamp must lie within every certificate's
//     validity, not only the leaf's; a timestamp more than the clock skew
//     (5 minutes) in the future of the verification time is rejected with
//     or without maxAgeMs.
//   - Critical extensions: only basicConstraints and keyUsage may be
//     critical; nameConstraints, extKeyUsage and certificatePolicies are
//     not enforced, so a critical one is rejected.
//   - The recipient's RSA key (requireRsaPublicKey): every key that
//     RSAES-OAEP encryption refuses is a policy failure.
func hardeningCases(p *pki) []*attCase {
	var cs []*attCase
	add := func(c *attCase) *attCase {
		if c.result == valid || c.result == acceptable {
			if c.model == nil {
				panic("hardening case without a model: " + c.comment)
			}
		}
		cs = append(cs, c)
		return c
	}
	// doc builds p's plain document, with model m edited by edit.
	doc := func(q *pki, edit func(*docModel)) ([]byte, *docModel) {
		s := newSpec(q)
		if edit != nil {
			edit(s.m)
		}
		return s.build(), s.m
	}

	// ---- Time: the timestamp within every certificate's validity.
	reissue := func(i int, notBefore, notAfter time.Time) *pki {
		c := p.inter[i].cert
		tmpl := caTemplate(c.SerialNumber.Int64(), c.Subject.CommonName, notBefore, notAfter, c.MaxPathLen)
		tmpl.MaxPathLenZero = c.MaxPathLenZero
		return p.withInter(i, tmpl, p.inter[i].key)
	}
	last := len(p.inter) - 1
	// The timestamp is t0+456ms and the verification time t0+1m: a CA
	// whose validity begins at t0+30s is valid at the verification time
	// but not at the timestamp.
	for _, i := range []int{0, last} {
		c := p.inter[i].cert
		q := reissue(i, t0.Add(30*time.Second), c.NotAfter)
		d, _ := doc(q, nil)
		what := "the first intermediate's"
		if i == last {
			what = "the leaf's issuer's"
		}
		add(&attCase{comment: "timestamp 29.5 s before " + what + " notBefore; every certificate valid at the verification time",
			flags: []string{"TimestampOutsideChain"}, result: invalid, failure: failExpired, doc: d})
	}
	{
		// The same CA, its validity beginning exactly at the timestamp.
		c := p.inter[0].cert
		q := reissue(0, t0.Add(30*time.Second), c.NotAfter)
		d, m := doc(q, func(m *docModel) { m.ts = uint64(t0.Add(30 * time.Second).UnixMilli()) })
		add(&attCase{comment: "timestamp exactly the first intermediate's notBefore", flags: []string{"TimestampOutsideChain", "ValidityBoundary"},
			result: valid, doc: d, model: m})
	}
	{
		// A CA whose validity ends at t0, before the timestamp (t0+456ms),
		// verified a minute before the timestamp (within the clock skew),
		// when every certificate is valid.
		c := p.inter[1].cert
		q := reissue(1, c.NotBefore, t0)
		d, _ := doc(q, nil)
		add(&attCase{comment: "timestamp 456 ms after the middle intermediate's notAfter, verified a minute before the timestamp",
			flags: []string{"TimestampOutsideChain", "FutureTimestamp"}, result: invalid, failure: failExpired, time: t0.Add(-time.Minute), doc: d})
		d, m := doc(q, func(m *docModel) { m.ts = uint64(t0.UnixMilli()) })
		add(&attCase{comment: "timestamp exactly the middle intermediate's notAfter, verified a minute before it",
			flags: []string{"TimestampOutsideChain", "ValidityBoundary", "FutureTimestamp"}, result: valid, time: t0.Add(-time.Minute), doc: d, model: m})
	}

	// ---- Time: timestamps in the future of the verification time. The
	// leaf is valid from t0-1h, so every certificate is valid at each time
	// tried.
	d, m := doc(p, nil)
	skew := 5 * time.Minute
	for _, f := range []struct {
		ahead  time.Duration
		maxAge time.Duration
		ok     bool
		flags  []string
		what   string
	}{
		{4 * time.Minute, 0, true, nil, "4 minutes in the future, no max age"},
		{skew, 0, true, []string{"ValidityBoundary"}, "exactly 5 minutes (the clock skew) in the future, no max age"},
		{skew + time.Millisecond, 0, false, nil, "5 minutes and 1 ms in the future, no max age"},
		{10 * time.Minute, 0, false, nil, "10 minutes in the future, no max age"},
		{time.Hour, 0, false, nil, "an hour in the future, no max age"},
		{skew + time.Millisecond, time.Hour, false, []string{"MaxAge"}, "5 minutes and 1 ms in the future, max age 1 hour"},
		{skew, time.Hour, true, []string{"MaxAge", "ValidityBoundary"}, "exactly 5 minutes in the future, max age 1 hour"},
	} {
		c := &attCase{comment: "document " + f.what, flags: append([]string{"FutureTimestamp"}, f.flags...),
			time: docTime.Add(-f.ahead), maxAge: f.maxAge, doc: d}
		if f.ok {
			c.result, c.model = valid, m
		} else {
			c.result, c.failure = invalid, failExpired
		}
		add(c)
	}

	// ---- Critical extensions on a CA.
	leafName := p.leaf.cert.Subject
	within := pkix.Name{Country: leafName.Country, Organization: leafName.Organization}
	elsewhere := pkix.Name{Country: leafName.Country, Organization: []string{"another organization"}}
	withExt := func(i int, e pkix.Extension) *pki {
		c := p.inter[i].cert
		tmpl := caTemplate(c.SerialNumber.Int64(), c.Subject.CommonName, c.NotBefore, c.NotAfter, c.MaxPathLen)
		tmpl.MaxPathLenZero = c.MaxPathLenZero
		tmpl.ExtraExtensions = []pkix.Extension{e}
		return p.withInter(i, tmpl, p.inter[i].key)
	}
	for _, i := range []int{last, 0} {
		where := "the leaf's issuer"
		if i == 0 {
			where = "the first intermediate"
		}
		d, _ := doc(withExt(i, nameConstraints(elsewhere)), nil)
		add(&attCase{comment: "a critical nameConstraints (directoryName) on " + where + " that excludes the names below it",
			flags: []string{"CriticalExtension", "NameConstraints"}, result: invalid, failure: failUntrusted, doc: d})
	}
	{
		// A DNS name constraint, which X.509 libraries parse (and Go's
		// crypto/x509 enforces only in its own chain building): the leaf's
		// issuer permits only names under enclave.invalid.
		c := p.last().cert
		tmpl := caTemplate(c.SerialNumber.Int64(), c.Subject.CommonName, c.NotBefore, c.NotAfter, c.MaxPathLen)
		tmpl.MaxPathLenZero = c.MaxPathLenZero
		tmpl.PermittedDNSDomainsCritical = true
		tmpl.PermittedDNSDomains = []string{"enclave.invalid"}
		q := p.withInter(last, tmpl, p.last().key)
		lt := leafTemplate(p.leaf.cert.SerialNumber.Int64(), p.leaf.cert.Subject.CommonName)
		lt.DNSNames = []string{p.leaf.cert.Subject.CommonName}
		d, _ := doc(q.withLeaf(lt, p.leaf.key), nil)
		add(&attCase{comment: "a critical nameConstraints (dNSName enclave.invalid) on the leaf's issuer; the leaf's dNSName is outside it",
			flags: []string{"CriticalExtension", "NameConstraints"}, result: invalid, failure: failUntrusted, doc: d})
		d, m := doc(q, nil)
		add(&attCase{comment: "a critical nameConstraints (dNSName enclave.invalid) on the leaf's issuer; the leaf has no dNSName",
			flags: []string{"CriticalExtension", "NameConstraints", "UnenforcedCriticalExtension"}, result: acceptable, failure: failUntrusted, doc: d, model: m})
	}
	for _, e := range []struct {
		what string
		ext  pkix.Extension
	}{
		{"a critical nameConstraints (directoryName) that permits the leaf's name", nameConstraints(within)},
		{"a critical extKeyUsage (anyExtendedKeyUsage)", pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true,
			Value: mustMarshal([]asn1.ObjectIdentifier{{2, 5, 29, 37, 0}})}},
		{"a critical certificatePolicies (anyPolicy)", pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 32}, Critical: true,
			Value: mustMarshal([]struct{ ID asn1.ObjectIdentifier }{{asn1.ObjectIdentifier{2, 5, 29, 32, 0}}})}},
	} {
		d, m := doc(withExt(last, e.ext), nil)
		flags := []string{"CriticalExtension", "UnenforcedCriticalExtension"}
		if e.ext.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 30}) {
			flags = append(flags, "NameConstraints")
		}
		add(&attCase{comment: e.what + " on the leaf's issuer", flags: flags, result: acceptable, failure: failUntrusted, doc: d, model: m})
	}

	// ---- The recipient's RSA key (requireRsaPublicKey).
	key := rsaTestKey("test-rsa2048-a.key.pem")
	n := key.N
	even := new(big.Int).Add(n, big.NewInt(1))
	short := new(big.Int).Rsh(n, 1024)
	short.SetBit(short, 0, 1)
	spki := func(n *big.Int, e int) []byte {
		b, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: n, E: e})
		if err != nil {
			panic(err)
		}
		return b
	}
	withKey := func(pub []byte) ([]byte, *docModel) { return doc(p, func(m *docModel) { m.pub = pub }) }
	rsaCase := func(comment string, pub []byte, result string, flags ...string) {
		d, m := withKey(pub)
		c := &attCase{comment: comment, flags: append([]string{"RequireRsaPublicKey"}, flags...), result: result, requireRSA: true, doc: d}
		if result == valid {
			c.model = m
		} else {
			c.failure = failPolicy
		}
		add(c)
	}
	rsaCase("RSA-2048, exponent 65537", spki(n, 65537), valid)
	rsaCase("RSA-3072, exponent 65537", spki(rsaTestKey("test-rsa3072-a.key.pem").N, 65537), valid)
	rsaCase("RSA-4096, exponent 65537", spki(rsaTestKey("test-rsa4096-a.key.pem").N, 65537), valid)
	rsaCase("RSA-2048, exponent 3", spki(n, 3), valid)
	rsaCase("RSA-2048, exponent 2^31-1", spki(n, 1<<31-1), valid)
	for _, e := range []struct {
		what string
		e    int
	}{{"1", 1}, {"2", 2}, {"4 (even)", 4}, {"65536", 65536}, {"2^31+1", 1<<31 + 1}, {"2^32+1", 1<<32 + 1}} {
		rsaCase("RSA-2048, exponent "+e.what, spki(n, e.e), invalid, "MalformedRsaKey")
	}
	rsaCase("RSA-2048 with an even modulus", spki(even, 65537), invalid, "MalformedRsaKey")
	rsaCase("RSA-1024", spki(short, 65537), invalid, "WrongRsaKey")
	ec, err := x509.MarshalPKIXPublicKey(&ecKey(elliptic.P256(), p.dialect+" P-256 enclave key").PublicKey)
	if err != nil {
		panic(err)
	}
	rsaCase("an EC P-256 key", ec, invalid, "WrongRsaKey")
	rsaCase("public_key not a SubjectPublicKeyInfo", []byte("not a SubjectPublicKeyInfo"), invalid, "WrongRsaKey")
	rsaCase("public_key unset", nil, invalid, "WrongRsaKey")
	{
		// Without the policy, the same genuine document verifies: the
		// key's check is the policy's, not the chain's.
		d, m := withKey(spki(n, 1))
		add(&attCase{comment: "RSA-2048, exponent 1, without requireRsaPublicKey", flags: []string{"MalformedRsaKey"}, result: valid, doc: d, model: m})
	}
	return cs
}

// nameConstraints is a critical nameConstraints extension (RFC 5280,
// 4.2.1.10) whose only permitted subtree is the directoryName base.
func nameConstraints(base pkix.Name) pkix.Extension {
	name := mustMarshal(base.ToRDNSequence())
	dirName := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: name} // [4] EXPLICIT Name
	subtree := mustMarshal(struct{ Base asn1.RawValue }{dirName})                                     // GeneralSubtree
	permitted := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: subtree}
	return pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 30}, Critical: true, Value: mustMarshal(struct{ Permitted asn1.RawValue }{permitted})}
}

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
