package auth

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options tunes a Middleware. Zero fields take the defaults noted.
type Options struct {
	RatePerSecond float64 // sustained requests per token; default 50
	Burst         int     // requests a token may make at once; default 100
	MaxBodyBytes  int64   // request body limit; default 10 MiB
	// BadTokensPerSecond and BadTokenBurst throttle wrong tokens per client
	// address (429 once spent), so a scanner cannot hammer the store;
	// defaults 1 and 20.
	BadTokensPerSecond float64
	BadTokenBurst      int
	Realm              string // WWW-Authenticate realm; default "umbra"
	// Cookie, when set, names a cookie that may carry the token for GET and
	// HEAD requests without an Authorization header (the web UI's session).
	// It is never read for other methods, so a cookie the browser attaches
	// on its own cannot authorise a state change (no CSRF).
	Cookie string
	// WriteError writes an error response; the default writes a TAXII-style
	// JSON error ({title, description, http_status}). The TAXII server sets
	// it so that every error carries the TAXII media type.
	WriteError func(w http.ResponseWriter, status int, title, description string)
	Now        func() time.Time // clock for expiry and rate limits; default time.Now
}

// Middleware authenticates requests against a Store, rate-limits them per
// token, bounds their bodies, and puts the Token in the request context.
type Middleware struct {
	store Store
	opt   Options

	mu      sync.Mutex
	buckets map[string]*bucket // by token id; only authenticated ids get one
	bad     map[string]*bucket // by client address, for wrong tokens
}

// maxBadClients bounds the wrong-token table; past it the table starts
// afresh, so a spread-out scan costs memory only up to this size.
const maxBadClients = 10_000

// NewMiddleware returns a Middleware over store.
func NewMiddleware(store Store, opt Options) *Middleware {
	if opt.RatePerSecond <= 0 {
		opt.RatePerSecond = 50
	}
	if opt.Burst <= 0 {
		opt.Burst = 100
	}
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = 10 << 20
	}
	if opt.Realm == "" {
		opt.Realm = "umbra"
	}
	if opt.WriteError == nil {
		opt.WriteError = writeJSONError
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.BadTokensPerSecond <= 0 {
		opt.BadTokensPerSecond = 1
	}
	if opt.BadTokenBurst <= 0 {
		opt.BadTokenBurst = 20
	}
	return &Middleware{store: store, opt: opt, buckets: map[string]*bucket{}, bad: map[string]*bucket{}}
}

type ctxKey struct{}

// FromContext returns the authenticated token of a request that went
// through a Middleware.
func FromContext(ctx context.Context) (Token, bool) {
	t, ok := ctx.Value(ctxKey{}).(Token)
	return t, ok
}

// WithToken returns ctx carrying t, for handlers tested without the middleware.
func WithToken(ctx context.Context, t Token) context.Context {
	return context.WithValue(ctx, ctxKey{}, t)
}

// Wrap returns next behind authentication, rate limiting and the body limit.
// Requests without a valid token get 401 with a WWW-Authenticate challenge.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := credential(r)
		if !ok && m.opt.Cookie != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			if c, err := r.Cookie(m.opt.Cookie); err == nil && c.Value != "" {
				secret, ok = c.Value, true
			}
		}
		if !ok {
			m.challenge(w, "no credentials: send Authorization: Bearer TOKEN, or HTTP Basic with the token as password")
			return
		}
		client := clientAddr(r)
		if wait, ok := m.peekBad(client); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			m.opt.WriteError(w, http.StatusTooManyRequests, "Too Many Requests", "too many wrong tokens from this address")
			return
		}
		tok, err := m.authenticate(r.Context(), secret)
		if err != nil {
			m.takeBad(client)
			m.challenge(w, err.Error())
			return
		}
		if wait, ok := m.allow(tok.ID); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			m.opt.WriteError(w, http.StatusTooManyRequests, "Too Many Requests", "rate limit exceeded for this token")
			return
		}
		if r.ContentLength > m.opt.MaxBodyBytes {
			m.opt.WriteError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large",
				"request body of "+strconv.FormatInt(r.ContentLength, 10)+" bytes exceeds the limit of "+strconv.FormatInt(m.opt.MaxBodyBytes, 10))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, m.opt.MaxBodyBytes)
		}
		next.ServeHTTP(w, r.WithContext(WithToken(r.Context(), tok)))
	})
}

// Require returns next behind a role check: authenticated tokens below role
// get 403. It must sit inside Wrap.
func (m *Middleware) Require(role Role, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := FromContext(r.Context())
		if !ok {
			m.challenge(w, "not authenticated")
			return
		}
		if !tok.Allows(role) {
			m.opt.WriteError(w, http.StatusForbidden, "Forbidden", "this needs the "+role.String()+" role; the token has "+tok.Role.String())
			return
		}
		next.ServeHTTP(w, r)
	})
}

var errBadToken = errors.New("invalid, expired or revoked token")

// authenticate finds the token for secret. Every failure returns the same
// error, so a caller cannot tell an unknown id from a wrong secret.
func (m *Middleware) authenticate(ctx context.Context, secret string) (Token, error) {
	id, err := SplitToken(secret)
	if err != nil {
		return Token{}, errBadToken
	}
	tok, err := m.store.Get(ctx, id)
	if err != nil {
		return Token{}, errBadToken
	}
	if !tok.Matches(secret) || tok.Expired(m.opt.Now()) {
		return Token{}, errBadToken
	}
	return tok, nil
}

// credential extracts the token from a Bearer header, or from the password
// of HTTP Basic (TAXII clients such as taxii2-client only speak Basic).
func credential(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		rest = strings.TrimSpace(rest)
		return rest, rest != ""
	}
	if _, pass, ok := r.BasicAuth(); ok && pass != "" {
		return pass, true
	}
	return "", false
}

func (m *Middleware) challenge(w http.ResponseWriter, why string) {
	w.Header().Add("WWW-Authenticate", `Bearer realm="`+m.opt.Realm+`"`)
	w.Header().Add("WWW-Authenticate", `Basic realm="`+m.opt.Realm+`", charset="UTF-8"`)
	m.opt.WriteError(w, http.StatusUnauthorized, "Unauthorized", why)
}

// bucket is a token bucket: tokens refill at rate per second up to burst.
type bucket struct {
	tokens float64
	last   time.Time
}

// allow takes one request from id's bucket, or says how long until one is free.
func (m *Middleware) allow(id string) (time.Duration, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return take(m.buckets, id, m.opt.Now(), m.opt.RatePerSecond, m.opt.Burst, true)
}

// peekBad reports whether client may still try a token.
func (m *Middleware) peekBad(client string) (time.Duration, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bad[client] == nil {
		return 0, true
	}
	return take(m.bad, client, m.opt.Now(), m.opt.BadTokensPerSecond, m.opt.BadTokenBurst, false)
}

// takeBad charges client for one wrong token.
func (m *Middleware) takeBad(client string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.bad) >= maxBadClients && m.bad[client] == nil {
		m.bad = map[string]*bucket{}
	}
	take(m.bad, client, m.opt.Now(), m.opt.BadTokensPerSecond, m.opt.BadTokenBurst, true)
}

// take refills key's bucket in table and, when consume is set, takes one
// request from it. It reports how long until a request is free.
func take(table map[string]*bucket, key string, now time.Time, rate float64, burst int, consume bool) (time.Duration, bool) {
	b := table[key]
	if b == nil {
		b = &bucket{tokens: float64(burst), last: now}
		table[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(float64(burst), b.tokens+el*rate)
	}
	b.last = now
	if b.tokens >= 1 {
		if consume {
			b.tokens--
		}
		return 0, true
	}
	return time.Duration((1 - b.tokens) / rate * float64(time.Second)), false
}

// clientAddr is the client's IP address without the port. Behind a reverse
// proxy it is the proxy's: the proxy should throttle instead.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func writeJSONError(w http.ResponseWriter, status int, title, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"title": title, "description": description, "http_status": strconv.Itoa(status),
	})
}
