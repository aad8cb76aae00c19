#!/usr/bin/env python3
"""A second, independent runner of the qtenclave test vectors.

It decides every vector of attestation_test.json and envelope_test.json
with its own implementation of the rules in ../README.md, written in Python
with only the Debian packages python3-cryptography (X.509, ECDSA, RSA-OAEP,
AES) and python3-cbor2 (CBOR values). It shares no code with the Go
packages the vectors check: if both agree with the vectors, the vectors do
not merely restate one implementation.

For each vector, a result of "valid" must be accepted (and give the expected
values), "invalid" rejected with the vector's failure class, and
"acceptable" decided by the policy table ACCEPT below, which is qtenclave's
(the README lists it).

Usage: check_vectors.py [DIR]   (DIR defaults to the directory above this file)
Exit status 0 if every vector is decided as it says, 1 otherwise.
"""

import datetime
import hashlib
import io
import json
import os
import sys

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils
from cryptography.hazmat.primitives.asymmetric import padding as apadding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import load_der_private_key, load_der_public_key


class Reject(Exception):
    """A vector is rejected; args[0] is the failure class."""

    def __init__(self, cls, why):
        super().__init__(cls, why)
        self.cls = cls
        self.why = why


# Acceptable vectors: the flags qtenclave accepts, and those it rejects.
ACCEPT = {
    "BigEndianSignature": True,
    "LongChain": True,
    "OverlongChain": False,
    "IssuerSerialNoCertificate": True,
    "BerNonMinimalLength": False,
    "BerConstructedImplicit": False,
    "BerDeepNesting": False,
    "WrongVersion": False,
    "ExplicitDefaultLabel": False,
    "UnenforcedCriticalExtension": False,
}


def policy(test):
    for flag in test["flags"]:
        if flag in ACCEPT:
            return ACCEPT[flag]
    raise SystemExit("no policy for acceptable vector %d %s" % (test["tcId"], test["flags"]))


# ---------------------------------------------------------------------------
# Attestation documents
# ---------------------------------------------------------------------------

MAX_DOCUMENT = 64 * 1024
MAX_CERT = 4096
MAX_USER_FIELD = 4096
MAX_MODULE_ID = 256
MAX_CABUNDLE = 8
MAX_PCRS = 32
MAX_MAP_PAIRS = 32
MAX_ARRAY = 16
MAX_NESTING = 8
MAX_TIMESTAMP = 253402300800000
MAX_SKEW = datetime.timedelta(minutes=5)


def malformed(why):
    return Reject("malformed", why)


class CBOR:
    """A strict scanner for CBOR items (RFC 8949). It checks well-formedness
    and the document rules (no duplicate map keys, no tags, valid UTF-8,
    limits, definite lengths where required) and returns where each item
    ends; values are decoded with cbor2 from the spans it validated."""

    def __init__(self, buf):
        self.buf = buf

    def head(self, pos):
        if pos >= len(self.buf):
            raise malformed("truncated at %d" % pos)
        ib = self.buf[pos]
        major, info = ib >> 5, ib & 0x1F
        pos += 1
        if info < 24:
            return major, info, pos, False
        if info in (24, 25, 26, 27):
            n = 1 << (info - 24)
            if pos + n > len(self.buf):
                raise malformed("truncated argument at %d" % pos)
            return major, int.from_bytes(self.buf[pos:pos + n], "big"), pos + n, False
        if info == 31 and major in (2, 3, 4, 5):
            return major, None, pos, True
        if info == 31 and major == 7:
            raise malformed("unexpected break at %d" % (pos - 1))
        raise malformed("reserved additional information %d at %d" % (info, pos - 1))

    def item(self, pos, depth, indefinite_ok=False):
        """Returns the end of the item at pos; depth is its nesting level
        (the outermost item is 1)."""
        if depth > MAX_NESTING:
            raise malformed("nested deeper than %d" % MAX_NESTING)
        major, arg, p, indef = self.head(pos)
        if indef and not indefinite_ok:
            raise malformed("indefinite length at %d" % pos)
        if major in (0, 1):
            return p
        if major in (2, 3):
            if indef:
                raise malformed("indefinite-length string at %d" % pos)
            end = p + arg
            if end > len(self.buf):
                raise malformed("string beyond the input at %d" % pos)
            if major == 3:
                try:
                    self.buf[p:end].decode("utf-8")
                except UnicodeDecodeError:
                    raise malformed("invalid UTF-8 at %d" % pos)
            return end
        if major == 4:
            if arg > MAX_ARRAY:
                raise malformed("array of %d elements" % arg)
            for _ in range(arg):
                p = self.item(p, depth + 1)
            return p
        if major == 5:
            keys = set()
            n = 0
            while True:
                if indef:
                    if p >= len(self.buf):
                        raise malformed("missing break")
                    if self.buf[p] == 0xFF:
                        return p + 1
                elif n == arg:
                    return p
                n += 1
                if n > MAX_MAP_PAIRS:
                    raise malformed("map of more than %d pairs" % MAX_MAP_PAIRS)
                kend = self.item(p, depth + 1)
                key = cbor2.loads(self.buf[p:kend])
                key = (type(key).__name__, key)
                if key in keys:
                    raise malformed("duplicate map key %r" % (key,))
                keys.add(key)
                p = self.item(kend, depth + 1)
        if major == 6:
            raise malformed("tag at %d" % pos)
        # Major 7: simple values and floats.
        return p


def decode_map_raw(buf, indefinite_ok):
    """Validates a payload map in buf and returns {key: raw bytes of value}."""
    c = CBOR(buf)
    if not buf or buf[0] >> 5 != 5:
        raise malformed("payload is not a map")
    end = c.item(0, 1, indefinite_ok=indefinite_ok)
    if end != len(buf):
        raise malformed("trailing bytes in the payload")
    major, arg, p, indef = c.head(0)
    out, n = {}, 0
    while True:
        if indef and buf[p] == 0xFF:
            break
        if not indef and n == arg:
            break
        kend = c.item(p, 2)
        vend = c.item(kend, 2)
        out[cbor2.loads(buf[p:kend])] = buf[kend:vend]  # the scanner has refused duplicates
        p, n = vend, n + 1
    return out


def major_of(raw):
    return raw[0] >> 5


def text_field(raw, maxlen, name):
    if major_of(raw) != 3:
        raise malformed("%s is not text" % name)
    s = cbor2.loads(raw)
    if not 1 <= len(s.encode()) <= maxlen:
        raise malformed("%s of %d bytes" % (name, len(s)))
    return s


def bytes_field(raw, maxlen, optional, name):
    """Returns the byte string, None for null, b"" for empty (optional only)."""
    if optional and raw == b"\xf6":
        return None
    if major_of(raw) != 2:
        raise malformed("%s is not a byte string" % name)
    b = cbor2.loads(raw)
    if (not b and not optional) or len(b) > maxlen:
        raise malformed("%s of %d bytes" % (name, len(b)))
    return b


def parse_payload(buf):
    top = decode_map_raw(buf, indefinite_ok=True)
    p = {"public_key": None, "user_data": None, "nonce": None}
    for key, raw in top.items():
        if key == "module_id":
            p["module_id"] = text_field(raw, MAX_MODULE_ID, key)
        elif key == "digest":
            p["digest"] = text_field(raw, 6, key)
        elif key == "timestamp":
            if major_of(raw) != 0:
                raise malformed("timestamp is not an unsigned integer")
            ts = cbor2.loads(raw)
            if ts == 0 or ts >= MAX_TIMESTAMP:
                raise malformed("timestamp out of range")
            p["timestamp"] = ts
        elif key == "pcrs":
            if major_of(raw) != 5:
                raise malformed("pcrs is not a map")
            pcrs = decode_map_raw(raw, indefinite_ok=False)
            if not 1 <= len(pcrs) <= MAX_PCRS:
                raise malformed("%d PCRs" % len(pcrs))
            out, size = {}, None
            for i, v in pcrs.items():
                if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < MAX_PCRS:
                    raise malformed("PCR index %r" % (i,))
                b = bytes_field(v, 64, False, "PCR")
                size = size or len(b)
                if len(b) not in (32, 48, 64) or len(b) != size:
                    raise malformed("PCR%d of %d bytes" % (i, len(b)))
                out[i] = b
            p["pcrs"] = out
        elif key == "certificate":
            p["certificate"] = bytes_field(raw, MAX_CERT, False, key)
        elif key == "cabundle":
            if major_of(raw) != 4:
                raise malformed("cabundle is not an array")
            c = CBOR(raw)
            major, n, pos, _ = c.head(0)
            if not 1 <= n <= MAX_CABUNDLE:
                raise malformed("cabundle of %d" % n)
            bundle = []
            for _ in range(n):
                end = c.item(pos, 2)
                bundle.append(bytes_field(raw[pos:end], MAX_CERT, False, "cabundle entry"))
                pos = end
            p["cabundle"] = bundle
        elif key in ("public_key", "pubkey"):
            if key == "pubkey" and "public_key" in top:
                raise malformed("both public_key and pubkey")
            p["public_key"] = bytes_field(raw, MAX_USER_FIELD, True, key)
        elif key in ("user_data", "nonce"):
            p[key] = bytes_field(raw, MAX_USER_FIELD, True, key)
        # Unknown keys are ignored; the scanner has checked them.
    for k in ("module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle"):
        if k not in p:
            raise malformed("%s missing" % k)
    if p["digest"] != "SHA384":
        raise malformed("digest is not SHA384")
    return p


def parse_sign1(doc):
    if not doc:
        raise malformed("empty")
    if len(doc) > MAX_DOCUMENT:
        raise malformed("document of %d bytes" % len(doc))
    pos = 0
    if doc[0] == 0xD2:  # tag 18
        pos = 1
    c = CBOR(doc)
    major, n, p, indef = c.head(pos)
    if major != 4 or indef or n != 4:
        raise malformed("not a 4-element array")
    parts = []
    for i in range(4):
        end = c.item(p, 2) if i != 2 else skip_payload(c, p)
        parts.append(doc[p:end])
        p = end
    if p != len(doc):
        raise malformed("trailing bytes")
    protected_raw, unprotected, payload_raw, sig_raw = parts
    if major_of(protected_raw) != 2 or major_of(payload_raw) != 2 or major_of(sig_raw) != 2:
        raise malformed("a COSE_Sign1 field of the wrong type")
    protected = cbor2.loads(protected_raw)
    payload = cbor2.loads(payload_raw)
    sig = cbor2.loads(sig_raw)
    # The protected header must be exactly {1: -35}.
    if not protected:
        raise malformed("protected header empty")
    pc = CBOR(protected)
    if protected[0] >> 5 != 5 or pc.item(0, 1) != len(protected):
        raise malformed("protected header is not one map")
    hdr = cbor2.loads(protected)
    if hdr != {1: -35}:
        raise malformed("protected header %r" % (hdr,))
    if unprotected != b"\xa0":
        raise malformed("unprotected header not an empty map")
    if len(sig) != 96:
        raise malformed("signature of %d bytes" % len(sig))
    return protected, payload, sig


def skip_payload(c, pos):
    if c.buf[pos] == 0xF6:
        raise malformed("detached payload")
    return c.item(pos, 2)


def bstr_head(n):
    if n < 24:
        return bytes([0x40 | n])
    if n < 256:
        return bytes([0x58, n])
    if n < 65536:
        return bytes([0x59]) + n.to_bytes(2, "big")
    return bytes([0x5A]) + n.to_bytes(4, "big")


def sig_structure(protected, payload):
    return (b"\x84\x6aSignature1" + bstr_head(len(protected)) + protected + b"\x40"
            + bstr_head(len(payload)) + payload)


# The only extensions that may be critical: the two that verify_chain
# enforces. Any other critical one (nameConstraints, extKeyUsage,
# certificatePolicies included) is unhandled (RFC 5280, 4.2).
HANDLED_CRITICAL = {x509.ExtensionOID.BASIC_CONSTRAINTS, x509.ExtensionOID.KEY_USAGE}
ECDSA_SHA384 = x509.SignatureAlgorithmOID.ECDSA_WITH_SHA384


def load_cert(der, name):
    try:
        c = x509.load_der_x509_certificate(der)
        list(c.extensions)  # extensions parse lazily
        c.public_key()
        return c
    except Exception as e:  # any parse failure
        raise malformed("%s: %s" % (name, e))


def ext(cert, cls):
    try:
        return cert.extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None


def check_profile(cert, name):
    if cert.version != x509.Version.v3:
        raise Reject("untrusted", "%s: not v3" % name)
    if cert.signature_algorithm_oid != ECDSA_SHA384:
        raise Reject("untrusted", "%s: signed with %s" % (name, cert.signature_algorithm_oid))
    for e in cert.extensions:
        if e.critical and e.oid not in HANDLED_CRITICAL:
            raise Reject("untrusted", "%s: unknown critical extension %s" % (name, e.oid))


def is_p384(cert):
    k = cert.public_key()
    return isinstance(k, ec.EllipticCurvePublicKey) and isinstance(k.curve, ec.SECP384R1)


def check_issued(cert, parent, name):
    if cert.issuer.public_bytes() != parent.subject.public_bytes():
        raise Reject("untrusted", "%s: issuer is not its parent's subject" % name)
    try:
        parent.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    except (InvalidSignature, TypeError, ValueError, AttributeError) as e:
        raise Reject("untrusted", "%s: not signed by its parent (%s)" % (name, e))


def verify_chain(leaf_der, cabundle):
    """Returns the chain leaf first, root last."""
    cas = []
    for i, der in enumerate(cabundle):
        name = "cabundle[%d]" % i
        cert = load_cert(der, name)
        check_profile(cert, name)
        if not is_p384(cert):
            raise Reject("untrusted", "%s: key not P-384" % name)
        bc = ext(cert, x509.BasicConstraints)
        if bc is None or not bc.ca:
            raise Reject("untrusted", "%s: not a CA" % name)
        ku = ext(cert, x509.KeyUsage)
        if ku is None or not ku.key_cert_sign:
            raise Reject("untrusted", "%s: no keyCertSign" % name)
        below = len(cabundle) - 1 - i
        if bc.path_length is not None and below > bc.path_length:
            raise Reject("untrusted", "%s: pathLen %d with %d CAs below" % (name, bc.path_length, below))
        if i > 0:
            check_issued(cert, cas[-1], name)
        cas.append(cert)
    leaf = load_cert(leaf_der, "certificate")
    check_profile(leaf, "certificate")
    if not is_p384(leaf):
        raise malformed("the leaf key is not P-384")
    bc = ext(leaf, x509.BasicConstraints)
    if bc is not None and bc.ca:
        raise Reject("untrusted", "the leaf is a CA")
    ku = ext(leaf, x509.KeyUsage)
    if ku is None or not ku.digital_signature:
        raise Reject("untrusted", "the leaf lacks digitalSignature")
    check_issued(leaf, cas[-1], "certificate")
    return [leaf] + cas[::-1]


P384_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973


def verify_signature(leaf, protected, payload, sig, platform):
    data = sig_structure(protected, payload)
    readings = [False] if platform == "nitro" else [True, False]
    for little in readings:
        r, s = sig[:48], sig[48:]
        if little:
            r, s = r[::-1], s[::-1]
        r, s = int.from_bytes(r, "big"), int.from_bytes(s, "big")
        if not (0 < r < P384_N and 0 < s < P384_N):
            continue
        try:
            leaf.public_key().verify(utils.encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA384()))
            return
        except InvalidSignature:
            pass
    raise Reject("signature", "ES384 signature does not verify")


def naive_utc(t):
    return t.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def verify_document(doc, roots, platform, test):
    protected, payload_bytes, sig = parse_sign1(doc)
    p = parse_payload(payload_bytes)
    if p["cabundle"][0] not in roots:
        raise Reject("untrusted", "cabundle[0] is not a trusted root")
    chain = verify_chain(p["certificate"], p["cabundle"])
    verify_signature(chain[0], protected, payload_bytes, sig, platform)
    t = naive_utc(datetime.datetime.fromisoformat(test["time"].replace("Z", "+00:00")))
    ts = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=p["timestamp"])
    # Every certificate is valid at the verification time and at the
    # document's timestamp.
    for what, at in (("the verification time", t), ("the timestamp", ts)):
        for c in chain:
            if at < c.not_valid_before or at > c.not_valid_after:
                raise Reject("expired", "%s not valid at %s %s" % (c.subject.rfc4514_string(), what, at))
    age = t - ts
    if age < -MAX_SKEW:
        raise Reject("expired", "timestamp %s in the future of the verification time" % -age)
    if test.get("maxAgeMs") and age > datetime.timedelta(milliseconds=test["maxAgeMs"]):
        raise Reject("expired", "document age %s" % age)
    if not test.get("allowDebug"):
        if all(not any(p["pcrs"].get(i, b"")) for i in range(3)):
            raise Reject("policy", "debug enclave")
    if "nonce" in test and (p["nonce"] or b"") != bytes.fromhex(test["nonce"]):
        raise Reject("policy", "nonce differs")
    if test.get("requireRsaPublicKey"):
        check_rsa_public_key(p["public_key"])
    return p


def check_rsa_public_key(der):
    """requireRsaPublicKey: an RSA SubjectPublicKeyInfo that RSAES-OAEP
    encryption accepts (Go's crypto/rsa limits, the README's rule 8)."""
    if not der:
        raise Reject("policy", "public_key unset")
    try:
        key = load_der_public_key(der)
    except Exception as e:  # not a SubjectPublicKeyInfo, or one OpenSSL refuses
        raise Reject("policy", "public_key: %s" % e)
    if not isinstance(key, rsa.RSAPublicKey):
        raise Reject("policy", "public_key is not RSA")
    nums = key.public_numbers()
    if nums.n.bit_length() not in (2048, 3072, 4096):
        raise Reject("policy", "RSA-%d" % nums.n.bit_length())
    if nums.n % 2 == 0:
        raise Reject("policy", "even RSA modulus")
    if not 3 <= nums.e <= 2**31 - 1 or nums.e % 2 == 0:
        raise Reject("policy", "RSA exponent %d" % nums.e)


def check_expected(p, e):
    hexes = lambda b: None if b is None else b.hex()
    got = {
        "moduleId": p["module_id"], "timestampMs": p["timestamp"], "digest": p["digest"],
        "pcrs": {str(i): v.hex() for i, v in p["pcrs"].items()},
        "publicKey": hexes(p["public_key"]), "userData": hexes(p["user_data"]), "nonce": hexes(p["nonce"]),
    }
    return [k for k in e if got[k] != e[k]]


def run_attestation(path):
    f = json.load(open(path))
    bad = 0
    for g in f["testGroups"]:
        roots = [bytes.fromhex(r) for r in g["roots"]]
        for t in g["tests"]:
            bad += decide(t, lambda: verify_document(bytes.fromhex(t["doc"]), roots, g["platform"], t),
                          lambda p: check_expected(p, t["expected"]) and "fields differ: %s" % check_expected(p, t["expected"]))
    return f["numberOfTests"], bad


# ---------------------------------------------------------------------------
# CMS EnvelopedData
# ---------------------------------------------------------------------------

MAX_ENVELOPE = 1 << 20
MAX_DEPTH = 16
MAX_ELEMENTS = 4096
MAX_RECIPIENTS = 16
MAX_ENCRYPTED_KEY = 1024
MAX_KEY_ID = 64


def emalformed(why):
    return Reject("malformed", why)


def unsupported(why):
    return Reject("unsupported", why)


def der_tlv(tag, content):
    n = len(content)
    if n < 0x80:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + content


class Normalizer:
    """BER to DER for the subset real envelopes use: indefinite lengths on
    constructed elements, and constructed OCTET STRINGs (joined). Anything
    else must already be DER-shaped."""

    def __init__(self, buf):
        self.buf, self.pos, self.elements, self.limit = buf, 0, 0, len(buf)

    def header(self):
        start = self.pos
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise emalformed("more than %d elements" % MAX_ELEMENTS)
        if self.limit - self.pos < 2:
            raise emalformed("truncated header at %d" % start)
        tag, l = self.buf[self.pos], self.buf[self.pos + 1]
        self.pos += 2
        if tag & 0x1F == 0x1F:
            raise emalformed("high tag number at %d" % start)
        if l < 0x80:
            if l > self.limit - self.pos:
                raise emalformed("length beyond the input at %d" % start)
            return tag, l
        if l == 0x80:
            if not tag & 0x20:
                raise emalformed("indefinite length on a primitive element at %d" % start)
            return tag, -1
        if l > 0x83:
            raise emalformed("length too long at %d" % start)
        nb = l & 0x7F
        if self.limit - self.pos < nb:
            raise emalformed("truncated length at %d" % start)
        length = int.from_bytes(self.buf[self.pos:self.pos + nb], "big")
        if self.buf[self.pos] == 0 or length < 0x80:
            raise emalformed("non-minimal length at %d" % start)
        self.pos += nb
        if length > self.limit - self.pos:
            raise emalformed("length beyond the input at %d" % start)
        return tag, length

    def at_eoc(self):
        if self.limit - self.pos >= 2 and self.buf[self.pos] == 0 and self.buf[self.pos + 1] == 0:
            self.pos += 2
            return True
        return False

    def children(self, length, f):
        out = []
        if length >= 0:
            end = self.pos + length
            saved = self.limit
            self.limit = end
            while self.pos < end:
                out.append(f())
            self.limit = saved
            return out
        while not self.at_eoc():
            if self.pos >= self.limit:
                raise emalformed("missing end-of-contents")
            out.append(f())
        return out

    def element(self, depth):
        if depth > MAX_DEPTH:
            raise emalformed("nested deeper than %d" % MAX_DEPTH)
        start = self.pos
        tag, length = self.header()
        if tag == 0:
            raise emalformed("unexpected end-of-contents at %d" % start)
        if not tag & 0x20:
            content = self.buf[self.pos:self.pos + length]
            self.pos += length
            return der_tlv(tag, content)
        if tag == 0x24:
            return der_tlv(0x04, b"".join(self.children(length, lambda: self.chunk(depth + 1))))
        if tag & 0xC0 == 0 and tag not in (0x30, 0x31):
            raise emalformed("constructed universal tag %#x at %d" % (tag, start))
        return der_tlv(tag, b"".join(self.children(length, lambda: self.element(depth + 1))))

    def chunk(self, depth):
        if depth > MAX_DEPTH:
            raise emalformed("nested deeper than %d" % MAX_DEPTH)
        start = self.pos
        tag, length = self.header()
        if tag == 0x04:
            c = self.buf[self.pos:self.pos + length]
            self.pos += length
            return c
        if tag == 0x24:
            return b"".join(self.children(length, lambda: self.chunk(depth + 1)))
        raise emalformed("tag %#x inside a constructed OCTET STRING at %d" % (tag, start))


def normalize(buf):
    if len(buf) > MAX_ENVELOPE:
        raise emalformed("too large")
    n = Normalizer(buf)
    out = n.element(0)
    if n.pos != len(buf):
        raise emalformed("trailing bytes")
    return out


class DER:
    """A reader of DER elements (lengths are minimal after normalize)."""

    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def empty(self):
        return self.pos >= len(self.buf)

    def peek(self):
        return None if self.empty() else self.buf[self.pos]

    def read(self, tag=None):
        """Returns (tag, contents) of the next element, or raises
        malformed if it is absent or (with tag) has another tag."""
        if len(self.buf) - self.pos < 2:
            raise emalformed("missing element")
        t, l = self.buf[self.pos], self.buf[self.pos + 1]
        p = self.pos + 2
        if l >= 0x80:
            nb = l & 0x7F
            l = int.from_bytes(self.buf[p:p + nb], "big")
            p += nb
        if p + l > len(self.buf):
            raise emalformed("element beyond its parent")
        if tag is not None and t != tag:
            raise emalformed("tag %#x, want %#x" % (t, tag))
        self.pos = p + l
        return t, self.buf[p:p + l]

    def read_element(self, tag):
        start = self.pos
        self.read(tag)
        return self.buf[start:self.pos]

    def integer(self):
        _, c = self.read(0x02)
        if not c or (len(c) > 1 and (c[0] == 0 and c[1] < 0x80 or c[0] == 0xFF and c[1] >= 0x80)):
            raise emalformed("INTEGER not minimal")
        return int.from_bytes(c, "big", signed=True)


def oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    out = bytes([40 * arcs[0] + arcs[1]])
    for a in arcs[2:]:
        enc = [a & 0x7F]
        a >>= 7
        while a:
            enc.append(0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(reversed(enc))
    return out


OID_ENVELOPED = oid("1.2.840.113549.1.7.3")
OID_DATA = oid("1.2.840.113549.1.7.1")
OID_RSA = oid("1.2.840.113549.1.1.1")
OID_OAEP = oid("1.2.840.113549.1.1.7")
OID_MGF1 = oid("1.2.840.113549.1.1.8")
OID_SHA256 = oid("2.16.840.1.101.3.4.2.1")
CIPHERS = {oid("2.16.840.1.101.3.4.1.42"): 32, oid("2.16.840.1.101.3.4.1.2"): 16,
           oid("2.16.840.1.101.3.4.1.22"): 24, oid("1.2.156.10197.1.104.2"): "sm4"}


def parse_sha256(r):
    _, alg = r.read(0x30)
    a = DER(alg)
    _, o = a.read(0x06)
    if o != OID_SHA256:
        raise unsupported("hash other than SHA-256")
    if a.peek() == 0x05:
        _, null = a.read(0x05)
        if null:
            raise emalformed("NULL with contents")
    if not a.empty():
        raise emalformed("hash parameters")


def parse_oaep(r):
    _, alg = r.read(0x30)
    a = DER(alg)
    _, o = a.read(0x06)
    if o == OID_RSA:
        raise unsupported("PKCS#1 v1.5 key transport")
    if o != OID_OAEP:
        raise unsupported("key transport algorithm")
    _, params = a.read(0x30)
    if not a.empty():
        raise emalformed("trailing data after the OAEP parameters")
    pr = DER(params)
    if pr.peek() != 0xA0:
        raise unsupported("default (SHA-1) hash")
    _, h = pr.read(0xA0)
    if pr.peek() != 0xA1:
        raise unsupported("default (MGF1-SHA-1) mask generation")
    _, m = pr.read(0xA1)
    hr = DER(h)
    parse_sha256(hr)
    if not hr.empty():
        raise emalformed("trailing data in hashAlgorithm")
    mr = DER(m)
    _, mgf = mr.read(0x30)
    if not mr.empty():
        raise emalformed("trailing data in maskGenAlgorithm")
    mg = DER(mgf)
    _, mo = mg.read(0x06)
    if mo != OID_MGF1:
        raise unsupported("mask generation other than MGF1")
    parse_sha256(mg)
    if not mg.empty():
        raise emalformed("trailing data in MGF1 parameters")
    if pr.peek() == 0xA2:
        raise unsupported("a pSourceAlgorithm (label)")
    if not pr.empty():
        raise emalformed("trailing data in the OAEP parameters")


def parse_envelope(blob):
    d = DER(normalize(blob))
    _, ci = d.read(0x30)
    c = DER(ci)
    _, ctype = c.read(0x06)
    if ctype != OID_ENVELOPED:
        raise unsupported("content type")
    _, explicit = c.read(0xA0)
    if not c.empty():
        raise emalformed("trailing data in ContentInfo")
    e = DER(explicit)
    _, ed = e.read(0x30)
    if not e.empty():
        raise emalformed("trailing data in [0]")
    r = DER(ed)
    version = r.integer()
    if r.peek() == 0xA0:
        raise unsupported("originatorInfo")
    _, ris = r.read(0x31)
    if not ris:
        raise emalformed("no recipients")
    s = DER(ris)
    recipients = []
    while not s.empty():
        if len(recipients) == MAX_RECIPIENTS:
            raise emalformed("too many recipients")
        t, ktri = s.read()
        if t in (0xA1, 0xA2, 0xA3, 0xA4):
            raise unsupported("recipient kind [%d]" % (t & 0x1F))
        if t != 0x30:
            raise emalformed("recipientInfo tag %#x" % t)
        k = DER(ktri)
        v = k.integer()
        rec = {}
        if k.peek() == 0x80:
            _, ski = k.read(0x80)
            if not ski or len(ski) > MAX_KEY_ID or v != 2:
                raise emalformed("subjectKeyIdentifier")
            rec["ski"] = ski
        elif k.peek() == 0x30:
            _, ias = k.read(0x30)
            ir = DER(ias)
            rec["issuer"] = ir.read_element(0x30)
            rec["serial"] = ir.integer()
            if not ir.empty() or v != 0:
                raise emalformed("issuerAndSerialNumber")
        else:
            raise emalformed("rid")
        parse_oaep(k)
        _, ek = k.read(0x04)
        if not ek or len(ek) > MAX_ENCRYPTED_KEY or not k.empty():
            raise emalformed("encryptedKey")
        rec["ek"] = ek
        recipients.append(rec)
    want = 2 if any("ski" in x for x in recipients) else 0
    if version != want:
        raise emalformed("EnvelopedData version %d, want %d" % (version, want))
    _, eci = r.read(0x30)
    ec_ = DER(eci)
    _, ct_type = ec_.read(0x06)
    if ct_type != OID_DATA:
        raise unsupported("encrypted content type")
    _, calg = ec_.read(0x30)
    ca = DER(calg)
    _, coid = ca.read(0x06)
    if coid not in CIPHERS:
        raise unsupported("content encryption algorithm")
    _, iv = ca.read(0x04)
    if len(iv) != 16 or not ca.empty():
        raise emalformed("IV")
    if ec_.peek() == 0x80:
        _, content = ec_.read(0x80)
    elif ec_.peek() == 0xA0:
        _, chunks = ec_.read(0xA0)
        cr = DER(chunks)
        content = b""
        while not cr.empty():
            content += cr.read(0x04)[1]
    elif ec_.empty():
        raise unsupported("detached content")
    else:
        raise emalformed("encryptedContent")
    if not ec_.empty():
        raise emalformed("trailing data in EncryptedContentInfo")
    if r.peek() == 0xA1:
        raise unsupported("unprotectedAttrs")
    if not r.empty():
        raise emalformed("trailing data in EnvelopedData")
    return recipients, CIPHERS[coid], iv, content


def decryption(why):
    return Reject("decryption", why)


def open_envelope(blob, key, cert):
    recipients, cipher, iv, content = parse_envelope(blob)
    pub = key.public_key()
    spki = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    pkcs1 = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    ids = {hashlib.sha256(spki).digest(), hashlib.sha1(pkcs1).digest()}
    if cert is not None:
        try:
            ids.add(cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest)
        except x509.ExtensionNotFound:
            pass
    mine = None
    for r in recipients:
        if "ski" in r and r["ski"] in ids:
            mine = r
            break
        if "ski" not in r and cert is not None and r["issuer"] == cert.issuer.public_bytes() and r["serial"] == cert.serial_number:
            mine = r
            break
    if mine is None and cert is None and len(recipients) == 1 and "ski" not in recipients[0]:
        mine = recipients[0]
    if mine is None:
        raise decryption("no recipient for the key")
    try:
        cek = key.decrypt(mine["ek"], apadding.OAEP(mgf=apadding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    except ValueError:
        raise decryption("RSAES-OAEP")
    size = 16 if cipher == "sm4" else cipher
    if len(cek) != size:
        raise decryption("content key of %d bytes" % len(cek))
    if not content or len(content) % 16:
        raise decryption("content length")
    algo = algorithms.SM4(cek) if cipher == "sm4" else algorithms.AES(cek)
    d = Cipher(algo, modes.CBC(iv)).decryptor()
    pt = d.update(content) + d.finalize()
    u = padding.PKCS7(128).unpadder()
    try:
        return u.update(pt) + u.finalize()
    except ValueError:
        raise decryption("padding")


from cryptography.hazmat.primitives import serialization  # noqa: E402


def run_envelope(path):
    f = json.load(open(path))
    bad = 0
    for g in f["testGroups"]:
        key = load_der_private_key(bytes.fromhex(g["privateKeyPkcs8"]), password=None)
        assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == g["keySize"]
        cert = x509.load_der_x509_certificate(bytes.fromhex(g["certificate"])) if g.get("certificate") else None
        for t in g["tests"]:
            bad += decide(t, lambda: open_envelope(bytes.fromhex(t["envelope"]), key, cert),
                          lambda pt: pt.hex() != t["msg"] and "opened to %s" % pt.hex())
    return f["numberOfTests"], bad


def decide(t, run, check):
    """Decides one vector: run() returns the output or raises Reject;
    check(output) returns a complaint about an accepted output, or a false
    value. Returns 1 if the vector is not decided as it says, else 0."""
    want = t["result"] == "valid" or (t["result"] == "acceptable" and policy(t))
    try:
        out = run()
    except Reject as r:
        if want:
            return report(t, "rejected: %s: %s" % (r.cls, r.why))
        if r.cls != t["failure"]:
            return report(t, "rejected as %s (%s), want %s" % (r.cls, r.why, t["failure"]))
        return 0
    if not want:
        return report(t, "accepted")
    why = check(out)
    return report(t, why) if why else 0


def report(t, what):
    print("tcId %d (%s, %s, %s): %s" % (t["tcId"], t["result"], t["comment"], ",".join(t["flags"]), what))
    return 1


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(here)
    failed = 0
    for name, run in (("attestation_test.json", run_attestation), ("envelope_test.json", run_envelope)):
        n, bad = run(os.path.join(d, name))
        print("%s: %d vectors, %d decided as they say, %d not" % (name, n, n - bad, bad))
        failed += bad
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
