package attribution

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/attribution/geo"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge/kb"
	"github.com/umbra-cti/umbra/stix"
)

func obs(t indicator.Type, v string) Observable { return Observable{Type: t, Value: v, Source: "test"} }

// fixtureInput: actor A with infrastructure, an unattributed report R
// sharing some of it, and noise reports that share a popular value.
func fixtureInput() *Input {
	a := Node{ID: "intrusion-set--a", Type: IntrusionSet, Name: "Actor A", Observables: []Observable{
		obs(indicator.Domain, "nexon.update-gamer.test"), obs(indicator.Domain, "valve.update-gamer.test"),
		obs(indicator.Email, "reg@example.test"), obs(indicator.IPv4, "8.8.8.8"), obs(indicator.MD5, "0123456789abcdef0123456789abcdef"),
	}, Techniques: []string{"T1553.002", "T1566"}}
	b := Node{ID: "intrusion-set--b", Type: IntrusionSet, Name: "Actor B", Observables: []Observable{obs(indicator.IPv4, "203.0.113.9")},
		Techniques: []string{"T1566"}}
	r := Node{ID: "report--r", Type: Report, Name: "R", Observables: []Observable{
		obs(indicator.Domain, "blizzard.update-gamer.test"), obs(indicator.Domain, "ea.update-gamer.test"),
		obs(indicator.Email, "reg@example.test"), obs(indicator.IPv4, "8.8.8.8"),
	}}
	in := &Input{Nodes: []Node{a, b, r}, TechniqueGroups: map[string]int{}}
	return in
}

func candidate(res *Result, subject, actor string) *Candidate {
	for _, a := range res.Attributions {
		if a.Subject.Name != subject {
			continue
		}
		for i := range a.Candidates {
			if a.Candidates[i].Actor == actor {
				return &a.Candidates[i]
			}
		}
	}
	return nil
}

func kinds(c *Candidate) map[string]bool {
	m := map[string]bool{}
	for _, e := range c.Evidence {
		m[e.Kind+" "+e.Value] = true
	}
	return m
}

func TestEvidenceKindsAndAllowList(t *testing.T) {
	res := Run(fixtureInput(), nil, Options{})
	c := candidate(res, "R", "Actor A")
	if c == nil {
		t.Fatalf("R has no candidate Actor A: %+v", res.Attributions)
	}
	k := kinds(c)
	for _, want := range []string{"whois-email reg@example.test", "c2-pattern *.update-gamer.test"} {
		if !k[want] {
			t.Errorf("missing %q in %v", want, k)
		}
	}
	if k["shared-ip 8.8.8.8"] {
		t.Error("8.8.8.8 is a public resolver and must carry no weight")
	}
	// The registered domain is covered by the C2 pattern: not counted twice.
	if k["shared-registered-domain update-gamer.test"] {
		t.Error("registered domain counted beside the C2 pattern under it")
	}
	if c.ConfidenceWords != "medium" && c.ConfidenceWords != "high" {
		t.Errorf("confidence %d %s", c.Confidence, c.ConfidenceWords)
	}
	if candidate(res, "R", "Actor B") != nil {
		t.Error("R linked to Actor B with nothing shared")
	}
	// User allow list: the WHOIS address is a privacy-proxy one.
	allow := DefaultAllowList()
	if err := allow.Read(strings.NewReader("value reg@example.test\ndomain update-gamer.test\n"), "user"); err != nil {
		t.Fatal(err)
	}
	if c := candidate(Run(fixtureInput(), nil, Options{Allow: allow}), "R", "Actor A"); c != nil {
		t.Errorf("allow-listed values still link R to Actor A: %+v", c.Evidence)
	}
}

func TestSpecificity(t *testing.T) {
	// The same e-mail shared with A by R alone, then by R and 30 other
	// unrelated reports: its weight must fall.
	one := Run(fixtureInput(), nil, Options{})
	in := fixtureInput()
	for i := 0; i < 30; i++ {
		in.Nodes = append(in.Nodes, Node{ID: "report--n" + string(rune('a'+i)), Type: Report, Name: "noise",
			Observables: []Observable{obs(indicator.Email, "reg@example.test"), obs(indicator.Domain, "x"+string(rune('a'+i))+".test")}})
	}
	many := Run(in, nil, Options{})
	w := func(res *Result) float64 {
		for _, e := range candidate(res, "R", "Actor A").Evidence {
			if e.Kind == KindWhoisEmail {
				return e.Weight
			}
		}
		return -1
	}
	if !(w(many) < w(one)/2) || w(many) < 0 {
		t.Errorf("e-mail weight with 1 sharer %.3f, with 31 %.3f", w(one), w(many))
	}
}

func TestTechniqueRarity(t *testing.T) {
	e := newEngine(&Input{}, Options{})
	if !(e.rarity("T1553.002") > 5*e.rarity("T1566")) {
		t.Errorf("prior: T1553.002 %.2f, T1566 %.2f", e.rarity("T1553.002"), e.rarity("T1566"))
	}
	// Counted from the store when it knows enough groups.
	in := &Input{Groups: 100, TechniqueGroups: map[string]int{"T1566": 90, "T1553.002": 2}}
	e = newEngine(in, Options{})
	if !(e.rarity("T1553.002") > 0.7 && e.rarity("T1566") < 0.1) {
		t.Errorf("counted: T1553.002 %.2f, T1566 %.2f", e.rarity("T1553.002"), e.rarity("T1566"))
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := json.Marshal(Run(fixtureInput(), nil, Options{}))
	for i := 0; i < 5; i++ {
		b, _ := json.Marshal(Run(fixtureInput(), nil, Options{}))
		if !bytes.Equal(a, b) {
			t.Fatalf("run %d differs:\n%s\n%s", i, a, b)
		}
	}
}

func TestIncidents(t *testing.T) {
	t0 := time.Date(2018, 3, 1, 10, 0, 0, 0, time.UTC)
	ss := []Sighting{
		{Value: "ea.update-gamer.test", Time: t0, Host: "build-01"},
		{Value: "reg@example.test", Type: indicator.Email, Time: t0.Add(time.Hour), Host: "build-01"},
		{Value: "ea.update-gamer.test", Time: t0.Add(48 * time.Hour), Host: "build-02"},      // same value: joins
		{Value: "198.18.0.1", Time: t0.Add(30 * 24 * time.Hour), Host: "web-07"},             // alone
		{Value: "not an indicator at all ~~", Time: t0, Host: "build-01"},                    // skipped
		{Value: "ea.update-gamer.test", Time: t0.Add(60 * 24 * time.Hour), Host: "build-03"}, // too late
	}
	nodes, skipped := Incidents(ss, 0)
	if skipped != 1 || len(nodes) != 3 {
		t.Fatalf("%d incidents, %d skipped: %+v", len(nodes), skipped, nodes)
	}
	if len(nodes[0].Observables) != 2 || !nodes[0].Last.Equal(t0.Add(48*time.Hour)) {
		t.Errorf("first incident %+v", nodes[0])
	}
	again, _ := Incidents(append(ss, Sighting{Value: "x.update-gamer.test", Time: t0.Add(49 * time.Hour), Host: "build-02"}), 0)
	if again[0].ID != nodes[0].ID {
		t.Error("incident id changed when a later sighting joined")
	}
	res := Run(fixtureInput(), nodes, Options{})
	c := candidate(res, nodes[0].Name, "Actor A")
	if c == nil || !kinds(c)["whois-email reg@example.test"] {
		t.Fatalf("incident not attributed to Actor A: %+v", res.Attributions)
	}
	if res.Attributions[0].Subject.Type != Incident {
		t.Errorf("incidents should come first, got %s", res.Attributions[0].Subject.Type)
	}
}

func mmdb(t *testing.T) *geo.DB {
	var b bytes.Buffer
	if err := geo.Write(&b, []geo.Network{
		{Prefix: netip.MustParsePrefix("221.216.0.0/13"), ASN: 4808, Org: "China Unicom Beijing Province Network", Country: "CN"},
		{Prefix: netip.MustParsePrefix("203.0.113.0/24"), ASN: 64501, Org: "Proxy Hosting", Country: "US"},
	}); err != nil {
		t.Fatal(err)
	}
	db, err := geo.OpenBytes("fixture", b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestSubnetNeedsSameASN(t *testing.T) {
	in := &Input{Nodes: []Node{
		{ID: "intrusion-set--a", Type: IntrusionSet, Name: "A", Observables: []Observable{obs(indicator.IPv4, "203.0.113.9")}},
		{ID: "report--r", Type: Report, Name: "R", Observables: []Observable{obs(indicator.IPv4, "203.0.113.200")}},
	}}
	c := candidate(Run(in, nil, Options{Geo: mmdb(t)}), "R", "A")
	if c == nil || !kinds(c)["shared-subnet 203.0.113.0/24 AS64501"] {
		t.Fatalf("same /24 in one ASN not found: %+v", c)
	}
	without := candidate(Run(in, nil, Options{}), "R", "A")
	if without == nil || without.Evidence[0].Weight >= c.Evidence[0].Weight {
		t.Errorf("without an MMDB the /24 should count less: %+v vs %+v", without, c)
	}
}

func TestSlips(t *testing.T) {
	in := &Input{
		Nodes: []Node{{ID: kb.UmbrellaID, Type: IntrusionSet, Name: kb.UmbrellaName, Umbrella: true,
			Observables: []Observable{obs(indicator.IPv4, "203.0.113.9")}}},
		Netblocks: []Netblock{{Prefix: netip.MustParsePrefix(kb.OperatorNetblock), Actor: kb.UmbrellaID, ActorName: kb.UmbrellaName, ASN: 4808, Source: "umbra-kb"}},
	}
	t0 := time.Date(2018, 2, 1, 3, 0, 0, 0, time.UTC)
	sessions, bad := ReadSessions(strings.NewReader(
		"time,source,target\n"+
			t0.Format(time.RFC3339)+",203.0.113.9,victim@o365.test\n"+
			t0.Add(time.Hour).Format(time.RFC3339)+",221.222.1.2,victim@o365.test\n"+
			t0.Add(2*time.Hour).Format(time.RFC3339)+",221.222.1.3,other@gmail.test\n"+
			t0.Add(-time.Hour).Format(time.RFC3339)+",221.222.1.2,victim@o365.test\n"+
			t0.Format(time.RFC3339)+",198.51.100.1,victim@o365.test\n"+
			"yesterday,1.2.3.4,x\n"), "s.csv")
	if len(bad) != 1 || !strings.Contains(bad[0].Error(), "s.csv:7: field 1") {
		t.Fatalf("bad lines: %v", bad)
	}
	leads := Slips(in, sessions, mmdb(t))
	if len(leads) != 2 {
		t.Fatalf("%d leads: %+v", len(leads), leads)
	}
	top := leads[0]
	if top.Source != "221.222.1.2" || top.ASN != 4808 || top.Country != "CN" || top.Actor != kb.UmbrellaName ||
		top.Sessions != 2 || !top.Time.Equal(t0.Add(-time.Hour)) {
		t.Errorf("top lead %+v", top)
	}
	if !(top.Confidence > leads[1].Confidence) || top.ConfidenceWords != "high" {
		t.Errorf("a slip next to proxied sessions should rank first and high: %d vs %d", top.Confidence, leads[1].Confidence)
	}
	hasProxied := false
	for _, e := range top.Evidence {
		hasProxied = hasProxied || e.Kind == KindProxied
	}
	if !hasProxied {
		t.Errorf("top lead lacks the proxied session: %+v", top.Evidence)
	}
}

func TestWriteBackReplaces(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	in, err := Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	camp := stix.DeterministicID("campaign", "umbra-kb/2018-cloud-phishing")
	res := &Result{Attributions: []Attribution{{Subject: Subject{Type: Campaign, ID: camp, Name: "c"},
		Candidates: []Candidate{{Actor: kb.UmbrellaName, ActorID: kb.UmbrellaID, Confidence: 64, ConfidenceWords: "medium",
			Evidence: []Evidence{{Kind: KindDomain, Value: "a.example.test", Weight: 0.5}}}}}}}
	_ = in
	// A candidate resting only on a source's own attribution is that
	// source's claim, already stored: it is not written as derived.
	echo := &Result{Attributions: []Attribution{{Subject: Subject{Type: Campaign, ID: camp, Name: "c"},
		Candidates: []Candidate{{Actor: kb.UmbrellaName, ActorID: kb.UmbrellaID, Confidence: 85, ConfidenceWords: "high",
			Evidence: []Evidence{{Kind: KindSourceAttribute, Value: kb.UmbrellaName, Weight: 0.85}}}}}}}
	if sum, err := WriteBack(ctx, st, echo, 30, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil || sum.Written != 0 {
		t.Fatalf("source's own attribution written back: %+v %v", sum, err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sum, err := WriteBack(ctx, st, res, 30, t0)
	if err != nil || sum.Written != 1 || sum.Revoked != 0 {
		t.Fatalf("first write %+v %v", sum, err)
	}
	id := stix.DeterministicID("relationship", "umbra-attribution/attributed-to/"+camp+"/"+kb.UmbrellaID)
	o, err := st.Object(ctx, id)
	if err != nil || o.Common.Confidence == nil || *o.Common.Confidence != 64 {
		t.Fatalf("stored %+v %v", o.Common, err)
	}
	// Load must not read the derived relationship back as evidence.
	in2, _ := Load(ctx, st)
	for _, n := range in2.Nodes {
		if n.ID == camp && len(n.Known) != 1 {
			t.Errorf("campaign known links after write-back: %+v", n.Known)
		}
	}
	// Same instant again: the new version must still be newer.
	if sum, err = WriteBack(ctx, st, res, 30, t0); err != nil || sum.Written != 1 {
		t.Fatalf("rewrite %+v %v", sum, err)
	}
	if tl, ok := stix.TLPOf(&o); !ok || tl != stix.TLPClear {
		t.Errorf("campaign and umbrella are TLP:CLEAR, relationship marked %v %v", tl, ok)
	}
	// An incident is our own telemetry: TLP:AMBER unless said otherwise.
	inc := Attribution{Subject: Subject{Type: Incident, ID: "incident--0b6f3c3e-1111-4111-8111-111111111111", Name: "i"},
		Candidates: []Candidate{{Actor: kb.UmbrellaName, ActorID: kb.UmbrellaID, Confidence: 50, ConfidenceWords: "medium",
			Evidence: []Evidence{{Kind: KindOpsecSlip, Value: "221.218.1.1 in 221.216.0.0/13", Weight: 0.5}}}}}
	if _, err := WriteBack(ctx, st, &Result{Attributions: append(res.Attributions, inc)}, 30, t0); err != nil {
		t.Fatal(err)
	}
	io, err := st.Object(ctx, stix.DeterministicID("relationship", "umbra-attribution/attributed-to/"+inc.Subject.ID+"/"+kb.UmbrellaID))
	if tl, ok := stix.TLPOf(&io); err != nil || !ok || tl != stix.TLPAmber {
		t.Errorf("incident relationship marked %v %v %v", tl, ok, err)
	}
	// A run that no longer concludes them revokes them.
	sum, err = WriteBack(ctx, st, &Result{}, 30, t0)
	if err != nil || sum.Revoked != 2 {
		t.Fatalf("revoke %+v %v", sum, err)
	}
	o, _ = st.Object(ctx, id)
	if !o.Common.Revoked {
		t.Error("derived relationship not revoked")
	}
	vs, _ := st.Versions(ctx, id)
	if len(vs) != 4 {
		t.Errorf("%d versions kept, want 4", len(vs))
	}
}

func TestIncrementalRun(t *testing.T) {
	first := Run(fixtureInput(), nil, Options{})
	same := Run(fixtureInput(), nil, Options{Previous: first.State})
	a, _ := json.Marshal(first)
	b, _ := json.Marshal(same)
	if !bytes.Equal(a, b) {
		t.Fatalf("update without change differs:\n%s\n%s", a, b)
	}
	// A new report reusing Actor B's address joins B; the update must agree
	// with a run from scratch.
	in := fixtureInput()
	in.Nodes = append(in.Nodes, Node{ID: "report--new", Type: Report, Name: "new", Observables: []Observable{obs(indicator.IPv4, "203.0.113.9")}})
	upd := Run(in, nil, Options{Previous: first.State})
	full := Run(in, nil, Options{})
	a, _ = json.Marshal(upd)
	b, _ = json.Marshal(full)
	if !bytes.Equal(a, b) {
		t.Errorf("update and full run differ:\n%s\n%s", a, b)
	}
	if c := candidate(upd, "new", "Actor B"); c == nil {
		t.Error("new report not attributed to Actor B")
	}
}

// BenchmarkRun measures the whole engine (features, weighting, pairs,
// clustering, ranking) on a generated store of 200 actors and 2000
// reports whose values follow a long-tailed popularity.
func BenchmarkRun(b *testing.B) {
	in := syntheticInput(200, 2000, 40)
	b.ResetTimer()
	for b.Loop() {
		Run(in, nil, Options{})
	}
}

func syntheticInput(actors, reports, perNode int) *Input {
	r := uint64(1)
	next := func(n int) int {
		r ^= r << 13
		r ^= r >> 7
		r ^= r << 17
		return int(r % uint64(n))
	}
	in := &Input{TechniqueGroups: map[string]int{}}
	value := func(actor int) Observable {
		// Mostly the actor's own values, sometimes a popular shared one.
		if next(10) == 0 {
			return obs(indicator.Domain, "popular"+string(rune('a'+next(20)))+".test")
		}
		return obs(indicator.Domain, "a"+itoa(actor)+"-"+itoa(next(200))+".test")
	}
	for a := 0; a < actors; a++ {
		n := Node{ID: "intrusion-set--" + itoa(a), Type: IntrusionSet, Name: "actor " + itoa(a)}
		for k := 0; k < perNode; k++ {
			n.Observables = append(n.Observables, value(a))
		}
		in.Nodes = append(in.Nodes, n)
	}
	for i := 0; i < reports; i++ {
		a := next(actors)
		n := Node{ID: "report--" + itoa(i), Type: Report, Name: "report " + itoa(i)}
		if i%2 == 0 {
			n.Known = []KnownLink{{Actor: "intrusion-set--" + itoa(a), Relation: "object-ref"}}
		}
		for k := 0; k < perNode; k++ {
			n.Observables = append(n.Observables, value(a))
		}
		n.Observables = dedupeObservables(n.Observables)
		in.Nodes = append(in.Nodes, n)
	}
	return in
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestFreeIssuerCertificatesCarryNoWeight(t *testing.T) {
	const fp = "12eb8a9f1a7cd1cc10e57847dd5476c6062b9e58"
	in := &Input{Nodes: []Node{
		{ID: "intrusion-set--a", Type: IntrusionSet, Name: "A", Observables: []Observable{obs(indicator.CertSHA1, fp)}},
		{ID: "report--r", Type: Report, Name: "R", Observables: []Observable{obs(indicator.CertSHA1, fp)}},
	}}
	if c := candidate(Run(in, nil, Options{}), "R", "A"); c == nil || c.Evidence[0].Kind != KindCert {
		t.Fatalf("shared certificate not found: %+v", c)
	}
	in.Certificates = []Certificate{{Issuer: "Let's Encrypt", Hashes: []string{fp}}}
	if c := candidate(Run(in, nil, Options{}), "R", "A"); c != nil {
		t.Errorf("Let's Encrypt certificate still links R to A: %+v", c)
	}
}
