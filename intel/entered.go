package intel

import (
	"context"
	"time"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// AddedReader tells when the store first received an object.
type AddedReader interface {
	Added(ctx context.Context, id string) (time.Time, error)
}

// EnteredIntel is when an indicator became known: the earlier of its
// publication (valid_from, else created) and the moment our store received
// it. A feed imported today that says it was published last April counts
// from last April; a list without dates counts from its import.
func EnteredIntel(ctx context.Context, st knowledge.Store, added AddedReader, id string) (time.Time, bool) {
	t, err := added.Added(ctx, id)
	ok := err == nil
	if o, err := st.Object(ctx, id); err == nil {
		pub := o.Common.ValidFrom
		if pub == "" {
			pub = o.Created
		}
		if p, err := stix.ParseTime(pub); err == nil && (!ok || p.Before(t)) {
			t, ok = p, true
		}
	}
	return t, ok
}
