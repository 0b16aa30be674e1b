package match

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// Complex is a rule over several observations in a time window, such as a
// STIX pattern with FOLLOWEDBY or WITHIN, which no single event can
// satisfy. The matcher feeds every event to each Complex after the
// snapshot; a Complex keeps its own windowed state, keyed by host.
//
// The in-process implementations here are for one matcher; when matching
// is spread over workers, events are partitioned by source host so that
// each worker's state sees all of a host's events.
type Complex interface {
	// Observe feeds one event, in time order, and appends to dst an alert
	// for every rule the event completes. It must be safe for concurrent
	// use, and must not keep ev or its strings.
	Observe(dst []Alert, ev *event.Event) []Alert
}

// SequenceRule is "First, then Then from the same source host within
// Within": STIX's [a] FOLLOWEDBY [b] WITHIN n SECONDS for two single
// values. Provenance fields describe the pattern's own indicator.
type SequenceRule struct {
	Pattern     string // shown in alerts, e.g. the STIX pattern text
	First, Then indicator.Indicator
	Within      time.Duration
	IDs         []string
	Sources     []string
	Actors      []indicator.Actor
}

// Sequence evaluates a SequenceRule. Each term is compiled into its own
// small Snapshot, so a term means exactly what the same indicator means in
// the main snapshot (subdomains, CIDR blocks, canonical URLs).
type Sequence struct {
	rule        SequenceRule
	first, then *Snapshot

	mu        sync.Mutex
	pending   map[netip.Addr]Observation // the latest First per host
	lastSweep time.Time
	hits      []Hit
}

// NewSequence compiles r.
func NewSequence(r SequenceRule) (*Sequence, error) {
	if r.Within <= 0 {
		return nil, errors.New("sequence rule: WITHIN must be positive")
	}
	first, rej := Build([]indicator.Indicator{r.First}, nil)
	if len(rej) > 0 {
		return nil, fmt.Errorf("sequence rule: first term: %w", rej[0])
	}
	then, rej := Build([]indicator.Indicator{r.Then}, nil)
	if len(rej) > 0 {
		return nil, fmt.Errorf("sequence rule: second term: %w", rej[0])
	}
	return &Sequence{rule: r, first: first, then: then, pending: map[netip.Addr]Observation{}}, nil
}

// Observe implements Complex. An event that completes the sequence
// consumes the pending first observation, so one A followed by many Bs
// raises one alert.
func (q *Sequence) Observe(dst []Alert, ev *event.Event) []Alert {
	host := ev.SrcIP.Unmap()
	if !host.IsValid() {
		return dst
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sweep(ev.Time)

	q.hits = q.then.MatchAppend(q.hits[:0], ev)
	if len(q.hits) > 0 {
		if a, ok := q.pending[host]; ok {
			if d := ev.Time.Sub(a.Time); d >= 0 && d <= q.rule.Within {
				h := q.hits[0]
				dst = append(dst, Alert{
					Time: ev.Time, UID: ev.UID, Sensor: ev.Sensor, Where: h.Where,
					Indicator: h.ObservedValue(), IndicatorType: h.Type.String(), Matched: h.MatchedValue(),
					IndicatorIDs: nonNil(q.rule.IDs), Sources: nonNil(q.rule.Sources), Actors: nonNil(q.rule.Actors),
					Pattern: q.rule.Pattern, Related: []Observation{a},
				})
				delete(q.pending, host)
			}
		}
	}
	q.hits = q.first.MatchAppend(q.hits[:0], ev)
	if len(q.hits) > 0 {
		h := q.hits[0]
		q.pending[host] = Observation{Time: ev.Time, UID: strings.Clone(ev.UID), Where: h.Where,
			Indicator: strings.Clone(h.ObservedValue())}
	}
	return dst
}

// sweep forgets first observations that can no longer complete, once per
// window of event time, so state stays bounded by the hosts active in the
// last two windows.
func (q *Sequence) sweep(now time.Time) {
	if now.Sub(q.lastSweep) < q.rule.Within {
		return
	}
	for host, a := range q.pending {
		if now.Sub(a.Time) > q.rule.Within {
			delete(q.pending, host)
		}
	}
	q.lastSweep = now
}

// Pending returns how many hosts have a first observation waiting.
func (q *Sequence) Pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

// nonNil copies s so that alerts never share the rule's slices, and so
// that empty provenance encodes as [] rather than null.
func nonNil[T any](s []T) []T {
	return append([]T{}, s...)
}
