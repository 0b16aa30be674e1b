package lookalike

// distance returns the optimal-string-alignment (restricted
// Damerau-Levenshtein) distance between brand and obs, or k+1 as soon as it
// is certain to exceed k. With glyphs set, characters compare by value as
// given (callers pass class skeletons) and a multi-character glyph (rn for
// m, vv for w, ...) on either side stands for its single character at no
// cost. Both inputs are at most maxLabel long.
func distance(brand, obs []byte, k int, glyphs bool) int {
	n, m := len(brand), len(obs)
	if d := n - m; d > k || -d > k && !glyphs {
		return k + 1
	}
	var rows [3][maxLabel + 1]uint8
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= m; j++ {
		prev[j] = uint8(j)
	}
	over := 0 // consecutive rows whose minimum exceeds k
	for i := 1; i <= n; i++ {
		cur[0] = uint8(i)
		rowMin := cur[0]
		bi := brand[i-1]
		for j := 1; j <= m; j++ {
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
				}
				if a := oj; a != bi {
					for t := 1; t < j && obs[j-1-t] == a; t++ {
						if j-2-t >= 0 && obs[j-2-t] == bi && multiGlyph(bi, bi, a) && prev[j-2-t] < v {
							v = prev[j-2-t]
						}
					}
				}
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
