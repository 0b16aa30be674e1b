package kb

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/stix"
)

func TestKnowledgeBaseValidates(t *testing.T) {
	objs, err := Objects()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(corpus.Path(t, "stix2-json-schemas"), "..", "..", "tools", "validate-stix")
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not present")
	}
	var buf bytes.Buffer
	w := stix.NewWriter(&buf)
	for _, o := range objs {
		w.Write(o)
	}
	w.Close()
	f := filepath.Join(t.TempDir(), "kb.json")
	os.WriteFile(f, buf.Bytes(), 0o644)
	if out, err := exec.Command(script, f).CombinedOutput(); err != nil {
		t.Fatalf("validate-stix: %v\n%s", err, out)
	}
}

func openLoaded(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	loaded, err := Ensure(context.Background(), st, st)
	if err != nil || !loaded {
		t.Fatalf("Ensure: loaded=%v err=%v", loaded, err)
	}
	return st
}

// The names the issue asks about resolve on a fresh store, whatever their
// spelling, and list who uses each alias.
func TestResolveUmbrellaNames(t *testing.T) {
	st := openLoaded(t)
	ctx := context.Background()
	for _, tc := range []struct{ ask, want string }{
		{"wicked panda", "APT41"},
		{"WICKED-PANDA", "APT41"},
		{"deputydog", "APT17"},
		{"Deputy Dog", "APT17"},
		{"Playful Dragon", "GREF"},
		{"winnti", "Winnti Group"},
		{"barium", "APT41"},
		{"group 72", "Axiom"},
		{"passcv", "PassCV"},
		{"winnti umbrella", UmbrellaName},
	} {
		a, err := knowledge.ResolveActor(ctx, st, tc.ask)
		if err != nil {
			t.Errorf("%q: %v", tc.ask, err)
			continue
		}
		if a.Name != tc.want {
			t.Errorf("%q resolved to %q, want %q", tc.ask, a.Name, tc.want)
		}
		if len(a.Aliases) == 0 {
			t.Errorf("%q: no aliases", tc.ask)
		}
		for _, al := range a.Aliases {
			if len(al.Users) == 0 {
				t.Errorf("%q: alias %q has no source", tc.ask, al.Name)
			}
		}
	}
}

func TestPlayfulDragonIsAConflict(t *testing.T) {
	st := openLoaded(t)
	a, err := knowledge.ResolveActor(context.Background(), st, "Playful Dragon")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range a.Conflicts {
		if knowledge.NormName(c.Name) == "playfuldragon" {
			actors := map[string]bool{}
			for _, cl := range c.Claims {
				actors[cl.Actor] = true
			}
			found = actors["GREF"] && actors["Ke3chang"]
		}
	}
	if !found {
		t.Fatalf("no GREF/Ke3chang conflict on Playful Dragon: %+v", a.Conflicts)
	}
}

func TestUmbrellaMembers(t *testing.T) {
	st := openLoaded(t)
	a, err := knowledge.ResolveActor(context.Background(), st, UmbrellaName)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Umbrella || a.Confidence != 85 || a.ConfidenceWords != "high" {
		t.Fatalf("umbrella=%v confidence=%d %s", a.Umbrella, a.Confidence, a.ConfidenceWords)
	}
	members := map[string]bool{}
	for _, m := range a.Members {
		members[m.Name] = true
	}
	for _, want := range []string{"Winnti Group", "APT41", "Axiom", "APT17", "PassCV", "GREF"} {
		if !members[want] {
			t.Errorf("umbrella lacks member %s (has %v)", want, members)
		}
	}
	if members["Ke3chang"] {
		t.Error("Ke3chang is not a member per the report")
	}
	if len(a.Techniques) < 5 || len(a.Targets) < 5 {
		t.Errorf("techniques %d targets %d", len(a.Techniques), len(a.Targets))
	}
	w, err := knowledge.ResolveActor(context.Background(), st, "Winnti Group")
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Umbrellas) != 1 || w.Umbrellas[0].Name != UmbrellaName {
		t.Fatalf("Winnti Group umbrellas: %+v", w.Umbrellas)
	}
}

func TestEnsureIsIdempotent(t *testing.T) {
	st := openLoaded(t)
	ctx := context.Background()
	before, _ := st.Stats(ctx)
	st.SetMeta(ctx, "kb_version", "old")
	if loaded, err := Ensure(ctx, st, st); err != nil || !loaded {
		t.Fatal(loaded, err)
	}
	after, _ := st.Stats(ctx)
	if before.Objects != after.Objects || before.Versions != after.Versions || before.Imports != after.Imports {
		t.Fatalf("reload changed the store: %+v -> %+v", before, after)
	}
}

func TestActorShowsEvidence(t *testing.T) {
	st := openLoaded(t)
	a, err := knowledge.ResolveActor(context.Background(), st, UmbrellaName)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range a.Evidence {
		kinds[e.Kind] = e.Count
	}
	// The KB's operator-netblock indicator and its attributed campaign.
	if kinds["indicates"] != 1 || kinds["attributed-to"] != 1 {
		t.Fatalf("evidence %+v", a.Evidence)
	}
}
