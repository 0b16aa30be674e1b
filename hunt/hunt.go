// Package hunt is umbra's network memory at work: ingest stores telemetry
// in the memory while matching it, and a hunt re-runs the matcher over the
// stored history, so intel published today finds the activity of last
// month and says how long it went unseen.
package hunt

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// Hit is one retro-hunt match: the alert as `umbra match` prints it, plus
// when the value first appeared in our traffic, when its indicator
// entered our intel, and the gap between the two.
type Hit struct {
	match.Alert
	Retro        bool      `json:"retro"`
	FirstSeen    time.Time `json:"first_seen"`
	IntelAdded   time.Time `json:"intel_added"`
	DwellSeconds int64     `json:"dwell_seconds"`
}

// Options narrow a hunt.
type Options struct {
	From, To time.Time
	// Values let the memory skip segments that hold none of them; the
	// snapshot decides what matches.
	Values []string
	// Added returns when an indicator id entered our intel.
	Added func(id string) (time.Time, bool)
	// Progress, when set, is called with the number of stored events the
	// hunt has just got through, read or skipped; the calls add up to the
	// events in the store (from several goroutines: it must be safe for
	// that).
	Progress func(events int)
	// MaxHits, when positive, bounds the hits a hunt keeps: past it the
	// hunt stops with ErrTooManyHits.
	MaxHits int
}

// ErrTooManyHits ends a hunt that found more than Options.MaxHits.
var ErrTooManyHits = errors.New("hunt: too many hits: narrow it by time, actor or indicator")

// Stats says how much a hunt read.
type Stats struct {
	memory.ScanStats
	Hits int
}

// huntWorkers is how many segments a hunt decodes and matches at once.
var huntWorkers = 2 // a variable so that a benchmark can compare one

// Run scans the stored history with snap and returns every hit, ordered by
// time, each carrying its value's first sighting and dwell gap.
func Run(ctx context.Context, mem *memory.Store, snap *match.Snapshot, opt Options) ([]Hit, Stats, error) {
	// Each worker decodes its own segments and keeps its own hits; they
	// are merged after the scan, so both cores match.
	type state struct {
		m     *match.Matcher
		hits  []match.Hit
		out   []Hit
		first map[string]time.Time // matched value -> first time seen
	}
	states := make([]state, huntWorkers)
	for i := range states {
		states[i].m = snap.NewMatcher()
		states[i].first = map[string]time.Time{}
	}
	var kept atomic.Int64
	// Each segment's distinct values are tested against the snapshot
	// first, and only rows holding one it accepts are built and matched:
	// a hunt costs a dictionary test per distinct value plus a walk over
	// the row codes, not a decode and match of every event.
	f := memory.Filter{From: opt.From, To: opt.To, Values: opt.Values, Workers: huntWorkers,
		Entries:  func() memory.EntryTest { return snap.Partial() },
		Progress: opt.Progress}
	ss, err := mem.ScanWorkers(ctx, f, func(w int, ev *event.Event) error {
		st := &states[w]
		st.hits = st.m.MatchAppend(st.hits[:0], ev)
		for _, h := range st.hits {
			if opt.MaxHits > 0 && kept.Add(1) > int64(opt.MaxHits) {
				return ErrTooManyHits
			}
			a := snap.Alert(ev, h)
			if t, ok := st.first[a.Matched]; !ok || ev.Time.Before(t) {
				st.first[a.Matched] = ev.Time
			}
			st.out = append(st.out, Hit{Alert: a, Retro: true})
		}
		return nil
	})
	if err != nil {
		return nil, Stats{}, err
	}
	var out []Hit
	first := states[0].first
	for i := range states {
		out = append(out, states[i].out...)
		for v, t := range states[i].first {
			if f, ok := first[v]; !ok || t.Before(f) {
				first[v] = t
			}
		}
	}
	for i := range out {
		h := &out[i]
		h.FirstSeen = first[h.Matched]
		if opt.Added != nil {
			for _, id := range h.IndicatorIDs {
				if t, ok := opt.Added(id); ok && (h.IntelAdded.IsZero() || t.Before(h.IntelAdded)) {
					h.IntelAdded = t
				}
			}
		}
		if !h.IntelAdded.IsZero() {
			h.DwellSeconds = int64(h.IntelAdded.Sub(h.FirstSeen) / time.Second)
		}
	}
	// Workers finish segments in any order: sort by time, then by what
	// the alert says, so that the same history gives the same output.
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		if out[i].UID != out[j].UID {
			return out[i].UID < out[j].UID
		}
		if out[i].Where != out[j].Where {
			return out[i].Where < out[j].Where
		}
		if out[i].Matched != out[j].Matched {
			return out[i].Matched < out[j].Matched
		}
		return out[i].Indicator < out[j].Indicator
	})
	return out, Stats{ScanStats: ss, Hits: len(out)}, nil
}

// MarshalJSON writes the alert's fields, then the retro ones; scripts rely
// on the names.
func (h Hit) MarshalJSON() ([]byte, error) {
	b := h.Alert.AppendJSON(nil)
	if len(b) == 0 || b[len(b)-1] != '}' {
		return nil, fmt.Errorf("alert JSON does not end an object")
	}
	b = b[:len(b)-1]
	b = append(b, `,"retro":true,"first_seen":"`...)
	b = h.FirstSeen.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, `","intel_added":`...)
	if h.IntelAdded.IsZero() {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = h.IntelAdded.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		b = append(b, '"')
	}
	b = append(b, `,"dwell_seconds":`...)
	b = strconv.AppendInt(b, h.DwellSeconds, 10)
	return append(b, '}'), nil
}
