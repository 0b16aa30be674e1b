package cluster

import (
	"math/rand/v2"
	"slices"
)

// Options tune community detection.
type Options struct {
	// Resolution is the modularity resolution γ: above 1 favours smaller
	// communities, below 1 larger ones. Zero means 1.
	Resolution float64
	// MaxLevels bounds the number of aggregation levels; zero means no bound.
	MaxLevels int
}

func (o Options) gamma() float64 {
	if o.Resolution > 0 {
		return o.Resolution
	}
	return 1
}

// Louvain partitions g into communities that maximise modularity, with
// the Louvain method (local moving, then aggregation, repeated). It uses
// no randomness: nodes are visited in index order through a work queue, so
// the same graph always gives the same labels. Labels are 0..k-1,
// numbered by the smallest node of each community.
func Louvain(g *Graph, opt Options) []int32 {
	return run(g, nil, nil, opt)
}

// Update re-clusters g after nodes or edges changed, starting from the
// labels of a previous run instead of from singletons: communities of
// the changed nodes are dissolved, new nodes (beyond len(prev), or with
// a negative label) start alone, and only those nodes (and the
// neighbours their moves disturb) are revisited before the communities
// are aggregated and the upper levels recomputed. On a large graph with a
// small change it touches a small part of the graph; the result is
// deterministic for the same (g, prev, changed).
func Update(g *Graph, prev []int32, changed []int32, opt Options) []int32 {
	return run(g, prev, changed, opt)
}

func run(g *Graph, prev, changed []int32, opt Options) []int32 {
	n := g.Nodes()
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(i)
	}
	if n == 0 {
		return labels
	}
	gamma := opt.gamma()
	cur := g
	for level := 0; opt.MaxLevels == 0 || level < opt.MaxLevels; level++ {
		m := cur.Nodes()
		comm := make([]int32, m)
		var queue []int32
		warm := level == 0 && prev != nil
		if warm {
			// A community that holds a changed node is dissolved into
			// singletons: keeping it whole would let the update stop in
			// the old local optimum, where a run from scratch would not.
			dissolved := map[int32]bool{}
			for _, c := range changed {
				if c >= 0 && int(c) < len(prev) && int(c) < m && prev[c] >= 0 {
					dissolved[prev[c]] = true
				}
			}
			// Previous labels may exceed m when nodes were removed;
			// renumber into 0..m-1 so arrays indexed by community fit.
			remap := make(map[int32]int32)
			for i := range comm {
				comm[i] = -1
				if i < len(prev) && prev[i] >= 0 && !dissolved[prev[i]] {
					r, ok := remap[prev[i]]
					if !ok {
						r = int32(len(remap))
						remap[prev[i]] = r
					}
					comm[i] = r
				}
			}
			next := int32(len(remap))
			for i := range comm {
				if comm[i] < 0 {
					comm[i] = next
					next++
					queue = append(queue, int32(i))
				}
			}
			for _, c := range changed {
				if c >= 0 && int(c) < m {
					queue = append(queue, c)
				}
			}
		} else {
			for i := range comm {
				comm[i] = int32(i)
			}
		}
		moved := localMove(cur, comm, queue, !warm, gamma)
		k := renumber(comm)
		for i := range labels {
			labels[i] = comm[labels[i]]
		}
		if k == m || (!moved && !warm) {
			break
		}
		cur = aggregate(cur, comm, k)
	}
	renumber(labels)
	return labels
}

// localMove moves nodes between communities while modularity improves.
// The queue holds the nodes to visit; all nodes when all is true. A node
// whose neighbour moved is queued again, as in Leiden's fast local move,
// which converges in far fewer visits than repeated full sweeps.
func localMove(g *Graph, comm []int32, seeds []int32, all bool, gamma float64) bool {
	n := g.Nodes()
	deg := make([]float64, n)
	tot := make([]float64, n)
	m2 := 0.0
	for i := 0; i < n; i++ {
		s := 0.0
		for _, w := range g.Weights[g.Offsets[i]:g.Offsets[i+1]] {
			s += w
		}
		deg[i] = s
		tot[comm[i]] += s
		m2 += s
	}
	if m2 == 0 {
		return false
	}
	inQ := make([]bool, n)
	ring := make([]int32, n)
	head, size := 0, 0
	push := func(i int32) {
		if inQ[i] {
			return
		}
		inQ[i] = true
		ring[(head+size)%n] = i
		size++
	}
	if all {
		for i := 0; i < n; i++ {
			push(int32(i))
		}
	} else {
		for _, i := range seeds {
			push(i)
			for _, j := range g.Targets[g.Offsets[i]:g.Offsets[i+1]] {
				push(j)
			}
		}
	}
	neighW := make([]float64, n)
	touched := make([]int32, 0, 64)
	moved := false
	for size > 0 {
		i := ring[head]
		head = (head + 1) % n
		size--
		inQ[i] = false
		ci := comm[i]
		a, b := g.Offsets[i], g.Offsets[i+1]
		touched = touched[:0]
		for e := a; e < b; e++ {
			j := g.Targets[e]
			if j == i {
				continue
			}
			c := comm[j]
			if neighW[c] == 0 {
				touched = append(touched, c)
			}
			neighW[c] += g.Weights[e]
		}
		ki := deg[i]
		tot[ci] -= ki
		scale := gamma * ki / m2
		best, bestGain := ci, neighW[ci]-tot[ci]*scale
		for _, c := range touched {
			gain := neighW[c] - tot[c]*scale
			if gain > bestGain+1e-12 || (gain >= bestGain-1e-12 && gain <= bestGain+1e-12 && c < best && best != ci) {
				best, bestGain = c, gain
			}
		}
		tot[best] += ki
		for _, c := range touched {
			neighW[c] = 0
		}
		if best != ci {
			comm[i] = best
			moved = true
			for e := a; e < b; e++ {
				if j := g.Targets[e]; comm[j] != best {
					push(j)
				}
			}
		}
	}
	return moved
}

// renumber maps labels onto 0..k-1 in order of first occurrence and
// returns k.
func renumber(labels []int32) int {
	remap := make([]int32, len(labels))
	for i := range remap {
		remap[i] = -1
	}
	k := int32(0)
	for i, c := range labels {
		if remap[c] < 0 {
			remap[c] = k
			k++
		}
		labels[i] = remap[c]
	}
	return int(k)
}

// aggregate builds the graph whose nodes are the k communities of g;
// edges inside a community become its self loop.
func aggregate(g *Graph, comm []int32, k int) *Graph {
	n := g.Nodes()
	start := make([]int32, k+1)
	for _, c := range comm {
		start[c+1]++
	}
	for c := 0; c < k; c++ {
		start[c+1] += start[c]
	}
	members := make([]int32, n)
	pos := append([]int32(nil), start[:k]...)
	for i, c := range comm {
		members[pos[c]] = int32(i)
		pos[c]++
	}
	neighW := make([]float64, k)
	touched := make([]int32, 0, 64)
	off := make([]int32, k+1)
	tgt := make([]int32, 0, len(g.Targets)/2)
	wt := make([]float64, 0, len(g.Targets)/2)
	for c := 0; c < k; c++ {
		touched = touched[:0]
		for _, i := range members[start[c]:start[c+1]] {
			for e := g.Offsets[i]; e < g.Offsets[i+1]; e++ {
				d := comm[g.Targets[e]]
				if neighW[d] == 0 {
					touched = append(touched, d)
				}
				neighW[d] += g.Weights[e]
			}
		}
		slices.Sort(touched)
		for _, d := range touched {
			tgt = append(tgt, d)
			wt = append(wt, neighW[d])
			neighW[d] = 0
		}
		off[c+1] = int32(len(tgt))
	}
	return &Graph{Offsets: off, Targets: tgt, Weights: wt}
}

// Modularity scores a partition of g at resolution γ (zero means 1): the
// fraction of edge weight inside communities minus what a random graph
// with the same degrees would place there.
func Modularity(g *Graph, labels []int32, resolution float64) float64 {
	gamma := Options{Resolution: resolution}.gamma()
	n := g.Nodes()
	tot := make([]float64, n)
	in, m2 := 0.0, 0.0
	for i := 0; i < n; i++ {
		for e := g.Offsets[i]; e < g.Offsets[i+1]; e++ {
			w := g.Weights[e]
			m2 += w
			tot[labels[i]] += w
			if labels[g.Targets[e]] == labels[i] {
				in += w
			}
		}
	}
	if m2 == 0 {
		return 0
	}
	q := in / m2
	for _, t := range tot {
		q -= gamma * (t / m2) * (t / m2)
	}
	return q
}

// Planted generates a planted-partition graph for tests and benchmarks:
// n nodes in k equal communities and edges random edges, each inside a
// community with probability pIn, with weights in [1,2). The same seed
// gives the same graph. It returns the graph and the planted labels.
func Planted(n, k, edges int, pIn float64, seed uint64) (*Graph, []int32) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	truth := make([]int32, n)
	size := (n + k - 1) / k
	for i := range truth {
		truth[i] = int32(i / size)
	}
	b := NewBuilder(n)
	b.u = make([]int32, 0, edges)
	b.v = make([]int32, 0, edges)
	b.w = make([]float64, 0, edges)
	for e := 0; e < edges; e++ {
		u := r.IntN(n)
		var v int
		if r.Float64() < pIn {
			c := int(truth[u])
			lo := c * size
			hi := min(lo+size, n)
			v = lo + r.IntN(hi-lo)
		} else {
			v = r.IntN(n)
		}
		if u == v {
			continue
		}
		b.AddEdge(u, v, 1+r.Float64())
	}
	return b.Build(), truth
}
