package intel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/kb"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/stix"
)

func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := kb.Ensure(context.Background(), st, st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestGalaxyThreatActorImport(t *testing.T) {
	path := corpus.Path(t, "misp-galaxy", "clusters", "threat-actor.json")
	st := openStore(t)
	ctx := context.Background()
	res, err := Import(ctx, st, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != FormatGalaxy || res.Source != "misp-galaxy" {
		t.Fatalf("format %q source %q", res.Format, res.Source)
	}
	if res.ByType["intrusion-set"] != 1041 {
		t.Fatalf("imported %d intrusion sets, want the file's 1041", res.ByType["intrusion-set"])
	}
	before, _ := st.Stats(ctx)

	// Second import: nothing changes.
	res2, err := Import(ctx, st, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := st.Stats(ctx)
	if res2.Summary.New+res2.Summary.Updated+res2.Summary.Historical != 0 || before.Objects != after.Objects ||
		before.Versions != after.Versions || before.Imports != after.Imports || before.Names != after.Names {
		t.Fatalf("second import changed the store: %+v, %+v -> %+v", res2.Summary, before, after)
	}

	// APT41 now carries the galaxy's Winnti names, in conflict with
	// ATT&CK's separate Winnti Group (G0044).
	a, err := knowledge.ResolveActor(ctx, st, "APT41")
	if err != nil {
		t.Fatal(err)
	}
	var winnti *knowledge.Conflict
	for i, c := range a.Conflicts {
		if knowledge.NormName(c.Name) == "winnti" {
			winnti = &a.Conflicts[i]
		}
	}
	if winnti == nil {
		t.Fatalf("no conflict on Winnti for APT41: %+v", a.Conflicts)
	}
	sides := map[string][]string{}
	for _, c := range winnti.Claims {
		sides[c.Actor] = c.Sources
	}
	if !contains(sides["APT41"], "misp-galaxy") || sides["Winnti Group"] == nil || !contains(sides["Axiom"], "misp-galaxy (until 2019)") {
		t.Fatalf("Winnti conflict sides: %v", sides)
	}
	g0044 := false
	for _, c := range a.Conflicts {
		if c.Name == "G0044" {
			for _, cl := range c.Claims {
				g0044 = g0044 || cl.Actor == "Winnti Group" && contains(cl.Sources, "mitre-attack")
			}
		}
	}
	if !g0044 {
		t.Fatalf("no G0044 conflict between the galaxy's APT41 and ATT&CK's Winnti Group: %+v", a.Conflicts)
	}
	// Who uses a name comes from the galaxy's name-attribution.
	usedBy := false
	for _, al := range a.Aliases {
		for _, u := range al.Users {
			usedBy = usedBy || strings.HasPrefix(u.Note, "used by ")
		}
	}
	if !usedBy {
		t.Error("no alias carries the producer that uses it")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestATTACKIntrusionSets(t *testing.T) {
	dir := corpus.Path(t, "mitre-cti", "enterprise-attack", "intrusion-set")
	st := openStore(t)
	ctx := context.Background()
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Fatal("no ATT&CK files")
	}
	for _, f := range files {
		res, err := Import(ctx, st, f, Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if res.Source != "mitre-attack" || res.ByType["intrusion-set"] != 1 {
			t.Fatalf("%s: source %q types %v", f, res.Source, res.ByType)
		}
	}
	a, err := knowledge.ResolveActor(ctx, st, "G0096")
	if err != nil || a.Name != "APT41" {
		t.Fatalf("G0096 -> %v, %v", a, err)
	}
	w, err := knowledge.ResolveActor(ctx, st, "Blackfly")
	if err != nil || w.Name != "Winnti Group" {
		t.Fatalf("Blackfly -> %v, %v", w, err)
	}
	o, err := st.Object(ctx, "intrusion-set--c5947e1c-1cbc-434c-94b8-27c7e3be0fff")
	if err != nil || o.SpecVersion != "2.1" {
		t.Fatalf("ATT&CK object not upgraded to 2.1: %v %q", err, o.SpecVersion)
	}
}

func TestMalformedInputsStoreNothing(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	before, _ := st.Stats(ctx)
	dir := t.TempDir()
	bad := filepath.Join(dir, "truncated.json")
	os.WriteFile(bad, []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
		{"type":"malware","spec_version":"2.1","id":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","name":"x","is_family":true},
		{"type":"malware","spec_ver`), 0o644)
	_, err := Import(ctx, st, bad, Options{})
	if err == nil || !strings.Contains(err.Error(), "truncated.json") || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("error %v does not name the file and offset", err)
	}
	after, _ := st.Stats(ctx)
	if after.Objects != before.Objects || after.Versions != before.Versions {
		t.Fatal("a failed import left objects behind")
	}

	mixed := filepath.Join(dir, "mixed.json")
	os.WriteFile(mixed, []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
		{"type":"malware","spec_version":"2.1","id":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","name":"x","is_family":true},
		{"type":"malware","spec_version":"2.1","id":"malware--not-a-uuid","created":"2016-05-12T08:17:27.000Z"}]}`), 0o644)
	res, err := Import(ctx, st, mixed, Options{})
	if !errors.Is(err, ErrRejected) || len(res.Rejected) != 1 || !strings.Contains(res.Rejected[0], "object 1") {
		t.Fatalf("err %v rejected %v", err, res.Rejected)
	}
	if res.Summary.New != 1 {
		t.Fatalf("the good object was not kept: %+v", res.Summary)
	}

	gal := filepath.Join(dir, "galaxy.json")
	os.WriteFile(gal, []byte(`{"authors":["x"],"category":"actor","type":"threat-actor","uuid":"7cdff317-a673-4474-84ec-4f1754947823","version":1,"values":[
		{"value":"Good","uuid":"11111111-2222-4333-8444-555555555555"},
		{"value":"","uuid":"11111111-2222-4333-8444-555555555556"},
		{"value":"BadUUID","uuid":"zzz"}]}`), 0o644)
	res, err = Import(ctx, st, gal, Options{})
	if !errors.Is(err, ErrRejected) || len(res.Rejected) != 2 || !strings.Contains(res.Rejected[1], "cluster 2") {
		t.Fatalf("err %v rejected %v", err, res.Rejected)
	}
}

func TestVersionsKeepHistory(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, modified, desc string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(`{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--4e78f46f-a023-4e5f-bc24-71b3ca22ec29",
			"created":"2016-04-06T20:03:48.000Z","modified":"`+modified+`","name":"Bobcat","description":"`+desc+`"}`), 0o644)
		return p
	}
	Import(ctx, st, write("v2.json", "2017-01-01T00:00:00.000Z", "second"), Options{})
	Import(ctx, st, write("v1.json", "2016-04-06T20:03:48.000Z", "first"), Options{})
	Import(ctx, st, write("v3.json", "2018-01-01T00:00:00.5Z", "third"), Options{})
	o, err := st.Object(ctx, "intrusion-set--4e78f46f-a023-4e5f-bc24-71b3ca22ec29")
	if err != nil || o.Common.Description != "third" {
		t.Fatalf("current version: %q %v", o.Common.Description, err)
	}
	vs, _ := st.Versions(ctx, o.ID)
	if len(vs) != 3 || vs[0].Common.Description != "first" || vs[2].Common.Description != "third" {
		t.Fatalf("history: %d versions", len(vs))
	}
}

func BenchmarkGalaxyThreatActorImport(b *testing.B) {
	path := corpus.Path(b, "misp-galaxy", "clusters", "threat-actor.json")
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := sqlite.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := Import(context.Background(), st, path, Options{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
}

// The five Burning Umbrella CSVs import cleanly; the per-type counts equal
// an independent count of the files' distinct (type, indicator) rows.
func TestBurningUmbrellaCSVs(t *testing.T) {
	dir := corpus.Path(t, "401trg-burning-umbrella")
	files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	if len(files) != 5 {
		t.Fatalf("want the 5 area CSVs, found %d", len(files))
	}
	st := openStore(t)
	ctx := context.Background()
	for _, f := range files {
		res, err := Import(ctx, st, f, Options{Source: "401trg", Actor: "Winnti umbrella", Confidence: 70, Report: filepath.Base(f)})
		if err != nil {
			t.Fatalf("%s: %v %v", f, err, res.Rejected)
		}
		if res.Format != FormatCSV {
			t.Fatalf("%s detected as %q", f, res.Format)
		}
		b, _ := os.ReadFile(f)
		distinct := map[string]bool{}
		for i, line := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
			if i == 0 || strings.TrimSpace(line) == "" {
				continue
			}
			cells := strings.Split(line, ",")
			distinct[strings.ToLower(strings.TrimSpace(cells[0]))+"|"+strings.TrimSpace(cells[1])] = true
		}
		total := 0
		for _, n := range res.ByType {
			total += n
		}
		if total != len(distinct) {
			t.Errorf("%s: imported %d indicators, the file has %d distinct rows", filepath.Base(f), total, len(distinct))
		}
		t.Logf("%s: %s", filepath.Base(f), strings.Join(res.TypeCounts(), " "))
		// Importing again changes nothing.
		again, err := Import(ctx, st, f, Options{Source: "401trg", Actor: "Winnti umbrella", Confidence: 70, Report: filepath.Base(f)})
		if err != nil || again.Summary.New+again.Summary.Updated != 0 {
			t.Fatalf("%s: re-import %+v %v", f, again.Summary, err)
		}
	}
	rels, _ := st.Relations(ctx, kb.UmbrellaID)
	indicates := 0
	for _, r := range rels {
		if r.Type == "indicates" {
			indicates++
		}
	}
	if indicates < 100 {
		t.Fatalf("only %d indicators attributed to the umbrella", indicates)
	}
}

func TestMISPEventsImport(t *testing.T) {
	dir := corpus.Path(t, "misp-pymisp")
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	st := openStore(t)
	ctx := context.Background()
	imported := 0
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if Detect(b[:min(len(b), 64<<10)]) != FormatMISP {
			continue
		}
		res, err := Import(ctx, st, f, Options{Format: FormatMISP})
		if err != nil && !errors.Is(err, ErrRejected) {
			continue // not every file there is an event; the misp package tests which
		}
		if res.ByType["report"] > 0 {
			imported++
		}
	}
	if imported < 10 {
		t.Fatalf("only %d MISP event files imported", imported)
	}
}

// A TAXII import pulls every page, remembers where it stopped, and the
// next import asks only for what was added since.
func TestTAXIIImportResumes(t *testing.T) {
	obj := func(i int) string {
		return fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd%04d","created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","name":"m%d","is_family":true}`, i, i)
	}
	var asked []string
	n := 5
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		after := r.URL.Query().Get("added_after")
		asked = append(asked, after)
		var objs []string
		for i := 0; i < n; i++ {
			if d := fmt.Sprintf("2020-01-01T00:00:%02dZ", i); d > after {
				objs = append(objs, obj(i))
			}
		}
		w.Header().Set("Content-Type", "application/taxii+json;version=2.1")
		if len(objs) > 0 {
			w.Header().Set("X-TAXII-Date-Added-Last", fmt.Sprintf("2020-01-01T00:00:%02dZ", n-1))
		}
		fmt.Fprintf(w, `{"more":false,"objects":[%s]}`, strings.Join(objs, ","))
	}))
	defer srv.Close()
	st := openStore(t)
	ctx := context.Background()
	url := "taxii+" + srv.URL + "/api/collections/c1"
	res, err := Import(ctx, st, url, Options{})
	if err != nil || res.Summary.New != 5 || res.Format != FormatTAXII {
		t.Fatalf("%+v %v", res, err)
	}
	n = 7
	res, err = Import(ctx, st, url, Options{})
	if err != nil || res.Summary.New != 2 || asked[len(asked)-1] != "2020-01-01T00:00:04Z" {
		t.Fatalf("second pull: %+v asked %v %v", res.Summary, asked, err)
	}
}

func TestDecayScore(t *testing.T) {
	now := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if s := DecayScore(80, now, now, DefaultHalfLife); s != 80 {
		t.Fatalf("fresh: %d", s)
	}
	if s := DecayScore(80, now.Add(-DefaultHalfLife), now, DefaultHalfLife); s != 40 {
		t.Fatalf("one half-life: %d", s)
	}
	if s := DecayScore(0, now.Add(-2*DefaultHalfLife), now, DefaultHalfLife); s != 13 {
		t.Fatalf("unknown confidence, two half-lives: %d", s)
	}
}

// A sighting resets an indicator's decay.
func TestSightingResetsDecay(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	ind, _ := stix.Build("indicator", "indicator--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061", stix.Props{
		"pattern": "[domain-name:value = 'c2.example']", "pattern_type": "stix", "valid_from": "2018-01-01T00:00:00.000Z",
		"created": "2018-01-01T00:00:00.000Z", "modified": "2018-01-01T00:00:00.000Z", "confidence": 80,
		"x_umbra_type": "domain", "x_umbra_value": "c2.example"})
	put := func(o stix.Object) {
		if _, err := st.Import(ctx, knowledge.ImportInfo{Source: "t"}, func(p func(stix.Object) error) error { return p(o) }); err != nil {
			t.Fatal(err)
		}
	}
	put(ind)
	at := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	score := func() int {
		inds, err := ActiveIndicators(ctx, st, st, Selection{TLPMax: stix.TLPRed, At: at})
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range inds {
			if i.Value == "c2.example" {
				return i.Score
			}
		}
		t.Fatal("indicator not active")
		return 0
	}
	before := score()
	sg, _ := stix.Build("sighting", "sighting--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0062", stix.Props{
		"sighting_of_ref": ind.ID, "first_seen": "2018-12-31T00:00:00.000Z", "last_seen": "2018-12-31T00:00:00.000Z",
		"created": "2018-12-31T00:00:00.000Z", "modified": "2018-12-31T00:00:00.000Z"})
	put(sg)
	after := score()
	if before >= 60 || after < 79 {
		t.Fatalf("score a year on %d, after a sighting the day before %d", before, after)
	}
}

// BenchmarkImportCSVToStore measures the whole import path: read,
// normalise, convert to STIX and store in SQLite, per indicator.
func BenchmarkImportCSVToStore(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "big.csv")
	var sb strings.Builder
	sb.WriteString("Indicator,Type,Description,Reference\r\n")
	const rows = 50000
	for i := 0; i < rows; i++ {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&sb, "c2-%d.example-%d.com,DOMAIN,,r\r\n", i, i%97)
		case 1:
			fmt.Fprintf(&sb, "%d.%d.%d.%d,IP,,r\r\n", 11+i%200, (i>>8)&255, i&255, 1+i%250)
		default:
			fmt.Fprintf(&sb, "%032x,MD5,,r\r\n", i*7919)
		}
	}
	os.WriteFile(path, []byte(sb.String()), 0o644)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := sqlite.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := Import(context.Background(), st, path, Options{Source: "bench"}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "indicators/s")
}

// TestLookupSerialOrHash: a certificate serial pasted as bare hex reads as
// an MD5 when it has 32 digits and as nothing with colons or an odd
// length; lookup finds the serial in every spelling, and a real MD5 stays
// an MD5.
func TestLookupSerialOrHash(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	dir := t.TempDir()
	list := filepath.Join(dir, "serials.csv")
	os.WriteFile(list, []byte("Indicator,Type,Description,Reference\r\n"+
		"028E1DECCF93D38ECF396118DFE908B4,CODE SIGN CERT SERIAL,,r\r\n"+
		"0453F5E1437937,CODE SIGN CERT SERIAL,,r\r\n"+
		"9ba13b5bf8df0a0df84e5fe3ff6f8e44,FILE MD5,,r\r\n"), 0o644)
	if _, err := Import(ctx, st, list, Options{Source: "test"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ query, typ string }{
		{"028E1DECCF93D38ECF396118DFE908B4", "cert-serial"},
		{"02:8e:1d:ec:cf:93:d3:8e:cf:39:61:18:df:e9:08:b4", "cert-serial"},
		{"0453F5E1437937", "cert-serial"},
		{"9BA13B5BF8DF0A0DF84E5FE3FF6F8E44", "md5"},
		{"00000000000000000000000000000001", "md5"}, // known to nobody: the hash reading stands
	} {
		res, err := Lookup(ctx, st, st, c.query)
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		if res.Type != c.typ {
			t.Errorf("%s read as %s, want %s", c.query, res.Type, c.typ)
		}
		if want := c.query != "00000000000000000000000000000001"; (len(res.Seen) == 1) != want {
			t.Errorf("%s: seen %v", c.query, res.Seen)
		}
	}
}

// A value from a STIX bundle (an indicator with a simple pattern and no
// umbra properties, an observable) is found like a value from a list.
func TestLookupFindsSTIXValues(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bundle.json")
	os.WriteFile(path, []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
		{"type":"indicator","spec_version":"2.1","id":"indicator--00000001-0000-4000-8000-000000000000","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","name":"c2","pattern":"[domain-name:value = 'Evil-C2.com']","pattern_type":"stix","valid_from":"2024-03-01T10:00:00Z"},
		{"type":"domain-name","spec_version":"2.1","id":"domain-name--00000001-0000-4000-8000-000000000000","value":"EVIL-C2.COM"}]}`), 0o644)
	if _, err := Import(ctx, st, path, Options{Source: "vendor"}); err != nil {
		t.Fatal(err)
	}
	importCSV(t, st, "401trg", "evil-c2[.]com,DOMAIN,,r\r\n")
	res, err := Lookup(ctx, st, st, "EVIL-C2[.]com")
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, s := range res.Seen {
		types[s.Type]++
	}
	if res.Value != "evil-c2.com" || types["indicator"] != 2 || types["domain-name"] != 1 {
		t.Fatalf("lookup %s: %+v", res.Value, res.Seen)
	}
}

// Lookup lists where a value was sighted: the STIX sightings of the
// indicators that carry it, oldest first.
func TestLookupListsSightings(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	importCSV(t, st, "feed", "gamecdn-sync.net,DOMAIN,,r\r\n")
	ind := indicator.IndicatorID(indicator.Domain, "gamecdn-sync.net", "feed")
	sighting := func(n int, first string) stix.Object {
		o, err := stix.Build("sighting", stix.DeterministicID("sighting", ind+first), stix.Props{
			"sighting_of_ref": ind, "count": n, "first_seen": first, "last_seen": "2018-03-11T23:57:52.537Z",
			"created": first, "modified": first, "x_umbra_sensor": "zeek",
			"x_umbra_where": []string{"dns.query", "tls.sni"}, "x_umbra_hosts": []string{"10.20.10.10"}})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	_, err := st.Import(ctx, knowledge.ImportInfo{Source: "umbra-match"}, func(put func(stix.Object) error) error {
		if err := put(sighting(3, "2018-03-09T00:00:00.000Z")); err != nil {
			return err
		}
		return put(sighting(530, "2018-03-08T00:04:39.537Z"))
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Lookup(ctx, st, st, "gamecdn-sync[.]net")
	if err != nil || len(res.Seen) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	obs := res.Seen[0].Observed
	if len(obs) != 2 || obs[0].Count != 530 || obs[1].Count != 3 || obs[0].Sensor != "zeek" ||
		strings.Join(obs[0].Where, ",") != "dns.query,tls.sni" || obs[0].Hosts[0] != "10.20.10.10" {
		t.Fatalf("observed %+v", obs)
	}
}

// An address is seen wherever a listed network holds it (the operator
// netblock a direct session came from), and said to be within it.
func TestLookupFindsNetworks(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	importCSV(t, st, "feed",
		"198.48.0.0/13,CIDR,operator netblock,r\r\n"+
			"198.51.100.7,IP,,r\r\n"+
			"2001:db8::/32,CIDR,,r\r\n"+
			"96.0.0.0/7,CIDR,too broad to say anything,r\r\n")
	for _, c := range []struct{ query, want string }{
		{"198.51.100.7", " 198.48.0.0/13"}, // the address itself, then its network
		{"198.55.255.1", "198.48.0.0/13"},
		{"198.56.0.1", ""},
		{"2001:db8:0:1::9", "2001:db8::/32"},
		{"97.1.2.3", ""},
	} {
		res, err := Lookup(ctx, st, st, c.query)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range res.Seen {
			got = append(got, s.Within)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s: within %q, want %q", c.query, got, c.want)
		}
	}
}

// A domain under a TLD the public suffix list does not know reads as a
// file name, whose case counts; lookup finds it as the domain a list named,
// in any case.
func TestLookupDomainUnderUnknownTLD(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	importCSV(t, st, "feed", "c2.evil.example,DOMAIN,,r\r\nsetup.example,FILE NAME,,r\r\n")
	for _, c := range []struct{ query, typ string }{
		{"C2.Evil[.]example", "domain"},
		{"setup.example", "file-name"}, // the store knows the file-name reading
		{"unknown.example", "file-name"},
	} {
		res, err := Lookup(ctx, st, st, c.query)
		if err != nil {
			t.Fatal(err)
		}
		if res.Type != c.typ || (len(res.Seen) == 1) != (c.query != "unknown.example") {
			t.Errorf("%s: %s, seen %v; want %s", c.query, res.Type, res.Seen, c.typ)
		}
	}
}

// importCSV imports a Burning Umbrella-style CSV of rows (each ending in
// CRLF) from source.
func importCSV(t *testing.T, st *sqlite.Store, source, rows string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "list.csv")
	if err := os.WriteFile(path, []byte("Indicator,Type,Description,Reference\r\n"+rows), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(context.Background(), st, path, Options{Source: source}); err != nil {
		t.Fatal(err)
	}
}
