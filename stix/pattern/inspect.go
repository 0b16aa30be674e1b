package pattern

import "strings"

// Comparison describes one comparison of a pattern as written, for
// routing (which object types can a pattern touch?) and for display.
type Comparison struct {
	ObjectType string
	Path       string // in pattern syntax, e.g. "extensions.'windows-pebinary-ext'.sections[*].entropy"
	Op         Op
	Operator   string // as written, with NOT: "NOT !=", "==", "ISSUBSET"
	Value      string // the literal as written; "(…)" for IN; empty for EXISTS
}

// Comparisons lists every comparison of the pattern, left to right.
func (p *Pattern) Comparisons() []Comparison {
	var out []Comparison
	p.eachTest(func(t *propTest) {
		c := Comparison{ObjectType: t.path.typ, Path: t.path.propertyPath(), Op: t.op, Operator: t.opTx}
		if t.not {
			c.Operator = "NOT " + c.Operator
		}
		switch t.op {
		case OpExists:
		case OpIn:
			texts := make([]string, len(t.set))
			for i, l := range t.set {
				texts[i] = l.text
			}
			c.Value = "(" + strings.Join(texts, ",") + ")"
		default:
			c.Value = t.lit.text
		}
		out = append(out, c)
	})
	return out
}

// ObjectTypes lists the distinct object types the pattern compares, in
// order of first appearance: only observations holding objects of these
// types can satisfy any part of it.
func (p *Pattern) ObjectTypes() []string {
	var out []string
	seen := map[string]bool{}
	p.eachTest(func(t *propTest) {
		if !seen[t.path.typ] {
			seen[t.path.typ] = true
			out = append(out, t.path.typ)
		}
	})
	return out
}
