package attribution

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// WriteSource is the provenance WriteBack stores its relationships under.
const WriteSource = "umbra-attribution"

// WriteSummary counts what WriteBack did.
type WriteSummary struct {
	Written int // new or updated derived relationships
	Revoked int // derived relationships of earlier runs no longer concluded
}

// WriteBack stores the attributions of res as derived STIX relationships:
// attributed-to from a report, incident or campaign to the actor,
// related-to between intrusion sets, each with the confidence and
// x_umbra_derived: true, under a deterministic id per (subject, actor).
// Only candidates at or above minConfidence, and resting on evidence the
// engine found (not only a source's own attribution), are written. Derived
// relationships of earlier runs that this run does not conclude are
// revoked with a newer version, so the store's history keeps what was
// once believed and nothing is merged irreversibly. Incident subjects
// are written as relationships only; the incident objects themselves
// belong to the matcher.
func WriteBack(ctx context.Context, st knowledge.Store, res *Result, minConfidence int, now time.Time) (WriteSummary, error) {
	var sum WriteSummary
	ts := now.UTC().Truncate(time.Millisecond)
	prev := map[string]stix.Object{}
	err := st.Each(ctx, []string{"relationship"}, func(o stix.Object) error {
		var x struct {
			Derived bool `json:"x_umbra_derived"`
		}
		if json.Unmarshal(o.Raw, &x) == nil && x.Derived && !o.Common.Revoked {
			prev[o.ID] = o
		}
		return nil
	})
	if err != nil {
		return sum, fmt.Errorf("attribution: reading derived relationships: %w", err)
	}
	// A new version must be strictly newer than the one it replaces.
	stamp := func(id string) string {
		t := ts
		if p, ok := prev[id]; ok {
			if pt, err := stix.ParseTime(p.Modified); err == nil && !t.After(pt) {
				t = pt.Add(time.Millisecond)
			}
		}
		return stix.FormatTime(t)
	}
	var out []stix.Object
	keep := map[string]bool{}
	for _, a := range res.Attributions {
		for _, c := range a.Candidates {
			if c.Confidence < minConfidence || c.ActorID == "" || c.ActorID == a.Subject.ID || !derived(c) {
				continue
			}
			typ := "attributed-to"
			if a.Subject.Type == IntrusionSet {
				typ = "related-to"
			}
			id := stix.DeterministicID("relationship", "umbra-attribution/"+typ+"/"+a.Subject.ID+"/"+c.ActorID)
			if keep[id] {
				continue
			}
			keep[id] = true
			m := stamp(id)
			created := m
			if p, ok := prev[id]; ok && p.Created != "" {
				created = p.Created
			}
			mark, err := marking(ctx, st, a.Subject.ID, c.ActorID)
			if err != nil {
				return sum, err
			}
			desc := fmt.Sprintf("derived by umbra attribute: %s (%d)", c.ConfidenceWords, c.Confidence)
			if len(c.Evidence) > 0 {
				desc += "; strongest evidence " + c.Evidence[0].Kind + " " + c.Evidence[0].Value
			}
			o, err := stix.Build("relationship", id, stix.Props{
				"relationship_type": typ, "source_ref": a.Subject.ID, "target_ref": c.ActorID,
				"confidence": c.Confidence, "description": desc, "created": created, "modified": m,
				DerivedProp: true, "x_umbra_evidence": c.Evidence, "object_marking_refs": []string{mark.MarkingID()},
			})
			if err != nil {
				return sum, err
			}
			out = append(out, o)
		}
	}
	ids := make([]string, 0, len(prev))
	for id := range prev {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p := prev[id]
		if keep[id] {
			continue
		}
		var props stix.Props
		if err := json.Unmarshal(p.Raw, &props); err != nil {
			return sum, fmt.Errorf("attribution: %s: %w", id, err)
		}
		for _, k := range []string{"type", "id", "spec_version"} {
			delete(props, k)
		}
		props["revoked"] = true
		props["modified"] = stamp(id)
		o, err := stix.Build("relationship", id, props)
		if err != nil {
			return sum, err
		}
		out = append(out, o)
		sum.Revoked++
	}
	sum.Written = len(out) - sum.Revoked
	if len(out) == 0 {
		return sum, nil
	}
	_, err = st.Import(ctx, knowledge.ImportInfo{Source: WriteSource, Path: "umbra attribute"}, func(put func(stix.Object) error) error {
		for _, o := range out {
			if err := put(o); err != nil {
				return err
			}
		}
		return nil
	})
	return sum, err
}

// derived reports whether a candidate rests on anything the engine
// found: one that only restates a source's own attribution is already in
// the store as that source's claim, and writing it again as derived would
// pass the source's word off as umbra's.
func derived(c Candidate) bool {
	for _, e := range c.Evidence {
		if e.Kind != KindSourceAttribute && e.Kind != KindSameGroup {
			return true
		}
	}
	return false
}

// marking is the TLP a derived relationship inherits: the stricter of
// its two ends. An end the store does not hold (an incident from our own
// sightings) counts as TLP:AMBER, since our telemetry is not for sharing
// by default.
func marking(ctx context.Context, st knowledge.Store, ids ...string) (stix.TLP, error) {
	tr, ok := st.(interface {
		TLP(ctx context.Context, id string) (stix.TLP, error)
	})
	out := stix.TLPClear
	for _, id := range ids {
		t := stix.TLPAmber
		if ok {
			v, err := tr.TLP(ctx, id)
			switch {
			case err == nil:
				t = v
			case errors.Is(err, knowledge.ErrNotFound):
			default:
				return 0, fmt.Errorf("attribution: marking of %s: %w", id, err)
			}
		}
		out = max(out, t)
	}
	return out, nil
}
