// Package bundle exports the knowledge graph, or the part of it about one
// actor, as a STIX 2.1 bundle written as a stream.
package bundle

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// Options select what to export.
type Options struct {
	// Actor limits the export to one actor (any of its names): its objects,
	// the relationships that touch them and the objects at their other
	// end; for an umbrella, its members' neighbourhoods too.
	Actor string
	// TLPMax leaves out every object marked above this level.
	TLPMax stix.TLP
}

// TLPReader is the store's view of an object's effective marking.
type TLPReader interface {
	TLP(ctx context.Context, id string) (stix.TLP, error)
}

// Write streams the selected objects to w as one bundle and returns how
// many it wrote.
func Write(ctx context.Context, st knowledge.Store, tlp TLPReader, w io.Writer, opt Options) (int, error) {
	bw := stix.NewWriter(w)
	markings := map[string]bool{}
	allowed := func(id string) (bool, error) {
		t, err := tlp.TLP(ctx, id)
		if err != nil {
			return false, err
		}
		return t <= opt.TLPMax, nil
	}
	emit := func(o stix.Object) error {
		ok, err := allowed(o.ID)
		if err != nil || !ok {
			return err
		}
		if o.Type == "marking-definition" {
			if markings[o.ID] {
				return nil
			}
			markings[o.ID] = true
		}
		for _, ref := range o.Common.ObjectMarkingRefs {
			if l, isTLP := stix.TLPOfMarking(ref); isTLP && !markings[ref] && ref == l.MarkingID() {
				markings[ref] = true
				if err := bw.Write(stix.TLPMarking(l)); err != nil {
					return err
				}
			}
		}
		return bw.Write(o)
	}
	var err error
	if opt.Actor == "" {
		// Markings first so that readers meet definitions before their use.
		err = st.Each(ctx, []string{"marking-definition"}, emit)
		if err == nil {
			err = st.Each(ctx, nil, func(o stix.Object) error {
				if o.Type == "marking-definition" {
					return nil
				}
				return emit(o)
			})
		}
	} else {
		err = writeActor(ctx, st, opt.Actor, emit)
	}
	if err != nil {
		return bw.Count(), err
	}
	return bw.Count(), bw.Close()
}

func writeActor(ctx context.Context, st knowledge.Store, name string, emit func(stix.Object) error) error {
	a, err := knowledge.ResolveActor(ctx, st, name)
	if err != nil {
		return err
	}
	ids := map[string]bool{}
	core := append([]string(nil), a.IDs...)
	for _, m := range a.Members {
		core = append(core, m.ID)
	}
	for _, id := range core {
		ids[id] = true
		rels, err := st.Relations(ctx, id)
		if err != nil {
			return err
		}
		for _, r := range rels {
			ids[r.ID], ids[r.SourceRef], ids[r.TargetRef] = true, true, true
		}
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	sort.Strings(list)
	// Relationships last, after the objects they join.
	sort.SliceStable(list, func(i, j int) bool { return !isRel(list[i]) && isRel(list[j]) })
	for _, id := range list {
		o, err := st.Object(ctx, id)
		if err != nil {
			continue // a reference to an object we do not hold
		}
		if err := emit(o); err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
	}
	return nil
}

func isRel(id string) bool { return len(id) > 14 && id[:14] == "relationship--" }
