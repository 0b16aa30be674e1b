package attribution

import (
	"math"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// baseWeight is how much sharing one value of a kind says when nobody
// else shares it: a malware hash or a stolen signing certificate is close
// to a fingerprint, a /24 or a technique is a hint.
var baseWeight = map[string]float64{
	KindHash: 0.7, KindCodeSign: 0.8, KindCert: 0.6, KindWhoisEmail: 0.6, KindWhoisPhone: 0.5,
	KindDomain: 0.5, KindURL: 0.5, KindC2Pattern: 0.4, KindIP: 0.35, KindRegDomain: 0.3,
	KindSubnet: 0.15, KindFingerprint: 0.1, KindArtifact: 0.1, KindTechnique: 0.3,
	KindVictim: 0.05, KindTime: 0.05,
}

// techniquePrior is the rarity (0 common .. 1 distinctive) of techniques
// used when the store knows too few groups to count: phishing and common
// C2 channels say little, stolen code signing and supply-chain
// compromise a lot.
var techniquePrior = map[string]float64{
	"T1566": 0.05, "T1566.001": 0.1, "T1566.002": 0.1, "T1059": 0.05, "T1059.001": 0.1, "T1071": 0.05,
	"T1071.001": 0.05, "T1105": 0.05, "T1204": 0.05, "T1204.002": 0.1, "T1027": 0.1, "T1082": 0.05,
	"T1083": 0.05, "T1547.001": 0.1, "T1053.005": 0.1, "T1078": 0.2, "T1190": 0.2,
	"T1553.002": 0.9, "T1195.002": 0.85, "T1588.003": 0.85, "T1587.002": 0.8, "T1014": 0.6,
	"T1574.002": 0.4, "T1090": 0.3, "T1583.001": 0.3, "T1598.003": 0.4, "T1530": 0.5,
}

// minGroupsForRarity is how many groups with known techniques the store
// must hold before rarity is counted instead of taken from the prior.
const minGroupsForRarity = 10

// maxPosting bounds how many nodes one value may connect: a value shared
// by hundreds of nodes has next to no weight anyway, and pairing them all
// would be quadratic.
const maxPosting = 200

// feature is one value of a node, keyed for the inverted index.
type feature struct {
	kind, value, source string
}

// features derives the comparable values of a node.
func (e *engine) features(n *Node) []feature {
	var fs []feature
	add := func(kind, value, source string) { fs = append(fs, feature{kind, value, source}) }
	subs := map[string]map[string]bool{} // registered domain -> subdomains, for C2 patterns
	subSrc := map[string]string{}        // registered domain -> who reported the subdomains
	domain := func(d, src string) {
		if e.allow.Allowed(indicator.Domain, d) {
			return
		}
		add(KindDomain, d, src)
		if rd, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil && !e.allow.Allowed(indicator.Domain, rd) {
			add(KindRegDomain, rd, src)
			if rd != d {
				if subs[rd] == nil {
					subs[rd] = map[string]bool{}
				}
				subs[rd][d] = true
				if src != "" && !strings.Contains(subSrc[rd], src) {
					subSrc[rd] = joinSources(subSrc[rd], src)
				}
			}
		}
	}
	addr := func(s, src string) {
		a, err := netip.ParseAddr(s)
		if err != nil || e.allow.AllowedAddr(a) {
			return
		}
		add(KindIP, a.Unmap().String(), src)
		bits := 24
		if a.Unmap().Is6() {
			bits = 48
		}
		p, _ := a.Unmap().Prefix(bits)
		// The same /24 counts fully only inside one ASN; without an MMDB
		// to tell, it counts as a weaker "same /24, ASN unknown".
		if info, _ := e.geo.Lookup(a); info.ASN != 0 {
			add(KindSubnet, p.String()+" AS"+strconv.FormatUint(uint64(info.ASN), 10), src)
		} else {
			add(KindSubnet, p.String()+" ASN unknown", src)
		}
	}
	for _, o := range n.Observables {
		if e.allow.Allowed(o.Type, o.Value) {
			continue
		}
		switch o.Type {
		case indicator.IPv4, indicator.IPv6:
			addr(o.Value, o.Source)
		case indicator.CIDR:
			add(KindIP, o.Value, o.Source)
		case indicator.Domain:
			domain(o.Value, o.Source)
		case indicator.URL:
			add(KindURL, o.Value, o.Source)
			if h := hostOf(o.Type, o.Value); h != "" {
				if _, err := netip.ParseAddr(h); err == nil {
					addr(h, o.Source)
				} else {
					domain(h, o.Source)
				}
			}
		case indicator.Email:
			add(KindWhoisEmail, o.Value, o.Source)
		case indicator.Phone:
			add(KindWhoisPhone, o.Value, o.Source)
		case indicator.CertSHA1, indicator.CertSHA256:
			add(KindCert, o.Value, o.Source)
		case indicator.CertSerial:
			add(KindCodeSign, o.Value, o.Source)
		case indicator.MD5, indicator.SHA1, indicator.SHA256, indicator.SHA512:
			add(KindHash, o.Value, o.Source)
		case indicator.JA3, indicator.JA3S, indicator.JA4:
			add(KindFingerprint, o.Value, o.Source)
		case indicator.Cookie, indicator.UserAgent, indicator.FileName:
			add(KindArtifact, o.Type.String()+":"+o.Value, o.Source)
		}
	}
	// Per-target subdomains of one root (nexon.example.com,
	// microsoft.example.com): the naming habit survives a change of IPs.
	for rd, s := range subs {
		if len(s) >= 2 {
			add(KindC2Pattern, "*."+rd, subSrc[rd])
		}
	}
	for _, t := range n.Techniques {
		add(KindTechnique, t, "")
	}
	for _, v := range n.Victims {
		add(KindVictim, v, "")
	}
	// Keep one feature per (kind, value); sources merged.
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].kind != fs[j].kind {
			return fs[i].kind < fs[j].kind
		}
		if fs[i].value != fs[j].value {
			return fs[i].value < fs[j].value
		}
		return fs[i].source < fs[j].source
	})
	out := fs[:0]
	for i, f := range fs {
		if i > 0 && f.kind == fs[i-1].kind && f.value == fs[i-1].value {
			if f.source != "" && !strings.Contains(out[len(out)-1].source, f.source) {
				if out[len(out)-1].source != "" {
					out[len(out)-1].source += ","
				}
				out[len(out)-1].source += f.source
			}
			continue
		}
		out = append(out, f)
	}
	return out
}

// hostOf returns the host of a URL or the domain of an e-mail address.
func hostOf(t indicator.Type, v string) string {
	switch t {
	case indicator.URL:
		s := v
		if !strings.Contains(s, "://") {
			s = "http://" + s
		}
		u, err := url.Parse(s)
		if err != nil {
			return ""
		}
		return strings.ToLower(u.Hostname())
	case indicator.Email:
		if i := strings.LastIndexByte(v, '@'); i >= 0 {
			return strings.ToLower(v[i+1:])
		}
	}
	return ""
}

// rarity says how distinctive a technique is, 0..1.
func (e *engine) rarity(t string) float64 {
	if e.in.Groups >= minGroupsForRarity {
		c := e.in.TechniqueGroups[t]
		return 1 - math.Log1p(float64(c))/math.Log1p(float64(e.in.Groups))
	}
	if r, ok := techniquePrior[t]; ok {
		return r
	}
	if i := strings.IndexByte(t, '.'); i > 0 {
		if r, ok := techniquePrior[t[:i]]; ok {
			return r
		}
	}
	return 0.3
}

// specificity scales a value's weight by how many unrelated groups share
// it: 1 when only two do (the pair in question), falling towards 0 as it
// approaches every group, like inverse document frequency.
func specificity(df, groups int) float64 {
	if df <= 2 || groups <= 2 {
		return 1
	}
	s := math.Log(float64(groups)/float64(df)) / math.Log(float64(groups)/2)
	return max(0, min(1, s))
}

// combine merges independent pieces of evidence: the chance that at
// least one of them is right (noisy-OR).
func combine(ws ...float64) float64 {
	p := 1.0
	for _, w := range ws {
		p *= 1 - min(max(w, 0), 1)
	}
	return 1 - p
}

// pairs computes, for every two nodes that share something, the evidence
// and the combined weight of the edge.
func (e *engine) pairs() {
	n := len(e.in.Nodes)
	type posting struct {
		node   int32
		source string
	}
	// One map operation per feature: keys are interned to dense ids and
	// postings kept in a slice per id (BenchmarkRun).
	type fkey struct{ kind, value string }
	ids := map[fkey]int32{}
	var keys []fkey
	var postings [][]posting
	for i := range e.in.Nodes {
		for _, f := range e.features(&e.in.Nodes[i]) {
			k := fkey{f.kind, f.value}
			id, ok := ids[k]
			if !ok {
				id = int32(len(keys))
				ids[k] = id
				keys = append(keys, k)
				postings = append(postings, nil)
			}
			postings[id] = append(postings[id], posting{int32(i), f.source})
		}
	}
	order := make([]int32, len(keys))
	for i := range order {
		order[i] = int32(i)
	}
	sort.Slice(order, func(a, b int) bool {
		x, y := keys[order[a]], keys[order[b]]
		if x.kind != y.kind {
			return x.kind < y.kind
		}
		return x.value < y.value
	})
	groupsTotal := map[string]bool{}
	for i := 0; i < n; i++ {
		groupsTotal[e.group[i]] = true
	}
	G := len(groupsTotal)
	e.edges = map[uint64]*edge{}
	for _, id := range order {
		ps := postings[id]
		if len(ps) < 2 || len(ps) > maxPosting {
			continue
		}
		kind, value := keys[id].kind, keys[id].value
		gs := map[string]bool{}
		for _, p := range ps {
			gs[e.group[p.node]] = true
		}
		var w float64
		if kind == KindSubnet && strings.HasSuffix(value, " ASN unknown") {
			w = baseWeight[kind] * 0.5 * specificity(len(gs), G)
		} else if kind == KindTechnique {
			w = baseWeight[kind] * e.rarity(value)
		} else {
			w = baseWeight[kind] * specificity(len(gs), G)
		}
		if w < 0.005 {
			continue
		}
		for a := 0; a < len(ps); a++ {
			for b := a + 1; b < len(ps); b++ {
				i, j := ps[a], ps[b]
				if i.node > j.node {
					i, j = j, i
				}
				key := uint64(i.node)<<32 | uint64(j.node)
				ed := e.edges[key]
				if ed == nil {
					ed = &edge{a: i.node, b: j.node}
					e.edges[key] = ed
				}
				src := joinSources(i.source, j.source)
				ed.ev = append(ed.ev, Evidence{Kind: kind, Value: value, Source: src, Weight: round3(w)})
			}
		}
	}
	for _, ed := range e.edges {
		ed.finish(&e.in.Nodes[ed.a], &e.in.Nodes[ed.b])
	}
}

// edge is the evidence between two nodes.
type edge struct {
	a, b   int32
	ev     []Evidence
	weight float64
}

// finish drops evidence that repeats stronger evidence (a registered
// domain when the domain itself or a C2 pattern under it is shared),
// adds time overlap, and combines what is left. Techniques and victims
// together count at most as much as one strong piece of infrastructure,
// and never make an edge on their own beyond that.
func (ed *edge) finish(x, y *Node) {
	covered := map[string]bool{}
	for _, v := range ed.ev {
		if v.Kind == KindDomain {
			if rd, err := publicsuffix.EffectiveTLDPlusOne(v.Value); err == nil {
				covered[rd] = true
			}
		}
		if v.Kind == KindC2Pattern {
			covered[strings.TrimPrefix(v.Value, "*.")] = true
		}
	}
	out := ed.ev[:0]
	var infra, soft []float64
	for _, v := range ed.ev {
		if v.Kind == KindRegDomain && covered[v.Value] {
			continue
		}
		out = append(out, v)
		switch v.Kind {
		case KindTechnique, KindVictim:
			soft = append(soft, v.Weight)
		default:
			infra = append(infra, v.Weight)
		}
	}
	if len(out) > 0 && overlaps(x, y) {
		out = append(out, Evidence{Kind: KindTime, Value: span(x) + " / " + span(y), Weight: baseWeight[KindTime]})
		soft = append(soft, baseWeight[KindTime])
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Weight != out[j].Weight {
			return out[i].Weight > out[j].Weight
		}
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Value < out[j].Value
	})
	ed.ev = out
	ed.weight = combine(combine(infra...), min(combine(soft...), 0.5))
}

// overlaps reports whether two nodes were active at overlapping times
// (a year of slack either side, since reports date publication, not
// activity).
func overlaps(x, y *Node) bool {
	if x.First.IsZero() || y.First.IsZero() {
		return false
	}
	const slack = 365 * 24 * 3600 * 1e9
	return !x.First.After(y.Last.Add(slack)) && !y.First.After(x.Last.Add(slack))
}

func span(n *Node) string {
	if n.Last.After(n.First) && n.Last.Format("2006-01-02") != n.First.Format("2006-01-02") {
		return n.First.Format("2006-01-02") + ".." + n.Last.Format("2006-01-02")
	}
	return n.First.Format("2006-01-02")
}

func joinSources(a, b string) string {
	switch {
	case a == "" || a == b:
		return b
	case b == "":
		return a
	case a < b:
		return a + "," + b
	}
	return b + "," + a
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
