package taxii

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"iter"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/stix"
)

// filter is a parsed TAXII query: the URL parameters of section 3.4.
type filter struct {
	query       Query
	versions    []string    // "first", "last", "all" or timestamps (parsed in versionTimes)
	versionAt   []time.Time // the timestamps of versions
	specVersion []string    // empty: the newest spec version of each object
	limit       int         // page size; -1 for no limit
	after       *Version    // the position after which this page starts (from next)
}

// parseFilter reads the parameters allowed on an endpoint. defVersion is the
// endpoint's default match[version]. Unknown parameters are ignored, as
// section 3.4 allows; known ones with bad values are errors.
func (s *Server) parseFilter(q url.Values, defVersion string, scope string) (filter, error) {
	var f filter
	if v := q.Get("added_after"); v != "" {
		t, err := stix.ParseTime(v)
		if err != nil {
			return f, fmt.Errorf("added_after: %v", err)
		}
		f.query.AddedAfter = t
	}
	f.query.IDs = splitList(q["match[id]"])
	f.query.Types = splitList(q["match[type]"])
	f.specVersion = splitList(q["match[spec_version]"])
	for _, sv := range f.specVersion {
		if sv != "2.0" && sv != "2.1" {
			return f, fmt.Errorf("match[spec_version]: unknown STIX version %q", sv)
		}
	}
	f.versions = splitList(q["match[version]"])
	if len(f.versions) == 0 {
		f.versions = []string{defVersion}
	}
	for _, v := range f.versions {
		switch v {
		case "first", "last", "all":
		default:
			t, err := stix.ParseTime(v)
			if err != nil {
				return f, fmt.Errorf("match[version]: want first, last, all or a timestamp, got %q", v)
			}
			f.versionAt = append(f.versionAt, t)
		}
	}
	f.limit = s.maxPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, fmt.Errorf("limit: want a positive integer, got %q", v)
		}
		f.limit = min(n, s.maxPage)
	}
	if v := q.Get("next"); v != "" {
		after, err := s.openNext(v, q, scope)
		if err != nil {
			return f, err
		}
		f.query.After = after
	}
	return f, nil
}

func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// agg is what version selection needs to know about one object: its newest
// spec version and its first and last eligible versions.
type agg struct {
	spec     string
	min, max time.Time
	any      bool
}

// match applies the id, type and added_after filters.
func (f *filter) match(v *Version) bool {
	return (len(f.query.IDs) == 0 || slices.Contains(f.query.IDs, v.ID)) &&
		(len(f.query.Types) == 0 || slices.Contains(f.query.Types, v.Type)) &&
		(f.query.AddedAfter.IsZero() || v.DateAdded.After(f.query.AddedAfter))
}

// fold adds one matching version of an object to its agg.
func (f *filter) fold(a agg, v *Version) agg {
	explicit := len(f.specVersion) > 0
	switch {
	case explicit && !slices.Contains(f.specVersion, v.SpecVersion):
		return a
	case !explicit && (!a.any || v.SpecVersion > a.spec):
		// By default only the newest STIX version of each object (section 3.4.2).
		return agg{spec: v.SpecVersion, min: v.VersionTime, max: v.VersionTime, any: true}
	case !explicit && v.SpecVersion < a.spec:
		return a
	case !a.any:
		return agg{min: v.VersionTime, max: v.VersionTime, any: true}
	}
	if v.VersionTime.Before(a.min) {
		a.min = v.VersionTime
	}
	if v.VersionTime.After(a.max) {
		a.max = v.VersionTime
	}
	return a
}

// needAgg reports whether selecting a version depends on its siblings.
func (f *filter) needAgg() bool {
	return len(f.specVersion) == 0 || slices.Contains(f.versions, "first") || slices.Contains(f.versions, "last")
}

// selected reports whether v, a matching version, is in the result; a is
// the agg of v's object (unused when needAgg is false).
func (f *filter) selected(v *Version, a agg) bool {
	if len(f.specVersion) > 0 {
		if !slices.Contains(f.specVersion, v.SpecVersion) {
			return false
		}
	} else if !a.any || v.SpecVersion != a.spec {
		return false
	}
	return slices.Contains(f.versions, "all") ||
		slices.Contains(f.versions, "first") && v.VersionTime.Equal(a.min) ||
		slices.Contains(f.versions, "last") && v.VersionTime.Equal(a.max) ||
		slices.ContainsFunc(f.versionAt, v.VersionTime.Equal)
}

// fetchFunc returns the versions (already cleared for the caller's TLP) of
// the given objects.
type fetchFunc func(ids []string) ([]*Version, error)

// run selects one page of results from cands, the backend's versions in
// listing order from the paging position on. It stops reading once the page
// is full, and fetches the sibling versions (for first/last and the newest
// spec version) of only the objects it reaches, in batches, so a page costs
// the same at the start and deep in a large collection. cleared is the
// caller's TLP check. limit < 0 means no limit.
func (f *filter) run(cands iter.Seq2[*Version, error], cleared func(*Version) bool, fetch fetchFunc) (page []*Version, more bool, err error) {
	need := f.needAgg()
	batch := 64
	if f.limit > 0 {
		batch = 2*f.limit + 1
	}
	aggs := make(map[string]agg, batch)
	buf := make([]*Version, 0, batch)
	// flush selects from buf; it reports true when the page is full.
	flush := func() (bool, error) {
		if need {
			var ids []string
			for _, v := range buf {
				if _, ok := aggs[v.ID]; !ok {
					aggs[v.ID] = agg{} // known from now on, even with no eligible version
					ids = append(ids, v.ID)
				}
			}
			if len(ids) > 0 {
				sibs, err := fetch(ids)
				if err != nil {
					return false, err
				}
				for _, w := range sibs {
					if a, ok := aggs[w.ID]; ok && f.match(w) {
						aggs[w.ID] = f.fold(a, w)
					}
				}
			}
		}
		for _, v := range buf {
			if !f.selected(v, aggs[v.ID]) {
				continue
			}
			if f.limit >= 0 && len(page) == f.limit {
				return true, nil
			}
			page = append(page, v)
		}
		buf = buf[:0]
		return false, nil
	}
	for v, err := range cands {
		if err != nil {
			return nil, false, err
		}
		if !cleared(v) || !f.match(v) {
			continue
		}
		buf = append(buf, v)
		if len(buf) == batch {
			full, err := flush()
			if err != nil || full {
				return page, full, err
			}
		}
	}
	if len(buf) > 0 {
		full, err := flush()
		return page, full, err
	}
	return page, false, nil
}

// byDateAdded is the order of every listing: date added, then id, then version.
func byDateAdded(a, b *Version) int {
	return cmp.Or(a.DateAdded.Compare(b.DateAdded), strings.Compare(a.ID, b.ID), a.VersionTime.Compare(b.VersionTime))
}

// A next token is the position of the last result served (date added, id,
// version) plus a MAC over it, the endpoint, the token and every other
// parameter: a client that changes its filter while paging gets 400 instead
// of a silently wrong page, and cannot forge positions. A position rather
// than an offset keeps pages stable when objects are added meanwhile.
func (s *Server) makeNext(last *Version, q url.Values, scope string) string {
	// Layout: date added and version (Unix ns, big endian), id, 12-byte MAC.
	b := make([]byte, 16, 16+len(last.ID)+12)
	binary.BigEndian.PutUint64(b, uint64(last.DateAdded.UnixNano()))
	binary.BigEndian.PutUint64(b[8:], uint64(last.VersionTime.UnixNano()))
	b = append(b, last.ID...)
	b = append(b, s.nextMAC(b, q, scope)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) openNext(tok string, q url.Values, scope string) (*Position, error) {
	bad := fmt.Errorf("next: %q is not a paging token for this query (were other parameters changed?)", tok)
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 16+12 {
		return nil, bad
	}
	body, mac := b[:len(b)-12], b[len(b)-12:]
	if !hmac.Equal(mac, s.nextMAC(body, q, scope)) {
		return nil, bad
	}
	return &Position{
		DateAdded:   time.Unix(0, int64(binary.BigEndian.Uint64(body))).UTC(),
		VersionTime: time.Unix(0, int64(binary.BigEndian.Uint64(body[8:]))).UTC(),
		ID:          string(body[16:]),
	}, nil
}

func (s *Server) nextMAC(pos []byte, q url.Values, scope string) []byte {
	m := hmac.New(sha256.New, s.nextKey[:])
	m.Write(pos)
	m.Write([]byte{0})
	m.Write([]byte(scope))
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "next" && k != "limit" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(m, "\x00%s\x00%s", k, strings.Join(q[k], "\x01"))
	}
	return m.Sum(nil)[:12]
}
