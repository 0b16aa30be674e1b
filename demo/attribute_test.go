package demo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/attribution"
	"github.com/umbra-cti/umbra/attribution/geo"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge/kb"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/simulate"
)

// TestScenarioAttribution scores the attribution of the simulated
// intrusion against the scenario's ground truth, in two settings: the
// first feed imported attributed to the umbrella (as the demo does), and
// imported with no actor at all, so that only the built-in knowledge base
// (the operator netblock) and the opsec slips can name anyone. An incident
// is malicious when it holds a value the truth lists for a malicious
// record; it is attributed correctly when its best candidate is the
// truth's actor at medium confidence or above. Benign incidents must not
// be attributed to anyone at medium or above.
func TestScenarioAttribution(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a week of a studio's telemetry, twice")
	}
	for _, attributed := range []bool{true, false} {
		ctx := context.Background()
		dir := t.TempDir()
		st, err := sqlite.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := kb.Ensure(ctx, st, st); err != nil {
			t.Fatal(err)
		}
		scen := filepath.Join(dir, "scenario")
		sum, err := simulate.Generate(ctx, simulate.Options{Out: scen, Hosts: 50, Days: 7, Seed: 2018})
		if err != nil {
			t.Fatal(err)
		}
		opt := intel.Options{Source: "initial-feed", Report: "Initial report on the intrusion"}
		if attributed {
			opt.Actor, opt.Confidence = kb.UmbrellaName, 70
		}
		if _, err := intel.Import(ctx, st, filepath.Join(scen, "intel", "initial.stix.json"), opt); err != nil {
			t.Fatal(err)
		}
		org, err := simulate.NewOrg(sum.Hosts)
		if err != nil {
			t.Fatal(err)
		}
		mem, err := memory.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer mem.Close()
		m, err := Ingest(ctx, st, mem, []string{filepath.Join(scen, "zeek"), filepath.Join(scen, "signin")}, org.Domain)
		if err != nil {
			t.Fatal(err)
		}
		// The truth: which values malicious records hold, and whose they are.
		f, err := os.Open(filepath.Join(scen, "truth.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		bad := map[string]string{} // normalised value -> actor
		simulate.ReadTruth(f, "truth.jsonl", func(tr simulate.Truth) error {
			if _, v, err := indicator.Detect(tr.Indicator); err == nil && v != "" {
				bad[v] = tr.Actor
			}
			return nil
		})
		f.Close()

		in, err := attribution.Load(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		db, err := geo.Open(filepath.Join(scen, "geo.mmdb"))
		if err != nil {
			t.Fatal(err)
		}
		leads := attribution.Slips(in, m.Sessions, db)
		incidents, _ := attribution.Incidents(append(append([]attribution.Sighting(nil), m.Seen...), attribution.LeadSightings(leads)...), 0)
		res := attribution.Run(in, incidents, attribution.Options{Geo: db})
		db.Close()
		truthOf := map[string]string{} // incident id -> actor, "" when benign
		for _, n := range incidents {
			for _, o := range n.Observables {
				if a, ok := bad[o.Value]; ok {
					truthOf[n.ID] = a
				}
			}
		}
		var malicious, right, wrong, benign, benignLinked int
		for _, n := range incidents {
			var top attribution.Candidate
			for _, a := range res.Attributions {
				if a.Subject.ID == n.ID && len(a.Candidates) > 0 {
					top = a.Candidates[0]
				}
			}
			actor, isBad := truthOf[n.ID]
			switch {
			case isBad && top.Confidence >= 30 && strings.EqualFold(top.Actor, actor):
				malicious++
				right++
			case isBad && top.Confidence >= 30:
				malicious++
				wrong++
			case isBad:
				malicious++
			default:
				benign++
				if top.Confidence >= 30 {
					benignLinked++
				}
			}
			t.Logf("attributed feed %v: %s (%d values, truth %q): top %q %d %s", attributed, n.Name, len(n.Observables), actor, top.Actor, top.Confidence, top.ConfidenceWords)
		}
		t.Logf("attributed feed %v: %d incidents; malicious %d: right actor at medium+ %d, wrong actor %d; benign %d, attributed at medium+ %d; opsec-slip leads %d",
			attributed, len(incidents), malicious, right, wrong, benign, benignLinked, len(leads))
		if wrong > 0 || benignLinked > 0 {
			t.Errorf("attributed feed %v: %d malicious incidents to the wrong actor, %d benign incidents attributed", attributed, wrong, benignLinked)
		}
		if attributed && right != malicious {
			t.Errorf("with the feed attributed, %d of %d malicious incidents attributed to the truth's actor", right, malicious)
		}
	}
}
