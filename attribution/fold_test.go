package attribution

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/knowledge"
)

func nameClaim(id, obj, name, kind, source string) knowledge.NameClaim {
	return knowledge.NameClaim{Name: name, Norm: knowledge.NormName(name), ObjectID: id, ObjectName: obj, Kind: kind, Source: source}
}

// TestFoldedCopiesScoreAsOne: the KB's and a galaxy's copy of one group
// each hold one value a new report shares. Unfolded they are two weak
// candidates; folded by their common name they are one candidate holding
// both pieces of evidence, each still naming the source it came from.
func TestFoldedCopiesScoreAsOne(t *testing.T) {
	kbCopy := Node{ID: "intrusion-set--1", Type: IntrusionSet, Name: "APT41",
		Observables: []Observable{{Type: indicator.Domain, Value: "a.panda.test", Source: "umbra-kb"}}}
	galaxyCopy := Node{ID: "intrusion-set--2", Type: IntrusionSet, Name: "APT41",
		Observables: []Observable{{Type: indicator.Email, Value: "reg@panda.test", Source: "misp-galaxy"}}}
	report := Node{ID: "report--r", Type: Report, Name: "new report", Observables: []Observable{
		obs(indicator.Domain, "a.panda.test"), obs(indicator.Email, "reg@panda.test")}}
	in := &Input{Nodes: []Node{kbCopy, galaxyCopy, report}, TechniqueGroups: map[string]int{}}
	apart := Run(in, nil, Options{})
	var n int
	for _, a := range apart.Attributions {
		if a.Subject.Name == "new report" {
			n = len(a.Candidates)
		}
	}
	if n != 2 {
		t.Fatalf("without claims: %d candidates, want the two copies apart", n)
	}
	in.Claims = map[string][]knowledge.NameClaim{
		"intrusion-set--1": {nameClaim("intrusion-set--1", "APT41", "APT41", knowledge.ClaimName, "fireeye")},
		"intrusion-set--2": {nameClaim("intrusion-set--2", "APT41", "APT41", knowledge.ClaimName, "misp-galaxy")},
	}
	before, _ := json.Marshal(in)
	res := Run(in, nil, Options{})
	after, _ := json.Marshal(in)
	if string(before) != string(after) {
		t.Fatal("Run changed its input")
	}
	var got *Attribution
	for i := range res.Attributions {
		if res.Attributions[i].Subject.Name == "new report" {
			got = &res.Attributions[i]
		}
	}
	if got == nil || len(got.Candidates) != 1 {
		t.Fatalf("folded: %+v", got)
	}
	c := got.Candidates[0]
	sources := map[string]string{}
	for _, e := range c.Evidence {
		sources[e.Kind+" "+e.Value] = e.Source
	}
	if sources["shared-domain a.panda.test"] != "test,umbra-kb" || sources["whois-email reg@panda.test"] != "misp-galaxy,test" {
		t.Errorf("each copy's evidence should keep its source: %v", sources)
	}
	if _, ok := sources[KindSameGroup+" APT41 (intrusion-set--2)"]; !ok {
		t.Errorf("the folded copy is not shown: %v", sources)
	}
	for _, a := range apart.Attributions {
		for _, ac := range a.Candidates {
			if a.Subject.Name == "new report" && ac.Confidence >= c.Confidence {
				t.Errorf("one copy alone (%d) should not reach both together (%d)", ac.Confidence, c.Confidence)
			}
		}
	}
}

// TestFoldGalaxyAndAttack imports the MISP threat-actor, ATT&CK
// intrusion-set and Microsoft activity-group galaxies and ATT&CK's own
// objects beside the built-in KB, and checks the folds against what those
// sources document: every copy named APT41 is one group, and so is the
// object Microsoft names BARIUM (which the galaxies list as an APT41
// name); Winnti Group (ATT&CK G0044) stays apart from APT41 (G0096)
// although the threat-actor galaxy lists G0044 as an APT41 synonym; and
// 401TRG's GREF stays apart from Ke3chang, of which ATT&CK makes GREF an
// alias.
func TestFoldGalaxyAndAttack(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	for _, f := range []string{"threat-actor.json", "mitre-intrusion-set.json", "microsoft-activity-group.json"} {
		importOK(t, st, corpus.Path(t, "misp-galaxy", "clusters", f), intel.Options{})
	}
	cti, _ := filepath.Glob(filepath.Join(corpus.Path(t, "mitre-cti"), "*", "*", "*.json"))
	for _, p := range cti {
		importOK(t, st, p, intel.Options{})
	}
	in, err := Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	nodes, _ := foldGroups(in, append([]Node(nil), in.Nodes...))
	groupOf := map[string]string{} // object id -> representative id
	for _, n := range nodes {
		groupOf[n.ID] = n.ID
		for _, f := range n.Folded {
			groupOf[f.ID] = n.ID
		}
	}
	byName := map[string][]string{}
	for _, n := range in.Nodes {
		if n.Type == IntrusionSet {
			byName[knowledge.NormName(n.Name)] = append(byName[knowledge.NormName(n.Name)], n.ID)
		}
	}
	same := func(a, b string) bool {
		if len(byName[a]) == 0 || len(byName[b]) == 0 {
			t.Fatalf("no object named %s or %s", a, b)
		}
		return groupOf[byName[a][0]] == groupOf[byName[b][0]]
	}
	if len(byName["apt41"]) < 2 {
		t.Fatalf("want several copies of APT41, have %v", byName["apt41"])
	}
	for _, id := range byName["apt41"] {
		if groupOf[id] != groupOf[byName["apt41"][0]] {
			t.Errorf("APT41 copy %s not folded", id)
		}
	}
	if !same("apt41", "barium") {
		t.Error("BARIUM not folded into APT41")
	}
	if same("apt41", "winntigroup") {
		t.Error("Winnti Group folded into APT41 against ATT&CK")
	}
	if same("gref", "ke3chang") {
		t.Error("401TRG's GREF folded into Ke3chang")
	}
	if !same("ke3chang", "apt15") {
		t.Error("the galaxy's APT15 (ATT&CK G0004) not folded into Ke3chang")
	}
	// Nothing was merged in the store: every object is still there.
	again, err := Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Nodes) != len(in.Nodes) {
		t.Errorf("store changed: %d nodes, then %d", len(in.Nodes), len(again.Nodes))
	}
}

// TestFoldAgainstThreatActorGalaxy scores the folds against an alias list
// they do not read: the store holds the built-in KB, ATT&CK's objects and
// the ATT&CK and Microsoft galaxies, and the truth is MISP's threat-actor
// galaxy, whose clusters list each group's synonyms. Two objects are the
// same group by that truth when one threat-actor cluster names both;
// objects no cluster names are left out. Pairwise precision and recall
// go to bench/attribution.md.
func TestFoldAgainstThreatActorGalaxy(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	for _, f := range []string{"mitre-intrusion-set.json", "microsoft-activity-group.json"} {
		importOK(t, st, corpus.Path(t, "misp-galaxy", "clusters", f), intel.Options{})
	}
	cti, _ := filepath.Glob(filepath.Join(corpus.Path(t, "mitre-cti"), "*", "*", "*.json"))
	for _, p := range cti {
		importOK(t, st, p, intel.Options{})
	}
	raw, err := os.ReadFile(corpus.Path(t, "misp-galaxy", "clusters", "threat-actor.json"))
	if err != nil {
		t.Fatal(err)
	}
	var galaxy struct {
		Values []struct {
			Value string `json:"value"`
			Meta  struct {
				Synonyms []string `json:"synonyms"`
			} `json:"meta"`
		} `json:"values"`
	}
	if err := json.Unmarshal(raw, &galaxy); err != nil {
		t.Fatal(err)
	}
	clustersOf := map[string][]int{} // normalised name -> threat-actor clusters naming it
	for i, c := range galaxy.Values {
		seen := map[string]bool{}
		for _, n := range append([]string{c.Value}, c.Meta.Synonyms...) {
			k := knowledge.NormName(n)
			if k != "" && !seen[k] {
				seen[k] = true
				clustersOf[k] = append(clustersOf[k], i)
			}
		}
	}
	in, err := Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	nodes, _ := foldGroups(in, append([]Node(nil), in.Nodes...))
	groupOf := map[string]string{}
	for _, n := range nodes {
		groupOf[n.ID] = n.ID
		for _, f := range n.Folded {
			groupOf[f.ID] = n.ID
		}
	}
	suffix := regexp.MustCompile(`\s+-\s+G[0-9]{4}$`) // "APT41 - G0096" in the ATT&CK galaxy
	type obj struct {
		id       string
		clusters map[int]bool
	}
	var objs []obj
	for _, n := range in.Nodes {
		if n.Type != IntrusionSet {
			continue
		}
		cs := clustersOf[knowledge.NormName(suffix.ReplaceAllString(n.Name, ""))]
		if len(cs) == 0 {
			continue
		}
		o := obj{id: n.ID, clusters: map[int]bool{}}
		for _, c := range cs {
			o.clusters[c] = true
		}
		objs = append(objs, o)
	}
	nameOf := map[string]string{}
	for _, n := range in.Nodes {
		nameOf[n.ID] = n.Name
	}
	var tp, fp, fn int
	for i := range objs {
		for j := i + 1; j < len(objs); j++ {
			truth := false
			for c := range objs[i].clusters {
				truth = truth || objs[j].clusters[c]
			}
			pred := groupOf[objs[i].id] == groupOf[objs[j].id]
			switch {
			case truth && pred:
				tp++
			case pred:
				fp++
				t.Logf("folded, but no threat-actor cluster names both: %s / %s", nameOf[objs[i].id], nameOf[objs[j].id])
			case truth:
				fn++
			}
		}
	}
	t.Logf("%d intrusion sets named by the threat-actor galaxy; same-group pairs: %d found, %d wrongly, %d missed; pairwise precision %s, recall %s",
		len(objs), tp, fp, fn, ratio(tp, tp+fp), ratio(tp, tp+fn))
	if tp == 0 {
		t.Error("no pair the galaxy documents was folded")
	}
}
