package policy

import (
	"bytes"
	"fmt"
	"strings"
)

type dialect uint8

const (
	dialectAWS dialect = iota + 1
	dialectHuawei
)

// ParseAWS parses and compiles an AWS KMS key policy. The error, if any,
// wraps ErrInvalid and names the JSON path of the construct it refuses.
func ParseAWS(doc []byte) (*Policy, error) {
	return parse(doc, dialectAWS)
}

// ParseHuawei parses and compiles a Huawei Cloud IAM identity policy,
// Version "1.1" or "5.0". The error, if any, wraps ErrInvalid and names
// the JSON path of the construct it refuses.
func ParseHuawei(doc []byte) (*Policy, error) {
	return parse(doc, dialectHuawei)
}

// grammar is what one document version allows.
type grammar struct {
	d         dialect
	name      string          // for error messages
	fields    map[string]bool // statement fields
	ops       map[string]opSpec
	variables bool // ${...} is a policy variable, which is refused
}

var (
	awsFields = map[string]bool{"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true,
		"Action": true, "NotAction": true, "Resource": true, "NotResource": true, "Condition": true}
	// huawei11Fields follows the 1.1 policy syntax
	// (https://support.huaweicloud.com/intl/en-us/usermanual-iam/iam_01_0019.html).
	huawei11Fields = map[string]bool{"Effect": true, "Action": true, "Resource": true, "Condition": true}
	// huawei50Fields follows the 5.0 JSON element reference
	// (https://support.huaweicloud.com/intl/en-us/usermanual-iam5/iam_01_1289.html);
	// Principal belongs to resource and trust policies only.
	huawei50Fields = map[string]bool{"Sid": true, "Effect": true, "Action": true, "NotAction": true,
		"Resource": true, "NotResource": true, "Condition": true}
)

// member extends a JSON path with an object member: .Name for plain
// names, ["..."] (cut to 64 bytes) otherwise.
func member(path, name string) string {
	plain := name != "" && len(name) <= 64
	for i := 0; i < len(name) && plain; i++ {
		c := name[i]
		plain = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
	}
	if plain {
		return path + "." + name
	}
	return path + "[" + quote(name) + "]"
}

func errAt(path, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, path, fmt.Sprintf(format, args...))
}

func parse(doc []byte, d dialect) (*Policy, error) {
	maxSize := maxAWSSize
	if d == dialectHuawei {
		maxSize = maxHuaweiSize
	}
	root, err := readJSON(doc, maxSize, d == dialectAWS)
	if err != nil {
		return nil, err
	}
	if root.kind != kObject {
		return nil, errAt("document", "want an object, got %s", root.kind)
	}
	var version, stmts *node
	for i, k := range root.keys {
		v := root.elems[i]
		switch {
		case k == "Version":
			version = v
		case k == "Statement":
			stmts = v
		case k == "Id" && d == dialectAWS:
			if v.kind != kString {
				return nil, errAt("Id", "want a string, got %s", v.kind)
			}
		default:
			return nil, errAt(member("document", k), "unknown top-level field")
		}
	}
	g, err := versionGrammar(d, version)
	if err != nil {
		return nil, err
	}
	if stmts == nil {
		return nil, errAt("Statement", "missing")
	}
	list := []*node{stmts}
	switch {
	case stmts.kind == kArray:
		list = stmts.elems
	case stmts.kind != kObject || d == dialectHuawei:
		want := "an object or an array"
		if d == dialectHuawei {
			want = "an array"
		}
		return nil, errAt("Statement", "want %s, got %s", want, stmts.kind)
	}
	if len(list) == 0 {
		return nil, errAt("Statement", "empty")
	}
	if len(list) > maxStatements {
		return nil, errAt("Statement", "more than %d statements", maxStatements)
	}
	p := &Policy{stmts: make([]statement, len(list))}
	for i, n := range list {
		path := "Statement"
		if stmts.kind == kArray {
			path = fmt.Sprintf("Statement[%d]", i)
		}
		if err := g.statement(&p.stmts[i], n, path); err != nil {
			return nil, err
		}
	}
	p.raw = bytes.Clone(doc)
	return p, nil
}

func versionGrammar(d dialect, v *node) (*grammar, error) {
	if v == nil {
		// AWS KMS requires Version in a key policy
		// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html#key-policy-elements);
		// Huawei documents it as mandatory.
		return nil, errAt("Version", "missing")
	}
	if v.kind != kString {
		return nil, errAt("Version", "want a string, got %s", v.kind)
	}
	switch {
	case d == dialectAWS && v.str == "2012-10-17":
		return &grammar{d: d, name: "AWS", fields: awsFields, ops: awsOps, variables: true}, nil
	case d == dialectAWS && v.str == "2008-10-17":
		// Version 2008-10-17 has no policy variables: ${...} is literal
		// text (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).
		return &grammar{d: d, name: "AWS", fields: awsFields, ops: awsOps}, nil
	case d == dialectHuawei && v.str == "1.1":
		return &grammar{d: d, name: "Huawei 1.1", fields: huawei11Fields, ops: huaweiOps, variables: true}, nil
	case d == dialectHuawei && v.str == "5.0":
		return &grammar{d: d, name: "Huawei 5.0", fields: huawei50Fields, ops: huaweiOps, variables: true}, nil
	}
	want := `"2012-10-17" or "2008-10-17"`
	if d == dialectHuawei {
		want = `"1.1" or "5.0"`
	}
	return nil, errAt("Version", "want %s, got %s", want, quote(v.str))
}

// statement is a compiled policy statement.
type statement struct {
	effect       Decision
	notAction    bool
	actions      []glob // lower case
	notResource  bool
	resources    []segments
	notPrincipal bool
	principal    *principals // nil: no Principal element (Huawei)
	conds        []condition
}

type applyResult uint8

const (
	applyNo applyResult = iota
	applyYes
	applyAmbiguous
)

// applies reports whether the statement's action, resource, principal and
// conditions all match req.
func (s *statement) applies(req *Request) applyResult {
	in := false
	for _, a := range s.actions {
		if a.match(req.Action, true) {
			in = true
			break
		}
	}
	if in == s.notAction {
		return applyNo
	}
	in = false
	for _, r := range s.resources {
		if r.match(req.Resource) {
			in = true
			break
		}
	}
	if in == s.notResource {
		return applyNo
	}
	if s.principal != nil && s.principal.match(req, s.notPrincipal) == s.notPrincipal {
		return applyNo
	}
	for i := range s.conds {
		holds, ambiguous := s.conds[i].eval(req)
		if ambiguous {
			return applyAmbiguous
		}
		if !holds {
			return applyNo
		}
	}
	return applyYes
}

func (g *grammar) statement(s *statement, n *node, path string) error {
	if n.kind != kObject {
		return errAt(path, "want an object, got %s", n.kind)
	}
	var effect, action, resource, principal, cond *node
	var actionName, resourceName, principalName string
	for i, k := range n.keys {
		v := n.elems[i]
		if !g.fields[k] {
			return errAt(member(path, k), "field not allowed in a %s statement", g.name)
		}
		dup := ""
		switch k {
		case "Sid":
			if v.kind != kString {
				return errAt(path+".Sid", "want a string, got %s", v.kind)
			}
		case "Effect":
			effect = v
		case "Action", "NotAction":
			dup, action, actionName = actionName, v, k
		case "Resource", "NotResource":
			dup, resource, resourceName = resourceName, v, k
		case "Principal", "NotPrincipal":
			dup, principal, principalName = principalName, v, k
		case "Condition":
			cond = v
		}
		if dup != "" {
			return errAt(path, "both %s and %s", dup, k)
		}
	}
	if effect == nil {
		return errAt(path+".Effect", "missing")
	}
	if effect.kind != kString || (effect.str != "Allow" && effect.str != "Deny") {
		return errAt(path+".Effect", `want "Allow" or "Deny"`)
	}
	s.effect = Allow
	if effect.str == "Deny" {
		s.effect = Deny
	}
	if action == nil {
		return errAt(path, "missing Action")
	}
	s.notAction = actionName == "NotAction"
	if err := g.actions(s, action, path+"."+actionName); err != nil {
		return err
	}
	switch {
	case resource != nil:
		s.notResource = resourceName == "NotResource"
		if err := g.resources(s, resource, path+"."+resourceName); err != nil {
			return err
		}
	case g.d == dialectAWS:
		// AWS KMS stores a key policy statement without Resource and
		// ignores it; refusing it keeps a Deny from being silently void
		// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html#key-policy-elements).
		return errAt(path, "missing Resource")
	default:
		// Huawei: no Resource means every resource.
		s.resources = []segments{{}}
	}
	if g.d == dialectAWS {
		if principal == nil {
			return errAt(path, "missing Principal")
		}
		s.notPrincipal = principalName == "NotPrincipal"
		ps, err := awsPrincipals(principal, path+"."+principalName)
		if err != nil {
			return err
		}
		s.principal = ps
	}
	if cond != nil {
		return g.conditions(s, cond, path+".Condition")
	}
	return nil
}

// strings reads a string or a non-empty array of strings.
func stringList(n *node, path string) ([]string, error) {
	switch n.kind {
	case kString:
		return []string{n.str}, nil
	case kArray:
		if len(n.elems) == 0 {
			return nil, errAt(path, "empty array")
		}
		out := make([]string, len(n.elems))
		for i, e := range n.elems {
			if e.kind != kString {
				return nil, errAt(fmt.Sprintf("%s[%d]", path, i), "want a string, got %s", e.kind)
			}
			out[i] = e.str
		}
		return out, nil
	}
	return nil, errAt(path, "want a string or an array of strings, got %s", n.kind)
}

func (g *grammar) actions(s *statement, n *node, path string) error {
	list, err := stringList(n, path)
	if err != nil {
		return err
	}
	for _, a := range list {
		if !validAction(a, g.d) {
			return errAt(path, "malformed action %s", quote(a))
		}
		s.actions = append(s.actions, newGlob(lowerASCIIString(a)))
	}
	return nil
}

// validAction accepts "*" and "service:name" (AWS) or
// "service:type:operation" (Huawei, whose type may be empty, as in
// kms::generateRandom, and whose "service:*" form is also accepted). The
// service is letters, digits and hyphens; the rest may hold * and ?.
func validAction(a string, d dialect) bool {
	if a == "*" {
		return true
	}
	parts := strings.Split(a, ":")
	switch {
	case d == dialectAWS && len(parts) != 2:
		return false
	case d == dialectHuawei && len(parts) != 2 && len(parts) != 3:
		return false
	}
	for i, p := range parts {
		last := i == len(parts)-1
		if p == "" && (i == 0 || last) {
			return false
		}
		for j := 0; j < len(p); j++ {
			c := p[j]
			switch {
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-':
			case (c == '*' || c == '?') && i > 0:
			case c == '_' && i > 0:
			default:
				return false
			}
		}
	}
	return true
}

func (g *grammar) resources(s *statement, n *node, path string) error {
	list, err := stringList(n, path)
	if err != nil {
		return err
	}
	for _, r := range list {
		if r == "*" {
			s.resources = append(s.resources, segments{})
			continue
		}
		if g.variables && strings.Contains(r, "${") {
			return errAt(path, "policy variables are not supported: %s", quote(r))
		}
		// An ARN has six fields, a Huawei URN five
		// (service:region:account:type:path).
		fields, what := 6, "an ARN"
		if g.d == dialectHuawei {
			fields, what = 5, "a URN service:region:account:type:path"
		}
		sg, ok := newSegments(r, fields)
		if !ok || (g.d == dialectAWS && !strings.HasPrefix(r, "arn:")) {
			return errAt(path, `want "*" or %s, got %s`, what, quote(r))
		}
		s.resources = append(s.resources, sg)
	}
	return nil
}

// awsPrincipals compiles a Principal or NotPrincipal element
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
func awsPrincipals(n *node, path string) (*principals, error) {
	ps := &principals{}
	if n.kind == kString {
		if n.str != "*" {
			return nil, errAt(path, `want "*" or an object, got %s`, quote(n.str))
		}
		ps.any = true
		return ps, nil
	}
	if n.kind != kObject {
		return nil, errAt(path, `want "*" or an object, got %s`, n.kind)
	}
	if len(n.keys) == 0 {
		return nil, errAt(path, "empty object")
	}
	for i, k := range n.keys {
		p := member(path, k)
		list, err := stringList(n.elems[i], p)
		if err != nil {
			return nil, err
		}
		switch k {
		case "AWS":
			for _, v := range list {
				if err := ps.addAWS(v, p); err != nil {
					return nil, err
				}
			}
		case "Service", "Federated":
			for _, v := range list {
				if v == "" || strings.ContainsAny(v, "*?") {
					return nil, errAt(p, "malformed principal %s", quote(v))
				}
			}
			ps.others += len(list)
		case "CanonicalUser":
			return nil, errAt(p, "CanonicalUser principals belong to Amazon S3, not to KMS key policies")
		default:
			return nil, errAt(p, "unknown principal type")
		}
	}
	return ps, nil
}

// addAWS adds one "AWS" principal: "*", an account ID, or an IAM or STS
// ARN of an account root, user, role, assumed-role session or federated
// user. Wildcards are not allowed inside a principal.
func (ps *principals) addAWS(v, path string) error {
	if v == "*" {
		ps.any = true
		return nil
	}
	if isAccountID(v) {
		ps.accounts = append(ps.accounts, v)
		return nil
	}
	f := splitARN(v)
	bad := !f.ok || f.region != "" || !isAccountID(f.account) || strings.ContainsAny(v, "*?")
	if !bad {
		switch {
		case f.service == "iam" && f.resource == "root":
			ps.accounts = append(ps.accounts, f.account)
			return nil
		case f.service == "iam" && strings.HasPrefix(f.resource, "role/") && len(f.resource) > len("role/"):
			name := f.resource[strings.LastIndexByte(f.resource, '/')+1:]
			if name == "" {
				break
			}
			ps.roles = append(ps.roles, roleName{arn: v, partition: f.partition, account: f.account, name: name})
			return nil
		case f.service == "iam" && strings.HasPrefix(f.resource, "user/") && len(f.resource) > len("user/"),
			f.service == "sts" && strings.HasPrefix(f.resource, "assumed-role/") && strings.Count(f.resource, "/") == 2,
			f.service == "sts" && strings.HasPrefix(f.resource, "federated-user/") && len(f.resource) > len("federated-user/"):
			ps.arns = append(ps.arns, v)
			return nil
		}
	}
	return errAt(path, "malformed AWS principal %s", quote(v))
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (g *grammar) conditions(s *statement, n *node, path string) error {
	if n.kind != kObject {
		return errAt(path, "want an object, got %s", n.kind)
	}
	if len(n.keys) == 0 {
		return errAt(path, "empty object")
	}
	for i, opName := range n.keys {
		opPath := member(path, opName)
		spec, set, ifExists, ok := parseOperator(opName, g.ops)
		if !ok {
			return errAt(opPath, "unsupported condition operator")
		}
		block := n.elems[i]
		if block.kind != kObject {
			return errAt(opPath, "want an object, got %s", block.kind)
		}
		if len(block.keys) == 0 {
			return errAt(opPath, "empty object")
		}
		seen := make(map[string]bool, len(block.keys))
		for j, keyName := range block.keys {
			keyPath := opPath + "[" + quote(keyName) + "]"
			key := lowerASCIIString(keyName)
			src, ok := awsKey(key)
			if g.d == dialectHuawei {
				src, ok = huaweiKey(key)
			}
			if !ok {
				return errAt(keyPath, "unsupported condition key")
			}
			if seen[key] {
				return errAt(keyPath, "condition key repeated (names ignore case)")
			}
			seen[key] = true
			c := condition{op: spec.kind, negate: spec.negate, ifExists: ifExists, set: set, key: key, src: src}
			if err := g.values(&c, block.elems[j], keyPath); err != nil {
				return err
			}
			s.conds = append(s.conds, c)
		}
	}
	return nil
}

// values compiles a condition's values: a string, number or boolean, or a
// non-empty array of them (a number is its JSON text).
func (g *grammar) values(c *condition, n *node, path string) error {
	list := []*node{n}
	if n.kind == kArray {
		if len(n.elems) == 0 {
			return errAt(path, "empty array")
		}
		list = n.elems
	}
	for i, e := range list {
		p := path
		if n.kind == kArray {
			p = fmt.Sprintf("%s[%d]", path, i)
		}
		var v string
		switch e.kind {
		case kString, kNumber:
			v = e.str
		case kBool:
			v = "false"
			if e.b {
				v = "true"
			}
		default:
			return errAt(p, "want a string, number or boolean, got %s", e.kind)
		}
		if g.variables && strings.Contains(v, "${") {
			return errAt(p, "policy variables are not supported: %s", quote(v))
		}
		switch c.op {
		case opEquals, opEqualsFold:
			c.strs = append(c.strs, v)
		case opLike:
			c.globs = append(c.globs, newGlob(v))
		case opARN:
			if v == "*" {
				c.arns = append(c.arns, segments{})
				break
			}
			sg, ok := newSegments(v, 6)
			if !ok || !strings.HasPrefix(v, "arn:") {
				return errAt(p, `want "*" or an ARN, got %s`, quote(v))
			}
			c.arns = append(c.arns, sg)
		case opBool, opNull:
			lv := strings.ToLower(v)
			if lv != "true" && lv != "false" {
				return errAt(p, `want "true" or "false", got %s`, quote(v))
			}
			if c.op == opNull {
				if len(list) > 1 {
					return errAt(path, "Null takes one value")
				}
				c.null = lv == "true"
			} else {
				c.strs = append(c.strs, lv)
			}
		}
	}
	return nil
}
