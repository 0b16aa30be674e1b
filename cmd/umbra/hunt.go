package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/hunt"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/sighting"
	"github.com/umbra-cti/umbra/stix"
	"github.com/umbra-cti/umbra/telemetry/event"
)

func init() {
	ingest := &cobra.Command{
		Use:   "ingest PATH...",
		Short: "Store telemetry in the network memory and match it",
		Long: `Store every event of the telemetry under PATH in the network memory (columnar,
compressed, time-partitioned segments in DATA/memory) and match it like umbra
match, printing alerts as JSON lines and recording sightings. Running the same
ingest again stores nothing twice: unchanged files are skipped, grown files
continue after the events already stored.`,
		Example: `  umbra ingest /opt/zeek/logs/2018-03-24/
  umbra ingest conn.log dns.log > alerts.jsonl`,
		Args: cobra.MinimumNArgs(1),
		RunE: runIngest,
	}
	h := &cobra.Command{
		Use:   "hunt",
		Short: "Re-run today's intel over the stored history (retrospective hunt)",
		Long: `Scan the network memory with the active intel and report every match, with the
first time the value appeared in our traffic, when its indicator entered our
intel, and the dwell gap between them ("contacted 47 days before it was
published"). Hits are recorded as sightings.`,
		Example: `  umbra hunt --since 90d
  umbra hunt --actor "Winnti umbrella" --json | jq 'select(.dwell_seconds > 0)'
  umbra hunt --indicator google-statics.com`,
		Args: cobra.NoArgs,
		RunE: runHunt,
	}
	h.Flags().String("since", "", "only events newer than this age (90d, 12h) or RFC 3339 time")
	h.Flags().String("until", "", "only events older than this RFC 3339 time")
	h.Flags().String("indicator", "", "hunt for this value only")
	h.Flags().String("actor", "", "hunt for this actor's or umbrella's indicators only")
	jsonFlag(h)
	addPivotCommands(h)
	rootCmd.AddCommand(ingest, h)
}

func runIngest(cmd *cobra.Command, args []string) error {
	ctx := ctxOf(cmd)
	st, err := openStore(cmd)
	if err != nil {
		return err
	}
	defer st.Close()
	snap, err := compileSnapshot(ctx, cmd, st, os.Stderr)
	if err != nil {
		return err
	}
	dir, _ := dataDir(cmd)
	mem, err := memory.Open(dir)
	if err != nil {
		return err
	}
	defer mem.Close()
	wasEmpty := mem.Stats().Events == 0
	looks, err := lookalikeDetector(cmd)
	if err != nil {
		return err
	}
	out := match.NewWriter(os.Stdout)
	rec := sighting.NewRecorder()
	found := sighting.NewDetections()
	alerts, err := newAlertRecorder(cmd, st)
	if err != nil {
		return err
	}
	bar := newProgress("ingesting")
	stats, err := hunt.Ingest(ctx, mem, snap, args, hunt.IngestOptions{Warn: os.Stderr,
		OnEvent: func(ev *event.Event) error {
			las := looks.Alerts(ev)
			found.AddLookalikeAlerts(looks, ev, las)
			for _, la := range las {
				if err := alerts.live(&la); err != nil {
					return err
				}
				if err := out.Write(&la); err != nil {
					return err
				}
			}
			return nil
		},
		OnHit: func(ev *event.Event, h match.Hit) error {
			a := snap.Alert(ev, h)
			rec.Add(a.IndicatorIDs, a.Sensor, a.Where, a.Host, a.Time)
			if err := alerts.live(&a); err != nil {
				return err
			}
			return out.Write(&a)
		}})
	bar.done()
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if ferr := alerts.flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	n, err := recordSightings(cmd, st, rec, strings.Join(args, " "))
	if err != nil {
		return err
	}
	if err := recordDetections(ctx, st, found, strings.Join(args, " "), os.Stderr); err != nil {
		return err
	}
	if wasEmpty {
		// All history is what was just matched against every active
		// indicator: a later retro-hunt need only look for newer intel.
		inds, err := activeIndicators(ctx, cmd, st, io.Discard)
		if err != nil {
			return err
		}
		hunted, err := hunt.LoadHunted(dir)
		if err != nil {
			return err
		}
		if err := hunted.Save(dir, inds); err != nil {
			return err
		}
	}
	ms := mem.Stats()
	fmt.Fprintf(os.Stderr, "stored %d events from %d inputs (%d unchanged inputs skipped, %d events already stored), %d alerts, %d sightings; the memory holds %d events in %d segments, %.1f bytes/event\n",
		stats.Events, stats.Inputs, stats.Skipped, stats.Resumed, stats.Hits, n, ms.Events, ms.Segments, ms.BytesPerEvent)
	if stats.Bad > 0 {
		fmt.Fprintf(os.Stderr, "%d bad records were skipped\n", stats.Bad)
	}
	return nil
}

func recordSightings(cmd *cobra.Command, st interface {
	knowledge.Store
}, rec *sighting.Recorder, path string) (int, error) {
	objs, err := rec.Objects()
	if err != nil || len(objs) == 0 {
		return 0, err
	}
	_, err = st.Import(ctxOf(cmd), knowledge.ImportInfo{Source: sighting.Source, Path: path}, func(put func(stix.Object) error) error {
		for _, o := range objs {
			if err := put(o); err != nil {
				return err
			}
		}
		return nil
	})
	return len(objs), err
}

func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := memory.ParseAge(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q: want an age like 90d or an RFC 3339 time", s)
	}
	return now.Add(-d), nil
}

func runHunt(cmd *cobra.Command, args []string) error {
	ctx := ctxOf(cmd)
	since, _ := cmd.Flags().GetString("since")
	until, _ := cmd.Flags().GetString("until")
	only, _ := cmd.Flags().GetString("indicator")
	actor, _ := cmd.Flags().GetString("actor")
	from, err := parseSince(since, time.Now())
	if err != nil {
		return exitCode(2, err)
	}
	var to time.Time
	if until != "" {
		if to, err = time.Parse(time.RFC3339, until); err != nil {
			return exitCode(2, fmt.Errorf("--until %q: want an RFC 3339 time", until))
		}
	}
	st, err := openStore(cmd)
	if err != nil {
		return err
	}
	defer st.Close()
	inds, err := intel.ActiveIndicators(ctx, st, st, intel.Selection{Actor: actor, TLPMax: stix.TLPRed})
	if err != nil {
		return err
	}
	if only != "" {
		t, v, err := indicator.Detect(indicator.Refang(only))
		if err != nil {
			return exitCode(2, err)
		}
		var keep []indicator.Indicator
		for _, ind := range inds {
			if ind.Type == t && ind.Value == v {
				keep = append(keep, ind)
			}
		}
		if len(keep) == 0 {
			keep = []indicator.Indicator{{Type: t, Value: v, Subdomains: t == indicator.Domain}}
		}
		inds = keep
	}
	snap, _ := match.Build(inds, nil)
	var values []string
	for _, ind := range inds {
		values = append(values, ind.Value)
	}
	dir, _ := dataDir(cmd)
	mem, err := memory.Open(dir)
	if err != nil {
		return err
	}
	defer mem.Close()
	bar := newProgress("hunting")
	hits, hs, n, err := huntAndRecord(ctx, cmd, st, mem, snap, hunt.Options{From: from, To: to, Values: values}, "hunt")
	bar.done()
	if err != nil {
		return err
	}
	if only == "" && actor == "" && from.IsZero() && to.IsZero() {
		// The whole history was hunted for every active indicator.
		hunted, err := hunt.LoadHunted(dir)
		if err != nil {
			return err
		}
		if err := hunted.Save(dir, inds); err != nil {
			return err
		}
	}
	if wantJSON(cmd) {
		enc := json.NewEncoder(os.Stdout)
		for _, h := range hits {
			if err := enc.Encode(h); err != nil {
				return err
			}
		}
	} else {
		printHuntSummary(hits)
	}
	fmt.Fprintf(os.Stderr, "hunted %d indicators over %d stored events (%d segments read, %d skipped by time, %d by statistics): %d hits, %d sightings\n",
		len(inds), hs.Decoded, hs.Segments, hs.SkippedTime, hs.SkippedValues, len(hits), n)
	return nil
}

func printHuntSummary(hits []hunt.Hit) { printHuntSummaryTo(os.Stdout, hits) }

func printHuntSummaryTo(w io.Writer, hits []hunt.Hit) {
	type agg struct {
		first, added time.Time
		n            int
		hosts        map[string]bool
	}
	by := map[string]*agg{}
	for _, h := range hits {
		a := by[h.Matched]
		if a == nil {
			a = &agg{first: h.FirstSeen, added: h.IntelAdded, hosts: map[string]bool{}}
			by[h.Matched] = a
		}
		a.n++
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return by[keys[i]].first.Before(by[keys[j]].first) })
	for _, k := range keys {
		a := by[k]
		line := fmt.Sprintf("%-40s %5d hits, first seen %s", k, a.n, a.first.UTC().Format("2006-01-02 15:04"))
		if !a.added.IsZero() {
			if d := a.added.Sub(a.first); d > 0 {
				line += fmt.Sprintf(", %s before it entered our intel", dwell(d))
			}
		}
		fmt.Fprintln(w, line)
	}
}

func dwell(d time.Duration) string {
	days := int(d.Hours() / 24)
	if days >= 2 {
		return fmt.Sprintf("%d days", days)
	}
	return d.Round(time.Minute).String()
}

// retroHunt re-scans the stored history for the active indicators it has
// not been hunted for yet: what `intel import` runs whenever new intel
// changes the snapshot. It reports on w and records sightings.
func retroHunt(cmd *cobra.Command, st huntStore, w io.Writer) error {
	ctx := ctxOf(cmd)
	dir, err := dataDir(cmd)
	if err != nil {
		return err
	}
	if ms, err := memory.ReadStats(dir); err != nil || ms.Events == 0 {
		return nil // no history to hunt
	}
	hunted, err := hunt.LoadHunted(dir)
	if err != nil {
		return err
	}
	inds, err := activeIndicators(ctx, cmd, st, io.Discard)
	if err != nil {
		return err
	}
	fresh := hunted.New(inds)
	if len(fresh) == 0 {
		return nil
	}
	snap, _ := match.Build(fresh, nil)
	values := make([]string, len(fresh))
	for i, ind := range fresh {
		values[i] = ind.Value
	}
	mem, err := memory.Open(dir)
	if err != nil {
		return err
	}
	defer mem.Close()
	hits, hs, n, err := huntAndRecord(ctx, cmd, st, mem, snap, hunt.Options{Values: values}, "retro-hunt")
	if err != nil {
		return err
	}
	if err := hunted.Save(dir, inds); err != nil {
		return err
	}
	fmt.Fprintf(w, "retro-hunt: %d new indicators over %d stored events: %d hits, %d sightings recorded\n", len(fresh), hs.Decoded, len(hits), n)
	printHuntSummaryTo(w, hits)
	return nil
}

// huntStore is what a hunt reads and records into: the knowledge store
// with each object's marking and arrival time.
type huntStore interface {
	knowledge.Store
	TLP(ctx context.Context, id string) (stix.TLP, error)
	Added(ctx context.Context, id string) (time.Time, error)
}

// huntAndRecord runs a hunt (dwell measured against when each indicator
// entered our intel) and records its hits in the alert log and as
// sightings; n is how many sightings were stored.
func huntAndRecord(ctx context.Context, cmd *cobra.Command, st huntStore, mem *memory.Store, snap *match.Snapshot,
	opt hunt.Options, what string) (hits []hunt.Hit, hs hunt.Stats, n int, err error) {
	opt.Added = func(id string) (time.Time, bool) { return intel.EnteredIntel(ctx, st, st, id) }
	if hits, hs, err = hunt.Run(ctx, mem, snap, opt); err != nil {
		return nil, hs, 0, err
	}
	rec := sighting.NewRecorder()
	for _, h := range hits {
		rec.Add(h.IndicatorIDs, h.Sensor, h.Where, h.Host, h.Time)
	}
	if err := recordHuntAlerts(cmd, st, hits); err != nil {
		return nil, hs, 0, err
	}
	n, err = recordSightings(cmd, st, rec, what)
	return hits, hs, n, err
}
