package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/server/auth"
	"github.com/umbra-cti/umbra/server/taxii"
	"github.com/umbra-cti/umbra/stix"
)

const (
	redMarking   = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
	greenMarking = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	// The TLP:RED secrets: one marked red, one unmarked but imported as red.
	redID         = "indicator--7ed00000-0000-4000-8000-00000000aaaa"
	redValue      = "red-secret-q7x9.net"
	redImportID   = "indicator--7ed00000-0000-4000-8000-00000000bbbb"
	redImportVal  = "203.0.113.77"
	greenID       = "indicator--96ee0000-0000-4000-8000-00000000cccc"
	greenValue    = "green-ok.net"
	hostileActor  = `<script>alert(1)</script>" onmouseover="x`
	hostileActorN = "intrusion-set--0bad0000-0000-4000-8000-00000000dddd"
)

func object(m map[string]any) stix.Object {
	b, _ := json.Marshal(m)
	o, err := stix.Parse(b)
	if err != nil {
		panic(err)
	}
	return o
}

func indicator(id, pattern string, markings ...string) stix.Object {
	m := map[string]any{"type": "indicator", "spec_version": "2.1", "id": id,
		"created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
		"pattern": pattern, "pattern_type": "stix", "valid_from": "2025-01-01T00:00:00Z",
		"name": "indicator " + id}
	// umbra's own importers record the indicator's value; the lookup index uses it.
	if _, v, ok := strings.Cut(pattern, "value = '"); ok {
		m["x_umbra_value"] = strings.TrimSuffix(v, "']")
	}
	if len(markings) > 0 {
		m["object_marking_refs"] = markings
	}
	return object(m)
}

func load(t *testing.T, st *sqlite.Store, info knowledge.ImportInfo, objs ...stix.Object) {
	t.Helper()
	_, err := st.Import(t.Context(), info, func(put func(stix.Object) error) error {
		for _, o := range objs {
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

type fixture struct {
	t                       *testing.T
	url                     string
	admin, analyst, reader  string // admin cleared for red; analyst and reader for green
	srv                     *Server
	statusID, collectionAll string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	actor := object(map[string]any{"type": "intrusion-set", "spec_version": "2.1", "id": hostileActorN,
		"created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
		"name": hostileActor, "description": `<img src=x onerror=alert(1)> <a href="javascript:alert(1)">x</a>`})
	load(t, st, knowledge.ImportInfo{Source: "feed-green"}, actor,
		indicator(greenID, "[domain-name:value = '"+greenValue+"']", greenMarking))
	load(t, st, knowledge.ImportInfo{Source: "feed-red"},
		indicator(redID, "[domain-name:value = '"+redValue+"']", redMarking),
		object(map[string]any{"type": "relationship", "spec_version": "2.1", "id": "relationship--7ed00000-0000-4000-8000-00000000eeee",
			"created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z", "relationship_type": "indicates",
			"source_ref": redID, "target_ref": hostileActorN, "object_marking_refs": []string{redMarking}}))
	load(t, st, knowledge.ImportInfo{Source: "feed-green", TLP: stix.TLPRed},
		indicator(redImportID, "[ipv4-addr:value = '"+redImportVal+"']"))

	tokens := auth.NewMemoryStore()
	issue := func(role auth.Role, tlp stix.TLP) string {
		secret, _, err := auth.Issue(t.Context(), tokens, auth.Token{Name: role.String(), Role: role,
			Clearance: auth.TLPLevel(tlp), Collections: []string{auth.AllCollections}}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	f := &fixture{t: t, admin: issue(auth.RoleAdmin, stix.TLPRed), analyst: issue(auth.RoleAnalyst, stix.TLPGreen),
		reader: issue(auth.RoleReader, stix.TLPGreen)}
	f.srv, err = New(t.Context(), Config{Store: st, DataDir: dir, Tokens: tokens,
		TAXII: taxii.StoreConfig{Collections: []string{taxii.KindAll, taxii.KindSource, taxii.KindTLP, taxii.KindActor}},
		Auth:  auth.Options{RatePerSecond: 1e6, Burst: 1e6, BadTokensPerSecond: 1e6, BadTokenBurst: 1e6}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(f.srv.Handler()) // binds 127.0.0.1
	t.Cleanup(hs.Close)
	f.url = hs.URL
	return f
}

type result struct {
	status int
	header http.Header
	body   []byte
}

// call sends one request; token "" sends none, cookie sets the UI session cookie.
func (f *fixture) call(method, path, token string, body []byte, cookie string) result {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.url+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if strings.HasPrefix(path, "/taxii2/") {
		req.Header.Set("Accept", taxii.MediaType)
		if body != nil {
			req.Header.Set("Content-Type", taxii.MediaType)
		}
	} else if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "umbra_session", Value: cookie})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := result{res.StatusCode, res.Header, b}
	f.checkHeaders(method, path, r)
	return r
}

// checkHeaders: every response carries the strict CSP and the other headers.
func (f *fixture) checkHeaders(method, path string, r result) {
	f.t.Helper()
	csp := r.header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, d) {
			f.t.Errorf("%s %s (%d): CSP %q lacks %q", method, path, r.status, csp, d)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		f.t.Errorf("%s %s: CSP allows unsafe script: %q", method, path, csp)
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") != "no-referrer" {
		f.t.Errorf("%s %s: missing nosniff or Referrer-Policy: %v", method, path, r.header)
	}
}

// noRed fails when a response to a green token mentions a red object. A
// secret the request itself carried (an id or value asked about) may be
// echoed back; the others may not appear.
func (f *fixture) noRed(what string, r result) {
	f.t.Helper()
	sent, _ := url.QueryUnescape(what)
	for _, secret := range []string{redID, redValue, redImportID, redImportVal, "relationship--7ed00000"} {
		if strings.Contains(sent, secret) || strings.Contains(what, secret) {
			continue
		}
		if bytes.Contains(r.body, []byte(secret)) || strings.Contains(fmt.Sprint(r.header), secret) {
			f.t.Errorf("%s: TLP:RED %q leaked to a green token (status %d): %.300s", what, secret, r.status, r.body)
		}
	}
}

type route struct {
	method, path string
	role         auth.Role // least role that may call it
	body         []byte
}

func (f *fixture) taxiiRoutes() []route {
	f.t.Helper()
	r := f.call(http.MethodGet, "/taxii2/umbra/collections/", f.admin, nil, "")
	if r.status != http.StatusOK {
		f.t.Fatalf("collections: %d %s", r.status, r.body)
	}
	var cols struct {
		Collections []taxii.Collection `json:"collections"`
	}
	if err := json.Unmarshal(r.body, &cols); err != nil {
		f.t.Fatal(err)
	}
	env, _ := json.Marshal(map[string]any{"objects": []any{json.RawMessage(indicator(
		"indicator--0e000000-0000-4000-8000-000000000001", "[domain-name:value = 'posted.example']").Raw)}})
	routes := []route{
		{http.MethodGet, "/taxii2/", auth.RoleReader, nil},
		{http.MethodGet, "/taxii2/umbra/", auth.RoleReader, nil},
		{http.MethodGet, "/taxii2/umbra/collections/", auth.RoleReader, nil},
	}
	for _, c := range cols.Collections {
		if c.Alias == "all" {
			f.collectionAll = c.ID
		}
		base := "/taxii2/umbra/collections/" + c.ID + "/"
		routes = append(routes,
			route{http.MethodGet, base, auth.RoleReader, nil},
			route{http.MethodGet, base + "objects/", auth.RoleReader, nil},
			route{http.MethodGet, base + "objects/?match[id]=" + redID, auth.RoleReader, nil},
			route{http.MethodGet, base + "objects/?match[type]=indicator&match[version]=all", auth.RoleReader, nil},
			route{http.MethodGet, base + "manifest/", auth.RoleReader, nil},
			route{http.MethodGet, base + "objects/" + redID + "/", auth.RoleReader, nil},
			route{http.MethodGet, base + "objects/" + redID + "/versions/", auth.RoleReader, nil},
			route{http.MethodGet, base + "objects/" + redImportID + "/", auth.RoleReader, nil},
			route{http.MethodGet, base + "objects/" + greenID + "/versions/", auth.RoleReader, nil},
		)
		if c.CanWrite {
			routes = append(routes, route{http.MethodPost, base + "objects/", auth.RoleAnalyst, env})
		}
		routes = append(routes, route{http.MethodDelete, base + "objects/" + greenID + "/", auth.RoleAdmin, nil})
	}
	if f.collectionAll == "" {
		f.t.Fatal("no collection with alias all")
	}
	// A status resource, made by the analyst.
	r = f.call(http.MethodPost, "/taxii2/umbra/collections/"+f.collectionAll+"/objects/", f.analyst, env, "")
	var st taxii.Status
	if r.status != http.StatusAccepted || json.Unmarshal(r.body, &st) != nil || st.ID == "" {
		f.t.Fatalf("POST objects as analyst: %d %s", r.status, r.body)
	}
	f.statusID = st.ID
	routes = append(routes, route{http.MethodGet, "/taxii2/umbra/status/" + st.ID + "/", auth.RoleReader, nil})
	return routes
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// apiRoutes reads the OpenAPI document from the running handler and lists
// every operation, with path parameters and query parameters filled with
// the red object's id and value, so that a leak has every chance to show.
func (f *fixture) apiRoutes() []route {
	f.t.Helper()
	r := f.call(http.MethodGet, "/api/openapi.json", f.admin, nil, "")
	if r.status == http.StatusNotFound {
		f.t.Log("no /api/openapi.json yet: the REST API is not mounted; only /api/openapi.json itself is checked")
		return []route{{http.MethodGet, "/api/openapi.json", auth.RoleReader, nil}}
	}
	if r.status != http.StatusOK {
		f.t.Fatalf("GET /api/openapi.json: %d %s", r.status, r.body)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Role       string `json:"x-umbra-role"`
			Parameters []struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		f.t.Fatalf("openapi.json: %v", err)
	}
	if len(doc.Paths) == 0 {
		f.t.Fatal("openapi.json lists no paths")
	}
	var out []route
	for p, ops := range doc.Paths {
		for m, op := range ops {
			method := strings.ToUpper(m)
			if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, method) {
				continue
			}
			path := pathParam.ReplaceAllStringFunc(p, func(s string) string {
				switch s {
				case "{name}":
					return url.PathEscape(hostileActor)
				default:
					return url.PathEscape(redID)
				}
			})
			if !strings.HasPrefix(path, "/api/") {
				path = "/api" + path
			}
			q := url.Values{}
			for _, prm := range op.Parameters {
				if prm.In != "query" {
					continue
				}
				switch prm.Name {
				case "value", "q", "indicator", "root", "host":
					q.Set(prm.Name, redValue)
				case "ip":
					q.Set(prm.Name, redImportVal)
				case "actor", "name":
					q.Set(prm.Name, hostileActor)
				case "id", "incident", "report":
					q.Set(prm.Name, redID)
				case "format":
					q.Set(prm.Name, "stix")
				case "tlp": // asking for more than the token may see
					q.Set(prm.Name, "red")
				}
			}
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			// The role the document states; else the contract's default
			// (GET reader, other writes analyst, DELETE admin).
			role := auth.RoleReader
			switch method {
			case "POST", "PUT", "PATCH":
				role = auth.RoleAnalyst
			case "DELETE":
				role = auth.RoleAdmin
			}
			if op.Role != "" {
				r, err := auth.ParseRole(op.Role)
				if err != nil {
					f.t.Fatalf("%s %s: x-umbra-role: %v", method, p, err)
				}
				if r < auth.RoleAnalyst && method != "GET" {
					f.t.Errorf("%s %s changes state but only needs the %s role", method, p, r)
				}
				role = r
			}
			var body []byte
			if method != "GET" {
				body = []byte(`{}`)
			}
			out = append(out, route{method, path, role, body})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].method < out[j].path+out[j].method })
	return out
}

func uiRoutes() []route {
	var out []route
	for _, p := range []string{"/ui/", "/ui/alerts", "/ui/actors", "/ui/graph", "/ui/hunts", "/ui/attribution", "/ui/data",
		"/ui/actors/" + url.PathEscape(hostileActor), "/ui/no-such-page"} {
		out = append(out, route{http.MethodGet, p, auth.RoleReader, nil})
	}
	return out
}

// TestEveryRoute walks every TAXII, API and UI route: without a token each
// answers 401; with too small a role each state change answers 403; and no
// response to a green token ever carries a TLP:RED object.
func TestEveryRoute(t *testing.T) {
	f := newFixture(t)
	routes := append(append(f.taxiiRoutes(), f.apiRoutes()...), uiRoutes()...)
	tokenOf := map[auth.Role]string{auth.RoleReader: f.reader, auth.RoleAnalyst: f.analyst}
	for _, rt := range routes {
		what := rt.method + " " + rt.path
		// No credentials: 401, and a challenge outside the UI.
		r := f.call(rt.method, rt.path, "", rt.body, "")
		if r.status != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d, want 401: %.200s", what, r.status, r.body)
		}
		f.noRed(what+" (no token)", r)
		// A wrong token is no better than none.
		r = f.call(rt.method, rt.path, "umb_0123456789abcdef_"+strings.Repeat("A", 43), rt.body, "")
		if r.status != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token: %d, want 401", what, r.status)
		}
		// Roles below the route's: 403.
		for role := auth.RoleReader; role < rt.role; role++ {
			r := f.call(rt.method, rt.path, tokenOf[role], rt.body, "")
			if r.status != http.StatusForbidden {
				t.Errorf("%s as %s: %d, want 403: %.200s", what, role, r.status, r.body)
			}
			f.noRed(what+" as "+role.String(), r)
		}
		// The green reader (and the green analyst), allowed or not, never sees red.
		if strings.HasPrefix(rt.path, "/ui/") {
			f.noRed(what+" (green session)", f.call(rt.method, rt.path, "", nil, f.reader))
			continue
		}
		if rt.method == http.MethodGet {
			r := f.call(rt.method, rt.path, f.reader, nil, "")
			if r.status >= 500 {
				t.Errorf("%s as reader: %d %.200s", what, r.status, r.body)
			}
			f.noRed(what+" as green reader", r)
		}
	}
	// The admin, cleared for red, does get the red object: the check above
	// would see a leak if there were one.
	r := f.call(http.MethodGet, "/taxii2/umbra/collections/"+f.collectionAll+"/objects/", f.admin, nil, "")
	if !bytes.Contains(r.body, []byte(redID)) || !bytes.Contains(r.body, []byte(redValue)) || !bytes.Contains(r.body, []byte(redImportID)) {
		t.Fatalf("the red-cleared admin does not see the red objects: %.300s", r.body)
	}
	if r := f.call(http.MethodGet, "/api/lookup?value="+redValue, f.admin, nil, ""); r.status == http.StatusOK && !bytes.Contains(r.body, []byte(redID)) {
		t.Fatalf("the red-cleared admin's lookup of the red value does not name the red indicator: %.300s", r.body)
	}
	if r := f.call(http.MethodGet, "/api/lookup?value="+redValue, f.reader, nil, ""); bytes.Contains(r.body, []byte(redID)) {
		t.Fatalf("the green reader's lookup names the red indicator: %.300s", r.body)
	}
	r = f.call(http.MethodGet, "/taxii2/umbra/collections/"+f.collectionAll+"/objects/", f.reader, nil, "")
	if !bytes.Contains(r.body, []byte(greenID)) {
		t.Fatalf("the green reader does not see the green object: %.300s", r.body)
	}
}

// The UI session cookie never authorises the API or TAXII, and never a POST.
func TestCookieOnlyForUIReads(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"/api/openapi.json", "/taxii2/", "/taxii2/umbra/collections/"} {
		if r := f.call(http.MethodGet, p, "", nil, f.admin); r.status != http.StatusUnauthorized {
			t.Errorf("GET %s with only the session cookie: %d, want 401", p, r.status)
		}
	}
	if r := f.call(http.MethodGet, "/ui/", "", nil, f.admin); r.status != http.StatusOK {
		t.Errorf("GET /ui/ with the session cookie: %d, want 200", r.status)
	}
}

func TestRootRedirectsAndUnknownIs404(t *testing.T) {
	f := newFixture(t)
	r := f.call(http.MethodGet, "/", "", nil, "")
	if r.status != http.StatusFound || r.header.Get("Location") != "/ui/" {
		t.Fatalf("GET /: %d Location %q", r.status, r.header.Get("Location"))
	}
	if r := f.call(http.MethodGet, "/etc/passwd", f.admin, nil, ""); r.status != http.StatusNotFound {
		t.Fatalf("GET /etc/passwd: %d", r.status)
	}
}

func TestBodyLimit(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tokens := auth.NewMemoryStore()
	secret, _, _ := auth.Issue(t.Context(), tokens, auth.Token{Role: auth.RoleAdmin, Clearance: auth.TLPLevel(stix.TLPRed), Collections: []string{"*"}}, time.Now())
	srv, err := New(t.Context(), Config{Store: st, Tokens: tokens, Limits: Limits{MaxBodyBytes: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	for _, p := range []string{"/taxii2/umbra/collections/" + collectionIDForTest() + "/objects/", "/api/import", "/ui/login"} {
		req, _ := http.NewRequest(http.MethodPost, hs.URL+p, bytes.NewReader(make([]byte, 5000)))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST 5000 bytes to %s with a 1000-byte limit: %d, want 413", p, res.StatusCode)
		}
	}
}

func collectionIDForTest() string { return "51f2edb3-af0e-5df0-a01e-d1c893120b10" }

func TestCheckListen(t *testing.T) {
	for _, tc := range []struct {
		addr          string
		tls, insecure bool
		ok            bool
	}{
		{"127.0.0.1:7807", false, false, true},
		{"127.1.2.3:7807", false, false, true},
		{"[::1]:7807", false, false, true},
		{"localhost:7807", false, false, true},
		{"0.0.0.0:7807", false, false, false},
		{":7807", false, false, false},
		{"[::]:7807", false, false, false},
		{"192.0.2.10:80", false, false, false},
		{"example.com:80", false, false, false}, // names are never resolved
		{"[::ffff:127.0.0.1]:80", false, false, true},
		{"0.0.0.0:7807", true, false, true},
		{"0.0.0.0:7807", false, true, true},
		{"no-port", false, false, false},
	} {
		err := CheckListen(tc.addr, tc.tls, tc.insecure)
		if (err == nil) != tc.ok {
			t.Errorf("CheckListen(%q, tls=%v, insecure=%v) = %v, want ok=%v", tc.addr, tc.tls, tc.insecure, err, tc.ok)
		}
		if !tc.ok && tc.addr != "no-port" && !errors.Is(err, ErrPlainNonLoopback) {
			t.Errorf("CheckListen(%q): %v is not ErrPlainNonLoopback", tc.addr, err)
		}
	}
}

// selfSigned writes a fresh certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "umbra test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeTLS serves HTTPS on loopback with a certificate made here, then
// shuts down gracefully when the context ends.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tokens := auth.NewMemoryStore()
	secret, _, _ := auth.Issue(t.Context(), tokens, auth.Token{Role: auth.RoleReader, Collections: []string{"*"}}, time.Now())
	srv, err := New(t.Context(), Config{Store: st, Tokens: tokens})
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, pool := selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, certFile, keyFile) }()

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	base := "https://" + ln.Addr().String()
	req, _ := http.NewRequest(http.MethodGet, base+"/taxii2/", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.TLS == nil {
		t.Fatalf("GET /taxii2/ over TLS: %d %s", res.StatusCode, b)
	}
	if !strings.Contains(string(b), `"`+base+`/taxii2/umbra/"`) {
		t.Errorf("discovery over TLS should list https API roots: %s", b)
	}
	if res.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no Strict-Transport-Security over TLS")
	}
	// Plain HTTP to the TLS port is not served.
	if res, err := http.Get("http://" + ln.Addr().String() + "/taxii2/"); err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Error("plain HTTP answered 200 on the TLS port")
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	if _, err := client.Get(base + "/taxii2/"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
}

// A revoked token stops working on a running server without a restart.
func TestTokenFileSeesRevocation(t *testing.T) {
	dir := t.TempDir()
	tf, err := OpenTokenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tf.now = func() time.Time { return now }
	// Another process issues a token...
	other, err := auth.OpenFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := auth.Issue(t.Context(), other, auth.Token{Role: auth.RoleReader, Collections: []string{"*"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * tokenRecheck)
	if _, err := tf.Get(t.Context(), tok.ID); err != nil {
		t.Fatalf("token issued by another process not seen: %v", err)
	}
	// ...and revokes it.
	if err := other.Delete(t.Context(), tok.ID); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * tokenRecheck)
	if _, err := tf.Get(t.Context(), tok.ID); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("revoked token still accepted: %v", err)
	}
}

// The per-token rate limit given in Config.Auth holds on TAXII and on the API.
func TestRateLimitPerToken(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tokens := auth.NewMemoryStore()
	secret, _, _ := auth.Issue(t.Context(), tokens, auth.Token{Role: auth.RoleReader, Collections: []string{"*"}}, time.Now())
	other, _, _ := auth.Issue(t.Context(), tokens, auth.Token{Role: auth.RoleReader, Collections: []string{"*"}}, time.Now())
	now := time.Now()
	srv, err := New(t.Context(), Config{Store: st, Tokens: tokens, Now: func() time.Time { return now },
		Auth: auth.Options{RatePerSecond: 1, Burst: 3}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	get := func(path, tok string) int {
		req, _ := http.NewRequest(http.MethodGet, hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusTooManyRequests && res.Header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After on %s", path)
		}
		return res.StatusCode
	}
	for _, path := range []string{"/taxii2/", "/api/me"} {
		codes := []int{}
		for range 5 {
			codes = append(codes, get(path, secret))
		}
		if fmt.Sprint(codes) != "[200 200 200 429 429]" {
			t.Errorf("%s: burst of 3 then 429 expected, got %v", path, codes)
		}
		if c := get(path, other); c != http.StatusOK {
			t.Errorf("%s: another token is limited too: %d", path, c)
		}
	}
	now = now.Add(2 * time.Second)
	if c := get("/taxii2/", secret); c != http.StatusOK {
		t.Errorf("after 2 s the token is still limited: %d", c)
	}
}
