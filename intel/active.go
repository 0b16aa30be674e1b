package intel

import (
	"context"
	"sort"
	"time"

	"github.com/umbra-cti/umbra/intel/allowlist"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// Selection filters the indicators that ActiveIndicators returns.
type Selection struct {
	// Actor keeps only indicators attributed to this actor or umbrella
	// (any name of it; an umbrella includes its members).
	Actor string
	// TLPMax leaves out indicators marked above this level.
	TLPMax stix.TLP
	// At is the instant for validity; zero means now.
	At time.Time
	// HalfLife of the decayed score; DefaultHalfLife when zero.
	HalfLife time.Duration
	// Allow keeps allow-listed values out; OnDrop hears of each one.
	Allow  *allowlist.Set
	OnDrop func(ind indicator.Indicator, list string)
}

// TLPReader is the store's view of an object's effective marking.
type TLPReader interface {
	TLP(ctx context.Context, id string) (stix.TLP, error)
}

// ActiveIndicators returns the indicators to match and export: not
// revoked, valid at sel.At, one entry per (type, value) with every STIX id,
// source and attributed actor merged.
func ActiveIndicators(ctx context.Context, st knowledge.Store, tlp TLPReader, sel Selection) ([]indicator.Indicator, error) {
	at := sel.At
	if at.IsZero() {
		at = time.Now()
	}
	var keep map[string]bool // actor object ids accepted by sel.Actor
	if sel.Actor != "" {
		a, err := knowledge.ResolveActor(ctx, st, sel.Actor)
		if err != nil {
			return nil, err
		}
		keep = map[string]bool{}
		for _, id := range a.IDs {
			keep[id] = true
		}
		for _, m := range a.Members {
			keep[m.ID] = true
		}
	}
	names := map[string]string{} // actor id -> name, cached
	actorName := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		n := ""
		if o, err := st.Object(ctx, id); err == nil {
			n = o.Common.Name
		}
		names[id] = n
		return n
	}
	byKey := map[string]*indicator.Indicator{}
	var order []string
	err := st.Each(ctx, []string{"indicator"}, func(o stix.Object) error {
		if o.Common.Revoked || !validAt(&o, at) {
			return nil
		}
		if t, err := tlp.TLP(ctx, o.ID); err != nil || t > sel.TLPMax {
			return err
		}
		ind, ok := indicator.FromSTIX(o)
		if !ok {
			return nil
		}
		// Names below an attacker's domain are the attacker's too (per-target
		// C2 subdomains are the umbrella's habit); popular and shared
		// domains that would make this noisy are kept out by allow-lists.
		if ind.Type == indicator.Domain {
			ind.Subdomains = true
		}
		rels, err := st.Relations(ctx, o.ID)
		if err != nil {
			return err
		}
		matched := keep == nil
		last := at
		if t, err := stix.ParseTime(o.Version()); err == nil {
			last = t
		}
		for _, r := range rels {
			if r.Type == knowledge.RelSighted && r.TargetRef == o.ID {
				if s, err := st.Object(ctx, r.SourceRef); err == nil && s.Common.LastSeen != "" {
					if t, err := stix.ParseTime(s.Common.LastSeen); err == nil && t.After(last) {
						last = t
					}
				}
			}
			if r.Type != "indicates" || r.SourceRef != o.ID {
				continue
			}
			if keep != nil && keep[r.TargetRef] {
				matched = true
			}
			if n := actorName(r.TargetRef); n != "" {
				ind.Actors = append(ind.Actors, indicator.Actor{Name: n, Confidence: r.Confidence})
			}
		}
		if !matched {
			return nil
		}
		conf := 0
		if o.Common.Confidence != nil {
			conf = *o.Common.Confidence
		}
		halfLife := sel.HalfLife
		if halfLife == 0 {
			halfLife = DefaultHalfLife
		}
		ind.Score = DecayScore(conf, last, at, halfLife)
		srcs, err := st.Sources(ctx, o.ID)
		if err != nil {
			return err
		}
		ind.Sources = append(ind.Sources, srcs...)
		key := ind.Type.String() + "\x00" + ind.Value
		if cur, ok := byKey[key]; ok {
			cur.IDs = appendNew(cur.IDs, ind.IDs...)
			cur.Sources = appendNew(cur.Sources, ind.Sources...)
			for _, a := range ind.Actors {
				cur.Actors = mergeActor(cur.Actors, a)
			}
			cur.Subdomains = cur.Subdomains || ind.Subdomains
			cur.Score = max(cur.Score, ind.Score)
			return nil
		}
		c := ind
		c.Sources = appendNew(nil, ind.Sources...)
		c.Actors = nil
		for _, a := range ind.Actors {
			c.Actors = mergeActor(c.Actors, a)
		}
		byKey[key] = &c
		order = append(order, key)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(order)
	out := make([]indicator.Indicator, 0, len(order))
	for _, k := range order {
		ind := byKey[k]
		if sel.Allow != nil {
			if list, ok := sel.Allow.Covers(ind); ok {
				if sel.OnDrop != nil {
					sel.OnDrop(*ind, list)
				}
				continue
			}
		}
		out = append(out, *ind)
	}
	return out, nil
}

func validAt(o *stix.Object, at time.Time) bool {
	if o.Common.ValidFrom != "" {
		if t, err := stix.ParseTime(o.Common.ValidFrom); err == nil && at.Before(t) {
			return false
		}
	}
	if o.Common.ValidUntil != "" {
		if t, err := stix.ParseTime(o.Common.ValidUntil); err == nil && !at.Before(t) {
			return false
		}
	}
	return true
}

func appendNew(list []string, vs ...string) []string {
	for _, v := range vs {
		found := false
		for _, x := range list {
			found = found || x == v
		}
		if !found {
			list = append(list, v)
		}
	}
	return list
}

func mergeActor(list []indicator.Actor, a indicator.Actor) []indicator.Actor {
	for i := range list {
		if list[i].Name == a.Name {
			if a.Confidence > list[i].Confidence {
				list[i].Confidence = a.Confidence
			}
			return list
		}
	}
	return append(list, a)
}
