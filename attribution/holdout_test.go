package attribution

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/stix"
)

// holdOutFolds is how many parts each Area's list is cut into; each part
// is held out once.
const holdOutFolds = 2

// areaActor is the label the evaluation gives the operators of one Area:
// the truth a held-out part is scored against is the Area it was cut from.
func areaActor(a string) string { return "Burning Umbrella Area " + a + " operators" }

// splitArea cuts an Area's CSV into holdOutFolds parts by a hash of each
// indicator value (the same value always lands in the same part) and
// writes the part held out and the rest as two CSV files.
func splitArea(t testing.TB, dir, area string, fold int, dropHeldDomains bool) (heldPath, restPath string, held, rest int) {
	t.Helper()
	raw, err := os.ReadFile(areaFile(t, area))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\r\n"), "\n")
	var h, r strings.Builder
	h.WriteString(lines[0] + "\n")
	r.WriteString(lines[0] + "\n")
	for _, l := range lines[1:] {
		v, _, _ := strings.Cut(l, ",")
		if strings.TrimSpace(v) == "" {
			continue
		}
		f := fnv.New32a()
		f.Write([]byte(strings.ToLower(strings.TrimSpace(v))))
		if int(f.Sum32()%holdOutFolds) == fold {
			if dropHeldDomains && strings.Contains(l, ",DOMAIN,") {
				continue
			}
			h.WriteString(l + "\n")
			held++
		} else {
			r.WriteString(l + "\n")
			rest++
		}
	}
	heldPath = filepath.Join(dir, fmt.Sprintf("area%s-part%d.csv", area, fold))
	restPath = filepath.Join(dir, fmt.Sprintf("area%s-rest%d.csv", area, fold))
	if err := os.WriteFile(heldPath, []byte(h.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(restPath, []byte(r.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return heldPath, restPath, held, rest
}

// addAreaActors stores one intrusion set per Area, so that the rest of
// each Area can be attributed to its own operators.
func addAreaActors(t testing.TB, st *sqlite.Store) {
	t.Helper()
	var objs []stix.Object
	for _, a := range areas {
		o, err := stix.Build("intrusion-set", stix.DeterministicID("intrusion-set", "eval/area/"+a), stix.Props{
			"name": areaActor(a), "created": "2018-05-03T00:00:00Z", "modified": "2018-05-03T00:00:00Z"})
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	putObjects(t, st, "evaluation", objs...)
}

type holdOutcome struct {
	area       string
	fold       int
	held       int
	top        string // the held-out part's best candidate
	conf       int
	evidence   []string
	mispLinked int // MISP reports with an Area actor as top candidate at >= 30
	mispAny    int // ... at any confidence
	mispTotal  int
}

// TestHoldOutWithinAreas is the evaluation of bench/attribution.md. The
// five published Area lists share no value with one another, so holding
// out a whole Area leaves nothing to find it by. Instead each Area's list
// is cut in two by value; one part is imported unattributed and the other,
// with the four other Areas, attributed to that Area's operators; the 28
// MISP test events are imported unattributed as negatives. What remains to
// link a part to its Area is the overlap the report itself relied on:
// registered domains and per-target C2 naming under one root, the same
// /24, registrant e-mails, code-signing serials. The truth is the Area a
// part was cut from.
func TestHoldOutWithinAreas(t *testing.T) {
	if testing.Short() {
		t.Skip("10 store builds")
	}
	events := mispEvents(t)
	for _, dropDomains := range []bool{false, true} {
		holdOutVariant(t, events, dropDomains)
	}
}

// holdOutVariant runs the ten hold-outs; with dropDomains the held-out
// part keeps only its addresses, e-mails, hashes, certificates and
// serials, to show what links a part once its domains are gone.
func holdOutVariant(t *testing.T, events []string, dropDomains bool) {
	ctx := context.Background()
	var outs []holdOutcome
	for _, held := range areas {
		for fold := 0; fold < holdOutFolds; fold++ {
			dir := t.TempDir()
			st := openStore(t)
			addAreaActors(t, st)
			heldPath, restPath, nHeld, _ := splitArea(t, dir, held, fold, dropDomains)
			for _, a := range areas {
				p := areaFile(t, a)
				if a == held {
					p = restPath
				}
				if !importOK(t, st, p, intel.Options{Source: "401trg", Report: "Burning Umbrella Area " + a, Actor: areaActor(a)}) {
					t.Fatalf("area %s did not import", a)
				}
			}
			subject := fmt.Sprintf("held-out part %d of Area %s", fold, held)
			if !importOK(t, st, heldPath, intel.Options{Source: "analyst", Report: subject}) {
				t.Fatalf("%s did not import", subject)
			}
			for _, p := range events {
				importOK(t, st, p, intel.Options{Source: "misp-pymisp"})
			}
			in, err := Load(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			res := Run(in, nil, Options{})
			o := holdOutcome{area: held, fold: fold, held: nHeld}
			areaNames := map[string]bool{}
			for _, a := range areas {
				areaNames[areaActor(a)] = true
			}
			for _, a := range res.Attributions {
				if a.Subject.Type != Report || len(a.Candidates) == 0 {
					continue
				}
				c := a.Candidates[0]
				switch {
				case a.Subject.Name == subject:
					o.top, o.conf = c.Actor, c.Confidence
					kinds := map[string]int{}
					for _, e := range c.Evidence {
						kinds[e.Kind]++
					}
					for k, n := range kinds {
						o.evidence = append(o.evidence, fmt.Sprintf("%s x%d", k, n))
					}
					sort.Strings(o.evidence)
				case !strings.HasPrefix(a.Subject.Name, "Burning Umbrella") && areaNames[c.Actor]:
					o.mispAny++
					if c.Confidence >= 30 {
						o.mispLinked++
					}
				}
			}
			o.mispTotal = mispReports(in)
			outs = append(outs, o)
		}
	}
	var right30, wrong30, rightAny, wrongAny, fp30, fpAny, negatives int
	for _, o := range outs {
		ok := o.top == areaActor(o.area)
		t.Logf("without held-out domains %v: Area %s part %d (%d values): top %q %d %s; evidence kinds (of the top 10) %v", dropDomains, o.area, o.fold, o.held, o.top, o.conf, verdict(ok, o.top), o.evidence)
		switch {
		case o.top == "":
		case ok && o.conf >= 30:
			right30++
			rightAny++
		case ok:
			rightAny++
		case o.conf >= 30:
			wrong30++
			wrongAny++
		default:
			wrongAny++
		}
		fp30 += o.mispLinked
		fpAny += o.mispAny
		negatives += o.mispTotal
	}
	n := len(outs)
	t.Logf("without held-out domains %v: held-out parts: %d; right Area at medium or above: %d (recall %.2f), wrong Area at medium or above: %d (precision %s)",
		dropDomains, n, right30, float64(right30)/float64(n), wrong30, ratio(right30, right30+wrong30))
	t.Logf("without held-out domains %v: at any confidence: right %d (recall %.2f), wrong %d (precision %s)", dropDomains, rightAny, float64(rightAny)/float64(n), wrongAny, ratio(rightAny, rightAny+wrongAny))
	t.Logf("without held-out domains %v: MISP reports (negatives) linked to an Area: %d/%d at medium or above, %d/%d at any confidence", dropDomains, fp30, negatives, fpAny, negatives)
	if wrong30 > 0 {
		t.Errorf("%d held-out parts linked to the wrong Area at medium or above", wrong30)
	}
	if fp30 > 0 {
		t.Errorf("%d MISP reports linked to an Area at medium or above", fp30)
	}
}

func verdict(ok bool, top string) string {
	switch {
	case top == "":
		return "(no candidate)"
	case ok:
		return "right"
	}
	return "WRONG"
}

func ratio(a, b int) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}
