package ui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzPageEscaping renders the actor page and the alert filters with
// arbitrary names and query values: the page must stay free of injected
// markup and show the name as text.
func FuzzPageEscaping(f *testing.F) {
	for _, h := range hostile {
		f.Add(h, h)
	}
	f.Add("APT41", "")
	f.Add("\x00<\xff>", "%%")
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, name, value string) {
		if name == "" || name == "." || name == ".." {
			return // not an actor page: the mux cleans or redirects these paths
		}
		target := "/ui/actors/" + url.PathEscape(name) + "?q=" + url.QueryEscape(value) + "&actor=" + url.QueryEscape(value)
		res, body := fx.get(t, target, fx.secret)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %q: status %d", target, res.StatusCode)
		}
		checkHeaders(t, target, res)
		doc := checkSafeHTML(t, target, body)
		// The HTML parser turns NUL and CR into other characters and invalid
		// UTF-8 into U+FFFD; any other name must come back verbatim.
		if utf8.ValidString(name) && !strings.ContainsAny(name, "\x00\r") {
			if got := textOf(find(doc, "h1", "id", "actor-name")); got != name {
				t.Fatalf("h1 = %q, want %q", got, name)
			}
		}
		_, body = fx.get(t, "/ui/alerts?"+url.Values{"q": {value}, "actor": {value}}.Encode(), fx.secret)
		checkSafeHTML(t, "alerts "+value, body)
	})
}

// FuzzLogin posts arbitrary bodies to the login: never a panic, never a
// cookie for anything but the token.
func FuzzLogin(f *testing.F) {
	fx := newFixture(f)
	f.Add(`{"token":"` + fx.secret + `"}`)
	f.Add(`{"token":"umb_0000000000000000_x"}`)
	f.Add(`{"token":1}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/ui/login", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		fx.ui.Handler().ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		default:
			t.Fatalf("login %q: status %d", body, rec.Code)
		}
		for _, c := range rec.Result().Cookies() {
			if c.Name == CookieName && c.Value != fx.secret {
				t.Fatalf("login %q set cookie %q", body, c.Value)
			}
		}
	})
}
