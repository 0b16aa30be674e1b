package pattern

import (
	"fmt"
	"strings"
)

// Validate reports whether s is a pattern the OASIS pattern validator
// accepts: it must parse, no observation expression may carry two
// qualifiers of the same kind directly ("[a] WITHIN 5 SECONDS WITHIN 6
// SECONDS"; a parenthesised group may take its own), and hash values
// compared with known algorithms must have the right form. It does not
// include Err's evaluation problems; `umbra pattern check` reports both.
func Validate(s string) (*Pattern, error) {
	p, err := Parse(s)
	if err != nil {
		return nil, err
	}
	if err := p.checkQualifiers(); err != nil {
		return p, err
	}
	if err := p.checkHashes(); err != nil {
		return p, err
	}
	return p, nil
}

// checkQualifiers replays the validator's rule in its walk order: a [ ]
// expression starts a fresh set of qualifier kinds, a parenthesised group
// stops the check until the next [ ].
func (p *Pattern) checkQualifiers() error {
	var kinds map[obsKind]bool
	var walk func(n *obsNode) error
	walk = func(n *obsNode) error {
		switch n.kind {
		case obsSimple:
			kinds = map[obsKind]bool{}
		case obsAnd, obsOr, obsFollowedBy:
			if err := walk(n.left); err != nil {
				return err
			}
			if err := walk(n.right); err != nil {
				return err
			}
		default:
			if err := walk(n.left); err != nil {
				return err
			}
			if kinds != nil {
				if kinds[n.kind] {
					name := map[obsKind]string{obsWithin: "WITHIN", obsRepeats: "REPEATS", obsStartStop: "STARTSTOP"}[n.kind]
					return &Error{Offset: n.pos, Msg: "duplicate qualifier type: " + name}
				}
				kinds[n.kind] = true
			}
		}
		if n.paren {
			kinds = nil
		}
		return nil
	}
	return walk(p.root)
}

// hashForms is the validator's table of hash formats, keyed by the
// algorithm name upper-cased without '-'.
var hashForms = map[string]struct {
	name    string
	lengths []int // hex digits; nil for SSDEEP
}{
	"MD5": {"MD5", []int{32}}, "MD6": {"MD6", []int{32, 40, 56, 64, 96, 128}},
	"RIPEMD160": {"RIPEMD-160", []int{40}}, "SHA1": {"SHA-1", []int{40}},
	"SHA224": {"SHA-224", []int{56}}, "SHA256": {"SHA-256", []int{64}},
	"SHA384": {"SHA-384", []int{96}}, "SHA512": {"SHA-512", []int{128}},
	"SHA3224": {"SHA3-224", []int{56}}, "SHA3256": {"SHA3-256", []int{64}},
	"SHA3384": {"SHA3-384", []int{96}}, "SHA3512": {"SHA3-512", []int{128}},
	"SSDEEP": {"SSDEEP", nil}, "WHIRLPOOL": {"WHIRLPOOL", []int{128}},
}

// checkHashes checks string literals compared for equality (or set
// membership) with a path that goes through "hashes" and ends in a known
// algorithm name. The OASIS validator checks the operand of every
// operator; LIKE, MATCHES and ordering operands are not whole hashes, so
// umbra leaves them alone.
func (p *Pattern) checkHashes() error {
	var first error
	p.eachTest(func(t *propTest) {
		if first != nil || (t.op != OpEQ && t.op != OpNEQ && t.op != OpIn) {
			return
		}
		steps := t.path.steps
		last := steps[len(steps)-1]
		if last.kind != stepKey {
			return
		}
		through := false
		for _, s := range steps {
			through = through || s.kind == stepKey && s.key == "hashes"
		}
		if !through {
			return
		}
		form, known := hashForms[strings.ReplaceAll(strings.ToUpper(last.key), "-", "")]
		if !known {
			return
		}
		lits := t.set
		if t.op != OpIn {
			lits = []literal{t.lit}
		}
		for _, l := range lits {
			if l.kind == litString && !validHash(l.s, form.lengths) {
				first = &Error{Offset: l.pos, Msg: fmt.Sprintf("'%s' is not a valid %s hash", l.s, form.name)}
				return
			}
		}
	})
	return first
}

func validHash(s string, lengths []int) bool {
	if lengths == nil { // SSDEEP
		if len(s) < 1 || len(s) > 128 {
			return false
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !(isIdentChar(c) && c != '_' || c == '/' || c == '+' || c == ':' || c == '.') {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	for _, n := range lengths {
		if len(s) == n {
			return true
		}
	}
	return false
}

// eachTest calls f for every comparison, left to right.
func (p *Pattern) eachTest(f func(*propTest)) {
	var comp func(c *compNode)
	comp = func(c *compNode) {
		if c.kind == compTest {
			f(c.test)
			return
		}
		comp(c.left)
		comp(c.right)
	}
	var obs func(n *obsNode)
	obs = func(n *obsNode) {
		switch n.kind {
		case obsSimple:
			comp(n.comp)
		case obsAnd, obsOr, obsFollowedBy:
			obs(n.left)
			obs(n.right)
		default:
			obs(n.left)
		}
	}
	obs(p.root)
}
