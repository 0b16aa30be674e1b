package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/umbra-cti/umbra/export"
	"github.com/umbra-cti/umbra/server/auth"
	"github.com/umbra-cti/umbra/stix"
)

// Hostile names as an attacker would put them in intel: each would run
// script if the UI pasted it into HTML unescaped.
var hostile = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(2)>`,
	`javascript:alert(3)`,
	`' onmouseover='alert(4)`,
	`</title><svg onload=alert(5)>`,
	`{{.Token.ID}}`,
	`../../api/me?x=1#frag`,
}

// pagePaths are every page that needs a session.
var pagePaths = []string{"/ui/", "/ui/alerts", "/ui/actors", "/ui/actors/APT41", "/ui/graph", "/ui/hunts", "/ui/attribution", "/ui/data", "/ui/nope"}

type fixture struct {
	now     time.Time
	client  int // varies the client address, which wrong tokens are throttled by
	ui      *UI
	secret  string
	expired string
	tok     auth.Token
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	st := auth.NewMemoryStore()
	ctx := context.Background()
	secret, tok, err := auth.Issue(ctx, st, auth.Token{Name: `ana<b>`, Role: auth.RoleAnalyst, Clearance: auth.TLPLevel(stix.TLPAmber), Collections: []string{auth.AllCollections}}, now)
	if err != nil {
		t.Fatal(err)
	}
	expired, _, err := auth.Issue(ctx, st, auth.Token{Name: "old", Role: auth.RoleReader, Expires: now.Add(-time.Hour)}, now.Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{now: now, secret: secret, expired: expired, tok: tok}
	f.ui = New(Deps{Tokens: st, Now: func() time.Time { return f.now }, Logger: slog.New(slog.DiscardHandler)})
	return f
}

func (f *fixture) get(t testing.TB, target, cookie string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest("GET", target, nil)
	req.RemoteAddr = fmt.Sprintf("192.0.2.%d:1234", f.client%250)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: CookieName, Value: cookie})
	}
	rec := httptest.NewRecorder()
	f.ui.Handler().ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func TestPagesWithoutSessionAnswer401WithLoginPage(t *testing.T) {
	f := newFixture(t)
	for _, p := range pagePaths {
		for _, cookie := range []string{"", "garbage", f.expired, wrongSecret(f.secret)} {
			f.client++
			res, body := f.get(t, p, cookie)
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("GET %s cookie %q: status %d, want 401", p, cookie, res.StatusCode)
			}
			if !strings.Contains(body, `id="login-form"`) || !strings.Contains(body, `data-page="login"`) {
				t.Errorf("GET %s without session: body is not the login page:\n%.300s", p, body)
			}
			if strings.Contains(body, "<nav>") {
				t.Errorf("GET %s without session shows the navigation", p)
			}
			checkHeaders(t, p, res)
		}
	}
}

// wrongSecret is secret with its last character changed: the right id
// with a wrong secret part.
func wrongSecret(secret string) string {
	last := byte('A')
	if secret[len(secret)-1] == 'A' {
		last = 'B'
	}
	return secret[:len(secret)-1] + string(last)
}

func TestLoginSetsSessionCookie(t *testing.T) {
	f := newFixture(t)
	post := func(ctype, body string) *http.Response {
		req := httptest.NewRequest("POST", "/ui/login", strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		f.ui.Handler().ServeHTTP(rec, req)
		return rec.Result()
	}
	res := post("application/json", `{"token":"`+f.secret+`"}`)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login: status %d", res.StatusCode)
	}
	var c *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == CookieName {
			c = ck
		}
	}
	if c == nil || c.Value != f.secret || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/ui/" {
		t.Fatalf("login cookie = %+v, want HttpOnly SameSite=Strict Path=/ui/ holding the token", c)
	}
	if c.Secure {
		t.Errorf("cookie is Secure on a plain-HTTP request without Deps.Secure")
	}
	for _, tc := range []struct {
		ctype, body string
		want        int
	}{
		{"application/json", `{"token":"umb_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`, 401},
		{"application/json", `{"token":"` + f.expired + `"}`, 401},
		{"application/json", `{"token":`, 400},
		{"application/x-www-form-urlencoded", "token=" + url.QueryEscape(f.secret), 415}, // a cross-site form cannot log in
		{"text/plain", `{"token":"` + f.secret + `"}`, 415},
		{"application/json", `{"token":"` + strings.Repeat("a", 5000) + `"}`, 413},
	} {
		res := post(tc.ctype, tc.body)
		if res.StatusCode != tc.want {
			t.Errorf("login %s %.40q: status %d, want %d", tc.ctype, tc.body, res.StatusCode, tc.want)
		}
		for _, ck := range res.Cookies() {
			if ck.Name == CookieName && ck.Value != "" {
				t.Errorf("login %s %.40q set a session cookie", tc.ctype, tc.body)
			}
		}
	}

	// Logout clears the cookie, and only when posted as JSON.
	req := httptest.NewRequest("POST", "/ui/logout", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	f.ui.Handler().ServeHTTP(rec, req)
	cleared := false
	for _, ck := range rec.Result().Cookies() {
		cleared = cleared || ck.Name == CookieName && ck.MaxAge < 0 && ck.Value == ""
	}
	if rec.Code != http.StatusNoContent || !cleared {
		t.Errorf("logout: status %d, cookie cleared %v", rec.Code, cleared)
	}
}

func TestPagesWithSession(t *testing.T) {
	f := newFixture(t)
	for _, p := range pagePaths {
		res, body := f.get(t, p, f.secret)
		want := http.StatusOK
		if p == "/ui/nope" {
			want = http.StatusNotFound
		}
		if res.StatusCode != want {
			t.Errorf("GET %s: status %d, want %d", p, res.StatusCode, want)
		}
		checkHeaders(t, p, res)
		doc := checkSafeHTML(t, p, body)
		if !strings.Contains(body, `src="/ui/static/app.js"`) {
			t.Errorf("GET %s: no app.js", p)
		}
		if txt := textOf(find(doc, "span", "class", "who")); txt != "ana<b> · analyst · TLP:amber" {
			t.Errorf("GET %s: token shown as %q", p, txt)
		}
	}
}

// TestHostileInputIsText puts hostile strings everywhere a page echoes the
// request (the actor page's name, the filter forms' values) and checks the
// parsed page holds them as text or attribute values, never as markup.
func TestHostileInputIsText(t *testing.T) {
	f := newFixture(t)
	for _, h := range hostile {
		res, body := f.get(t, "/ui/actors/"+url.PathEscape(h), f.secret)
		if res.StatusCode != 200 {
			t.Fatalf("actor page for %q: status %d", h, res.StatusCode)
		}
		doc := checkSafeHTML(t, h, body)
		if got := textOf(find(doc, "h1", "id", "actor-name")); got != h {
			t.Errorf("actor page h1 = %q, want the name %q as text", got, h)
		}
		if got := attr(find(doc, "body", "", ""), "data-name"); got != h {
			t.Errorf("actor page data-name = %q, want %q", got, h)
		}
		if got := textOf(find(doc, "title", "", "")); got != h+" · umbra" {
			t.Errorf("actor page title = %q", got)
		}

		q := url.Values{}
		for _, k := range []string{"since", "until", "actor", "kind", "q", "root", "indicator", "value"} {
			q.Set(k, h)
		}
		for _, p := range []string{"/ui/alerts", "/ui/graph", "/ui/hunts", "/ui/attribution", "/ui/data", "/ui/actors", "/ui/"} {
			_, body := f.get(t, p+"?"+q.Encode(), f.secret)
			doc := checkSafeHTML(t, p+" "+h, body)
			n := 0
			walk(doc, func(x *html.Node) {
				if x.Type == html.ElementNode && x.Data == "input" && attr(x, "value") == h {
					n++
				}
			})
			if n == 0 {
				t.Errorf("%s?%s: no filter input holds the hostile value as its value", p, q.Encode())
			}
		}
	}
}

// TestLoginPageEscapesQuery covers the public page too.
func TestLoginPageEscapesQuery(t *testing.T) {
	f := newFixture(t)
	for _, h := range hostile {
		_, body := f.get(t, "/ui/alerts?q="+url.QueryEscape(h), "")
		checkSafeHTML(t, "login "+h, body)
	}
}

func TestStaticAssets(t *testing.T) {
	f := newFixture(t)
	for path, ctype := range map[string]string{
		"/ui/static/app.js":   "text/javascript",
		"/ui/static/app.css":  "text/css",
		"/ui/static/icon.svg": "image/svg+xml",
	} {
		res, body := f.get(t, path, "")
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), ctype) || len(body) == 0 {
			t.Errorf("GET %s: status %d, type %q, %d bytes", path, res.StatusCode, res.Header.Get("Content-Type"), len(body))
		}
		checkHeaders(t, path, res)
	}
	for _, p := range []string{"/ui/static/", "/ui/static/nope.js", "/ui/static/../ui.go"} {
		if res, _ := f.get(t, p, ""); res.StatusCode == 200 {
			t.Errorf("GET %s: status 200, want an error (no listings, no files outside static/)", p)
		}
	}
}

// TestScriptAvoidsSinks keeps app.js off the DOM APIs that parse markup or
// run strings as code: every piece of intel it shows goes through
// textContent and setAttribute.
func TestScriptAvoidsSinks(t *testing.T) {
	js, err := files.ReadFile("static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	sinks := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setTimeout\(\s*['"` + "`" + `]|\.src\s*=|srcdoc|createContextualFragment|DOMParser`)
	for i, line := range strings.Split(string(js), "\n") {
		code, _, _ := strings.Cut(line, "//")
		if m := sinks.FindString(code); m != "" {
			t.Errorf("app.js:%d uses %s: %s", i+1, m, strings.TrimSpace(line))
		}
	}
	// Every href the script sets goes through href(), which only keeps our own paths.
	if n := strings.Count(string(js), ".href ="); n != 1 {
		t.Errorf("app.js assigns .href directly %d times; want only the blob: download link", n)
	}
}

func checkHeaders(t *testing.T, what string, res *http.Response) {
	t.Helper()
	if got := res.Header.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
		t.Errorf("%s: Content-Security-Policy = %q", what, got)
	}
	for _, dir := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(ContentSecurityPolicy, dir) {
			t.Errorf("CSP lacks %s", dir)
		}
	}
	if strings.Contains(ContentSecurityPolicy, "unsafe") {
		t.Errorf("CSP allows something unsafe: %s", ContentSecurityPolicy)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: no X-Content-Type-Options: nosniff", what)
	}
}

// checkSafeHTML parses a page and fails on anything the CSP would have to
// block or that a hostile string could have injected: inline scripts and
// styles, event-handler attributes, script URLs, elements beyond the known set.
func checkSafeHTML(t *testing.T, what, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	scripts := 0
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		switch n.Data {
		case "script":
			scripts++
			if attr(n, "src") != "/ui/static/app.js" || n.FirstChild != nil {
				t.Errorf("%s: script other than app.js: src=%q", what, attr(n, "src"))
			}
		case "style", "iframe", "object", "embed", "img", "svg", "base", "meta":
			if n.Data != "meta" || attr(n, "http-equiv") != "" {
				t.Errorf("%s: unexpected <%s> element", what, n.Data)
			}
		}
		for _, a := range n.Attr {
			k := strings.ToLower(a.Key)
			if strings.HasPrefix(k, "on") || k == "style" || k == "srcdoc" {
				t.Errorf("%s: <%s %s=%q>", what, n.Data, a.Key, a.Val)
			}
			if (k == "href" || k == "src" || k == "action") && !strings.HasPrefix(a.Val, "/ui/") {
				t.Errorf("%s: <%s %s=%q> leaves /ui/", what, n.Data, a.Key, a.Val)
			}
		}
	})
	if scripts != 1 {
		t.Errorf("%s: %d script elements, want 1", what, scripts)
	}
	return doc
}

func walk(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func find(doc *html.Node, tag, key, val string) *html.Node {
	var found *html.Node
	walk(doc, func(n *html.Node) {
		if found == nil && n.Type == html.ElementNode && n.Data == tag && (key == "" || attr(n, key) == val) {
			found = n
		}
	})
	return found
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	walk(n, func(x *html.Node) {
		if x.Type == html.TextNode {
			b.WriteString(x.Data)
		}
	})
	return b.String()
}

// TestWrongTokensThrottled: the login and the cookie check take wrong
// tokens from one address at the API's pace (a burst, then one a second).
func TestWrongTokensThrottled(t *testing.T) {
	f := newFixture(t)
	login := func(secret, addr string) *http.Response {
		req := httptest.NewRequest("POST", "/ui/login", strings.NewReader(`{"token":"`+secret+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		f.ui.Handler().ServeHTTP(rec, req)
		return rec.Result()
	}
	wrong := wrongSecret(f.secret)
	for i := range badBurst {
		if res := login(wrong, "198.51.100.7:1000"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: status %d, want 401", i+1, res.StatusCode)
		}
	}
	res := login(f.secret, "198.51.100.7:1001")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "1" {
		t.Fatalf("after %d wrong tokens: status %d, Retry-After %q; want 429 and 1", badBurst, res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := login(f.secret, "198.51.100.8:1000"); res.StatusCode != http.StatusOK {
		t.Errorf("another address: status %d, want 200", res.StatusCode)
	}
	f.now = f.now.Add(time.Second)
	if res := login(f.secret, "198.51.100.7:1002"); res.StatusCode != http.StatusOK {
		t.Errorf("a second later: status %d, want 200", res.StatusCode)
	}
	if res := login(wrong, "198.51.100.7:1002"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the try refilled in a second: status %d, want 401", res.StatusCode)
	}
	if res := login(wrong, "198.51.100.7:1002"); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("and no more: status %d, want 429", res.StatusCode)
	}

	// A stale cookie costs one try and is dropped.
	f.client = 77
	res, _ = f.get(t, "/ui/alerts", f.expired)
	dropped := false
	for _, c := range res.Cookies() {
		dropped = dropped || c.Name == CookieName && c.MaxAge < 0
	}
	if res.StatusCode != http.StatusUnauthorized || !dropped {
		t.Errorf("stale cookie: status %d, cookie dropped %v", res.StatusCode, dropped)
	}
}

// TestScriptCallsDocumentedEndpoints holds app.js to the API's OpenAPI
// document: every /api path the script names is an operation there.
func TestScriptCallsDocumentedEndpoints(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "api", "openapi.json"))
	if err != nil {
		t.Skipf("no OpenAPI document beside the UI: %v", err)
	}
	var doc struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	js, _ := files.ReadFile("static/app.js")
	used := regexp.MustCompile(`'(/api/[^']*)'`).FindAllStringSubmatch(string(js), -1)
	if len(used) < 10 {
		t.Fatalf("found only %d API paths in app.js", len(used))
	}
	for _, m := range used {
		p := m[1]
		ok := false
		for doc := range doc.Paths {
			if doc == p || strings.HasSuffix(p, "/") && strings.HasPrefix(doc, p+"{") {
				ok = true
			}
		}
		if !ok {
			t.Errorf("app.js calls %s, which the OpenAPI document does not list", p)
		}
	}
}

// TestExportFormatsOffered: the export form offers what export writes.
func TestExportFormatsOffered(t *testing.T) {
	page, _ := files.ReadFile("templates/data.html")
	_, exp, _ := strings.Cut(string(page), `id="export-form"`)
	sel, _, _ := strings.Cut(exp, "</select>")
	var offered []string
	for _, m := range regexp.MustCompile(`<option>([^<]+)</option>`).FindAllStringSubmatch(sel, -1) {
		offered = append(offered, m[1])
	}
	if !slices.Equal(offered, export.Formats) {
		t.Errorf("export form offers %v, export writes %v", offered, export.Formats)
	}
}
