package layout

import (
	"math"
	"testing"
)

// two cliques of 8 joined by one edge
func cliques() (int, []Edge) {
	var es []Edge
	for c := 0; c < 2; c++ {
		for i := 0; i < 8; i++ {
			for j := i + 1; j < 8; j++ {
				es = append(es, Edge{A: c*8 + i, B: c*8 + j})
			}
		}
	}
	return 16, append(es, Edge{A: 0, B: 8})
}

func dist(a, b Point) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

func TestDeterministicAndInBounds(t *testing.T) {
	n, es := cliques()
	a := Force(n, es, Options{Seed: 7})
	b := Force(n, es, Options{Seed: 7})
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("node %d: %v then %v", i, a[i], b[i])
		}
		if a[i].X < 40 || a[i].X > 960 || a[i].Y < 40 || a[i].Y > 660 {
			t.Fatalf("node %d out of bounds: %v", i, a[i])
		}
	}
	c := Force(n, es, Options{Seed: 8})
	same := true
	for i := range a {
		same = same && a[i] == c[i]
	}
	if same {
		t.Fatal("the seed changes nothing")
	}
}

// Nodes of one clique sit closer to each other than to the other clique,
// and no two nodes coincide.
func TestStructure(t *testing.T) {
	n, es := cliques()
	p := Force(n, es, Options{})
	var in, out float64
	var nin, nout int
	minD := math.Inf(1)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			d := dist(p[i], p[j])
			minD = math.Min(minD, d)
			if i/8 == j/8 {
				in += d
				nin++
			} else {
				out += d
				nout++
			}
		}
	}
	if in/float64(nin) >= 0.6*out/float64(nout) {
		t.Fatalf("clusters not separated: mean within %.1f, across %.1f", in/float64(nin), out/float64(nout))
	}
	if minD < 5 {
		t.Fatalf("nodes overlap: min distance %.2f", minD)
	}
}

func TestEdgeCases(t *testing.T) {
	if len(Force(0, nil, Options{})) != 0 {
		t.Fatal("empty")
	}
	if p := Force(1, nil, Options{}); p[0] != (Point{500, 350}) {
		t.Fatal(p)
	}
	p := Force(3, []Edge{{A: 0, B: 9}, {A: -1, B: 0}, {A: 1, B: 1}}, Options{Width: 100, Height: 100})
	for _, q := range p {
		if math.IsNaN(q.X) || math.IsNaN(q.Y) || q.X < 0 || q.X > 100 || q.Y < 0 || q.Y > 100 {
			t.Fatal(p)
		}
	}
}

func BenchmarkForce300(b *testing.B) {
	var es []Edge
	for i := 1; i < 300; i++ {
		es = append(es, Edge{A: i, B: i / 3})
	}
	for b.Loop() {
		Force(300, es, Options{})
	}
}
