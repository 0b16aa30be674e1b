package pattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/umbra-cti/umbra/stix"
)

// Observation is one observed-data SDO prepared for matching: when it was
// seen, how many times, and the cyber-observable objects it holds.
type Observation struct {
	ID             string
	FirstObserved  time.Time
	LastObserved   time.Time
	NumberObserved int // at least 1
	// Objects maps each object's key (its id for STIX 2.1 object_refs,
	// its "objects" key for STIX 2.0) to the object decoded by
	// encoding/json: map[string]any, []any, string, bool, nil and numbers
	// as json.Number. Objects built in Go may also use float64, int,
	// int64, map[string]string and []string.
	Objects map[string]any
	// Refs resolves *_ref and *_refs values that Objects does not hold,
	// typically the other objects of the same bundle. It may be nil.
	Refs map[string]any
}

// ReadObservations reads observed-data from r: a STIX bundle, a single
// observed-data object, or a JSON array of objects and/or bundles.
// object_refs are resolved against the other objects of the same bundle
// (or of the top-level array); a reference to an object that is not there
// is left out, as in the reference matcher, since bundles often point at
// objects held elsewhere. Objects other than observed-data are context
// only. A malformed observed-data object is an error naming it:
// a verdict computed over silently skipped input would be wrong.
func ReadObservations(r io.Reader) ([]Observation, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("offset %d: %w", dec.InputOffset(), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("offset %d: unexpected data after the JSON value", dec.InputOffset())
	}
	var out []Observation
	add := func(group []any, where string) error {
		obs, err := observationsFromGroup(group, where)
		out = append(out, obs...)
		return err
	}
	switch v := top.(type) {
	case []any:
		var loose []any
		for i, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("element %d: not a JSON object", i)
			}
			if m["type"] == "bundle" {
				objs, _ := m["objects"].([]any)
				if err := add(objs, fmt.Sprintf("element %d (bundle): ", i)); err != nil {
					return nil, err
				}
				continue
			}
			loose = append(loose, e)
		}
		if err := add(loose, ""); err != nil {
			return nil, err
		}
	case map[string]any:
		if v["type"] == "bundle" {
			objs, _ := v["objects"].([]any)
			if err := add(objs, ""); err != nil {
				return nil, err
			}
		} else if err := add([]any{v}, ""); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("expected a JSON object or array")
	}
	return out, nil
}

// FromObjects builds observations from the objects of one bundle (as read
// by stix.Reader), resolving object_refs among them.
func FromObjects(objs []stix.Object) ([]Observation, error) {
	group := make([]any, 0, len(objs))
	for i, o := range objs {
		dec := json.NewDecoder(bytes.NewReader(o.Raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("object %d (%s): %w", i, o.ID, err)
		}
		group = append(group, v)
	}
	return observationsFromGroup(group, "")
}

func observationsFromGroup(group []any, where string) ([]Observation, error) {
	index := make(map[string]any, len(group))
	for _, e := range group {
		if m, ok := e.(map[string]any); ok {
			if id, ok := m["id"].(string); ok {
				index[id] = m
			}
		}
	}
	var out []Observation
	for i, e := range group {
		m, ok := e.(map[string]any)
		if !ok {
			return out, fmt.Errorf("%sobject %d: not a JSON object", where, i)
		}
		if m["type"] != "observed-data" {
			continue
		}
		o, err := observationFrom(m, index)
		if err != nil {
			id, _ := m["id"].(string)
			return out, fmt.Errorf("%sobject %d (observed-data %s): %w", where, i, id, err)
		}
		out = append(out, o)
	}
	return out, nil
}

func observationFrom(m map[string]any, index map[string]any) (Observation, error) {
	var o Observation
	o.ID, _ = m["id"].(string)
	n, ok := m["number_observed"].(json.Number)
	if !ok {
		return o, errors.New(`missing or non-numeric "number_observed"`)
	}
	count, err := strconv.ParseInt(string(n), 10, 32)
	if err != nil || count < 1 {
		return o, fmt.Errorf(`"number_observed" %s is not an integer >= 1`, n)
	}
	o.NumberObserved = int(count)
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"first_observed", &o.FirstObserved}, {"last_observed", &o.LastObserved}} {
		s, ok := m[f.name].(string)
		if !ok {
			return o, fmt.Errorf("missing %q", f.name)
		}
		t, err := parseTimestamp(s)
		if err != nil {
			return o, fmt.Errorf("%s %q: %v", f.name, s, err)
		}
		*f.dst = t
	}
	if o.LastObserved.Before(o.FirstObserved) {
		return o, errors.New("last_observed is before first_observed")
	}
	if refs, ok := m["object_refs"].([]any); ok {
		o.Objects = make(map[string]any, len(refs))
		for _, r := range refs {
			id, ok := r.(string)
			if !ok {
				return o, fmt.Errorf("object_refs holds a non-string %v", r)
			}
			if obj, ok := index[id]; ok {
				o.Objects[id] = obj
			}
		}
		o.Refs = index
		return o, nil
	}
	if objs, ok := m["objects"].(map[string]any); ok {
		o.Objects = objs
		return o, nil
	}
	return o, errors.New(`neither "object_refs" nor "objects"`)
}
