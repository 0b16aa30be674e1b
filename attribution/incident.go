package attribution

import (
	"sort"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/stix"
)

// IncidentWindow is how close in time two sightings must be to belong to
// one incident when they share a host or a value.
const IncidentWindow = 72 * time.Hour

// Incidents groups our own sightings into incidents, one graph node each:
// sightings on the same host, or of the same value (or sighted object),
// within window of each other (zero means IncidentWindow) are one
// incident. An incident's id is derived from its earliest sighting, so it
// stays put as later sightings join it. Sightings that carry neither an
// indicator value, nor an actor, nor a technique are skipped and counted.
func Incidents(sightings []Sighting, window time.Duration) (nodes []Node, skipped int) {
	if window <= 0 {
		window = IncidentWindow
	}
	type sv struct {
		Sighting
		norm string
		last time.Time
	}
	var ss []sv
	for _, s := range sightings {
		t, v := s.Type, s.Value
		var err error
		switch {
		case v == "" && (len(s.Actors) > 0 || s.Technique != ""):
			t = indicator.Unknown
		case t == indicator.Unknown:
			t, v, err = indicator.Detect(v)
		default:
			v, err = indicator.Normalize(t, v)
		}
		if s.Value != "" && (err != nil || t == indicator.Unknown) {
			skipped++
			continue
		}
		if s.Value == "" && len(s.Actors) == 0 && s.Technique == "" {
			skipped++
			continue
		}
		s.Type = t
		last := s.Last
		if last.Before(s.Time) {
			last = s.Time
		}
		ss = append(ss, sv{s, v, last})
	}
	sort.SliceStable(ss, func(i, j int) bool {
		if !ss[i].Time.Equal(ss[j].Time) {
			return ss[i].Time.Before(ss[j].Time)
		}
		if ss[i].Host != ss[j].Host {
			return ss[i].Host < ss[j].Host
		}
		if ss[i].norm != ss[j].norm {
			return ss[i].norm < ss[j].norm
		}
		return ss[i].Ref < ss[j].Ref
	})
	parent := make([]int, len(ss))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		ra, rb := find(a), find(b)
		if ra == rb {
			return
		}
		if ra > rb {
			ra, rb = rb, ra
		}
		parent[rb] = ra // the earlier sighting stays the root
	}
	// Sightings are in order of first time; each joins the one before it
	// on the same host (or of the same value) when that one was still
	// being seen within window. The latest end seen so far is kept, so a
	// long sighting keeps its incident open.
	type open struct {
		i    int
		last time.Time
	}
	byHost := map[string]open{}
	byValue := map[string]open{}
	for i, s := range ss {
		link := func(m map[string]open, key string) {
			if o, ok := m[key]; ok && s.Time.Sub(o.last) <= window {
				union(i, o.i)
				if s.last.After(o.last) {
					o.last = s.last
				}
				o.i = i
				m[key] = o
				return
			}
			m[key] = open{i, s.last}
		}
		if s.Host != "" {
			link(byHost, s.Host)
		}
		key := s.Type.String() + "\x00" + s.norm
		if s.norm == "" {
			key = "ref\x00" + s.Ref
		}
		if s.norm != "" || s.Ref != "" {
			link(byValue, key)
		}
	}
	groups := map[int][]int{}
	var roots []int
	for i := range ss {
		r := find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], i)
	}
	sort.Ints(roots)
	for _, r := range roots {
		first := ss[r]
		what := first.norm
		if what == "" {
			what = first.Ref
		}
		n := Node{Type: Incident, First: first.Time, Last: first.last,
			ID:   stix.DeterministicID("incident", "umbra-incident/"+first.Host+"/"+first.Type.String()+"/"+what+"/"+first.Time.UTC().Format(time.RFC3339Nano)),
			Name: "incident on " + first.Host + " from " + first.Time.UTC().Format("2006-01-02 15:04")}
		if first.Host == "" {
			n.Name = "incident " + what + " from " + first.Time.UTC().Format("2006-01-02 15:04")
		}
		for _, i := range groups[r] {
			s := ss[i]
			src := s.Source
			if src == "" {
				src = "sighting"
			}
			if s.norm != "" {
				n.Observables = append(n.Observables, Observable{Type: s.Type, Value: s.norm, Source: src})
			}
			if s.Technique != "" {
				n.Techniques = append(n.Techniques, s.Technique)
			}
			for _, k := range s.Actors {
				if k.Source == "" {
					k.Source = src
				}
				n.Known = append(n.Known, k)
			}
			if s.last.After(n.Last) {
				n.Last = s.last
			}
		}
		n.Observables = dedupeObservables(n.Observables)
		n.Techniques = dedupeStrings(n.Techniques)
		n.Known = dedupeKnown(n.Known)
		nodes = append(nodes, n)
	}
	return nodes, skipped
}

// dedupeKnown keeps one link per (actor, relation), the most confident,
// in a stable order.
func dedupeKnown(ks []KnownLink) []KnownLink {
	sort.SliceStable(ks, func(i, j int) bool {
		if ks[i].Actor != ks[j].Actor {
			return ks[i].Actor < ks[j].Actor
		}
		if ks[i].Relation != ks[j].Relation {
			return ks[i].Relation < ks[j].Relation
		}
		if ks[i].Confidence != ks[j].Confidence {
			return ks[i].Confidence > ks[j].Confidence
		}
		return ks[i].Source < ks[j].Source
	})
	out := ks[:0]
	for i, k := range ks {
		if i > 0 && k.Actor == ks[i-1].Actor && k.Relation == ks[i-1].Relation {
			continue
		}
		out = append(out, k)
	}
	return out
}
