package demo

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/umbra-cti/umbra/hunt"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/knowledge/kb"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/sighting/alertlog"
	"github.com/umbra-cti/umbra/stix"
)

// Retro imports the feed published after the intrusion and re-hunts the
// stored history with the new snapshot, reporting how long each newly
// named value had been in our traffic before the intel named it.
func Retro(ctx context.Context, w io.Writer, st *sqlite.Store, mem *memory.Store, laterFeed, truth string, before *MatchResult) error {
	res, err := intel.Import(ctx, st, laterFeed, intel.Options{Source: "later-feed", Actor: kb.UmbrellaName, Confidence: 75,
		Report: "Follow-up report on the intrusion"})
	if err != nil {
		return err
	}
	inds, err := intel.ActiveIndicators(ctx, st, st, intel.Selection{TLPMax: stix.TLPRed})
	if err != nil {
		return err
	}
	snap, _ := match.Build(inds, nil)
	var values []string
	for _, ind := range inds {
		values = append(values, ind.Value)
	}
	hits, hs, err := hunt.Run(ctx, mem, snap, hunt.Options{Values: values,
		Added: func(id string) (time.Time, bool) { return intel.EnteredIntel(ctx, st, st, id) }})
	if err != nil {
		return err
	}
	recs := make([]alertlog.Record, len(hits))
	for i, h := range hits {
		recs[i] = alertlog.Record{Alert: h.Alert, Retro: &alertlog.Retro{FirstSeen: h.FirstSeen, IntelAdded: h.IntelAdded, DwellSeconds: h.DwellSeconds}}
	}
	if err := recordAlerts(ctx, st, mem, recs); err != nil {
		return err
	}
	after := &MatchResult{AlertUIDs: map[string]bool{}}
	for uid := range before.AlertUIDs {
		after.AlertUIDs[uid] = true // look-alikes and earlier alerts still stand
	}
	type val struct {
		first time.Time
		dwell int64
		n     int
	}
	newVals := map[string]*val{}
	for _, h := range hits {
		after.AlertUIDs[h.UID] = true
		if h.DwellSeconds <= 0 {
			continue // known when it happened
		}
		v := newVals[h.Matched]
		if v == nil {
			v = &val{first: h.FirstSeen, dwell: h.DwellSeconds}
			newVals[h.Matched] = v
		}
		v.n++
	}
	score, err := Score(truth, after)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "[6] the follow-up feed arrived (%d indicators); retro-hunt over %d stored events (%d of %d segments skipped by their statistics): %d hits, %d values seen before they were published\n",
		res.ByType["indicator"], hs.Decoded, hs.SkippedValues+hs.SkippedTime, hs.Segments+hs.SkippedValues+hs.SkippedTime, len(hits), len(newVals))
	keys := make([]string, 0, len(newVals))
	for k := range newVals {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return newVals[keys[i]].first.Before(newVals[keys[j]].first) })
	for i, k := range keys {
		if i == 5 {
			fmt.Fprintf(w, "      ... and %d more\n", len(keys)-5)
			break
		}
		v := newVals[k]
		fmt.Fprintf(w, "      %-34s first contacted %s, %d days before it was published (%d hits)\n",
			k, v.first.UTC().Format("2006-01-02 15:04"), v.dwell/86400, v.n)
	}
	fmt.Fprintf(w, "    against the ground truth now: precision %.3f, recall %.3f; still not found: %s\n",
		score.Precision, score.Recall, missedKinds(score))
	return nil
}
