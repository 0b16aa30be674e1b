package pattern

import (
	"unicode/utf8"
)

// tokKind is the lexical class of a token, following the lexer rules of
// STIXPattern.g4.
type tokKind uint8

const (
	tEOF tokKind = iota
	tInvalid
	tIdent       // IdentifierWithoutHyphen
	tIdentHyphen // IdentifierWithHyphen (only valid as an object type)
	tString
	tInt   // IntPosLiteral or IntNegLiteral
	tFloat // FloatPosLiteral or FloatNegLiteral
	tBool
	tHex
	tBinary
	tTimestamp
	tAnd
	tOr
	tNot
	tFollowedBy
	tLike
	tMatches
	tIsSuperset
	tIsSubset
	tExists
	tLast
	tIn
	tStart
	tStop
	tSeconds
	tWithin
	tRepeats
	tTimes
	tEQ
	tNEQ
	tLT
	tLE
	tGT
	tGE
	tColon
	tDot
	tComma
	tLParen
	tRParen
	tLBrack
	tRBrack
	tPlus
	tMinus
	tPower
	tDivide
	tAsterisk
)

var keywords = map[string]tokKind{
	"AND": tAnd, "OR": tOr, "NOT": tNot, "FOLLOWEDBY": tFollowedBy, "LIKE": tLike,
	"MATCHES": tMatches, "ISSUPERSET": tIsSuperset, "ISSUBSET": tIsSubset, "EXISTS": tExists,
	"LAST": tLast, "IN": tIn, "START": tStart, "STOP": tStop, "SECONDS": tSeconds,
	"WITHIN": tWithin, "REPEATS": tRepeats, "TIMES": tTimes, "true": tBool, "false": tBool,
}

// token is one lexeme; text is the exact source slice.
type token struct {
	kind tokKind
	pos  int // byte offset in the pattern
	text string
	// err is set on tInvalid tokens that the lexer can describe better
	// than "unexpected character" (an unterminated string, a bad escape).
	err string
}

// lexer turns a pattern into tokens. Like the ANTLR lexer it takes the
// longest match, so "t'2024-13-01T00:00:00Z'" (not a valid timestamp)
// becomes the identifier t followed by a string, and the parser reports
// the t.
type lexer struct {
	src string
	pos int
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || isDigit(c) || c == '+' || c == '/'
}

// isSpace reports the WS rule's characters.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\r', '\n', '\v', '\f', 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// skip passes whitespace and comments. An unterminated block comment is
// left for next() to report.
func (l *lexer) skip() {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c < utf8.RuneSelf {
			switch {
			case c == '/' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '*':
				end := indexFrom(l.src, "*/", l.pos+2)
				if end < 0 {
					return
				}
				l.pos = end + 2
			case c == '/' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '/':
				for l.pos < len(l.src) && l.src[l.pos] != '\r' && l.src[l.pos] != '\n' {
					l.pos++
				}
			case isSpace(rune(c)):
				l.pos++
			default:
				return
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(l.src[l.pos:])
		if !isSpace(r) {
			return
		}
		l.pos += n
	}
}

func indexFrom(s, sub string, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func (l *lexer) next() token {
	l.skip()
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tEOF, pos: start}
	}
	tok := func(k tokKind, n int) token {
		l.pos = start + n
		return token{kind: k, pos: start, text: l.src[start : start+n]}
	}
	s := l.src[start:]
	c := s[0]
	switch {
	case c == '/' && len(s) > 1 && s[1] == '*':
		l.pos = len(l.src)
		return token{kind: tInvalid, pos: start, text: s, err: "unterminated comment"}
	case c == '\'':
		return l.lexString(start)
	case (c == 't' || c == 'h' || c == 'b') && len(s) > 1 && s[1] == '\'':
		var n int
		var k tokKind
		switch c {
		case 't':
			n, k = timestampLen(s), tTimestamp
		case 'h':
			n, k = hexLen(s), tHex
		case 'b':
			n, k = binaryLen(s), tBinary
		}
		if n > 0 {
			return tok(k, n)
		}
		return tok(tIdent, 1) // as ANTLR does: the letter alone is an identifier
	case isIdentStart(c):
		n := 1
		for n < len(s) && isIdentChar(s[n]) {
			n++
		}
		m := n
		for m < len(s) && (isIdentChar(s[m]) || s[m] == '-') {
			m++
		}
		if m > n {
			return tok(tIdentHyphen, m)
		}
		if k, ok := keywords[s[:n]]; ok {
			return tok(k, n)
		}
		return tok(tIdent, n)
	case isDigit(c) || c == '+' || c == '-' || c == '.':
		if n, k := numberLen(s); n > 0 {
			return tok(k, n)
		}
	}
	switch c {
	case '=':
		if len(s) > 1 && s[1] == '=' {
			return tok(tEQ, 2)
		}
		return tok(tEQ, 1)
	case '!':
		if len(s) > 1 && s[1] == '=' {
			return tok(tNEQ, 2)
		}
	case '<':
		if len(s) > 1 && s[1] == '>' {
			return tok(tNEQ, 2)
		}
		if len(s) > 1 && s[1] == '=' {
			return tok(tLE, 2)
		}
		return tok(tLT, 1)
	case '>':
		if len(s) > 1 && s[1] == '=' {
			return tok(tGE, 2)
		}
		return tok(tGT, 1)
	case ':':
		return tok(tColon, 1)
	case '.':
		return tok(tDot, 1)
	case ',':
		return tok(tComma, 1)
	case '(':
		return tok(tLParen, 1)
	case ')':
		return tok(tRParen, 1)
	case '[':
		return tok(tLBrack, 1)
	case ']':
		return tok(tRBrack, 1)
	case '+':
		return tok(tPlus, 1)
	case '-':
		return tok(tMinus, 1)
	case '^':
		return tok(tPower, 1)
	case '/':
		return tok(tDivide, 1)
	case '*':
		return tok(tAsterisk, 1)
	}
	_, n := utf8.DecodeRuneInString(s)
	return tok(tInvalid, n)
}

// lexString reads a StringLiteral: only \' and \\ are escapes.
func (l *lexer) lexString(start int) token {
	i := start + 1
	for i < len(l.src) {
		switch l.src[i] {
		case '\'':
			l.pos = i + 1
			return token{kind: tString, pos: start, text: l.src[start:l.pos]}
		case '\\':
			if i+1 < len(l.src) && (l.src[i+1] == '\'' || l.src[i+1] == '\\') {
				i += 2
				continue
			}
			l.pos = len(l.src)
			return token{kind: tInvalid, pos: i, text: l.src[start:], err: `bad escape in string literal (only \' and \\ are allowed)`}
		default:
			i++
		}
	}
	l.pos = len(l.src)
	return token{kind: tInvalid, pos: start, text: l.src[start:], err: "unterminated string literal"}
}

// numberLen returns the length and kind of the longest int or float
// literal at the start of s, or 0.
func numberLen(s string) (int, tokKind) {
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i = 1
	}
	// IntLiteral: '0' | [1-9][0-9]*
	intEnd := 0
	if i < len(s) && isDigit(s[i]) {
		if s[i] == '0' {
			intEnd = i + 1
		} else {
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			intEnd = j
		}
	}
	// FloatLiteral: [0-9]* '.' [0-9]+
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	floatEnd := 0
	if j < len(s) && s[j] == '.' && j+1 < len(s) && isDigit(s[j+1]) {
		k := j + 1
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		floatEnd = k
	}
	if floatEnd > intEnd {
		return floatEnd, tFloat
	}
	if intEnd > 0 {
		return intEnd, tInt
	}
	return 0, tEOF
}

// hexLen matches h'(hexhex)*'.
func hexLen(s string) int {
	i := 2
	for i+1 < len(s) && isHex(s[i]) && isHex(s[i+1]) {
		i += 2
	}
	if i < len(s) && s[i] == '\'' {
		return i + 1
	}
	return 0
}

// binaryLen matches b'…' holding padded base64 of at least one group.
func binaryLen(s string) int {
	i := 2
	n := 0
	for i < len(s) && isBase64(s[i]) {
		i++
		n++
	}
	pad := 0
	for i < len(s) && s[i] == '=' && pad < 2 {
		i++
		pad++
	}
	if i >= len(s) || s[i] != '\'' || n == 0 {
		return 0
	}
	if (n+pad)%4 != 0 || pad > 0 && n%4 == 0 {
		return 0
	}
	return i + 1
}

// timestampLen matches the TimestampLiteral rule: t'YYYY-MM-DDTHH:MM:SS(.d+)?Z'
// with the grammar's digit ranges (months 01-12, days 01-31, hours 00-23,
// minutes 00-59, seconds 00-60). Calendar validity (February 30) is not a
// lexical matter and is checked when the pattern is compiled.
func timestampLen(s string) int {
	if len(s) < 2 {
		return 0
	}
	n := timestampBodyLen(s[2:])
	if n == 0 || 2+n >= len(s) || s[2+n] != '\'' {
		return 0
	}
	return 2 + n + 1
}

// timestampBodyLen matches YYYY-MM-DDTHH:MM:SS(.d+)?Z at the start of s
// and returns its length, or 0.
func timestampBodyLen(s string) int {
	d := func(i int) bool { return i < len(s) && isDigit(s[i]) }
	at := func(i int, c byte) bool { return i < len(s) && s[i] == c }
	if !(d(0) && d(1) && d(2) && d(3) && at(4, '-')) {
		return 0
	}
	if !(d(5) && d(6) && at(7, '-')) {
		return 0
	}
	if mo := s[5:7]; !(mo[0] == '0' && mo[1] != '0' || mo[0] == '1' && mo[1] <= '2') {
		return 0
	}
	if !(d(8) && d(9) && at(10, 'T')) {
		return 0
	}
	if dd := s[8:10]; !(dd[0] == '0' && dd[1] != '0' || dd[0] == '1' || dd[0] == '2' || dd[0] == '3' && dd[1] <= '1') {
		return 0
	}
	if !(d(11) && d(12) && at(13, ':') && d(14) && d(15) && at(16, ':') && d(17) && d(18)) {
		return 0
	}
	if hh := s[11:13]; !(hh[0] <= '1' || hh[0] == '2' && hh[1] <= '3') {
		return 0
	}
	if s[14] > '5' {
		return 0
	}
	if ss := s[17:19]; !(ss[0] <= '5' || ss == "60") {
		return 0
	}
	i := 19
	if at(i, '.') {
		j := i + 1
		for d(j) {
			j++
		}
		if j == i+1 {
			return 0
		}
		i = j
	}
	if !at(i, 'Z') {
		return 0
	}
	return i + 1
}
