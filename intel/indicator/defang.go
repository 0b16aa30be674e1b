package indicator

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Defang rewrites an indicator value so that nobody follows, resolves or
// pastes it into a browser by mistake: http -> hxxp, https -> hxxps,
// ftp -> fxp, other schemes ":// " -> "[://]", dots of addresses and host
// names -> "[.]", the at-sign of e-mail addresses and URL user-info ->
// "[@]", the colons of IPv6 addresses -> "[:]". Values of other types
// (hashes, certificate serials, file names...) are returned unchanged:
// nobody can click them.
//
// Defang is the inverse of Refang: for every normalised value v
// of type t, Refang(Defang(t, v)) == v (FuzzDefang checks it).
func Defang(t Type, v string) string {
	switch t {
	case IPv4, IPv6, CIDR, Domain:
		return defangHost(v)
	case Email:
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			writeDefanged(&b, v[i])
		}
		return b.String()
	case URL:
		return defangURL(v)
	}
	return v
}

// defangHost defangs every dot and colon of an address, prefix or name.
func defangHost(v string) string {
	var b strings.Builder
	b.Grow(len(v) + 8)
	for i := 0; i < len(v); i++ {
		writeDefanged(&b, v[i])
	}
	return b.String()
}

func defangURL(v string) string {
	scheme, rest, ok := strings.Cut(v, "://")
	if !ok {
		return defangHost(v)
	}
	var b strings.Builder
	b.Grow(len(v) + 16)
	switch strings.ToLower(scheme) {
	case "http":
		b.WriteString("hxxp://")
	case "https":
		b.WriteString("hxxps://")
	case "ftp":
		b.WriteString("fxp://")
	default:
		b.WriteString(scheme)
		b.WriteString("[://]")
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	// Only the authority is defanged: a path's dots ("/update.php") do
	// not make a link live, and leaving them keeps the path legible.
	for i := 0; i < len(authority); i++ {
		c := authority[i]
		if c == ':' && !inIPv6Literal(authority, i) {
			// A port separator: hxxp://host[.]com:8080 is not live.
			b.WriteByte(c)
			continue
		}
		writeDefanged(&b, c)
	}
	b.WriteString(tail)
	return b.String()
}

// inIPv6Literal reports whether authority[i] lies inside "[...]".
func inIPv6Literal(authority string, i int) bool {
	open := strings.LastIndexByte(authority[:i], '[')
	return open >= 0 && strings.IndexByte(authority[open:i], ']') < 0
}

// writeDefanged writes c, bracketing it when it is a dot, colon or
// at-sign. After a word "hxxp", "hxxps" or "fxp" a bracket would make
// Refang read a defanged scheme ("hxxp[.]com" -> "http.com"), so there
// the marker takes its parenthesised form, which Refang also knows.
func writeDefanged(b *strings.Builder, c byte) {
	var rep string
	switch c {
	case '.':
		rep = "[.]"
	case '@':
		rep = "[@]"
	case ':':
		rep = "[:]"
	default:
		b.WriteByte(c)
		return
	}
	if endsInSchemeWord(b.String()) {
		switch c {
		case '.':
			rep = "(.)"
		case '@':
			rep = "(@)"
		case ':':
			// Refang has no parenthesised colon; a colon after such a word
			// cannot occur in a normalised address, so keep it plain.
			rep = ":"
		}
	}
	b.WriteString(rep)
}

// endsInSchemeWord reports whether s ends in a word that Refang would
// read as a defanged scheme when followed by '['.
func endsInSchemeWord(s string) bool {
	for _, w := range [...]string{"hxxps", "hxxp", "fxp"} {
		if len(s) < len(w) || !strings.EqualFold(s[len(s)-len(w):], w) {
			continue
		}
		if i := len(s) - len(w); i == 0 || !isWordByte(s[i-1]) {
			return true
		}
	}
	return false
}

// NeedsDefang reports whether values of t can be followed or resolved and
// so must be defanged wherever a report or page shows them.
func NeedsDefang(t Type) bool {
	switch t {
	case IPv4, IPv6, CIDR, Domain, URL, Email:
		return true
	}
	return false
}

// DefangText defangs every network value in prose ("look-alike domains
// such as account.microsoftssonline.com"), leaving other words alone.
func DefangText(s string) string {
	if s == "" {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	i := 0
	for i < len(s) {
		if n := spaceAt(s, i); n > 0 {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		j := i
		for j < len(s) && spaceAt(s, j) == 0 {
			j++
		}
		b.WriteString(defangWord(s[i:j]))
		i = j
	}
	return b.String()
}

// spaceAt is the length of the white space rune at s[i], or 0. Words are
// split where strings.Fields splits them (every Unicode space, \v and
// U+2028 included), so no space a reader's tools honour can cut a live
// value out of a word that was not defanged as a whole.
func spaceAt(s string, i int) int {
	r, n := utf8.DecodeRuneInString(s[i:])
	if unicode.IsSpace(r) {
		return n
	}
	return 0
}

// defangWord defangs one whitespace-separated word, keeping the
// punctuation around it: "(e.g." and "com)," stay prose.
func defangWord(w string) string {
	// A word already (partly) defanged is refanged first, so that its
	// brackets are not taken for punctuation and defanging it again
	// changes nothing.
	if r := Refang(w); r != w {
		if d := defangWord(r); d != r {
			return d
		}
		return w
	}
	lo, hi := 0, len(w)
	for lo < hi && strings.IndexByte(`("'<[{*`, w[lo]) >= 0 {
		lo++
	}
	for hi > lo && strings.IndexByte(`)"'>]},;:!?.`, w[hi-1]) >= 0 {
		hi--
	}
	core := w[lo:hi]
	if strings.IndexAny(core, ".:@") < 0 {
		return w
	}
	t, norm, err := Detect(core)
	if err != nil || !NeedsDefang(t) {
		return w
	}
	return w[:lo] + Defang(t, norm) + w[hi:]
}
