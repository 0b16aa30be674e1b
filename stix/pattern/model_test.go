package pattern

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// The lazy evaluator prunes (REPEATS bounds, WITHIN pushed into REPEATS,
// nested REPEATS folded). This test checks it against a model that
// spells out the binding semantics with sets: each binding is a bitmask
// of sightings, every operator builds its full result set.

type model struct {
	obs  []Observation
	inst []int // sighting -> observation
}

func newModel(obs []Observation) *model {
	m := &model{obs: obs}
	for i, o := range obs {
		for range o.NumberObserved {
			m.inst = append(m.inst, i)
		}
	}
	return m
}

func (m *model) span(b uint32) (maxFirst, minLast time.Time) {
	firstSet := false
	for i := range m.inst {
		if b&(1<<i) == 0 {
			continue
		}
		o := m.obs[m.inst[i]]
		if !firstSet || o.FirstObserved.After(maxFirst) {
			maxFirst = o.FirstObserved
		}
		if !firstSet || o.LastObserved.Before(minLast) {
			minLast = o.LastObserved
		}
		firstSet = true
	}
	return
}

func (m *model) eval(n *obsNode, simple func(*obsNode) []int) map[uint32]bool {
	out := map[uint32]bool{}
	switch n.kind {
	case obsSimple:
		hit := map[int]bool{}
		for _, o := range simple(n) {
			hit[o] = true
		}
		for i, o := range m.inst {
			if hit[o] {
				out[1<<i] = true
			}
		}
	case obsAnd, obsFollowedBy:
		l, r := m.eval(n.left, simple), m.eval(n.right, simple)
		for a := range l {
			for b := range r {
				if a&b != 0 {
					continue
				}
				if n.kind == obsFollowedBy {
					lf, _ := m.span(a)
					_, rl := m.span(b)
					if lf.After(rl) {
						continue
					}
				}
				out[a|b] = true
			}
		}
	case obsOr:
		for b := range m.eval(n.left, simple) {
			out[b] = true
		}
		for b := range m.eval(n.right, simple) {
			out[b] = true
		}
	case obsRepeats:
		inner := m.eval(n.left, simple)
		var list []uint32
		for b := range inner {
			list = append(list, b)
		}
		var rec func(start, k int, acc uint32)
		rec = func(start, k int, acc uint32) {
			if k == 0 {
				out[acc] = true
				return
			}
			for i := start; i < len(list); i++ {
				if list[i]&acc == 0 {
					rec(i+1, k-1, acc|list[i])
				}
			}
		}
		rec(0, n.repeats, 0)
	case obsWithin:
		for b := range m.eval(n.left, simple) {
			f, l := m.span(b)
			if fitsWindow(f, l, n.within) {
				out[b] = true
			}
		}
	case obsStartStop:
		for b := range m.eval(n.left, simple) {
			ok := n.start.Before(n.stop)
			for i := range m.inst {
				if b&(1<<i) != 0 {
					o := m.obs[m.inst[i]]
					k := overlap(n.start, n.stop, o.FirstObserved, o.LastObserved)
					ok = ok && (k == overlapYes || k == overlapTouchOuter)
				}
			}
			if ok {
				out[b] = true
			}
		}
	}
	return out
}

func randomPattern(r *rand.Rand, depth int) string {
	var s string
	if depth == 0 || r.IntN(3) == 0 {
		s = fmt.Sprintf("[person:age %s %d]", []string{"=", "<", ">", "!="}[r.IntN(4)], r.IntN(4))
	} else {
		op := []string{"AND", "OR", "FOLLOWEDBY"}[r.IntN(3)]
		s = "(" + randomPattern(r, depth-1) + " " + op + " " + randomPattern(r, depth-1) + ")"
	}
	for r.IntN(3) == 0 {
		switch r.IntN(3) {
		case 0:
			s = fmt.Sprintf("%s REPEATS %d TIMES", s, 1+r.IntN(3))
		case 1:
			s = fmt.Sprintf("%s WITHIN %d SECONDS", s, 1+r.IntN(5))
		case 2:
			a := r.IntN(10)
			s = fmt.Sprintf("%s START t'2020-01-01T00:00:%02dZ' STOP t'2020-01-01T00:00:%02dZ'", s, a, a+1+r.IntN(6))
		}
		s = "(" + s + ")"
	}
	return s
}

func randomObservations(r *rand.Rand) []Observation {
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var obs []Observation
	for i := range 1 + r.IntN(4) {
		first := base.Add(time.Duration(r.IntN(10)) * time.Second)
		obs = append(obs, Observation{
			ID:             "observed-data--" + strconv.Itoa(i),
			FirstObserved:  first,
			LastObserved:   first.Add(time.Duration(r.IntN(3)) * time.Second),
			NumberObserved: 1 + r.IntN(2),
			Objects:        map[string]any{"p": map[string]any{"type": "person", "age": json.Number(strconv.Itoa(r.IntN(4)))}},
		})
	}
	return obs
}

func TestEvaluatorAgreesWithModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	matches := 0
	const rounds = 3000
	for range rounds {
		src := randomPattern(r, 3)
		p, err := Parse(src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", src, err)
		}
		obs := randomObservations(r)
		got, err := p.Match(obs)
		if err != nil {
			t.Fatalf("Match(%q): %v", src, err)
		}
		ev := &evaluator{obs: obs, matches: make([][]int, p.nSimple), budget: MaxSteps}
		if err := ev.evalSimple(p.root); err != nil {
			t.Fatal(err)
		}
		want := len(newModel(obs).eval(p.root, func(n *obsNode) []int { return ev.matches[n.index] })) > 0
		if got != want {
			t.Fatalf("Match(%q) = %v, model says %v; observations %+v", src, got, want, obs)
		}
		if got {
			matches++
		}
	}
	t.Logf("%d random patterns, %d matched", rounds, matches)
	if matches == 0 || matches == rounds {
		t.Errorf("random cases are all one way (%d of %d matched): the generator is broken", matches, rounds)
	}
}
