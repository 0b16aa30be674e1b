package taxii

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/server/auth"
)

// every TAXII endpoint of medallion's data, with the methods it serves.
var everyEndpoint = []struct{ method, path string }{
	{"GET", discoveryEP},
	{"GET", apiRootEP},
	{"GET", collectionsEP},
	{"GET", getCollectionEP},
	{"GET", getObjectsEP},
	{"POST", addObjectsEP},
	{"GET", getObjectsEP + malwareID + "/"},
	{"DELETE", getObjectsEP + malwareID + "/"},
	{"GET", getObjectsEP + malwareID + "/versions/"},
	{"GET", getManifestsEP},
	{"GET", apiRootEP + "status/2d086da7-4bdc-4f91-900e-d77486753710/"},
	{"GET", "/no-such-root/"},
}

func TestEveryEndpointNeedsAToken(t *testing.T) {
	ts := newTestServer(t)
	// Same id as a real token, wrong secret: must fail like an unknown token.
	wrongSecret := ts.admin[:len(ts.admin)-4] + "AAAA"
	if wrongSecret == ts.admin {
		wrongSecret = ts.admin[:len(ts.admin)-4] + "BBBB"
	}
	for _, ep := range everyEndpoint {
		for _, cred := range []struct{ name, header string }{
			{"none", ""},
			{"malformed bearer", "Bearer hello"},
			{"wrong secret bearer", "Bearer " + wrongSecret},
			{"empty bearer", "Bearer "},
			{"basic without password", "Basic YWRtaW46"},
			{"unknown scheme", "Digest " + ts.admin},
		} {
			var body io.Reader
			if ep.method == "POST" {
				body = bytes.NewReader(envelope(t, newIndicator("indicator--68794cd5-28db-429d-ab1e-1256704ef906", "2017-01-27T13:49:53.935Z")))
			}
			req, _ := http.NewRequestWithContext(t.Context(), ep.method, ts.url+ep.path, body)
			req.Header.Set("Accept", MediaType)
			req.Header.Set("Content-Type", MediaType)
			if cred.header != "" {
				req.Header.Set("Authorization", cred.header)
			}
			r := ts.send(req)
			if r.status != 401 {
				t.Errorf("%s %s with %s credentials: status %d, want 401", ep.method, ep.path, cred.name, r.status)
				continue
			}
			if ch := strings.Join(r.header.Values("WWW-Authenticate"), ", "); !strings.Contains(ch, "Bearer") || !strings.Contains(ch, "Basic") {
				t.Errorf("%s %s: WWW-Authenticate %q", ep.method, ep.path, ch)
			}
			if r.contentType() != MediaType || r.json["http_status"] != "401" {
				t.Errorf("%s %s: 401 body is not a TAXII error: %s", ep.method, ep.path, r.body)
			}
		}
	}
	// Bearer works as well as Basic.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.url+collectionsEP, nil)
	req.Header.Set("Authorization", "Bearer "+ts.reader)
	expect(t, ts.send(req), 200)
}

func TestRoles(t *testing.T) {
	ts := newTestServer(t)
	id := "indicator--68794cd5-28db-429d-ab1e-1256704ef906"
	env := envelope(t, newIndicator(id, "2017-01-27T13:49:53.935Z"))
	expectStatus(t, ts.do("POST", addObjectsEP, ts.reader, env), 403)
	expectStatus(t, ts.do("DELETE", getObjectsEP+malwareID, ts.reader, nil), 403)
	expectStatus(t, ts.do("DELETE", getObjectsEP+malwareID, ts.analyst, nil), 403)
	rp := ts.do("POST", addObjectsEP, ts.analyst, env)
	expect(t, rp, 202)
	// The status names what was sent: only its sender and admins may read it.
	status := apiRootEP + "status/" + rp.json["id"].(string) + "/"
	expect(t, ts.do("GET", status, ts.analyst, nil), 200)
	expect(t, ts.do("GET", status, ts.admin, nil), 200)
	expect(t, ts.do("GET", status, ts.reader, nil), 404)
	// Readers see collections as not writable.
	r := ts.do("GET", addCollectionEP, ts.reader, nil)
	expect(t, r, 200)
	if r.json["can_write"] != false || r.json["can_read"] != true {
		t.Fatalf("reader sees %s", r.body)
	}
	expect(t, ts.do("DELETE", addObjectsEP+id, ts.admin, nil), 200)
}

func TestCollectionsOutsideTheTokenAreInvisible(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do("GET", collectionsEP, ts.narrow, nil)
	expect(t, r, 200)
	if list, _ := r.json["collections"].([]any); len(list) != 1 || list[0].(map[string]any)["id"] != "91a7b528-80eb-42ed-a74d-c6fbd5a26116" {
		t.Fatalf("narrow token sees %s", r.body)
	}
	expect(t, ts.do("GET", getObjectsEP, ts.narrow, nil), 200)
	for _, p := range []string{addCollectionEP, addObjectsEP, addManifestsEP, forbiddenEP + "objects/"} {
		// Not 403: the token must not learn that the collection exists.
		expect(t, ts.do("GET", p, ts.narrow, nil), 404)
	}
}

func newTLPServer(t *testing.T) *testServer {
	t.Helper()
	mem, skipped, err := LoadMedallion("testdata/tlp.json", time.Now())
	if err != nil || len(skipped) > 0 {
		t.Fatal(err, skipped)
	}
	return serveMemory(t, mem)
}

const (
	tlpColl = "/intel/collections/c0ffee00-0000-4000-8000-000000000001/"
	// Objects wholly above green in testdata/tlp.json (3, 4: red; 6: red
	// granular marking; 7: amber). Object 5 has a green and a red version.
	tlpIDPrefix = "indicator--00000000-0000-4000-8000-"
)

func tlpID(n int) string { return fmt.Sprintf("%s%012d", tlpIDPrefix, n) }

func TestTLPAboveClearanceNeverServed(t *testing.T) {
	ts := newTLPServer(t)
	hidden := []string{tlpID(3), tlpID(4), tlpID(6), tlpID(7), "SECRET-"}
	paths := []string{
		"/taxii2/", "/intel/", "/intel/collections/", tlpColl,
		tlpColl + "objects/", tlpColl + "objects/?match[version]=all", tlpColl + "objects/?match[version]=first",
		tlpColl + "objects/?match[spec_version]=2.0,2.1&match[version]=all", tlpColl + "objects/?added_after=2020-01-04T12:00:00Z",
		tlpColl + "objects/?match[type]=indicator&match[version]=2020-02-01T00:00:00.000Z",
		tlpColl + "manifest/", tlpColl + "manifest/?match[version]=all",
		tlpColl + "objects/?match[id]=" + tlpID(3) + "," + tlpID(5) + "&match[version]=all",
	}
	for n := 1; n <= 8; n++ {
		paths = append(paths, tlpColl+"objects/"+tlpID(n)+"/", tlpColl+"objects/"+tlpID(n)+"/?match[version]=all",
			tlpColl+"objects/"+tlpID(n)+"/versions/", tlpColl+"manifest/?match[id]="+tlpID(n))
	}
	for _, p := range paths {
		r := ts.do("GET", p, ts.reader, nil)
		if r.status != 200 && r.status != 404 {
			t.Errorf("%s: status %d: %s", p, r.status, r.body)
		}
		for _, h := range hidden {
			if bytes.Contains(r.body, []byte(h)) {
				t.Errorf("%s: green token got %q: %s", p, h, r.body)
			}
		}
		// Red and amber versions were added after every green one, so a
		// header later than the last green date_added counts a hidden one.
		if last := r.header.Get("X-TAXII-Date-Added-Last"); last > "2020-01-04T00:00:00.000000Z" {
			t.Errorf("%s: X-TAXII-Date-Added-Last %s counts a hidden version", p, last)
		}
	}
	// Hidden objects are indistinguishable from absent ones.
	for _, n := range []int{3, 4, 6, 7} {
		expect(t, ts.do("GET", tlpColl+"objects/"+tlpID(n)+"/", ts.reader, nil), 404)
		expect(t, ts.do("GET", tlpColl+"objects/"+tlpID(n)+"/versions", ts.reader, nil), 404)
	}
	// The green token sees exactly the clear and green versions...
	r := ts.do("GET", tlpColl+"objects/?match[version]=all", ts.reader, nil)
	expectCount(t, r.objects(), 3)
	r = ts.do("GET", tlpColl+"objects/"+tlpID(5), ts.reader, nil)
	if len(r.objects()) != 1 || r.objects()[0]["name"] != "green five" {
		t.Fatalf("object 5 for green: %s", r.body)
	}
	// ...while the red admin sees everything, so the fixture does hold secrets.
	r = ts.do("GET", tlpColl+"objects/?match[version]=all", ts.admin, nil)
	expectCount(t, r.objects(), 8)
	if !bytes.Contains(r.body, []byte("SECRET-RED-3")) {
		t.Fatal("admin does not see the red version")
	}
}

func TestTLPPagingCountsOnlyVisible(t *testing.T) {
	ts := newTLPServer(t)
	next, seen := "", 0
	for page := 0; ; page++ {
		q := "?limit=1&match[version]=all"
		if next != "" {
			q += "&next=" + next
		}
		r := ts.do("GET", tlpColl+"objects/"+q, ts.reader, nil)
		expect(t, r, 200)
		seen += len(r.objects())
		more, _ := r.json["more"].(bool)
		if !more {
			break
		}
		next = r.json["next"].(string)
		if page > 10 {
			t.Fatal("paging does not end")
		}
	}
	if seen != 3 {
		t.Fatalf("paged through %d objects, want the 3 visible ones", seen)
	}
}

func TestWriteAboveClearanceRefused(t *testing.T) {
	ts := newTLPServer(t)
	red := newIndicator(tlpID(20), "2020-03-01T00:00:00.000Z")
	red["object_marking_refs"] = []string{"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"}
	r := ts.do("POST", tlpColl+"objects/", ts.analyst, envelope(t, red))
	expect(t, r, 202)
	if r.json["failure_count"] != 1.0 || r.json["success_count"] != 0.0 {
		t.Fatalf("status %s", r.body)
	}
	expect(t, ts.do("GET", tlpColl+"objects/"+tlpID(20), ts.admin, nil), 404)
}

func TestBodyLimits(t *testing.T) {
	ts := newTestServer(t)
	big := bytes.Repeat([]byte(" "), 2<<20) // over the 1 MiB token-layer limit
	copy(big, `{"objects":[]}`)
	expectStatus(t, ts.post(addObjectsEP, big), 413)

	// Without Content-Length (chunked), the limit is enforced while reading.
	req, _ := http.NewRequestWithContext(t.Context(), "POST", ts.url+addObjectsEP, io.MultiReader(bytes.NewReader(big)))
	req.Header.Set("Accept", MediaType)
	req.Header.Set("Content-Type", MediaType)
	req.SetBasicAuth("", ts.admin)
	r := ts.send(req)
	expect(t, r, 413)

	// The API root's own max_content_length (4096 in testdata/tlp.json).
	tl := newTLPServer(t)
	mid := bytes.Repeat([]byte(" "), 5000)
	copy(mid, `{"objects":[]}`)
	expect(t, tl.do("POST", tlpColl+"objects/", tl.admin, mid), 413)
}

func TestMediaTypes(t *testing.T) {
	ts := newTestServer(t)
	for accept, want := range map[string]int{
		"application/json":                              406,
		"application/taxii+json;version=2.0":            406,
		"text/html, application/xml;q=0.9":              406,
		"application/taxii+json;version=2.1;q=0":        406,
		"application/taxii+json":                        200,
		"text/html, application/taxii+json;version=2.1": 200,
		"*/*": 200,
	} {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.url+collectionsEP, nil)
		req.Header.Set("Accept", accept)
		req.SetBasicAuth("", ts.reader)
		if r := ts.send(req); r.status != want {
			t.Errorf("Accept %q: %d, want %d", accept, r.status, want)
		}
	}
	for ct, want := range map[string]int{
		"application/json":                   415,
		"application/stix+json;version=2.1":  415,
		"application/taxii+json;version=2.0": 415,
		"":                                   415,
		MediaType:                            202,
	} {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", ts.url+addObjectsEP, strings.NewReader(`{"objects":[]}`))
		req.Header.Set("Accept", MediaType)
		req.Header.Set("Content-Type", ct)
		req.SetBasicAuth("", ts.admin)
		if r := ts.send(req); r.status != want {
			t.Errorf("Content-Type %q: %d, want %d", ct, r.status, want)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do("PUT", getObjectsEP, ts.admin, []byte("{}"))
	expect(t, r, 405)
	if r.header.Get("Allow") != "GET, POST" {
		t.Fatalf("Allow %q", r.header.Get("Allow"))
	}
}

// Paging through a collection in small pages yields exactly the objects of
// large pages, in the same order, with hidden ones left out — also when an
// object is added between pages.
func TestPagingIsConsistent(t *testing.T) {
	mem := benchMemory(t, 500)
	ts := serveMemory(t, mem)
	coll := "/bench/collections/b0000000-0000-4000-8000-000000000000/objects/"
	late := "indicator--ffffffff-0000-4000-8000-000000000000"
	collect := func(limit, addAfterPage int) []string {
		var ids []string
		next := ""
		for page := 0; page < 200; page++ {
			q := fmt.Sprintf("?limit=%d", limit)
			if next != "" {
				q += "&next=" + next
			}
			r := ts.do("GET", coll+q, ts.reader, nil)
			expect(t, r, 200)
			for _, o := range r.objects() {
				ids = append(ids, o["id"].(string))
			}
			if page == addAfterPage { // lands after everything listed so far
				v, err := NewVersion([]byte(`{"type":"indicator","spec_version":"2.1","id":"`+late+`","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[domain-name:value = 'late.example']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}`), time.Now())
				if err != nil {
					t.Fatal(err)
				}
				mem.Add(t.Context(), "bench", "b0000000-0000-4000-8000-000000000000", []*Version{v})
			}
			if more, _ := r.json["more"].(bool); !more {
				return ids
			}
			next = r.json["next"].(string)
		}
		t.Fatal("paging does not end")
		return nil
	}
	want := collect(100, -1)
	if len(want) != 450 { // every tenth object is TLP:RED
		t.Fatalf("%d objects in pages of 100, want 450", len(want))
	}
	got := collect(7, 3)
	if len(got) != len(want)+1 || got[len(got)-1] != late {
		t.Fatalf("paged %d objects in pages of 7, want %d plus the late one", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("object %d: %v, want %v", i, got[i], want[i])
		}
	}
}

// Readers page through a collection while a writer adds and deletes: no
// request fails, and under -race no data race (readers iterate snapshots).
func TestConcurrentReadersAndWriter(t *testing.T) {
	mem := benchMemory(t, 300)
	ts := serveMemory(t, mem)
	coll := "/bench/collections/b0000000-0000-4000-8000-000000000000/objects/"
	done := make(chan struct{})
	errs := make(chan string, 1000)
	go func() {
		defer close(done)
		for i := range 30 {
			id := fmt.Sprintf("indicator--eeeeeeee-0000-4000-8000-%012d", i)
			obj := newIndicator(id, "2024-06-01T00:00:00.000Z")
			if r := ts.do("POST", coll, ts.admin, envelope(t, obj)); r.status != 202 {
				errs <- fmt.Sprintf("POST: %d", r.status)
			}
			if i%2 == 0 {
				if r := ts.do("DELETE", coll+id, ts.admin, nil); r.status != 200 {
					errs <- fmt.Sprintf("DELETE: %d", r.status)
				}
			}
		}
	}()
	readers := make(chan struct{})
	for range 3 {
		go func() {
			defer func() { readers <- struct{}{} }()
			for {
				select {
				case <-done:
					return
				default:
				}
				next := ""
				for {
					q := "?limit=50"
					if next != "" {
						q += "&next=" + next
					}
					r := ts.do("GET", coll+q, ts.reader, nil)
					if r.status != 200 {
						errs <- fmt.Sprintf("GET: %d %s", r.status, r.body)
						return
					}
					if more, _ := r.json["more"].(bool); !more {
						break
					}
					next = r.json["next"].(string)
				}
			}
		}()
	}
	for range 3 {
		<-readers
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// failingBackend fails every object listing, as a broken database would.
type failingBackend struct{ *Memory }

func (failingBackend) Objects(context.Context, string, string, Query) (iter.Seq2[*Version, error], error) {
	return nil, errors.New("db: connection to 10.9.8.7 refused")
}

func TestBackendFailureIsOpaque(t *testing.T) {
	mem, _, err := LoadMedallion("testdata/tlp.json", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	store := auth.NewMemoryStore()
	secret, _, err := auth.Issue(t.Context(), store, auth.Token{Role: auth.RoleReader, Collections: []string{auth.AllCollections}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	h := New(failingBackend{mem}, Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))}).Handler(store, auth.Options{})
	req := httptest.NewRequest("GET", tlpColl+"objects/", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "10.9.8.7") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logged.String(), "10.9.8.7") {
		t.Fatalf("the failure was not logged: %q", logged.String())
	}
}
