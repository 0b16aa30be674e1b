package lookalike

import (
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// confusables maps a lower-case non-ASCII rune to the ASCII character it
// imitates. It is a hand-picked subset of the UTS #39 confusable prototypes
// (confusables.txt) covering Latin look-alikes in Cyrillic, Greek, Armenian,
// Latin small capitals and hooked letters, and the glyphs dnstwist uses.
// Letters that decompose under NFD into an ASCII letter plus combining marks
// (é, ǎ, ḃ, ...) are added by init, so the table lists only what NFD cannot
// explain.
var confusables = map[rune]byte{
	// Latin: hooks, bars, small capitals, turned and IPA letters.
	'ɑ': 'a', 'ɐ': 'a', 'ə': 'a', 'ᴀ': 'a', 'ạ': 'a',
	'ʙ': 'b', 'ɓ': 'b', 'ƅ': 'b', 'ƀ': 'b', 'ḃ': 'b',
	'ƈ': 'c', 'ᴄ': 'c', 'ȼ': 'c',
	'ɗ': 'd', 'đ': 'd', 'ɖ': 'd', 'ᴅ': 'd',
	'ɇ': 'e', 'ᴇ': 'e', 'ɛ': 'e',
	'ƒ': 'f',
	'ɢ': 'g', 'ɡ': 'g', 'ǥ': 'g', 'ɠ': 'g',
	'ħ': 'h', 'ɦ': 'h', 'ⱨ': 'h', 'ʜ': 'h',
	'ı': 'i', 'ɩ': 'i', 'ɨ': 'i', 'ɪ': 'i',
	'ʝ': 'j', 'ɉ': 'j', 'ȷ': 'j', 'ᴊ': 'j',
	'ⱪ': 'k', 'ᴋ': 'k', 'ƙ': 'k',
	'ɫ': 'l', 'ł': 'l', 'ƚ': 'l', 'ʟ': 'l', 'ŀ': 'l', 'ɭ': 'l',
	'ᴍ': 'm', 'ɱ': 'm',
	'ꞑ': 'n', 'ɴ': 'n', 'ɲ': 'n', 'ƞ': 'n', 'ŋ': 'n',
	'ơ': 'o', 'ᴏ': 'o', 'ø': 'o', 'ɵ': 'o',
	'ƿ': 'p', 'ƥ': 'p', 'ᴘ': 'p',
	'ʠ': 'q',
	'ʀ': 'r', 'ɼ': 'r', 'ɽ': 'r', 'ɍ': 'r', 'ɾ': 'r', 'ᴦ': 'r',
	'ʂ': 's', 'ꜱ': 's', 'ș': 's',
	'ŧ': 't', 'ƫ': 't', 'ț': 't', 'ᴛ': 't', 'ƭ': 't',
	'ᴜ': 'u', 'ʉ': 'u', 'ư': 'u',
	'ⱱ': 'v', 'ᶌ': 'v', 'ⱴ': 'v', 'ᴠ': 'v', 'ʋ': 'v',
	'ⱳ': 'w', 'ᴡ': 'w',
	'ʏ': 'y', 'ƴ': 'y', 'ɏ': 'y', 'ỿ': 'y',
	'ʐ': 'z', 'ᴢ': 'z', 'ƶ': 'z', 'ⱬ': 'z', 'ȥ': 'z',
	'ƻ': '2', 'ƽ': '5',
	// Cyrillic.
	'а': 'a', 'ӑ': 'a', 'ӓ': 'a',
	'ь': 'b', 'Ꮟ': 'b',
	'с': 'c', 'ҫ': 'c',
	'ԁ': 'd',
	'е': 'e', 'ё': 'e', 'ҽ': 'e', 'ӗ': 'e',
	'ԍ': 'g',
	'һ': 'h', 'ћ': 'h',
	'і': 'i', 'ї': 'i',
	'ј': 'j',
	'к': 'k', 'ќ': 'k',
	'ӏ': 'l',
	'м': 'm',
	'п': 'n',
	'о': 'o', 'ӧ': 'o', 'ѳ': 'o',
	'р': 'p',
	'ԛ': 'q',
	'г': 'r',
	'ѕ': 's',
	'т': 't',
	'ѵ': 'v',
	'ԝ': 'w', 'ѡ': 'w',
	'х': 'x', 'ҳ': 'x',
	'у': 'y', 'ү': 'y', 'ў': 'y',
	// Greek.
	'α': 'a', 'ά': 'a',
	'β': 'b',
	'ϲ': 'c',
	'ε': 'e', 'έ': 'e',
	'η': 'n', 'ή': 'n',
	'ι': 'i', 'ί': 'i', 'ϊ': 'i',
	'ϳ': 'j',
	'κ': 'k',
	'ν': 'v',
	'ο': 'o', 'ό': 'o', 'σ': 'o',
	'ρ': 'p',
	'τ': 't',
	'υ': 'u', 'ύ': 'u',
	'χ': 'x',
	'γ': 'y',
	'ω': 'w', 'ώ': 'w',
	// Armenian.
	'ա': 'w', 'հ': 'h', 'ո': 'n', 'ռ': 'n', 'ս': 'u', 'օ': 'o', 'ց': 'g', 'զ': 'q', 'ք': 'p', 'ւ': 'l', 'յ': 'j',
}

// init extends confusables with every Latin letter that NFD decomposes into
// an ASCII letter plus combining marks, and with the fullwidth forms, so that
// accented look-alikes need not be listed by hand.
func init() {
	add := func(lo, hi rune) {
		for r := lo; r <= hi; r++ {
			if _, ok := confusables[r]; ok {
				continue
			}
			d := norm.NFD.String(string(r))
			if d == "" {
				continue
			}
			c := d[0]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
				confusables[unicode.ToLower(r)] = c
			}
		}
	}
	add(0x00C0, 0x024F) // Latin-1 Supplement letters, Latin Extended-A and -B
	add(0x1E00, 0x1EFF) // Latin Extended Additional
	for r := rune(0xFF41); r <= 0xFF5A; r++ {
		confusables[r] = byte('a' + r - 0xFF41)
	}
	for r := rune(0xFF10); r <= 0xFF19; r++ {
		confusables[r] = byte('0' + r - 0xFF10)
	}
}

// isCombiningMark reports whether r is a combining diacritic, which a
// skeleton drops because it only decorates the letter before it.
func isCombiningMark(r rune) bool {
	return (r >= 0x0300 && r <= 0x036F) || (r >= 0x1AB0 && r <= 0x1AFF) ||
		(r >= 0x1DC0 && r <= 0x1DFF) || (r >= 0x20D0 && r <= 0x20FF) || (r >= 0xFE20 && r <= 0xFE2F)
}

// foldRune returns the ASCII byte a rune imitates, or unknownGlyph when it
// imitates nothing umbra knows.
func foldRune(r rune) byte {
	if r < 0x80 {
		c := byte(r)
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		return c
	}
	if c, ok := confusables[r]; ok {
		return c
	}
	if c, ok := confusables[unicode.ToLower(r)]; ok {
		return c
	}
	return unknownGlyph
}

// unknownGlyph stands for a non-ASCII rune with no known ASCII look-alike.
// It differs from every ASCII character, so it costs one edit.
const unknownGlyph = 0xFF

// glyphClass folds the ASCII characters that dnstwist's homoglyph fuzzer
// swaps for one another (0/o, 1/l/i, b/d, c/e, g/q, m/n/r, 3/8, 6/9) onto one
// representative, so a homoglyph variant has the same class skeleton as its
// brand. Identity for everything else.
var glyphClass = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for _, set := range []string{"o0", "l1i", "db", "ce", "gq", "mnr", "83", "69"} {
		for i := 1; i < len(set); i++ {
			t[set[i]] = set[0]
		}
	}
	return t
}()

// multiGlyphs lists the two-character sequences (in class space) that
// imitate one character: rn/nn/rr for m, lk/ik/lc for k, cl/dl/lb for d or b,
// lh for h, vv for w. The class distance lets each of them stand for that
// character at no cost.
var multiGlyphs = [...]struct{ one, a, b byte }{
	{'m', 'm', 'm'},
	{'k', 'l', 'k'}, {'k', 'l', 'c'},
	{'d', 'c', 'l'}, {'d', 'd', 'l'}, {'d', 'l', 'd'},
	{'h', 'l', 'h'},
	{'w', 'v', 'v'},
}

// multiGlyphTable[a][b] is the class character the pair a, b imitates,
// or 0; every pair in multiGlyphs imitates exactly one character.
var multiGlyphTable = func() (t [128][128]byte) {
	for _, g := range multiGlyphs {
		t[g.a][g.b] = g.one
	}
	return t
}()

// multiGlyph reports whether the class characters a, b imitate the class
// character one.
func multiGlyph(one, a, b byte) bool {
	return a < 128 && b < 128 && one != 0 && multiGlyphTable[a][b] == one
}
