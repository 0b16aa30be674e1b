package sighting

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// DetectSource is the provenance of what umbra's own detectors find: the
// indicators they mint for look-alike domains, suspicious sign-in sources
// and stolen code-signing certificates, and the sightings of them.
const DetectSource = "umbra-detect"

// Detector names, written as x_umbra_detector on the sightings they record.
const (
	DetectorLookalike = "lookalike"
	DetectorSignIn    = "signin"
	DetectorCodeSign  = "codesign"
)

// Finding is one value a detector flagged, in the form the knowledge store
// records: a sighting of an indicator, the indicator minted under
// DetectSource unless the finding sighted intel the store already holds.
type Finding struct {
	// Detector is one of the Detector names.
	Detector string
	// Type and Value are the flagged observable, Value normalised for Type
	// (indicator.Normalize).
	Type  indicator.Type
	Value string
	// Time is when the telemetry saw it; Sensor which sensor (or tool)
	// saw it, Where in which field or rule ("dns.query", "signin.src_ip").
	Time          time.Time
	Sensor, Where string
	// Host is the victim side: the client that looked the name up, the
	// account that signed in, the file that was signed.
	Host string
	// Labels describe the find for people and for search, as "key:value"
	// ("fuzzer:insertion", "brand:microsoftonline.com", "score:80").
	Labels []string
	// IndicatorTypes are the STIX indicator_types of a minted indicator;
	// malicious-activity when empty.
	IndicatorTypes []string
	// Confidence is the detector's 0-100 score.
	Confidence  int
	Description string
	// Of lists intel indicators (STIX ids) the finding is a sighting of —
	// a sign-in address or certificate serial that intel already names.
	// When empty, an indicator of Value is minted under DetectSource.
	Of []string
	// Actor, when set, is the intrusion set (STIX id) the finding points
	// to — the owner of the operator netblock a sign-in came from — and
	// ActorConfidence the confidence of that link. The minted indicator
	// then "indicates" the actor: attribution evidence.
	Actor           string
	ActorConfidence int
}

// Detections aggregates the findings of one run into STIX objects:
// deterministic indicators, "indicates" relationships and sightings, so
// that recording the same findings again changes nothing.
type Detections struct {
	rec   *Recorder
	inds  map[string]*minted // by indicator id
	rels  map[string]*link   // by relationship id
	order int
}

type minted struct {
	Finding
	first, last time.Time
}

type link struct {
	indicator, actor string
	confidence       int
	first            time.Time
}

// NewDetections returns an empty set of detections.
func NewDetections() *Detections {
	return &Detections{rec: NewRecorder(), inds: map[string]*minted{}, rels: map[string]*link{}}
}

// Len is the number of findings added.
func (d *Detections) Len() int { return d.order }

// Add records one finding. A finding without a value or with a type that
// has no STIX pattern is an error, and nothing is recorded.
func (d *Detections) Add(f Finding) error {
	if f.Value == "" || (len(f.Of) == 0 && indicator.Pattern(f.Type, f.Value) == "") {
		return fmt.Errorf("sighting: %s finding %s %q cannot be an indicator", f.Detector, f.Type, f.Value)
	}
	ids := f.Of
	if len(ids) == 0 {
		id := indicator.IndicatorID(f.Type, f.Value, DetectSource)
		ids = []string{id}
		m := d.inds[id]
		if m == nil {
			m = &minted{Finding: f, first: f.Time, last: f.Time}
			m.Labels = slices.Clone(f.Labels)
			d.inds[id] = m
		}
		if f.Time.Before(m.first) {
			m.first = f.Time
		}
		if f.Time.After(m.last) {
			m.last = f.Time
		}
		if f.Confidence > m.Confidence {
			// The strongest find explains the indicator.
			m.Confidence, m.Description, m.Labels = f.Confidence, f.Description, slices.Clone(f.Labels)
		}
		if f.Actor != "" {
			rid := stix.DeterministicID("relationship", DetectSource+"|indicates|"+id+"|"+f.Actor)
			l := d.rels[rid]
			if l == nil {
				l = &link{indicator: id, actor: f.Actor, first: f.Time}
				d.rels[rid] = l
			}
			l.confidence = max(l.confidence, f.ActorConfidence)
			if f.Time.Before(l.first) {
				l.first = f.Time
			}
		}
	}
	for _, id := range ids {
		a := d.rec.add(id, f.Sensor, f.Where, f.Time)
		a.detector = f.Detector
		a.confidence = max(a.confidence, f.Confidence)
		a.addHost(f.Host)
	}
	d.order++
	return nil
}

// Objects returns the indicators, relationships and sightings, in a
// stable order. prior, when not nil, returns the stored version of an
// object (or false): an indicator already stored keeps its created time
// and is written again only when what it says changed.
func (d *Detections) Objects(prior func(id string) (stix.Object, bool)) ([]stix.Object, error) {
	var out []stix.Object
	ids := make([]string, 0, len(d.inds))
	for id := range d.inds {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		o, ok, err := d.indicatorObject(id, d.inds[id], prior)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, o)
		}
	}
	rids := make([]string, 0, len(d.rels))
	for id := range d.rels {
		rids = append(rids, id)
	}
	sort.Strings(rids)
	for _, id := range rids {
		l := d.rels[id]
		if prior != nil {
			if _, ok := prior(id); ok {
				continue
			}
		}
		ts := stix.FormatTime(l.first)
		props := stix.Props{"relationship_type": "indicates", "source_ref": l.indicator, "target_ref": l.actor,
			"created": ts, "modified": ts, "x_umbra_sources": []string{DetectSource},
			"description": "umbra's detectors saw this value in the actor's infrastructure"}
		if l.confidence > 0 {
			props["confidence"] = min(l.confidence, 100)
		}
		o, err := stix.Build("relationship", id, props)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	sights, err := d.rec.Objects()
	if err != nil {
		return nil, err
	}
	return append(out, sights...), nil
}

func (d *Detections) indicatorObject(id string, m *minted, prior func(string) (stix.Object, bool)) (stix.Object, bool, error) {
	created, modified := m.first, m.first
	types := m.IndicatorTypes
	if len(types) == 0 {
		types = []string{"malicious-activity"}
	}
	labels := slices.Clone(m.Labels)
	sort.Strings(labels)
	props := stix.Props{
		"name": m.Value, "description": m.Description, "indicator_types": types,
		"pattern": indicator.Pattern(m.Type, m.Value), "pattern_type": "stix", "pattern_version": "2.1",
		"labels": labels, "x_umbra_type": m.Type.String(), "x_umbra_value": m.Value,
		"x_umbra_sources": []string{DetectSource}, "x_umbra_detector": m.Detector,
	}
	if m.Confidence > 0 {
		props["confidence"] = min(m.Confidence, 100)
	}
	if prior != nil {
		if old, ok := prior(id); ok {
			var was struct {
				Description string   `json:"description"`
				Labels      []string `json:"labels"`
				Confidence  int      `json:"confidence"`
				ValidFrom   string   `json:"valid_from"`
			}
			old.Property("description", &was.Description)
			old.Property("labels", &was.Labels)
			old.Property("confidence", &was.Confidence)
			if was.Description == m.Description && slices.Equal(was.Labels, labels) && was.Confidence == min(m.Confidence, 100) && !old.Common.Revoked {
				return stix.Object{}, false, nil // says the same: a new sighting is enough
			}
			if t, err := stix.ParseTime(old.Created); err == nil {
				created = t
			}
			if t, err := stix.ParseTime(old.Modified); err == nil && !modified.After(t) {
				modified = t.Add(time.Millisecond)
			}
		}
	}
	props["created"], props["modified"], props["valid_from"] = stix.FormatTime(created), stix.FormatTime(modified), stix.FormatTime(created)
	o, err := stix.Build("indicator", id, props)
	return o, err == nil, err
}

// Store records the detections in st under DetectSource, in one
// transaction, and returns how many objects it wrote or confirmed. path
// names the input for provenance.
func (d *Detections) Store(ctx context.Context, st knowledge.Store, path string) (int, error) {
	if d.order == 0 {
		return 0, nil
	}
	objs, err := d.Objects(func(id string) (stix.Object, bool) {
		o, err := st.Object(ctx, id)
		return o, err == nil
	})
	if err != nil || len(objs) == 0 {
		return 0, err
	}
	_, err = st.Import(ctx, knowledge.ImportInfo{Source: DetectSource, Path: path, TLP: stix.TLPAmber}, func(put func(stix.Object) error) error {
		for _, o := range objs {
			if err := put(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("recording detections: %w", err)
	}
	return len(objs), nil
}

// Seen is one stored sighting joined with the indicator it sighted: the
// form the attribution engine reads our own telemetry in.
type Seen struct {
	// ID is the sighting's STIX id, IndicatorID the indicator's.
	ID, IndicatorID string
	Type            indicator.Type
	Value           string
	First, Last     time.Time
	Count           int
	Sensor          string
	Where           []string
	// Hosts are the victim side (client addresses, accounts, files) when
	// the recorder knew them.
	Hosts []string
	// Detector is one of the Detector names for what umbra's detectors
	// found, "" for matches of intel.
	Detector string
	// Confidence is the sighting's (the detector's score), 0 when none.
	Confidence int
	// Labels and Sources are the indicator's.
	Labels  []string
	Sources []string
	// Actors are the intrusion sets (STIX ids) the indicator "indicates",
	// by any source.
	Actors []string
}

// Load reads every sighting of an indicator in st, oldest first (ties by
// id). Sightings of anything other than a readable indicator are skipped.
func Load(ctx context.Context, st knowledge.Store) ([]Seen, error) {
	var out []Seen
	err := st.Each(ctx, []string{"sighting"}, func(o stix.Object) error {
		if o.Common.Revoked || !strings.HasPrefix(o.Common.SightingOfRef, "indicator--") {
			return nil
		}
		var x struct {
			Count      int      `json:"count"`
			Sensor     string   `json:"x_umbra_sensor"`
			Where      []string `json:"x_umbra_where"`
			Hosts      []string `json:"x_umbra_hosts"`
			Detector   string   `json:"x_umbra_detector"`
			Confidence int      `json:"confidence"`
		}
		if err := json.Unmarshal(o.Raw, &x); err != nil {
			return nil
		}
		s := Seen{ID: o.ID, IndicatorID: o.Common.SightingOfRef, Count: x.Count, Sensor: x.Sensor, Where: x.Where,
			Hosts: x.Hosts, Detector: x.Detector, Confidence: x.Confidence}
		s.First, _ = stix.ParseTime(o.Common.FirstSeen)
		s.Last, _ = stix.ParseTime(o.Common.LastSeen)
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading sightings: %w", err)
	}
	type ind struct {
		t       indicator.Type
		v       string
		labels  []string
		sources []string
		actors  []string
		ok      bool
	}
	cache := map[string]ind{}
	kept := out[:0]
	for _, s := range out {
		c, seen := cache[s.IndicatorID]
		if !seen {
			if o, err := st.Object(ctx, s.IndicatorID); err == nil {
				if in, ok := indicator.FromSTIX(o); ok {
					c = ind{t: in.Type, v: in.Value, labels: o.Common.Labels, sources: in.Sources, ok: true}
					rels, err := st.Relations(ctx, s.IndicatorID)
					if err != nil {
						return nil, err
					}
					for _, r := range rels {
						if r.Type == "indicates" && r.SourceRef == s.IndicatorID && strings.HasPrefix(r.TargetRef, "intrusion-set--") {
							c.actors = append(c.actors, r.TargetRef)
						}
					}
					sort.Strings(c.actors)
					c.actors = slices.Compact(c.actors)
				}
			}
			cache[s.IndicatorID] = c
		}
		if !c.ok {
			continue
		}
		s.Type, s.Value, s.Labels, s.Sources, s.Actors = c.t, c.v, c.labels, c.sources, c.actors
		kept = append(kept, s)
	}
	sort.SliceStable(kept, func(i, j int) bool {
		if !kept[i].First.Equal(kept[j].First) {
			return kept[i].First.Before(kept[j].First)
		}
		return kept[i].ID < kept[j].ID
	})
	return kept, nil
}
