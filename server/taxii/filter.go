package taxii

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
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
	limit       int
	offset      int // from next
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
		off, err := s.openNext(v, q, scope)
		if err != nil {
			return f, err
		}
		f.offset = off
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

// apply narrows versions, already cleared for the caller's TLP, to what the
// filter selects, ordered by date added. It returns a new slice.
//
// Two passes over the input with one map entry per object id, rather than
// grouping versions into per-object slices: a 10,000-object collection is
// then filtered without an allocation per object (BenchmarkObjectsHandler).
func (f *filter) apply(in []*Version) []*Version {
	type agg struct {
		spec     string    // the newest spec version seen (default mode)
		min, max time.Time // first and last version among the eligible ones
		any      bool
	}
	match := func(v *Version) bool {
		return (len(f.query.IDs) == 0 || slices.Contains(f.query.IDs, v.ID)) &&
			(len(f.query.Types) == 0 || slices.Contains(f.query.Types, v.Type)) &&
			(f.query.AddedAfter.IsZero() || v.DateAdded.After(f.query.AddedAfter))
	}
	explicit := len(f.specVersion) > 0
	all := slices.Contains(f.versions, "all")
	first, last := slices.Contains(f.versions, "first"), slices.Contains(f.versions, "last")
	needAgg := !explicit || first || last
	var aggs map[string]agg
	if needAgg {
		aggs = make(map[string]agg, len(in))
		for _, v := range in {
			if !match(v) {
				continue
			}
			a := aggs[v.ID]
			switch {
			case explicit && !slices.Contains(f.specVersion, v.SpecVersion):
				continue
			case !explicit && (!a.any || v.SpecVersion > a.spec):
				// By default only the newest STIX version of each object (section 3.4.2).
				a = agg{spec: v.SpecVersion, min: v.VersionTime, max: v.VersionTime, any: true}
			case !explicit && v.SpecVersion < a.spec:
				continue
			case !a.any:
				a = agg{min: v.VersionTime, max: v.VersionTime, any: true}
			default:
				if v.VersionTime.Before(a.min) {
					a.min = v.VersionTime
				}
				if v.VersionTime.After(a.max) {
					a.max = v.VersionTime
				}
			}
			aggs[v.ID] = a
		}
	}
	var out []*Version
	for _, v := range in {
		if !match(v) {
			continue
		}
		if explicit {
			if !slices.Contains(f.specVersion, v.SpecVersion) {
				continue
			}
		}
		var a agg
		if needAgg {
			a = aggs[v.ID]
			if !explicit && v.SpecVersion != a.spec {
				continue
			}
		}
		if all || first && v.VersionTime.Equal(a.min) || last && v.VersionTime.Equal(a.max) ||
			slices.ContainsFunc(f.versionAt, v.VersionTime.Equal) {
			out = append(out, v)
		}
	}
	if !slices.IsSortedFunc(out, byDateAdded) {
		slices.SortFunc(out, byDateAdded)
	}
	return out
}

// byDateAdded is the order of every listing: date added, then id, then version.
func byDateAdded(a, b *Version) int {
	return cmp.Or(a.DateAdded.Compare(b.DateAdded), strings.Compare(a.ID, b.ID), a.VersionTime.Compare(b.VersionTime))
}

// page cuts one page out of sorted results and reports whether more follow.
func (f *filter) page(all []*Version) (page []*Version, more bool) {
	if f.offset >= len(all) {
		return nil, false
	}
	end := min(f.offset+f.limit, len(all))
	return all[f.offset:end], end < len(all)
}

// A next token is the offset of the following page plus a MAC over the
// endpoint and every other parameter, so that a client that changes its
// filter while paging gets 400 instead of a silently wrong page, and cannot
// forge offsets for another query.
func (s *Server) makeNext(offset int, q url.Values, scope string) string {
	var b [binary.MaxVarintLen64 + 12]byte
	n := binary.PutUvarint(b[:], uint64(offset))
	copy(b[n:], s.nextMAC(b[:n], q, scope))
	return base64.RawURLEncoding.EncodeToString(b[:n+12])
}

func (s *Server) openNext(tok string, q url.Values, scope string) (int, error) {
	bad := fmt.Errorf("next: %q is not a paging token for this query (were other parameters changed?)", tok)
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, bad
	}
	off, n := binary.Uvarint(b)
	if n <= 0 || len(b) != n+12 || off > 1<<31 {
		return 0, bad
	}
	if !hmac.Equal(b[n:], s.nextMAC(b[:n], q, scope)) {
		return 0, bad
	}
	return int(off), nil
}

func (s *Server) nextMAC(offset []byte, q url.Values, scope string) []byte {
	m := hmac.New(sha256.New, s.nextKey[:])
	m.Write(offset)
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
