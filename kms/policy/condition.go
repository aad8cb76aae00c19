package policy

import (
	"strconv"
	"strings"
)

// opKind is how a condition compares one request value with the policy's
// values.
type opKind uint8

const (
	opEquals     opKind = iota + 1 // exact, case-sensitive
	opEqualsFold                   // exact, ignoring case
	opLike                         // wildcards * and ?, case-sensitive
	opARN                          // wildcards within ARN segments, case-sensitive
	opBool                         // "true" or "false", ignoring case
	opNull                         // key absent ("true") or present ("false")
)

type opSpec struct {
	kind   opKind
	negate bool
}

// awsOps are the IAM condition operators this engine evaluates
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
// ArnEquals and ArnLike behave identically, as do their negations.
var awsOps = map[string]opSpec{
	"StringEquals":              {opEquals, false},
	"StringNotEquals":           {opEquals, true},
	"StringEqualsIgnoreCase":    {opEqualsFold, false},
	"StringNotEqualsIgnoreCase": {opEqualsFold, true},
	"StringLike":                {opLike, false},
	"StringNotLike":             {opLike, true},
	"ArnEquals":                 {opARN, false},
	"ArnLike":                   {opARN, false},
	"ArnNotEquals":              {opARN, true},
	"ArnNotLike":                {opARN, true},
	"Bool":                      {opBool, false},
	"Null":                      {opNull, false},
}

// huaweiOps are the Huawei Cloud operators this engine evaluates, those
// whose semantics Huawei documents: StringMatch is the case-sensitive *
// and ? match, StringNotMatch its negation, in the operator table of the
// 5.0 grammar that SCPs share with identity policies
// (https://www.huaweicloud.com/guide/productsdesc-bms_caa3ee0b35b46e21996ba51c4dfc6dd7support1).
// Operators whose case rules that table leaves open (StringStartWith,
// StringEndWith, ...) are refused rather than guessed. The ForAnyValue:
// qualifier appears in Huawei's 5.0 examples
// (https://support.huaweicloud.com/drawer-organizations/org_99_0002.html).
var huaweiOps = map[string]opSpec{
	"StringEquals":              {opEquals, false},
	"StringNotEquals":           {opEquals, true},
	"StringEqualsIgnoreCase":    {opEqualsFold, false},
	"StringNotEqualsIgnoreCase": {opEqualsFold, true},
	"StringMatch":               {opLike, false},
	"StringNotMatch":            {opLike, true},
	"Bool":                      {opBool, false},
	"Null":                      {opNull, false},
}

// setQual is a condition's set operator for multivalued keys.
type setQual uint8

const (
	setNone setQual = iota
	setAny          // ForAnyValue:
	setAll          // ForAllValues:
)

// keySource is where a condition key's request values come from.
type keySource uint8

const (
	srcContext   keySource = iota // Request.Context
	srcPrincipal                  // Request.Principal
	srcAccount                    // Request.Account
)

// condition is one (operator, key, values) triple of a Condition block.
type condition struct {
	op       opKind
	negate   bool
	ifExists bool
	set      setQual
	key      string // lower case
	src      keySource
	strs     []string // opEquals, opEqualsFold; opBool: "true"/"false"
	globs    []glob   // opLike
	arns     []segments
	null     bool // opNull: true requires the key to be absent
}

// parseOperator splits "ForAnyValue:StringEqualsIfExists" into its parts.
// Operator names are case-sensitive, as AWS and Huawei spell them.
func parseOperator(name string, ops map[string]opSpec) (spec opSpec, set setQual, ifExists, ok bool) {
	base := name
	if rest, found := strings.CutPrefix(base, "ForAnyValue:"); found {
		base, set = rest, setAny
	} else if rest, found := strings.CutPrefix(base, "ForAllValues:"); found {
		base, set = rest, setAll
	}
	if rest, found := strings.CutSuffix(base, "IfExists"); found {
		base, ifExists = rest, true
	}
	spec, ok = ops[base]
	if ok && spec.kind == opNull && (set != setNone || ifExists) {
		// The IAM reference excludes Null from IfExists, and a set
		// operator over an existence test has no meaning.
		ok = false
	}
	return spec, set, ifExists, ok
}

// awsKey classifies a lower-case AWS condition key.
func awsKey(k string) (keySource, bool) {
	switch k {
	case "aws:principalarn":
		return srcPrincipal, true
	case "aws:principalaccount", "kms:calleraccount":
		return srcAccount, true
	case "kms:recipientattestation:imagesha384", "kms:encryptioncontextkeys":
		return srcContext, true
	}
	if n, ok := strings.CutPrefix(k, "kms:recipientattestation:pcr"); ok {
		return srcContext, pcrIndex(n)
	}
	if ec, ok := strings.CutPrefix(k, "kms:encryptioncontext:"); ok {
		return srcContext, ec != ""
	}
	return 0, false
}

// huaweiKey classifies a lower-case Huawei condition key: the
// kms:RecipientAttestation/<attestation-key> keys of the KMS operations
// that take a recipient
// (https://support.huaweicloud.com/intl/en-us/usermanual-ecs/ecs_03_1413.html).
func huaweiKey(k string) (keySource, bool) {
	if n, ok := strings.CutPrefix(k, "kms:recipientattestation/pcr"); ok {
		return srcContext, pcrIndex(n)
	}
	return 0, false
}

// pcrIndex accepts "0" to "31" without leading zeros.
func pcrIndex(s string) bool {
	if s == "" || len(s) > 2 || (len(s) == 2 && s[0] == '0') {
		return false
	}
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n <= 31
}

// eval reports whether the condition holds for req, and whether the
// request is ambiguous about the key (spelled twice in Context, or a
// derived key present in Context).
func (c *condition) eval(req *Request) (holds, ambiguous bool) {
	var buf [1]string
	var vals []string
	n := 0
	for k, v := range req.Context {
		if equalFoldASCII(c.key, k) {
			vals = v
			n++
		}
	}
	switch c.src {
	case srcContext:
		if n > 1 {
			return false, true
		}
	default:
		if n > 0 {
			return false, true
		}
		vals = nil
		if c.src == srcPrincipal && req.Principal != "" {
			buf[0] = req.Principal
			vals = buf[:]
		} else if c.src == srcAccount && req.Account != "" {
			buf[0] = req.Account
			vals = buf[:]
		}
	}
	return c.holds(vals), false
}

// holds applies the operator to the request's values; none means the key
// is absent.
func (c *condition) holds(vals []string) bool {
	if c.op == opNull {
		return (len(vals) == 0) == c.null
	}
	if len(vals) == 0 {
		switch {
		case c.ifExists, c.set == setAll:
			return true
		case c.set == setAny:
			return false
		}
		return c.negate
	}
	switch c.set {
	case setAny:
		for _, v := range vals {
			if c.matchOne(v) != c.negate {
				return true
			}
		}
		return false
	case setAll:
		for _, v := range vals {
			if c.matchOne(v) == c.negate {
				return false
			}
		}
		return true
	}
	// Without a set operator: a positive operator holds if some request
	// value matches some policy value; a negated one if none does.
	for _, v := range vals {
		if c.matchOne(v) {
			return !c.negate
		}
	}
	return c.negate
}

// matchOne reports whether request value v matches any of the policy's
// values under the (positive) operator.
func (c *condition) matchOne(v string) bool {
	switch c.op {
	case opEquals:
		for _, p := range c.strs {
			if p == v {
				return true
			}
		}
	case opEqualsFold:
		for _, p := range c.strs {
			if strings.EqualFold(p, v) {
				return true
			}
		}
	case opBool:
		for _, p := range c.strs {
			if equalFoldASCII(p, v) {
				return true
			}
		}
	case opLike:
		for _, g := range c.globs {
			if g.match(v, false) {
				return true
			}
		}
	case opARN:
		for _, s := range c.arns {
			if s.match(v) {
				return true
			}
		}
	}
	return false
}
