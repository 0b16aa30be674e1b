package taxii

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/server/auth"
)

// MediaType is the TAXII 2.1 media type of every request and response body.
const MediaType = "application/taxii+json;version=2.1"

// dateAddedFormat is how X-TAXII-Date-Added-* headers and manifests write
// instants: microseconds, as TAXII servers commonly do.
const dateAddedFormat = "2006-01-02T15:04:05.000000Z"

// Options tunes a Server.
type Options struct {
	MaxPageSize int              // largest page served; default 100
	Now         func() time.Time // clock for date_added; default time.Now
	Logger      *slog.Logger     // where backend failures (500s) are logged; default slog.Default()
	// Prefix is the path the handler is mounted under ("/taxii2"): discovery
	// is then Prefix+"/" and API roots Prefix+"/{root}/". Empty keeps the
	// layout of medallion: discovery at /taxii2/, API roots at /{root}/.
	Prefix string
}

// Server is the TAXII 2.1 HTTP server over a Backend.
type Server struct {
	backend Backend
	maxPage int
	now     func() time.Time
	log     *slog.Logger
	prefix  string
	nextKey [32]byte
	cache   pageCache
}

// New returns a Server over b.
func New(b Backend, opt Options) *Server {
	s := &Server{backend: b, maxPage: opt.MaxPageSize, now: opt.Now}
	if p := strings.Trim(opt.Prefix, "/"); p != "" {
		s.prefix = "/" + p
	}
	if s.maxPage <= 0 {
		s.maxPage = 100
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log = opt.Logger; s.log == nil {
		s.log = slog.Default()
	}
	_, _ = rand.Read(s.nextKey[:])
	return s
}

// Handler returns the TAXII endpoints behind mw: every request must carry a
// token. Mount it at "/" (discovery is /taxii2/, API roots are /{root}/), or
// at Options.Prefix+"/" when a prefix is set.
// mw's error writer is replaced so that 401 and 429 bodies are TAXII errors.
func (s *Server) Handler(store auth.Store, opt auth.Options) http.Handler {
	opt.WriteError = WriteError
	return auth.NewMiddleware(store, opt).Wrap(http.HandlerFunc(s.serve))
}

// WriteError writes a TAXII error message (section 3.6.1).
func WriteError(w http.ResponseWriter, status int, title, description string) {
	w.Header().Set("Content-Type", MediaType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Title       string `json:"title"`
		Description string `json:"description,omitempty"`
		HTTPStatus  string `json:"http_status"`
	}{title, description, strconv.Itoa(status)})
}

// httpError is an error with its TAXII status and title.
type httpError struct {
	status int
	title  string
	desc   string
}

func (e *httpError) Error() string { return e.desc }

func errorf(status int, title, format string, a ...any) error {
	return &httpError{status, title, fmt.Sprintf(format, a...)}
}

func notFound(what string) error {
	return errorf(http.StatusNotFound, "Not Found", "%s not found", what)
}

// serve routes by path segments: TAXII URLs end in "/", but clients differ,
// so a missing trailing slash is accepted too.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	tok, ok := auth.FromContext(r.Context())
	if !ok { // Handler always authenticates; this guards a mis-wired mux
		WriteError(w, http.StatusUnauthorized, "Unauthorized", "no authenticated token")
		return
	}
	if !acceptsTAXII(r.Header.Values("Accept")) {
		WriteError(w, http.StatusNotAcceptable, "Not Acceptable", "the Accept header must allow "+MediaType)
		return
	}
	path := r.URL.Path
	if s.prefix != "" {
		rest, ok := strings.CutPrefix(path, s.prefix)
		if !ok || rest != "" && rest[0] != '/' {
			WriteError(w, http.StatusNotFound, "Not Found", "resource not found")
			return
		}
		path = rest
	}
	seg := strings.Split(strings.Trim(path, "/"), "/")
	if s.prefix != "" && seg[0] == "" {
		seg = []string{"taxii2"} // the prefix itself is discovery
	} else if s.prefix != "" && seg[0] == "taxii2" {
		seg[0] = "\x00" // no API root named taxii2 under a prefix
	}
	err := s.route(w, r, tok, seg)
	if err != nil {
		var he *httpError
		if errors.Is(err, ErrNotSupported) {
			he = &httpError{http.StatusNotImplemented, "Not Implemented", err.Error()}
		}
		if he == nil && !errors.As(err, &he) {
			// The client learns nothing about the backend; the operator does.
			s.log.Error("taxii: backend failure", "method", r.Method, "path", r.URL.Path, "token", tok.ID, "err", err)
			he = &httpError{http.StatusInternalServerError, "Internal Server Error", "the backend failed"}
		}
		WriteError(w, he.status, he.title, he.desc)
	}
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, tok auth.Token, seg []string) error {
	method := func(allowed ...string) error {
		for _, m := range allowed {
			if r.Method == m {
				return nil
			}
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		return errorf(http.StatusMethodNotAllowed, "Method Not Allowed", "%s is not allowed here", r.Method)
	}
	ctx := r.Context()
	if len(seg) == 1 && seg[0] == "taxii2" {
		if err := method(http.MethodGet); err != nil {
			return err
		}
		d, err := s.backend.Discovery(ctx)
		if err != nil {
			return err
		}
		d.Default = absURL(r, d.Default)
		roots := make([]string, len(d.APIRoots))
		for i, u := range d.APIRoots {
			roots[i] = absURL(r, u)
		}
		d.APIRoots = roots
		return writeJSON(w, http.StatusOK, d)
	}
	if len(seg) == 0 || seg[0] == "" {
		return notFound("resource")
	}
	root := seg[0]
	info, err := s.backend.APIRoot(ctx, root)
	if errors.Is(err, ErrNotFound) {
		return notFound("api root")
	} else if err != nil {
		return err
	}
	switch {
	case len(seg) == 1:
		if err := method(http.MethodGet); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, info)
	case len(seg) == 3 && seg[1] == "status":
		if err := method(http.MethodGet); err != nil {
			return err
		}
		st, err := s.backend.Status(ctx, root, seg[2])
		if errors.Is(err, ErrNotFound) || err == nil && !tok.Allows(auth.RoleAdmin) && st.Owner != tok.ID {
			return notFound("status")
		} else if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, st)
	case len(seg) == 2 && seg[1] == "collections":
		if err := method(http.MethodGet); err != nil {
			return err
		}
		all, err := s.backend.Collections(ctx, root)
		if err != nil {
			return err
		}
		out := struct {
			Collections []Collection `json:"collections,omitempty"`
		}{}
		for _, c := range all {
			if tok.AllowsCollection(c.ID) {
				out.Collections = append(out.Collections, narrow(c, tok))
			}
		}
		return writeJSON(w, http.StatusOK, out)
	case len(seg) < 3 || seg[1] != "collections":
		return notFound("resource")
	}
	c, err := s.backend.Collection(ctx, root, seg[2])
	if errors.Is(err, ErrNotFound) || err == nil && !tok.AllowsCollection(c.ID) {
		// A collection the token may not use is indistinguishable from none.
		return notFound("collection")
	} else if err != nil {
		return err
	}
	cl := collectionCall{s: s, w: w, r: r, tok: tok, root: root, info: info, c: c}
	switch {
	case len(seg) == 3:
		if err := method(http.MethodGet); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, narrow(c, tok))
	case len(seg) == 4 && seg[3] == "objects":
		if err := method(http.MethodGet, http.MethodPost); err != nil {
			return err
		}
		if r.Method == http.MethodPost {
			return cl.add()
		}
		return cl.objects("", false)
	case len(seg) == 4 && seg[3] == "manifest":
		if err := method(http.MethodGet); err != nil {
			return err
		}
		return cl.objects("", true)
	case len(seg) == 5 && seg[3] == "objects":
		if err := method(http.MethodGet, http.MethodDelete); err != nil {
			return err
		}
		if r.Method == http.MethodDelete {
			return cl.delete(seg[4])
		}
		return cl.objects(seg[4], false)
	case len(seg) == 6 && seg[3] == "objects" && seg[5] == "versions":
		if err := method(http.MethodGet); err != nil {
			return err
		}
		return cl.versions(seg[4])
	}
	return notFound("resource")
}

// absURL turns a path a backend lists ("/taxii2/umbra/") into a URL on the
// host the client called; URLs are returned as they are.
func absURL(r *http.Request, u string) string {
	if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
		return u
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + u
}

// narrow reports the collection's permissions as they apply to this token.
func narrow(c Collection, tok auth.Token) Collection {
	c.CanWrite = c.CanWrite && tok.Allows(auth.RoleAnalyst)
	return c
}

// collectionCall is one request on one collection.
type collectionCall struct {
	s    *Server
	w    http.ResponseWriter
	r    *http.Request
	tok  auth.Token
	root string
	info APIRoot
	c    Collection
}

func (cl *collectionCall) canRead() error {
	if !cl.c.CanRead {
		return errorf(http.StatusForbidden, "Forbidden", "collection %s cannot be read", cl.c.ID)
	}
	return nil
}

// cleared is the TLP check of every read: nothing above the token's
// clearance reaches a response, a count or a header.
func (cl *collectionCall) cleared(v *Version) bool { return cl.tok.Cleared(v.TLP) }

// page runs the filter over the collection.
func (cl *collectionCall) page(f *filter) ([]*Version, bool, error) {
	cands, err := cl.s.backend.Objects(cl.r.Context(), cl.root, cl.c.ID, f.query)
	if err != nil {
		return nil, false, err
	}
	return f.run(cands, cl.cleared, cl.fetch)
}

// fetch returns the cleared versions of the given objects, for version selection.
func (cl *collectionCall) fetch(ids []string) ([]*Version, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	seq, err := cl.s.backend.Objects(cl.r.Context(), cl.root, cl.c.ID, Query{IDs: ids})
	if err != nil {
		return nil, err
	}
	var out []*Version
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		if cl.cleared(v) {
			out = append(out, v)
		}
	}
	return out, nil
}

func badRequest(err error) error {
	return errorf(http.StatusBadRequest, "ProcessingError", "%v", err)
}

// objects serves the objects endpoint (id == ""), the object-by-id endpoint,
// and, with manifest, the manifest endpoint.
func (cl *collectionCall) objects(id string, manifest bool) error {
	if err := cl.canRead(); err != nil {
		return err
	}
	// Pages of a backend that reports its changes are built once per
	// token, URL and backend generation. Only pages that were built are
	// cached, so a URL found here also parses.
	var gen uint64
	var key string
	g, cacheable := cl.s.backend.(Generational)
	if cacheable {
		gen = g.Generation()
		key = cl.tok.ID + "\x00" + cl.r.URL.Path + "?" + cl.r.URL.RawQuery
		if p := cl.s.cache.get(gen, key); p != nil {
			return p.write(cl.w)
		}
	}
	q := cl.r.URL.Query()
	f, err := cl.s.parseFilter(q, "last", cl.scope())
	if err != nil {
		return badRequest(err)
	}
	if id != "" {
		f.query.IDs = []string{id}
		f.query.Types = nil
	}
	page, more, err := cl.page(&f)
	if err != nil {
		return err
	}
	if id != "" && len(page) == 0 && len(q) == 0 {
		// An object the token may not see is indistinguishable from none.
		return notFound("object")
	}
	cp := &cachedPage{}
	if len(page) > 0 {
		cp.first, cp.last = dateRange(page)
	}
	var buf bytes.Buffer
	size := 64
	for _, v := range page {
		size += len(v.Raw) + 1
	}
	if manifest {
		size = 64 + 200*len(page)
	}
	buf.Grow(size)
	if len(page) == 0 {
		buf.WriteString("{}")
	} else {
		cl.writePage(&buf, page, more, manifest, q)
	}
	cp.body = buf.Bytes()
	if cacheable {
		cl.s.cache.put(gen, key, cp)
	}
	return cp.write(cl.w)
}

// writePage writes the envelope (or manifest) of a non-empty page.
func (cl *collectionCall) writePage(buf *bytes.Buffer, page []*Version, more, manifest bool, q url.Values) {
	buf.WriteString(`{"more":`)
	buf.WriteString(strconv.FormatBool(more))
	if more {
		buf.WriteString(`,"next":"`)
		buf.WriteString(cl.s.makeNext(page[len(page)-1], q, cl.scope()))
		buf.WriteByte('"')
	}
	buf.WriteString(`,"objects":[`)
	for i, v := range page {
		if i > 0 {
			buf.WriteByte(',')
		}
		if manifest {
			b, _ := json.Marshal(struct {
				ID        string `json:"id"`
				DateAdded string `json:"date_added"`
				Version   string `json:"version"`
				MediaType string `json:"media_type"`
			}{v.ID, v.DateAdded.UTC().Format(dateAddedFormat), v.VersionString(), mediaType(v.SpecVersion)})
			buf.Write(b)
		} else {
			buf.Write(v.Raw)
		}
	}
	buf.WriteString("]}")
}

func (cl *collectionCall) scope() string {
	return cl.tok.ID + "\x00" + strings.TrimSuffix(cl.r.URL.Path, "/")
}

// versions serves the versions endpoint (section 5.8).
func (cl *collectionCall) versions(id string) error {
	if err := cl.canRead(); err != nil {
		return err
	}
	q := cl.r.URL.Query()
	q.Del("match[version]") // not a filter of this endpoint: it lists every version
	f, err := cl.s.parseFilter(q, "all", cl.scope())
	if err != nil {
		return badRequest(err)
	}
	f.query.IDs, f.query.Types = []string{id}, nil
	page, more, err := cl.page(&f)
	if err != nil {
		return err
	}
	if len(page) == 0 && len(cl.r.URL.Query()) == 0 {
		return notFound("object")
	}
	setDateHeaders(cl.w, page)
	if len(page) == 0 {
		return writeRaw(cl.w, http.StatusOK, []byte("{}"))
	}
	out := struct {
		More     bool     `json:"more"`
		Next     string   `json:"next,omitempty"`
		Versions []string `json:"versions"`
	}{More: more}
	if more {
		out.Next = cl.s.makeNext(page[len(page)-1], q, cl.scope())
	}
	for _, v := range page {
		out.Versions = append(out.Versions, v.VersionString())
	}
	return writeJSON(cl.w, http.StatusOK, out)
}

// delete serves DELETE on an object (section 5.7): by default every version.
func (cl *collectionCall) delete(id string) error {
	if !cl.tok.Allows(auth.RoleAdmin) {
		return errorf(http.StatusForbidden, "Forbidden", "deleting objects needs the admin role")
	}
	if err := cl.canRead(); err != nil {
		return err
	}
	if !cl.c.CanWrite {
		return errorf(http.StatusForbidden, "Forbidden", "collection %s cannot be written", cl.c.ID)
	}
	q := cl.r.URL.Query()
	f, err := cl.s.parseFilter(q, "all", cl.scope())
	if err != nil {
		return badRequest(err)
	}
	f.query = Query{IDs: []string{id}}
	if len(f.specVersion) == 0 {
		f.specVersion = []string{"2.0", "2.1"}
	}
	f.limit = -1
	doomed, _, err := cl.page(&f)
	if err != nil {
		return err
	}
	if len(doomed) == 0 {
		return notFound("object")
	}
	if err := cl.s.backend.Delete(cl.r.Context(), cl.root, cl.c.ID, doomed); err != nil {
		return err
	}
	return writeRaw(cl.w, http.StatusOK, []byte("{}"))
}

// add serves POST on the objects endpoint (section 5.4): it stores the
// envelope's objects at once and answers with a complete status resource.
func (cl *collectionCall) add() error {
	if !cl.tok.Allows(auth.RoleAnalyst) {
		return errorf(http.StatusForbidden, "Forbidden", "adding objects needs the analyst role")
	}
	if !cl.c.CanWrite {
		return errorf(http.StatusForbidden, "Forbidden", "collection %s cannot be written", cl.c.ID)
	}
	if !isTAXII(cl.r.Header.Get("Content-Type")) {
		return errorf(http.StatusUnsupportedMediaType, "Unsupported Media Type", "Content-Type must be %s", MediaType)
	}
	body := cl.r.Body
	if cl.info.MaxContentLength > 0 {
		if cl.r.ContentLength > cl.info.MaxContentLength {
			return tooLarge(cl.info.MaxContentLength)
		}
		body = http.MaxBytesReader(cl.w, body, cl.info.MaxContentLength)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(mbe.Limit)
		}
		return badRequest(fmt.Errorf("reading body: %v", err))
	}
	var env struct {
		Objects []json.RawMessage `json:"objects"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&env); err != nil || env.Objects == nil {
		why := "the body is not a TAXII envelope with an \"objects\" list"
		if err != nil {
			why = err.Error()
		}
		return errorf(http.StatusUnprocessableEntity, "ProcessingError",
			"While processing supplied content, an error occurred: %s", why)
	}
	now := cl.s.now().UTC()
	st := Status{ID: newStatusID(), Status: "complete", RequestTimestamp: now.Format(dateAddedFormat),
		TotalCount: len(env.Objects), Owner: cl.tok.ID}
	var good []*Version
	for i, raw := range env.Objects {
		v, err := NewVersion(raw, now)
		if err != nil {
			st.Failures = append(st.Failures, StatusDetail{ID: idOf(raw), Message: fmt.Sprintf("object %d: %v", i, err)})
			continue
		}
		if !cl.tok.Cleared(v.TLP) {
			st.Failures = append(st.Failures, StatusDetail{ID: v.ID, Version: v.VersionString(),
				Message: fmt.Sprintf("object %d is marked TLP:%s, above this token's clearance", i, strings.ToUpper(v.TLP.String()))})
			continue
		}
		good = append(good, v)
	}
	added, err := cl.s.backend.Add(cl.r.Context(), cl.root, cl.c.ID, good)
	if err != nil {
		return err
	}
	for i, v := range good {
		msg := "added"
		if !added[i] {
			msg = "already present"
		}
		st.Successes = append(st.Successes, StatusDetail{ID: v.ID, Version: v.VersionString(), Message: msg})
	}
	st.SuccessCount, st.FailureCount = len(st.Successes), len(st.Failures)
	if err := cl.s.backend.PutStatus(cl.r.Context(), cl.root, st); err != nil {
		return err
	}
	return writeJSON(cl.w, http.StatusAccepted, st)
}

func tooLarge(limit int64) error {
	return errorf(http.StatusRequestEntityTooLarge, "Request Entity Too Large", "the body exceeds the limit of %d bytes", limit)
}

// idOf pulls the id out of an object that failed to parse, for its status entry.
func idOf(raw []byte) string {
	var o struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &o)
	return o.ID
}

func newStatusID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func setDateHeaders(w http.ResponseWriter, page []*Version) {
	if len(page) == 0 {
		return
	}
	first, last := dateRange(page)
	w.Header().Set("X-TAXII-Date-Added-First", first)
	w.Header().Set("X-TAXII-Date-Added-Last", last)
}

// dateRange is the earliest and latest date_added of a non-empty page, as
// the X-TAXII-Date-Added headers write them.
func dateRange(page []*Version) (string, string) {
	first, last := page[0].DateAdded, page[0].DateAdded
	for _, v := range page[1:] {
		if v.DateAdded.Before(first) {
			first = v.DateAdded
		}
		if v.DateAdded.After(last) {
			last = v.DateAdded
		}
	}
	return first.UTC().Format(dateAddedFormat), last.UTC().Format(dateAddedFormat)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) error {
	w.Header().Set("Content-Type", MediaType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// A known length spares the chunked framing (and its extra writes).
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}

// isTAXII reports whether a Content-Type names TAXII 2.1 (or TAXII without
// a version, which section 1.6.8 reads as the latest).
func isTAXII(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/taxii+json" {
		return false
	}
	v, ok := params["version"]
	return !ok || v == "2.1"
}

// acceptsTAXII reports whether Accept headers allow a TAXII 2.1 response. No
// Accept header means anything is acceptable (RFC 9110 section 12.5.1).
func acceptsTAXII(vals []string) bool {
	if len(vals) == 0 {
		return true
	}
	for _, h := range vals {
		for r := range strings.SplitSeq(h, ",") {
			r = strings.TrimSpace(r)
			mt, params, err := mime.ParseMediaType(r)
			if err != nil {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
					continue
				}
			}
			switch mt {
			case "*/*", "application/*":
				return true
			case "application/taxii+json":
				if v, ok := params["version"]; !ok || v == "2.1" {
					return true
				}
			}
		}
	}
	return false
}
