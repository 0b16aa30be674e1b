package navigator

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func sample() []Technique {
	return []Technique{
		{ID: "T1566.001", Tactic: "initial-access", Sources: []string{"ProtectWise 2018", "Mandiant APT41 2019", "MITRE ATT&CK"}},
		{ID: "T1566", Tactic: "initial-access", Sources: []string{"MITRE ATT&CK"}},
		{ID: "T1553.002", Sources: []string{"Kaspersky Winnti 2013", "ProtectWise 2018"}},
		{ID: "t1090", Sources: []string{"ProtectWise 2018"}},
		{ID: "T1090", Sources: []string{"ProtectWise 2018", "Mandiant APT41 2019", " "}}, // merged, blank ignored
		{ID: "T1505.003"},
	}
}

func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), Options{Name: "Winnti umbrella", Description: "Techniques attributed to the Winnti umbrella"}); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "winnti.layer.json")
	if *update {
		os.WriteFile(golden, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("output differs from %s (run with -update to accept):\n%s", golden, buf.Bytes())
	}
}

// Every property the 4.5 layer format marks required is present and
// well-typed, and the values are in the ranges the format allows. Read
// through generic JSON so the check does not trust the Go structs.
func TestLayerFormat45(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), Options{Name: "Winnti umbrella"}); err != nil {
		t.Fatal(err)
	}
	var l map[string]any
	if err := json.Unmarshal(buf.Bytes(), &l); err != nil {
		t.Fatal(err)
	}
	str := func(m map[string]any, k string) string {
		t.Helper()
		s, ok := m[k].(string)
		if !ok {
			t.Fatalf("%q missing or not a string in %v", k, m)
		}
		return s
	}
	num := func(m map[string]any, k string) float64 {
		t.Helper()
		f, ok := m[k].(float64)
		if !ok {
			t.Fatalf("%q missing or not a number in %v", k, m)
		}
		return f
	}
	if str(l, "name") != "Winnti umbrella" {
		t.Error("name")
	}
	if d := str(l, "domain"); d != "enterprise-attack" {
		t.Errorf("domain %q", d)
	}
	v := l["versions"].(map[string]any)
	if str(v, "layer") != "4.5" {
		t.Errorf("versions.layer %q", v["layer"])
	}
	nav := strings.Split(str(v, "navigator"), ".")
	major, _ := strconv.Atoi(nav[0])
	minor, _ := strconv.Atoi(nav[1])
	if len(nav) != 3 || major < 4 || major == 4 && minor < 9 {
		t.Errorf("versions.navigator %q: the 4.5 format needs at least 4.9.0", v["navigator"])
	}
	if !regexp.MustCompile(`^\d+(\.\d+)?$`).MatchString(str(v, "attack")) {
		t.Errorf("versions.attack %q", v["attack"])
	}
	if s := num(l, "sorting"); s < 0 || s > 3 {
		t.Errorf("sorting %v", s)
	}
	lay := l["layout"].(map[string]any)
	if s := str(lay, "layout"); s != "side" && s != "flat" && s != "mini" {
		t.Errorf("layout %q", s)
	}
	if s := str(lay, "aggregateFunction"); !strings.Contains("average min max sum", s) {
		t.Errorf("aggregateFunction %q", s)
	}
	if s := str(lay, "expandedSubtechniques"); s != "none" && s != "all" && s != "annotated" {
		t.Errorf("expandedSubtechniques %q", s)
	}
	g := l["gradient"].(map[string]any)
	if c, _ := g["colors"].([]any); len(c) < 2 {
		t.Errorf("gradient needs at least two colours: %v", g["colors"])
	}
	if num(g, "maxValue") <= num(g, "minValue") {
		t.Errorf("gradient maxValue must exceed minValue: %v", g)
	}
	for _, it := range l["legendItems"].([]any) {
		m := it.(map[string]any)
		str(m, "label")
		str(m, "color")
	}
	for _, it := range l["metadata"].([]any) {
		m := it.(map[string]any)
		str(m, "name")
		str(m, "value")
	}
	idRE := regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	scores := map[string]float64{}
	for _, it := range l["techniques"].([]any) {
		m := it.(map[string]any)
		id := str(m, "techniqueID")
		if !idRE.MatchString(id) {
			t.Errorf("techniqueID %q", id)
		}
		scores[id+"/"+func() string { s, _ := m["tactic"].(string); return s }()] = num(m, "score")
		str(m, "comment")
		if md, ok := m["metadata"].([]any); ok {
			for _, e := range md {
				str(e.(map[string]any), "name")
				str(e.(map[string]any), "value")
			}
		}
		if m["showSubtechniques"] == true && strings.Contains(id, ".") {
			t.Errorf("%s: showSubtechniques on a sub-technique", id)
		}
	}
	// Score = number of distinct sources.
	want := map[string]float64{"T1566.001/initial-access": 3, "T1566/initial-access": 1, "T1553.002/": 2, "T1090/": 2, "T1505.003/": 0}
	if len(scores) != len(want) {
		t.Fatalf("techniques %v", scores)
	}
	for k, w := range want {
		if scores[k] != w {
			t.Errorf("%s: score %v, want %v", k, scores[k], w)
		}
	}
	if num(g, "maxValue") != 3 {
		t.Errorf("gradient max %v, want the top score 3", g["maxValue"])
	}
}

func TestBadInput(t *testing.T) {
	if _, err := Build(sample(), Options{}); err == nil {
		t.Error("layer without a name accepted")
	}
	if _, err := Build([]Technique{{ID: "T1566"}, {ID: "TA0001"}}, Options{Name: "x"}); err == nil || !strings.Contains(err.Error(), "technique 1") {
		t.Errorf("bad technique id: %v", err)
	}
	if _, err := Build(nil, Options{Name: "x", Domain: "pre-attack"}); err == nil {
		t.Error("unknown domain accepted")
	}
	l, err := Build(nil, Options{Name: "empty"})
	if err != nil || l.Gradient.MaxValue <= l.Gradient.MinValue || l.Techniques == nil {
		t.Errorf("empty layer %+v %v", l, err)
	}
}
