package pattern

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"
)

// ErrTooComplex is returned when matching needs more than MaxSteps steps
// or one object path selects more than 65536 values: REPEATS and AND over
// many observations can ask for a combinatorial search, [*] over
// reference cycles multiplies values, and hostile input must not pin a
// CPU or fill memory.
var ErrTooComplex = errors.New("pattern: evaluation exceeded its step budget (too many candidate bindings)")

// MaxSteps bounds the work of one Match call (candidate bindings
// considered). It is a variable so that tools with a known workload can
// raise it.
var MaxSteps = 1 << 24

// An instance is one of the number_observed sightings of an observation:
// observation index in the high half, sighting number in the low half.
type instance uint64

func (i instance) obs() int { return int(i >> 32) }

// A binding assigns observation instances to the [ ] expressions of a
// pattern, as stix2-matcher defines it; expressions not needed (the other
// side of an OR) are left out. No instance appears twice.
type binding []instance

type evaluator struct {
	obs      []Observation
	matches  [][]int // per obsSimple index: matching observations
	steps    int
	budget   int
	err      error
	pathBuf  []any
	pathBuf2 []any
	// pathValues counts what the current selectPath produced, against
	// maxPathValues.
	pathValues int
	keys       []string
	// Inline backing arrays for the slices above, so a typical match
	// allocates them once with the evaluator.
	pathArr  [2][8]any
	keysArr  [8]string
	matchArr [1][]int
}

func (ev *evaluator) tick(n int) bool {
	ev.steps += n
	if ev.steps > ev.budget && ev.err == nil {
		ev.err = ErrTooComplex
	}
	return ev.err == nil
}

// Match reports whether the observations satisfy the pattern.
func (p *Pattern) Match(obs []Observation) (bool, error) {
	idx, err := p.Matches(obs)
	return idx != nil, err
}

// Matches returns the indices, ascending, of the observations bound by the
// first way found to satisfy the pattern (for "[a] AND [b]" one
// observation for each side), or nil when the pattern does not match.
// Errors are those of the reference matcher: values that cannot be
// compared as the pattern demands (a JSON string that is not a timestamp
// compared with t'…'), bad references, and problems reported by Err.
func (p *Pattern) Matches(obs []Observation) ([]int, error) { return p.matches(obs, MaxSteps) }

func (p *Pattern) matches(obs []Observation, budget int) ([]int, error) {
	if p.evalErr != nil {
		return nil, p.evalErr
	}
	for i := range obs {
		o := &obs[i]
		if o.NumberObserved < 1 || o.NumberObserved > 1<<31-1 {
			return nil, fmt.Errorf("observation %d (%s): number_observed %d out of range", i, o.ID, o.NumberObserved)
		}
		if o.LastObserved.Before(o.FirstObserved) {
			return nil, fmt.Errorf("observation %d (%s): last_observed is before first_observed", i, o.ID)
		}
	}
	ev := &evaluator{obs: obs, budget: budget}
	ev.pathBuf, ev.pathBuf2, ev.keys = ev.pathArr[0][:0], ev.pathArr[1][:0], ev.keysArr[:0]
	if p.nSimple <= len(ev.matchArr) {
		ev.matches = ev.matchArr[:p.nSimple]
	} else {
		ev.matches = make([][]int, p.nSimple)
	}
	// Like the reference matcher, evaluate every comparison over every
	// observation before combining, so errors do not depend on order.
	if err := ev.evalSimple(p.root); err != nil {
		return nil, err
	}
	if onlyOr(p.root) {
		// [ ] expressions joined by OR without qualifiers (most
		// indicators): any matching observation is a binding on its own,
		// and the reference's first binding is that of the leftmost
		// expression with one.
		for _, hits := range ev.matches {
			if len(hits) > 0 {
				return hits[:1], nil
			}
		}
		return nil, nil
	}
	var first binding
	for b := range ev.bindings(p.root) {
		first = b
		break
	}
	if ev.err != nil {
		return nil, ev.err
	}
	if first == nil {
		return nil, nil
	}
	out := make([]int, 0, len(first))
	for _, in := range first {
		out = append(out, in.obs())
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func onlyOr(n *obsNode) bool {
	switch n.kind {
	case obsSimple:
		return true
	case obsOr:
		return onlyOr(n.left) && onlyOr(n.right)
	}
	return false
}

func (ev *evaluator) evalSimple(n *obsNode) error {
	switch n.kind {
	case obsSimple:
		for i := range ev.obs {
			o := &ev.obs[i]
			keys := ev.keys[:0]
			for k := range o.Objects {
				keys = append(keys, k)
			}
			slices.Sort(keys) // deterministic error messages
			ev.keys = keys
			hit := false
			for _, k := range keys {
				root, ok := o.Objects[k].(map[string]any)
				if !ok {
					continue
				}
				typ, _ := root["type"].(string)
				ok, err := ev.evalComp(n.comp, o, root, typ)
				if err != nil {
					return fmt.Errorf("observation %d (%s), object %s: %w", i, o.ID, k, err)
				}
				hit = hit || ok
			}
			if hit {
				ev.matches[n.index] = append(ev.matches[n.index], i)
			}
		}
		return nil
	case obsAnd, obsOr, obsFollowedBy:
		if err := ev.evalSimple(n.left); err != nil {
			return err
		}
		return ev.evalSimple(n.right)
	}
	return ev.evalSimple(n.left)
}

// evalComp evaluates a comparison expression for one root object. Both
// sides of AND and OR are always evaluated so that errors surface as they
// do in the reference matcher, which evaluates every comparison.
func (ev *evaluator) evalComp(c *compNode, o *Observation, root map[string]any, typ string) (bool, error) {
	switch c.kind {
	case compTest:
		if typ != c.test.path.typ {
			return false, nil
		}
		return ev.evalTest(c.test, o, root)
	case compAnd, compOr:
		l, err := ev.evalComp(c.left, o, root, typ)
		if err != nil {
			return false, err
		}
		r, err := ev.evalComp(c.right, o, root, typ)
		if err != nil {
			return false, err
		}
		if c.kind == compAnd {
			return l && r, nil
		}
		return l || r, nil
	}
	return false, nil
}

// bindings enumerates the bindings of n lazily, in the order
// stix2-matcher produces them, so the first one is found without
// building the rest.
func (ev *evaluator) bindings(n *obsNode) iter.Seq[binding] {
	switch n.kind {
	case obsSimple:
		hits := ev.matches[n.index]
		return func(yield func(binding) bool) {
			for _, oi := range hits {
				for k := 0; k < ev.obs[oi].NumberObserved; k++ {
					if !ev.tick(1) || !yield(binding{instance(oi)<<32 | instance(k)}) {
						return
					}
				}
			}
		}
	case obsAnd:
		return ev.join(ev.bindings(n.left), ev.bindings(n.right), disjoint)
	case obsFollowedBy:
		return ev.join(ev.bindings(n.left), ev.bindings(n.right), func(a, b binding) bool {
			return disjoint(a, b) && !ev.latestFirst(a).After(ev.earliestLast(b))
		})
	case obsOr:
		return ev.alternate(ev.bindings(n.left), ev.bindings(n.right))
	case obsRepeats:
		count, of := flattenRepeats(n)
		return ev.repeat(ev.bindings(of), count, -1)
	case obsWithin:
		inner := ev.bindings(n.left)
		if n.left.kind == obsRepeats {
			// Let the combination search drop partial combinations that
			// already span more than the window; the filter below
			// still decides.
			count, of := flattenRepeats(n.left)
			inner = ev.repeat(ev.bindings(of), count, n.within)
		}
		return func(yield func(binding) bool) {
			for b := range inner {
				if ev.within(b, n.within) && !yield(b) {
					return
				}
			}
		}
	case obsStartStop:
		inner := ev.bindings(n.left)
		return func(yield func(binding) bool) {
			if !n.start.Before(n.stop) {
				return // no instant is both >= start and < stop
			}
			for b := range inner {
				if ev.inWindow(b, n.start, n.stop) && !yield(b) {
					return
				}
			}
		}
	}
	return func(func(binding) bool) {}
}

// flattenRepeats folds "X REPEATS b TIMES REPEATS a TIMES" into X
// repeated a·b times. The two are satisfied by the same sets of
// sightings (a·b disjoint bindings of X can always be split into a groups
// of b), and the flat search is far cheaper than combining combinations.
func flattenRepeats(n *obsNode) (int, *obsNode) {
	count := n.repeats
	of := n.left
	for of.kind == obsRepeats {
		count = min(count*of.repeats, 1<<40) // both are at most maxRepeats
		of = of.left
	}
	return count, of
}

func disjoint(a, b binding) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return false
			}
		}
	}
	return true
}

func concat(a, b binding) binding {
	out := make(binding, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// join pairs bindings of both sides that satisfy ok, pulling from the two
// sides alternately (a diagonal walk of the cross product) so that a long
// or endless side does not starve the other.
func (ev *evaluator) join(left, right iter.Seq[binding], ok func(a, b binding) bool) iter.Seq[binding] {
	return func(yield func(binding) bool) {
		lnext, lstop := iter.Pull(left)
		defer lstop()
		rnext, rstop := iter.Pull(right)
		defer rstop()
		r, rok := rnext()
		l, lok := lnext()
		if !rok || !lok {
			return
		}
		var lcache, rcache []binding
		for rok || lok {
			if rok {
				if !ev.tick(len(lcache) * len(r)) {
					return
				}
				for _, x := range lcache {
					if ok(x, r) && !yield(concat(x, r)) {
						return
					}
				}
				rcache = append(rcache, r)
				r, rok = rnext()
			}
			if lok {
				if !ev.tick(len(rcache) * len(l)) {
					return
				}
				for _, y := range rcache {
					if ok(l, y) && !yield(concat(l, y)) {
						return
					}
				}
				lcache = append(lcache, l)
				l, lok = lnext()
			}
		}
	}
}

// alternate yields the bindings of either side, taking turns.
func (ev *evaluator) alternate(left, right iter.Seq[binding]) iter.Seq[binding] {
	return func(yield func(binding) bool) {
		lnext, lstop := iter.Pull(left)
		defer lstop()
		rnext, rstop := iter.Pull(right)
		defer rstop()
		l, lok := lnext()
		r, rok := rnext()
		for lok || rok {
			if lok {
				if !yield(l) {
					return
				}
				l, lok = lnext()
			}
			if rok {
				if !yield(r) {
					return
				}
				r, rok = rnext()
			}
		}
	}
}

// repeat yields combinations of count pairwise-disjoint bindings of the
// inner expression. Each new inner binding is combined with the disjoint
// ones seen before it, so every combination appears once. A window >= 0
// prunes combinations that cannot fit WITHIN it.
func (ev *evaluator) repeat(inner iter.Seq[binding], count int, window time.Duration) iter.Seq[binding] {
	if count == 1 {
		return inner
	}
	return func(yield func(binding) bool) {
		var seen []binding
		// Scratch space for combos, one slice per depth. It belongs to
		// this enumeration: a nested REPEATS runs its own search while
		// this one is suspended in yield.
		var bufs [][]binding
		for b := range inner {
			if len(seen) >= count-1 {
				if !ev.tick(len(seen) * len(b)) {
					return
				}
				var feasible func([]binding) bool
				if window >= 0 {
					feasible = func(parts []binding) bool {
						ev.tick(len(parts)) // combos notices an exhausted budget
						first, last := ev.latestFirst(b), ev.earliestLast(b)
						for _, p := range parts {
							if f := ev.latestFirst(p); f.After(first) {
								first = f
							}
							if l := ev.earliestLast(p); l.Before(last) {
								last = l
							}
						}
						return fitsWindow(first, last, window)
					}
				}
				var cands []binding
				for _, c := range seen {
					if disjoint(c, b) && (feasible == nil || feasible([]binding{c})) {
						cands = append(cands, c)
					}
				}
				if len(cands) >= count-1 {
					_, more := ev.combos(cands, count-1, nil, feasible, &bufs, 0, func(parts []binding) bool {
						n := len(b)
						for _, p := range parts {
							n += len(p)
						}
						out := make(binding, 0, n)
						for _, p := range parts {
							out = append(out, p...)
						}
						return yield(append(out, b...))
					})
					if !more {
						return
					}
				}
			}
			seen = append(seen, b)
		}
	}
}

// combos yields every k-combination of pairwise-disjoint bindings from
// list, each extending prefix and accepted by feasible (when not nil).
// cont is false when the caller stopped or the step budget ran out.
// missing > 0 says, before anything was yielded, that even the best
// choice would fall that many bindings short; the caller uses it to skip
// siblings that cannot do better. This is stix2-matcher's pruning,
// without which REPEATS over FOLLOWEDBY pairs explodes.
func (ev *evaluator) combos(list []binding, k int, prefix []binding, feasible func([]binding) bool, bufs *[][]binding, depth int, yield func([]binding) bool) (missing int, cont bool) {
	if k == 1 {
		for _, b := range list {
			if !ev.tick(1) {
				return 0, false
			}
			parts := append(prefix, b)
			if feasible != nil && !feasible(parts) {
				continue
			}
			if !yield(parts) {
				return 0, false
			}
		}
		return 0, true
	}
	if !ev.tick(len(list)) {
		return 0, false
	}
	if bound := largestCombinationBound(list); bound < k {
		return k - bound, true
	}
	for len(*bufs) <= depth {
		*bufs = append(*bufs, nil)
	}
	for i := 0; i+k <= len(list); i++ {
		if !ev.tick((len(list) - i) * len(list[i])) {
			return 0, false
		}
		parts := append(prefix, list[i])
		if feasible != nil && !feasible(parts) {
			continue
		}
		// Each depth reuses its own buffer: the recursive call is done
		// with rest before the next i overwrites it.
		rest := (*bufs)[depth][:0]
		for _, c := range list[i+1:] {
			if disjoint(list[i], c) {
				rest = append(rest, c)
			}
		}
		(*bufs)[depth] = rest
		miss, cont := ev.combos(rest, k-1, parts, feasible, bufs, depth+1, yield)
		if !cont {
			return 0, false
		}
		if miss > 0 {
			// Bindings dropped for overlapping list[i] could supply at
			// most this many more members to later choices.
			maxAdd := min(len(list)-i-1-len(rest), len(list[i]))
			if short := miss + 1 - maxAdd; short > 0 {
				if i == 0 {
					return short, true
				}
				return 0, true
			}
		}
	}
	return 0, true
}

// largestCombinationBound is an upper bound on how many pairwise-disjoint
// bindings list can supply: replacing a binding by a smaller one never
// hurts, so count greedily from the smallest bindings up.
func largestCombinationBound(list []binding) int {
	if len(list) == 0 {
		return 0
	}
	maxSize := 0
	total := 0
	for _, b := range list {
		maxSize = max(maxSize, len(b))
		total += len(b)
	}
	if maxSize == 1 {
		ids := make([]instance, 0, total)
		for _, b := range list {
			ids = append(ids, b[0])
		}
		slices.Sort(ids)
		return len(slices.Compact(ids))
	}
	// Each instance counts once, for the smallest binding it appears in.
	type sized struct {
		in   instance
		size int
	}
	all := make([]sized, 0, total)
	for _, b := range list {
		for _, in := range b {
			all = append(all, sized{in, len(b)})
		}
	}
	slices.SortFunc(all, func(a, b sized) int {
		if a.in != b.in {
			return cmpInt(int64(a.in), int64(b.in))
		}
		return a.size - b.size
	})
	avail := make([]int, maxSize+1)
	for i, x := range all {
		if i == 0 || all[i-1].in != x.in {
			avail[x.size]++
		}
	}
	size := 0
	for sz := 1; sz < maxSize; sz++ {
		size += (avail[sz] + sz - 1) / sz
	}
	return size + avail[maxSize]/maxSize
}

func (ev *evaluator) latestFirst(b binding) time.Time {
	t := ev.obs[b[0].obs()].FirstObserved
	for _, in := range b[1:] {
		if f := ev.obs[in.obs()].FirstObserved; f.After(t) {
			t = f
		}
	}
	return t
}

func (ev *evaluator) earliestLast(b binding) time.Time {
	t := ev.obs[b[0].obs()].LastObserved
	for _, in := range b[1:] {
		if l := ev.obs[in.obs()].LastObserved; l.Before(t) {
			t = l
		}
	}
	return t
}

// within reports whether one instant can be picked in each bound
// observation's [first, last] interval with all of them inside d.
func (ev *evaluator) within(b binding, d time.Duration) bool {
	return fitsWindow(ev.latestFirst(b), ev.earliestLast(b), d)
}

// inWindow reports whether every bound observation overlaps [start, stop):
// touching start counts, touching only stop does not.
func (ev *evaluator) inWindow(b binding, start, stop time.Time) bool {
	for _, in := range b {
		o := &ev.obs[in.obs()]
		switch overlap(start, stop, o.FirstObserved, o.LastObserved) {
		case overlapYes, overlapTouchOuter:
		default:
			return false
		}
	}
	return true
}

type interval struct{ first, last time.Time }

// intervalsWithin reports whether a window of length d overlaps every
// interval (closed at both ends).
func intervalsWithin(ivs []interval, d time.Duration) bool {
	if len(ivs) == 0 {
		return true
	}
	maxFirst, minLast := ivs[0].first, ivs[0].last
	for _, iv := range ivs[1:] {
		if iv.first.After(maxFirst) {
			maxFirst = iv.first
		}
		if iv.last.Before(minLast) {
			minLast = iv.last
		}
	}
	return fitsWindow(maxFirst, minLast, d)
}

// fitsWindow decides WITHIN: if any window of length d touches every
// interval, the one starting at the earliest last time does (moving it
// later loses that interval, earlier gains nothing), and it touches an
// interval exactly when the interval starts no later than its end.
func fitsWindow(maxFirst, minLast time.Time, d time.Duration) bool {
	return !maxFirst.After(minLast.Add(d))
}

type overlapKind uint8

// How two closed intervals [min1,max1] and [min2,max2] meet; the touch
// kinds let callers treat an end as open.
const (
	overlapNone       overlapKind = iota
	overlapYes                    // share more than an end point
	overlapTouchInner             // meet only at max1 == min2
	overlapTouchOuter             // meet only at max2 == min1
	overlapTouchPoint             // both are the same single instant
)

func overlap(min1, max1, min2, max2 time.Time) overlapKind {
	switch {
	case min1.Equal(max1) && max1.Equal(min2) && min2.Equal(max2):
		return overlapTouchPoint
	case max1.Equal(min2):
		return overlapTouchInner
	case max2.Equal(min1):
		return overlapTouchOuter
	case !min2.After(max1) && !min1.After(max2):
		return overlapYes
	}
	return overlapNone
}
