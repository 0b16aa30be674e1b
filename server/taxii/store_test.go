package taxii

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/server/auth"
	"github.com/umbra-cti/umbra/stix"
)

const redMarking = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

func indicatorJSON(n int, value, modified string, markings ...string) map[string]any {
	o := map[string]any{
		"type": "indicator", "spec_version": "2.1",
		"id":      fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n),
		"created": "2024-01-01T00:00:00.000Z", "modified": modified,
		"pattern": "[domain-name:value = '" + value + "']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z",
	}
	if len(markings) > 0 {
		o["object_marking_refs"] = markings
	}
	return o
}

func importObjs(t *testing.T, st *sqlite.Store, info knowledge.ImportInfo, objs ...map[string]any) {
	t.Helper()
	_, err := st.Import(t.Context(), info, func(put func(stix.Object) error) error {
		for _, m := range objs {
			b, _ := json.Marshal(m)
			o, err := stix.Parse(b)
			if err != nil {
				return err
			}
			if err := put(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// serveStore serves a Store backend under /taxii2 with the usual tokens.
func serveStore(t *testing.T, b Backend) *testServer {
	t.Helper()
	store := auth.NewMemoryStore()
	issue := func(role auth.Role, clearance stix.TLP) string {
		secret, tok, err := auth.NewToken(auth.Token{Role: role, Clearance: auth.TLPLevel(clearance), Collections: []string{auth.AllCollections}}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Put(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	ts := &testServer{t: t,
		admin:   issue(auth.RoleAdmin, stix.TLPRed),
		reader:  issue(auth.RoleReader, stix.TLPGreen),
		analyst: issue(auth.RoleAnalyst, stix.TLPGreen),
	}
	srv := httptest.NewServer(New(b, Options{Prefix: "/taxii2"}).Handler(store, auth.Options{Burst: 1 << 20, RatePerSecond: 1 << 20}))
	t.Cleanup(srv.Close)
	ts.url = srv.URL
	return ts
}

func collectionsByAlias(t *testing.T, ts *testServer, token string) map[string]string {
	t.Helper()
	r := ts.do(http.MethodGet, "/taxii2/umbra/collections/", token, nil)
	expect(t, r, http.StatusOK)
	out := map[string]string{}
	list, _ := r.json["collections"].([]any)
	for _, c := range list {
		m := c.(map[string]any)
		out[m["alias"].(string)] = m["id"].(string)
	}
	return out
}

func objectIDs(r *response) []string {
	var ids []string
	for _, o := range r.objects() {
		ids = append(ids, o["id"].(string))
	}
	return ids
}

func TestStoreBackend(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	importObjs(t, st, knowledge.ImportInfo{Source: "feed-a"},
		indicatorJSON(1, "one.example", "2024-01-01T00:00:00.000Z"),
		indicatorJSON(2, "two.example", "2024-01-01T00:00:00.000Z"))
	importObjs(t, st, knowledge.ImportInfo{Source: "feed-b"},
		indicatorJSON(2, "two.example", "2024-01-01T00:00:00.000Z"),
		indicatorJSON(3, "red-by-marking.example", "2024-01-01T00:00:00.000Z", redMarking))
	// Unmarked, but imported as red: the store's effective TLP must win.
	importObjs(t, st, knowledge.ImportInfo{Source: "feed-c", TLP: stix.TLPRed},
		indicatorJSON(4, "red-by-import.example", "2024-01-01T00:00:00.000Z"))

	b, err := NewStore(t.Context(), st, StoreConfig{Collections: []string{KindAll, KindSource, KindTLP}, Refresh: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ts := serveStore(t, b)

	d := ts.do(http.MethodGet, "/taxii2/", ts.reader, nil)
	expect(t, d, http.StatusOK)
	roots, _ := d.json["api_roots"].([]any)
	if len(roots) != 1 || roots[0] != ts.url+"/taxii2/umbra/" {
		t.Fatalf("api_roots = %v, want [%s/taxii2/umbra/]", roots, ts.url)
	}
	expect(t, ts.do(http.MethodGet, "/taxii2/umbra/", ts.reader, nil), http.StatusOK)
	expect(t, ts.do(http.MethodGet, "/umbra/", ts.reader, nil), http.StatusNotFound)

	cols := collectionsByAlias(t, ts, ts.reader)
	for _, a := range []string{"all", "source-feed-a", "source-feed-b", "source-feed-c", "tlp-clear", "tlp-red"} {
		if cols[a] == "" {
			t.Fatalf("no collection %q in %v", a, cols)
		}
	}
	get := func(token, alias string) []string {
		r := ts.do(http.MethodGet, "/taxii2/umbra/collections/"+cols[alias]+"/objects/", token, nil)
		expect(t, r, http.StatusOK)
		return objectIDs(r)
	}
	id := func(n int) string { return fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n) }
	if got := get(ts.admin, "source-feed-a"); strings.Join(got, ",") != id(1)+","+id(2) {
		t.Fatalf("feed-a = %v", got)
	}
	if got := get(ts.admin, "source-feed-b"); len(got) != 2 {
		t.Fatalf("feed-b = %v, want objects 2 and 3", got)
	}
	if got := get(ts.admin, "tlp-red"); len(got) != 2 {
		t.Fatalf("tlp-red = %v, want objects 3 and 4", got)
	}
	if got := get(ts.admin, "all"); len(got) != 4 {
		t.Fatalf("all (admin) = %v", got)
	}
	// The green reader sees neither red object, whichever way it became red.
	for _, alias := range []string{"all", "source-feed-b", "source-feed-c", "tlp-red"} {
		for _, got := range get(ts.reader, alias) {
			if got == id(3) || got == id(4) {
				t.Fatalf("reader got red object %s from %s", got, alias)
			}
		}
	}
	r := ts.do(http.MethodGet, "/taxii2/umbra/collections/"+cols["all"]+"/objects/"+id(4)+"/", ts.reader, nil)
	expect(t, r, http.StatusNotFound)

	// POST into a source collection: imported with that source, served at once.
	body := envelope(t, indicatorJSON(5, "five.example", "2024-02-01T00:00:00.000Z"),
		indicatorJSON(1, "one.example", "2024-01-01T00:00:00.000Z"))
	r = ts.do(http.MethodPost, "/taxii2/umbra/collections/"+cols["source-feed-a"]+"/objects/", ts.analyst, body)
	expect(t, r, http.StatusAccepted)
	if r.json["success_count"] != 2.0 {
		t.Fatalf("status %s", r.body)
	}
	succ, _ := r.json["successes"].([]any)
	if m := succ[1].(map[string]any); m["message"] != "already present" {
		t.Fatalf("re-sent object reported %v", m)
	}
	if got := get(ts.reader, "source-feed-a"); len(got) != 3 || got[2] != id(5) {
		t.Fatalf("feed-a after POST = %v", got)
	}
	srcs, err := st.Sources(t.Context(), id(5))
	if err != nil || len(srcs) != 1 || srcs[0] != "feed-a" {
		t.Fatalf("sources of posted object = %v, %v", srcs, err)
	}
	// A reader may not POST; an analyst may not DELETE (TestStoreDelete does).
	expect(t, ts.do(http.MethodPost, "/taxii2/umbra/collections/"+cols["all"]+"/objects/", ts.reader, body), http.StatusForbidden)
	expect(t, ts.do(http.MethodDelete, "/taxii2/umbra/collections/"+cols["all"]+"/objects/"+id(5)+"/", ts.analyst, nil), http.StatusForbidden)

	// POST of an unmarked object into tlp-amber stores it as amber.
	r = ts.do(http.MethodPost, "/taxii2/umbra/collections/"+cols["tlp-amber"]+"/objects/", ts.analyst,
		envelope(t, indicatorJSON(6, "six.example", "2024-02-01T00:00:00.000Z")))
	expect(t, r, http.StatusAccepted)
	if lvl, err := st.TLP(t.Context(), id(6)); err != nil || lvl != stix.TLPAmber {
		t.Fatalf("TLP of object posted to tlp-amber = %v, %v", lvl, err)
	}
	for _, got := range get(ts.reader, "all") {
		if got == id(6) {
			t.Fatal("green reader sees the amber object it posted")
		}
	}
}

// Another process writing to the store shows up after the refresh interval.
// TestStoreDelete: DELETE withdraws an object (or one version of it) from
// one collection, durably, while the knowledge store and the other
// collections keep it; posting it to the collection again brings it back.
func TestStoreDelete(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	importObjs(t, st, knowledge.ImportInfo{Source: "feed-a"},
		indicatorJSON(1, "one.example", "2024-01-01T00:00:00.000Z"),
		indicatorJSON(2, "two.example", "2024-01-01T00:00:00.000Z"))
	importObjs(t, st, knowledge.ImportInfo{Source: "feed-a"},
		indicatorJSON(2, "two.example", "2024-03-01T00:00:00.000Z"))
	id := func(n int) string { return fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n) }
	open := func() (*testServer, map[string]string) {
		b, err := NewStore(t.Context(), st, StoreConfig{Refresh: time.Hour, StateDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		ts := serveStore(t, b)
		return ts, collectionsByAlias(t, ts, ts.admin)
	}
	ts, cols := open()
	objects := func(ts *testServer, alias, query string) []string {
		r := ts.do(http.MethodGet, "/taxii2/umbra/collections/"+cols[alias]+"/objects/"+query, ts.admin, nil)
		if r.status == http.StatusNotFound {
			return nil
		}
		expect(t, r, http.StatusOK)
		var out []string
		for _, o := range r.objects() {
			out = append(out, o["id"].(string)+"@"+o["modified"].(string))
		}
		return out
	}
	one, twoOld, twoNew := id(1)+"@2024-01-01T00:00:00.000Z", id(2)+"@2024-01-01T00:00:00.000Z", id(2)+"@2024-03-01T00:00:00.000Z"
	objPath := func(alias string, n int) string {
		return "/taxii2/umbra/collections/" + cols[alias] + "/objects/" + id(n) + "/"
	}

	expect(t, ts.do(http.MethodDelete, objPath("source-feed-a", 9), ts.admin, nil), http.StatusNotFound)
	expect(t, ts.do(http.MethodDelete, objPath("source-feed-a", 1), ts.admin, nil), http.StatusOK)
	expect(t, ts.do(http.MethodGet, objPath("source-feed-a", 1), ts.admin, nil), http.StatusNotFound)
	// Only the version asked for goes.
	expect(t, ts.do(http.MethodDelete, objPath("source-feed-a", 2)+"?match[version]=2024-01-01T00:00:00.000Z", ts.admin, nil), http.StatusOK)
	if got := objects(ts, "source-feed-a", "?match[version]=all"); !slices.Equal(got, []string{twoNew}) {
		t.Fatalf("feed-a after the deletes = %v, want only %s", got, twoNew)
	}
	// The other collection and the store are untouched.
	if got := objects(ts, "all", "?match[version]=all"); len(got) != 3 || !slices.Contains(got, one) || !slices.Contains(got, twoOld) {
		t.Fatalf("all = %v, want all three versions", got)
	}
	if _, err := st.Object(t.Context(), id(1)); err != nil {
		t.Fatalf("the store lost the deleted object: %v", err)
	}

	// A restarted server remembers.
	ts, _ = open()
	if got := objects(ts, "source-feed-a", "?match[version]=all"); !slices.Equal(got, []string{twoNew}) {
		t.Fatalf("feed-a after a restart = %v, want only %s", got, twoNew)
	}
	// Posting object 1 again puts it back, and says it was added.
	r := ts.do(http.MethodPost, "/taxii2/umbra/collections/"+cols["source-feed-a"]+"/objects/", ts.analyst,
		envelope(t, indicatorJSON(1, "one.example", "2024-01-01T00:00:00.000Z")))
	expect(t, r, http.StatusAccepted)
	if succ, _ := r.json["successes"].([]any); len(succ) != 1 || succ[0].(map[string]any)["message"] == "already present" {
		t.Fatalf("re-posted withdrawn object: %s", r.body)
	}
	ts, _ = open()
	if got := objects(ts, "source-feed-a", "?match[version]=all"); len(got) != 2 || !slices.Contains(got, one) {
		t.Fatalf("feed-a after re-posting = %v, want %s back", got, one)
	}
}

func TestStoreBackendSeesOtherWriters(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	importObjs(t, st, knowledge.ImportInfo{Source: "feed-a"}, indicatorJSON(1, "one.example", "2024-01-01T00:00:00.000Z"))
	b, err := NewStore(t.Context(), st, StoreConfig{Refresh: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	other, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	importObjs(t, other, knowledge.ImportInfo{Source: "feed-z"}, indicatorJSON(2, "two.example", "2024-01-01T00:00:00.000Z"))
	other.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		cols, err := b.Collections(context.Background(), "umbra")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			if c.Alias == "source-feed-z" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other process's source never appeared: %v", cols)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestParseKinds(t *testing.T) {
	if k, err := ParseKinds(" Source, tlp,source "); err != nil || strings.Join(k, ",") != "source,tlp" {
		t.Fatalf("ParseKinds = %v, %v", k, err)
	}
	for _, bad := range []string{"", "sources", "all,bogus"} {
		if _, err := ParseKinds(bad); err == nil {
			t.Fatalf("ParseKinds(%q) accepted", bad)
		}
	}
}

// FuzzStorePaths sends arbitrary paths and queries under the /taxii2 prefix
// to the store backend holding red objects, as a green reader: no panic, no
// 5xx, no red object, whatever the path.
func FuzzStorePaths(f *testing.F) {
	st, err := sqlite.Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	for _, o := range []struct {
		info knowledge.ImportInfo
		obj  map[string]any
	}{
		{knowledge.ImportInfo{Source: "a"}, indicatorJSON(1, "green.example", "2024-01-01T00:00:00.000Z")},
		{knowledge.ImportInfo{Source: "a"}, indicatorJSON(2, "SECRET-marked.example", "2024-01-01T00:00:00.000Z", redMarking)},
		{knowledge.ImportInfo{Source: "b", TLP: stix.TLPRed}, indicatorJSON(3, "SECRET-imported.example", "2024-01-01T00:00:00.000Z")},
	} {
		b, _ := json.Marshal(o.obj)
		obj, _ := stix.Parse(b)
		if _, err := st.Import(context.Background(), o.info, func(put func(stix.Object) error) error { return put(obj) }); err != nil {
			f.Fatal(err)
		}
	}
	b, err := NewStore(context.Background(), st, StoreConfig{Collections: []string{KindAll, KindSource, KindTLP, KindActor}})
	if err != nil {
		f.Fatal(err)
	}
	s := New(b, Options{Prefix: "/taxii2", MaxPageSize: 2})
	all := collectionID(KindAll, "")
	tok := auth.Token{ID: "0123456789abcdef", Role: auth.RoleReader, Clearance: auth.TLPLevel(stix.TLPGreen), Collections: []string{auth.AllCollections}}
	f.Add("/taxii2/umbra/collections/"+all+"/objects/", "match[version]=all&limit=1")
	f.Add("/taxii2/umbra/collections/"+all+"/objects/indicator--00000000-0000-4000-8000-000000000002/versions/", "")
	f.Add("/taxii2/umbra/collections/"+collectionID(KindTLP, "red")+"/manifest/", "match[id]=indicator--00000000-0000-4000-8000-000000000003")
	f.Add("/taxii2//umbra/../status/x", "next=AAAA")
	f.Add("/taxii2", "")
	f.Fuzz(func(t *testing.T, path, query string) {
		req, err := http.NewRequest("GET", "http://127.0.0.1"+path+"?"+query, nil)
		if err != nil {
			return
		}
		req = req.WithContext(auth.WithToken(req.Context(), tok))
		rec := httptest.NewRecorder()
		s.serve(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s: %d %s", req.URL, rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "SECRET-") || strings.Contains(rec.Body.String(), "000000000002") || strings.Contains(rec.Body.String(), "000000000003") {
			t.Fatalf("%s: leaked %s", req.URL, rec.Body)
		}
	})
}

// Readers, a TAXII writer and another process's writes at once: every page
// is whole JSON, and everything posted is served at the end (run with -race).
func TestStoreBackendConcurrent(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	importObjs(t, st, knowledge.ImportInfo{Source: "feed-a"}, indicatorJSON(1, "one.example", "2024-01-01T00:00:00.000Z"))
	b, err := NewStore(t.Context(), st, StoreConfig{Refresh: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ts := serveStore(t, b)
	all := collectionsByAlias(t, ts, ts.reader)["all"]
	done := make(chan struct{})
	errs := make(chan error, 8)
	for range 3 {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				r := ts.do(http.MethodGet, "/taxii2/umbra/collections/"+all+"/objects/?limit=3", ts.reader, nil)
				if r.status != http.StatusOK {
					errs <- fmt.Errorf("GET: %d %s", r.status, r.body)
					return
				}
			}
		}()
	}
	other, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for i := 0; i < 10; i++ {
		r := ts.do(http.MethodPost, "/taxii2/umbra/collections/"+all+"/objects/", ts.analyst,
			envelope(t, indicatorJSON(100+i, fmt.Sprintf("posted-%d.example", i), "2024-02-01T00:00:00.000Z")))
		expect(t, r, http.StatusAccepted)
		importObjs(t, other, knowledge.ImportInfo{Source: "other"}, indicatorJSON(200+i, fmt.Sprintf("other-%d.example", i), "2024-02-01T00:00:00.000Z"))
	}
	close(done)
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := ts.do(http.MethodGet, "/taxii2/umbra/collections/"+all+"/manifest/?limit=100", ts.reader, nil)
	expect(t, r, http.StatusOK)
	if n := len(r.objects()); n != 21 {
		t.Fatalf("manifest lists %d objects, want 21 (1 + 10 posted + 10 from the other process)", n)
	}
}
