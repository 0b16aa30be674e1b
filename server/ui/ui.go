// Package ui is umbra's web UI: html/template pages and our own small JS and
// CSS, embedded in the binary, no build step. Pages are shells: the browser
// fetches the data from the REST API (/api/...) with the token kept in
// sessionStorage, and draws it with textContent and SVG, never innerHTML.
//
// The session cookie only lets a browser load the pages; it never
// authorises an API call or a state change, so a cross-site request gains
// nothing from it.
package ui

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/umbra-cti/umbra/server/auth"
	"github.com/umbra-cti/umbra/stix"
)

// CookieName is the session cookie the login sets. It holds the token, so it
// is HttpOnly, SameSite=Strict and scoped to /ui/.
const CookieName = "umbra_session"

// ContentSecurityPolicy is sent with every UI response: scripts, styles and
// connections only from this origin, and no inline script or style.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

//go:embed static templates
var files embed.FS

// Deps is what the UI needs from the server.
type Deps struct {
	Tokens auth.Store       // checks the token given at login and in the cookie
	Now    func() time.Time // clock for token expiry; default time.Now
	Logger *slog.Logger     // default slog.Default()
	Secure bool             // set the cookie's Secure flag even on plain HTTP requests (behind a TLS proxy)
}

// UI serves the pages under /ui/.
type UI struct {
	d     Deps
	pages map[string]*template.Template
	mux   *http.ServeMux

	mu  sync.Mutex
	bad map[string]*bucket // wrong tokens by client address
}

// Wrong tokens, at login or in a cookie, are throttled per client address as
// the API's middleware throttles them, so the login form is no easier a
// way to guess: a burst of badBurst, then one a second.
const (
	badPerSecond  = 1.0
	badBurst      = 20
	maxBadClients = 10_000 // past it the table starts afresh
)

type bucket struct {
	tokens float64
	last   time.Time
}

// page is one page of the UI: its template and the title the layout shows.
type page struct {
	name, title string
}

// navPages are the pages the top bar links to, in order.
var navPages = []page{
	{"dashboard", "Dashboard"},
	{"alerts", "Alerts"},
	{"actors", "Actors"},
	{"graph", "Graph"},
	{"hunts", "Hunts"},
	{"attribution", "Attribution"},
	{"data", "Import & export"},
}

// New returns the UI over d. It panics if the embedded templates do not
// parse, which a test catches before any release.
func New(d Deps) *UI {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	u := &UI{d: d, pages: map[string]*template.Template{}, bad: map[string]*bucket{}}
	layout := template.Must(template.New("layout.html").ParseFS(files, "templates/layout.html"))
	for _, p := range append(navPages, page{"actor", ""}, page{"login", ""}, page{"notfound", ""}) {
		t := template.Must(template.Must(layout.Clone()).ParseFS(files, "templates/"+p.name+".html"))
		u.pages[p.name] = t
	}

	static, err := fs.Sub(files, "static")
	if err != nil {
		panic(err)
	}
	m := http.NewServeMux()
	m.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", staticFiles(static)))
	m.HandleFunc("GET /ui/login", func(w http.ResponseWriter, r *http.Request) {
		u.render(w, r, http.StatusOK, "login", view{Title: "Log in"})
	})
	m.HandleFunc("POST /ui/login", u.login)
	m.HandleFunc("POST /ui/logout", u.logout)
	m.HandleFunc("GET /ui/{$}", u.session(u.simple("dashboard")))
	for _, p := range navPages[1:] {
		m.HandleFunc("GET /ui/"+p.name, u.session(u.simple(p.name)))
	}
	m.HandleFunc("GET /ui/actors/{name}", u.session(func(w http.ResponseWriter, r *http.Request, tok auth.Token) {
		name := r.PathValue("name")
		u.render(w, r, http.StatusOK, "actor", view{Title: name, Name: name, Token: tok})
	}))
	m.HandleFunc("/ui/", u.session(func(w http.ResponseWriter, r *http.Request, tok auth.Token) {
		u.render(w, r, http.StatusNotFound, "notfound", view{Title: "Not found", Token: tok})
	}))
	u.mux = m
	return u
}

// Handler returns the UI's handler; it expects full paths (/ui/...).
func (u *UI) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		u.mux.ServeHTTP(w, r)
	})
}

// view is what a page template sees. Every field is rendered through
// html/template's contextual escaping.
type view struct {
	Title     string
	Page      string
	Name      string     // the actor of the actor page
	Token     auth.Token // the session's token; zero on the login page
	Clearance string     // the token's TLP clearance by name
	Nav       []navItem
	Query     map[string]string // the request's query, to fill in filter forms
}

type navItem struct {
	Href, Title string
	Current     bool
}

func (u *UI) simple(name string) func(http.ResponseWriter, *http.Request, auth.Token) {
	title := ""
	for _, p := range navPages {
		if p.name == name {
			title = p.title
		}
	}
	return func(w http.ResponseWriter, r *http.Request, tok auth.Token) {
		u.render(w, r, http.StatusOK, name, view{Title: title, Token: tok})
	}
}

func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	v.Page = name
	v.Query = map[string]string{}
	for k, vals := range r.URL.Query() {
		if len(vals) > 0 {
			v.Query[k] = vals[0]
		}
	}
	if v.Token.ID != "" {
		v.Clearance = stix.TLP(v.Token.Clearance).String()
		for _, p := range navPages {
			href := "/ui/" + p.name
			if p.name == "dashboard" {
				href = "/ui/"
			}
			v.Nav = append(v.Nav, navItem{Href: href, Title: p.title, Current: p.name == name || (name == "actor" && p.name == "actors")})
		}
	}
	var buf bytes.Buffer
	if err := u.pages[name].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		u.d.Logger.Error("ui: render page", "page", name, "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// session runs next for requests carrying a valid session cookie; others get
// 401 and the login page, which reloads the page once logged in.
func (u *UI) session(next func(http.ResponseWriter, *http.Request, auth.Token)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(CookieName)
		if err == nil && c.Value != "" {
			if wait, ok := u.mayTry(r); !ok {
				tooMany(w, wait)
				return
			}
			if tok, ok := u.check(r.Context(), c.Value); ok {
				next(w, r, tok)
				return
			}
			u.failed(r)
			// Drop the stale cookie, so an expired or revoked session
			// costs one try, not one per page load.
			c := u.cookie(r, "")
			c.MaxAge = -1
			http.SetCookie(w, c)
		}
		u.render(w, r, http.StatusUnauthorized, "login", view{Title: "Log in"})
	}
}

// check reports whether secret is a valid, unexpired token.
func (u *UI) check(ctx context.Context, secret string) (auth.Token, bool) {
	if u.d.Tokens == nil {
		return auth.Token{}, false
	}
	id, err := auth.SplitToken(secret)
	if err != nil {
		return auth.Token{}, false
	}
	tok, err := u.d.Tokens.Get(ctx, id)
	if err != nil || !tok.Matches(secret) || tok.Expired(u.d.Now()) {
		return auth.Token{}, false
	}
	return tok, true
}

// maxLoginBytes bounds the login body: a token is under 100 bytes.
const maxLoginBytes = 4 << 10

// login checks the token posted as JSON and sets the session cookie. Only
// JSON is accepted, so a cross-site HTML form cannot log a browser in with
// someone else's token.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	if !isJSON(r) {
		writeError(w, http.StatusUnsupportedMediaType, "send the token as application/json: {\"token\": \"umb_...\"}")
		return
	}
	var req struct {
		Token string `json:"token"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLoginBytes))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "login body too large")
		return
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "login body is not JSON: "+err.Error())
		return
	}
	if wait, ok := u.mayTry(r); !ok {
		tooMany(w, wait)
		return
	}
	tok, ok := u.check(r.Context(), strings.TrimSpace(req.Token))
	if !ok {
		u.failed(r)
		writeError(w, http.StatusUnauthorized, "invalid, expired or revoked token")
		return
	}
	c := u.cookie(r, strings.TrimSpace(req.Token))
	if !tok.Expires.IsZero() {
		c.Expires = tok.Expires
	}
	http.SetCookie(w, c)
	u.d.Logger.Info("ui: login", "token", tok.ID, "name", tok.Name)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"name": tok.Name, "role": tok.Role.String()})
}

// logout clears the cookie. It too wants JSON, so no other site can post it.
func (u *UI) logout(w http.ResponseWriter, r *http.Request) {
	if !isJSON(r) {
		writeError(w, http.StatusUnsupportedMediaType, "post logout as application/json")
		return
	}
	c := u.cookie(r, "")
	c.MaxAge = -1
	http.SetCookie(w, c)
	w.WriteHeader(http.StatusNoContent)
}

// mayTry reports whether r's client may try a token now, or how long it
// must wait.
func (u *UI) mayTry(r *http.Request) (time.Duration, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	b := u.bad[clientAddr(r)]
	if b == nil {
		return 0, true
	}
	u.refill(b)
	if b.tokens >= 1 {
		return 0, true
	}
	return time.Duration((1 - b.tokens) / badPerSecond * float64(time.Second)), false
}

// failed charges r's client for one wrong token.
func (u *UI) failed(r *http.Request) {
	u.mu.Lock()
	defer u.mu.Unlock()
	client := clientAddr(r)
	b := u.bad[client]
	if b == nil {
		if len(u.bad) >= maxBadClients {
			u.bad = map[string]*bucket{}
		}
		b = &bucket{tokens: badBurst, last: u.d.Now()}
		u.bad[client] = b
	}
	u.refill(b)
	b.tokens = max(0, b.tokens-1)
}

func (u *UI) refill(b *bucket) {
	now := u.d.Now()
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(badBurst, b.tokens+el*badPerSecond)
	}
	b.last = now
}

func tooMany(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	writeError(w, http.StatusTooManyRequests, "too many wrong tokens from this address; try again later")
}

// clientAddr is the client's IP address without the port.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (u *UI) cookie(r *http.Request, value string) *http.Cookie {
	return &http.Cookie{
		Name:     CookieName,
		Value:    value,
		Path:     "/ui/",
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
		Secure:   u.d.Secure || r.TLS != nil,
	}
}

func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

func writeError(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"status": status, "title": http.StatusText(status), "detail": detail,
	}})
}

// staticFiles serves the embedded JS, CSS and icons. They change only with
// the binary, but "no-cache" makes browsers revalidate after an upgrade.
func staticFiles(static fs.FS) http.Handler {
	fsrv := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		fsrv.ServeHTTP(w, r)
	})
}
