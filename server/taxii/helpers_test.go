package taxii

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/server/auth"
	"github.com/umbra-cti/umbra/stix"
)

// Endpoints of medallion's test suite (medallion/test/__init__.py).
const (
	discoveryEP        = "/taxii2/"
	apiRootEP          = "/trustgroup1/"
	collectionsEP      = apiRootEP + "collections/"
	getCollectionEP    = collectionsEP + "91a7b528-80eb-42ed-a74d-c6fbd5a26116/"
	addCollectionEP    = collectionsEP + "365fed99-08fa-fdcd-a1b3-fb247eb41d01/"
	nonExistentEP      = collectionsEP + "12345678-1234-1234-1234-123456789012/"
	forbiddenEP        = collectionsEP + "64993447-4d7e-4f70-b94d-d7f33742ee63/"
	addObjectsEP       = addCollectionEP + "objects/"
	addManifestsEP     = addCollectionEP + "manifest/"
	getManifestsEP     = getCollectionEP + "manifest/"
	getObjectsEP       = getCollectionEP + "objects/"
	malwareID          = "malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec"
	indicatorID        = "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e"
	relationshipID     = "relationship--2f9a9aa9-108a-4333-83e2-4fb25add0463"
	stixMediaType20    = "application/stix+json;version=2.0"
	stixMediaType21    = "application/stix+json;version=2.1"
	defaultDataRelPath = "taxii21/medallion/default_data.json"
)

// testServer is a TAXII server over medallion's default data, on loopback,
// with one token per kind of caller.
type testServer struct {
	t       *testing.T
	url     string
	mem     *Memory
	admin   string // admin, every collection, cleared for red
	reader  string // reader, every collection, cleared for green
	analyst string // analyst, every collection, cleared for green
	narrow  string // admin, only collection 91a7..., cleared for red
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	path := corpus.Path(t, "taxii21", "medallion", "default_data.json")
	mem, skipped, err := LoadMedallion(path, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) > 0 {
		t.Fatalf("default_data.json: %d records skipped: %v", len(skipped), skipped)
	}
	return serveMemory(t, mem)
}

func serveMemory(t *testing.T, mem *Memory) *testServer {
	t.Helper()
	store := auth.NewMemoryStore()
	issue := func(role auth.Role, clearance stix.TLP, colls ...string) string {
		secret, tok, err := auth.NewToken(auth.Token{Role: role, Clearance: auth.TLPLevel(clearance), Collections: colls}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Put(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	ts := &testServer{t: t, mem: mem,
		admin:   issue(auth.RoleAdmin, stix.TLPRed, auth.AllCollections),
		reader:  issue(auth.RoleReader, stix.TLPGreen, auth.AllCollections),
		analyst: issue(auth.RoleAnalyst, stix.TLPGreen, auth.AllCollections),
		narrow:  issue(auth.RoleAdmin, stix.TLPRed, "91a7b528-80eb-42ed-a74d-c6fbd5a26116"),
	}
	srv := httptest.NewServer(New(mem, Options{}).Handler(store, auth.Options{MaxBodyBytes: 1 << 20, Burst: 1 << 20, RatePerSecond: 1 << 20, BadTokenBurst: 1 << 20}))
	t.Cleanup(srv.Close)
	ts.url = srv.URL
	return ts
}

// response is one HTTP exchange, with the body decoded when it is JSON.
type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (r *response) contentType() string { return r.header.Get("Content-Type") }

// objects returns the "objects" list of the body (nil when absent).
func (r *response) objects() []map[string]any {
	list, _ := r.json["objects"].([]any)
	out := make([]map[string]any, len(list))
	for i, o := range list {
		out[i], _ = o.(map[string]any)
	}
	return out
}

func (r *response) versions() []string {
	list, _ := r.json["versions"].([]any)
	out := make([]string, len(list))
	for i, v := range list {
		out[i], _ = v.(string)
	}
	return out
}

// do sends one request the way medallion's tests do: TAXII Accept, HTTP
// Basic with the token as password (when token is not ""), TAXII
// Content-Type on bodies.
func (ts *testServer) do(method, path, token string, body []byte) *response {
	ts.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ts.t.Context(), method, ts.url+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	req.Header.Set("Accept", MediaType)
	if body != nil {
		req.Header.Set("Content-Type", MediaType)
	}
	if token != "" {
		req.SetBasicAuth("admin", token)
	}
	return ts.send(req)
}

func (ts *testServer) send(req *http.Request) *response {
	ts.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	r := &response{status: res.StatusCode, header: res.Header, body: b}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &r.json); err != nil {
			ts.t.Fatalf("%s %s: body is not a JSON object: %v: %q", req.Method, req.URL, err, b)
		}
	}
	return r
}

func (ts *testServer) get(path string) *response { return ts.do(http.MethodGet, path, ts.admin, nil) }

func (ts *testServer) post(path string, body []byte) *response {
	return ts.do(http.MethodPost, path, ts.admin, body)
}

func (ts *testServer) del(path string) *response {
	return ts.do(http.MethodDelete, path, ts.admin, nil)
}

// expect checks the status and, for 2xx and TAXII errors, the media type.
func expect(t *testing.T, r *response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.contentType(); ct != MediaType {
		t.Fatalf("Content-Type %q, want %q", ct, MediaType)
	}
}

func expectMore(t *testing.T, r *response, more bool) {
	t.Helper()
	got, ok := r.json["more"].(bool)
	if !ok || got != more {
		t.Fatalf("more = %v (present %v), want %v; body %s", r.json["more"], ok, more, r.body)
	}
}

func expectCount(t *testing.T, got []map[string]any, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%d objects, want %d: %v", len(got), n, got)
	}
}

func expectDates(t *testing.T, r *response, first, last string) {
	t.Helper()
	if f, l := r.header.Get("X-TAXII-Date-Added-First"), r.header.Get("X-TAXII-Date-Added-Last"); f != first || l != last {
		t.Fatalf("X-TAXII-Date-Added-First/Last = %q/%q, want %q/%q", f, l, first, last)
	}
}

func envelope(t *testing.T, objs ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"objects": objs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
