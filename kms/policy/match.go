package policy

import (
	"strings"
	"unicode/utf8"
)

// glob is a pattern with the IAM wildcards: * matches any run of
// characters (also none), ? exactly one character. A pattern without
// wildcards is compared as a plain string.
type glob struct {
	pat  string
	wild bool
}

func newGlob(p string) glob {
	return glob{pat: p, wild: strings.ContainsAny(p, "*?")}
}

// match reports whether s matches. With fold set, ASCII letters match
// ignoring case; the pattern must then be lower case.
func (g glob) match(s string, fold bool) bool {
	if !g.wild {
		if fold {
			return equalFoldASCII(g.pat, s)
		}
		return g.pat == s
	}
	return wildMatch(g.pat, s, fold)
}

// wildMatch is the linear-backtracking wildcard match: on a mismatch it
// retries from the last *, consuming one more byte of s. Its cost is at
// most len(p)*len(s), which the string limits bound. A * may stop inside a
// multi-byte rune only to fail at the next literal, since a literal starts
// with a rune's first byte; ? consumes a whole rune.
func wildMatch(p, s string, fold bool) bool {
	pi, si := 0, 0
	star, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; c {
			case '*':
				star, starS = pi, si
				pi++
				continue
			case '?':
				_, size := utf8.DecodeRuneInString(s[si:])
				pi++
				si += size
				continue
			default:
				d := s[si]
				if fold {
					d = lowerASCII(d)
				}
				if c == d {
					pi++
					si++
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		pi = star + 1
		starS++
		si = starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// lowerASCIIString lowers ASCII letters only, as equalFoldASCII folds.
func lowerASCIIString(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lowerASCII(c)
	}
	return string(b)
}

// equalFoldASCII compares lower-case pattern p with s, folding ASCII only.
func equalFoldASCII(p, s string) bool {
	if len(p) != len(s) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] != lowerASCII(s[i]) {
			return false
		}
	}
	return true
}

// segments is a pattern for a colon-separated name (an ARN or a URN),
// matched segment by segment: wildcards do not cross the first n-1
// colons, and the last segment takes the rest, colons included. A nil
// parts matches everything ("*").
type segments struct {
	parts []glob
}

// newSegments splits p into exactly n segments, or reports false if it
// has fewer.
func newSegments(p string, n int) (segments, bool) {
	parts := make([]glob, 0, n)
	for i := 0; i < n-1; i++ {
		j := strings.IndexByte(p, ':')
		if j < 0 {
			return segments{}, false
		}
		parts = append(parts, newGlob(p[:j]))
		p = p[j+1:]
	}
	return segments{parts: append(parts, newGlob(p))}, true
}

func (sg segments) match(s string) bool {
	if sg.parts == nil {
		return true
	}
	last := len(sg.parts) - 1
	for i := 0; i < last; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 || !sg.parts[i].match(s[:j], false) {
			return false
		}
		s = s[j+1:]
	}
	return sg.parts[last].match(s, false)
}

// principals is a compiled Principal or NotPrincipal element.
type principals struct {
	any      bool       // "*" or {"AWS": "*"}
	accounts []string   // account IDs, from "123456789012" or arn:...:iam::123456789012:root
	roles    []roleName // roles, which also match their assumed-role sessions
	arns     []string   // other ARNs, matched exactly
	others   int        // Service and Federated entries: never match locally
}

type roleName struct {
	arn, partition, account, name string
}

// match reports whether the caller is one of the principals. In a
// Principal element (not set) an account matches every caller of that
// account, the local reading of "delegate to IAM"; in NotPrincipal (not
// set) it matches only the account principal itself.
func (ps *principals) match(req *Request, not bool) bool {
	if ps.any {
		return true
	}
	for _, a := range ps.accounts {
		if a != req.Account || req.Account == "" {
			continue
		}
		if !not || isAccountRoot(req.Principal, a) {
			return true
		}
	}
	for _, a := range ps.arns {
		if a == req.Principal {
			return true
		}
	}
	for i := range ps.roles {
		if ps.roles[i].match(req.Principal) {
			return true
		}
	}
	return false
}

// isAccountRoot reports whether arn is arn:<partition>:iam::<account>:root.
func isAccountRoot(arn, account string) bool {
	f := splitARN(arn)
	return f.ok && f.service == "iam" && f.region == "" && f.account == account && f.resource == "root"
}

// match reports whether arn is the role itself (exactly) or one of its
// sessions, arn:<partition>:sts::<account>:assumed-role/<name>/<session>:
// role names are unique in an account, whatever their path.
func (r *roleName) match(arn string) bool {
	if arn == r.arn {
		return true
	}
	f := splitARN(arn)
	if !f.ok || f.service != "sts" || f.partition != r.partition || f.account != r.account || f.region != "" {
		return false
	}
	rest, ok := strings.CutPrefix(f.resource, "assumed-role/")
	if !ok {
		return false
	}
	name, session, ok := strings.Cut(rest, "/")
	return ok && name == r.name && session != "" && !strings.Contains(session, "/")
}

// arnParts are the six fields of an ARN; the resource keeps any colons.
type arnParts struct {
	ok                                            bool
	partition, service, region, account, resource string
}

func splitARN(s string) arnParts {
	var f [6]string
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return arnParts{}
		}
		f[i], s = s[:j], s[j+1:]
	}
	f[5] = s
	if f[0] != "arn" || f[1] == "" {
		return arnParts{}
	}
	return arnParts{ok: true, partition: f[1], service: f[2], region: f[3], account: f[4], resource: f[5]}
}
