package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/stix"
)

func issue(t *testing.T, s Store, tmpl Token) string {
	t.Helper()
	secret, tok, err := Issue(t.Context(), s, tmpl, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(t.Context(), tok.ID); err != nil || !got.Matches(secret) {
		t.Fatalf("issued token not stored: %v", err)
	}
	return secret
}

func TestNewTokenShape(t *testing.T) {
	secret, tok, err := NewToken(Token{Role: RoleAnalyst, Clearance: TLPLevel(stix.TLPAmber), Collections: []string{"c1"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, Prefix) || len(secret) != tokenLen {
		t.Fatalf("token %q", secret)
	}
	id, err := SplitToken(secret)
	if err != nil || id != tok.ID {
		t.Fatalf("SplitToken = %q, %v; want %q", id, err, tok.ID)
	}
	if strings.Contains(tok.Hash, secret[len(Prefix)+idLen+1:]) || len(tok.Hash) != 64 {
		t.Fatal("the stored token must hold only a hash")
	}
	if !tok.Matches(secret) || tok.Matches(secret[:len(secret)-1]+"x") {
		t.Fatal("Matches")
	}
	other, _, _ := NewToken(Token{Role: RoleReader}, time.Now())
	if other == secret {
		t.Fatal("two tokens are equal")
	}
	if _, _, err := NewToken(Token{}, time.Now()); err == nil {
		t.Fatal("a token without a role was issued")
	}
}

func TestSplitTokenRejects(t *testing.T) {
	good, _, _ := NewToken(Token{Role: RoleReader}, time.Now())
	for _, bad := range []string{"", "umb_", good[:len(good)-1], good + "A", "xyz" + good[3:],
		good[:len(Prefix)] + "ZZ" + good[len(Prefix)+2:], good[:len(Prefix)+idLen] + "-" + good[len(Prefix)+idLen+1:],
		good[:len(good)-1] + "!"} {
		if _, err := SplitToken(bad); err == nil {
			t.Errorf("SplitToken(%q) accepted", bad)
		}
	}
}

func TestTokenGrants(t *testing.T) {
	tok := Token{Role: RoleAnalyst, Clearance: TLPLevel(stix.TLPAmber), Collections: []string{"a"}}
	if !tok.Allows(RoleReader) || !tok.Allows(RoleAnalyst) || tok.Allows(RoleAdmin) {
		t.Error("role order")
	}
	if !tok.AllowsCollection("a") || tok.AllowsCollection("b") {
		t.Error("collections")
	}
	if !(Token{Collections: []string{AllCollections}}).AllowsCollection("b") {
		t.Error("wildcard")
	}
	if !tok.Cleared(stix.TLPGreen) || !tok.Cleared(stix.TLPAmber) || tok.Cleared(stix.TLPAmberStrict) || tok.Cleared(stix.TLPRed) {
		t.Error("clearance")
	}
}

func TestFileStorePersists(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	secret := issue(t, s, Token{Name: "sensor", Role: RoleReader, Clearance: TLPLevel(stix.TLPAmberStrict), Collections: []string{"c1"}})
	revoked := issue(t, s, Token{Role: RoleAdmin, Collections: []string{AllCollections}})
	rid, _ := SplitToken(revoked)
	if err := s.Delete(t.Context(), rid); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), secret[len(Prefix)+idLen+1:]) {
		t.Fatal("token file holds a secret")
	}
	if !strings.Contains(string(b), `"amber+strict"`) || !strings.Contains(string(b), `"reader"`) {
		t.Fatalf("token file is not readable: %s", b)
	}
	if st, _ := os.Stat(filepath.Join(dir, FileName)); st.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v", st.Mode())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
	again, err := OpenFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	list, _ := again.List(t.Context())
	if len(list) != 1 || list[0].Name != "sensor" || stix.TLP(list[0].Clearance) != stix.TLPAmberStrict || !list[0].Matches(secret) {
		t.Fatalf("reloaded %+v", list)
	}
	if _, err := again.Get(t.Context(), rid); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoked token still there: %v", err)
	}
}

func TestFileStoreRejectsBadFile(t *testing.T) {
	dir := t.TempDir()
	for _, body := range []string{"{", `{"tokens":[{"id":"zz","sha256":"00"}]}`, `{"tokens":[{"id":"0123456789abcdef","role":"root"}]}`} {
		os.WriteFile(filepath.Join(dir, FileName), []byte(body), 0o600)
		if _, err := OpenFileStore(dir); err == nil || !strings.Contains(err.Error(), FileName) {
			t.Errorf("%s: error %v should name the file", body, err)
		}
	}
}

func TestMiddleware(t *testing.T) {
	store := NewMemoryStore()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reader := issue(t, store, Token{Role: RoleReader, Collections: []string{AllCollections}})
	expiredSecret := func() string {
		secret, tok, _ := NewToken(Token{Role: RoleAdmin, Expires: now.Add(-time.Second)}, now)
		store.Put(t.Context(), tok)
		return secret
	}()
	m := NewMiddleware(store, Options{Now: func() time.Time { return now }, MaxBodyBytes: 10})
	var seen Token
	h := m.Wrap(m.Require(RoleAnalyst, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = FromContext(r.Context())
	})))
	h2 := m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = FromContext(r.Context())
	}))
	call := func(h http.Handler, auth string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := call(h, ""); rec.Code != 401 || len(rec.Header().Values("WWW-Authenticate")) != 2 {
		t.Fatalf("no token: %d %v", rec.Code, rec.Header())
	}
	if rec := call(h2, "Bearer "+expiredSecret); rec.Code != 401 {
		t.Fatalf("expired token: %d", rec.Code)
	}
	if rec := call(h, "Bearer "+reader); rec.Code != 403 {
		t.Fatalf("reader on analyst handler: %d", rec.Code)
	}
	seen = Token{}
	if rec := call(h2, "Bearer "+reader); rec.Code != 200 || seen.Role != RoleReader {
		t.Fatalf("reader: %d %+v", rec.Code, seen)
	}
	var body map[string]string
	rec := call(h2, "Bearer nope")
	if json.Unmarshal(rec.Body.Bytes(), &body); body["http_status"] != "401" {
		t.Fatalf("error body %s", rec.Body)
	}
	req := httptest.NewRequest("POST", "/", strings.NewReader("0123456789abc"))
	req.SetBasicAuth("any", reader)
	rec = httptest.NewRecorder()
	h2.ServeHTTP(rec, req)
	if rec.Code != 413 {
		t.Fatalf("body over limit: %d", rec.Code)
	}
}

func TestRateLimit(t *testing.T) {
	store := NewMemoryStore()
	a := issue(t, store, Token{Role: RoleReader})
	b := issue(t, store, Token{Role: RoleReader})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMiddleware(store, Options{RatePerSecond: 2, Burst: 3, Now: func() time.Time { return now }})
	h := m.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	call := func(tok string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for i := 0; i < 3; i++ {
		if c := call(a).Code; c != 200 {
			t.Fatalf("request %d within burst: %d", i, c)
		}
	}
	rec := call(a)
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("over burst: %d Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if c := call(b).Code; c != 200 {
		t.Fatalf("another token is limited too: %d", c)
	}
	now = now.Add(500 * time.Millisecond) // refills one request at 2/s
	if c := call(a).Code; c != 200 {
		t.Fatalf("after refill: %d", c)
	}
	if c := call(a).Code; c != 429 {
		t.Fatalf("refill gave more than one: %d", c)
	}
}

func TestRoleText(t *testing.T) {
	for _, r := range []Role{RoleReader, RoleAnalyst, RoleAdmin} {
		b, _ := r.MarshalText()
		var back Role
		if err := back.UnmarshalText(b); err != nil || back != r {
			t.Errorf("%v round-trips to %v, %v", r, back, err)
		}
	}
	if _, err := ParseRole("root"); err == nil {
		t.Error("root accepted")
	}
	var ctx = context.Background()
	if _, ok := FromContext(ctx); ok {
		t.Error("token in empty context")
	}
}

func FuzzSplitToken(f *testing.F) {
	good, _, _ := NewToken(Token{Role: RoleReader}, time.Now())
	f.Add(good)
	f.Add("umb_0123456789abcdef_")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := SplitToken(s)
		if err == nil && (!validID(id) || !strings.HasPrefix(s, Prefix+id+"_")) {
			t.Fatalf("accepted %q with id %q", s, id)
		}
	})
}

func BenchmarkAuthenticate(b *testing.B) {
	store := NewMemoryStore()
	secret, tok, _ := NewToken(Token{Role: RoleReader}, time.Now())
	store.Put(context.Background(), tok)
	m := NewMiddleware(store, Options{RatePerSecond: 1e12, Burst: 1 << 30})
	h := m.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

func TestWrongTokensThrottledPerAddress(t *testing.T) {
	store := NewMemoryStore()
	good := issue(t, store, Token{Role: RoleReader})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMiddleware(store, Options{BadTokensPerSecond: 1, BadTokenBurst: 3, Now: func() time.Time { return now }})
	h := m.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	call := func(addr, tok string) int {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = addr
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	bad := good[:len(good)-2] + "zz"
	for i := range 3 {
		if c := call("192.0.2.1:1000", bad); c != 401 {
			t.Fatalf("wrong token %d: %d", i, c)
		}
	}
	if c := call("192.0.2.1:1001", good); c != 429 {
		t.Fatalf("after the burst of wrong tokens: %d, want 429", c)
	}
	if c := call("192.0.2.2:1000", good); c != 200 {
		t.Fatalf("another address: %d", c)
	}
	now = now.Add(time.Second)
	if c := call("192.0.2.1:1000", good); c != 200 {
		t.Fatalf("after refill: %d", c)
	}
}

// The session cookie authenticates reads only: a cookie the browser sends on
// its own must never authorise a POST (CSRF).
func TestCookieReadsOnly(t *testing.T) {
	s := NewMemoryStore()
	secret := issue(t, s, Token{Role: RoleAdmin, Clearance: TLPLevel(stix.TLPRed), Collections: []string{AllCollections}})
	h := NewMiddleware(s, Options{Cookie: "umbra_session"}).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	for _, tc := range []struct {
		method, cookie string
		want           int
	}{
		{http.MethodGet, secret, http.StatusNoContent},
		{http.MethodHead, secret, http.StatusNoContent},
		{http.MethodPost, secret, http.StatusUnauthorized},
		{http.MethodDelete, secret, http.StatusUnauthorized},
		{http.MethodGet, "", http.StatusUnauthorized},
		{http.MethodGet, secret[:len(secret)-1] + "x", http.StatusUnauthorized},
	} {
		req := httptest.NewRequest(tc.method, "/ui/", nil)
		if tc.cookie != "" {
			req.AddCookie(&http.Cookie{Name: "umbra_session", Value: tc.cookie})
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s with cookie %v: %d, want %d", tc.method, tc.cookie != "", rec.Code, tc.want)
		}
	}
	// Without Options.Cookie the cookie is ignored altogether.
	plain := NewMiddleware(s, Options{}).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req := httptest.NewRequest(http.MethodGet, "/ui/", nil)
	req.AddCookie(&http.Cookie{Name: "umbra_session", Value: secret})
	rec := httptest.NewRecorder()
	plain.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("cookie honoured without Options.Cookie: %d", rec.Code)
	}
}
