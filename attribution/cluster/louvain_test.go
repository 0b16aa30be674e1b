package cluster

import (
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/simple"
)

// purity is the share of nodes whose detected community's majority
// planted label equals their own planted label.
func purity(truth, got []int32) float64 {
	count := map[[2]int32]int{}
	for i := range truth {
		count[[2]int32{got[i], truth[i]}]++
	}
	best := map[int32]int{}
	for k, c := range count {
		if c > best[k[0]] {
			best[k[0]] = c
		}
	}
	sum := 0
	for _, c := range best {
		sum += c
	}
	return float64(sum) / float64(len(truth))
}

func distinct(l []int32) int {
	s := slices.Clone(l)
	slices.Sort(s)
	return len(slices.Compact(s))
}

func TestBuilderMergesAndSymmetrises(t *testing.T) {
	b := NewBuilder(3)
	b.AddEdge(0, 1, 1)
	b.AddEdge(1, 0, 2)
	b.AddEdge(2, 2, 5)
	b.AddEdge(1, 2, 0) // no evidence, ignored
	if err := b.AddEdge(0, 3, 1); err == nil {
		t.Fatal("edge to node 3 of a 3-node graph accepted")
	}
	g := b.Build()
	tg, w := g.Row(0)
	if len(tg) != 1 || tg[0] != 1 || w[0] != 3 {
		t.Fatalf("row 0 = %v %v, want [1] [3]", tg, w)
	}
	tg, w = g.Row(1)
	if len(tg) != 1 || tg[0] != 0 || w[0] != 3 {
		t.Fatalf("row 1 = %v %v, want [0] [3]", tg, w)
	}
	tg, w = g.Row(2)
	if len(tg) != 1 || tg[0] != 2 || w[0] != 5 {
		t.Fatalf("row 2 = %v %v, want self loop 5", tg, w)
	}
}

func TestTwoTriangles(t *testing.T) {
	// Two triangles joined by one weak edge split into two communities.
	b := NewBuilder(6)
	for _, e := range [][2]int{{0, 1}, {1, 2}, {0, 2}, {3, 4}, {4, 5}, {3, 5}} {
		b.AddEdge(e[0], e[1], 1)
	}
	b.AddEdge(2, 3, 0.1)
	got := Louvain(b.Build(), Options{})
	want := []int32{0, 0, 0, 1, 1, 1}
	if !slices.Equal(got, want) {
		t.Fatalf("labels %v, want %v", got, want)
	}
}

func TestPlantedRecovered(t *testing.T) {
	g, truth := Planted(5000, 50, 50000, 0.9, 1)
	got := Louvain(g, Options{})
	if p := purity(truth, got); p < 0.95 {
		t.Errorf("purity %.3f < 0.95", p)
	}
	if k := distinct(got); k < 40 || k > 60 {
		t.Errorf("%d communities for 50 planted", k)
	}
	again := Louvain(g, Options{})
	if !slices.Equal(got, again) {
		t.Error("two runs on the same graph differ")
	}
}

// gonumGraph converts g for gonum's Louvain.
func gonumGraph(g *Graph) *simple.WeightedUndirectedGraph {
	u := simple.NewWeightedUndirectedGraph(0, 0)
	for i := 0; i < g.Nodes(); i++ {
		u.AddNode(simple.Node(i))
	}
	for i := 0; i < g.Nodes(); i++ {
		tg, w := g.Row(i)
		for e, j := range tg {
			if int(j) > i {
				u.SetWeightedEdge(simple.WeightedEdge{F: simple.Node(i), T: simple.Node(j), W: w[e]})
			}
		}
	}
	return u
}

func gonumLabels(n int, r community.ReducedGraph) []int32 {
	labels := make([]int32, n)
	for c, nodes := range r.Communities() {
		for _, nd := range nodes {
			labels[nd.ID()] = int32(c)
		}
	}
	return labels
}

func TestModularityMatchesGonum(t *testing.T) {
	g, _ := Planted(2000, 20, 12000, 0.7, 7)
	ours := Modularity(g, Louvain(g, Options{}), 1)
	ug := gonumGraph(g)
	theirs := community.Q(ug, community.Modularize(ug, 1, rand.NewPCG(1, 2)).Communities(), 1)
	gl := gonumLabels(g.Nodes(), community.Modularize(ug, 1, rand.NewPCG(1, 2)))
	if d := Modularity(g, gl, 1) - theirs; d > 1e-9 || d < -1e-9 {
		t.Fatalf("our modularity of gonum's partition %.6f != gonum's %.6f", Modularity(g, gl, 1), theirs)
	}
	if ours < theirs-0.01 {
		t.Errorf("modularity %.4f, gonum %.4f", ours, theirs)
	}
	t.Logf("modularity ours %.4f gonum %.4f", ours, theirs)
}

func TestUpdateAfterChange(t *testing.T) {
	g, truth := Planted(3000, 30, 30000, 0.85, 3)
	prev := Louvain(g, Options{})
	// Add 100 nodes wired into community 0 and a bridge edge.
	b := NewBuilder(3100)
	for i := 0; i < g.Nodes(); i++ {
		tg, w := g.Row(i)
		for e, j := range tg {
			if int(j) >= i {
				b.AddEdge(i, int(j), w[e])
			}
		}
	}
	var changed []int32
	for i := 3000; i < 3100; i++ {
		for j := 0; j < 8; j++ {
			b.AddEdge(i, (i*7+j*13)%100, 1)
		}
		changed = append(changed, int32(i))
	}
	g2 := b.Build()
	got := Update(g2, prev, changed, Options{})
	full := Louvain(g2, Options{})
	qi, qf := Modularity(g2, got, 1), Modularity(g2, full, 1)
	if qi < qf-0.02 {
		t.Errorf("incremental modularity %.4f, full %.4f", qi, qf)
	}
	for i := 3000; i < 3100; i++ {
		if got[i] != got[0] {
			t.Fatalf("new node %d in community %d, not with node 0 (%d)", i, got[i], got[0])
		}
	}
	if p := purity(truth, got[:3000]); p < 0.95 {
		t.Errorf("purity after update %.3f", p)
	}
	if !slices.Equal(got, Update(g2, prev, changed, Options{})) {
		t.Error("Update is not deterministic")
	}
}

func TestEmptyAndEdgeless(t *testing.T) {
	if l := Louvain(NewBuilder(0).Build(), Options{}); len(l) != 0 {
		t.Fatal(l)
	}
	if l := Louvain(NewBuilder(3).Build(), Options{}); !slices.Equal(l, []int32{0, 1, 2}) {
		t.Fatalf("edgeless labels %v", l)
	}
}

// benchSize reads the graph size from UMBRA_BENCH_NODES / _EDGES so the
// 100k/1M comparison in bench/attribution.md runs without editing code.
func benchSize() (int, int) {
	n, e := 100_000, 1_000_000
	if v, err := strconv.Atoi(os.Getenv("UMBRA_BENCH_NODES")); err == nil && v > 0 {
		n = v
	}
	if v, err := strconv.Atoi(os.Getenv("UMBRA_BENCH_EDGES")); err == nil && v > 0 {
		e = v
	}
	return n, e
}

func BenchmarkLouvain(b *testing.B) {
	n, e := benchSize()
	g, truth := Planted(n, n/100, e, 0.8, 42)
	b.ResetTimer()
	var labels []int32
	for b.Loop() {
		labels = Louvain(g, Options{})
	}
	b.ReportMetric(Modularity(g, labels, 1), "modularity")
	b.ReportMetric(purity(truth, labels), "purity")
}

func BenchmarkGonumLouvain(b *testing.B) {
	n, e := benchSize()
	g, truth := Planted(n, n/100, e, 0.8, 42)
	ug := gonumGraph(g)
	b.ResetTimer()
	var labels []int32
	for b.Loop() {
		labels = gonumLabels(n, community.Modularize(ug, 1, rand.NewPCG(1, 2)))
	}
	b.ReportMetric(Modularity(g, labels, 1), "modularity")
	b.ReportMetric(purity(truth, labels), "purity")
}

func BenchmarkUpdate(b *testing.B) {
	n, e := benchSize()
	g, _ := Planted(n, n/100, e, 0.8, 42)
	prev := Louvain(g, Options{})
	changed := []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	b.ResetTimer()
	for b.Loop() {
		Update(g, prev, changed, Options{})
	}
}
