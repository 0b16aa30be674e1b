package lookalike

// distance returns the optimal-string-alignment (restricted
// Damerau-Levenshtein) distance between brand and obs, or k+1 as soon as it
// is certain to exceed k. With glyphs set, characters compare by value as
// given (callers pass class skeletons) and a multi-character glyph (rn for
// m, vv for w, ...) on either side stands for its single character at no
// cost; longer and shorter widen the band by the characters multi-glyphs
// can add to obs or take away (brand rn seen as m). Both inputs are at most
// maxLabel long.
//
// Only cells within the band an alignment of cost <= k can reach are
// computed, so a candidate costs O(len * k), not O(len^2).
func distance(brand, obs []byte, k int, glyphs bool, longer, shorter int) int {
	n, m := len(brand), len(obs)
	if !glyphs {
		longer = 0
	}
	if !glyphs {
		shorter = 0
	}
	if d := m - n; d > k+longer || -d > k+shorter {
		return k + 1
	}
	var rows [3][maxLabel + 1]uint8
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= m; j++ {
		prev2[j] = inf
		if j <= k+longer {
			prev[j] = uint8(j)
		} else {
			prev[j] = inf
		}
	}
	over := 0 // consecutive rows whose minimum exceeds k
	for i := 1; i <= n; i++ {
		lo, hi := max(1, i-k-shorter), min(m, i+k+longer)
		copy(cur[:m+1], infRow[:m+1])
		if i <= k+shorter {
			cur[0] = uint8(i)
		}
		rowMin := cur[0]
		bi := brand[i-1]
		for j := lo; j <= hi; j++ {
			oj := obs[j-1]
			v := prev[j-1]
			if bi != oj {
				v++
			}
			if x := prev[j] + 1; x < v {
				v = x
			}
			if x := cur[j-1] + 1; x < v {
				v = x
			}
			if i > 1 && j > 1 {
				if bi == obs[j-2] && brand[i-2] == oj && bi != oj {
					if x := prev2[j-2] + 1; x < v {
						v = x
					}
				}
				if glyphs && multiGlyph(oj, brand[i-2], bi) && prev2[j-1] < v {
					v = prev2[j-1]
				}
			}
			if glyphs && j > 1 {
				if multiGlyph(bi, obs[j-2], oj) && prev[j-2] < v {
					v = prev[j-2]
				}
				// dnstwist applies glyphs twice, so k -> lk -> llk and
				// d -> dl -> dll: a repeated glyph prefix or suffix.
				if oj == bi {
					for t := 2; t < j && obs[j-1-t] == obs[j-2] && multiGlyph(bi, obs[j-2], bi); t++ {
						if prev[j-1-t] < v {
							v = prev[j-1-t]
						}
					}
				} else {
					for t := 1; t < j && obs[j-1-t] == oj; t++ {
						if j-2-t >= 0 && obs[j-2-t] == bi && multiGlyph(bi, bi, oj) && prev[j-2-t] < v {
							v = prev[j-2-t]
						}
					}
				}
			}
			if v > inf {
				v = inf
			}
			cur[j] = v
			if v < rowMin {
				rowMin = v
			}
		}
		// Costs never decrease along an alignment path and a path skips at
		// most one row, so two rows above k settle the answer.
		if int(rowMin) > k {
			over++
			if over == 2 {
				return k + 1
			}
		} else {
			over = 0
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if d := int(prev[m]); d <= k {
		return d
	}
	return k + 1
}

// inf marks a distance-matrix cell outside the band: too far to matter.
const inf = 250

var infRow = func() (r [maxLabel + 1]uint8) {
	for i := range r {
		r[i] = inf
	}
	return r
}()

// pattern is a brand's visual skeleton prepared for bitOSA: for each
// symbol, the positions where the brand holds it.
type pattern struct {
	peq [symbolCount]uint64
	n   int
	// ok is false when bitOSA cannot stand in for distance: a brand too
	// long for one word, or holding a character outside the symbol set.
	ok bool
}

func newPattern(brand []byte) pattern {
	p := pattern{n: len(brand), ok: len(brand) > 0 && len(brand) <= 64}
	for i, c := range brand {
		if symbol(c) == symbolCount-1 {
			p.ok = false
		}
		p.peq[symbol(c)] |= 1 << uint(i)
	}
	return p
}

// bitOSA returns the optimal-string-alignment distance between the
// pattern's brand and obs with Myers' bit-parallel algorithm, extended for
// transpositions by Hyyrö: one pass over obs with a handful of word
// operations per character, instead of a row of the matrix.
func (p *pattern) bitOSA(obs []byte) int {
	m := p.n
	high := uint64(1) << uint(m-1)
	pv, mv := ^uint64(0), uint64(0)
	var d0, pmPrev uint64
	score := m
	for _, c := range obs {
		eq := p.peq[symbol(c)]
		tr := (((^d0) & eq) << 1) & pmPrev
		d0 = (((eq & pv) + pv) ^ pv) | eq | mv | tr
		hp := mv | ^(d0 | pv)
		hn := d0 & pv
		if hp&high != 0 {
			score++
		} else if hn&high != 0 {
			score--
		}
		hp = hp<<1 | 1
		hn <<= 1
		pv = hn | ^(d0 | hp)
		mv = hp & d0
		pmPrev = eq
	}
	return score
}
