package attribution

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// TestIncrementalUpdateIsLocal adds one report to a store of 60 actors
// and 600 reports and updates the clustering from the previous run. The
// nodes the update treats as changed must be among those that hold one of
// the new report's values (computed here from the input, not from the
// engine); communities with none of those nodes must come out exactly as
// before; and the update must equal a run from scratch.
func TestIncrementalUpdateIsLocal(t *testing.T) {
	in := separateActors(60, 600, 20)
	first := Run(in, nil, Options{})

	// The new report reuses two of actor 7's values and is attributed to
	// it, as an analyst's import with --actor would be.
	var actor7 *Node
	for i := range in.Nodes {
		if in.Nodes[i].ID == "intrusion-set--7" {
			actor7 = &in.Nodes[i]
		}
	}
	var reused []Observable
	for _, o := range actor7.Observables {
		if len(reused) < 2 {
			reused = append(reused, o)
		}
	}
	added := Node{ID: "report--new", Type: Report, Name: "new report",
		Observables: append(reused, obs(indicator.Domain, "never-seen-before.test")),
		Known:       []KnownLink{{Actor: "intrusion-set--7", Relation: "object-ref"}}}
	in2 := *in
	in2.Nodes = append(append([]Node(nil), in.Nodes...), added)

	// Truth from the input: who holds a value of the new report, or is
	// the actor it is attributed to.
	holds := map[string]bool{added.ID: true, "intrusion-set--7": true}
	values := map[string]bool{}
	for _, o := range added.Observables {
		values[o.Value] = true
	}
	for _, n := range in.Nodes {
		for _, o := range n.Observables {
			if values[o.Value] {
				holds[n.ID] = true
			}
		}
	}

	// The state goes through JSON, as `umbra attribute` keeps it in the
	// data dir between runs.
	raw, err := json.Marshal(first.State)
	if err != nil {
		t.Fatal(err)
	}
	var prev State
	if err := json.Unmarshal(raw, &prev); err != nil {
		t.Fatal(err)
	}
	upd := Run(&in2, nil, Options{Previous: &prev})
	full := Run(&in2, nil, Options{})
	a, _ := json.Marshal(upd)
	b, _ := json.Marshal(full)
	if !bytes.Equal(a, b) {
		ua, _ := json.Marshal(upd.Umbrellas)
		fa, _ := json.Marshal(full.Umbrellas)
		xa, _ := json.Marshal(upd.Attributions)
		xb, _ := json.Marshal(full.Attributions)
		t.Logf("umbrellas equal %v (%d vs %d), attributions equal %v", bytes.Equal(ua, fa), len(upd.Umbrellas), len(full.Umbrellas), bytes.Equal(xa, xb))
		for i := range min(len(upd.Umbrellas), len(full.Umbrellas)) {
			x, _ := json.Marshal(upd.Umbrellas[i])
			y, _ := json.Marshal(full.Umbrellas[i])
			if !bytes.Equal(x, y) {
				t.Logf("umbrella %d:\n%.600s\n%.600s", i, x, y)
				break
			}
		}
		t.Fatalf("update and full run differ")
	}
	changed := map[string]bool{}
	for id, h := range upd.State.edges {
		if old, ok := first.State.edges[id]; !ok || old != h {
			changed[id] = true
			if !holds[id] {
				t.Errorf("%s treated as changed but shares nothing with the new report", id)
			}
		}
	}
	if !changed[added.ID] || len(changed) < 2 {
		t.Fatalf("changed nodes %v", changed)
	}
	affected := map[string]bool{}
	for id := range changed {
		if l, ok := first.State.labels[id]; ok {
			affected[l] = true
		}
	}
	// Outside the affected communities, two nodes share a community after
	// the update exactly when they did before.
	var outside []string
	for id, l := range first.State.labels {
		if !affected[l] {
			outside = append(outside, id)
		}
	}
	diff := 0
	for i, x := range outside {
		for _, y := range outside[i+1:] {
			before := first.State.labels[x] == first.State.labels[y]
			after := upd.State.labels[x] == upd.State.labels[y]
			if before != after {
				diff++
			}
		}
	}
	if diff > 0 {
		t.Errorf("%d pairs outside the affected communities changed community", diff)
	}
	// Taking the report away again: the update from the state with it
	// must equal a full run without it.
	back := Run(in, nil, Options{Previous: upd.State})
	a, _ = json.Marshal(back)
	b, _ = json.Marshal(first)
	if !bytes.Equal(a, b) {
		t.Errorf("after removing the report, the update differs from a full run")
	}
	if upd.State.Reclustered >= full.State.Reclustered/4 {
		t.Errorf("the update clustered %d nodes again, a full run %d", upd.State.Reclustered, full.State.Reclustered)
	}
	t.Logf("%d nodes, %d changed (of %d holding a shared value), %d of %d communities affected, %d nodes outside them unchanged; clustered again: %d nodes (full run %d)",
		len(in2.Nodes), len(changed), len(holds), len(affected), countLabels(first.State), len(outside), upd.State.Reclustered, full.State.Reclustered)
}

// separateActors is syntheticInput without popular values: each actor
// and its reports use values of their own, as most groups' infrastructure
// does once shared hosting is allow-listed.
func separateActors(actors, reports, perNode int) *Input {
	r := uint64(7)
	next := func(n int) int {
		r ^= r << 13
		r ^= r >> 7
		r ^= r << 17
		return int(r % uint64(n))
	}
	in := &Input{TechniqueGroups: map[string]int{}}
	for a := 0; a < actors; a++ {
		n := Node{ID: "intrusion-set--" + itoa(a), Type: IntrusionSet, Name: "actor " + itoa(a)}
		for k := 0; k < perNode; k++ {
			n.Observables = append(n.Observables, obs(indicator.Domain, "a"+itoa(a)+"-"+itoa(next(100))+".test"))
		}
		n.Observables = dedupeObservables(n.Observables)
		in.Nodes = append(in.Nodes, n)
	}
	for i := 0; i < reports; i++ {
		a := next(actors)
		n := Node{ID: "report--" + itoa(i), Type: Report, Name: "report " + itoa(i)}
		if i%2 == 0 {
			n.Known = []KnownLink{{Actor: "intrusion-set--" + itoa(a), Relation: "object-ref"}}
		}
		for k := 0; k < perNode; k++ {
			n.Observables = append(n.Observables, obs(indicator.Domain, "a"+itoa(a)+"-"+itoa(next(100))+".test"))
		}
		n.Observables = dedupeObservables(n.Observables)
		in.Nodes = append(in.Nodes, n)
	}
	return in
}

func countLabels(s *State) int {
	m := map[string]bool{}
	for _, l := range s.labels {
		m[l] = true
	}
	return len(m)
}

// BenchmarkRunAfterOneReport measures a run after one new report, from
// scratch and as an update of the previous run, on 200 actors and 2,000
// reports with values of their own. Only clustering is incremental:
// features and pairs are recomputed either way.
func BenchmarkRunAfterOneReport(b *testing.B) {
	in := separateActors(200, 2000, 40)
	first := Run(in, nil, Options{})
	in2 := *in
	in2.Nodes = append(append([]Node(nil), in.Nodes...), Node{ID: "report--new", Type: Report, Name: "new",
		Observables: in.Nodes[7].Observables[:2], Known: []KnownLink{{Actor: in.Nodes[7].ID, Relation: "object-ref"}}})
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			Run(&in2, nil, Options{})
		}
	})
	b.Run("update", func(b *testing.B) {
		for b.Loop() {
			Run(&in2, nil, Options{Previous: first.State})
		}
	})
}

// TestIncrementalKnownOnly: a report linked to an actor only by its
// source's attribution (no shared value) still changes the actor's
// component, when it comes and when it goes.
func TestIncrementalKnownOnly(t *testing.T) {
	base := separateActors(10, 60, 10)
	first := Run(base, nil, Options{})
	with := *base
	with.Nodes = append(append([]Node(nil), base.Nodes...), Node{ID: "report--only-known", Type: Report, Name: "only known",
		Known: []KnownLink{{Actor: "intrusion-set--3", Confidence: 90, Relation: "object-ref"}}})
	for _, c := range []struct {
		name string
		in   *Input
		prev *State
	}{{"added", &with, first.State}, {"removed", base, Run(&with, nil, Options{}).State}} {
		upd, _ := json.Marshal(Run(c.in, nil, Options{Previous: c.prev}))
		full, _ := json.Marshal(Run(c.in, nil, Options{}))
		if !bytes.Equal(upd, full) {
			t.Errorf("%s: update differs from a full run", c.name)
		}
	}
}
