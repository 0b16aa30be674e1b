package lookalike

import (
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Permutation is one look-alike of a domain that Generate produced, with
// the fuzzer that made it.
type Permutation struct {
	Fuzzer Fuzzer `json:"fuzzer"`
	Domain string `json:"domain"`
}

// fuzzerOrder is the order Generate lists fuzzers in.
var fuzzerOrder = []Fuzzer{
	Original, Addition, Bitsquatting, Cyrillic, Homoglyph, Hyphenation, Insertion,
	Omission, Plural, Repetition, Replacement, Subdomain, Transposition, VowelSwap,
	Dictionary, TLDSwap, Various,
}

// Generate lists look-alikes of domain, like `dnstwist --format list`: every
// dnstwist fuzzer plus plural, with DefaultDictionary and DefaultTLDs. It is
// for analysts who want to pre-register or block names; detection does not
// need it. The original comes first, then permutations by fuzzer and name,
// IDN ones in punycode. It returns nil when domain has no registered label.
func Generate(domain string) []Permutation {
	return generate(domain, DefaultDictionary, DefaultTLDs, func(string) bool { return false })
}

// Generate is the package Generate with the Detector's dictionary and TLDs;
// it leaves out the tld-swaps the Detector knows as legitimate (its
// brands' own domains and Options.Allow).
func (d *Detector) Generate(domain string) []Permutation {
	return generate(domain, d.dictWords, d.tlds, func(reg string) bool { return d.known[reg]&legit != 0 })
}

// generate lists the permutations; legit reports registered domains that
// are a tld-swap's owner's own. A default brand's own domains (OwnDomains)
// are always left out: google.de is no look-alike of google.com.
func generate(domain string, dictionary, tlds []string, legit func(registered string) bool) []Permutation {
	name := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if a, err := idna.Punycode.ToASCII(name); err == nil {
		name = a
	}
	suffix, _ := publicsuffix.PublicSuffix(name)
	if len(suffix) >= len(name) || name[len(name)-len(suffix)-1] != '.' {
		return nil
	}
	rest := name[:len(name)-len(suffix)-1]
	sub, label := "", rest
	if i := strings.LastIndexByte(rest, '.'); i >= 0 {
		sub, label = rest[:i], rest[i+1:]
	}
	if u, err := idna.Punycode.ToUnicode(label); err == nil {
		label = u
	}
	g := generator{seen: make(map[string]bool, 4096), out: make([]Permutation, 0, 4096), sub: sub, suffix: suffix}
	join := func(parts ...string) string {
		var b strings.Builder
		for _, p := range parts {
			if p == "" {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		}
		return b.String()
	}
	original := join(sub, label, suffix)
	g.add(Original, original)
	g.seen[g.out[0].Domain] = true
	r := []rune(label)
	for _, f := range []struct {
		name Fuzzer
		fn   func([]rune, func(string))
	}{
		// plural runs first so that googles.com counts as a plural, not
		// as an addition.
		{Plural, plural}, {Addition, addition}, {Bitsquatting, bitsquatting}, {Cyrillic, cyrillic},
		{Homoglyph, homoglyph}, {Hyphenation, hyphenation}, {Insertion, insertion},
		{Omission, omission}, {Repetition, repetition},
		{Replacement, replacement}, {Subdomain, subdomainSplit}, {Transposition, transposition},
		{VowelSwap, vowelSwap},
		{Dictionary, func(r []rune, emit func(string)) { dictionaryWords(r, dictionary, emit) }},
	} {
		f.fn(r, func(l string) { g.add(f.name, join(sub, l, suffix)) })
	}
	own := OwnDomains(label + "." + suffix)
	for _, t := range tlds {
		if t = strings.ToLower(strings.Trim(t, ". ")); t != suffix && t != "" {
			if reg := label + "." + t; slices.Contains(own, reg) || legit(reg) {
				continue
			}
			g.add(TLDSwap, join(sub, label, t))
		}
	}
	flat := strings.ReplaceAll(suffix, ".", "")
	if i := strings.IndexByte(suffix, '.'); i >= 0 {
		g.add(Various, join(sub, label, suffix[strings.LastIndexByte(suffix, '.')+1:]))
		g.add(Various, join(sub, label+suffix[:i], suffix[i+1:]))
	} else {
		g.add(Various, join(sub, label+flat, suffix))
		if suffix != "com" {
			g.add(Various, join(sub, label+"-"+suffix, "com"))
		}
	}
	if sub != "" {
		g.add(Various, join(sub+label, suffix))
		g.add(Various, join(strings.ReplaceAll(sub, ".", "")+label, suffix))
		g.add(Various, join(sub+"-"+label, suffix))
		g.add(Various, join(strings.ReplaceAll(sub, ".", "-")+"-"+label, suffix))
	}
	rank := make(map[Fuzzer]int, len(fuzzerOrder))
	for i, f := range fuzzerOrder {
		rank[f] = i
	}
	out := g.out
	// Domains are distinct, so an unstable sort gives one order.
	slices.SortFunc(out[1:], func(a, b Permutation) int {
		if a.Fuzzer != b.Fuzzer {
			return rank[a.Fuzzer] - rank[b.Fuzzer]
		}
		return strings.Compare(a.Domain, b.Domain)
	})
	return out
}

// generator collects valid, distinct permutations in punycode.
type generator struct {
	seen        map[string]bool
	out         []Permutation
	sub, suffix string
}

func (g *generator) add(f Fuzzer, domain string) {
	a := domain
	if !isASCII(domain) {
		var err error
		if a, err = idna.Punycode.ToASCII(domain); err != nil {
			return
		}
	}
	if !validHostname(a) || g.seen[a] {
		return
	}
	g.seen[a] = true
	g.out = append(g.out, Permutation{Fuzzer: f, Domain: a})
}

// validHostname reports whether s is a registrable-looking host name:
// LDH labels of 1-63 characters not starting or ending with a hyphen, at
// least two labels, a top label of two or more characters, 4-253 in all.
func validHostname(s string) bool {
	if len(s) < 4 || len(s) > 253 {
		return false
	}
	labels := 0
	for len(s) > 0 {
		l := s
		if i := strings.IndexByte(s, '.'); i >= 0 {
			l, s = s[:i], s[i+1:]
			if s == "" {
				return false
			}
		} else {
			s = ""
			if len(l) < 2 {
				return false
			}
		}
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
		labels++
	}
	return labels >= 2
}

func splice(r []rune, i, j int, mid ...rune) string {
	var b strings.Builder
	b.Grow(len(r) + len(mid) + 8)
	for _, c := range r[:i] {
		b.WriteRune(c)
	}
	for _, c := range mid {
		b.WriteRune(c)
	}
	for _, c := range r[j:] {
		b.WriteRune(c)
	}
	return b.String()
}

func addition(r []rune, emit func(string)) {
	for _, c := range "0123456789abcdefghijklmnopqrstuvwxyz" {
		emit(string(r) + string(c))
	}
}

func bitsquatting(r []rune, emit func(string)) {
	for i, c := range r {
		for bit := 0; bit < 8; bit++ {
			f := c ^ (1 << bit)
			if f >= 'a' && f <= 'z' || f >= '0' && f <= '9' || f == '-' {
				emit(splice(r, i, i+1, f))
			}
		}
	}
}

// cyrillicFor is the Cyrillic letter used to spell a Latin one; a label
// with a letter missing here has no all-Cyrillic look-alike.
var cyrillicFor = map[rune]rune{
	'a': 'а', 'b': 'ь', 'c': 'с', 'd': 'ԁ', 'e': 'е', 'g': 'ԍ', 'h': 'һ', 'i': 'і', 'j': 'ј',
	'k': 'к', 'l': 'ӏ', 'm': 'м', 'o': 'о', 'p': 'р', 'q': 'ԛ', 's': 'ѕ', 't': 'т', 'v': 'ѵ',
	'w': 'ԝ', 'x': 'х', 'y': 'у',
}

func cyrillic(r []rune, emit func(string)) {
	out := make([]rune, len(r))
	for i, c := range r {
		if c == '-' || c >= '0' && c <= '9' {
			out[i] = c
			continue
		}
		cy, ok := cyrillicFor[c]
		if !ok {
			return
		}
		out[i] = cy
	}
	emit(string(out))
}

// glyphsFor lists, for each ASCII character, the strings Generate's
// homoglyph fuzzer substitutes: the ASCII look-alikes detection folds
// (0 for o, rn for m, ...) and a few Unicode ones from the confusables
// table, so every generated variant is one detection recognises.
var glyphsFor = func() map[rune][]string {
	t := map[rune][]string{}
	for _, set := range []string{"o0", "l1i", "db", "ce", "gq", "mnr", "83", "69"} {
		for _, a := range set {
			for _, b := range set {
				if a != b {
					t[a] = append(t[a], string(b))
				}
			}
		}
	}
	for _, m := range []struct{ c, s string }{{"m", "rn"}, {"m", "nn"}, {"w", "vv"}, {"d", "cl"}, {"k", "lk"}, {"h", "lh"}, {"b", "lb"}} {
		t[rune(m.c[0])] = append(t[rune(m.c[0])], m.s)
	}
	var runes []rune
	for r := range confusables {
		if r >= 0xFF00 { // fullwidth forms are not valid in IDNA labels
			continue
		}
		runes = append(runes, r)
	}
	sort.Slice(runes, func(i, j int) bool { return runes[i] < runes[j] })
	const perChar = 6
	unicodeCount := map[byte]int{}
	for _, r := range runes {
		c := confusables[r]
		if unicodeCount[c] < perChar && utf8.RuneLen(r) > 1 {
			unicodeCount[c]++
			t[rune(c)] = append(t[rune(c)], string(r))
		}
	}
	return t
}()

// homoglyph replaces, in every window of the label shorter than the
// label, all copies of one character with one of its glyphs, then does the
// same once more to each result, so variants with two kinds of glyph
// appear. A window's result depends only on which run of that character's
// occurrences it covers, so the runs are enumerated directly.
func homoglyph(r []rune, emit func(string)) {
	var buf []rune
	mix := func(s []rune, emit func(string)) {
		var pos []int
		for ci, c := range s {
			if len(glyphsFor[c]) == 0 {
				continue
			}
			first := true
			for _, x := range s[:ci] {
				if x == c {
					first = false
					break
				}
			}
			if !first {
				continue
			}
			pos = pos[:0]
			for i, x := range s {
				if x == c {
					pos = append(pos, i)
				}
			}
			for a := range pos {
				for b := a; b < len(pos); b++ {
					if pos[b]-pos[a]+1 > len(s)-1 {
						continue
					}
					for _, g := range glyphsFor[c] {
						buf = append(buf[:0], s[:pos[a]]...)
						for i := pos[a]; i <= pos[b]; i++ {
							if s[i] == c {
								buf = append(buf, []rune(g)...)
							} else {
								buf = append(buf, s[i])
							}
						}
						buf = append(buf, s[pos[b]+1:]...)
						emit(string(buf))
					}
				}
			}
		}
	}
	first := map[string]bool{}
	mix(r, func(v string) { first[v] = true })
	seen := map[string]bool{}
	for v := range first {
		seen[v] = true
		emit(v)
	}
	for v := range first {
		mix([]rune(v), func(v2 string) {
			if !seen[v2] {
				seen[v2] = true
				emit(v2)
			}
		})
	}
}

func hyphenation(r []rune, emit func(string)) {
	for i := 1; i < len(r); i++ {
		emit(splice(r, i, i, '-'))
	}
}

// keyboards are QWERTY, QWERTZ and AZERTY as rows of keys; two keys are
// neighbours when they touch on the staggered layout.
var keyboards = [][]string{
	{"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"},
	{"1234567890", "qwertzuiop", "asdfghjkl", "yxcvbnm"},
	{"1234567890", "azertyuiop", "qsdfghjklm", "wxcvbn"},
}

// neighbours maps a key to the keys around it on any of the keyboards.
var neighbours = func() map[rune][]rune {
	t := map[rune][]rune{}
	addN := func(a rune, b rune) {
		for _, x := range t[a] {
			if x == b {
				return
			}
		}
		t[a] = append(t[a], b)
	}
	for _, kb := range keyboards {
		rows := make([][]rune, len(kb))
		for i, s := range kb {
			rows[i] = []rune(s)
		}
		for ri, row := range rows {
			for i, c := range row {
				try := func(rj, j int) {
					if rj >= 0 && rj < len(rows) && j >= 0 && j < len(rows[rj]) {
						addN(c, rows[rj][j])
					}
				}
				try(ri, i-1)
				try(ri, i+1)
				try(ri-1, i) // the row above sits half a key to the left
				try(ri-1, i+1)
				try(ri+1, i-1)
				try(ri+1, i)
			}
		}
	}
	return t
}()

func insertion(r []rune, emit func(string)) {
	for i := 1; i < len(r)-1; i++ {
		for _, c := range neighbours[r[i]] {
			emit(splice(r, i, i, c))
			emit(splice(r, i+1, i+1, c))
		}
	}
}

func omission(r []rune, emit func(string)) {
	for i := range r {
		emit(splice(r, i, i+1))
	}
}

func plural(r []rune, emit func(string)) {
	s := string(r)
	if strings.HasSuffix(s, "s") || strings.HasSuffix(s, "x") || strings.HasSuffix(s, "z") ||
		strings.HasSuffix(s, "ch") || strings.HasSuffix(s, "sh") {
		emit(s + "es")
		return
	}
	emit(s + "s")
}

func repetition(r []rune, emit func(string)) {
	for i, c := range r {
		emit(splice(r, i, i, c))
	}
}

func replacement(r []rune, emit func(string)) {
	for i, c := range r {
		for _, n := range neighbours[c] {
			emit(splice(r, i, i+1, n))
		}
	}
}

func subdomainSplit(r []rune, emit func(string)) {
	for i := 1; i < len(r)-1; i++ {
		if r[i] != '-' && r[i] != '.' && r[i-1] != '-' && r[i-1] != '.' {
			emit(splice(r, i, i, '.'))
		}
	}
}

func transposition(r []rune, emit func(string)) {
	for i := 0; i+1 < len(r); i++ {
		if r[i] != r[i+1] {
			emit(splice(r, i, i+2, r[i+1], r[i]))
		}
	}
}

func vowelSwap(r []rune, emit func(string)) {
	for i, c := range r {
		if !isVowel(byte(c)) || c >= utf8.RuneSelf {
			continue
		}
		for _, v := range "aeiou" {
			if v != c {
				emit(splice(r, i, i+1, v))
			}
		}
	}
}

func dictionaryWords(r []rune, words []string, emit func(string)) {
	s := string(r)
	for _, w := range words {
		w = strings.ToLower(w)
		if w == "" || w == s {
			continue
		}
		emit(s + "-" + w)
		emit(s + w)
		emit(w + "-" + s)
		emit(w + s)
	}
	if parts := strings.Split(s, "-"); len(parts) > 1 {
		for _, w := range words {
			w = strings.ToLower(w)
			emit(strings.Join(parts[:len(parts)-1], "-") + "-" + w)
			emit(w + "-" + strings.Join(parts[1:], "-"))
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
