package pattern

import "strings"

// Equality is one "type:path = 'value'" comparison: what a matcher can
// put in a hash table instead of evaluating the pattern.
type Equality struct {
	ObjectType string // e.g. "file"
	Path       string // in pattern syntax, e.g. "hashes.'SHA-256'" or "value"
	Value      string // the string literal, unescaped
}

// Equalities returns the comparisons when the whole pattern is a
// disjunction of string equalities on plain properties, e.g.
//
//	[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'x.example']
//	[file:hashes.MD5 = '…' OR file:hashes.'SHA-256' = '…']
//
// Such a pattern matches a set of observations exactly when one of the
// comparisons holds for some object in them, so simple indicators can be
// indexed by (type, path, value) and only the rest need Match. ok is false
// for anything else: qualifiers, AND, FOLLOWEDBY, NOT, other operators or
// literal types, index steps, references (*_ref) and binary (*_hex,
// *_bin) properties, which compare differently.
func (p *Pattern) Equalities() (terms []Equality, ok bool) {
	var comp func(c *compNode) bool
	comp = func(c *compNode) bool {
		switch c.kind {
		case compOr:
			return comp(c.left) && comp(c.right)
		case compAnd:
			return false
		}
		t := c.test
		if t.op != OpEQ || t.not || t.lit.kind != litString {
			return false
		}
		for _, s := range t.path.steps {
			if s.kind != stepKey || strings.HasSuffix(s.key, "_ref") || strings.HasSuffix(s.key, "_refs") ||
				strings.HasSuffix(s.key, "_hex") || strings.HasSuffix(s.key, "_bin") {
				return false
			}
		}
		terms = append(terms, Equality{ObjectType: t.path.typ, Path: t.path.propertyPath(), Value: t.lit.s})
		return true
	}
	var obs func(n *obsNode) bool
	obs = func(n *obsNode) bool {
		switch n.kind {
		case obsSimple:
			return comp(n.comp)
		case obsOr:
			return obs(n.left) && obs(n.right)
		}
		return false
	}
	if p.evalErr != nil || !obs(p.root) {
		return nil, false
	}
	return terms, true
}

// SimpleEquality returns the comparison when the pattern is exactly one
// string equality, such as [url:value = 'http://x.example/'].
func (p *Pattern) SimpleEquality() (Equality, bool) {
	terms, ok := p.Equalities()
	if !ok || len(terms) != 1 {
		return Equality{}, false
	}
	return terms[0], true
}
