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
	// hosts are the victim side of a detection (client address, account,
	// file), detector which of umbra's detectors found it ("" for intel
	// matches) and confidence the highest a finding gave.
	hosts      map[string]bool
	detector   string
	confidence int
}

// maxHosts bounds the hosts one sighting lists; the count says how many
// times it was seen.
const maxHosts = 100

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{byKey: map[key]*agg{}} }

// Add records that the indicators ids were seen at t by sensor, in field
// where, on host (our side: an internal address or an account; "" when the
// event names none).
func (r *Recorder) Add(ids []string, sensor, where, host string, t time.Time) {
	for _, id := range ids {
		a := r.add(id, sensor, where, t)
		a.addHost(host)
	}
}

// addHost lists host on the sighting, up to maxHosts of them.
func (a *agg) addHost(host string) {
	if host != "" && len(a.hosts) < maxHosts {
		a.hosts[host] = true
	}
}

func (r *Recorder) add(id, sensor, where string, t time.Time) *agg {
	{
		k := key{id, sensor}
		a := r.byKey[k]
		if a == nil {
			a = &agg{first: t, last: t, where: map[string]bool{}, hosts: map[string]bool{}}
			r.byKey[k] = a
		}
		if t.Before(a.first) {
			a.first = t
		}
		if t.After(a.last) {
			a.last = t
		}
		a.count++
		if where != "" {
			a.where[where] = true
		}
		return a
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
		props := stix.Props{
			"sighting_of_ref": k.indicatorID, "first_seen": first, "last_seen": last, "count": min(a.count, 999999999),
			"created": last, "modified": last, "x_umbra_sensor": k.sensor, "x_umbra_where": sortedKeys(a.where),
			"x_umbra_hosts": sortedKeys(a.hosts), "x_umbra_detector": a.detector,
		}
		if a.confidence > 0 {
			props["confidence"] = min(a.confidence, 100)
		}
		o, err := stix.Build("sighting", stix.DeterministicID("sighting", k.indicatorID+"|"+k.sensor+"|"+first+"|"+last), props)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
