package attribution

import (
	"regexp"
	"sort"
	"strings"

	"github.com/umbra-cti/umbra/knowledge"
)

// Folded is an object that a run scored as part of another one's group,
// and the name claims that put it there. Folding is derived and redone on
// every run: the store keeps each source's object and claims as they are.
type Folded struct {
	ID   string
	Name string
	// Why says which claims folded it, e.g. `name "APT41" (misp-galaxy; umbra-kb)`.
	Why     string
	Sources []string
}

// attackID matches the norm of an ATT&CK group id (g0044).
var attackID = regexp.MustCompile(`^g[0-9]{4}$`)

// foldGroups folds intrusion sets that the knowledge layer's name claims
// say are one group into one logical node, so that the KB's, the
// galaxy's and ATT&CK's copies of a group do not compete as candidates or
// split its evidence. Objects fold when
//
//  1. they carry the same canonical name (as actor views group them);
//  2. they claim the same ATT&CK group id (one as its external id, the
//     other as an id or an alias);
//  3. one's canonical name is an active alias of the other, no third
//     group claims that name, and every source that uses it as a group's
//     own name also lists it as the other's alias (a contested name
//     folds nothing).
//
// Two groups that carry different ATT&CK external ids never fold: ATT&CK
// keeps Winnti Group (G0044) apart from APT41 (G0096) even where a galaxy
// lists one as a synonym of the other. An umbrella folds only with
// objects of its own name. Known links, netblocks and technique counts
// are redirected to the representative; each member's claims are kept
// in the node's Folded list and shown as evidence.
func foldGroups(in *Input, nodes []Node) ([]Node, foldAdjust) {
	var adj foldAdjust
	if len(in.Claims) == 0 {
		return nodes, adj
	}
	adj.techniques = map[string]int{}
	var sets []int // indexes of intrusion sets
	for i := range nodes {
		if nodes[i].Type == IntrusionSet {
			sets = append(sets, i)
		}
	}
	parent := map[int]int{}
	ids := map[int]map[string]bool{} // set root -> ATT&CK ids it owns
	for _, i := range sets {
		parent[i] = i
		ids[i] = map[string]bool{}
		for _, c := range in.Claims[nodes[i].ID] {
			if c.Kind == knowledge.ClaimExternalID && c.Until == "" && attackID.MatchString(c.Norm) {
				ids[i][c.Norm] = true
			}
		}
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	why := map[int][]string{} // member -> reasons
	srcs := map[int]map[string]bool{}
	union := func(a, b int, reason string, sources []string) bool {
		ra, rb := find(a), find(b)
		if ra == rb {
			return true
		}
		if nodes[a].Umbrella != nodes[b].Umbrella && !strings.HasPrefix(reason, "name ") {
			return false
		}
		if len(ids[ra]) > 0 && len(ids[rb]) > 0 {
			for id := range ids[ra] {
				if !ids[rb][id] {
					return false
				}
			}
			for id := range ids[rb] {
				if !ids[ra][id] {
					return false
				}
			}
		}
		if rb < ra {
			ra, rb = rb, ra
		}
		parent[rb] = ra
		for id := range ids[rb] {
			ids[ra][id] = true
		}
		for _, x := range []int{a, b} {
			why[x] = append(why[x], reason)
			if srcs[x] == nil {
				srcs[x] = map[string]bool{}
			}
			for _, s := range sources {
				srcs[x][s] = true
			}
		}
		return true
	}
	// Who claims each name, and how.
	type claimant struct {
		node    int
		kind    string
		sources []string
	}
	byNorm := map[string][]claimant{}
	for _, i := range sets {
		seen := map[string]int{}
		for _, c := range in.Claims[nodes[i].ID] {
			if c.Until != "" || c.Norm == "" {
				continue
			}
			if k, ok := seen[c.Norm]; ok {
				cl := &byNorm[c.Norm][k]
				cl.sources = append(cl.sources, c.Source)
				if c.Kind == knowledge.ClaimName || c.Kind == knowledge.ClaimExternalID {
					cl.kind = c.Kind
				}
				continue
			}
			seen[c.Norm] = len(byNorm[c.Norm])
			byNorm[c.Norm] = append(byNorm[c.Norm], claimant{i, c.Kind, []string{c.Source}})
		}
	}
	norms := make([]string, 0, len(byNorm))
	for n := range byNorm {
		norms = append(norms, n)
	}
	sort.Strings(norms)
	canonical := func(i int) string { return knowledge.NormName(nodes[i].Name) }
	// 1. Same canonical name.
	byName := map[string][]int{}
	for _, i := range sets {
		byName[canonical(i)] = append(byName[canonical(i)], i)
	}
	for _, n := range norms {
		group := byName[n]
		for _, j := range group[min(1, len(group)):] {
			var s []string
			for _, cl := range byNorm[n] {
				if cl.kind == knowledge.ClaimName {
					s = append(s, cl.sources...)
				}
			}
			s = dedupeStrings(s)
			union(group[0], j, "name \""+nodes[j].Name+"\" ("+strings.Join(s, "; ")+")", s)
		}
	}
	// 2. The same ATT&CK group id.
	for _, n := range norms {
		if !attackID.MatchString(n) {
			continue
		}
		cls := byNorm[n]
		owner := -1
		for _, cl := range cls {
			if cl.kind == knowledge.ClaimExternalID {
				owner = cl.node
				break
			}
		}
		if owner < 0 {
			continue
		}
		for _, cl := range cls {
			if cl.node != owner {
				union(owner, cl.node, "ATT&CK id "+strings.ToUpper(n)+" ("+strings.Join(dedupeStrings(cl.sources), "; ")+")", cl.sources)
			}
		}
	}
	// 3. An uncontested alias naming another object's canonical name,
	// repeated until nothing folds: a fold can make a name uncontested.
	for pass, changed := 0, true; changed && pass < 8; pass++ {
		changed = false
		for _, n := range norms {
			named := byName[n]
			if len(named) == 0 {
				continue
			}
			target := find(named[0])
			others := map[int]claimant{}
			for _, cl := range byNorm[n] {
				if r := find(cl.node); r != target {
					if _, ok := others[r]; !ok {
						others[r] = cl
					}
				}
			}
			if len(others) != 1 {
				continue
			}
			// A source that uses the name for a group of its own, and does
			// not list it as the other's alias, treats them as two groups
			// (401TRG's GREF beside ATT&CK's Ke3chang alias GREF).
			naming := map[string]bool{}
			for _, cl := range byNorm[n] {
				if find(cl.node) == target && cl.kind == knowledge.ClaimName {
					for _, s := range cl.sources {
						naming[s] = true
					}
				}
			}
			for _, cl := range byNorm[n] {
				if find(cl.node) != target {
					for _, s := range cl.sources {
						delete(naming, s)
					}
				}
			}
			if len(naming) > 0 {
				continue
			}
			for _, cl := range others {
				s := dedupeStrings(cl.sources)
				if union(named[0], cl.node, "alias \""+nodes[named[0]].Name+"\" of "+nodes[cl.node].Name+" ("+strings.Join(s, "; ")+")", s) {
					changed = true
				}
			}
		}
	}
	origTech := map[int][]string{}
	for _, i := range sets {
		origTech[i] = append([]string(nil), nodes[i].Techniques...)
	}
	members := map[int][]int{}
	for _, i := range sets {
		members[find(i)] = append(members[find(i)], i)
	}
	rep := map[string]string{} // member id -> representative id
	drop := map[int]bool{}
	for _, ms := range members {
		if len(ms) < 2 {
			continue
		}
		r := representative(in, nodes, ms)
		// The node's slices are the caller's: copy before growing them.
		x := &nodes[r]
		x.Observables = append([]Observable(nil), x.Observables...)
		x.Techniques = append([]string(nil), x.Techniques...)
		x.Victims = append([]string(nil), x.Victims...)
		x.Known = append([]KnownLink(nil), x.Known...)
		x.Folded = append([]Folded(nil), x.Folded...)
		for _, m := range ms {
			rep[nodes[m].ID] = nodes[r].ID
			if m == r {
				continue
			}
			drop[m] = true
			y := &nodes[m]
			x.Umbrella = x.Umbrella || y.Umbrella
			x.Observables = append(x.Observables, y.Observables...)
			x.Techniques = append(x.Techniques, y.Techniques...)
			x.Victims = append(x.Victims, y.Victims...)
			x.Known = append(x.Known, y.Known...)
			if !y.First.IsZero() && (x.First.IsZero() || y.First.Before(x.First)) {
				x.First = y.First
			}
			if y.Last.After(x.Last) {
				x.Last = y.Last
			}
			var s []string
			for k := range srcs[m] {
				s = append(s, k)
			}
			sort.Strings(s)
			x.Folded = append(x.Folded, Folded{ID: y.ID, Name: y.Name, Why: strings.Join(dedupeStrings(append([]string(nil), why[m]...)), "; "), Sources: s})
		}
	}
	if len(rep) == 0 {
		return nodes, adj
	}
	// Technique rarity counted each copy of a group as a group.
	for _, ms := range members {
		if len(ms) < 2 {
			continue
		}
		using := 0
		uses := map[string]int{}
		for _, m := range ms {
			ts := dedupeStrings(append([]string(nil), origTech[m]...))
			if len(ts) > 0 {
				using++
			}
			for _, t := range ts {
				uses[t]++
			}
		}
		for t, c := range uses {
			adj.techniques[t] += c - 1
		}
		if using > 1 {
			adj.groups += using - 1
		}
	}
	out := make([]Node, 0, len(nodes)-len(drop))
	for i := range nodes {
		if drop[i] {
			continue
		}
		n := nodes[i]
		var known []KnownLink
		for _, k := range n.Known {
			if r, ok := rep[k.Actor]; ok {
				k.Actor = r
			}
			if k.Actor != n.ID {
				known = append(known, k)
			}
		}
		n.Known = known
		if len(n.Folded) > 0 {
			n.Observables = dedupeObservables(n.Observables)
			n.Techniques = dedupeStrings(n.Techniques)
			n.Victims = dedupeStrings(n.Victims)
			sort.Slice(n.Folded, func(a, b int) bool { return n.Folded[a].ID < n.Folded[b].ID })
		}
		out = append(out, n)
	}
	return out, adj
}

// foldAdjust is how many groups too many the technique counts hold once
// copies of one group are folded.
type foldAdjust struct {
	techniques map[string]int
	groups     int
}

// representative picks the object a folded group is scored and written
// back under: the umbrella if one is folded, else the object whose names
// the most sources claim, else the smallest id.
func representative(in *Input, nodes []Node, ms []int) int {
	best, bestN := -1, -1
	for _, m := range ms {
		s := map[string]bool{}
		for _, c := range in.Claims[nodes[m].ID] {
			s[c.Source] = true
		}
		n := len(s)
		if nodes[m].Umbrella {
			n += 1 << 20
		}
		if n > bestN || n == bestN && nodes[m].ID < nodes[best].ID {
			best, bestN = m, n
		}
	}
	return best
}
