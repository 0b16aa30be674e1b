// Package cluster finds communities in weighted undirected graphs: the
// umbrellas of the attribution engine are communities of the overlap graph
// between intrusion sets, campaigns, reports and incidents.
//
// The graph is kept in compressed sparse row form (flat offset, target and
// weight arrays) because the hot loop of Louvain walks every adjacency list
// many times; gonum's map-based implementation took hundreds of times
// longer than this one on the same 100k-node graph (bench/attribution.md).
package cluster

import (
	"fmt"
	"sort"
)

// Graph is an undirected weighted graph in CSR form. Every edge u–v with
// u != v appears in both rows; a self loop appears once in its row.
type Graph struct {
	Offsets []int32   // row i is Targets[Offsets[i]:Offsets[i+1]]
	Targets []int32   // neighbour node indexes, ascending within a row
	Weights []float64 // weight of each Targets entry
}

// Nodes is the number of nodes.
func (g *Graph) Nodes() int { return len(g.Offsets) - 1 }

// Row returns the neighbours of node i and their weights.
func (g *Graph) Row(i int) ([]int32, []float64) {
	a, b := g.Offsets[i], g.Offsets[i+1]
	return g.Targets[a:b], g.Weights[a:b]
}

// Builder collects edges and builds a Graph. Parallel edges are summed.
type Builder struct {
	n    int
	u, v []int32
	w    []float64
}

// NewBuilder starts a graph of n nodes, numbered 0..n-1.
func NewBuilder(n int) *Builder { return &Builder{n: n} }

// Grow adds nodes so the graph has at least n, for incremental updates.
func (b *Builder) Grow(n int) {
	if n > b.n {
		b.n = n
	}
}

// AddEdge adds an undirected edge of weight w. Edges with a non-positive
// weight carry no evidence and are ignored.
func (b *Builder) AddEdge(u, v int, w float64) error {
	if u < 0 || v < 0 || u >= b.n || v >= b.n {
		return fmt.Errorf("cluster: edge %d-%d outside 0..%d", u, v, b.n-1)
	}
	if !(w > 0) {
		return nil
	}
	b.u = append(b.u, int32(u))
	b.v = append(b.v, int32(v))
	b.w = append(b.w, w)
	return nil
}

// Build returns the CSR graph. The builder may be reused to add more
// edges and build again.
func (b *Builder) Build() *Graph {
	n := b.n
	deg := make([]int32, n+1)
	for i := range b.u {
		deg[b.u[i]]++
		if b.u[i] != b.v[i] {
			deg[b.v[i]]++
		}
	}
	off := make([]int32, n+1)
	for i := 0; i < n; i++ {
		off[i+1] = off[i] + deg[i]
	}
	tgt := make([]int32, off[n])
	wt := make([]float64, off[n])
	pos := append([]int32(nil), off[:n]...)
	for i := range b.u {
		u, v, w := b.u[i], b.v[i], b.w[i]
		tgt[pos[u]], wt[pos[u]] = v, w
		pos[u]++
		if u != v {
			tgt[pos[v]], wt[pos[v]] = u, w
			pos[v]++
		}
	}
	// Sort each row by target and merge duplicates, compacting in place.
	out := int32(0)
	newOff := make([]int32, n+1)
	for i := 0; i < n; i++ {
		a, e := off[i], off[i+1]
		r := row{tgt[a:e], wt[a:e]}
		if !sort.IsSorted(r) {
			sort.Sort(r)
		}
		start := out
		for j := a; j < e; j++ {
			if out > start && tgt[out-1] == tgt[j] {
				wt[out-1] += wt[j]
				continue
			}
			tgt[out], wt[out] = tgt[j], wt[j]
			out++
		}
		newOff[i+1] = out
	}
	return &Graph{Offsets: newOff, Targets: tgt[:out:out], Weights: wt[:out:out]}
}

type row struct {
	t []int32
	w []float64
}

func (r row) Len() int           { return len(r.t) }
func (r row) Less(i, j int) bool { return r.t[i] < r.t[j] }
func (r row) Swap(i, j int) {
	r.t[i], r.t[j] = r.t[j], r.t[i]
	r.w[i], r.w[j] = r.w[j], r.w[i]
}
