package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/detect/lookalike"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/allowlist"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/sighting"
	"github.com/umbra-cti/umbra/stix"
	"github.com/umbra-cti/umbra/telemetry/event"
)

func init() {
	cmd := &cobra.Command{
		Use:   "match PATH...",
		Short: "Match telemetry against the active intel; alerts as JSON lines on stdout",
		Long: `Decode telemetry (Zeek TSV/JSON logs, Suricata EVE, pcap/pcapng, Entra ID and
Google Workspace sign-in logs; gzip and zstd read transparently; directories
recursively; - for standard input), match every event against the active,
allow-list-filtered indicators, and print one JSON alert per match. The
events are not stored (see umbra ingest); the matches are recorded in the
knowledge store as STIX sightings. A summary goes to standard error.`,
		Example: `  umbra match /opt/zeek/logs/current/
  zcat conn.log.gz | umbra match - | jq -r 'select(.actors[0].name=="Winnti umbrella") | .indicator'`,
		Args: cobra.MinimumNArgs(1),
		RunE: runMatch,
	}
	rootCmd.AddCommand(cmd)
}

// compileSnapshot builds the matcher from the store's active indicators,
// reporting allow-listed and rejected ones on w.
func compileSnapshot(ctx context.Context, cmd *cobra.Command, st interface {
	knowledge.Store
	TLP(ctx context.Context, id string) (stix.TLP, error)
}, w io.Writer) (*match.Snapshot, error) {
	inds, err := activeIndicators(ctx, cmd, st, w)
	if err != nil {
		return nil, err
	}
	snap, rejects := match.Build(inds, nil)
	for i, r := range rejects {
		if i == 10 {
			fmt.Fprintf(w, "... and %d more indicators not compiled\n", len(rejects)-10)
			break
		}
		fmt.Fprintf(w, "indicator not compiled: %v\n", r)
	}
	return snap, nil
}

// activeIndicators are the store's active indicators less the allow-listed
// ones, which are counted on w.
func activeIndicators(ctx context.Context, cmd *cobra.Command, st interface {
	knowledge.Store
	TLP(ctx context.Context, id string) (stix.TLP, error)
}, w io.Writer) ([]indicator.Indicator, error) {
	dir, err := dataDir(cmd)
	if err != nil {
		return nil, err
	}
	allow, bad, err := allowlist.Load(dir)
	if err != nil {
		return nil, err
	}
	for _, b := range bad {
		fmt.Fprintf(w, "allow-list: %s\n", b)
	}
	dropped := map[string]int{}
	inds, err := intel.ActiveIndicators(ctx, st, st, intel.Selection{TLPMax: stix.TLPRed, Allow: allow,
		OnDrop: func(ind indicator.Indicator, list string) { dropped[list]++ }})
	for list, n := range dropped {
		fmt.Fprintf(w, "left out %d allow-listed indicators (%s)\n", n, list)
	}
	return inds, err
}

func runMatch(cmd *cobra.Command, args []string) error {
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
	looksFound := 0
	counts, err := match.Run(ctx, args, snap, match.RunOptions{Warn: os.Stderr, OnHit: func(ev *event.Event, h match.Hit) error {
		a := snap.Alert(ev, h)
		rec.Add(a.IndicatorIDs, a.Sensor, a.Where, a.Host, a.Time)
		if err := alerts.live(&a); err != nil {
			return err
		}
		return out.Write(&a)
	}, OnEvent: func(ev *event.Event) error {
		las := looks.Alerts(ev)
		found.AddLookalikeAlerts(looks, ev, las)
		for _, a := range las {
			looksFound++
			if err := alerts.live(&a); err != nil {
				return err
			}
			if err := out.Write(&a); err != nil {
				return err
			}
		}
		return nil
	}})
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if ferr := alerts.flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	objs, err := rec.Objects()
	if err != nil {
		return err
	}
	if len(objs) > 0 {
		if _, err := st.Import(ctx, knowledge.ImportInfo{Source: sighting.Source, Path: strings.Join(args, " ")}, func(put func(stix.Object) error) error {
			for _, o := range objs {
				if err := put(o); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("recording sightings: %w", err)
		}
	}
	if err := recordDetections(ctx, st, found, strings.Join(args, " "), os.Stderr); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "matched %d events against %d indicators (snapshot %s): %d alerts, %d look-alike domains, %d sightings recorded, %d bad records skipped\n",
		counts.Events, snap.Stats().Indicators, snap.Version(), counts.Hits, looksFound, len(objs), counts.Bad)
	var wh []string
	for w, n := range counts.ByWhere {
		wh = append(wh, fmt.Sprintf("%s=%d", w, n))
	}
	sort.Strings(wh)
	if len(wh) > 0 {
		fmt.Fprintf(os.Stderr, "  by field: %s\n", strings.Join(wh, " "))
	}
	return nil
}

// lookalikeDetector watches the default brands and the user's own; names
// under the user's own domains (search-suffix lookups) are theirs.
func lookalikeDetector(cmd *cobra.Command) (*lookalike.Detector, error) {
	brands, err := userBrands(cmd)
	if err != nil {
		return nil, err
	}
	return lookalike.New(brands, lookalike.Options{Allow: brands})
}
