package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/hunt"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/sighting/alertlog"
)

// alertRecorder appends the alerts a command raises to the data dir's
// alert log (what `umbra serve` shows), each stamped with the TLP of the
// intel behind it.
type alertRecorder struct {
	ctx   context.Context
	stamp *alertlog.Stamper
	batch *alertlog.Batch
}

func newAlertRecorder(cmd *cobra.Command, st alertlog.MarkingReader) (*alertRecorder, error) {
	dir, err := dataDir(cmd)
	if err != nil {
		return nil, err
	}
	l, err := alertlog.Open(dir)
	if err != nil {
		return nil, err
	}
	return &alertRecorder{ctx: ctxOf(cmd), stamp: alertlog.NewStamper(st), batch: l.Batch()}, nil
}

// live stamps a and queues it.
func (r *alertRecorder) live(a *match.Alert) error {
	r.stamp.Stamp(r.ctx, a)
	return r.batch.Add(alertlog.Record{Alert: *a})
}

// retro stamps a retro-hunt hit and queues it.
func (r *alertRecorder) retro(h *hunt.Hit) error {
	r.stamp.Stamp(r.ctx, &h.Alert)
	return r.batch.Add(alertlog.Record{Alert: h.Alert, Retro: &alertlog.Retro{FirstSeen: h.FirstSeen, IntelAdded: h.IntelAdded, DwellSeconds: h.DwellSeconds}})
}

// flush appends what is queued, synced to disk.
func (r *alertRecorder) flush() error {
	if err := r.batch.Flush(); err != nil {
		return fmt.Errorf("alert log: %w", err)
	}
	return nil
}

// recordHuntAlerts stamps hunt hits with their TLP and appends them to
// the alert log.
func recordHuntAlerts(cmd *cobra.Command, st alertlog.MarkingReader, hits []hunt.Hit) error {
	if len(hits) == 0 {
		return nil
	}
	r, err := newAlertRecorder(cmd, st)
	if err != nil {
		return err
	}
	for i := range hits {
		if err := r.retro(&hits[i]); err != nil {
			return err
		}
	}
	return r.flush()
}
