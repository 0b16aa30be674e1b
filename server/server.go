package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/server/api"
	"github.com/umbra-cti/umbra/server/auth"
	"github.com/umbra-cti/umbra/server/taxii"
	"github.com/umbra-cti/umbra/server/ui"
)

// ContentSecurityPolicy is sent with every response: nothing loads from
// anywhere but this origin, and no inline script or style runs.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Limits bounds what one connection and one request may cost. Zero fields
// take the defaults noted.
type Limits struct {
	ReadHeaderTimeout time.Duration // default 10s
	ReadTimeout       time.Duration // whole request, body included; default 2m (uploads)
	WriteTimeout      time.Duration // whole response; default 5m (exports)
	IdleTimeout       time.Duration // keep-alive; default 2m
	MaxHeaderBytes    int           // default 64 KiB
	MaxBodyBytes      int64         // any request body; default 64 MiB
	ShutdownGrace     time.Duration // how long shutdown waits for requests in flight; default 10s
}

func (l *Limits) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.ReadHeaderTimeout, 10*time.Second)
	def(&l.ReadTimeout, 2*time.Minute)
	def(&l.WriteTimeout, 5*time.Minute)
	def(&l.IdleTimeout, 2*time.Minute)
	def(&l.ShutdownGrace, 10*time.Second)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 64 << 10
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = 64 << 20
	}
}

// Config is what New composes the server from.
type Config struct {
	Store   *sqlite.Store     // the knowledge store; required
	DataDir string            // the data dir (alert log, network memory, hunts)
	Tokens  auth.Store        // API tokens; required
	TAXII   taxii.StoreConfig // TAXII API root and collection policy; BasePath is set to /taxii2
	// Auth tunes authentication: rate limit and burst per token, body limit
	// of authenticated requests. Its WriteError and Cookie are set by New.
	// TAXII and the REST API each apply the rate limit (each speaks its own
	// error format), so a token may make the rate on both at once.
	Auth   auth.Options
	Limits Limits
	// Secure marks the UI's cookie Secure even on plain HTTP (set it when a
	// TLS proxy sits in front); with TLS the cookie is always Secure.
	Secure bool
	Logger *slog.Logger     // default slog.Default()
	Now    func() time.Time // default time.Now
}

// Server is umbra's HTTP server: TAXII 2.1 under /taxii2/, the REST API
// under /api/ and the web UI under /ui/, on one mux.
type Server struct {
	cfg     Config
	handler http.Handler
	taxii   *taxii.Store
	api     *api.API
}

// New composes the server. It reads the knowledge store once to build the
// TAXII view.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: no knowledge store")
	}
	if cfg.Tokens == nil {
		return nil, errors.New("server: no token store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Limits.defaults()
	if cfg.Auth.Now == nil {
		cfg.Auth.Now = cfg.Now
	}

	tcfg := cfg.TAXII
	tcfg.BasePath = "/taxii2"
	if tcfg.StateDir == "" {
		tcfg.StateDir = cfg.DataDir
	}
	if tcfg.Logger == nil {
		tcfg.Logger = cfg.Logger
	}
	if tcfg.Now == nil {
		tcfg.Now = cfg.Now
	}
	if tcfg.MaxContentLength <= 0 || tcfg.MaxContentLength > cfg.Limits.MaxBodyBytes {
		tcfg.MaxContentLength = cfg.Limits.MaxBodyBytes
	}
	backend, err := taxii.NewStore(ctx, cfg.Store, tcfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, taxii: backend}

	mux := http.NewServeMux()
	taxiiSrv := taxii.New(backend, taxii.Options{Prefix: "/taxii2", Now: cfg.Now, Logger: cfg.Logger})
	mux.Handle("/taxii2/", taxiiSrv.Handler(cfg.Tokens, cfg.Auth))

	// The REST API accepts only Bearer or Basic, never the UI's cookie.
	apiAuth := cfg.Auth
	apiAuth.Cookie = ""
	apiAuth.WriteError = writeAPIError
	mw := auth.NewMiddleware(cfg.Tokens, apiAuth)
	s.api = api.New(api.Deps{Store: cfg.Store, DataDir: cfg.DataDir, Now: cfg.Now, Logger: cfg.Logger,
		MaxImportBytes: cfg.Limits.MaxBodyBytes})
	mux.Handle("/api/", mw.Wrap(s.api.Handler()))

	mux.Handle("/ui/", ui.New(ui.Deps{Tokens: cfg.Tokens, Now: cfg.Now, Logger: cfg.Logger, Secure: cfg.Secure}).Handler())
	mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, http.StatusNotFound, "Not Found", "no such resource: the server has /ui/, /api/ and /taxii2/")
	})
	s.handler = secure(limitBody(mux, cfg.Limits.MaxBodyBytes))
	return s, nil
}

// Handler returns the composed handler, security headers included.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops what the server runs in the background (hunts, the alert
// log watcher). Call it after Serve returns.
func (s *Server) Close() error { return s.api.Close() }

// TAXII returns the TAXII backend over the knowledge store.
func (s *Server) TAXII() *taxii.Store { return s.taxii }

// secure sets the security headers on every response before the handler
// runs, so errors, redirects and 404s carry them too.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody bounds every request body, authenticated or not.
func limitBody(next http.Handler, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			writeAPIError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large",
				fmt.Sprintf("request body of %d bytes exceeds the limit of %d", r.ContentLength, limit))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// writeAPIError writes the REST API's error body:
// {"error":{"status":N,"title":"...","detail":"..."}}.
func writeAPIError(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"status":%d,"title":%s,"detail":%s}}`+"\n", status, jsonString(title), jsonString(detail))
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == '<' || r == '>' || r == '&' || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// ErrPlainNonLoopback is returned by CheckListen for plain HTTP on an
// address other hosts can reach.
var ErrPlainNonLoopback = errors.New("refusing to serve plain HTTP on a non-loopback address: tokens and TLP-marked intel would cross the network in clear text; give --tls-cert and --tls-key, listen on 127.0.0.1, or pass --insecure if a TLS proxy terminates in front")

// CheckListen reports whether addr (host:port) may be served: plain HTTP
// only on loopback unless insecure. The host is not resolved: only IP
// literals and "localhost" count as loopback; "" and 0.0.0.0 listen on
// every interface.
func CheckListen(addr string, useTLS, insecure bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if useTLS || insecure || IsLoopback(host) {
		return nil
	}
	return fmt.Errorf("%s: %w", addr, ErrPlainNonLoopback)
}

// IsLoopback reports whether host (an IP literal or "localhost") is loopback.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.Unmap().IsLoopback()
}

// HTTPServer returns an http.Server for the handler with the configured
// timeouts and header limit.
func (s *Server) HTTPServer() *http.Server {
	l := s.cfg.Limits
	return &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
	}
}

// Serve serves on ln until ctx is done, then shuts down gracefully: it
// stops accepting, lets requests in flight finish for Limits.ShutdownGrace,
// then closes what is left. With certFile and keyFile it serves TLS.
func (s *Server) Serve(ctx context.Context, ln net.Listener, certFile, keyFile string) error {
	hs := s.HTTPServer()
	hs.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	errc := make(chan error, 1)
	go func() {
		if certFile != "" || keyFile != "" {
			errc <- hs.ServeTLS(ln, certFile, keyFile)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.Limits.ShutdownGrace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		hs.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
