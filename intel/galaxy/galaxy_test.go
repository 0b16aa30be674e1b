package galaxy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

func readAll(t testing.TB, data []byte, idx Index) ([]stix.Object, Stats, error) {
	var objs []stix.Object
	st, err := Read(bytes.NewReader(data), "test.json", idx, func(o stix.Object) error {
		objs = append(objs, o)
		return nil
	})
	return objs, st, err
}

const sample = `{"authors":["t"],"category":"actor","description":"d","name":"Threat Actor","source":"MISP","type":"threat-actor","uuid":"7cdff317-a673-4474-84ec-4f1754947823","version":7,
"values":[
 {"value":"Alpha","uuid":"11111111-2222-4333-8444-555555555555","description":"first",
  "meta":{"synonyms":["ALPHA-1","Alpha Team"],"attribution-confidence":"50","since":"2009","name-attribution":["ALPHA-1:aaaaaaaa-2222-4333-8444-555555555555"]},
  "related":[{"dest-uuid":"11111111-2222-4333-8444-666666666666","type":"similar","tags":["estimative-language:likelihood-probability=\"very-likely\""]},
             {"dest-uuid":"99999999-2222-4333-8444-666666666666","type":"uses"}]},
 {"value":"Beta","uuid":"11111111-2222-4333-8444-666666666666"}]}`

func TestReadConvertsClustersAndRelations(t *testing.T) {
	idx := Index{"aaaaaaaa-2222-4333-8444-555555555555": {Type: "identity", Name: "Vendor X"}}
	objs, st, err := readAll(t, []byte(sample), idx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Clusters != 2 || st.Relationships != 1 || st.Unresolved != 1 {
		t.Fatalf("stats %+v", st)
	}
	a := objs[0]
	if a.Type != "intrusion-set" || a.ID != "intrusion-set--11111111-2222-4333-8444-555555555555" ||
		a.Common.Name != "Alpha" || *a.Common.Confidence != 50 || a.Common.FirstSeen != "2009-01-01T00:00:00.000Z" {
		t.Fatalf("cluster: %s", a.Raw)
	}
	claims := knowledge.Claims(&a, []string{Source})
	var note string
	for _, c := range claims {
		if c.Name == "ALPHA-1" {
			note = c.Note
		}
	}
	if note != "used by Vendor X" {
		t.Fatalf("ALPHA-1 claim note %q in %+v", note, claims)
	}
	r := objs[1]
	var m map[string]any
	json.Unmarshal(r.Raw, &m)
	if r.Type != "relationship" || m["relationship_type"] != "related-to" || m[knowledge.RelationProp] != "similar" ||
		m["confidence"] != float64(85) || m["target_ref"] != "intrusion-set--11111111-2222-4333-8444-666666666666" {
		t.Fatalf("relationship: %s", r.Raw)
	}
	// Same input, same objects: what makes re-imports idempotent.
	again, _, _ := readAll(t, []byte(sample), idx)
	for i := range objs {
		if !bytes.Equal(objs[i].Raw, again[i].Raw) {
			t.Fatalf("object %d differs between reads", i)
		}
	}
}

func TestMitreGalaxyNamesAndIDs(t *testing.T) {
	path := corpus.Path(t, "misp-galaxy", "clusters", "mitre-intrusion-set.json")
	data, _ := os.ReadFile(path)
	objs, st, err := readAll(t, data, LoadIndex(filepath.Dir(path)))
	if err != nil || st.Rejected != 0 {
		t.Fatalf("%v %+v", err, st.Errors)
	}
	found := false
	for _, o := range objs {
		if o.ID == "intrusion-set--c5947e1c-1cbc-434c-94b8-27c7e3be0fff" {
			found = o.Common.Name == "Winnti Group" && len(o.Common.ExternalRefs) > 0 && o.Common.ExternalRefs[0].ExternalID == "G0044"
		}
	}
	if !found {
		t.Fatal("Winnti Group - G0044 did not become ATT&CK's Winnti Group with external id G0044")
	}
	if st.Relationships < 1000 {
		t.Fatalf("only %d relationships resolved from the galaxy folder", st.Relationships)
	}
}

func TestLikelihoodIsMonotonic(t *testing.T) {
	words := []string{"almost-no-chance", "very-unlikely", "unlikely", "roughly-even-chance", "likely", "very-likely", "almost-certain"}
	prev := -1
	for _, w := range words {
		c, ok := Likelihood(w)
		if !ok || c <= prev || c > 100 {
			t.Fatalf("%s -> %d", w, c)
		}
		prev = c
	}
	if _, ok := Likelihood("probably"); ok {
		t.Fatal("unknown word accepted")
	}
}

func TestBadInput(t *testing.T) {
	for in, want := range map[string]string{
		`{"values":[`:                         "test.json",
		`{"type":"threat-actor","values":{}}`: "offset",
		`{"values":[]}`:                       "not a galaxy",
		`{"type":"sector","values":[]}`:       "not one umbra imports",
	} {
		_, _, err := readAll(t, []byte(in), nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", in, err, want)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`{"type":"mitre-attack-pattern","version":1,"values":[{"value":"x - T1","uuid":"11111111-2222-4333-8444-555555555555","meta":{"external_id":"T1","refs":"u"}}]}`))
	f.Add([]byte(`{"type":"producer","values":[{"value":"v","uuid":"11111111-2222-7333-8444-555555555555","related":[{"dest-uuid":"x","type":"similar","tags":[1]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, _, err := readAll(t, data, nil)
		if err != nil {
			return
		}
		for _, o := range objs {
			if !stix.SpecUUID(o.ID) {
				t.Fatalf("wrote an id STIX rejects: %s", o.ID)
			}
			if _, err := stix.Parse(o.Raw); err != nil {
				t.Fatalf("wrote an object that does not re-parse: %v", err)
			}
		}
	})
}
