package main

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/attribution/geo"
	"github.com/umbra-cti/umbra/internal/corpus"
)

func keysOf(m map[string]any) []string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}

func TestAttributeJSON(t *testing.T) {
	a1 := corpus.Path(t, "401trg-burning-umbrella", "20180503_Burning_Umbrella_Area_1_indicators.csv")
	a3 := corpus.Path(t, "401trg-burning-umbrella", "20180503_Burning_Umbrella_Area_3_indicators.csv")
	dir := t.TempDir()
	if _, err := run(t, "--data", dir, "intel", "import", "--source", "401trg", "--report", "Burning Umbrella Area 1", "--actor", "Winnti umbrella", a1); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "--data", dir, "intel", "import", "--source", "401trg", "--report", "Burning Umbrella Area 3", a3); err != nil {
		t.Fatal(err)
	}
	mm := filepath.Join(dir, "asn.mmdb")
	f, err := os.Create(mm)
	if err != nil {
		t.Fatal(err)
	}
	geo.Write(f, []geo.Network{{Prefix: netip.MustParsePrefix("221.216.0.0/13"), ASN: 4808, Org: "China Unicom Beijing", Country: "CN"}})
	f.Close()
	sessions := filepath.Join(dir, "sessions.csv")
	os.WriteFile(sessions, []byte("time,source,target\n2018-02-01T03:00:00Z,221.218.4.4,victim@o365.test\n"), 0o600)

	out, err := run(t, "--data", dir, "attribute", "--json", "--mmdb", mm, "--sessions", sessions)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := strings.Join(keysOf(res), ","); got != "attributions,leads,umbrellas" {
		t.Fatalf("top-level keys %s", got)
	}
	us := res["umbrellas"].([]any)
	if len(us) == 0 {
		t.Fatal("no umbrella")
	}
	if got := strings.Join(keysOf(us[0].(map[string]any)), ","); got != "confidence,evidence,members,name" {
		t.Errorf("umbrella keys %s", got)
	}
	found := false
	for _, a := range res["attributions"].([]any) {
		am := a.(map[string]any)
		subj := am["subject"].(map[string]any)
		if got := strings.Join(keysOf(subj), ","); got != "id,name,type" {
			t.Errorf("subject keys %s", got)
		}
		last := 101.0
		for _, c := range am["candidates"].([]any) {
			cm := c.(map[string]any)
			if got := strings.Join(keysOf(cm), ","); got != "actor,confidence,confidence_words,evidence" {
				t.Errorf("candidate keys %s", got)
			}
			conf := cm["confidence"].(float64)
			if conf > last {
				t.Errorf("%s: candidates not best first", subj["name"])
			}
			last = conf
			for _, e := range cm["evidence"].([]any) {
				if got := strings.Join(keysOf(e.(map[string]any)), ","); got != "kind,source,value,weight" {
					t.Errorf("evidence keys %s", got)
				}
			}
			if subj["name"] == "Burning Umbrella Area 3" && cm["actor"] == "Winnti umbrella" {
				found = true
			}
		}
	}
	if !found {
		t.Error("Area 3 has no Winnti umbrella candidate")
	}
	leads := res["leads"].([]any)
	if len(leads) != 1 {
		t.Fatalf("leads %v", leads)
	}
	l := leads[0].(map[string]any)
	if l["source"] != "221.218.4.4" || l["netblock"] != "221.216.0.0/13" || l["asn"] != 4808.0 || l["country"] != "CN" || l["actor"] != "Winnti umbrella" {
		t.Errorf("lead %v", l)
	}

	text, err := run(t, "--data", dir, "attribute")
	if err != nil || !strings.Contains(text, "Umbrellas") || !strings.Contains(text, "Burning Umbrella Area 3") {
		t.Errorf("text output: %v\n%s", err, text)
	}
	if _, err := run(t, "--data", dir, "attribute", "--operator-netblock", "not-a-cidr"); err == nil {
		t.Error("bad --operator-netblock accepted")
	}
}

// TestAttributeIncidentsFromStoredSightings: a DNS query for one of Area
// 1's domains, matched with `umbra match`, is stored as a sighting; a
// later `umbra attribute` (another process, in real use) reads it back,
// makes an incident of it and attributes the incident to the umbrella
// that Area 1 was imported under.
func TestAttributeIncidentsFromStoredSightings(t *testing.T) {
	a1 := corpus.Path(t, "401trg-burning-umbrella", "20180503_Burning_Umbrella_Area_1_indicators.csv")
	raw, err := os.ReadFile(a1)
	if err != nil {
		t.Fatal(err)
	}
	domain := ""
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Split(line, ","); len(f) > 1 && f[1] == "DOMAIN" {
			domain = f[0]
			break
		}
	}
	dir := t.TempDir()
	if _, err := run(t, "--data", dir, "intel", "import", "--source", "401trg", "--report", "Burning Umbrella Area 1", "--actor", "Winnti umbrella", a1); err != nil {
		t.Fatal(err)
	}
	dns := filepath.Join(dir, "dns.log")
	line := `{"ts":1520000000.0,"uid":"CDemo1","id.orig_h":"10.1.2.3","id.orig_p":53001,"id.resp_h":"10.0.0.53","id.resp_p":53,"proto":"udp","query":"` + domain + `","qtype_name":"A"}` + "\n"
	if err := os.WriteFile(dns, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "--data", dir, "match", dns); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "--data", dir, "attribute", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Attributions []struct {
			Subject struct {
				Type, Name string
			}
			Candidates []struct {
				Actor    string
				Evidence []struct{ Kind, Value string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	incidents := 0
	for _, a := range res.Attributions {
		if a.Subject.Type != "incident" {
			continue
		}
		incidents++
		if len(a.Candidates) == 0 || a.Candidates[0].Actor != "Winnti umbrella" {
			t.Fatalf("incident %s: candidates %+v", a.Subject.Name, a.Candidates)
		}
		found := false
		for _, e := range a.Candidates[0].Evidence {
			found = found || (e.Kind == "shared-domain" && e.Value == strings.ToLower(domain))
		}
		if !found {
			t.Errorf("evidence lacks the sighted domain %s: %+v", domain, a.Candidates[0].Evidence)
		}
	}
	if incidents != 1 {
		t.Errorf("%d incidents, want the one sighting's", incidents)
	}
	// The second run updates from the state the first kept in the data
	// dir, and must say exactly the same.
	if _, err := os.Stat(filepath.Join(dir, "attribution-state.json")); err != nil {
		t.Fatalf("no clustering state kept: %v", err)
	}
	again, err := run(t, "--data", dir, "attribute", "--json")
	if err != nil || again != out {
		t.Errorf("second run differs (%v):\n%s\n---\n%s", err, out, again)
	}
	if err := os.WriteFile(filepath.Join(dir, "attribution-state.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if third, err := run(t, "--data", dir, "attribute", "--json"); err != nil || third != out {
		t.Errorf("a damaged state file changed the result (%v)", err)
	}
}
