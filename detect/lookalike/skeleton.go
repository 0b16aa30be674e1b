package lookalike

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// maxLabel is the longest DNS label, in bytes (RFC 1035) and so also the
// longest decoded label, in runes, a skeleton holds.
const maxLabel = 63

// skeleton is the normalised form of one DNS label that look-alike
// detection compares: punycode decoded, case and confusables folded to
// ASCII, combining marks and hyphens dropped. It lives on the stack so that
// Check does not allocate for ASCII labels.
type skeleton struct {
	// vis is the visual skeleton: every rune folded to the ASCII character
	// it imitates (UTS #39 style), hyphens removed.
	vis [maxLabel]byte
	// cls is vis with dnstwist's ASCII homoglyph sets folded (0/o, 1/l/i,
	// m/n/r, ...), used to recognise homoglyph variants and to prefilter.
	cls [maxLabel]byte
	n   int
	// tokenStart has bit i set when position i starts a hyphen-separated
	// token (position 0 always does); tokenEnd likewise for ends.
	tokenStart, tokenEnd uint64
	// visChars has a bit set for each symbol in vis.
	visChars uint64
	// idn reports that the label was punycode or carried non-ASCII runes.
	idn bool
	// cyrillic reports that every letter of the label is Cyrillic: the
	// whole-word swap dnstwist calls its cyrillic fuzzer.
	cyrillic bool
}

// build fills s from label, which must already be lower-case ASCII or
// Unicode. It reports false when the label is empty or longer than
// maxLabel after decoding.
func (s *skeleton) build(label string) bool {
	s.n, s.tokenStart, s.tokenEnd, s.visChars, s.idn, s.cyrillic = 0, 0, 0, 0, false, false
	if len(label) >= 4 && label[:4] == "xn--" {
		// A label that does not decode is kept as the ASCII it is.
		if u, err := idna.Punycode.ToUnicode(label); err == nil {
			label = u
		}
	}
	other, cyr := 0, 0 // letters outside and inside the Cyrillic blocks
	startNext := true
	for i := 0; i < len(label); {
		if a := label[i]; a < utf8.RuneSelf && a != '-' && a != '.' {
			// ASCII, the common case, from one table.
			e := &asciiSkeleton[a]
			if e.letter {
				other++
			}
			if s.n == maxLabel {
				return false
			}
			s.vis[s.n], s.cls[s.n] = e.vis, e.cls
			s.visChars |= e.bit
			if startNext {
				s.tokenStart |= 1 << uint(s.n)
				startNext = false
			}
			s.n++
			i++
			continue
		}
		r, size := rune(label[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(label[i:])
			s.idn = true
		}
		i += size
		switch {
		case r >= 0x0400 && r <= 0x052F:
			cyr++
		case r < utf8.RuneSelf && (r|0x20 >= 'a' && r|0x20 <= 'z'), r >= utf8.RuneSelf && unicode.IsLetter(r):
			other++
		}
		switch {
		case r == '-' || r == '.':
			if s.n > 0 {
				s.tokenEnd |= 1 << uint(s.n-1)
			}
			startNext = true
			continue
		case isCombiningMark(r):
			continue
		}
		if s.n == maxLabel {
			return false
		}
		c := foldRune(r)
		s.vis[s.n] = c
		s.visChars |= 1 << uint(symbol(c))
		s.cls[s.n] = glyphClass[c]
		if startNext {
			s.tokenStart |= 1 << uint(s.n)
			startNext = false
		}
		s.n++
	}
	if s.n == 0 {
		return false
	}
	s.tokenEnd |= 1 << uint(s.n-1)
	s.cyrillic = cyr > 0 && other == 0
	return true
}

// Skeleton returns the visual skeleton of a DNS label or domain: punycode
// decoded, case folded, every confusable rune replaced by the ASCII
// character it imitates (UTS #39 prototypes, subset), combining marks and
// hyphens removed. Analysts use it to see why two names look alike; it
// returns "" for a label umbra cannot normalise.
func Skeleton(label string) string {
	var b strings.Builder
	for i, l := range strings.Split(strings.ToLower(strings.TrimSuffix(label, ".")), ".") {
		var s skeleton
		if !s.build(l) {
			return ""
		}
		if i > 0 {
			b.WriteByte('.')
		}
		for _, c := range s.vis[:s.n] {
			if c == unknownGlyph {
				b.WriteRune(utf8.RuneError)
				continue
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// asciiSkeleton is what build does with each ASCII byte other than the
// hyphen and the dot, precomputed.
var asciiSkeleton = func() (t [utf8.RuneSelf]struct {
	vis, cls byte
	bit      uint64
	letter   bool
}) {
	for c := range t {
		v := foldRune(rune(c))
		t[c].vis, t[c].cls, t[c].bit = v, glyphClass[v], 1<<uint(symbol(v))
		t[c].letter = c|0x20 >= 'a' && c|0x20 <= 'z'
	}
	return t
}()
