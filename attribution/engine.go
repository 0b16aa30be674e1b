package attribution

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/umbra-cti/umbra/attribution/cluster"
	"github.com/umbra-cti/umbra/attribution/geo"
	"github.com/umbra-cti/umbra/knowledge"
)

// Options tune a run.
type Options struct {
	// Allow lists values that carry no weight; nil means the built-in list.
	Allow *AllowList
	// Geo enriches addresses (ASN for same-/24 evidence, leads' origin).
	Geo *geo.DB
	// Resolution is the clustering resolution (0 means 1).
	Resolution float64
	// MinConfidence drops candidates below it (0 means 1).
	MinConfidence int
	// MaxCandidates bounds the candidates per subject (0 means 5).
	MaxCandidates int
	// MaxEvidence bounds the evidence listed per candidate (0 means 10).
	MaxEvidence int
	// Previous, the State of an earlier run, makes clustering an update:
	// connected components whose nodes and edges did not change keep
	// their communities, and only the others are clustered again.
	Previous *State
}

// State is what a run leaves for the next one to update from.
type State struct {
	labels     map[string]string // node id -> its community, named by its smallest member id
	edges      map[string]uint64 // node id -> hash of its edges
	resolution float64           // communities found at another resolution are not reused
	// Reclustered counts the nodes whose component was clustered again
	// (all nodes in components of two or more on a first run).
	Reclustered int
}

// Result is what a run concludes.
type Result struct {
	Umbrellas    []Umbrella    `json:"umbrellas"`
	Attributions []Attribution `json:"attributions"`
	Leads        []Lead        `json:"leads"`
	// State lets the next run update the clustering (Options.Previous).
	State *State `json:"-"`
}

// Umbrella is a community of the overlap graph.
type Umbrella struct {
	Name       string     `json:"name"`
	ID         string     `json:"-"` // the umbrella intrusion set, when one exists
	Members    []string   `json:"members"`
	Confidence int        `json:"confidence"`
	Evidence   []Evidence `json:"evidence"`
}

// Subject names what an attribution is about.
type Subject struct {
	Type NodeType `json:"type"`
	ID   string   `json:"id"`
	Name string   `json:"name"`
}

// Attribution ranks the candidate actors of one subject, best first.
type Attribution struct {
	Subject    Subject     `json:"subject"`
	Candidates []Candidate `json:"candidates"`
}

// Candidate is one actor or umbrella a subject may be attributed to.
type Candidate struct {
	Actor           string     `json:"actor"`
	ActorID         string     `json:"-"`
	Confidence      int        `json:"confidence"`
	ConfidenceWords string     `json:"confidence_words"`
	Evidence        []Evidence `json:"evidence"`
	score           float64
}

type engine struct {
	in    *Input
	allow *AllowList
	geo   *geo.DB
	opt   Options
	byID  map[string]int
	group []string // node -> the group it belongs to for specificity
	edges map[uint64]*edge
	adj   [][]int32 // node -> neighbours through edges
	comm  []int32   // communities after folding into umbrellas
	// keys name each node's community as clustered, before folding into
	// umbrellas, and hashes fingerprint each node's edges: both go into
	// State for the next run to update from.
	keys        []string
	hashes      []uint64
	reclustered int
	// actorsMemo caches actorsOf: the known links do not change during a run.
	actorsMemo map[int]map[int]float64
}

// minClusterKnown is the weight below which a source's attribution or
// membership link does not take part in clustering (below medium).
const minClusterKnown = 0.3

// defaultKnownConfidence is assumed for an attribution or membership a
// source published without a confidence.
const defaultKnownConfidence = 85

func newEngine(in *Input, opt Options) *engine {
	e := &engine{in: in, opt: opt, geo: opt.Geo, byID: map[string]int{}}
	e.allow = opt.Allow
	if e.allow == nil {
		e.allow = DefaultAllowList()
	}
	if e.opt.MinConfidence <= 0 {
		e.opt.MinConfidence = 1
	}
	if e.opt.MaxCandidates <= 0 {
		e.opt.MaxCandidates = 5
	}
	if e.opt.MaxEvidence <= 0 {
		e.opt.MaxEvidence = 10
	}
	for i, n := range in.Nodes {
		e.byID[n.ID] = i
	}
	// Certificates anyone can get (a free issuer) say nothing about who
	// holds them: their fingerprints join this run's allow list.
	var issued []string
	for _, c := range in.Certificates {
		if e.allow.AllowedIssuer(c.Issuer) {
			issued = append(issued, c.Hashes...)
			if c.Serial != "" {
				issued = append(issued, c.Serial)
			}
		}
	}
	if len(issued) > 0 {
		a := &AllowList{domains: map[string]bool{}, values: map[string]bool{}}
		a.Merge(e.allow)
		for _, v := range issued {
			a.values[v] = true
		}
		e.allow = a
	}
	// A node's group is the outermost actor a source puts it under: an
	// Area report attributed to the umbrella and the umbrella itself are
	// one group, so the values they share do not look widely shared.
	e.group = make([]string, len(in.Nodes))
	for i := range in.Nodes {
		e.group[i] = e.root(in.Nodes[i].ID, 0)
	}
	return e
}

func (e *engine) root(id string, depth int) string {
	i, ok := e.byID[id]
	if !ok || depth > 8 {
		return id
	}
	best := ""
	for _, k := range e.in.Nodes[i].Known {
		if r := e.root(k.Actor, depth+1); best == "" || r < best {
			best = r
		}
	}
	if best == "" {
		return id
	}
	return best
}

// Run builds the overlap graph of in (plus incidents), clusters it and
// ranks candidates for every report, incident, campaign and intrusion
// set. The result depends only on its input.
func Run(in *Input, incidents []Node, opt Options) *Result {
	all := *in
	nodes := append(append([]Node(nil), in.Nodes...), incidents...)
	var adj foldAdjust
	all.Nodes, adj = foldGroups(in, nodes)
	if adj.groups > 0 || len(adj.techniques) > 0 {
		all.TechniqueGroups = map[string]int{}
		for t, c := range in.TechniqueGroups {
			all.TechniqueGroups[t] = max(1, c-adj.techniques[t])
		}
		all.Groups = max(1, in.Groups-adj.groups)
	}
	e := newEngine(&all, opt)
	e.pairs()
	e.cluster()
	res := &Result{Umbrellas: e.umbrellas(), Attributions: e.attributions(), Leads: []Lead{}, State: e.state()}
	return res
}

func knownWeight(k KnownLink) float64 {
	c := k.Confidence
	if c <= 0 {
		c = defaultKnownConfidence
	}
	return float64(c) / 100
}

// wedge is one weighted edge of the clustering graph.
type wedge struct {
	a, b int32
	w    float64
}

// cluster finds the communities of the overlap graph one connected
// component at a time. Components share no evidence, so clustering them
// apart loses nothing an analyst would want, and it makes updates exact:
// a component whose nodes and edges did not change keeps its communities
// from the previous run, and one that changed is clustered again from
// scratch, so an update always equals a full run (TestIncrementalUpdateIsLocal).
// Within a component nodes are ordered by id, so the result does not
// depend on the order of the input either.
func (e *engine) cluster() {
	n := len(e.in.Nodes)
	e.adj = make([][]int32, n)
	var edges []wedge
	keys := make([]uint64, 0, len(e.edges))
	for k := range e.edges {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, k := range keys {
		ed := e.edges[k]
		edges = append(edges, wedge{ed.a, ed.b, ed.weight})
		e.adj[ed.a] = append(e.adj[ed.a], ed.b)
		e.adj[ed.b] = append(e.adj[ed.b], ed.a)
	}
	for i, nd := range e.in.Nodes {
		for _, k := range nd.Known {
			// A low-confidence link (a survey naming six actors gives
			// each a sixth) still passes evidence on, but does not make a
			// group an umbrella's member: Louvain puts a node with one
			// edge beside its neighbour however weak that edge is.
			if j, ok := e.byID[k.Actor]; ok && j != i && knownWeight(k) >= minClusterKnown {
				edges = append(edges, wedge{int32(i), int32(j), knownWeight(k)})
			}
		}
	}
	e.hashes = e.edgeHashes(edges)
	parent := make([]int32, n)
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, ed := range edges {
		ra, rb := find(ed.a), find(ed.b)
		if ra != rb {
			parent[max(ra, rb)] = min(ra, rb)
		}
	}
	comps := map[int32][]int32{}
	for i := range parent {
		r := find(int32(i))
		comps[r] = append(comps[r], int32(i))
	}
	compEdges := map[int32][]wedge{}
	for _, ed := range edges {
		r := find(ed.a)
		compEdges[r] = append(compEdges[r], ed)
	}
	// key[i] names node i's community by the smallest id among its members.
	key := make([]string, n)
	local := make([]int32, n) // node -> index inside its component
	copt := cluster.Options{Resolution: e.opt.Resolution}
	p := e.opt.Previous
	if p != nil && p.resolution != e.opt.Resolution {
		p = nil
	}
	for r, ms := range comps {
		id := func(i int32) string { return e.in.Nodes[i].ID }
		sort.Slice(ms, func(a, b int) bool { return id(ms[a]) < id(ms[b]) })
		if len(ms) == 1 {
			key[ms[0]] = id(ms[0])
			continue
		}
		if p != nil && e.unchanged(ms) {
			for _, i := range ms {
				key[i] = p.labels[id(i)]
			}
			continue
		}
		e.reclustered += len(ms)
		for li, i := range ms {
			local[i] = int32(li)
		}
		es := compEdges[r]
		sort.Slice(es, func(a, b int) bool {
			x0, x1 := min(local[es[a].a], local[es[a].b]), max(local[es[a].a], local[es[a].b])
			y0, y1 := min(local[es[b].a], local[es[b].b]), max(local[es[b].a], local[es[b].b])
			if x0 != y0 {
				return x0 < y0
			}
			if x1 != y1 {
				return x1 < y1
			}
			return es[a].w < es[b].w
		})
		b := cluster.NewBuilder(len(ms))
		for _, ed := range es {
			b.AddEdge(int(local[ed.a]), int(local[ed.b]), ed.w)
		}
		labels := cluster.Louvain(b.Build(), copt)
		first := map[int32]string{}
		for li, i := range ms { // ms is in id order: the first seen is the smallest
			if _, ok := first[labels[li]]; !ok {
				first[labels[li]] = id(i)
			}
			key[i] = first[labels[li]]
		}
	}
	e.keys = key
	distinct := append([]string(nil), key...)
	sort.Strings(distinct)
	distinct = slices.Compact(distinct)
	num := make(map[string]int32, len(distinct))
	for i, k := range distinct {
		num[k] = int32(i)
	}
	e.comm = make([]int32, n)
	for i, k := range key {
		e.comm[i] = num[k]
	}
	e.foldIntoUmbrellas()
}

// unchanged reports whether a component is the same as in the previous
// run: every node was there with the same edges (the hash covers the
// neighbours' ids, weights and known links), so its communities are too.
func (e *engine) unchanged(ms []int32) bool {
	p := e.opt.Previous
	if p.edges == nil {
		return false
	}
	for _, i := range ms {
		id := e.in.Nodes[i].ID
		h, ok := p.edges[id]
		if !ok || h != e.hashes[i] {
			return false
		}
		if _, ok := p.labels[id]; !ok {
			return false
		}
	}
	return true
}

// edgeHashes fingerprints each node's edges in the clustering graph —
// both directions, so a report attributed to an actor changes the actor's
// fingerprint too, and so does that report's removal — letting an update
// tell which components changed.
func (e *engine) edgeHashes(edges []wedge) []uint64 {
	type nbr struct {
		id string
		w  float64
	}
	nb := make([][]nbr, len(e.in.Nodes))
	for _, ed := range edges {
		nb[ed.a] = append(nb[ed.a], nbr{e.in.Nodes[ed.b].ID, ed.w})
		nb[ed.b] = append(nb[ed.b], nbr{e.in.Nodes[ed.a].ID, ed.w})
	}
	out := make([]uint64, len(e.in.Nodes))
	var buf [8]byte
	for i, ns := range nb {
		sort.Slice(ns, func(a, b int) bool {
			if ns[a].id != ns[b].id {
				return ns[a].id < ns[b].id
			}
			return ns[a].w < ns[b].w
		})
		h := fnv.New64a()
		for _, x := range ns {
			h.Write([]byte(x.id))
			h.Write([]byte{0})
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(x.w))
			h.Write(buf[:])
		}
		out[i] = h.Sum64()
	}
	return out
}

func (e *engine) state() *State {
	s := &State{labels: map[string]string{}, edges: map[string]uint64{}, Reclustered: e.reclustered, resolution: e.opt.Resolution}
	for i, nd := range e.in.Nodes {
		s.labels[nd.ID] = e.keys[i]
		s.edges[nd.ID] = e.hashes[i]
	}
	return s
}

// foldIntoUmbrellas merges a community into an umbrella's when most of
// its nodes are, by their sources' word, members of that umbrella: the
// umbrella's own hundreds of indicators otherwise pull it into a
// community of its reports and leave its member groups in another.
func (e *engine) foldIntoUmbrellas() {
	umbrellaComm := map[int]int32{} // umbrella node -> its community
	for i, n := range e.in.Nodes {
		if n.Umbrella {
			umbrellaComm[i] = e.comm[i]
		}
	}
	if len(umbrellaComm) == 0 {
		return
	}
	size := map[int32]int{}
	votes := map[int32]map[int]int{}
	for i := range e.in.Nodes {
		c := e.comm[i]
		size[c]++
		for a := range e.actorsOf(i) {
			if _, ok := umbrellaComm[a]; ok && a != i {
				if votes[c] == nil {
					votes[c] = map[int]int{}
				}
				votes[c][a]++
			}
		}
	}
	remap := map[int32]int32{}
	for c, vs := range votes {
		best, bestN := -1, 0
		for u, n := range vs {
			if n > bestN || (n == bestN && u < best) {
				best, bestN = u, n
			}
		}
		if best >= 0 && 2*bestN > size[c] && umbrellaComm[best] != c {
			hasUmbrella := false
			for u, uc := range umbrellaComm {
				hasUmbrella = hasUmbrella || (uc == c && u >= 0)
			}
			if !hasUmbrella {
				remap[c] = umbrellaComm[best]
			}
		}
	}
	for i, c := range e.comm {
		if r, ok := remap[c]; ok {
			e.comm[i] = r
		}
	}
}

func (e *engine) edge(i, j int32) *edge {
	if i > j {
		i, j = j, i
	}
	return e.edges[uint64(i)<<32|uint64(j)]
}

// umbrellas reports every community that holds at least two intrusion
// sets or campaigns, or an umbrella with a member.
func (e *engine) umbrellas() []Umbrella {
	members := map[int32][]int{}
	for i, c := range e.comm {
		members[c] = append(members[c], i)
	}
	out := []Umbrella{}
	for _, ms := range members {
		actors, named := 0, -1
		for _, i := range ms {
			nd := &e.in.Nodes[i]
			if nd.Type == IntrusionSet || nd.Type == Campaign {
				actors++
			}
			if nd.Umbrella && (named < 0 || nd.Name < e.in.Nodes[named].Name) {
				named = i
			}
		}
		if actors < 2 && !(named >= 0 && len(ms) > 1) {
			continue
		}
		u := Umbrella{}
		if named >= 0 {
			u.Name, u.ID = e.in.Nodes[named].Name, e.in.Nodes[named].ID
		} else {
			// Name it after its best-connected intrusion set.
			best, bestW := -1, -1.0
			for _, i := range ms {
				if e.in.Nodes[i].Type != IntrusionSet {
					continue
				}
				w := 0.0
				for _, j := range e.adj[i] {
					if e.comm[j] == e.comm[i] {
						w += e.edge(int32(i), j).weight
					}
				}
				if w > bestW {
					best, bestW = i, w
				}
			}
			if best < 0 {
				best = ms[0]
			}
			u.Name = "cluster around " + e.in.Nodes[best].Name
		}
		var conf []float64
		var ev []Evidence
		for _, i := range ms {
			nd := &e.in.Nodes[i]
			u.Members = append(u.Members, memberName(nd))
			if i == named {
				continue
			}
			strongest := 0.0
			for _, j := range e.adj[i] {
				if e.comm[j] != e.comm[i] {
					continue
				}
				ed := e.edge(int32(i), j)
				strongest = max(strongest, ed.weight)
				if int32(i) < j && e.group[i] != e.group[j] {
					for _, v := range ed.ev {
						v.Source = via(v.Source, e.in.Nodes[i].Name+" ~ "+e.in.Nodes[j].Name)
						ev = append(ev, v)
					}
				}
			}
			for _, k := range nd.Known {
				if j, ok := e.byID[k.Actor]; ok && e.comm[j] == e.comm[i] {
					strongest = max(strongest, knownWeight(k))
				}
			}
			conf = append(conf, strongest)
		}
		sort.Strings(u.Members)
		sum := 0.0
		for _, c := range conf {
			sum += c
		}
		if len(conf) > 0 {
			u.Confidence = int(math.Round(100 * sum / float64(len(conf))))
		}
		sortEvidence(ev)
		u.Evidence = topEvidence(ev, e.opt.MaxEvidence)
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Confidence != out[j].Confidence {
			return out[i].Confidence > out[j].Confidence
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return strings.Join(out[i].Members, "\n") < strings.Join(out[j].Members, "\n")
	})
	return out
}

// memberName lists a node as an umbrella member, with the objects folded
// into it.
func memberName(nd *Node) string {
	s := string(nd.Type) + ": " + nd.Name
	if len(nd.Folded) == 0 {
		return s
	}
	var names []string
	for _, f := range nd.Folded {
		names = append(names, f.Name)
	}
	return s + " (with " + strings.Join(names, ", ") + ")"
}

func via(source, through string) string {
	if source == "" {
		return "via " + through
	}
	return source + " via " + through
}

func sortEvidence(ev []Evidence) {
	sort.SliceStable(ev, func(i, j int) bool {
		if ev[i].Weight != ev[j].Weight {
			return ev[i].Weight > ev[j].Weight
		}
		if ev[i].Kind != ev[j].Kind {
			return ev[i].Kind < ev[j].Kind
		}
		if ev[i].Value != ev[j].Value {
			return ev[i].Value < ev[j].Value
		}
		return ev[i].Source < ev[j].Source
	})
}

// topEvidence keeps the strongest n, one per (kind, value).
func topEvidence(ev []Evidence, n int) []Evidence {
	out := []Evidence{}
	seen := map[string]bool{}
	for _, v := range ev {
		k := v.Kind + "\x00" + v.Value
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, v)
		if len(out) == n {
			break
		}
	}
	return out
}

// actorsOf lists the intrusion sets node i stands for or is attributed
// to, with how much the link is worth, including the umbrellas above
// them.
func (e *engine) actorsOf(i int) map[int]float64 {
	if m, ok := e.actorsMemo[i]; ok {
		return m
	}
	out := map[int]float64{}
	defer func() {
		if e.actorsMemo == nil {
			e.actorsMemo = map[int]map[int]float64{}
		}
		e.actorsMemo[i] = out
	}()
	var walk func(j int, f float64, depth int)
	walk = func(j int, f float64, depth int) {
		if depth > 8 || f <= out[j] {
			return
		}
		if e.in.Nodes[j].Type == IntrusionSet {
			out[j] = f
		}
		for _, k := range e.in.Nodes[j].Known {
			if a, ok := e.byID[k.Actor]; ok {
				walk(a, f*knownWeight(k), depth+1)
			}
		}
	}
	walk(i, 1, 0)
	return out
}

// attributions ranks candidates for every subject: each neighbour that
// stands for or is attributed to an actor passes its edge's evidence on
// to that actor, discounted by the neighbour's own attribution
// confidence; independent paths combine by noisy-OR.
func (e *engine) attributions() []Attribution {
	out := []Attribution{}
	for i := range e.in.Nodes {
		s := &e.in.Nodes[i]
		if s.Umbrella {
			continue
		}
		cands := map[int]*Candidate{}
		self := map[int]float64{}               // actor -> what sources say about the subject
		found := map[int]map[string]*Evidence{} // actor -> strongest evidence per (kind, value)
		get := func(a int) *Candidate {
			c := cands[a]
			if c == nil {
				c = &Candidate{Actor: e.in.Nodes[a].Name, ActorID: e.in.Nodes[a].ID}
				cands[a] = c
				found[a] = map[string]*Evidence{}
			}
			return c
		}
		mine := e.actorsOf(i)
		for a, f := range mine {
			if a == i {
				continue
			}
			get(a)
			self[a] = f
		}
		for _, j := range e.adj[i] {
			// Values shared with an actor the subject's own source
			// attributes it to are an echo of that attribution (the
			// import linked them), not independent evidence.
			// Our own sightings are not imports: what an incident shares
			// with an actor whose netblock it also sighted is independent.
			if _, echo := mine[int(j)]; echo && s.Type != Incident {
				continue
			}
			ed := e.edge(int32(i), j)
			for a, f := range e.actorsOf(int(j)) {
				if a == i {
					continue
				}
				get(a)
				for _, v := range ed.ev {
					// The same value often reaches an actor by several
					// paths (the actor's own indicator and a report
					// attributed to it): it counts once, by its best path.
					key := v.Kind + "\x00" + v.Value
					if v.Kind == KindTime {
						key = v.Kind
					}
					v.Weight = round3(v.Weight * f)
					if int(j) != a {
						v.Source = via(v.Source, string(e.in.Nodes[j].Type)+" "+e.in.Nodes[j].Name)
					}
					if cur := found[a][key]; cur == nil || v.Weight > cur.Weight {
						vv := v
						found[a][key] = &vv
					}
				}
			}
		}
		var list []Candidate
		for a, c := range cands {
			var infra, soft []float64
			for _, v := range found[a] {
				c.Evidence = append(c.Evidence, *v)
				switch v.Kind {
				case KindTechnique, KindVictim, KindTime:
					soft = append(soft, v.Weight)
				default:
					infra = append(infra, v.Weight)
				}
			}
			shared := combine(combine(infra...), min(combine(soft...), 0.5))
			if len(infra) == 0 {
				// Techniques, victims and time alone suggest, never establish.
				shared = min(shared, 0.29)
			}
			if f, ok := self[a]; ok {
				kind := KindSourceAttribute
				if s.Type == Incident {
					kind = KindSighted
					for _, k := range s.Known {
						if k.Relation == KindOpsecSlip {
							kind = KindOpsecSlip
						}
					}
				}
				c.Evidence = append(c.Evidence, Evidence{Kind: kind, Value: e.in.Nodes[a].Name,
					Source: e.knownSource(i), Weight: round3(f)})
				c.score = combine(f, shared)
			} else {
				c.score = shared
			}
			c.Confidence = int(math.Round(100 * c.score))
			if c.Confidence < e.opt.MinConfidence {
				continue
			}
			c.ConfidenceWords = knowledge.ConfidenceWords(c.Confidence)
			sortEvidence(c.Evidence)
			c.Evidence = topEvidence(c.Evidence, e.opt.MaxEvidence)
			// Which copies of the actor were scored as one, and on whose
			// word: provenance, not support, so no weight.
			for _, f := range e.in.Nodes[a].Folded {
				c.Evidence = append(c.Evidence, Evidence{Kind: KindSameGroup, Value: f.Name + " (" + f.ID + ")",
					Source: f.Why, Weight: 0})
			}
			list = append(list, *c)
		}
		if len(list) == 0 {
			continue
		}
		sort.Slice(list, func(x, y int) bool {
			if list[x].score != list[y].score {
				return list[x].score > list[y].score
			}
			if list[x].Actor != list[y].Actor {
				return list[x].Actor < list[y].Actor
			}
			return list[x].ActorID < list[y].ActorID
		})
		if len(list) > e.opt.MaxCandidates {
			list = list[:e.opt.MaxCandidates]
		}
		out = append(out, Attribution{Subject: Subject{Type: s.Type, ID: s.ID, Name: s.Name}, Candidates: list})
	}
	sort.SliceStable(out, func(x, y int) bool {
		if out[x].Subject.Type != out[y].Subject.Type {
			return typeOrder(out[x].Subject.Type) < typeOrder(out[y].Subject.Type)
		}
		if out[x].Subject.Name != out[y].Subject.Name {
			return out[x].Subject.Name < out[y].Subject.Name
		}
		return out[x].Subject.ID < out[y].Subject.ID
	})
	return out
}

func (e *engine) knownSource(i int) string {
	var s []string
	for _, k := range e.in.Nodes[i].Known {
		if k.Source != "" {
			s = append(s, k.Source)
		}
	}
	return strings.Join(dedupeStrings(s), ",")
}

func typeOrder(t NodeType) int {
	switch t {
	case Incident:
		return 0
	case Report:
		return 1
	case Campaign:
		return 2
	}
	return 3
}
