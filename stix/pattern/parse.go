package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Error is a pattern that cannot be parsed, validated or evaluated, with
// the byte offset of the problem so that tools can point at it.
type Error struct {
	Offset int    // 0-based byte offset into the pattern
	Msg    string // what was wrong
}

func (e *Error) Error() string { return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg) }

// Caret renders the pattern with a ^ under the offending byte, for
// terminal output. Tabs are kept so the caret lines up.
func (e *Error) Caret(pattern string) string {
	off := min(max(e.Offset, 0), len(pattern))
	lineStart := strings.LastIndexAny(pattern[:off], "\r\n") + 1
	lineEnd := len(pattern)
	if i := strings.IndexAny(pattern[off:], "\r\n"); i >= 0 {
		lineEnd = off + i
	}
	var pad strings.Builder
	for _, r := range pattern[lineStart:off] {
		if r == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	return pattern[lineStart:lineEnd] + "\n" + pad.String() + "^"
}

// Pattern is a compiled STIX 2.1 pattern, safe for concurrent use.
type Pattern struct {
	src  string
	root *obsNode
	// evalErr is the first problem in the pattern itself that makes every
	// evaluation fail (an invalid regular expression, a mixed-type set,
	// WITHIN 0 SECONDS, February 30). The reference matcher raises these
	// while matching, so Parse accepts them and Match reports them.
	evalErr *Error
	nSimple int // number of [ ] observation expressions
}

// String returns the pattern text as given to Parse.
func (p *Pattern) String() string { return p.src }

// Err reports a problem in the pattern that makes every Match fail, or
// nil. Parse accepts such patterns because they are grammatical.
func (p *Pattern) Err() error {
	if p.evalErr == nil {
		return nil
	}
	return p.evalErr
}

type obsKind uint8

const (
	obsSimple obsKind = iota
	obsAnd
	obsOr
	obsFollowedBy
	obsWithin
	obsRepeats
	obsStartStop
)

// obsNode is an observation expression.
type obsNode struct {
	kind        obsKind
	pos         int
	paren       bool // written in parentheses; the validator's qualifier rule needs this
	left, right *obsNode
	comp        *compNode // obsSimple
	within      time.Duration
	repeats     int
	start, stop time.Time
	index       int    // obsSimple: position among the simple expressions
	bad         *Error // a qualifier the reference matcher rejects while matching
}

type compKind uint8

const (
	compTest compKind = iota
	compAnd
	compOr
)

// compNode is a comparison expression inside [ ].
type compNode struct {
	kind        compKind
	left, right *compNode
	test        *propTest
}

// Op is a comparison operator.
type Op uint8

// The comparison operators of STIX patterning.
const (
	OpEQ Op = iota
	OpNEQ
	OpLT
	OpLE
	OpGT
	OpGE
	OpIn
	OpLike
	OpMatches
	OpIsSubset
	OpIsSuperset
	OpExists
)

var opNames = [...]string{"=", "!=", "<", "<=", ">", ">=", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS"}

func (o Op) String() string { return opNames[o] }

// stepKind is one step of an object path.
type stepKind uint8

const (
	stepKey stepKind = iota
	stepIndex
	stepStar
)

type step struct {
	kind   stepKind
	key    string // stepKey
	quoted bool   // written as a string literal
	index  int    // stepIndex
}

type objectPath struct {
	typ   string
	steps []step
}

// String renders the path in pattern syntax, quoting keys that are not
// plain identifiers.
func (op objectPath) String() string {
	var b strings.Builder
	b.WriteString(op.typ)
	b.WriteByte(':')
	b.WriteString(op.propertyPath())
	return b.String()
}

func (op objectPath) propertyPath() string {
	var b strings.Builder
	for i, s := range op.steps {
		switch s.kind {
		case stepKey:
			if i > 0 {
				b.WriteByte('.')
			}
			if isPlainIdent(s.key) {
				b.WriteString(s.key)
			} else {
				b.WriteString(quote(s.key))
			}
		case stepIndex:
			fmt.Fprintf(&b, "[%d]", s.index)
		case stepStar:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

func isPlainIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) {
			return false
		}
	}
	_, kw := keywords[s]
	return !kw
}

func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// propTest is one comparison such as file:name = 'x'.
type propTest struct {
	pos  int
	path objectPath
	op   Op
	opTx string // the operator as written ("==", "<>", …)
	not  bool
	lit  literal   // all operators except IN and EXISTS
	set  []literal // IN
	m    *matcherRE
	cidr cidr
}

type litKind uint8

const (
	litInt litKind = iota
	litFloat
	litString
	litBool
	litBinary // hex and base64 literals: both are bytes
	litTime
)

type literal struct {
	kind litKind
	pos  int
	text string // source text, for messages and the inspector view
	i    int64
	f    float64
	s    string // litString; litBinary holds the bytes here
	b    bool
	t    time.Time
	// invalid explains a grammatical literal that cannot be evaluated
	// (a timestamp on February 30); compile reports it.
	invalid string
}

type parser struct {
	lx      lexer
	tok     token
	src     string
	nSimple int
}

// Parse compiles a STIX 2.1 pattern. Grammatical errors are returned as
// *Error with the offset of the offending token. Problems that the
// reference matcher only detects while matching (see Err) do not make
// Parse fail.
func Parse(s string) (*Pattern, error) {
	p := &parser{lx: lexer{src: s}, src: s}
	p.advance()
	root, err := p.pattern()
	if err != nil {
		return nil, err
	}
	pat := &Pattern{src: s, root: root, nSimple: p.nSimple}
	pat.evalErr = compile(root)
	return pat, nil
}

func (p *parser) advance() { p.tok = p.lx.next() }

func (p *parser) errAt(t token, format string, args ...any) *Error {
	return &Error{Offset: t.pos, Msg: fmt.Sprintf(format, args...)}
}

// unexpected describes the current token in the way ANTLR does, so the
// messages read like the reference validator's.
func (p *parser) unexpected(expecting string) *Error {
	t := p.tok
	switch t.kind {
	case tEOF:
		return p.errAt(t, "unexpected end of pattern, expecting %s", expecting)
	case tInvalid:
		if t.err != "" {
			return p.errAt(t, "%s", t.err)
		}
		return p.errAt(t, "unexpected character %q, expecting %s", t.text, expecting)
	}
	return p.errAt(t, "unexpected %q, expecting %s", t.text, expecting)
}

func (p *parser) expect(k tokKind, what string) (token, error) {
	if p.tok.kind != k {
		return token{}, p.unexpected(what)
	}
	t := p.tok
	p.advance()
	return t, nil
}

func (p *parser) pattern() (*obsNode, error) {
	if p.tok.kind != tLBrack && p.tok.kind != tLParen {
		return nil, p.unexpected("'[' or '(' (a pattern is observation expressions in square brackets)")
	}
	n, err := p.obsExprs(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("end of pattern")
	}
	return n, nil
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

func (p *parser) obsExprs(depth int) (*obsNode, error) {
	if depth > maxDepth {
		return nil, p.errAt(p.tok, "pattern nested too deeply")
	}
	return leftAssoc(p, tFollowedBy, func() (*obsNode, error) { return p.obsOr(depth) }, joinObs(obsFollowedBy))
}

func (p *parser) obsOr(depth int) (*obsNode, error) {
	return leftAssoc(p, tOr, func() (*obsNode, error) { return p.obsAnd(depth) }, joinObs(obsOr))
}

func (p *parser) obsAnd(depth int) (*obsNode, error) {
	return leftAssoc(p, tAnd, func() (*obsNode, error) { return p.obsExpr(depth) }, joinObs(obsAnd))
}

// leftAssoc parses `operand (op operand)*` and folds the operands from the
// left with join: the shape of every binary level of the grammar.
func leftAssoc[N any](p *parser, op tokKind, operand func() (N, error), join func(pos int, l, r N) N) (N, error) {
	var zero N
	left, err := operand()
	if err != nil {
		return zero, err
	}
	for p.tok.kind == op {
		pos := p.tok.pos
		p.advance()
		right, err := operand()
		if err != nil {
			return zero, err
		}
		left = join(pos, left, right)
	}
	return left, nil
}

func joinObs(kind obsKind) func(pos int, l, r *obsNode) *obsNode {
	return func(pos int, l, r *obsNode) *obsNode { return &obsNode{kind: kind, pos: pos, left: l, right: r} }
}

func joinComp(kind compKind) func(pos int, l, r *compNode) *compNode {
	return func(_ int, l, r *compNode) *compNode { return &compNode{kind: kind, left: l, right: r} }
}

func (p *parser) obsExpr(depth int) (*obsNode, error) {
	var n *obsNode
	switch p.tok.kind {
	case tLBrack:
		pos := p.tok.pos
		p.advance()
		c, err := p.compOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRBrack, "']'"); err != nil {
			return nil, err
		}
		n = &obsNode{kind: obsSimple, pos: pos, comp: c, index: p.nSimple}
		p.nSimple++
	case tLParen:
		p.advance()
		inner, err := p.obsExprs(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, "')'"); err != nil {
			return nil, err
		}
		// The group keeps its node; qualifiers written after the ) wrap it.
		inner.paren = true
		n = inner
	default:
		return nil, p.unexpected("'[' or '('")
	}
	for {
		switch p.tok.kind {
		case tWithin:
			pos := p.tok.pos
			p.advance()
			t := p.tok
			if t.kind != tInt && t.kind != tFloat || strings.HasPrefix(t.text, "-") {
				return nil, p.unexpected("a positive number of seconds")
			}
			p.advance()
			if _, err := p.expect(tSeconds, "SECONDS"); err != nil {
				return nil, err
			}
			secs, _ := strconv.ParseFloat(t.text, 64)
			n = &obsNode{kind: obsWithin, pos: pos, left: n, within: secondsDuration(secs)}
			if secs <= 0 {
				n.bad = &Error{Offset: t.pos, Msg: fmt.Sprintf("WITHIN %s SECONDS: the duration must be positive", t.text)}
			}
		case tRepeats:
			pos := p.tok.pos
			p.advance()
			t := p.tok
			if t.kind != tInt || strings.HasPrefix(t.text, "-") {
				return nil, p.unexpected("a positive integer")
			}
			p.advance()
			if _, err := p.expect(tTimes, "TIMES"); err != nil {
				return nil, err
			}
			count, err := strconv.Atoi(strings.TrimPrefix(t.text, "+"))
			if err != nil || count > maxRepeats {
				return nil, p.errAt(t, "repeat count %s is too large (at most %d)", t.text, maxRepeats)
			}
			n = &obsNode{kind: obsRepeats, pos: pos, left: n, repeats: count}
			if count < 1 {
				n.bad = &Error{Offset: t.pos, Msg: fmt.Sprintf("REPEATS %s TIMES: the count must be at least 1", t.text)}
			}
		case tStart:
			pos := p.tok.pos
			p.advance()
			start, err := p.qualifierTime()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(tStop, "STOP"); err != nil {
				return nil, err
			}
			stop, err := p.qualifierTime()
			if err != nil {
				return nil, err
			}
			n = &obsNode{kind: obsStartStop, pos: pos, left: n, start: start.t, stop: stop.t}
			for _, l := range []literal{start, stop} {
				if l.invalid != "" && n.bad == nil {
					n.bad = &Error{Offset: l.pos, Msg: l.invalid}
				}
			}
		default:
			return n, nil
		}
	}
}

// maxRepeats bounds REPEATS so a hostile pattern cannot ask for a
// combination search of absurd width.
const maxRepeats = 1 << 16

// qualifierTime reads the timestamp of START or STOP. STIX 2.1 requires a
// t'…' literal; the STIX 2.0 form, a plain string holding a timestamp, is
// accepted too because stix2-matcher's own tests still use it.
func (p *parser) qualifierTime() (literal, error) {
	t := p.tok
	switch t.kind {
	case tTimestamp:
		p.advance()
		return timeLiteral(t, t.text[2:len(t.text)-1]), nil
	case tString:
		s := unquote(t.text)
		if n := timestampBodyLen(s); n == 0 || n != len(s) {
			return literal{}, p.errAt(t, "%s is not a timestamp", t.text)
		}
		p.advance()
		return timeLiteral(t, s), nil
	}
	return literal{}, p.unexpected("a timestamp literal t'…'")
}

// timeLiteral converts a grammatical timestamp. A calendar-invalid one
// (2023-02-29) is kept, marked for compile to report.
func timeLiteral(t token, body string) literal {
	lit := literal{kind: litTime, pos: t.pos, text: t.text}
	tm, err := parseTimestamp(body)
	if err != nil {
		lit.invalid = fmt.Sprintf("invalid timestamp %s: %v", t.text, err)
		return lit
	}
	lit.t = tm
	return lit
}

func (p *parser) compOr(depth int) (*compNode, error) {
	if depth > maxDepth {
		return nil, p.errAt(p.tok, "pattern nested too deeply")
	}
	return leftAssoc(p, tOr, func() (*compNode, error) { return p.compAnd(depth) }, joinComp(compOr))
}

func (p *parser) compAnd(depth int) (*compNode, error) {
	return leftAssoc(p, tAnd, func() (*compNode, error) { return p.propTest(depth) }, joinComp(compAnd))
}

func (p *parser) propTest(depth int) (*compNode, error) {
	switch p.tok.kind {
	case tLParen:
		p.advance()
		c, err := p.compOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, "')'"); err != nil {
			return nil, err
		}
		return c, nil
	case tNot, tExists:
		pos := p.tok.pos
		not := false
		if p.tok.kind == tNot {
			not = true
			p.advance()
		}
		if _, err := p.expect(tExists, "EXISTS"); err != nil {
			return nil, err
		}
		path, err := p.objectPath()
		if err != nil {
			return nil, err
		}
		return &compNode{test: &propTest{pos: pos, path: path, op: OpExists, opTx: "EXISTS", not: not}}, nil
	}
	pos := p.tok.pos
	path, err := p.objectPath()
	if err != nil {
		return nil, err
	}
	t := &propTest{pos: pos, path: path}
	if p.tok.kind == tNot {
		t.not = true
		p.advance()
	}
	opTok := p.tok
	t.opTx = opTok.text
	switch opTok.kind {
	case tEQ, tNEQ:
		t.op = map[tokKind]Op{tEQ: OpEQ, tNEQ: OpNEQ}[opTok.kind]
		p.advance()
		lit, err := p.literal(true)
		if err != nil {
			return nil, err
		}
		t.lit = lit
	case tLT, tLE, tGT, tGE:
		t.op = map[tokKind]Op{tLT: OpLT, tLE: OpLE, tGT: OpGT, tGE: OpGE}[opTok.kind]
		p.advance()
		lit, err := p.literal(false)
		if err != nil {
			return nil, err
		}
		t.lit = lit
	case tIn:
		t.op = OpIn
		p.advance()
		if _, err := p.expect(tLParen, "'('"); err != nil {
			return nil, err
		}
		t.set = []literal{}
		if p.tok.kind != tRParen {
			for {
				lit, err := p.literal(true)
				if err != nil {
					return nil, err
				}
				t.set = append(t.set, lit)
				if p.tok.kind != tComma {
					break
				}
				p.advance()
			}
		}
		if _, err := p.expect(tRParen, "',' or ')'"); err != nil {
			return nil, err
		}
	case tLike, tMatches, tIsSubset, tIsSuperset:
		t.op = map[tokKind]Op{tLike: OpLike, tMatches: OpMatches, tIsSubset: OpIsSubset, tIsSuperset: OpIsSuperset}[opTok.kind]
		p.advance()
		st, err := p.expect(tString, "a string literal")
		if err != nil {
			return nil, err
		}
		t.lit = literal{kind: litString, pos: st.pos, text: st.text, s: unquote(st.text)}
	default:
		return nil, p.unexpected("a comparison operator")
	}
	return &compNode{test: t}, nil
}

func (p *parser) objectPath() (objectPath, error) {
	var op objectPath
	switch p.tok.kind {
	case tIdent, tIdentHyphen:
		op.typ = p.tok.text
		p.advance()
	default:
		return op, p.unexpected("an object type")
	}
	if _, err := p.expect(tColon, "':'"); err != nil {
		return op, err
	}
	switch p.tok.kind {
	case tIdent:
		op.steps = append(op.steps, step{kind: stepKey, key: p.tok.text})
	case tString:
		op.steps = append(op.steps, step{kind: stepKey, key: unquote(p.tok.text), quoted: true})
	default:
		return op, p.unexpected("a property name (quote names that contain '-' or '.')")
	}
	p.advance()
	for {
		switch p.tok.kind {
		case tDot:
			p.advance()
			switch p.tok.kind {
			case tIdent:
				op.steps = append(op.steps, step{kind: stepKey, key: p.tok.text})
			case tString:
				op.steps = append(op.steps, step{kind: stepKey, key: unquote(p.tok.text), quoted: true})
			default:
				return op, p.unexpected("a property name (quote names that contain '-' or '.')")
			}
			p.advance()
		case tLBrack:
			p.advance()
			switch p.tok.kind {
			case tAsterisk:
				op.steps = append(op.steps, step{kind: stepStar})
			case tInt:
				i, err := strconv.Atoi(strings.TrimPrefix(p.tok.text, "+"))
				if err != nil {
					// Out of int range: no list is that long, so it can
					// never match; keep it grammatical.
					i = -1
				}
				op.steps = append(op.steps, step{kind: stepIndex, index: i})
			default:
				return op, p.unexpected("a list index or '*'")
			}
			p.advance()
			if _, err := p.expect(tRBrack, "']'"); err != nil {
				return op, err
			}
		default:
			return op, nil
		}
	}
}

// literal reads a primitive literal; bools only where allowBool.
func (p *parser) literal(allowBool bool) (literal, error) {
	t := p.tok
	lit := literal{pos: t.pos, text: t.text}
	switch t.kind {
	case tInt:
		v, err := strconv.ParseInt(strings.TrimPrefix(t.text, "+"), 10, 64)
		if err != nil {
			// Beyond int64: compare as a float, as close as Go can get.
			f, _ := strconv.ParseFloat(t.text, 64)
			lit.kind, lit.f = litFloat, f
		} else {
			lit.kind, lit.i = litInt, v
		}
	case tFloat:
		f, _ := strconv.ParseFloat(t.text, 64)
		lit.kind, lit.f = litFloat, f
	case tString:
		lit.kind, lit.s = litString, unquote(t.text)
	case tBool:
		if !allowBool {
			return lit, p.unexpected("an orderable literal (a number, string, binary or timestamp)")
		}
		lit.kind, lit.b = litBool, t.text == "true"
	case tHex:
		b, err := hex.DecodeString(t.text[2 : len(t.text)-1])
		if err != nil {
			return lit, p.errAt(t, "bad hex literal: %v", err)
		}
		lit.kind, lit.s = litBinary, string(b)
	case tBinary:
		b, err := base64.StdEncoding.DecodeString(t.text[2 : len(t.text)-1])
		if err != nil {
			return lit, p.errAt(t, "bad base64 literal: %v", err)
		}
		lit.kind, lit.s = litBinary, string(b)
	case tTimestamp:
		lit = timeLiteral(t, t.text[2:len(t.text)-1])
	default:
		return lit, p.unexpected("a literal")
	}
	p.advance()
	return lit, nil
}

// unquote strips the quotes of a StringLiteral and resolves \' and \\.
func unquote(s string) string {
	s = s[1 : len(s)-1]
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// secondsDuration converts a WITHIN value, rounded to microseconds as
// Python's timedelta does, and saturating instead of overflowing.
func secondsDuration(secs float64) time.Duration {
	const maxSecs = float64(1<<63-1) / 1e9
	if secs >= maxSecs {
		return time.Duration(1<<63 - 1)
	}
	us := secs * 1e6
	// round half to even, like timedelta
	r := float64(int64(us))
	if diff := us - r; diff > 0.5 || diff == 0.5 && int64(r)%2 != 0 {
		r++
	}
	return time.Duration(r) * time.Microsecond
}
