package api

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/umbra-cti/umbra/attribution"
	"github.com/umbra-cti/umbra/attribution/geo"
	"github.com/umbra-cti/umbra/attribution/layout"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// geo opens the MMDB files once; without any, attribution runs without
// ASN and country enrichment.
func (a *API) geo() *geo.DB {
	a.geoOnce.Do(func() {
		if len(a.d.MMDB) == 0 {
			return
		}
		db, err := geo.Open(a.d.MMDB...)
		if err != nil {
			a.d.Logger.Warn("attribution: MMDB not opened", "err", err)
			return
		}
		a.geoDB = db
	})
	return a.geoDB
}

// attributionRun is one run of the engine on a token's view.
type attributionRun struct {
	in  *attribution.Input
	res *attribution.Result
}

// runAttribution runs the engine as `umbra attribute` does, on what the
// token may see: every piece of evidence comes from a visible object.
func (a *API) runAttribution(ctx context.Context, c *call) (*attributionRun, error) {
	v, err := a.cached(ctx, c.clearKey()+"attribution", func() (any, error) {
		in, err := attribution.Load(ctx, c.view)
		if err != nil {
			return nil, err
		}
		seen, _, err := attribution.LoadSightings(ctx, c.view, in)
		if err != nil {
			return nil, err
		}
		incidents, _ := attribution.Incidents(seen, 0)
		res := attribution.Run(in, incidents, attribution.Options{Geo: a.geo()})
		return &attributionRun{in: in, res: res}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*attributionRun), nil
}

// Candidate is one ranked actor of GET /api/attribution.
type Candidate struct {
	Actor      string                 `json:"actor"`
	Confidence int                    `json:"confidence"`
	Words      string                 `json:"words"`
	Evidence   []attribution.Evidence `json:"evidence"`
}

func candidatesOf(cs []attribution.Candidate) []Candidate {
	out := make([]Candidate, 0, len(cs))
	for _, c := range cs {
		ev := c.Evidence
		if ev == nil {
			ev = []attribution.Evidence{}
		}
		out = append(out, Candidate{Actor: c.Actor, Confidence: c.Confidence, Words: c.ConfidenceWords, Evidence: ev})
	}
	return out
}

func (a *API) attribution(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	q := r.URL.Query()
	run, err := a.runAttribution(ctx, c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res := run.res
	pick := func(typ attribution.NodeType, key string) {
		for _, at := range res.Attributions {
			if (typ == "" || at.Subject.Type == typ) && (at.Subject.ID == key || strings.EqualFold(at.Subject.Name, key)) {
				writeJSON(w, http.StatusOK, map[string]any{"subject": at.Subject, "candidates": candidatesOf(at.Candidates)})
				return
			}
		}
		writeError(w, http.StatusNotFound, "Not Found", "no attribution for "+string(typ)+" "+strconv.Quote(key))
	}
	switch {
	case q.Get("incident") != "":
		pick(attribution.Incident, q.Get("incident"))
	case q.Get("report") != "":
		key := q.Get("report")
		typ := attribution.NodeType(stixType(key))
		if typ != attribution.Campaign {
			typ = ""
		}
		pick(typ, key)
	case q.Get("actor") != "":
		a.actorAttribution(w, r, c, run, q.Get("actor"))
	default:
		attrs := res.Attributions
		if attrs == nil {
			attrs = []attribution.Attribution{}
		}
		umbrellas := res.Umbrellas
		if umbrellas == nil {
			umbrellas = []attribution.Umbrella{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"umbrellas": umbrellas, "attributions": attrs})
	}
}

// actorAttribution answers "who is behind this actor": the umbrellas it
// clusters into, ranked, and the subjects (reports, campaigns, incidents)
// attributed to it.
func (a *API) actorAttribution(w http.ResponseWriter, r *http.Request, c *call, run *attributionRun, name string) {
	act, err := knowledge.ResolveActor(r.Context(), c.view, name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	names := map[string]bool{knowledge.NormName(act.Name): true}
	for _, m := range act.Members {
		names[knowledge.NormName(m.Name)] = true
	}
	cands := []Candidate{}
	for _, u := range run.res.Umbrellas {
		for _, m := range u.Members {
			if names[knowledge.NormName(m)] && !strings.EqualFold(u.Name, act.Name) {
				ev := u.Evidence
				if ev == nil {
					ev = []attribution.Evidence{}
				}
				cands = append(cands, Candidate{Actor: u.Name, Confidence: u.Confidence, Words: knowledge.ConfidenceWords(u.Confidence), Evidence: ev})
				break
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].Confidence > cands[j].Confidence })
	type subj struct {
		Subject    attribution.Subject `json:"subject"`
		Confidence int                 `json:"confidence"`
		Words      string              `json:"words"`
	}
	subjects := []subj{}
	for _, at := range run.res.Attributions {
		for _, cd := range at.Candidates {
			if names[knowledge.NormName(cd.Actor)] {
				subjects = append(subjects, subj{at.Subject, cd.Confidence, cd.ConfidenceWords})
				break
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"subject":    attribution.Subject{Type: attribution.IntrusionSet, ID: firstOr(act.IDs, ""), Name: act.Name},
		"candidates": cands, "attributed": subjects,
	})
}

func firstOr(s []string, d string) string {
	if len(s) > 0 {
		return s[0]
	}
	return d
}

// opsec lists opsec slips: sessions into our network or cloud accounts
// from an actor's operator netblock, read from the network memory.
func (a *API) opsec(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	run, err := a.runAttribution(ctx, c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ms, _ := memory.ReadStats(a.d.DataDir)
	key := c.clearKey() + "opsec|" + strconv.FormatUint(ms.Events, 10) + "|" + ms.Last.String()
	v, err := a.cached(ctx, key, func() (any, error) {
		sessions, err := a.sessions(ctx)
		if err != nil {
			return nil, err
		}
		leads := attribution.Slips(run.in, sessions, a.geo())
		if leads == nil {
			leads = []attribution.Lead{}
		}
		return leads, nil
	})
	if err != nil {
		a.memoryError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"slips": v})
}

// sessions reads the inbound sessions of the stored telemetry as the demo
// collects them: sign-ins from outside, and connections from public
// addresses to our private ones.
func (a *API) sessions(ctx context.Context) ([]attribution.Session, error) {
	mem, release, err := a.mem.acquire()
	if err != nil {
		return nil, err
	}
	defer release()
	var out []attribution.Session
	var mu sync.Mutex
	_, err = mem.Scan(ctx, memory.Filter{Kinds: memory.KindBit(event.KindSignIn) | memory.KindBit(event.KindConn)}, func(ev *event.Event) error {
		var s attribution.Session
		switch {
		case ev.Kind == event.KindSignIn && ev.SrcIP.IsValid() && ev.User != "":
			s = attribution.Session{Src: ev.SrcIP, Dst: ev.User, Time: ev.Time}
		case ev.Kind == event.KindConn && ev.SrcIP.IsValid() && !ev.SrcIP.IsPrivate() && ev.DstIP.IsPrivate():
			s = attribution.Session{Src: ev.SrcIP, Dst: ev.DstIP.String(), Time: ev.Time}
		default:
			return nil
		}
		mu.Lock()
		out = append(out, s)
		mu.Unlock()
		return nil
	})
	return out, err
}

// Graph is what GET /api/graph answers.
type Graph struct {
	Nodes []GraphNode `json:"nodes"`
	Edges []GraphEdge `json:"edges"`
	// Truncated says the neighbourhood held more than MaxGraphNodes.
	Truncated bool `json:"truncated,omitempty"`
}

// GraphNode is one object or value, placed at X, Y in [0,1000]x[0,700].
type GraphNode struct {
	ID    string  `json:"id"`
	Label string  `json:"label"`
	Kind  string  `json:"kind"`
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
}

// GraphEdge is a relationship, or an indicator carrying its value.
type GraphEdge struct {
	Source string  `json:"source"`
	Target string  `json:"target"`
	Kind   string  `json:"kind"`
	Weight float64 `json:"weight"`
}

// MaxGraphNodes bounds one graph answer.
const MaxGraphNodes = 300

// valuePrefix marks graph node ids that are indicator values, not objects.
const valuePrefix = "value:"

func (a *API) graph(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	root := strings.TrimSpace(r.URL.Query().Get("root"))
	if root == "" {
		badRequest(w, "root: required (an object id, an actor name or an indicator value)")
		return
	}
	depth := 1
	if s := r.URL.Query().Get("depth"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 3 {
			badRequest(w, "depth: want 0 to 3")
			return
		}
		depth = n
	}
	v, err := a.cached(ctx, c.clearKey()+"graph|"+strconv.Itoa(depth)+"|"+root, func() (any, error) {
		return a.buildGraph(ctx, c, root, depth)
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

type graphBuilder struct {
	ctx   context.Context
	v     *view
	nodes map[string]*GraphNode
	edges map[[3]string]GraphEdge
	full  bool
}

func (g *graphBuilder) node(id, label, kind string) bool {
	if _, ok := g.nodes[id]; ok {
		return true
	}
	if len(g.nodes) >= MaxGraphNodes {
		g.full = true
		return false
	}
	g.nodes[id] = &GraphNode{ID: id, Label: label, Kind: kind}
	return true
}

func (g *graphBuilder) edge(a, b, kind string, weight float64) {
	if a == b {
		return
	}
	k := [3]string{a, b, kind}
	if _, ok := g.edges[k]; !ok {
		g.edges[k] = GraphEdge{Source: a, Target: b, Kind: kind, Weight: weight}
	}
}

// object adds a node for a visible object; false when it is not visible.
func (g *graphBuilder) object(id string) bool {
	if _, ok := g.nodes[id]; ok {
		return true
	}
	o, err := g.v.Object(g.ctx, id)
	if err != nil {
		return false
	}
	kind := o.Type
	if knowledge.IsUmbrella(&o) {
		kind = "umbrella"
	}
	label := o.Common.Name
	if o.Type == "indicator" {
		if ind, ok := indicator.FromSTIX(o); ok {
			label = ind.Value
		}
	}
	if label == "" {
		label = id
	}
	return g.node(id, label, kind)
}

// expand adds the neighbours of id and returns them.
func (g *graphBuilder) expand(id string) []string {
	var out []string
	if value, ok := strings.CutPrefix(id, valuePrefix); ok {
		ids, _, _, err := g.v.Correlate(g.ctx, value)
		if err != nil {
			return nil
		}
		for _, o := range ids {
			if g.object(o) {
				g.edge(o, id, "carries", 1)
				out = append(out, o)
			}
		}
		return out
	}
	rels, err := g.v.Relations(g.ctx, id)
	if err != nil {
		return nil
	}
	for _, rel := range rels {
		other := rel.TargetRef
		if other == id {
			other = rel.SourceRef
		}
		if !g.object(other) {
			continue
		}
		wt := 1.0
		if rel.Confidence > 0 {
			wt = float64(rel.Confidence) / 100
		}
		g.edge(rel.SourceRef, rel.TargetRef, rel.Type, wt)
		out = append(out, other)
	}
	if o, err := g.v.Object(g.ctx, id); err == nil && o.Type == "indicator" {
		if ind, ok := indicator.FromSTIX(o); ok {
			vid := valuePrefix + ind.Value
			if g.node(vid, ind.Value, ind.Type.String()) {
				g.edge(id, vid, "carries", 1)
				out = append(out, vid)
			}
		}
	}
	return out
}

func (a *API) buildGraph(ctx context.Context, c *call, root string, depth int) (*Graph, error) {
	g := &graphBuilder{ctx: ctx, v: c.view, nodes: map[string]*GraphNode{}, edges: map[[3]string]GraphEdge{}}
	start := ""
	switch {
	case strings.HasPrefix(root, valuePrefix):
		start = root
	case strings.Contains(root, "--") && g.object(root):
		start = root
	default:
		if act, err := knowledge.ResolveActor(ctx, c.view, root); err == nil && len(act.IDs) > 0 && g.object(act.IDs[0]) {
			start = act.IDs[0]
		} else if t, v, err := indicator.Detect(indicator.Refang(root)); err == nil {
			start = valuePrefix + v
			g.node(start, v, t.String())
		}
	}
	if start == "" {
		return nil, knowledge.ErrNotFound
	}
	if value, ok := strings.CutPrefix(start, valuePrefix); ok && len(g.nodes) == 0 {
		typ := "value"
		if t, _, err := indicator.Detect(value); err == nil {
			typ = t.String()
		}
		g.node(start, value, typ)
	}
	frontier := []string{start}
	seen := map[string]bool{start: true}
	for d := 0; d < depth && len(frontier) > 0 && !g.full; d++ {
		var next []string
		for _, id := range frontier {
			for _, n := range g.expand(id) {
				if !seen[n] {
					seen[n] = true
					next = append(next, n)
				}
			}
		}
		frontier = next
	}
	out := &Graph{Nodes: make([]GraphNode, 0, len(g.nodes)), Edges: make([]GraphEdge, 0, len(g.edges)), Truncated: g.full}
	for _, n := range g.nodes {
		out.Nodes = append(out.Nodes, *n)
	}
	sort.Slice(out.Nodes, func(i, j int) bool { return out.Nodes[i].ID < out.Nodes[j].ID })
	pos := map[string]int{}
	for i, n := range out.Nodes {
		pos[n.ID] = i
	}
	for _, e := range g.edges {
		if _, ok := pos[e.Source]; ok {
			if _, ok := pos[e.Target]; ok {
				out.Edges = append(out.Edges, e)
			}
		}
	}
	sort.Slice(out.Edges, func(i, j int) bool {
		a, b := out.Edges[i], out.Edges[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		return a.Kind < b.Kind
	})
	les := make([]layout.Edge, len(out.Edges))
	for i, e := range out.Edges {
		les[i] = layout.Edge{A: pos[e.Source], B: pos[e.Target], Weight: e.Weight}
	}
	iters := 300
	if len(out.Nodes) > 150 {
		iters = 150
	}
	pts := layout.Force(len(out.Nodes), les, layout.Options{Width: 1000, Height: 700, Iterations: iters, Seed: 1})
	for i := range out.Nodes {
		out.Nodes[i].X, out.Nodes[i].Y = pts[i].X, pts[i].Y
	}
	return out, nil
}
