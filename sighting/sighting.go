// Package sighting turns matcher hits into STIX 2.1 sightings for the
// knowledge store: one sighting per indicator and sensor per run, with the
// first and last time and the count, under a deterministic id so that
// matching the same telemetry again changes nothing.
package sighting

import (
	"sort"
	"time"

	"github.com/umbra-cti/umbra/stix"
)

// Source is the provenance name of sightings umbra records itself.
const Source = "umbra-sightings"

// Recorder aggregates hits of one run.
type Recorder struct {
	byKey map[key]*agg
}

type key struct{ indicatorID, sensor string }

type agg struct {
	first, last time.Time
	count       int
	where       map[string]bool
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{byKey: map[key]*agg{}} }

// Add records that the indicators ids were seen at t by sensor, in field where.
func (r *Recorder) Add(ids []string, sensor, where string, t time.Time) {
	for _, id := range ids {
		k := key{id, sensor}
		a := r.byKey[k]
		if a == nil {
			a = &agg{first: t, last: t, where: map[string]bool{}}
			r.byKey[k] = a
		}
		if t.Before(a.first) {
			a.first = t
		}
		if t.After(a.last) {
			a.last = t
		}
		a.count++
		a.where[where] = true
	}
}

// Len is the number of sightings the recorder would write.
func (r *Recorder) Len() int { return len(r.byKey) }

// Objects returns the STIX sightings, in a stable order.
func (r *Recorder) Objects() ([]stix.Object, error) {
	keys := make([]key, 0, len(r.byKey))
	for k := range r.byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].indicatorID != keys[j].indicatorID {
			return keys[i].indicatorID < keys[j].indicatorID
		}
		return keys[i].sensor < keys[j].sensor
	})
	out := make([]stix.Object, 0, len(keys))
	for _, k := range keys {
		a := r.byKey[k]
		first, last := stix.FormatTime(a.first), stix.FormatTime(a.last)
		var where []string
		for w := range a.where {
			where = append(where, w)
		}
		sort.Strings(where)
		o, err := stix.Build("sighting", stix.DeterministicID("sighting", k.indicatorID+"|"+k.sensor+"|"+first+"|"+last),
			stix.Props{
				"sighting_of_ref": k.indicatorID, "first_seen": first, "last_seen": last, "count": min(a.count, 999999999),
				"created": last, "modified": last, "x_umbra_sensor": k.sensor, "x_umbra_where": where,
			})
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}
