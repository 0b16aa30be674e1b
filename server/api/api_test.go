package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/demo"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/cputime"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/server/auth"
	"github.com/umbra-cti/umbra/sighting/alertlog"
	"github.com/umbra-cti/umbra/stix"
)

// The fixture is the demo's data dir (the simulated studio, both intel
// feeds, the alert log the demo wrote), plus a TLP:RED feed whose names
// and values must never reach a green token, plus a clear actor with
// hostile strings in its name and description.
const (
	redActor  = "Crimson Secret <script>alert(1)</script>"
	redValue  = "red-secret-c2.net"
	redMarker = "rimson"     // in the red actor's name, in any escaping
	redValMrk = "red-secret" // in the red value
	evilName  = `<img src=x onerror=alert(1)>Evil "Panda"`
	evilDesc  = `javascript:alert(document.cookie) <svg onload=alert(2)>`
)

type fixture struct {
	dir    string
	st     *sqlite.Store
	api    *API
	srv    *httptest.Server
	tokens map[string]string // name -> secret
	redID  string
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func redBundle() (string, string) {
	isID := "intrusion-set--6f1ab7a1-4d1b-4c8e-9c55-1c1e3f0a0001"
	indID := "indicator--6f1ab7a1-4d1b-4c8e-9c55-1c1e3f0a0002"
	evilID := "intrusion-set--6f1ab7a1-4d1b-4c8e-9c55-1c1e3f0a0003"
	ts := "2018-04-01T00:00:00.000Z"
	objs := []map[string]any{
		{"type": "intrusion-set", "spec_version": "2.1", "id": isID, "created": ts, "modified": ts, "name": redActor,
			"description": "only for red eyes", "object_marking_refs": []string{stix.TLPRed.MarkingID()}},
		{"type": "indicator", "spec_version": "2.1", "id": indID, "created": ts, "modified": ts, "pattern": "[domain-name:value = '" + redValue + "']",
			"pattern_type": "stix", "valid_from": ts, "object_marking_refs": []string{stix.TLPRed.MarkingID()}},
		{"type": "relationship", "spec_version": "2.1", "id": "relationship--6f1ab7a1-4d1b-4c8e-9c55-1c1e3f0a0004", "created": ts, "modified": ts,
			"relationship_type": "indicates", "source_ref": indID, "target_ref": isID, "object_marking_refs": []string{stix.TLPRed.MarkingID()}},
		{"type": "intrusion-set", "spec_version": "2.1", "id": evilID, "created": ts, "modified": ts, "name": evilName, "description": evilDesc,
			"object_marking_refs": []string{stix.TLPClear.MarkingID()}},
	}
	b, _ := json.Marshal(map[string]any{"type": "bundle", "id": "bundle--6f1ab7a1-4d1b-4c8e-9c55-1c1e3f0a0005", "objects": objs})
	return string(b), indID
}

func setup(t testing.TB) *fixture {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the demo scenario")
	}
	fixOnce.Do(func() { fix, fixErr = build() })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func build() (*fixture, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "umbra-api-test-")
	if err != nil {
		return nil, err
	}
	if err := demo.Run(ctx, io.Discard, demo.Options{DataDir: dir}); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	st, err := sqlite.Open(dir)
	if err != nil {
		return nil, err
	}
	bundle, redID := redBundle()
	p := filepath.Join(dir, "red.json")
	if err := os.WriteFile(p, []byte(bundle), 0o644); err != nil {
		return nil, err
	}
	if _, err := intel.Import(ctx, st, p, intel.Options{Source: "secret-feed"}); err != nil {
		return nil, fmt.Errorf("red import: %w", err)
	}
	// A red alert, stamped from the store as the CLI stamps them.
	l, err := alertlog.Open(dir)
	if err != nil {
		return nil, err
	}
	red := match.Alert{Time: time.Date(2018, 3, 7, 10, 0, 0, 0, time.UTC), UID: "Cred1", Sensor: "zeek", Where: "dns.query",
		Indicator: redValue, IndicatorType: "domain", Matched: redValue, IndicatorIDs: []string{redID},
		Sources: []string{"secret-feed"}, Actors: []indicator.Actor{{Name: redActor, Confidence: 90}}}
	alertlog.NewStamper(st).Stamp(ctx, &red)
	if red.TLP != stix.TLPRed {
		return nil, fmt.Errorf("red alert stamped %v", red.TLP)
	}
	if _, err := l.Append([]alertlog.Record{{Alert: red}}); err != nil {
		return nil, err
	}
	f := &fixture{dir: dir, st: st, tokens: map[string]string{}, redID: redID}
	f.api = New(Deps{Store: st, DataDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := auth.NewMemoryStore()
	for _, tk := range []struct {
		name string
		role auth.Role
		tlp  stix.TLP
	}{
		{"reader-green", auth.RoleReader, stix.TLPGreen},
		{"reader-red", auth.RoleReader, stix.TLPRed},
		{"analyst-green", auth.RoleAnalyst, stix.TLPGreen},
		{"analyst-red", auth.RoleAnalyst, stix.TLPRed},
	} {
		secret, tok, err := auth.NewToken(auth.Token{Name: tk.name, Role: tk.role, Clearance: auth.TLPLevel(tk.tlp), Collections: []string{auth.AllCollections}}, time.Now())
		if err != nil {
			return nil, err
		}
		ts.Put(ctx, tok)
		f.tokens[tk.name] = secret
	}
	mw := auth.NewMiddleware(ts, auth.Options{RatePerSecond: 1e6, Burst: 1e6})
	f.srv = httptest.NewServer(mw.Wrap(f.api.Handler()))
	return f, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fix != nil {
		fix.srv.Close()
		fix.api.Close()
		fix.st.Close()
		os.RemoveAll(fix.dir)
	}
	os.Exit(code)
}

func (f *fixture) do(t testing.TB, tok, method, path string, body io.Reader, ctype string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[tok])
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func (f *fixture) get(t testing.TB, tok, path string) (int, []byte) {
	t.Helper()
	code, b, _ := f.do(t, tok, "GET", path, nil, "")
	return code, b
}

func (f *fixture) getJSON(t testing.TB, tok, path string, v any) {
	t.Helper()
	code, b := f.get(t, tok, path)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", path, code, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// concrete turns a route pattern into a path with realistic arguments.
func concrete(path string) string {
	p := strings.ReplaceAll(path, "{name}", url.PathEscape("Winnti umbrella"))
	p = strings.ReplaceAll(p, "{id}", "hunt-0000")
	return p
}

func TestEveryRouteNeedsAToken(t *testing.T) {
	f := setup(t)
	for _, rt := range f.api.routes() {
		code, b, h := f.do(t, "", rt.method, concrete(rt.path), nil, "")
		if code != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %d %s", rt.method, rt.path, code, b)
		}
		if h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: 401 without a challenge", rt.method, rt.path)
		}
	}
	// A handler mounted without the middleware still refuses.
	rec := httptest.NewRecorder()
	f.api.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/alerts", nil))
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("bare handler: %d", rec.Code)
	}
}

func TestRolesAreChecked(t *testing.T) {
	f := setup(t)
	n := 0
	for _, rt := range f.api.routes() {
		if rt.role == auth.RoleReader {
			continue
		}
		n++
		code, b, _ := f.do(t, "reader-red", rt.method, concrete(rt.path), strings.NewReader("{}"), "application/json")
		if code != http.StatusForbidden {
			t.Errorf("%s %s as reader: %d %s", rt.method, rt.path, code, b)
		}
		var e apiError
		if json.Unmarshal(b, &e) != nil || e.Error.Status != 403 {
			t.Errorf("%s %s: error body %s", rt.method, rt.path, b)
		}
	}
	if n < 3 {
		t.Fatalf("only %d routes need more than reader", n)
	}
}

// readPaths are GET requests covering every read endpoint with arguments
// that reach the red objects when the token may see them.
func (f *fixture) readPaths() []string {
	return []string{
		"/api/openapi.json", "/api/me", "/api/stats", "/api/actors",
		"/api/actors/" + url.PathEscape(redActor),
		"/api/actors/" + url.PathEscape("Winnti umbrella"),
		"/api/indicators?limit=1000", "/api/indicators?q=red-secret",
		"/api/lookup?value=" + url.QueryEscape(redValue),
		"/api/alerts?limit=1000", "/api/alerts?limit=1000&q=secret", "/api/alerts?actor=" + url.QueryEscape(redActor),
		"/api/alerts/histogram?by=actor&bucket=1h", "/api/alerts/histogram?by=kind",
		"/api/sightings?limit=1000", "/api/hunts",
		"/api/pivots/seen?value=" + url.QueryEscape(redValue),
		"/api/attribution", "/api/attribution?actor=" + url.QueryEscape(redActor), "/api/opsec",
		"/api/graph?root=" + url.QueryEscape(f.redID), "/api/graph?root=" + url.QueryEscape(redValue) + "&depth=2",
		"/api/graph?root=" + url.QueryEscape("Winnti umbrella") + "&depth=2",
		"/api/export?format=stix", "/api/export?format=stix&tlp=red", "/api/export?format=csv", "/api/export?format=misp",
		"/api/export?format=zeek-intel",
	}
}

func TestRedNeverReachesGreen(t *testing.T) {
	f := setup(t)
	leaks := func(b []byte, asked string) bool {
		s := strings.ToLower(string(b))
		// What the caller asked for may be echoed: that is no leak.
		if u, err := url.Parse(asked); err == nil {
			var echoes []string
			for _, vs := range u.Query() {
				echoes = append(echoes, vs...)
			}
			if name, ok := strings.CutPrefix(u.Path, "/api/actors/"); ok {
				echoes = append(echoes, name)
			}
			// Longest first: stripping depth=2's "2" before the root value
			// would cut the value apart and leave a false leak behind (the
			// query map's order is random, so that was a flaky failure).
			sort.Slice(echoes, func(i, j int) bool { return len(echoes[i]) > len(echoes[j]) })
			for _, e := range echoes {
				j, _ := json.Marshal(e)
				s = strings.ReplaceAll(s, strings.ToLower(string(j[1:len(j)-1])), "")
				s = strings.ReplaceAll(s, strings.ToLower(e), "")
			}
		}
		return strings.Contains(s, redMarker) || strings.Contains(s, redValMrk) || strings.Contains(s, f.redID[len("indicator--"):])
	}
	sawRed := 0
	for _, p := range f.readPaths() {
		code, b := f.get(t, "reader-green", p)
		if code >= 500 {
			t.Errorf("GET %s as green: %d %s", p, code, b)
		}
		if leaks(b, p) {
			t.Errorf("GET %s as green leaks red: %.300s", p, b)
		}
		if _, rb := f.get(t, "reader-red", p); leaks(rb, p) {
			sawRed++
		}
	}
	// The test can fail: a red token does see the red objects.
	if sawRed < 5 {
		t.Fatalf("a red token saw the red objects in only %d responses", sawRed)
	}
	// A red alert is not counted for green either.
	var gs, rs struct {
		Alerts alertlog.Counts `json:"alerts"`
	}
	f.getJSON(t, "reader-green", "/api/stats", &gs)
	f.getJSON(t, "reader-red", "/api/stats", &rs)
	if rs.Alerts.Total != gs.Alerts.Total+1 {
		t.Fatalf("alert counts: red %d, green %d", rs.Alerts.Total, gs.Alerts.Total)
	}
	// Counts the green view cannot make without the hidden rows are left
	// out, not shown as zero; the red token gets them.
	var gstore, rstore struct {
		Store map[string]any `json:"store"`
	}
	f.getJSON(t, "reader-green", "/api/stats", &gstore)
	f.getJSON(t, "reader-red", "/api/stats", &rstore)
	for _, k := range []string{"versions", "names", "sources"} {
		if _, ok := gstore.Store[k]; ok {
			t.Errorf("green stats carry %q: %v", k, gstore.Store[k])
		}
		if _, ok := rstore.Store[k]; !ok {
			t.Errorf("red stats lack %q", k)
		}
	}
	if gstore.Store["objects"] == nil || gstore.Store["objects"] == rstore.Store["objects"] {
		t.Errorf("objects: green %v, red %v (green must count fewer)", gstore.Store["objects"], rstore.Store["objects"])
	}
}

type alertPage struct {
	Alerts []map[string]any `json:"alerts"`
	Next   string           `json:"next"`
}

func TestAlertsPagingAndFilters(t *testing.T) {
	f := setup(t)
	var all []map[string]any
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		var pg alertPage
		f.getJSON(t, "reader-red", "/api/alerts?limit=333&cursor="+url.QueryEscape(cursor), &pg)
		all = append(all, pg.Alerts...)
		if pg.Next == "" {
			break
		}
		if len(pg.Alerts) != 333 {
			t.Fatalf("a middle page of %d", len(pg.Alerts))
		}
		cursor = pg.Next
	}
	st := f.api.alertsLog.Stats()
	if len(all) != st.Alerts || len(all) < 1000 {
		t.Fatalf("paged %d alerts, the log holds %d", len(all), st.Alerts)
	}
	ids := map[string]bool{}
	kinds := map[string]int{}
	for i, a := range all {
		id := a["id"].(string)
		if ids[id] {
			t.Fatalf("alert %s twice", id)
		}
		ids[id] = true
		if i > 0 && a["ts"].(string) > all[i-1]["ts"].(string) {
			t.Fatalf("not newest first at %d", i)
		}
		kinds[a["kind"].(string)]++
	}
	// Filter by kind: the count agrees with the unfiltered walk.
	for k, n := range kinds {
		var pg alertPage
		f.getJSON(t, "reader-red", "/api/alerts?limit=1000&kind="+url.QueryEscape(k), &pg)
		if len(pg.Alerts) != min(n, 1000) {
			t.Errorf("kind %s: %d, want %d", k, len(pg.Alerts), n)
		}
	}
	// Actor filter by an alias of the umbrella's member reaches the
	// umbrella's alerts.
	var byActor alertPage
	f.getJSON(t, "reader-green", "/api/alerts?limit=5&actor="+url.QueryEscape("winnti UMBRELLA"), &byActor)
	if len(byActor.Alerts) != 5 {
		t.Fatalf("actor filter: %d", len(byActor.Alerts))
	}
	// Time range.
	mid := all[len(all)/2]["ts"].(string)
	var older alertPage
	f.getJSON(t, "reader-red", "/api/alerts?limit=1000&until="+url.QueryEscape(mid), &older)
	for _, a := range older.Alerts {
		if a["ts"].(string) >= mid {
			t.Fatalf("until %s returned %s", mid, a["ts"])
		}
	}
	if len(older.Alerts) == 0 {
		t.Fatal("until returned nothing")
	}
	// Bad input answers 400 with an error body.
	for _, p := range []string{"/api/alerts?cursor=zz", "/api/alerts?limit=-1", "/api/alerts?since=yesterday", "/api/alerts/histogram?bucket=1w"} {
		code, b := f.get(t, "reader-green", p)
		var e apiError
		if code != 400 || json.Unmarshal(b, &e) != nil || e.Error.Status != 400 || e.Error.Detail == "" {
			t.Errorf("%s: %d %s", p, code, b)
		}
	}
}

func TestHistogramAddsUp(t *testing.T) {
	f := setup(t)
	var h alertlog.Histogram
	f.getJSON(t, "reader-green", "/api/alerts/histogram?by=kind&bucket=1h", &h)
	total := 0
	for i, b := range h.Buckets {
		if i > 0 && b.Start.Sub(h.Buckets[i-1].Start) != time.Hour {
			t.Fatalf("buckets not hourly at %d", i)
		}
		for _, n := range b.Counts {
			total += n
		}
	}
	var st struct {
		Alerts alertlog.Counts `json:"alerts"`
	}
	f.getJSON(t, "reader-green", "/api/stats", &st)
	if total != st.Alerts.Total || total == 0 {
		t.Fatalf("histogram counts %d, stats %d", total, st.Alerts.Total)
	}
}

// Hostile strings come back as the same strings, and never as markup.
func TestHostileStringsAreData(t *testing.T) {
	f := setup(t)
	code, raw := f.get(t, "reader-green", "/api/actors")
	if code != 200 || bytes.Contains(raw, []byte("<img")) || bytes.Contains(raw, []byte("<script")) {
		t.Fatalf("%d: raw markup in JSON", code)
	}
	var list struct {
		Actors []actorItem `json:"actors"`
	}
	json.Unmarshal(raw, &list)
	found := false
	for _, a := range list.Actors {
		found = found || a.Name == evilName
	}
	if !found {
		t.Fatal("hostile actor name did not round-trip")
	}
	var one map[string]any
	f.getJSON(t, "reader-green", "/api/actors/"+url.PathEscape(evilName), &one)
	if one["name"] != evilName || one["description"] != evilDesc {
		t.Fatalf("actor view: %v / %v", one["name"], one["description"])
	}
	if _, ok := one["timeline"]; !ok {
		t.Fatal("actor view without a timeline")
	}
}

func TestOpenAPI(t *testing.T) {
	f := setup(t)
	code, b := f.get(t, "reader-green", "/api/openapi.json")
	if code != 200 {
		t.Fatal(code)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	inDoc := map[string]string{}
	for p, ops := range doc.Paths {
		for m, op := range ops {
			inDoc[strings.ToUpper(m)+" "+p] = fmt.Sprint(op["x-umbra-role"])
		}
	}
	var missing []string
	for _, rt := range f.api.routes() {
		k := rt.method + " " + rt.path
		role, ok := inDoc[k]
		if !ok {
			missing = append(missing, k)
			continue
		}
		if role != rt.role.String() {
			t.Errorf("%s: document says role %s, route needs %s", k, role, rt.role)
		}
		delete(inDoc, k)
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("routes missing from the document: %v", missing)
	}
	if len(inDoc) > 0 {
		t.Errorf("documented but not routed: %v", inDoc)
	}
}

func TestHuntLifecycle(t *testing.T) {
	f := setup(t)
	code, b, h := f.do(t, "analyst-green", "POST", "/api/hunts", strings.NewReader(`{"since":"3650d","actor":"Winnti umbrella"}`), "application/json")
	if code != http.StatusAccepted {
		t.Fatalf("start: %d %s", code, b)
	}
	var started struct{ ID string }
	json.Unmarshal(b, &started)
	if h.Get("Location") != "/api/hunts/"+started.ID {
		t.Fatalf("Location %q", h.Get("Location"))
	}
	var st HuntStatus
	deadline := time.Now().Add(60 * time.Second)
	for {
		f.getJSON(t, "reader-green", "/api/hunts/"+started.ID, &st)
		if st.State != "running" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st.State != "done" || st.Hits == 0 || st.Progress.Done != st.Progress.Total || st.Progress.Total == 0 {
		t.Fatalf("hunt ended %+v", st)
	}
	n := 0
	cursor := ""
	for {
		var res struct {
			Hits []map[string]any `json:"hits"`
			Next string           `json:"next"`
		}
		f.getJSON(t, "reader-green", "/api/hunts/"+started.ID+"/results?limit=100&cursor="+cursor, &res)
		for _, x := range res.Hits {
			if x["retro"] != true || x["first_seen"] == nil {
				t.Fatalf("hit without retro fields: %v", x)
			}
		}
		n += len(res.Hits)
		if res.Next == "" {
			break
		}
		cursor = res.Next
	}
	if n != st.Hits {
		t.Fatalf("paged %d hits of %d", n, st.Hits)
	}
	var list struct{ Hunts []HuntStatus }
	f.getJSON(t, "reader-green", "/api/hunts", &list)
	if len(list.Hunts) == 0 || list.Hunts[0].ID != started.ID {
		t.Fatalf("hunt list: %+v", list.Hunts)
	}
	// Bad requests.
	for _, body := range []string{`{"since":"yesterday"}`, `{"bogus":1}`, `{"actor":"no such actor at all"}`, `[`} {
		code, b, _ := f.do(t, "analyst-green", "POST", "/api/hunts", strings.NewReader(body), "application/json")
		if code != 400 && code != 404 {
			t.Errorf("%s: %d %s", body, code, b)
		}
	}
	if code, _ := f.get(t, "reader-green", "/api/hunts/hunt-nope"); code != 404 {
		t.Fatalf("unknown hunt: %d", code)
	}
}

func TestImportAndExport(t *testing.T) {
	f := setup(t)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "../../etc/passwd list.txt")
	fmt.Fprintf(fw, "upload-test-one.net\nupload-test-two.net\n198.51.100.77\n")
	mw.Close()
	code, b, _ := f.do(t, "analyst-green", "POST", "/api/import?format=plain&source=api-test&tlp=green", &body, mw.FormDataContentType())
	if code != 200 {
		t.Fatalf("import: %d %s", code, b)
	}
	var res intel.Result
	json.Unmarshal(b, &res)
	if res.Summary.New < 3 || res.ByType["domain"] != 2 || res.ByType["ipv4"] != 1 || strings.Contains(res.Path, "/") {
		t.Fatalf("import result %+v", res)
	}
	var inds struct {
		Indicators []indicatorItem `json:"indicators"`
	}
	f.getJSON(t, "reader-green", "/api/indicators?q=upload-test", &inds)
	if len(inds.Indicators) != 2 || inds.Indicators[0].TLP != "green" {
		t.Fatalf("imported indicators: %+v", inds.Indicators)
	}
	// The import started a retro-hunt for the new intel; it ends.
	var jobs struct{ Hunts []HuntStatus }
	deadline := time.Now().Add(60 * time.Second)
	for {
		f.getJSON(t, "reader-green", "/api/hunts", &jobs)
		running := false
		retros := 0
		for _, j := range jobs.Hunts {
			if j.Kind == "retro" {
				retros++
				running = running || j.State == "running"
				if j.State == "failed" {
					t.Fatalf("retro-hunt failed: %+v", j)
				}
			}
		}
		if retros == 0 {
			t.Fatal("no retro-hunt after an import")
		}
		if !running || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Raw body, and the size limit.
	code, b, _ = f.do(t, "analyst-green", "POST", "/api/import?format=plain&source=api-test-raw", strings.NewReader("upload-test-raw.net\n"), "text/plain")
	if code != 200 {
		t.Fatalf("raw import: %d %s", code, b)
	}
	small := New(Deps{Store: f.st, DataDir: f.dir, MaxImportBytes: 10})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/import?format=plain", strings.NewReader("a-long-enough.example\n"))
	tok, _ := auth.SplitToken(f.tokens["analyst-green"])
	req = req.WithContext(auth.WithToken(req.Context(), auth.Token{ID: tok, Role: auth.RoleAnalyst}))
	small.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized import: %d %s", rec.Code, rec.Body)
	}
	// Export: the uploaded values are there, clamped to the token.
	code, b = f.get(t, "reader-green", "/api/export?format=csv&tlp=red")
	if code != 200 || !bytes.Contains(b, []byte("upload-test-one.net")) || bytes.Contains(b, []byte(redValue)) {
		t.Fatalf("export: %d %.200s", code, b)
	}
	code, b = f.get(t, "reader-red", "/api/export?format=csv&tlp=green")
	if code != 200 || bytes.Contains(b, []byte(redValue)) {
		t.Fatalf("export narrowed to green still has red: %d", code)
	}
	code, b = f.get(t, "reader-red", "/api/export?format=csv")
	if code != 200 || !bytes.Contains(b, []byte(redValue)) {
		t.Fatalf("red export lacks the red value: %d", code)
	}
	code, b, h := f.do(t, "reader-green", "GET", "/api/export?format=suricata", nil, "")
	if code != 200 || h.Get("Content-Type") != "application/x-tar" || len(b) < 512 {
		t.Fatalf("suricata export: %d %s", code, h.Get("Content-Type"))
	}
}

func TestGraphIsLaidOutAndStable(t *testing.T) {
	f := setup(t)
	var g Graph
	f.getJSON(t, "reader-green", "/api/graph?root="+url.QueryEscape("Winnti umbrella")+"&depth=2", &g)
	if len(g.Nodes) < 5 || len(g.Edges) < 4 {
		t.Fatalf("graph of %d nodes, %d edges", len(g.Nodes), len(g.Edges))
	}
	ids := map[string]bool{}
	for _, n := range g.Nodes {
		ids[n.ID] = true
		if n.X < 0 || n.X > 1000 || n.Y < 0 || n.Y > 700 {
			t.Fatalf("node %s at %v,%v", n.ID, n.X, n.Y)
		}
	}
	for _, e := range g.Edges {
		if !ids[e.Source] || !ids[e.Target] {
			t.Fatalf("edge to a node not in the graph: %+v", e)
		}
	}
	// A fresh API (no cache) computes the same picture.
	other := New(Deps{Store: f.st, DataDir: f.dir})
	c := &call{tok: auth.Token{Clearance: auth.TLPLevel(stix.TLPGreen)}, view: &view{st: f.st, marks: other.marks, clearance: stix.TLPGreen}}
	g2, err := other.buildGraph(context.Background(), c, "Winnti umbrella", 2)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(g)
	b, _ := json.Marshal(g2)
	if !bytes.Equal(a, b) {
		t.Fatal("the same graph laid out twice differs")
	}
	if code, _ := f.get(t, "reader-green", "/api/graph?root="+url.QueryEscape(f.redID)); code != 404 {
		t.Fatalf("red root for green: %d", code)
	}
}

func TestPivotsAttributionAndLookup(t *testing.T) {
	f := setup(t)
	var pg alertPage
	f.getJSON(t, "reader-green", "/api/alerts?limit=1&kind=domain", &pg)
	if len(pg.Alerts) == 0 {
		t.Fatal("no domain alert")
	}
	value := pg.Alerts[0]["matched"].(string)
	var talked struct {
		Contacts []map[string]any `json:"contacts"`
	}
	f.getJSON(t, "reader-green", "/api/pivots/talked-to?value="+url.QueryEscape(value), &talked)
	if len(talked.Contacts) == 0 {
		t.Fatalf("nobody talked to %s", value)
	}
	var seen map[string]any
	f.getJSON(t, "reader-green", "/api/pivots/seen?value="+url.QueryEscape(value), &seen)
	if seen["first"] == nil || seen["events"].(float64) == 0 {
		t.Fatalf("seen: %v", seen)
	}
	host := talked.Contacts[0]["host"].(string)
	var around struct {
		Activity []map[string]any `json:"activity"`
	}
	f.getJSON(t, "reader-green", "/api/pivots/around?host="+host+"&at="+url.QueryEscape(talked.Contacts[0]["first"].(string))+"&window=10m", &around)
	if len(around.Activity) == 0 {
		t.Fatal("no activity around a contact")
	}
	if code, _ := f.get(t, "reader-green", "/api/pivots/resolved-to?ip=not-an-ip"); code != 400 {
		t.Fatalf("bad ip: %d", code)
	}
	var look map[string]any
	f.getJSON(t, "reader-green", "/api/lookup?value="+url.QueryEscape(strings.ReplaceAll(value, ".", "[.]")), &look)
	if look["value"] != value || look["memory"] == nil || len(look["seen"].([]any)) == 0 {
		t.Fatalf("lookup: %v", look)
	}
	var attr struct {
		Attributions []map[string]any `json:"attributions"`
	}
	f.getJSON(t, "reader-green", "/api/attribution", &attr)
	if len(attr.Attributions) == 0 {
		t.Fatal("no attributions")
	}
	var incident string
	for _, at := range attr.Attributions {
		s := at["subject"].(map[string]any)
		if s["type"] == "incident" {
			incident = s["id"].(string)
		}
	}
	if incident == "" {
		t.Fatal("no incident attributed")
	}
	var one struct {
		Candidates []Candidate `json:"candidates"`
	}
	f.getJSON(t, "reader-green", "/api/attribution?incident="+url.QueryEscape(incident), &one)
	if len(one.Candidates) == 0 || len(one.Candidates[0].Evidence) == 0 || one.Candidates[0].Words == "" {
		t.Fatalf("incident candidates: %+v", one.Candidates)
	}
	var slips struct {
		Slips []map[string]any `json:"slips"`
	}
	f.getJSON(t, "reader-green", "/api/opsec", &slips)
	if len(slips.Slips) == 0 {
		t.Fatal("the scenario's opsec slip is not found")
	}
}

func TestMeAndSightings(t *testing.T) {
	f := setup(t)
	var me map[string]any
	f.getJSON(t, "analyst-green", "/api/me", &me)
	if me["role"] != "analyst" || me["tlp_max"] != "green" || me["name"] != "analyst-green" {
		t.Fatalf("%v", me)
	}
	var all []sightingItem
	cursor := ""
	for {
		var pg struct {
			Sightings []sightingItem `json:"sightings"`
			Next      string         `json:"next"`
		}
		f.getJSON(t, "reader-green", "/api/sightings?limit=7&cursor="+url.QueryEscape(cursor), &pg)
		all = append(all, pg.Sightings...)
		if pg.Next == "" {
			break
		}
		cursor = pg.Next
	}
	if len(all) < 5 {
		t.Fatalf("%d sightings", len(all))
	}
	seen := map[string]bool{}
	for i, s := range all {
		if seen[s.ID] {
			t.Fatalf("sighting %s twice", s.ID)
		}
		seen[s.ID] = true
		if i > 0 && s.LastSeen.After(all[i-1].LastSeen) {
			t.Fatal("sightings not newest first")
		}
	}
}

// BenchmarkAlerts serves GET /api/alerts (a page of 100, no filter) through
// the auth middleware, in process.
func BenchmarkAlerts(b *testing.B) {
	f := setup(b)
	ts := auth.NewMemoryStore()
	secret, tok, _ := auth.NewToken(auth.Token{Role: auth.RoleReader, Clearance: auth.TLPLevel(stix.TLPGreen)}, time.Now())
	ts.Put(context.Background(), tok)
	h := auth.NewMiddleware(ts, auth.Options{RatePerSecond: 1e9, Burst: 1 << 30}).Wrap(f.api.Handler())
	for _, q := range []string{"", "&kind=domain", "&q=winnti"} {
		b.Run("filter="+strings.TrimPrefix(q, "&"), func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cputime.Self()
			defer func() { cputime.Rate(b, float64(b.N), "req", cpu0) }()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("GET", "/api/alerts?limit=100"+q, nil)
					req.Header.Set("Authorization", "Bearer "+secret)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatal(rec.Code, rec.Body.String())
					}
				}
			})
		})
	}
}
