package pattern

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// parseTimestamp reads a STIX timestamp the way stix2-matcher does for both
// pattern literals and JSON: YYYY-MM-DDTHH:MM:SS[.fraction]Z, upper-case T
// and Z, a real calendar date, no leap second. Fractions keep nanosecond
// precision (Python keeps microseconds; digits beyond the ninth are
// dropped).
func parseTimestamp(s string) (time.Time, error) {
	if n := timestampBodyLen(s); n == 0 || n != len(s) {
		return time.Time{}, errors.New("want YYYY-MM-DDTHH:MM:SS[.s]Z")
	}
	num := func(a, b int) int { n, _ := strconv.Atoi(s[a:b]); return n }
	y, mo, d := num(0, 4), num(5, 7), num(8, 10)
	h, mi, sec := num(11, 13), num(14, 16), num(17, 19)
	ns := 0
	if s[19] == '.' {
		frac := s[20 : len(s)-1]
		if len(frac) > 9 {
			frac = frac[:9]
		}
		ns = num(20, 20+len(frac))
		for i := len(frac); i < 9; i++ {
			ns *= 10
		}
	}
	if sec == 60 {
		return time.Time{}, errors.New("leap seconds are not supported")
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)
	if t.Day() != d || int(t.Month()) != mo {
		return time.Time{}, fmt.Errorf("day %d does not exist in %04d-%02d", d, y, mo)
	}
	return t, nil
}

// cidr is an ISSUBSET/ISSUPERSET operand: an address or a prefix. Unlike
// stix2-matcher (IPv4 only, prefix required for containers, /0 rejected)
// it takes IPv4 and IPv6, treats a bare address as a host prefix, and
// allows /0.
type cidr struct {
	prefix netip.Prefix
	ok     bool
}

// parseCIDR parses "a.b.c.d", "a.b.c.d/n" or the IPv6 equivalents; host
// bits may be set, as in "11.22.33.44/20".
func parseCIDR(s string) (cidr, error) {
	if addr, bits, found := strings.Cut(s, "/"); found {
		a, err := netip.ParseAddr(addr)
		if err != nil || a.Zone() != "" {
			return cidr{}, fmt.Errorf("invalid IP address %q", addr)
		}
		n, err := strconv.Atoi(bits)
		if err != nil || n < 0 || n > a.BitLen() || bits == "" || bits[0] == '+' {
			return cidr{}, fmt.Errorf("invalid prefix length in %q", s)
		}
		return cidr{prefix: netip.PrefixFrom(a, n), ok: true}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return cidr{}, fmt.Errorf("invalid IP address or CIDR %q", s)
	}
	return cidr{prefix: netip.PrefixFrom(a, a.BitLen()), ok: true}, nil
}

// contains reports whether inner lies within outer.
func (outer cidr) contains(inner cidr) bool {
	o, i := outer.prefix, inner.prefix
	if o.Addr().Is4() != i.Addr().Is4() || o.Bits() > i.Bits() {
		return false
	}
	return o.Masked().Addr() == netip.PrefixFrom(i.Addr(), o.Bits()).Masked().Addr()
}

// matcherRE is a compiled LIKE or MATCHES operand.
type matcherRE struct {
	re *regexp.Regexp
	// binary is true when every character of the normalised operand is
	// below U+0100, so the expression may also run over binary values
	// (each byte read as the code point of the same number, as Python's
	// bytes regexes do).
	binary bool
}

// likeRE converts a LIKE operand: % is any run, _ any one character,
// everything else literal, anchored at both ends. The trailing \n? keeps
// Python's rule that $ also matches before a final newline.
func likeRE(operand string) (*matcherRE, error) {
	operand = norm.NFC.String(operand)
	var b strings.Builder
	b.WriteString("^")
	binary := true
	for _, r := range operand {
		if r >= 0x100 {
			binary = false
		}
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\n?\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, err
	}
	return &matcherRE{re: re, binary: binary}, nil
}

// matchesRE compiles a MATCHES operand. The pattern language asks for
// PCRE; Go's RE2 syntax is close, and translate bridges the differences
// that matter in practice. Look-around and back-references have no RE2
// form and are reported as errors.
func matchesRE(operand string) (*matcherRE, error) {
	operand = norm.NFC.String(operand)
	binary := true
	for _, r := range operand {
		if r >= 0x100 {
			binary = false
			break
		}
	}
	re, err := regexp.Compile(translateRegex(operand))
	if err != nil {
		return nil, err
	}
	return &matcherRE{re: re, binary: binary}, nil
}

// translateRegex rewrites the PCRE/Python spellings RE2 lacks: \Z becomes
// \z, \uXXXX and \UXXXXXXXX become \x{…}, {,n} becomes {0,n}, and an
// unescaped $ outside a class becomes (?:\n?\z) so it also matches
// before a final newline, as in Python.
func translateRegex(s string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			n := s[i+1]
			switch {
			case n == 'Z' && !inClass:
				b.WriteString(`\z`)
				i++
			case n == 'u' && i+6 <= len(s) && allHex(s[i+2:i+6]):
				b.WriteString(`\x{` + s[i+2:i+6] + `}`)
				i += 5
			case n == 'U' && i+10 <= len(s) && allHex(s[i+2:i+10]):
				b.WriteString(`\x{` + s[i+2:i+10] + `}`)
				i += 9
			default:
				b.WriteByte(c)
				b.WriteByte(n)
				i++
			}
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			// A ] right after [ or [^ is literal.
			if i+1 < len(s) && s[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(s) && s[i+1] == ']' {
				b.WriteString(`\]`)
				i++
			}
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		case c == '$' && !inClass:
			b.WriteString(`(?:\n?\z)`)
		case c == '{' && !inClass && i+1 < len(s) && s[i+1] == ',' && closesCount(s[i+2:]):
			b.WriteString("{0")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// closesCount reports whether s starts with digits and a }.
func closesCount(s string) bool {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i > 0 && i < len(s) && s[i] == '}'
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// latin1 reads bytes as code points U+0000–U+00FF, so a regular
// expression can run over binary data with Python's bytes semantics.
func latin1(b string) string {
	ascii := true
	for i := 0; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return b
	}
	buf := make([]rune, len(b))
	for i := 0; i < len(b); i++ {
		buf[i] = rune(b[i])
	}
	return string(buf)
}

// asLatin1Bytes converts a string whose characters are all below U+0100 to
// the bytes of the same values; ok is false otherwise. The spec compares
// strings with binary values this way.
func asLatin1Bytes(s string) (string, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s, true
	}
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r >= 0x100 || r == utf8.RuneError {
			return "", false
		}
		out = append(out, byte(r))
	}
	return string(out), true
}

// compile prepares what evaluation needs (regular expressions, CIDRs) and
// returns the first problem that would make every evaluation fail, in the
// order the reference matcher meets them (left to right, inner first).
func compile(n *obsNode) *Error {
	var first *Error
	note := func(e *Error) {
		if first == nil && e != nil {
			first = e
		}
	}
	var walkComp func(c *compNode)
	walkComp = func(c *compNode) {
		if c.kind != compTest {
			walkComp(c.left)
			walkComp(c.right)
			return
		}
		note(compileTest(c.test))
	}
	var walk func(n *obsNode)
	walk = func(n *obsNode) {
		switch n.kind {
		case obsSimple:
			walkComp(n.comp)
		case obsAnd, obsOr, obsFollowedBy:
			walk(n.left)
			walk(n.right)
		default:
			walk(n.left)
			note(n.bad)
		}
	}
	walk(n)
	return first
}

func compileTest(t *propTest) *Error {
	if t.lit.invalid != "" {
		return &Error{Offset: t.lit.pos, Msg: t.lit.invalid}
	}
	var err error
	switch t.op {
	case OpLike:
		t.m, err = likeRE(t.lit.s)
	case OpMatches:
		t.m, err = matchesRE(t.lit.s)
	case OpIsSubset, OpIsSuperset:
		t.cidr, err = parseCIDR(t.lit.s)
	case OpIn:
		return checkSet(t)
	}
	if err != nil {
		return &Error{Offset: t.lit.pos, Msg: fmt.Sprintf("%s %s: %v", t.op, t.lit.text, err)}
	}
	return nil
}

// checkSet applies the matcher's rule that a set holds one type (ints and
// floats mix freely; hex and base64 are both binary).
func checkSet(t *propTest) *Error {
	for _, l := range t.set {
		if l.invalid != "" {
			return &Error{Offset: l.pos, Msg: l.invalid}
		}
	}
	if len(t.set) == 0 {
		return nil
	}
	numeric := func(k litKind) bool { return k == litInt || k == litFloat }
	k0 := t.set[0].kind
	for _, l := range t.set[1:] {
		if l.kind != k0 && !(numeric(l.kind) && numeric(k0)) {
			return &Error{Offset: l.pos, Msg: fmt.Sprintf("set mixes types: %s after %s", l.text, t.set[0].text)}
		}
	}
	return nil
}
