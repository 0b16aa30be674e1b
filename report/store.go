package report

import (
	"context"
	"errors"
	"fmt"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// Store is what a report reads: the knowledge graph and each object's
// effective TLP marking (knowledge/sqlite.Store is one).
type Store interface {
	knowledge.Store
	TLP(ctx context.Context, id string) (stix.TLP, error)
}

// clamped is a read-only view of a store that holds only the objects
// marked at most max: everything a report is built from goes through it,
// so content above --tlp-max cannot reach the report by any path (an
// actor view, a relation, an attribution's evidence). It remembers the
// marking of every object it let through, for the report's own marking.
type clamped struct {
	Store
	max     stix.TLP
	tlp     map[string]stix.TLP
	dropped map[string]bool
}

func clamp(st Store, max stix.TLP) *clamped {
	return &clamped{Store: st, max: max, tlp: map[string]stix.TLP{}, dropped: map[string]bool{}}
}

var errReadOnly = errors.New("report: the store is read-only while a report is built")

// allowed reports whether the object id is marked at most c.max. An
// object the store does not hold (a dangling reference) is allowed: it
// carries nothing.
func (c *clamped) allowed(ctx context.Context, id string) (bool, error) {
	if t, ok := c.tlp[id]; ok {
		return t <= c.max, nil
	}
	if c.dropped[id] {
		return false, nil
	}
	t, err := c.Store.TLP(ctx, id)
	if errors.Is(err, knowledge.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("report: marking of %s: %w", id, err)
	}
	if t > c.max {
		c.dropped[id] = true
		return false, nil
	}
	c.tlp[id] = t
	return true, nil
}

// marking returns the TLP of an object the view let through.
func (c *clamped) marking(id string) (stix.TLP, bool) {
	t, ok := c.tlp[id]
	return t, ok
}

func (c *clamped) TLP(ctx context.Context, id string) (stix.TLP, error) {
	ok, err := c.allowed(ctx, id)
	if err != nil {
		return stix.TLPRed, err
	}
	if !ok {
		return stix.TLPRed, fmt.Errorf("%s: %w", id, knowledge.ErrNotFound)
	}
	return c.Store.TLP(ctx, id)
}

func (c *clamped) Import(context.Context, knowledge.ImportInfo, func(put func(stix.Object) error) error) (knowledge.ImportSummary, error) {
	return knowledge.ImportSummary{}, errReadOnly
}

func (c *clamped) Object(ctx context.Context, id string) (stix.Object, error) {
	ok, err := c.allowed(ctx, id)
	if err != nil {
		return stix.Object{}, err
	}
	if !ok {
		return stix.Object{}, fmt.Errorf("%s: %w", id, knowledge.ErrNotFound)
	}
	return c.Store.Object(ctx, id)
}

func (c *clamped) Versions(ctx context.Context, id string) ([]stix.Object, error) {
	ok, err := c.allowed(ctx, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s: %w", id, knowledge.ErrNotFound)
	}
	return c.Store.Versions(ctx, id)
}

func (c *clamped) Each(ctx context.Context, types []string, fn func(stix.Object) error) error {
	return c.Store.Each(ctx, types, func(o stix.Object) error {
		ok, err := c.allowed(ctx, o.ID)
		if err != nil || !ok {
			return err
		}
		return fn(o)
	})
}

func (c *clamped) claims(ctx context.Context, cs []knowledge.NameClaim, err error) ([]knowledge.NameClaim, error) {
	if err != nil {
		return nil, err
	}
	out := cs[:0]
	for _, cl := range cs {
		ok, err := c.allowed(ctx, cl.ObjectID)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, cl)
		}
	}
	return out, nil
}

func (c *clamped) ClaimsByName(ctx context.Context, norm string) ([]knowledge.NameClaim, error) {
	cs, err := c.Store.ClaimsByName(ctx, norm)
	return c.claims(ctx, cs, err)
}

func (c *clamped) ClaimsOf(ctx context.Context, id string) ([]knowledge.NameClaim, error) {
	cs, err := c.Store.ClaimsOf(ctx, id)
	return c.claims(ctx, cs, err)
}

// Relations keeps a relation only when the relationship and both its ends
// are allowed: an amber indicator must not show up as a red actor's edge.
func (c *clamped) Relations(ctx context.Context, id string) ([]knowledge.Relation, error) {
	rs, err := c.Store.Relations(ctx, id)
	if err != nil {
		return nil, err
	}
	out := rs[:0]
	for _, r := range rs {
		keep := true
		for _, ref := range [...]string{r.ID, r.SourceRef, r.TargetRef} {
			ok, err := c.allowed(ctx, ref)
			if err != nil {
				return nil, err
			}
			keep = keep && ok
		}
		if keep {
			out = append(out, r)
		}
	}
	return out, nil
}
