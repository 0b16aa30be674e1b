package demo

import (
	"context"
	"path/filepath"

	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/sighting/alertlog"
)

// recordAlerts stamps the demo's alerts with the TLP of their intel and
// appends them to the alert log beside the memory, so that `umbra demo
// --serve` and `umbra serve` show them.
func recordAlerts(ctx context.Context, st *sqlite.Store, mem *memory.Store, recs []alertlog.Record) error {
	if len(recs) == 0 {
		return nil
	}
	l, err := alertlog.Open(filepath.Dir(mem.Dir()))
	if err != nil {
		return err
	}
	stamp := alertlog.NewStamper(st)
	for i := range recs {
		stamp.Stamp(ctx, &recs[i].Alert)
	}
	_, err = l.Append(recs)
	return err
}
