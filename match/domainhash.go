package match

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// Domain names are looked up once per label-boundary suffix
// ("a.b.evil.example", "b.evil.example", "evil.example", ...), and hashing
// every suffix from scratch was most of a DNS event's matching cost. The
// filter's domain keys are therefore hashed from the right, eight bytes at
// a time, in chunks aligned to the end of the name: every suffix shares
// the chunks to its right with the whole name, so one pass over the name
// yields the hash of every suffix, each for one extra mix of its partial
// leftmost chunk.
//
// domainHash(s) is, with e = len(s):
//
//	h = seed
//	while e >= 8: h = dmix(h, the 8 bytes s[e-8:e] little-endian); e -= 8
//	if e > 0:     h = dmix(h, s[:e] zero-extended)
//	return dfinal(h, len(s))
//
// The length in the final step tells apart names whose partial chunks
// differ only by zero padding. scanSuffixes computes the same for each
// suffix (TestSuffixHashesAreDomainHash, FuzzSuffixCandidates). The seed
// is per snapshot, like the filter's other hashes; a collision costs a map
// lookup, never a wrong hit.

// dmix folds one chunk into the running hash: the two halves of a full
// 64x64-bit product, as wyhash mixes.
func dmix(h, w uint64) uint64 {
	hi, lo := bits.Mul64(h^w, 0xa0761d6478bd642f)
	return hi ^ lo
}

func dfinal(h uint64, n int) uint64 { return fmix(h ^ uint64(n)*0x9e3779b97f4a7c15) }

// domainHash is the filter key of domain name s (see above).
func (f *filter) domainHash(s string) uint64 {
	h, e := f.dseed, len(s)
	for ; e >= 8; e -= 8 {
		h = dmix(h, load64(s, e-8))
	}
	if e > 0 {
		h = dmix(h, loadShort(s, e))
	}
	return dfinal(h, len(s))
}

// load64 reads s[i:i+8] little-endian. The caller keeps 0 <= i and
// i+8 <= len(s): on the matcher's hot path the read is not
// bounds-checked.
func load64(s string, i int) uint64 {
	return binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i))[:])
}

// loadShort returns s[:e] (e < 8) zero-extended.
func loadShort(s string, e int) uint64 {
	if len(s) >= 8 {
		return load64(s, 0) & (1<<(8*e) - 1)
	}
	var w uint64
	for i := e - 1; i >= 0; i-- {
		w = w<<8 | uint64(s[i])
	}
	return w
}

// dotBits has 0x80 in every byte of w that is a '.', and nothing else.
func dotBits(w uint64) uint64 {
	const low7, dots = 0x7f7f7f7f7f7f7f7f, 0x2e2e2e2e2e2e2e2e
	x := w ^ dots
	return ^((x&low7 + low7) | x | low7)
}

// maxSuffixes bounds the suffixes of a name: labels are at least one byte
// and a dot, so a name of maxDomainLen bytes has at most 127.
const maxSuffixes = maxDomainLen/2 + 1

// scanSuffixes validates the name c as appendDomain does and asks the
// filter about its suffixes, in one pass from the right, eight bytes at a
// time. The caller has checked what appendDomain checks at the ends: c is
// not empty, at most maxDomainLen bytes, and neither starts nor ends with
// a dot. It writes to cand the start of every suffix of between minLabels
// and maxLabels labels that passes the filter, shortest first, and
// returns how many. A name with an empty label is domainBad; a name with
// an upper-case letter is domainUpper, returned as soon as one is seen
// with no candidates: the caller lowers the name and scans it again,
// which also validates it.
func (f *filter) scanSuffixes(c string, minLabels, maxLabels int, cand *[maxSuffixes]uint8) (int, domainState) {
	const (
		low7  = 0x7f7f7f7f7f7f7f7f
		high  = 0x8080808080808080
		fromA = 0x3f3f3f3f3f3f3f3f // 0x80 - 'A' in every byte
		pastZ = 0x2525252525252525 // 0x80 - 'Z' - 1
	)
	nc := 0
	labels := 1     // of the suffix after the next dot found, walking leftwards
	lowDot := false // the first byte of the word to the right is a dot
	h, e := f.dseed, len(c)
	for e > 0 {
		// w holds c[e-8:e], byte i of w being c[e-8+i]; at the left end,
		// where fewer than eight bytes remain, w is the chunk c[:e]
		// shifted up, with zero bytes below it (neither dots nor letters).
		var w, chunk uint64
		if e >= 8 {
			w = load64(c, e-8)
			chunk = w
		} else {
			chunk = loadShort(c, e)
			w = chunk << (8 * (8 - e))
		}
		d := dotBits(w)
		if d&(d<<8) != 0 || lowDot && d>>63 != 0 {
			return 0, domainBad // empty label
		}
		x := w & low7
		if (x+fromA)&^(x+pastZ)&^w&high != 0 {
			return 0, domainUpper
		}
		lowDot = d&0x80 != 0
		start := e - 8 // c's index of w's first byte; negative at the left end
		for d != 0 {
			b := 63 - bits.LeadingZeros64(d)
			d ^= 1 << b
			if labels >= minLabels && labels <= maxLabels {
				p := start + b>>3 + 1 // the suffix starts after the dot
				hp := h
				if p < e {
					hp = dmix(h, w>>(8*(p-start)))
				}
				// The first level inline: a call on every suffix made the
				// loop keep its state on the stack.
				if hq := dfinal(hp, len(c)-p); f.quickHas(hq) && f.block(hq).has(hq) {
					cand[nc] = uint8(p)
					nc++
				}
			}
			labels++
		}
		h = dmix(h, chunk)
		e = start
	}
	if hq := dfinal(h, len(c)); labels >= minLabels && labels <= maxLabels && f.quickHas(hq) && f.block(hq).has(hq) {
		cand[nc] = 0
		nc++
	}
	return nc, domainCanonical
}
