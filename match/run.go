package match

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
)

// RunOptions say what to do with a run's events and hits.
type RunOptions struct {
	// Warn receives one line per bad record or unreadable input (the first
	// 20 bad records; all are counted).
	Warn io.Writer
	// OnEvent sees every decoded event before it is matched.
	OnEvent func(ev *event.Event) error
	// OnHit sees every hit; the hit refers to the event and is valid only
	// during the call.
	OnHit func(ev *event.Event, h Hit) error
}

// RunStats counts what a run read and found.
type RunStats struct {
	Inputs  int
	Events  int64
	Hits    int64
	Bad     int64
	ByWhere map[string]int64
}

// Run decodes every input under paths (files, directories, "-") with the
// registered telemetry decoders and matches each event against snap.
// Bad records and unreadable inputs are reported to Warn, counted and
// skipped; an error from a callback or the context ends the run.
func Run(ctx context.Context, paths []string, snap *Snapshot, opt RunOptions) (RunStats, error) {
	rs := RunStats{ByWhere: map[string]int64{}}
	warn := opt.Warn
	if warn == nil {
		warn = io.Discard
	}
	var ev event.Event
	var hits []Hit
	m := snap.NewMatcher()
	for _, p := range paths {
		inputs, err := source.Open(p)
		if err != nil {
			return rs, err
		}
		for _, in := range inputs {
			if err := runInput(ctx, in, m, opt, warn, &ev, &hits, &rs); err != nil {
				return rs, err
			}
		}
	}
	return rs, nil
}

func runInput(ctx context.Context, in source.Input, m *Matcher, opt RunOptions, warn io.Writer, ev *event.Event, hits *[]Hit, rs *RunStats) error {
	st, err := in.Open()
	if err != nil {
		fmt.Fprintf(warn, "umbra: %v\n", err)
		rs.Bad++
		return nil
	}
	defer st.Close()
	dec, err := st.Decoder()
	if err != nil {
		fmt.Fprintf(warn, "umbra: %s: %v\n", in.Path, err)
		rs.Bad++
		return nil
	}
	rs.Inputs++
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := dec.Next(ev)
		if err == io.EOF {
			return nil
		}
		var re *source.RecordError
		if errors.As(err, &re) {
			rs.Bad++
			if rs.Bad <= 20 {
				fmt.Fprintf(warn, "skipped: %v\n", re)
			}
			continue
		}
		if err != nil {
			fmt.Fprintf(warn, "umbra: %v\n", err)
			rs.Bad++
			return nil
		}
		rs.Events++
		if opt.OnEvent != nil {
			if err := opt.OnEvent(ev); err != nil {
				return err
			}
		}
		*hits = m.MatchAppend((*hits)[:0], ev)
		for _, h := range *hits {
			rs.Hits++
			rs.ByWhere[h.Where]++
			if opt.OnHit != nil {
				if err := opt.OnHit(ev, h); err != nil {
					return err
				}
			}
		}
	}
}
