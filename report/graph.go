package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/umbra-cti/umbra/attribution"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
)

// Graph is the infrastructure map: our hosts, the infrastructure they
// reached (names, then addresses) and the actors it belongs to, in
// columns, with a layout computed here so that the same input always
// draws the same picture.
type Graph struct {
	Width, Height float64
	Columns       []GraphColumn
	Nodes         []GraphNode
	Edges         []GraphEdge
}

// GraphColumn is one layer of the map.
type GraphColumn struct {
	X     float64
	Title string
	More  int // nodes left out to keep the map legible
}

// GraphNode is a vertex with its position; Label is defanged.
type GraphNode struct {
	ID, Label, Kind, Title string
	X, Y                   float64
	R                      float64
}

// GraphEdge is a drawn link: Path is SVG path data.
type GraphEdge struct {
	Path, Kind, Title string
	Width             float64
}

const (
	graphWidth   = 960.0
	graphRow     = 22.0
	graphTop     = 44.0
	maxPerColumn = 28
)

type gnode struct {
	id, label, kind, title string
	col                    int
	rank                   float64 // importance: kept first when a column is capped
	pos                    float64
}

type gedge struct {
	a, b   string
	kind   string
	weight int
}

// graphBuilder collects nodes and edges before layout.
type graphBuilder struct {
	cols  []string
	nodes map[string]*gnode
	edges map[[2]string]*gedge
}

func newGraph(cols ...string) *graphBuilder {
	return &graphBuilder{cols: cols, nodes: map[string]*gnode{}, edges: map[[2]string]*gedge{}}
}

func (g *graphBuilder) node(id, label, kind, title string, col int, rank float64) {
	if n, ok := g.nodes[id]; ok {
		n.rank = max(n.rank, rank)
		return
	}
	g.nodes[id] = &gnode{id: id, label: label, kind: kind, title: title, col: col, rank: rank}
}

func (g *graphBuilder) edge(a, b, kind string) {
	if a == b {
		return
	}
	k := [2]string{a, b}
	if e, ok := g.edges[k]; ok {
		e.weight++
		return
	}
	g.edges[k] = &gedge{a: a, b: b, kind: kind, weight: 1}
}

// infraColumn is where an indicator goes: addresses apart from names.
func infraColumn(t string) int {
	switch t {
	case "ipv4", "ipv6", "cidr":
		return 2
	}
	return 1
}

func valueNode(t, v string) string { return "v:" + t + ":" + v }

// addInfra adds the appendix's indicators, our hosts that reached them,
// and the DNS resolutions that link names to addresses.
func (b *builder) addInfra(g *graphBuilder, alerts []Alert) {
	for _, row := range b.r.Indicators {
		id := valueNode(row.Type, row.Value)
		label := shorten(row.Defanged(), 34)
		title := fmt.Sprintf("%s %s — %s", row.Type, label, plural(row.Alerts, "alert", "alerts"))
		g.node(id, label, "infra-"+row.Type, title, infraColumn(row.Type), float64(row.Alerts)+float64(row.Confidence)/1000)
	}
	for _, a := range alerts {
		vid := valueNode(a.Type, a.Value)
		if _, ok := g.nodes[vid]; !ok {
			continue
		}
		if a.Host == "" {
			continue
		}
		g.node("h:"+a.Host, indicator.DefangText(a.Host), "host", "our host "+indicator.DefangText(a.Host), 0, 0)
		g.nodes["h:"+a.Host].rank++
		g.edge("h:"+a.Host, vid, "contacted")
	}
	if b.opt.Observed != nil && b.own {
		for _, r := range b.opt.Observed.Resolutions {
			dn, an := valueNode("domain", r.Name), valueNode("ipv4", r.Addr)
			if _, ok := g.nodes[dn]; !ok {
				continue
			}
			if _, ok := g.nodes[an]; !ok {
				if _, ok := g.nodes[valueNode("ipv6", r.Addr)]; !ok {
					continue
				}
				an = valueNode("ipv6", r.Addr)
			}
			g.edge(dn, an, "resolved")
		}
	}
}

func (b *builder) actorGraph(a *knowledge.Actor, groups map[string]string) Graph {
	g := newGraph("Our hosts", "Names and artefacts", "Addresses", "Groups", "Umbrella")
	b.addInfra(g, b.alerts)
	top := 3
	if a.Umbrella {
		top = 4
	}
	g.node("a:"+knowledge.NormName(a.Name), a.Name, "actor", a.Name, top, 1e9)
	for _, m := range a.Members {
		g.node("a:"+knowledge.NormName(m.Name), m.Name, "actor", fmt.Sprintf("%s, member (confidence %d)", m.Name, m.Confidence), 3, float64(m.Confidence))
		g.edge("a:"+knowledge.NormName(m.Name), "a:"+knowledge.NormName(a.Name), "member-of")
	}
	for _, u := range a.Umbrellas {
		g.node("a:"+knowledge.NormName(u.Name), u.Name, "actor", u.Name+" (umbrella)", 4, 1e9)
		g.edge("a:"+knowledge.NormName(a.Name), "a:"+knowledge.NormName(u.Name), "member-of")
	}
	for key, names := range b.indicates {
		t, v, _ := strings.Cut(key, "\x00")
		for _, n := range names {
			if _, ok := g.nodes["a:"+knowledge.NormName(n)]; ok {
				g.edge(valueNode(t, v), "a:"+knowledge.NormName(n), "indicates")
			}
		}
	}
	return g.layout()
}

func (b *builder) incidentGraph(inc *attribution.Node, alerts []Alert, cands []attribution.Candidate) Graph {
	g := newGraph("Our hosts", "Names and artefacts", "Addresses", "Candidate actors")
	b.addInfra(g, alerts)
	for i, c := range cands {
		id := "a:" + knowledge.NormName(c.Actor)
		g.node(id, fmt.Sprintf("%s (%d)", c.Actor, c.Confidence), "actor", fmt.Sprintf("%s: confidence %d (%s)", c.Actor, c.Confidence, c.ConfidenceWords), 3, float64(len(cands)-i))
		for _, e := range c.Evidence {
			for _, o := range inc.Observables {
				if e.Value == o.Value {
					g.edge(valueNode(o.Type.String(), o.Value), id, "evidence")
				}
			}
		}
	}
	for key, names := range b.indicates {
		t, v, _ := strings.Cut(key, "\x00")
		for _, n := range names {
			if _, ok := g.nodes["a:"+knowledge.NormName(n)]; ok {
				g.edge(valueNode(t, v), "a:"+knowledge.NormName(n), "indicates")
			}
		}
	}
	return g.layout()
}

// layout caps each column, orders nodes to reduce crossings (barycentre
// sweeps, ties broken by label) and computes coordinates and edge paths.
func (g *graphBuilder) layout() Graph {
	cols := make([][]*gnode, len(g.cols))
	for _, n := range g.nodes {
		cols[n.col] = append(cols[n.col], n)
	}
	out := Graph{Width: graphWidth}
	keep := map[string]bool{}
	var used []int // columns with nodes
	for c := range cols {
		sort.Slice(cols[c], func(i, j int) bool {
			if cols[c][i].rank != cols[c][j].rank {
				return cols[c][i].rank > cols[c][j].rank
			}
			return cols[c][i].label < cols[c][j].label
		})
		more := 0
		if len(cols[c]) > maxPerColumn {
			more = len(cols[c]) - maxPerColumn
			cols[c] = cols[c][:maxPerColumn]
		}
		for i, n := range cols[c] {
			keep[n.id] = true
			n.pos = float64(i)
		}
		if len(cols[c]) > 0 {
			used = append(used, c)
			out.Columns = append(out.Columns, GraphColumn{Title: g.cols[c], More: more})
		}
	}
	if len(used) == 0 {
		return Graph{}
	}
	edges := make([]*gedge, 0, len(g.edges))
	for _, e := range g.edges {
		if keep[e.a] && keep[e.b] {
			edges = append(edges, e)
		}
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].a != edges[j].a {
			return edges[i].a < edges[j].a
		}
		return edges[i].b < edges[j].b
	})
	nb := map[string][]*gnode{}
	for _, e := range edges {
		nb[e.a] = append(nb[e.a], g.nodes[e.b])
		nb[e.b] = append(nb[e.b], g.nodes[e.a])
	}
	reorder := func(c int) {
		for _, n := range cols[c] {
			sum, k := 0.0, 0
			for _, m := range nb[n.id] {
				if m.col != c {
					sum += m.pos
					k++
				}
			}
			if k > 0 {
				n.pos = sum / float64(k)
			}
		}
		sort.SliceStable(cols[c], func(i, j int) bool {
			if cols[c][i].pos != cols[c][j].pos {
				return cols[c][i].pos < cols[c][j].pos
			}
			return cols[c][i].label < cols[c][j].label
		})
		for i, n := range cols[c] {
			n.pos = float64(i)
		}
	}
	for iter := 0; iter < 4; iter++ {
		for _, c := range used {
			reorder(c)
		}
		for i := len(used) - 1; i >= 0; i-- {
			reorder(used[i])
		}
	}
	tallest := 0
	for _, c := range used {
		tallest = max(tallest, len(cols[c]))
	}
	out.Height = graphTop + float64(tallest)*graphRow + 30
	step := (graphWidth - 200) / math.Max(float64(len(used)-1), 1)
	xy := map[string][2]float64{}
	for i, c := range used {
		x := round1(24 + float64(i)*step)
		out.Columns[i].X = x
		off := graphTop + (float64(tallest)-float64(len(cols[c])))*graphRow/2
		for j, n := range cols[c] {
			y := round1(off + float64(j)*graphRow + graphRow/2)
			xy[n.id] = [2]float64{x, y}
			r := 5.0
			if n.kind == "actor" {
				r = 7
			}
			out.Nodes = append(out.Nodes, GraphNode{ID: n.id, Label: n.label, Kind: n.kind, Title: n.title, X: x, Y: y, R: r})
		}
	}
	for _, e := range edges {
		p, q := xy[e.a], xy[e.b]
		if p[0] > q[0] {
			p, q = q, p
		}
		mx := round1((p[0] + q[0]) / 2)
		w := round1(1 + math.Log2(float64(e.weight)))
		out.Edges = append(out.Edges, GraphEdge{
			Path:  fmt.Sprintf("M%g %gC%g %g %g %g %g %g", p[0], p[1], mx, p[1], mx, q[1], q[0], q[1]),
			Kind:  e.kind,
			Width: math.Min(w, 6),
			Title: fmt.Sprintf("%s -> %s: %s (%d)", g.nodes[e.a].label, g.nodes[e.b].label, e.kind, e.weight)})
	}
	return out
}

// shorten keeps long values (hashes, URLs) from running into the next
// column: the head and tail identify them; the appendix has them whole.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-9]) + "…" + string(r[len(r)-8:])
}
