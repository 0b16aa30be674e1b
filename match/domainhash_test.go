package match

import (
	"slices"
	"strings"
	"testing"
)

// suffixStarts returns the start of every label-boundary suffix of c that
// has between lo and hi labels, shortest first.
func suffixStarts(c string, lo, hi int) []uint8 {
	var out []uint8
	labels := 1
	for i := len(c) - 1; i >= 0; i-- {
		if c[i] == '.' {
			if labels >= lo && labels <= hi {
				out = append(out, uint8(i+1))
			}
			labels++
		}
	}
	if labels >= lo && labels <= hi {
		out = append(out, 0)
	}
	return out
}

// checkSuffixCandidates holds matchDomain's candidates to domainHash on
// name as written (capitals, a trailing dot):
// with every suffix's domainHash in the filter, the candidates are
// exactly the suffixes in [lo, hi] labels, shortest first; with one
// suffix in an otherwise empty filter, that suffix is a candidate.
func checkSuffixCandidates(t *testing.T, name string, lo, hi int) {
	b, ok := appendDomain(nil, name)
	if !ok {
		return
	}
	c := string(b)
	var cand [maxSuffixes]uint8
	candidates := func(f *filter) []uint8 {
		got, n, ok := candidatesOf(f, name, lo, hi, &cand)
		if !ok || got != c {
			t.Fatalf("%q: domainCandidates gives %q, %v; want %q", name, got, ok, c)
		}
		return cand[:n]
	}
	all := newFilter(256)
	for _, p := range suffixStarts(c, 1, maxSuffixes) {
		all.add(all.domainHash(c[p:]))
	}
	if got, want := candidates(&all), suffixStarts(c, lo, hi); !slices.Equal(got, want) {
		t.Fatalf("%q labels %d-%d: candidates %v, want %v", name, lo, hi, got, want)
	}
	for _, p := range suffixStarts(c, lo, hi) {
		one := newFilter(256)
		one.add(one.domainHash(c[p:]))
		if got := candidates(&one); !slices.Contains(got, p) {
			t.Fatalf("%q: suffix %q alone in the filter, candidates %v", name, c[p:], got)
		}
	}
}

func TestSuffixHashesAreDomainHash(t *testing.T) {
	for _, name := range append(canonSeeds, "a", "a.b", "abcdefg.h", "abcdefgh.i", "a.bcdefghi", "abcdefg.hijklmn.op",
		"x.abcdefgh", "abcdefgh", "abcdefghabcdefgh", strings.Repeat("a.", 126)+"b", strings.Repeat("abcdefg.", 31)+"x") {
		for _, lim := range [][2]int{{1, maxSuffixes}, {2, 3}, {1, 1}, {3, 3}, {4, 2}} {
			checkSuffixCandidates(t, name, lim[0], lim[1])
		}
	}
}

func FuzzSuffixCandidates(f *testing.F) {
	for _, s := range canonSeeds {
		f.Add(s, uint8(1), uint8(maxSuffixes))
	}
	f.Add("q.a.b.example.co.uk", uint8(2), uint8(4))
	f.Fuzz(func(t *testing.T, name string, lo, hi uint8) {
		checkSuffixCandidates(t, name, int(lo), int(hi))
	})
}
