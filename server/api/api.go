// Package api is umbra's REST API: actors and umbrellas, indicators and
// lookups, alerts and sightings, hunts, pivots, attribution, the graph,
// import and export — JSON over HTTP on the same store the CLI uses.
//
// The handler expects to sit behind auth.Middleware.Wrap: it reads the
// caller's token from the request context, checks its role per route, and
// runs every store read through a view that hides objects marked above
// the token's TLP clearance, so nothing a token may not see is returned,
// counted or referenced.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/umbra-cti/umbra/attribution/geo"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/server/auth"
	"github.com/umbra-cti/umbra/sighting/alertlog"
	"github.com/umbra-cti/umbra/stix"
)

// Deps is what the API serves from.
type Deps struct {
	Store   *sqlite.Store
	DataDir string
	Now     func() time.Time // default time.Now
	Logger  *slog.Logger     // default slog.Default()
	// Alerts is the alert log; nil opens the one in DataDir.
	Alerts *alertlog.Log
	// Memory is the network memory; nil opens the one in DataDir while a
	// hunt, pivot or opsec scan needs it (so `umbra ingest` can run while
	// the server idles).
	Memory *memory.Store
	// MMDB lists MaxMind DB files for attribution and opsec slips; nil
	// uses DataDir/scenario/geo.mmdb when the demo left one.
	MMDB []string
	// MaxHunts bounds the hunts running at once (default 2); more are
	// refused with 429.
	MaxHunts int
	// MaxImportBytes bounds an uploaded intel file (default 64 MiB).
	MaxImportBytes int64
	// RefreshEvery is how often the alert log is re-read for lines other
	// processes appended (default 1s).
	RefreshEvery time.Duration
}

// API serves the REST endpoints.
type API struct {
	d      Deps
	marks  *markings
	hunts  *hunts
	mem    *memOpener
	ctx    context.Context
	cancel context.CancelFunc

	alertsMu  sync.Mutex
	alertsLog *alertlog.Log
	watching  bool

	geoOnce sync.Once
	geoDB   *geo.DB

	cache    sync.Map // key -> cached value, per store generation
	cacheLen atomic.Int64
}

// New returns an API over d.
func New(d Deps) *API {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.MaxHunts <= 0 {
		d.MaxHunts = 2
	}
	if d.MaxImportBytes <= 0 {
		d.MaxImportBytes = 64 << 20
	}
	if d.RefreshEvery <= 0 {
		d.RefreshEvery = time.Second
	}
	if d.MMDB == nil && d.DataDir != "" {
		if p := filepath.Join(d.DataDir, "scenario", "geo.mmdb"); fileExists(p) {
			d.MMDB = []string{p}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &API{d: d, marks: newMarkings(d.Store), ctx: ctx, cancel: cancel}
	a.mem = &memOpener{dir: d.DataDir, fixed: d.Memory}
	a.hunts = newHunts(a, d.MaxHunts)
	a.alertsLog = d.Alerts
	return a
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// Close cancels running hunts and waits for them, and stops watching the
// alert log.
func (a *API) Close() error {
	a.cancel()
	a.hunts.wait()
	if a.geoDB != nil {
		a.geoDB.Close()
	}
	return a.mem.close()
}

// alerts returns the alert log, opening it on first use and watching it
// for lines other processes append.
func (a *API) alerts() (*alertlog.Log, error) {
	a.alertsMu.Lock()
	defer a.alertsMu.Unlock()
	if a.alertsLog == nil {
		if a.d.DataDir == "" {
			return nil, errors.New("no data dir: the alert log is not available")
		}
		l, err := alertlog.Open(a.d.DataDir)
		if err != nil {
			return nil, err
		}
		a.alertsLog = l
	}
	if !a.watching {
		a.watching = true
		go a.alertsLog.Watch(a.ctx, a.d.RefreshEvery, func(err error) { a.d.Logger.Warn("alert log refresh", "err", err) })
	}
	return a.alertsLog, nil
}

// route is one endpoint: the OpenAPI document lists the same set (a test
// holds them to it).
type route struct {
	method, path string
	role         auth.Role
	h            func(w http.ResponseWriter, r *http.Request, c *call)
}

// call is what a handler knows about the request it serves.
type call struct {
	tok  auth.Token
	view *view
}

func (c *call) clearance() stix.TLP { return stix.TLP(c.tok.Clearance) }

func (a *API) routes() []route {
	R, A := auth.RoleReader, auth.RoleAnalyst
	return []route{
		{"GET", "/api/openapi.json", R, a.openapi},
		{"GET", "/api/me", R, a.me},
		{"GET", "/api/stats", R, a.stats},
		{"GET", "/api/actors", R, a.listActors},
		{"GET", "/api/actors/{name}", R, a.actor},
		{"GET", "/api/indicators", R, a.indicators},
		{"GET", "/api/lookup", R, a.lookup},
		{"GET", "/api/alerts", R, a.listAlerts},
		{"GET", "/api/alerts/histogram", R, a.histogram},
		{"GET", "/api/sightings", R, a.sightings},
		{"POST", "/api/hunts", A, a.startHunt},
		{"GET", "/api/hunts", R, a.listHunts},
		{"GET", "/api/hunts/{id}", R, a.getHunt},
		{"GET", "/api/hunts/{id}/results", R, a.huntResults},
		{"DELETE", "/api/hunts/{id}", A, a.cancelHunt},
		{"GET", "/api/pivots/talked-to", R, a.talkedTo},
		{"GET", "/api/pivots/resolved-to", R, a.resolvedTo},
		{"GET", "/api/pivots/seen", R, a.seen},
		{"GET", "/api/pivots/around", R, a.around},
		{"GET", "/api/attribution", R, a.attribution},
		{"GET", "/api/opsec", R, a.opsec},
		{"GET", "/api/graph", R, a.graph},
		{"POST", "/api/import", A, a.importIntel},
		{"GET", "/api/export", R, a.export},
	}
}

// Handler returns the API's handler; it serves paths under /api/ and
// expects auth.Middleware.Wrap in front of it.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	methods := map[string][]string{} // path pattern -> methods
	var order []string
	for _, rt := range a.routes() {
		mux.Handle(rt.method+" "+rt.path, a.guard(rt))
		if methods[rt.path] == nil {
			order = append(order, rt.path)
		}
		methods[rt.path] = append(methods[rt.path], rt.method)
	}
	// A path served for other methods answers 405 with Allow; any other
	// path 404. Both only after the token check, so neither tells an
	// anonymous caller which endpoints exist.
	paths := http.NewServeMux()
	for _, p := range order {
		allow := strings.Join(methods[p], ", ")
		if slices.Contains(methods[p], "GET") {
			allow += ", HEAD"
		}
		paths.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, "Method Not Allowed", r.Method+" "+r.URL.Path+": this endpoint takes "+allow)
		})
	}
	paths.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found", "no endpoint "+r.Method+" "+r.URL.Path+"; see /api/openapi.json")
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := auth.FromContext(r.Context()); !ok {
			w.Header().Add("WWW-Authenticate", `Bearer realm="umbra"`)
			writeError(w, http.StatusUnauthorized, "Unauthorized", "no token")
			return
		}
		paths.ServeHTTP(w, r)
	})
	return mux
}

// guard checks the token and role and builds the call.
func (a *API) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := auth.FromContext(r.Context())
		if !ok {
			w.Header().Add("WWW-Authenticate", `Bearer realm="umbra"`)
			writeError(w, http.StatusUnauthorized, "Unauthorized", "no token: send Authorization: Bearer TOKEN")
			return
		}
		if !tok.Allows(rt.role) {
			writeError(w, http.StatusForbidden, "Forbidden", "this needs the "+rt.role.String()+" role; the token has "+tok.Role.String())
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		c := &call{tok: tok, view: &view{st: a.d.Store, marks: a.marks, clearance: stix.TLP(tok.Clearance)}}
		if stix.TLP(tok.Clearance) > stix.TLPRed {
			c.view.clearance = stix.TLPRed
		}
		rt.h(w, r.WithContext(context.WithValue(r.Context(), queryKey{}, r.URL.Query())), c)
	})
}

// apiError is the body of every error response.
type apiError struct {
	Error struct {
		Status int    `json:"status"`
		Title  string `json:"title"`
		Detail string `json:"detail,omitempty"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, title, detail string) {
	var e apiError
	e.Error.Status, e.Error.Title, e.Error.Detail = status, title, detail
	writeJSON(w, status, e)
}

func badRequest(w http.ResponseWriter, detail string) {
	writeError(w, http.StatusBadRequest, "Bad Request", detail)
}

// fail maps a library error to a response: not found is 404, anything
// else 500 with the detail logged, not shown.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, knowledge.ErrNotFound):
		writeError(w, http.StatusNotFound, "Not Found", err.Error())
	case errors.Is(err, context.Canceled):
		writeError(w, http.StatusServiceUnavailable, "Service Unavailable", "the request was cancelled")
	default:
		a.d.Logger.Error("api", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "Internal Server Error", "the server could not answer; see its log")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"status":500,"title":"Internal Server Error","detail":"response did not encode"}}`)
	}
	writeRaw(w, status, append(b, '\n'))
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// Paging and parameters.

const (
	defaultLimit = 100
	maxLimit     = 1000
)

func limitParam(r *http.Request) (int, error) {
	s := query(r).Get("limit")
	if s == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, errors.New("limit: want a positive integer")
	}
	return min(n, maxLimit), nil
}

type queryKey struct{}

// query returns the request's parsed query string, parsed once per
// request (url.URL.Query parses it anew on every call).
func query(r *http.Request) url.Values {
	if v, ok := r.Context().Value(queryKey{}).(url.Values); ok {
		return v
	}
	return r.URL.Query()
}

// timeParam reads an RFC 3339 time or an age before now ("90d", "12h").
func timeParam(r *http.Request, name string, now time.Time) (time.Time, error) {
	s := strings.TrimSpace(query(r).Get(name))
	if s == "" {
		return time.Time{}, nil
	}
	return parseTimeOrAge(s, now, name)
}

func parseTimeOrAge(s string, now time.Time, name string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	d, err := memory.ParseAge(s)
	if err != nil || d < 0 {
		return time.Time{}, errors.New(name + ": want an RFC 3339 time or an age such as 90d or 12h")
	}
	return now.Add(-d).UTC(), nil
}

// listParam reads a repeatable, comma-separated parameter.
func listParam(r *http.Request, name string) []string {
	var out []string
	for _, v := range query(r)[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// cached returns the value kept under key for the store's current
// generation, computing it with fn when absent or stale.
func (a *API) cached(ctx context.Context, key string, fn func() (any, error)) (any, error) {
	gen := a.marks.generation(ctx)
	type entry struct {
		gen int
		v   any
	}
	if e, ok := a.cache.Load(key); ok && e.(entry).gen == gen {
		return e.(entry).v, nil
	}
	v, err := fn()
	if err != nil {
		return nil, err
	}
	if a.cacheLen.Add(1) > maxCached {
		// Keys carry caller input (graph roots, actor names): start afresh
		// rather than grow without bound.
		a.cache.Range(func(k, _ any) bool { a.cache.Delete(k); return true })
		a.cacheLen.Store(1)
	}
	a.cache.Store(key, entry{gen, v})
	return v, nil
}

// maxCached bounds the cached answers.
const maxCached = 4096

// clearKey is the part of a cache key that depends on the token.
func (c *call) clearKey() string { return "tlp" + strconv.Itoa(int(c.view.clearance)) + "|" }

// memOpener shares one network memory among the requests that need it,
// opening it on first use and closing it when the last user is done, so
// that the CLI may ingest while the server is idle.
type memOpener struct {
	dir   string
	fixed *memory.Store

	mu    sync.Mutex
	users int
	open  *memory.Store
}

func (m *memOpener) acquire() (*memory.Store, func(), error) {
	if m.fixed != nil {
		return m.fixed, func() {}, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dir == "" {
		return nil, nil, errors.New("no data dir: the network memory is not available")
	}
	if m.open == nil {
		s, err := memory.Open(m.dir)
		if err != nil {
			return nil, nil, err
		}
		m.open = s
	}
	m.users++
	var once sync.Once
	return m.open, func() {
		once.Do(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.users--
			if m.users == 0 && m.open != nil {
				m.open.Close()
				m.open = nil
			}
		})
	}, nil
}

func (m *memOpener) close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.open != nil {
		err := m.open.Close()
		m.open = nil
		return err
	}
	return nil
}

// memoryError answers for a memory that would not open: 503 when another
// process (an ingest) holds it.
func (a *API) memoryError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, memory.ErrInUse) {
		writeError(w, http.StatusServiceUnavailable, "Service Unavailable", "the network memory is in use by another process (an ingest?); try again")
		return
	}
	a.fail(w, r, err)
}
