package core

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"sync/atomic"
	"time"

	"github.com/qtenclave/qtenclave/internal/httpsig"
)

// MaxClockSkew bounds how far a signed request's date may be from the
// server's clock. The signature covers the date, and the date is the only
// thing that limits replay; 15 minutes is what AWS and Huawei allow.
const MaxClockSkew = 15 * time.Minute

// Caller is who made a request, as the server authenticated it: which
// credential let it in and through which front end. Every operation
// receives it and authorizes it (authorize): every authenticated caller
// acts as Options.Principal, and the Huawei front end's (API APIHuawei)
// are also held to Options.HuaweiPolicies. The zero Caller is refused.
type Caller struct {
	API        string     // the front end: "huawei" or "aws"
	Credential Credential // what authenticated the request
	AccessKey  string     // the access key ID of a signed request; "" for a token
}

// Credential is the kind of credential that authenticated a request.
type Credential int

const (
	CredentialNone  Credential = iota // not authenticated (the zero Caller)
	CredentialToken                   // X-Auth-Token
	CredentialAKSK                    // Huawei's AK/SK signature (SDK-HMAC-SHA256)
	CredentialSigV4                   // AWS Signature Version 4
)

// Credentials are the server's secrets: a token and an access key pair,
// kept as SHA-256 digests where only equality matters so that comparisons
// take the same time for any length. Keep them behind a pointer, so that
// printing what holds them shows no secret.
type Credentials struct {
	tokenHash []byte // nil: tokens are not accepted
	akHash    []byte // nil: signatures are not accepted
	ak        string
	sk        []byte
	skMAC     *httpsig.MAC // HMAC-SHA256 under sk, for SDK-HMAC-SHA256
	// sigV4 is the last SigV4 signing key derived from sk (four HMACs),
	// for its day, region and service: every request of a day asks for
	// the same one.
	sigV4 atomic.Pointer[sigV4Key]
}

type sigV4Key struct {
	date, region, service string
	key                   *httpsig.MAC
}

// NewCredentials returns the credentials of a server. An empty token or
// access key is refused by the matching check.
func NewCredentials(token, accessKey, secretKey string) *Credentials {
	c := new(Credentials)
	if token != "" {
		h := hashSecret(token)
		c.tokenHash = h[:]
	}
	if accessKey != "" {
		h := hashSecret(accessKey)
		c.akHash = h[:]
		c.ak = accessKey
		c.sk = []byte(secretKey)
		c.skMAC = httpsig.NewMAC(c.sk)
	}
	return c
}

// MatchToken reports, in constant time, whether presented is the token.
func (c *Credentials) MatchToken(presented string) bool { return equalSecret(c.tokenHash, presented) }

// MatchAccessKey reports, in constant time, whether presented is the access
// key ID.
func (c *Credentials) MatchAccessKey(presented string) bool { return equalSecret(c.akHash, presented) }

// AccessKey returns the access key ID.
func (c *Credentials) AccessKey() string { return c.ak }

// SecretKey returns the secret key, which signatures are computed with.
// Callers must not modify it.
func (c *Credentials) SecretKey() []byte { return c.sk }

// SecretMAC returns the secret key as an HMAC-SHA256 key, which
// SDK-HMAC-SHA256 signatures are computed with.
func (c *Credentials) SecretMAC() *httpsig.MAC { return c.skMAC }

// SigV4Key returns the SigV4 signing key derived from the secret key for
// date (YYYYMMDD), region and service, as an HMAC-SHA256 key.
func (c *Credentials) SigV4Key(date, region, service string) *httpsig.MAC {
	if k := c.sigV4.Load(); k != nil && k.date == date && k.region == region && k.service == service {
		return k.key
	}
	key := httpsig.NewMAC(httpsig.SigV4SigningKey(c.sk, date, region, service))
	c.sigV4.Store(&sigV4Key{date: strings.Clone(date), region: strings.Clone(region), service: strings.Clone(service), key: key})
	return key
}

func hashSecret(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }

// equalSecret compares a presented secret with a stored digest in constant time.
func equalSecret(stored []byte, presented string) bool {
	h := hashSecret(presented)
	return stored != nil && subtle.ConstantTimeCompare(stored, h[:]) == 1
}
