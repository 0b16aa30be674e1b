package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/stix"
)

// pymispNonEvents are the JSON files in PyMISP's test folder that are not
// MISP events (a galaxy, a sighting, object templates, a STIX bundle and
// an empty object); reading them must fail rather than invent an event.
var pymispNonEvents = map[string]bool{
	"mispevent_testfiles/galaxy.json":                          true,
	"mispevent_testfiles/sighting.json":                        true,
	"mispevent_testfiles/simple.json":                          true,
	"mispevent_testfiles/overwrite_file/definition.json":       true,
	"mispevent_testfiles/test_object_template/definition.json": true,
	"stix2.json": true,
}

func pymispFiles(t *testing.T) (root string, files []string) {
	root = corpus.Path(t, "misp-pymisp", "tests")
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if len(files) < 20 {
		t.Fatalf("only %d JSON files under %s", len(files), root)
	}
	return root, files
}

// summary is the part of an event that must survive import and export,
// computed from generic JSON so it does not depend on the Go model.
type summary struct {
	Event      map[string]string
	Tags       []string
	Attributes []string
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		return fmt.Sprint(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func boolStr(v any) string {
	switch str(v) {
	case "true", "1", "True":
		return "true"
	}
	return "false"
}

func tagList(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, t := range list {
		m, _ := t.(map[string]any)
		out = append(out, str(m["name"]))
	}
	sort.Strings(out)
	return out
}

func summarize(t *testing.T, data []byte) []summary {
	t.Helper()
	var top any
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	add := func(v any) {
		m, _ := v.(map[string]any)
		if e, ok := m["Event"].(map[string]any); ok {
			m = e
		}
		events = append(events, m)
	}
	if m, ok := top.(map[string]any); ok {
		if r, ok := m["response"].([]any); ok {
			for _, e := range r {
				add(e)
			}
		} else {
			add(m)
		}
	}
	var out []summary
	for _, e := range events {
		s := summary{Event: map[string]string{}, Tags: tagList(e["Tag"])}
		for _, k := range []string{"info", "uuid", "date", "threat_level_id", "analysis", "distribution"} {
			s.Event[k] = str(e[k])
		}
		attr := func(prefix string, a map[string]any) {
			s.Attributes = append(s.Attributes, strings.Join([]string{prefix, str(a["type"]), str(a["category"]), str(a["value"]),
				boolStr(a["to_ids"]), str(a["comment"]), str(a["uuid"]), strings.Join(tagList(a["Tag"]), ";")}, "|"))
		}
		list, _ := e["Attribute"].([]any)
		for _, a := range list {
			attr("", a.(map[string]any))
		}
		objs, _ := e["Object"].([]any)
		for _, o := range objs {
			om := o.(map[string]any)
			list, _ := om["Attribute"].([]any)
			for _, a := range list {
				attr(str(om["name"])+"/"+str(om["uuid"]), a.(map[string]any))
			}
		}
		sort.Strings(s.Attributes)
		out = append(out, s)
	}
	return out
}

// The requirement: the PyMISP test events import, and export back equal
// (same event header, same attributes incl. those inside objects, same tags).
func TestPyMISPRoundTrip(t *testing.T) {
	root, files := pymispFiles(t)
	events := 0
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			path := filepath.Join(root, rel)
			evs, skipped, err := ReadFile(path)
			if pymispNonEvents[rel] {
				if err == nil {
					t.Fatalf("read %d events from a file that holds none", len(evs))
				}
				if !strings.Contains(err.Error(), path) {
					t.Fatalf("error does not name the file: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(skipped) > 0 {
				t.Fatalf("skipped elements in a valid event: %v", skipped)
			}
			orig, _ := os.ReadFile(path)
			var buf bytes.Buffer
			for i := range evs {
				b, err := Encode(&evs[i])
				if err != nil {
					t.Fatal(err)
				}
				buf.Write(b)
			}
			want := summarize(t, orig)
			var got []summary
			dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
			for dec.More() {
				var part json.RawMessage
				if err := dec.Decode(&part); err != nil {
					t.Fatal(err)
				}
				got = append(got, summarize(t, part)...)
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("export differs from import\nwant %+v\n got %+v", want, got)
			}
			// Lossless apart from spelling: every member, known or not, survives.
			if len(evs) == 1 {
				var o, g any
				json.Unmarshal(orig, &o)
				json.Unmarshal(buf.Bytes(), &g)
				if om, ok := o.(map[string]any); ok {
					if r, ok := om["response"].([]any); ok {
						o, om = r[0], r[0].(map[string]any)
					}
					if e, ok := om["Event"]; ok {
						o = e
					}
				}
				json.NewDecoder(bytes.NewReader(buf.Bytes())).Decode(&g)
				g = g.(map[string]any)["Event"]
				if no, ng := canon(o), canon(g); !reflect.DeepEqual(no, ng) {
					t.Fatalf("export lost or changed members:\nwant %v\n got %v", no, ng)
				}
			}
			events += len(evs)
		})
	}
	if events < 20 {
		t.Fatalf("only %d events round-tripped", events)
	}
}

// canon drops members that carry no information (empty strings, nulls,
// false, empty lists) and spells numbers as strings, the two liberties the
// writer takes.
func canon(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if c := canon(e); c != nil {
				out[k] = c
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, canon(e))
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case string:
		if x == "" {
			return nil
		}
		return x
	case float64:
		return fmt.Sprint(x)
	case bool:
		if !x {
			return nil
		}
		return x
	}
	return nil
}

func TestTypeMapping(t *testing.T) {
	evs, skipped, err := ReadFile("testdata/types.json")
	if err != nil || len(skipped) > 0 || len(evs) != 1 {
		t.Fatalf("%d events, skipped %v, err %v", len(evs), skipped, err)
	}
	inds, rejected := Indicators(evs, "fixture")
	if len(rejected) > 0 {
		t.Fatalf("rejected %v", rejected)
	}
	got := map[string]indicator.Indicator{}
	for _, ind := range inds {
		got[ind.Type.String()+" "+ind.Value] = ind
	}
	want := []string{
		"ipv4 221.216.5.6", "ipv6 2001:db8::1", "cidr 221.216.0.0/13", "domain update.example.com",
		"ipv4 198.51.100.7", "domain c2.example.net", "url http://c2.example.net/gate.php?id=1",
		"email registrant@example.org", "phone +8613800000000", "file-name loader.dll",
		"sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"md5 d41d8cd98f00b204e9800998ecf8427e", "ja3 e7d705a3286e19ea42f587b344ee6865",
		"user-agent Mozilla/4.0 (compatible; MSIE 8.0; Win32)", "asn AS4808",
		"cert-sha1 2c322ae2b7fe91391345e070b63668978bb1c9da", "cert-serial A1B2C",
	}
	for _, w := range want {
		if _, ok := got[w]; !ok {
			t.Errorf("missing indicator %q", w)
		}
	}
	if len(inds) != len(want) {
		keys := make([]string, 0, len(got))
		for k := range got {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Fatalf("got %d indicators, want %d: %q", len(inds), len(want), keys)
	}
	dup := got["ipv4 221.216.5.6"]
	if len(dup.IDs) != 2 || len(dup.Sources) != 1 || dup.Sources[0] != "fixture" {
		t.Errorf("duplicate value not merged with both ids: %+v", dup)
	}
	wantActors := []indicator.Actor{{Name: "APT17", Confidence: 70}, {Name: "APT41", Confidence: 70}}
	if !reflect.DeepEqual(dup.Actors, wantActors) {
		t.Errorf("actors %+v, want %+v", dup.Actors, wantActors)
	}
	if s := evs[0].Galaxies[0].Clusters[0].Synonyms(); !reflect.DeepEqual(s, []string{"BARIUM", "Wicked Panda"}) {
		t.Errorf("synonyms %q", s)
	}
	if sg := evs[0].Attributes[16].Sightings; len(sg) != 1 || sg[0].Source != "sensor-1" || sg[0].DateSighting != "1525392000" {
		t.Errorf("sighting not read: %+v", sg)
	}
}

func TestBadInputNamesFileAndPath(t *testing.T) {
	evs, skipped, err := ReadFile("testdata/bad_attribute.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || len(evs[0].Attributes) != 1 || evs[0].Attributes[0].Value != "good.example" {
		t.Fatalf("good attribute not kept: %+v", evs)
	}
	if len(skipped) != 2 {
		t.Fatalf("want 2 skipped attributes, got %v", skipped)
	}
	for i, want := range []string{"testdata/bad_attribute.json: Event.Attribute[1].to_ids: expected a boolean", "testdata/bad_attribute.json: Event.Attribute[2].type: missing"} {
		if !strings.Contains(skipped[i].Error(), want) {
			t.Errorf("skipped[%d] = %q, want it to contain %q", i, skipped[i], want)
		}
	}
	_, _, err = ReadFile("testdata/truncated.json")
	if err == nil || !strings.Contains(err.Error(), "testdata/truncated.json") || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("truncated input: %v", err)
	}
	for _, in := range []string{`[]`, `{}`, `{"Event": []}`, `{"Event": {"Attribute": {}}}`, `{"Event": {"info": 7, "published": "soon"}}`, `"x"`} {
		if evs, _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%s: accepted as %d events", in, len(evs))
		}
	}
}

func TestFeed(t *testing.T) {
	for _, path := range []string{"testdata/feed", "testdata/feed/manifest.json"} {
		evs, skipped, err := ReadPath(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].Info != "feed event one" || evs[1].Info != "feed event two" {
			t.Fatalf("%s: events %+v", path, evs)
		}
		if len(skipped) != 1 || !strings.Contains(skipped[0].Error(), "5f1c0d2e-0a1b-4c2d-9e3f-505152535455.json") {
			t.Fatalf("%s: missing feed event not reported by file name: %v", path, skipped)
		}
		inds, _ := Indicators(evs, "")
		if len(inds) != 2 || inds[0].Value != "one.example" || len(inds[0].IDs) != 2 || inds[0].Sources[0] != "feed org" {
			t.Fatalf("feed indicators %+v", inds)
		}
	}
	// Written feeds read back the same.
	evs, _, _ := ReadFile("testdata/types.json")
	dir := t.TempDir()
	if err := WriteFeed(dir, evs); err != nil {
		t.Fatal(err)
	}
	back, skipped, err := ReadFeed(dir)
	if err != nil || len(skipped) > 0 || len(back) != 1 {
		t.Fatalf("%v %v %d", err, skipped, len(back))
	}
	a, _ := Encode(&evs[0])
	b, _ := Encode(&back[0])
	if !bytes.Equal(a, b) {
		t.Fatal("feed event changed on the way through")
	}
}

// Every to_ids attribute survives event -> STIX -> event with its type,
// category, value and uuid; the STIX validates against the OASIS schemas.
func TestSTIXRoundTrip(t *testing.T) {
	root := corpus.Path(t, "misp-pymisp", "tests")
	paths := []string{"testdata/types.json", filepath.Join(root, "mispevent_testfiles/existing_event.json"),
		filepath.Join(root, "reportlab_testfiles/mainly_objects_1.json"), filepath.Join(root, "57c4445b-c548-4654-af0b-4be3950d210f.json")}
	var all []stix.Object
	for _, p := range paths {
		evs, _, err := ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ev := &evs[0]
		objs, err := ev.STIX()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		all = append(all, objs...)
		var want []string
		visit := func(a Attribute, obj string) {
			if vals, _ := a.Values(obj); a.ToIDs && !a.Deleted && len(vals) > 0 {
				want = append(want, a.Type+"|"+a.Category+"|"+a.Value+"|"+a.UUID)
			}
		}
		for _, a := range ev.Attributes {
			visit(a, "")
		}
		for _, o := range ev.Objects {
			if !o.Deleted {
				for _, a := range o.Attributes {
					visit(a, o.Name)
				}
			}
		}
		if len(want) == 0 {
			t.Fatalf("%s: no to_ids attributes to test with", p)
		}
		back, err := FromSTIX(objs)
		if err != nil || len(back) != 1 {
			t.Fatalf("%s: %v, %d events", p, err, len(back))
		}
		var got []string
		for _, a := range back[0].Attributes {
			got = append(got, a.Type+"|"+a.Category+"|"+a.Value+"|"+a.UUID)
		}
		for _, o := range back[0].Objects {
			for _, a := range o.Attributes {
				got = append(got, a.Type+"|"+a.Category+"|"+a.Value+"|"+a.UUID)
			}
		}
		sort.Strings(want)
		sort.Strings(got)
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%s: attributes after STIX\nwant %q\n got %q", p, want, got)
		}
		if back[0].UUID != ev.UUID || back[0].Info != ev.Info || back[0].Date != ev.Date || back[0].ThreatLevelID != ev.ThreatLevelID {
			t.Fatalf("%s: event header changed: %+v", p, back[0])
		}
		if !reflect.DeepEqual(tagNames(back[0].Tags), tagNames(ev.Tags)) {
			t.Fatalf("%s: tags %q, want %q", p, tagNames(back[0].Tags), tagNames(ev.Tags))
		}
	}
	// The fixture's TLP and actors reach the report and the indicators.
	evs, _, _ := ReadFile("testdata/types.json")
	objs, _ := evs[0].STIX()
	var report, red *stix.Object
	for i := range objs {
		o := &objs[i]
		if o.Type == "report" {
			report = o
		}
		if strings.Contains(o.Common.Pattern, "c2.example.net'") {
			red = o
		}
	}
	var actors []string
	report.Property("x_umbra_actors", &actors)
	if !reflect.DeepEqual(actors, []string{"APT17", "APT41"}) || len(report.Common.ObjectMarkingRefs) != 1 || report.Common.ObjectMarkingRefs[0] != stix.TLPAmber.MarkingID() {
		t.Fatalf("report actors %q markings %q", actors, report.Common.ObjectMarkingRefs)
	}
	if red == nil || red.Common.ObjectMarkingRefs[0] != stix.TLPRed.MarkingID() {
		t.Fatalf("attribute-level tlp:red not applied: %+v", red)
	}
	validate(t, all)
}

func validate(t *testing.T, objs []stix.Object) {
	t.Helper()
	if testing.Short() {
		t.Skip("schema validation runs python; skipped in -short mode")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not present")
	}
	script := filepath.Join(corpus.Path(t, "stix2-json-schemas"), "..", "..", "tools", "validate-stix")
	if _, err := os.Stat(script); err != nil {
		t.Skip("validate-stix is not present")
	}
	// One object of each shape keeps the (slow) schema run short.
	var buf bytes.Buffer
	w := stix.NewWriter(&buf)
	seen := map[string]bool{}
	for _, o := range objs {
		var shape struct {
			Type string `json:"x_umbra_type"`
		}
		json.Unmarshal(o.Raw, &shape)
		key := o.Type + "/" + shape.Type
		if o.Type == "marking-definition" || o.Type == "report" {
			key = o.ID
		}
		if !seen[key] {
			seen[key] = true
			w.Write(o)
		}
	}
	w.Close()
	f := filepath.Join(t.TempDir(), "misp.json")
	os.WriteFile(f, buf.Bytes(), 0o644)
	if out, err := exec.Command(script, f).CombinedOutput(); err != nil {
		t.Fatalf("validate-stix: %v\n%s", err, out)
	}
}

func TestFromIndicators(t *testing.T) {
	amber := stix.TLPAmber
	inds := []indicator.Indicator{
		{Type: indicator.Domain, Value: "update.example.com", Sources: []string{"b", "a"}, Actors: []indicator.Actor{{Name: "APT17", Confidence: 80}}},
		{Type: indicator.SHA256, Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{Type: indicator.Unknown, Value: "???"},
	}
	ev, skipped := FromIndicators(inds, Meta{Info: "umbra export", Org: "umbra", TLP: &amber})
	if len(skipped) != 1 || skipped[0].Value != "???" {
		t.Fatalf("skipped %+v", skipped)
	}
	if len(ev.Attributes) != 2 || ev.Attributes[0].Type != "domain" || ev.Attributes[0].Comment != "sources: a, b" || !bool(ev.Attributes[1].ToIDs) {
		t.Fatalf("attributes %+v", ev.Attributes)
	}
	if want := []string{"tlp:amber", `misp-galaxy:threat-actor="APT17"`}; !reflect.DeepEqual(tagNames(ev.Tags), want) {
		t.Fatalf("tags %q", tagNames(ev.Tags))
	}
	ev2, _ := FromIndicators(inds, Meta{Info: "umbra export", Org: "umbra", TLP: &amber})
	if ev2.UUID != ev.UUID || ev2.Attributes[0].UUID != ev.Attributes[0].UUID || !validUUID(ev.UUID) {
		t.Fatal("event and attribute uuids are not stable")
	}
	// What umbra exports, umbra imports as the same indicators.
	b, err := Encode(&ev)
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := Indicators(back, "x")
	if len(got) != 2 || got[0].Value != inds[0].Value || got[1].Type != indicator.SHA256 || got[0].Actors[0].Name != "APT17" {
		t.Fatalf("re-imported %+v", got)
	}
}

func TestRejectedValues(t *testing.T) {
	in := `{"Event":{"uuid":"5f1c0d2e-0a1b-4c2d-9e3f-606162636465","info":"bad values","Attribute":[
	 {"uuid":"5f1c0d2e-0a1b-4c2d-9e3f-606162630001","type":"md5","category":"Payload delivery","value":"abc","to_ids":true},
	 {"uuid":"5f1c0d2e-0a1b-4c2d-9e3f-606162630002","type":"filename|sha1","category":"Payload delivery","value":"a.exe|xyz","to_ids":true}]}}`
	evs, _, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	inds, rejected := Indicators(evs, "t")
	if len(inds) != 1 || inds[0].Type != indicator.FileName {
		t.Fatalf("good half of the composite not kept: %+v", inds)
	}
	if len(rejected) != 2 || !strings.Contains(rejected[0].Error(), "5f1c0d2e-0a1b-4c2d-9e3f-606162630001") ||
		!strings.Contains(rejected[0].Error(), `"abc"`) || !strings.Contains(rejected[1].Error(), "filename|sha1") {
		t.Fatalf("rejections do not name attribute and value: %v", rejected)
	}
}

// The indicators in the STIX umbra writes for an event are the ones the
// rest of umbra reads back with indicator.FromSTIX.
func TestSTIXIndicatorsReadByIndicatorPackage(t *testing.T) {
	evs, _, err := ReadFile("testdata/types.json")
	if err != nil {
		t.Fatal(err)
	}
	inds, _ := Indicators(evs, "")
	want := map[string]bool{}
	for _, in := range inds {
		want[in.Type.String()+" "+in.Value] = true
	}
	objs, err := evs[0].STIX()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, o := range objs {
		if o.Type != "indicator" {
			continue
		}
		in, ok := indicator.FromSTIX(o)
		if !ok {
			t.Fatalf("indicator package cannot read %s", o.Raw)
		}
		got[in.Type.String()+" "+in.Value] = true
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("STIX carries %v, Indicators gives %v", got, want)
	}
}

func TestRecords(t *testing.T) {
	root := corpus.Path(t, "misp-pymisp", "tests")
	evs, _, err := ReadFile(filepath.Join(root, "57c4445b-c548-4654-af0b-4be3950d210f.json"))
	if err != nil {
		t.Fatal(err)
	}
	recs, rejected := Records(evs, "circl-osint")
	inds, _ := Indicators(evs, "circl-osint")
	if len(rejected) > 0 || len(recs) < len(inds) || len(inds) == 0 {
		t.Fatalf("%d records, %d indicators, rejected %v", len(recs), len(inds), rejected)
	}
	// Counted from the file: its link attributes become every record's references.
	var links int
	for _, a := range evs[0].Attributes {
		if a.Type == "link" {
			links++
		}
	}
	for _, r := range recs {
		if r.Source != "circl-osint" || len(r.References) != links || r.Description == "" {
			t.Fatalf("record %+v", r)
		}
		if _, err := indicator.ToSTIX(r, indicator.STIXOptions{}); err != nil {
			t.Fatalf("indicator.ToSTIX rejects %+v: %v", r, err)
		}
	}
}

// A directory of event files without a manifest: every event is read and
// each non-event file is reported by name, not silently dropped.
func TestReadPathDirectory(t *testing.T) {
	dir := corpus.Path(t, "misp-pymisp", "tests", "mispevent_testfiles")
	evs, skipped, err := ReadPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	nonEvents := 0
	for _, f := range files {
		if pymispNonEvents["mispevent_testfiles/"+filepath.Base(f)] {
			nonEvents++
			found := false
			for _, s := range skipped {
				found = found || strings.Contains(s.Error(), f)
			}
			if !found {
				t.Errorf("%s not reported", f)
			}
		}
	}
	if len(skipped) != nonEvents || len(evs) != len(files)-nonEvents {
		t.Fatalf("%d files, %d events, skipped %v", len(files), len(evs), skipped)
	}
}

// A code-signing certificate serial leaves as the serial-number of an x509
// object (MISP has no serial attribute type; a bare "text" attribute came
// back as nothing) and comes back as the same serial, by both export paths:
// umbra's indicators and STIX bundles.
func TestCertSerialRoundTrip(t *testing.T) {
	serial, err := indicator.Normalize(indicator.CertSerial, "00:5e:9b:0f:6c:1a:2b")
	if err != nil {
		t.Fatal(err)
	}
	inds := []indicator.Indicator{
		{Type: indicator.CertSerial, Value: serial, Sources: []string{"cylance"}, Actors: []indicator.Actor{{Name: "PassCV"}}},
		{Type: indicator.Domain, Value: "update.example.com"},
	}
	check := func(path string, ev Event) {
		t.Helper()
		b, err := Encode(&ev)
		if err != nil {
			t.Fatal(err)
		}
		back, skipped, err := Parse(b)
		if err != nil || len(skipped) > 0 {
			t.Fatalf("%s: %v %v", path, err, skipped)
		}
		var x509 *Object
		for i := range back[0].Objects {
			if back[0].Objects[i].Name == "x509" {
				x509 = &back[0].Objects[i]
			}
		}
		if x509 == nil || len(x509.Attributes) != 1 || x509.Attributes[0].ObjectRelation != "serial-number" || x509.Attributes[0].Type != "text" {
			t.Fatalf("%s: no x509 object with a serial-number: %s", path, b)
		}
		got, rejected := Indicators(back, "x")
		found := false
		for _, ind := range got {
			if ind.Type == indicator.CertSerial && ind.Value == serial {
				found = true
			}
		}
		if !found || len(got) != 2 || len(rejected) > 0 {
			t.Fatalf("%s: re-imported %+v, rejected %v", path, got, rejected)
		}
	}
	ev, skipped := FromIndicators(inds, Meta{Info: "umbra export", Org: "umbra"})
	if len(skipped) > 0 || len(ev.Attributes) != 1 {
		t.Fatalf("skipped %v, attributes %+v", skipped, ev.Attributes)
	}
	if x := ev.Objects[0]; x.TemplateUUID != x509TemplateUUID || x.Attributes[0].Tags[0].Name != `misp-galaxy:threat-actor="PassCV"` {
		t.Fatalf("x509 object %+v", x)
	}
	check("FromIndicators", ev)

	var objs []stix.Object
	for _, ind := range inds {
		o, err := indicator.ToSTIX(indicator.Record{Type: ind.Type, Value: ind.Value, Source: "cylance"}, indicator.STIXOptions{})
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	evs, err := FromSTIX(objs)
	if err != nil || len(evs) != 1 {
		t.Fatalf("FromSTIX: %d events, %v", len(evs), err)
	}
	check("FromSTIX", evs[0])
}
