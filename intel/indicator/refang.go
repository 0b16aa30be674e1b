package indicator

import "strings"

// Refang undoes the usual ways reports "defang" indicators so that nobody
// clicks them: hxxp/hxxps/fxp schemes, bracketed dots ([.] (.) {.} [dot]),
// bracketed at-signs ([at] (at) [@]), bracketed colons ([:]) and "[://]".
// It returns s unchanged (and without allocating) when s has no such marker.
//
// Refang is applied by Normalize to network values only (IPs, CIDRs,
// domains, URLs, e-mails): a user-agent or file name may legitimately
// contain "(at)".
func Refang(s string) string {
	if !mayBeDefanged(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if n, rep := defangAt(s, i); n > 0 {
			// "example [.] com": the spaces belong to the marker.
			if rep == "." || rep == "@" {
				out := b.String()
				if strings.HasSuffix(out, " ") {
					trimmed := strings.TrimRight(out, " ")
					b.Reset()
					b.WriteString(trimmed)
				}
				for i+n < len(s) && s[i+n] == ' ' {
					n++
				}
			}
			b.WriteString(rep)
			i += n
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func mayBeDefanged(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '(', '{', '\\':
			return true
		case 'x', 'X':
			// hxxp / fxp
			if i > 0 && (s[i-1]|0x20 == 'h' || s[i-1]|0x20 == 'x' || s[i-1]|0x20 == 'f') {
				return true
			}
		}
	}
	return false
}

// defangMarkers maps a lower-cased marker to what it stands for. Longer
// markers come first so that "[://]" wins over "[:]".
var defangMarkers = []struct{ marker, rep string }{
	{"[://]", "://"},
	{"[dot]", "."}, {"(dot)", "."}, {"{dot}", "."},
	{"[.]", "."}, {"(.)", "."}, {"{.}", "."}, {`\.`, "."},
	{"[at]", "@"}, {"(at)", "@"}, {"{at}", "@"}, {"[@]", "@"}, {"(@)", "@"},
	{"[:]", ":"}, {"[/]", "/"},
}

// defangAt reports the length of a defang marker at s[i:] and its
// replacement, or 0.
func defangAt(s string, i int) (int, string) {
	c := s[i]
	switch c {
	case '[', '(', '{', '\\':
		for _, m := range defangMarkers {
			if len(s)-i >= len(m.marker) && strings.EqualFold(s[i:i+len(m.marker)], m.marker) {
				return len(m.marker), m.rep
			}
		}
	case 'h', 'H', 'f', 'F':
		// Only at the start of a word, so "fxprint" in a path is left alone.
		if i > 0 && isWordByte(s[i-1]) {
			return 0, ""
		}
		for _, m := range [...]struct{ marker, rep string }{{"hxxps", "https"}, {"hxxp", "http"}, {"fxp", "ftp"}} {
			n := len(m.marker)
			if len(s)-i > n && strings.EqualFold(s[i:i+n], m.marker) && (s[i+n] == ':' || s[i+n] == '[') {
				return n, m.rep
			}
		}
	}
	return 0, ""
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
