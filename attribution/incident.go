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
// sightings on the same host, or of the same value, within window of
// each other (zero means IncidentWindow) are one incident. An incident's
// id is derived from its earliest sighting, so it stays put as later
// sightings join it. Sightings whose value is not an indicator are
// skipped and counted.
func Incidents(sightings []Sighting, window time.Duration) (nodes []Node, skipped int) {
	if window <= 0 {
		window = IncidentWindow
	}
	type sv struct {
		Sighting
		norm string
	}
	var ss []sv
	for _, s := range sightings {
		t, v := s.Type, s.Value
		var err error
		if t == indicator.Unknown {
			t, v, err = indicator.Detect(v)
		} else {
			v, err = indicator.Normalize(t, v)
		}
		if err != nil || t == indicator.Unknown {
			skipped++
			continue
		}
		s.Type = t
		ss = append(ss, sv{s, v})
	}
	sort.SliceStable(ss, func(i, j int) bool {
		if !ss[i].Time.Equal(ss[j].Time) {
			return ss[i].Time.Before(ss[j].Time)
		}
		if ss[i].Host != ss[j].Host {
			return ss[i].Host < ss[j].Host
		}
		return ss[i].norm < ss[j].norm
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
	lastByHost := map[string]int{}
	lastByValue := map[string]int{}
	for i, s := range ss {
		if s.Host != "" {
			if j, ok := lastByHost[s.Host]; ok && s.Time.Sub(ss[j].Time) <= window {
				union(i, j)
			}
			lastByHost[s.Host] = i
		}
		key := s.Type.String() + "\x00" + s.norm
		if j, ok := lastByValue[key]; ok && s.Time.Sub(ss[j].Time) <= window {
			union(i, j)
		}
		lastByValue[key] = i
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
		n := Node{Type: Incident, First: first.Time, Last: first.Time,
			ID:   stix.DeterministicID("incident", "umbra-incident/"+first.Host+"/"+first.Type.String()+"/"+first.norm+"/"+first.Time.UTC().Format(time.RFC3339Nano)),
			Name: "incident on " + first.Host + " from " + first.Time.UTC().Format("2006-01-02 15:04")}
		if first.Host == "" {
			n.Name = "incident " + first.norm + " from " + first.Time.UTC().Format("2006-01-02 15:04")
		}
		for _, i := range groups[r] {
			s := ss[i]
			n.Observables = append(n.Observables, Observable{Type: s.Type, Value: s.norm, Source: "sighting"})
			if s.Time.After(n.Last) {
				n.Last = s.Time
			}
		}
		n.Observables = dedupeObservables(n.Observables)
		nodes = append(nodes, n)
	}
	return nodes, skipped
}
