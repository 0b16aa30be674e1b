package api

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/stix"
)

// markings remembers the effective TLP of every object the API has asked
// about. Levels only change when an object gets a new version, so the
// cache is dropped whenever the store's import count moves.
type markings struct {
	st *sqlite.Store

	mu      sync.Mutex
	levels  map[string]stix.TLP
	imports int
	checked time.Time
}

func newMarkings(st *sqlite.Store) *markings {
	return &markings{st: st, levels: map[string]stix.TLP{}, imports: -1}
}

// generation returns the store's import count, re-read at most once a
// second, and empties the caches when it moved. Everything the API
// caches per store state keys on it.
func (m *markings) generation(ctx context.Context) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if time.Since(m.checked) < time.Second && m.imports >= 0 {
		return m.imports
	}
	m.checked = time.Now()
	s, err := m.st.Stats(ctx)
	if err != nil {
		return m.imports
	}
	if s.Imports != m.imports {
		m.imports = s.Imports
		m.levels = map[string]stix.TLP{}
	}
	return m.imports
}

// invalidate forgets everything: the API just imported.
func (m *markings) invalidate() {
	m.mu.Lock()
	m.checked = time.Time{}
	m.levels = map[string]stix.TLP{}
	m.mu.Unlock()
}

// level returns id's effective TLP; an object the store does not hold, or
// cannot read, is red.
func (m *markings) level(ctx context.Context, id string) stix.TLP {
	m.mu.Lock()
	l, ok := m.levels[id]
	m.mu.Unlock()
	if ok {
		return l
	}
	l, err := m.st.TLP(ctx, id)
	if err != nil {
		l = stix.TLPRed
		if !errors.Is(err, knowledge.ErrNotFound) {
			return l // do not remember a transient failure
		}
	}
	m.mu.Lock()
	m.levels[id] = l
	m.mu.Unlock()
	return l
}

// view is the knowledge store as one token may see it: every object marked
// above its clearance is absent — not returned, not iterated, not counted,
// and no relationship, claim or container that refers to it is shown.
// Library code (actor views, lookups, exports, attribution) runs on a view
// and so cannot leak what the token may not see.
type view struct {
	st        *sqlite.Store
	marks     *markings
	clearance stix.TLP
}

func (v *view) visible(ctx context.Context, id string) bool {
	if v.clearance >= stix.TLPRed {
		return true
	}
	return v.marks.level(ctx, id) <= v.clearance
}

// Import stores objects; imports are never filtered (the role check is the
// caller's).
func (v *view) Import(ctx context.Context, info knowledge.ImportInfo, fn func(put func(stix.Object) error) error) (knowledge.ImportSummary, error) {
	sum, err := v.st.Import(ctx, info, fn)
	v.marks.invalidate()
	return sum, err
}

func (v *view) Object(ctx context.Context, id string) (stix.Object, error) {
	if !v.visible(ctx, id) {
		return stix.Object{}, fmt.Errorf("%s: %w", id, knowledge.ErrNotFound)
	}
	return v.st.Object(ctx, id)
}

func (v *view) Versions(ctx context.Context, id string) ([]stix.Object, error) {
	if !v.visible(ctx, id) {
		return nil, fmt.Errorf("%s: %w", id, knowledge.ErrNotFound)
	}
	return v.st.Versions(ctx, id)
}

func (v *view) Each(ctx context.Context, types []string, fn func(stix.Object) error) error {
	return v.st.Each(ctx, types, func(o stix.Object) error {
		if !v.visible(ctx, o.ID) {
			return nil
		}
		return fn(o)
	})
}

func (v *view) Sources(ctx context.Context, id string) ([]string, error) {
	if !v.visible(ctx, id) {
		return nil, nil
	}
	return v.st.Sources(ctx, id)
}

func (v *view) claims(ctx context.Context, cs []knowledge.NameClaim, err error) ([]knowledge.NameClaim, error) {
	if err != nil {
		return nil, err
	}
	out := cs[:0]
	for _, c := range cs {
		if v.visible(ctx, c.ObjectID) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (v *view) ClaimsByName(ctx context.Context, norm string) ([]knowledge.NameClaim, error) {
	cs, err := v.st.ClaimsByName(ctx, norm)
	return v.claims(ctx, cs, err)
}

func (v *view) ClaimsOf(ctx context.Context, id string) ([]knowledge.NameClaim, error) {
	if !v.visible(ctx, id) {
		return nil, nil
	}
	cs, err := v.st.ClaimsOf(ctx, id)
	return v.claims(ctx, cs, err)
}

func (v *view) Relations(ctx context.Context, id string) ([]knowledge.Relation, error) {
	if !v.visible(ctx, id) {
		return nil, nil
	}
	rs, err := v.st.Relations(ctx, id)
	if err != nil {
		return nil, err
	}
	out := rs[:0]
	for _, r := range rs {
		if v.visible(ctx, r.ID) && v.visible(ctx, r.SourceRef) && v.visible(ctx, r.TargetRef) {
			out = append(out, r)
		}
	}
	return out, nil
}

// Stats counts only the visible objects.
func (v *view) Stats(ctx context.Context) (knowledge.Stats, error) {
	full, err := v.st.Stats(ctx)
	if err != nil || v.clearance >= stix.TLPRed {
		return full, err
	}
	s := knowledge.Stats{ByType: map[string]int{}, Sources: map[string]int{}, Imports: full.Imports}
	err = v.Each(ctx, nil, func(o stix.Object) error {
		s.Objects++
		s.ByType[o.Type]++
		return nil
	})
	// Versions, names and per-source counts would each need a pass over
	// hidden rows to subtract; they are left out rather than leak a count.
	return s, err
}

func (v *view) Close() error { return nil }

// TLP is the store's marking, for objects the view shows.
func (v *view) TLP(ctx context.Context, id string) (stix.TLP, error) {
	if !v.visible(ctx, id) {
		return stix.TLPRed, fmt.Errorf("%s: %w", id, knowledge.ErrNotFound)
	}
	return v.marks.level(ctx, id), nil
}

func (v *view) Added(ctx context.Context, id string) (time.Time, error) {
	if !v.visible(ctx, id) {
		return time.Time{}, fmt.Errorf("%s: %w", id, knowledge.ErrNotFound)
	}
	return v.st.Added(ctx, id)
}

// Correlate lists the visible carriers of value. Over-correlation is
// reported as the store has it: the count of a value carried by very many
// objects says nothing about any one of them.
func (v *view) Correlate(ctx context.Context, value string) ([]string, bool, int, error) {
	ids, over, count, err := v.st.Correlate(ctx, value)
	if err != nil || over {
		return ids, over, count, err
	}
	out := ids[:0]
	for _, id := range ids {
		if v.visible(ctx, id) {
			out = append(out, id)
		}
	}
	return out, false, len(out), nil
}

func (v *view) Containers(ctx context.Context, id string) ([]string, error) {
	if !v.visible(ctx, id) {
		return nil, nil
	}
	cs, err := v.st.Containers(ctx, id)
	if err != nil {
		return nil, err
	}
	out := cs[:0]
	for _, c := range cs {
		if v.visible(ctx, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

var _ knowledge.Store = (*view)(nil)
