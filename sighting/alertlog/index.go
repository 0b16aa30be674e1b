package alertlog

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// entry is one alert in memory.
type entry struct {
	ts         int64  // event time, Unix ns
	ord        uint64 // file day<<40 | offset: unique, stable across loads
	key        uint64 // de-duplication key
	tlp        stix.TLP
	kind       string
	actors     []string // normalised names
	actorNames []string
	text       string // lower-cased searchable fields, NUL-separated
	json       []byte // the response object, complete after finish
}

func (e *entry) less(o *entry) bool {
	if e.ts != o.ts {
		return e.ts < o.ts
	}
	return e.ord < o.ord
}

// finish completes the response JSON with the alert's id.
func (e *entry) finish() {
	e.json = append(e.json, `,"id":"`...)
	e.json = append(e.json, e.id()...)
	e.json = append(e.json, "\"}"...)
}

// id names the alert by where it is recorded: day file and byte offset.
func (e *entry) id() string {
	day := time.Unix(int64(e.ord>>40)*86400, 0).UTC().Format("20060102")
	return day + "-" + strconv.FormatUint(e.ord&(1<<40-1), 10)
}

// index is an immutable view of the log: entries in time order and
// posting lists of their positions.
type index struct {
	entries []entry
	byTLP   [stix.TLPRed + 1][]int32 // positions visible at each clearance
	byActor map[string][]int32
	byKind  map[string][]int32
}

func buildIndex(all []entry) *index {
	ix := &index{entries: all, byActor: map[string][]int32{}, byKind: map[string][]int32{}}
	for i := range all {
		e := &all[i]
		p := int32(i)
		for c := e.tlp; c <= stix.TLPRed; c++ {
			ix.byTLP[c] = append(ix.byTLP[c], p)
		}
		ix.byKind[e.kind] = append(ix.byKind[e.kind], p)
		for j, a := range e.actors {
			if j > 0 && contains(e.actors[:j], a) {
				continue
			}
			ix.byActor[a] = append(ix.byActor[a], p)
		}
		if len(e.actors) == 0 {
			ix.byActor[unattributed] = append(ix.byActor[unattributed], p)
		}
	}
	return ix
}

// unattributed is the actor key of alerts that name no actor.
const unattributed = "(unattributed)"

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Filter selects alerts. Zero fields select everything.
type Filter struct {
	Since, Until time.Time // Since inclusive, Until exclusive
	// Actors selects alerts naming any of these actors (any spelling
	// knowledge.NormName folds together); "(unattributed)" selects alerts
	// that name none.
	Actors []string
	Kinds  []string // indicator types or detection kinds, exact
	Q      string   // case-insensitive substring of the values, fields, sources and actors
	// Clearance is the highest TLP the caller may see; alerts above it
	// are skipped as if absent.
	Clearance stix.TLP
}

// Page is one page of alerts, newest first.
type Page struct {
	Alerts [][]byte // each a complete JSON object
	Next   string   // cursor of the next page; empty on the last
}

// ErrCursor is returned for a cursor the log did not make.
var ErrCursor = errors.New("bad cursor")

// Query returns up to limit alerts matching f, newest first, after cursor
// (from an earlier page; empty for the first).
func (l *Log) Query(f Filter, limit int, cursor string) (Page, error) {
	ix := l.idx.Load()
	hi := len(ix.entries)
	if cursor != "" {
		ts, ord, err := parseCursor(cursor)
		if err != nil {
			return Page{}, err
		}
		hi = sort.Search(len(ix.entries), func(i int) bool {
			e := &ix.entries[i]
			return e.ts > ts || e.ts == ts && e.ord >= ord
		})
	}
	pg := Page{Alerts: make([][]byte, 0, min(limit, 256))}
	var last *entry
	ix.walk(f, hi, func(e *entry) bool {
		if len(pg.Alerts) == limit {
			pg.Next = makeCursor(last)
			return false
		}
		pg.Alerts = append(pg.Alerts, e.json)
		last = e
		return true
	})
	return pg, nil
}

// walk calls fn with every entry matching f below position hi, newest
// first, until fn returns false. It walks the shortest posting list that
// covers the filter and checks the rest of it on each entry.
func (ix *index) walk(f Filter, hi int, fn func(*entry) bool) {
	if f.Clearance > stix.TLPRed {
		f.Clearance = stix.TLPRed
	}
	lists := [][]int32{ix.byTLP[f.Clearance]}
	if len(f.Actors) > 0 {
		lists = append(lists, ix.union(ix.byActor, normAll(f.Actors)))
	}
	if len(f.Kinds) > 0 {
		lists = append(lists, ix.union(ix.byKind, f.Kinds))
	}
	best := lists[0]
	for _, p := range lists[1:] {
		if len(p) < len(best) {
			best = p
		}
	}
	actors := normAll(f.Actors)
	q := strings.ToLower(f.Q)
	lo := 0
	if !f.Since.IsZero() {
		since := f.Since.UnixNano()
		lo = sort.Search(len(ix.entries), func(i int) bool { return ix.entries[i].ts >= since })
	}
	if !f.Until.IsZero() {
		until := f.Until.UnixNano()
		hi = min(hi, sort.Search(len(ix.entries), func(i int) bool { return ix.entries[i].ts >= until }))
	}
	// Positions in best that fall in [lo, hi).
	start := sort.Search(len(best), func(i int) bool { return int(best[i]) >= lo })
	end := sort.Search(len(best), func(i int) bool { return int(best[i]) >= hi })
	for i := end - 1; i >= start; i-- {
		e := &ix.entries[best[i]]
		if e.tlp > f.Clearance {
			continue
		}
		if len(actors) > 0 && !matchActor(e, actors) {
			continue
		}
		if len(f.Kinds) > 0 && !contains(f.Kinds, e.kind) {
			continue
		}
		if q != "" && !strings.Contains(e.text, q) {
			continue
		}
		if !fn(e) {
			return
		}
	}
}

func matchActor(e *entry, want []string) bool {
	if len(e.actors) == 0 {
		return contains(want, unattributed)
	}
	for _, a := range e.actors {
		if contains(want, a) {
			return true
		}
	}
	return false
}

func normAll(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n == unattributed {
			out = append(out, n)
		} else if v := knowledge.NormName(n); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// union returns the sorted union of the posting lists of keys; one key's
// list is returned as is.
func (ix *index) union(m map[string][]int32, keys []string) []int32 {
	var lists [][]int32
	for _, k := range keys {
		if p := m[k]; len(p) > 0 {
			lists = append(lists, p)
		}
	}
	switch len(lists) {
	case 0:
		return nil
	case 1:
		return lists[0]
	}
	var out []int32
	for _, p := range lists {
		out = append(out, p...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	w := 0
	for i, v := range out {
		if i == 0 || v != out[w-1] {
			out[w] = v
			w++
		}
	}
	return out[:w]
}

func makeCursor(e *entry) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(e.ts))
	binary.BigEndian.PutUint64(b[8:], e.ord)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func parseCursor(s string) (ts int64, ord uint64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 16 {
		return 0, 0, ErrCursor
	}
	return int64(binary.BigEndian.Uint64(b[:8])), binary.BigEndian.Uint64(b[8:]), nil
}

// Bucket is one interval of a histogram.
type Bucket struct {
	Start  time.Time      `json:"start"`
	Counts map[string]int `json:"counts"`
}

// Histogram counts the alerts matching f per interval of width bucket,
// broken down by "actor" or "kind".
type Histogram struct {
	Buckets []Bucket `json:"buckets"`
	Keys    []string `json:"keys"` // every key that has a count, most alerts first
}

// MaxBuckets bounds a histogram.
const MaxBuckets = 10000

// Histogram counts alerts matching f by bucket and by ("actor" or
// "kind"). Buckets start at Since truncated to the width (or at the
// first matching alert) and run to Until (or the last one); empty
// buckets are included so that a chart's time axis is even.
func (l *Log) Histogram(f Filter, width time.Duration, by string) (Histogram, error) {
	if width <= 0 {
		return Histogram{}, errors.New("bucket width must be positive")
	}
	if by != "actor" && by != "kind" {
		return Histogram{}, fmt.Errorf("by=%q: want actor or kind", by)
	}
	ix := l.idx.Load()
	type hit struct {
		ts   int64
		keys []string
	}
	var hits []hit
	ix.walk(f, len(ix.entries), func(e *entry) bool {
		keys := []string{e.kind}
		if by == "actor" {
			keys = e.actorNames
			if len(keys) == 0 {
				keys = []string{unattributed}
			}
		}
		hits = append(hits, hit{e.ts, keys})
		return true
	})
	h := Histogram{Buckets: []Bucket{}, Keys: []string{}}
	w := int64(width)
	var from, to int64
	switch {
	case !f.Since.IsZero():
		from = f.Since.UnixNano()
	case len(hits) > 0:
		from = hits[len(hits)-1].ts
	default:
		return h, nil
	}
	switch {
	case !f.Until.IsZero():
		to = f.Until.UnixNano()
	case len(hits) > 0:
		to = hits[0].ts + 1
	default:
		to = from + 1
	}
	from = floorDiv(from, w) * w
	if to <= from {
		return h, nil
	}
	n := (to - from + w - 1) / w
	if n > MaxBuckets {
		return Histogram{}, fmt.Errorf("%d buckets of %s: at most %d; narrow the range or widen the bucket", n, width, MaxBuckets)
	}
	h.Buckets = make([]Bucket, n)
	for i := range h.Buckets {
		h.Buckets[i] = Bucket{Start: time.Unix(0, from+int64(i)*w).UTC(), Counts: map[string]int{}}
	}
	total := map[string]int{}
	for _, x := range hits {
		i := (x.ts - from) / w
		if i < 0 || i >= n {
			continue
		}
		seen := map[string]bool{}
		for _, k := range x.keys {
			if seen[k] {
				continue
			}
			seen[k] = true
			h.Buckets[i].Counts[k]++
			total[k]++
		}
	}
	for k := range total {
		h.Keys = append(h.Keys, k)
	}
	sort.Slice(h.Keys, func(i, j int) bool {
		if total[h.Keys[i]] != total[h.Keys[j]] {
			return total[h.Keys[i]] > total[h.Keys[j]]
		}
		return h.Keys[i] < h.Keys[j]
	})
	return h, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Counts summarises the alerts visible at clearance: how many, by kind
// and by actor.
type Counts struct {
	Total   int            `json:"total"`
	ByKind  map[string]int `json:"by_kind"`
	ByActor map[string]int `json:"by_actor"`
}

// Count summarises the alerts matching f.
func (l *Log) Count(f Filter) Counts {
	ix := l.idx.Load()
	c := Counts{ByKind: map[string]int{}, ByActor: map[string]int{}}
	ix.walk(f, len(ix.entries), func(e *entry) bool {
		c.Total++
		c.ByKind[e.kind]++
		if len(e.actorNames) == 0 {
			c.ByActor[unattributed]++
		}
		for _, a := range e.actorNames {
			c.ByActor[a]++
		}
		return true
	})
	return c
}
