package lookalike

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/umbra-cti/umbra/detect/lookalike/suffix"
)

// Fuzzer names the kind of change that turns a brand into a look-alike. The
// values are dnstwist's fuzzer names where dnstwist has one, so a find can
// be compared with dnstwist's output.
type Fuzzer string

// The dnstwist fuzzer classes, then those umbra adds.
const (
	Original      Fuzzer = "*original"
	Addition      Fuzzer = "addition"      // a character appended: googlea.com
	Bitsquatting  Fuzzer = "bitsquatting"  // one bit flipped: gmail -> email
	Cyrillic      Fuzzer = "cyrillic"      // Latin letters swapped for Cyrillic ones
	Homoglyph     Fuzzer = "homoglyph"     // look-alike glyphs: g00gle, rnicrosoft, IDN
	Hyphenation   Fuzzer = "hyphenation"   // a hyphen inserted: goo-gle
	Insertion     Fuzzer = "insertion"     // a character inserted: gooigle
	Omission      Fuzzer = "omission"      // a character left out: gogle
	Plural        Fuzzer = "plural"        // an s or es added: googles
	Repetition    Fuzzer = "repetition"    // a character doubled: gooogle
	Replacement   Fuzzer = "replacement"   // a keyboard neighbour typed: goofle
	Subdomain     Fuzzer = "subdomain"     // a dot inserted: goo.gle.com
	Transposition Fuzzer = "transposition" // two characters swapped: gogole
	VowelSwap     Fuzzer = "vowel-swap"    // a vowel exchanged: guogle
	Dictionary    Fuzzer = "dictionary"    // brand plus a word: google-login
	TLDSwap       Fuzzer = "tld-swap"      // same label, other suffix: gmail.sa.com
	Various       Fuzzer = "various"       // suffix folded into the label: googlecom.com
	// BrandInName is the brand inside a longer name with words umbra does
	// not know: microsoftsec.com.
	BrandInName Fuzzer = "brand-in-name"
	// BrandInSubdomain is the brand as a subdomain of someone else's
	// domain: microsoft.com.evil.net.
	BrandInSubdomain Fuzzer = "brand-in-subdomain"
	// Typo is several edits of different kinds: micrrosoftsonline.
	Typo Fuzzer = "typo"
)

// Find is one observed domain that imitates a brand, with the reason.
type Find struct {
	// Domain is the observed domain as given to Check.
	Domain string
	// Brand is the imitated brand's registered domain.
	Brand string
	// Fuzzer is the kind of change that explains the look-alike.
	Fuzzer Fuzzer
	// Distance is the edit distance between the brand's label and the
	// look-alike's label after confusables are folded (so an IDN homoglyph
	// has distance 0); for brand-in-name it counts the extra characters.
	Distance int
	// Score is how strongly the name suggests deliberate imitation, 0-100.
	Score int
	// IDN reports that the look-alike uses punycode or non-ASCII characters.
	IDN bool
}

// Explain says in one sentence why the domain was flagged.
func (f Find) Explain() string {
	idn := ""
	if f.IDN {
		idn = ", internationalised (punycode) name"
	}
	return fmt.Sprintf("%s imitates %s: %s, edit distance %d%s, score %d",
		f.Domain, f.Brand, f.Fuzzer, f.Distance, idn, f.Score)
}

// Options tunes a Detector. The zero value gives the default brands.
type Options struct {
	// NoDefaultBrands drops DefaultBrands, leaving only the brands passed
	// to New.
	NoDefaultBrands bool
	// Dictionary adds words that mark a brand-plus-word name as deliberate
	// and that Generate combines with the brand.
	Dictionary []string
	// TLDs replaces DefaultTLDs for Generate's tld-swap permutations.
	TLDs []string
	// Allow lists registered domains never to flag (a partner's site that
	// happens to look like a brand).
	Allow []string
}

// knownDomain classifies a registered domain the Detector treats
// specially.
type knownDomain uint8

const (
	legit knownDomain = 1 << iota // a brand's own: never flagged
	infra                         // a CDN: brands in its subdomains are expected
)

// maxBrands bounds the brand set so Check can count bigram hits in a fixed
// stack array.
const maxBrands = 512

// brand is a Brand prepared for matching.
type brand struct {
	Brand
	vis, cls []byte
	// k is the largest edit distance accepted for this brand: longer labels
	// tolerate more edits before a random name comes that close.
	k int
	// minHits is the q-gram bound: a label within k edits of the brand
	// shares at least this many class bigrams with it.
	minHits int
	// typoHits and glyphHits are the q-gram bounds for the typo and the
	// multi-glyph comparisons; minHits is the smaller, the prefilter.
	typoHits, glyphHits int
	// visChars has a bit set for each symbol in vis.
	visChars uint64
	// pat is vis prepared for the bit-parallel distance.
	pat pattern
	// glyphK is the typo budget beside multi-glyphs: none for short brands.
	glyphK int
	// glyphAllowed has a bit for each class character a multi-glyph
	// look-alike of the brand can show without an edit, glyphKept for each
	// brand character no multi-glyph can remove (see glyphCandidate).
	glyphAllowed, glyphKept uint64
	// longer and shorter are how many characters multi-glyphs can add to a
	// look-alike (m -> rn) or take from it (brand rn shown as m).
	longer, shorter int
	// hyphenated brands can be imitated by swapping one part for a word.
	hyphenated bool
	// various are the labels dnstwist's "various" fuzzer builds: the
	// suffix folded into the label.
	various []string
}

// Detector finds look-alikes of a fixed set of brands. Its brands are
// fixed at New; it is safe for concurrent use.
type Detector struct {
	brands []brand
	// known marks registered domains that are the brands' own (legit) or
	// CDN hosts that embed customers' names (infra).
	known map[string]knownDomain
	// verdicts remembers recent answers; the only mutable part, and
	// safe for concurrent use.
	verdicts verdictCache
	// gates[i] holds what the prefilter needs of brands[i], kept apart so
	// the loop over brands reads one small array.
	gates []gate
	// tiny lists brands with labels of one or two characters (x.com),
	// which the bigram filter cannot see.
	tiny []int
	// labelLens has bit n set when some brand label is n bytes long.
	labelLens  uint64
	dictionary map[string]struct{}
	dictWords  []string
	tlds       []string
	// bigrams maps a class bigram to the bit set of brands holding it;
	// glyphBigrams to the brands a pure-glyph look-alike of which can
	// hold it (see glyphBigrams).
	bigrams, glyphBigrams []uint64
	// typoHitPlanes[w][k] holds bit k of the gate's typoHits of brands
	// w*64 to w*64+63, for matchLabel's bit-sliced comparison.
	typoHitPlanes []([hitBits]uint64)
	byLength      []uint64
	words         int
	// splitTails maps the class skeleton of a brand label's tail (2+
	// characters) to brands, to spot goo.gle.com cheaply.
	splitTails map[string][]int32
	// labels maps a brand label to brands, to spot brand-in-subdomain.
	labels map[string][]int32
}

// New returns a Detector for DefaultBrands (unless opts.NoDefaultBrands)
// plus brands, each a domain whose registered domain becomes a Brand.
func New(brands []string, opts Options) (*Detector, error) {
	d := &Detector{
		known:      map[string]knownDomain{},
		dictionary: map[string]struct{}{},
		splitTails: map[string][]int32{},
		labels:     map[string][]int32{},
	}
	var all []Brand
	if !opts.NoDefaultBrands {
		for _, b := range DefaultBrands {
			p, err := ParseBrand(b.Domain)
			if err != nil {
				return nil, err
			}
			p.Owner, p.Own = b.Owner, b.Own
			all = append(all, p)
		}
		for _, l := range legitimateDomains {
			d.known[l] |= legit
		}
	}
	for _, s := range brands {
		p, err := ParseBrand(s)
		if err != nil {
			return nil, err
		}
		// A default brand named on its own keeps its owner's other
		// domains: google.de is Google's whoever asks.
		p.Own = OwnDomains(p.Domain)
		all = append(all, p)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("lookalike: no brands")
	}
	for _, a := range opts.Allow {
		p, err := ParseBrand(a)
		if err != nil {
			return nil, fmt.Errorf("allow: %w", err)
		}
		d.known[p.Domain] |= legit
	}
	for _, l := range infrastructureDomains {
		d.known[l] |= infra
	}
	d.dictWords = append(append([]string(nil), DefaultDictionary...), opts.Dictionary...)
	for _, w := range d.dictWords {
		d.dictionary[strings.ToLower(w)] = struct{}{}
	}
	d.tlds = DefaultTLDs
	if len(opts.TLDs) > 0 {
		d.tlds = opts.TLDs
	}
	seen := map[string]bool{}
	for _, b := range all {
		if seen[b.Domain] {
			continue
		}
		seen[b.Domain] = true
		d.known[b.Domain] |= legit
		for _, o := range b.Own {
			d.known[o] |= legit
		}
		var s skeleton
		if !s.build(b.Label) {
			return nil, fmt.Errorf("brand %q: label cannot be normalised", b.Domain)
		}
		e := brand{Brand: b, vis: append([]byte(nil), s.vis[:s.n]...), cls: append([]byte(nil), s.cls[:s.n]...)}
		switch n := s.n; {
		case n <= 4:
			e.k = 0
		case n <= 7:
			e.k = 1
		case n <= 11:
			e.k = 2
		default:
			e.k = 3
		}
		multi := 0
		for _, c := range e.cls {
			switch c {
			case 'k', 'd', 'h', 'w':
				multi++
			case 'm':
				e.longer++
			}
		}
		e.longer += 2 * multi // dnstwist's second round can chain: k -> lk -> llk
		for j := 1; j < len(e.cls); j++ {
			if multiGlyphTable[e.cls[j-1]&127][e.cls[j]&127] != 0 {
				e.shorter++
			}
		}
		if s.n >= 12 {
			e.glyphK = 1
		}
		e.glyphAllowed, e.glyphKept = glyphCharSets(e.cls)
		e.pat = newPattern(e.vis)
		// q-gram lemma: an edit destroys at most two bigrams, a
		// transposition three; a multi-glyph for k, d, h or w destroys
		// two, one for m none (m -> rn is mm in class space).
		e.typoHits = (s.n - 1) - 3*e.k
		e.glyphHits = (s.n - 1) - e.shorter - 3*e.glyphK
		e.minHits = max(1, min(e.typoHits, e.glyphHits))
		for _, c := range e.vis {
			e.visChars |= 1 << uint(symbol(c))
		}
		e.hyphenated = strings.IndexByte(b.Label, '-') > 0
		flat := b.Label + strings.ReplaceAll(b.Suffix, ".", "")
		e.various = append(e.various, flat)
		if i := strings.IndexByte(b.Suffix, '.'); i > 0 {
			e.various = append(e.various, b.Label+b.Suffix[:i])
		} else if b.Suffix != "com" {
			e.various = append(e.various, b.Label+"-"+b.Suffix)
		}
		d.brands = append(d.brands, e)
	}
	if len(d.brands) > maxBrands {
		return nil, fmt.Errorf("lookalike: %d brands, at most %d supported", len(d.brands), maxBrands)
	}
	d.words = (len(d.brands) + 63) / 64
	// byLength[L] holds the brands a label of L characters (without
	// hyphens) can match by length alone; the extra last row is all brands.
	d.byLength = make([]uint64, (maxLabel+2)*d.words)
	for i, b := range d.brands {
		n := len(b.cls)
		for l := 0; l <= maxLabel; l++ {
			if l > n || l >= n-b.k-b.shorter && l <= n+b.k+b.longer || b.hyphenated {
				d.byLength[l*d.words+i/64] |= 1 << uint(i%64)
			}
		}
		d.byLength[(maxLabel+1)*d.words+i/64] |= 1 << uint(i%64)
	}
	d.typoHitPlanes = make([][hitBits]uint64, d.words)
	d.bigrams = make([]uint64, bigramCount*d.words)
	d.glyphBigrams = make([]uint64, bigramCount*d.words)
	for i, b := range d.brands {
		for j := 1; j < len(b.cls); j++ {
			d.bigrams[bigram(b.cls[j-1], b.cls[j])*d.words+i/64] |= 1 << uint(i%64)
		}
		for _, g := range glyphBigrams(b.cls) {
			d.glyphBigrams[g*d.words+i/64] |= 1 << uint(i%64)
		}
		for j := 1; j+2 <= len(b.cls); j++ {
			t := string(b.cls[j:])
			d.splitTails[t] = appendOnce(d.splitTails[t], int32(i))
		}
		d.labels[b.Label] = appendOnce(d.labels[b.Label], int32(i))
		if len(b.cls) <= 2 {
			d.tiny = append(d.tiny, i)
		}
		d.gates = append(d.gates, gate{
			n: int8(len(b.cls)), k: int8(b.k), typoHits: int8(max(b.typoHits, 0)),
			shorter: int8(b.shorter), longer: int8(b.longer), glyphK: int8(b.glyphK), hyphenated: b.hyphenated,
			visChars: b.visChars,
		})
		for k, th := 0, max(b.typoHits, 0); k < hitBits; k++ {
			d.typoHitPlanes[i/64][k] |= uint64(th>>uint(k)&1) << uint(i%64)
		}
		if len(b.Label) < 64 {
			d.labelLens |= 1 << uint(len(b.Label))
		}
	}
	return d, nil
}

func appendOnce(s []int32, v int32) []int32 {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// glyphBigrams lists the class bigrams a look-alike of the class
// skeleton cls can contain when built from glyphs: the brand's own, those
// inside each multi-glyph form (m as rn, k as lk or llk) and those where
// two neighbouring forms meet. A pure-glyph variant has no other bigram.
func glyphBigrams(cls []byte) []int {
	forms := make([][]string, len(cls))
	for i, c := range cls {
		forms[i] = []string{string(c)}
		for _, g := range multiGlyphs {
			if g.one != c {
				continue
			}
			forms[i] = append(forms[i], string([]byte{g.a, g.b}))
			if g.b == c { // chained: k -> lk -> llk
				forms[i] = append(forms[i], string([]byte{g.a, g.a, g.b}))
			}
			if g.a == c { // chained: d -> dl -> dll
				forms[i] = append(forms[i], string([]byte{g.a, g.b, g.b}))
			}
		}
	}
	// A brand pair such as rn may also show as the one glyph m.
	var out []int
	for i := range cls {
		for _, f := range forms[i] {
			for j := 1; j < len(f); j++ {
				out = append(out, bigram(f[j-1], f[j]))
			}
			if i+1 < len(cls) {
				for _, g := range forms[i+1] {
					out = append(out, bigram(f[len(f)-1], g[0]))
				}
			}
			if i+2 < len(cls) {
				if one := multiGlyphTable[cls[i+1]&127][cls[i+2]&127]; one != 0 {
					out = append(out, bigram(f[len(f)-1], one))
				}
			}
		}
		if i+1 < len(cls) {
			if one := multiGlyphTable[cls[i]&127][cls[i+1]&127]; one != 0 && i+2 < len(cls) {
				for _, g := range forms[i+2] {
					out = append(out, bigram(one, g[0]))
				}
			}
		}
	}
	return out
}

// Brands returns the brands the Detector looks for.
func (d *Detector) Brands() []Brand {
	out := make([]Brand, len(d.brands))
	for i, b := range d.brands {
		out[i] = b.Brand
	}
	return out
}

// symbolCount is the size of the class alphabet the bigram filter indexes:
// a-z, 0-9 and one symbol for everything else.
const symbolCount = 37

const bigramCount = symbolCount * symbolCount

func symbol(c byte) int {
	switch {
	case c >= 'a' && c <= 'z':
		return int(c - 'a')
	case c >= '0' && c <= '9':
		return 26 + int(c-'0')
	}
	return 36
}

func bigram(a, b byte) int { return symbol(a)*symbolCount + symbol(b) }

// Check reports whether domain imitates one of the brands, and how. The
// brands' own domains and their subdomains are never flagged. A matcher can
// call it on every DNS query, TLS SNI and HTTP host it sees: telemetry
// repeats names endlessly, so verdicts for recent names are remembered, and
// a remembered lower-case name costs one hash and one compare, with no
// allocation. A name seen for the first time allocates only when it is a
// look-alike, for the cache entry.
func (d *Detector) Check(domain string) (Find, bool) {
	name := normalizeName(domain)
	if name == "" {
		return Find{}, false
	}
	h := hashName(name)
	if f, ok, known := d.verdicts.lookup(name, h); known {
		if !ok {
			return Find{}, false
		}
		f.Domain = domain
		return f, true
	}
	f, ok := d.check(name)
	if ok {
		d.verdicts.store(strings.Clone(name), h, f, true)
		f.Domain = domain
		return f, true
	}
	d.verdicts.store(name, h, Find{}, false)
	return Find{}, false
}

// check is Check without the verdict cache, on a normalised name.
func (d *Detector) check(name string) (Find, bool) {
	if c := name[len(name)-1]; c >= '0' && c <= '9' {
		return Find{}, false // an IP address or no TLD at all
	}
	suffix := suffix.Of(name)
	if len(suffix) >= len(name) || name[len(name)-len(suffix)-1] != '.' {
		return Find{}, false
	}
	rest := name[:len(name)-len(suffix)-1]
	dot := strings.LastIndexByte(rest, '.')
	label, registered := rest[dot+1:], name[dot+1:]
	if label == "" {
		return Find{}, false
	}
	// Walk up from the registered domain: a brand may itself be a private
	// public suffix (googleapis.com), under which every name is its own.
	var kind knownDomain
	for p := registered; ; {
		kind |= d.known[p]
		i := strings.IndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[i+1:]
	}
	// A CDN host name embeds its customer's name
	// (img-prod-cms-rt-microsoft-com.akamaized.net): expected, not a phish.
	if kind != 0 {
		return Find{}, false
	}
	var best Find
	var s skeleton
	if s.build(label) {
		d.matchLabel(&s, label, suffix, &best)
	}
	if dot > 0 {
		d.matchSubdomains(&s, name, rest[:dot], label, &best)
	}
	return best, best.Score > 0
}

// normalizeName lower-cases domain and strips surrounding space and a
// trailing dot, allocating only when the name is not already normal. It
// returns "" for names no DNS label sequence can have.
func normalizeName(domain string) string {
	name := strings.TrimSpace(domain)
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > 253 {
		return ""
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(name)
		}
	}
	return name
}

// gate is the per-brand part of the prefilter: from the label's length,
// hyphens and bigram hits it tells whether any comparison in compare could
// succeed, so compare runs for few brands. No comparison succeeds with
// fewer than typoHits hits; callers check that first.
type gate struct {
	visChars                                uint64
	n, k, typoHits, shorter, longer, glyphK int8
	hyphenated                              bool
}

func (g *gate) open(s *skeleton, hits int, allGlyph bool) bool {
	n, k, dn := int(g.n), int(g.k), s.n-int(g.n)
	switch {
	case n <= 2:
		return s.n == n // too short for bigrams; compare checks equality
	case dn >= -k && dn <= k && bits.OnesCount64(g.visChars&^s.visChars) <= k && bits.OnesCount64(s.visChars&^g.visChars) <= k:
		return true // typo, tld-swap, hyphenation
	case dn > 0 && hits >= n-1: // the brand inside a longer label, various
		return true
	case allGlyph && dn >= -int(g.shorter) && dn <= int(g.longer):
		return true // multi-character glyphs
	case g.glyphK > 0 && dn >= -int(g.shorter)-int(g.glyphK) && dn <= int(g.longer)+int(g.glyphK):
		return true // multi-character glyphs and a typo
	case g.hyphenated || s.tokenStart&(s.tokenStart-1) != 0:
		return true // a part of the brand, or a typo in one token
	}
	return false
}

// consider keeps f in best when it scores higher.
func consider(best *Find, f Find) {
	f.Score = min(100, max(1, f.Score))
	if f.Score > best.Score || f.Score == best.Score && f.Distance < best.Distance {
		*best = f
	}
}

// matchLabel compares a registered-domain label with every brand that
// passes the bigram filter.
func (d *Detector) matchLabel(s *skeleton, label, suffix string, best *Find) {
	// Bigram hits are counted for 64 brands at once in bit-sliced
	// counters: plane k of a word holds bit k of each brand's count
	// (a label has at most maxLabel-1 bigrams, so hitBits planes hold any
	// count). A brand is compared only when its count reaches the gate's
	// typoHits, which the planes answer for 64 brands at once as well.
	var planes [maxBrands / 64][hitBits]uint64
	var touched [maxBrands / 64]uint64
	// allGlyph keeps the brands holding every bigram of the label in
	// their glyph sets: the only candidates for a pure-glyph look-alike.
	var allGlyph [maxBrands / 64]uint64
	// Brands whose length rules out every comparison but the hyphen and
	// token ones are skipped from the start.
	eligible := d.byLength[s.n*d.words : (s.n+1)*d.words]
	if s.tokenStart&(s.tokenStart-1) != 0 {
		eligible = d.byLength[(maxLabel+1)*d.words:]
	}
	if s.n > 1 {
		copy(allGlyph[:d.words], eligible)
	}
	for j := 1; j < s.n; j++ {
		at := bigram(s.cls[j-1], s.cls[j]) * d.words
		for w := 0; w < d.words; w++ {
			r := d.bigrams[at+w] & eligible[w]
			touched[w] |= r
			allGlyph[w] &= d.glyphBigrams[at+w]
			p := &planes[w]
			for k := 0; r != 0 && k < hitBits; k++ {
				p[k], r = p[k]^r, p[k]&r
			}
		}
	}
	if s.n <= 2 {
		// Labels this short have at most one bigram; only brands as short
		// can match them.
		for _, i := range d.tiny {
			touched[i/64] |= 1 << uint(i%64)
		}
	}
	// Only brands sharing a bigram with the label (or tiny ones) can match.
	for w := 0; w < d.words; w++ {
		p, t := &planes[w], &d.typoHitPlanes[w]
		// enough has a bit for each brand whose count >= its typoHits,
		// compared from the top bit down.
		var above uint64
		same := ^uint64(0)
		for k := hitBits - 1; k >= 0; k-- {
			above |= same & p[k] &^ t[k]
			same &^= p[k] ^ t[k]
		}
		enough := above | same
		for m := touched[w]&enough | allGlyph[w]; m != 0; m &= m - 1 {
			b := bits.TrailingZeros64(m)
			i := w*64 + b
			hits := int(p[0]>>uint(b)&1 | p[1]>>uint(b)&1<<1 | p[2]>>uint(b)&1<<2 |
				p[3]>>uint(b)&1<<3 | p[4]>>uint(b)&1<<4 | p[5]>>uint(b)&1<<5)
			pureGlyph := allGlyph[w]&(1<<uint(b)) != 0
			if !d.gates[i].open(s, hits, pureGlyph) {
				continue
			}
			if f, ok := d.compare(s, label, suffix, &d.brands[i], hits, pureGlyph); ok {
				consider(best, f)
			}
		}
	}
}

// hitBits is the number of bit planes that count a label's bigram hits:
// enough for maxLabel-1.
const hitBits = 6

// matchLabel reads the six planes unrolled; this fails to compile when
// hitBits changes.
var _ = [1]struct{}{}[hitBits-6]

// compare explains how label (registered under suffix) imitates brand b.
// hits is the number of the label's class bigrams the brand holds.
// allGlyph reports that every bigram of the label is one of the brand's
// glyph bigrams.
func (d *Detector) compare(s *skeleton, label, suffix string, b *brand, hits int, allGlyph bool) (Find, bool) {
	vis, cls := s.vis[:s.n], s.cls[:s.n]
	f := Find{Brand: b.Domain, IDN: s.idn}
	short := len(b.vis) <= 5
	if string(vis) == string(b.vis) {
		switch {
		case s.cyrillic:
			f.Fuzzer, f.Score = Cyrillic, 95
		case s.idn:
			f.Fuzzer, f.Score = Homoglyph, 95
		case label == b.Label:
			if suffix == b.Suffix {
				return Find{}, false // the brand itself, under a name PSL splits oddly
			}
			f.Fuzzer, f.Score = TLDSwap, 85 // the exact label: stronger than any edit
			if len(b.vis) <= 4 {
				f.Score = 50
			}
		case len(label) > len(b.Label):
			f.Fuzzer, f.Score, f.Distance = Hyphenation, 85, len(label)-len(b.Label)
		default:
			f.Fuzzer, f.Score, f.Distance = Omission, 85, len(b.Label)-len(label)
		}
		return f, true
	}
	n := len(b.cls)
	if string(cls) == string(b.cls) {
		// Only single-character glyphs differ: g00gle, micros0ft.
		f.Fuzzer, f.Score, f.Distance = Homoglyph, 90, distance(b.vis, vis, maxLabel, false, 0, 0)
		if s.idn {
			f.Score = 95
		}
		return f, true
	}
	dn := s.n - n
	// Every bigram of a pure-glyph look-alike is one of the brand's glyph
	// bigrams (allGlyph).
	pureGlyph := allGlyph && dn >= -b.shorter && dn <= b.longer && b.endsAlike(cls)
	if pureGlyph && distance(b.cls, cls, 0, true, b.longer, b.shorter) == 0 {
		f.Fuzzer, f.Score = Homoglyph, 90
		if s.idn {
			f.Score = 95
		}
		f.Distance = distance(b.vis, vis, maxLabel, false, 0, 0)
		return f, true
	}
	// dnstwist never combines a typo with another suffix, and for a short
	// brand the pair is mostly chance (mail.ru is not gmail.com).
	// Each character the brand has and the label lacks, or the other way
	// round, costs at least one edit.
	if dn >= -b.k && dn <= b.k && hits >= b.typoHits && !(short && suffix != b.Suffix) &&
		bits.OnesCount64(b.visChars&^s.visChars) <= b.k && bits.OnesCount64(s.visChars&^b.visChars) <= b.k {
		if dv := b.visDistance(vis); dv <= b.k {
			f.Fuzzer, f.Distance = classify(b.vis, vis, dv), dv
			f.Score = 90 - 10*(dv-1)
			if short {
				f.Score -= 10
			}
			if s.idn {
				f.Score += 5
			}
			return f, true
		}
	}
	if b.glyphK > 0 && dn >= -b.shorter-b.glyphK && dn <= b.longer+b.glyphK && hits >= b.typoHits {
		// Multi-character glyphs with a typo as well, for a long brand.
		if !b.glyphCandidate(cls) {
			// the characters alone need more edits than allowed
		} else if dc := distance(b.cls, cls, b.glyphK, true, b.longer, b.shorter); dc <= b.glyphK {
			f.Fuzzer, f.Distance = Typo, distance(b.vis, vis, maxLabel, false, 0, 0)
			f.Score = 80 - 5*dc
			return f, true
		}
	}
	for _, v := range b.various {
		if label == v {
			f.Fuzzer, f.Score, f.Distance = Various, 80, len(label)-len(b.Label)
			return f, true
		}
	}
	if b.hyphenated && strings.IndexByte(label, '-') > 0 {
		if f, ok := d.partialBrand(label, b, f); ok {
			return f, true
		}
	}
	// Containment needs every bigram of the brand.
	if s.n > n && hits >= n-1 {
		if f, ok := d.contains(s, b, f); ok {
			return f, true
		}
	}
	if bits.OnesCount64(s.tokenStart) > 1 {
		return d.compareTokens(s, b, f)
	}
	return Find{}, false
}

// visDistance is the edit distance between the brand's visual skeleton
// and obs, by the bit-parallel algorithm where it applies.
func (b *brand) visDistance(obs []byte) int {
	if b.pat.ok {
		return b.pat.bitOSA(obs)
	}
	return distance(b.vis, obs, maxLabel, false, 0, 0)
}

// endsAlike is a quick necessary condition for a pure-glyph look-alike:
// its first and last class characters are the brand's, or glyphs for them.
func (b *brand) endsAlike(cls []byte) bool {
	n, m := len(b.cls), len(cls)
	if n == 0 || m == 0 {
		return false
	}
	b0, o0 := b.cls[0], cls[0]
	first := b0 == o0 || multiGlyph(b0, o0, b0) ||
		m > 1 && multiGlyph(b0, o0, cls[1]) || n > 1 && multiGlyph(o0, b0, b.cls[1])
	bl, ol := b.cls[n-1], cls[m-1]
	last := bl == ol || multiGlyph(bl, bl, ol) ||
		m > 1 && multiGlyph(bl, cls[m-2], ol) || n > 1 && multiGlyph(ol, b.cls[n-2], bl)
	return first && last
}

// contains finds the brand's class skeleton inside a longer label. How
// freely it may sit depends on its length: a short brand such as "live"
// is part of many ordinary words, so it must fill a whole hyphen token.
func (d *Detector) contains(s *skeleton, b *brand, f Find) (Find, bool) {
	n := len(b.cls)
	if n < 3 {
		return Find{}, false
	}
	cls := s.cls[:s.n]
	for at := 0; at+n <= s.n; at++ {
		if string(cls[at:at+n]) != string(b.cls) {
			continue
		}
		startTok := s.tokenStart&(1<<uint(at)) != 0
		endTok := s.tokenEnd&(1<<uint(at+n-1)) != 0
		switch {
		case startTok && endTok:
		case (startTok || endTok) && n >= 5:
		case n >= 7:
		default:
			continue
		}
		f.Distance = s.n - n
		if d.wordsOnly(s, 0, at) && d.wordsOnly(s, at+n, s.n) {
			f.Fuzzer, f.Score = Dictionary, 80
		} else {
			f.Fuzzer, f.Score = BrandInName, 65
		}
		if n <= 5 {
			f.Score -= 10
		}
		if string(s.vis[at:at+n]) != string(b.vis) {
			f.Score += 5 // disguised as well as embedded
		}
		return f, true
	}
	return Find{}, false
}

// wordsOnly reports whether the skeleton span [from, to) consists of
// dictionary words (or their first three or more letters, as in "acc"),
// split at hyphens or run together.
func (d *Detector) wordsOnly(s *skeleton, from, to int) bool {
	if from >= to {
		return true
	}
	// Try every split of the span into known words; spans are short.
	var ok [maxLabel + 1]bool
	ok[from] = true
	for i := from; i < to; i++ {
		if !ok[i] {
			continue
		}
		for j := i + 1; j <= to; j++ {
			if d.isWord(s.vis[i:j]) {
				ok[j] = true
			}
		}
	}
	return ok[to]
}

func (d *Detector) isWord(w []byte) bool {
	if _, ok := d.dictionary[string(w)]; ok {
		return true
	}
	if len(w) < 3 {
		return false
	}
	for _, x := range d.dictWords {
		if len(x) > len(w) && x[:len(w)] == string(w) {
			return true
		}
	}
	return false
}

// partialBrand spots a hyphenated brand with its first or last part
// replaced by a dictionary word (example-login for example-studio), as
// dnstwist's dictionary fuzzer builds them.
func (d *Detector) partialBrand(label string, b *brand, f Find) (Find, bool) {
	first, last := strings.IndexByte(b.Label, '-'), strings.LastIndexByte(b.Label, '-')
	if first < 0 {
		return Find{}, false
	}
	if head := b.Label[:last+1]; len(head) >= 5 && strings.HasPrefix(label, head) {
		if _, ok := d.dictionary[label[len(head):]]; ok {
			f.Fuzzer, f.Score, f.Distance = Dictionary, 70, len(label)-len(head)
			return f, true
		}
	}
	if tail := b.Label[first:]; len(tail) >= 5 && strings.HasSuffix(label, tail) {
		if _, ok := d.dictionary[label[:len(label)-len(tail)]]; ok {
			f.Fuzzer, f.Score, f.Distance = Dictionary, 70, len(label)-len(tail)
			return f, true
		}
	}
	return Find{}, false
}

// compareTokens compares each hyphen-separated token of a label with the
// brand, for a typo hidden in a longer name: login-mircosoft-verify.
func (d *Detector) compareTokens(s *skeleton, b *brand, f Find) (Find, bool) {
	if b.k == 0 {
		return Find{}, false
	}
	for start := 0; start < s.n; {
		end := start
		for end < s.n && s.tokenEnd&(1<<uint(end)) == 0 {
			end++
		}
		tok := s.vis[start : end+1]
		if len(tok) < len(b.vis)-b.k || len(tok) > len(b.vis)+b.k {
			start = end + 1
			continue
		}
		if _, word := d.dictionary[string(tok)]; word {
			// A plain word is not a typo of a brand: mail-5.gov.uk is
			// not gmail.
			start = end + 1
			continue
		}
		if dv := b.visDistance(tok); dv <= b.k && dv > 0 {
			f.Fuzzer, f.Distance = classify(b.vis, tok, dv), dv
			f.Score = 75 - 10*(dv-1)
			return f, true
		}
		start = end + 1
	}
	return Find{}, false
}

// matchSubdomains looks left of the registered domain: a brand split by a
// dot (goo.gle.com) and a brand used as a subdomain of another domain
// (microsoft.com.evil.net).
func (d *Detector) matchSubdomains(reg *skeleton, name, sub, label string, best *Find) {
	prev := strings.LastIndexByte(sub, '.')
	if reg.n > 0 {
		if idx, ok := d.splitTails[string(reg.cls[:reg.n])]; ok {
			var s skeleton
			joined := name[prev+1 : len(sub)+1+len(label)]
			if s.build(joined) {
				for _, i := range idx {
					b := &d.brands[i]
					if s.n < len(b.cls)-b.k-b.shorter || s.n > len(b.cls)+b.k+b.longer {
						continue
					}
					dc := distance(b.cls, s.cls[:s.n], b.k, true, b.longer, b.shorter)
					dv := distance(b.vis, s.vis[:s.n], b.k, false, 0, 0)
					if dc == 0 || dv <= b.k {
						consider(best, Find{Brand: b.Domain, Fuzzer: Subdomain, Distance: min(dv, dc), Score: 85 - 10*min(dv, dc), IDN: s.idn})
					}
				}
			}
		}
	}
	for rest := sub; rest != ""; {
		var l string
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
		} else {
			l, rest = rest, ""
		}
		if len(l) >= 64 || d.labelLens&(1<<uint(len(l))) == 0 {
			continue
		}
		idx, ok := d.labels[l]
		if !ok {
			continue
		}
		after := label
		if rest != "" {
			after = rest + "." + label // allocates only when a brand label is a subdomain
		}
		for _, i := range idx {
			b := &d.brands[i]
			f := Find{Brand: b.Domain, Fuzzer: BrandInSubdomain, Score: 60}
			switch {
			case after == b.Suffix || strings.HasPrefix(after, b.Suffix+"."):
				f.Score = 90 // microsoft.com.evil.net
			case len(b.Label) < 5:
				continue // live.example.com is a common host name
			}
			consider(best, f)
		}
	}
}

// classify names the single kind of edit that turns brand into obs when
// they are dist apart, or Typo when the edits differ in kind.
func classify(brand, obs []byte, dist int) Fuzzer {
	n, m := len(brand), len(obs)
	p := 0
	for p < n && p < m && brand[p] == obs[p] {
		p++
	}
	switch {
	case dist == 1 && m == n+1:
		c := obs[p]
		switch {
		case p == n:
			if c == 's' {
				return Plural
			}
			return Addition
		case c == obs[p+1] || p > 0 && c == obs[p-1]:
			return Repetition
		}
		return Insertion
	case dist == 1 && m == n-1:
		return Omission
	case dist == 1 && m == n:
		if p+1 < n && brand[p] == obs[p+1] && brand[p+1] == obs[p] && string(brand[p+2:]) == string(obs[p+2:]) {
			return Transposition
		}
		a, b := brand[p], obs[p]
		switch {
		case isVowel(a) && isVowel(b):
			return VowelSwap
		case bits.OnesCount8(a^b) == 1:
			return Bitsquatting
		case glyphClass[a] == glyphClass[b]:
			return Homoglyph
		}
		return Replacement
	case m == n+dist:
		if obsIsRepeat(brand, obs) {
			return Repetition
		}
		return Insertion
	case m == n-dist:
		return Omission
	}
	return Typo
}

func isVowel(c byte) bool { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' }

// obsIsRepeat reports whether obs is brand with characters doubled.
func obsIsRepeat(brand, obs []byte) bool {
	i := 0
	for j := 0; j < len(obs); j++ {
		if i < len(brand) && obs[j] == brand[i] {
			i++
			continue
		}
		if j == 0 || obs[j] != obs[j-1] {
			return false
		}
	}
	return i == len(brand)
}

// glyphCharSets returns, for a brand's class skeleton, the characters a
// look-alike made of multi-glyphs can contain (the brand's own, those of
// the multi-glyphs that can stand for them, and the single characters a
// pair of them can be shown as) and the brand characters every such
// look-alike keeps (all but those a multi-glyph replaces by other
// characters: k by lc, d by cl, w by vv, and the members of pairs).
func glyphCharSets(cls []byte) (allowed, kept uint64) {
	vanish := uint64(0)
	for j, c := range cls {
		allowed |= 1 << uint(symbol(c))
		for _, g := range multiGlyphs {
			if g.one != c {
				continue
			}
			allowed |= 1<<uint(symbol(g.a)) | 1<<uint(symbol(g.b))
			if g.a != c && g.b != c {
				vanish |= 1 << uint(symbol(c))
			}
		}
		if j > 0 {
			if one := multiGlyphTable[cls[j-1]&127][c&127]; one != 0 {
				allowed |= 1 << uint(symbol(one))
				vanish |= 1<<uint(symbol(cls[j-1])) | 1<<uint(symbol(c))
			}
		}
	}
	return allowed, allowed &^ vanish & charSet(cls)
}

func charSet(b []byte) uint64 {
	var m uint64
	for _, c := range b {
		m |= 1 << uint(symbol(c))
	}
	return m
}

// glyphCandidate is a necessary condition for distance(b.cls, cls,
// b.glyphK, true, ...) <= b.glyphK, checked first because it is cheap:
// each character the look-alike shows that no multi-glyph of the brand
// explains, and each brand character it lacks that no multi-glyph
// removes, costs at least one edit.
func (b *brand) glyphCandidate(cls []byte) bool {
	have := charSet(cls)
	return bits.OnesCount64(have&^b.glyphAllowed) <= b.glyphK && bits.OnesCount64(b.glyphKept&^have) <= b.glyphK
}
