package main

import (
	"context"
	"errors"
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
	"github.com/umbra-cti/umbra/telemetry/source"
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
	if err != nil {
		return nil, err
	}
	snap, rejects := match.Build(inds, nil)
	for list, n := range dropped {
		fmt.Fprintf(w, "left out %d allow-listed indicators (%s)\n", n, list)
	}
	for i, r := range rejects {
		if i == 10 {
			fmt.Fprintf(w, "... and %d more indicators not compiled\n", len(rejects)-10)
			break
		}
		fmt.Fprintf(w, "indicator not compiled: %v\n", r)
	}
	return snap, nil
}

// matchCounts summarises a run.
type matchCounts struct {
	events, alerts, bad int64
	byWhere             map[string]int64
	byActor             map[string]int64
}

// matchInputs decodes every input and calls hit for each match.
func matchInputs(ctx context.Context, paths []string, snap *match.Snapshot, warn io.Writer, hit func(ev *event.Event, h match.Hit) error, each func(ev *event.Event) error) (matchCounts, error) {
	c := matchCounts{byWhere: map[string]int64{}, byActor: map[string]int64{}}
	var ev event.Event
	var hits []match.Hit
	for _, p := range paths {
		inputs, err := source.Open(p)
		if err != nil {
			return c, err
		}
		for _, in := range inputs {
			st, err := in.Open()
			if err != nil {
				fmt.Fprintf(warn, "umbra: %v\n", err)
				c.bad++
				continue
			}
			dec, err := st.Decoder()
			if err != nil {
				st.Close()
				fmt.Fprintf(warn, "umbra: %s: %v\n", in.Path, err)
				c.bad++
				continue
			}
			for {
				if err := ctx.Err(); err != nil {
					st.Close()
					return c, err
				}
				err := dec.Next(&ev)
				if err == io.EOF {
					break
				}
				var re *source.RecordError
				if errors.As(err, &re) {
					c.bad++
					if c.bad <= 20 {
						fmt.Fprintf(warn, "skipped: %v\n", re)
					}
					continue
				}
				if err != nil {
					fmt.Fprintf(warn, "umbra: %v\n", err)
					c.bad++
					break
				}
				c.events++
				if each != nil {
					if err := each(&ev); err != nil {
						st.Close()
						return c, err
					}
				}
				hits = snap.MatchAppend(hits[:0], &ev)
				for _, h := range hits {
					c.alerts++
					c.byWhere[h.Where]++
					if err := hit(&ev, h); err != nil {
						st.Close()
						return c, err
					}
				}
			}
			st.Close()
		}
	}
	return c, nil
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
	brands, err := userBrands(cmd)
	if err != nil {
		return err
	}
	looks, err := lookalike.New(brands, lookalike.Options{})
	if err != nil {
		return err
	}
	out := match.NewWriter(os.Stdout)
	rec := sighting.NewRecorder()
	looksFound := 0
	counts, err := matchInputs(ctx, args, snap, os.Stderr, func(ev *event.Event, h match.Hit) error {
		a := snap.Alert(ev, h)
		rec.Add(a.IndicatorIDs, a.Sensor, a.Where, a.Time)
		return out.Write(&a)
	}, func(ev *event.Event) error {
		for _, a := range lookalikeAlerts(looks, ev) {
			looksFound++
			if err := out.Write(&a); err != nil {
				return err
			}
		}
		return nil
	})
	if ferr := out.Flush(); err == nil {
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
	fmt.Fprintf(os.Stderr, "matched %d events against %d indicators (snapshot %s): %d alerts, %d look-alike domains, %d sightings recorded, %d bad records skipped\n",
		counts.events, snap.Stats().Indicators, snap.Version(), counts.alerts, looksFound, len(objs), counts.bad)
	var wh []string
	for w, n := range counts.byWhere {
		wh = append(wh, fmt.Sprintf("%s=%d", w, n))
	}
	sort.Strings(wh)
	if len(wh) > 0 {
		fmt.Fprintf(os.Stderr, "  by field: %s\n", strings.Join(wh, " "))
	}
	return nil
}

// lookalikeAlerts raises an alert for every domain in the event that
// imitates a watched brand, whether or not any feed lists it yet.
func lookalikeAlerts(d *lookalike.Detector, ev *event.Event) []match.Alert {
	var out []match.Alert
	check := func(where, name string) {
		if name == "" {
			return
		}
		for _, a := range out {
			if a.Indicator == name {
				return // one alert per name per event
			}
		}
		f, ok := d.Check(name)
		if !ok {
			return
		}
		out = append(out, match.Alert{Time: ev.Time, UID: ev.UID, Sensor: ev.Sensor, Where: where,
			Indicator: name, IndicatorType: "lookalike-domain", Matched: f.Brand,
			IndicatorIDs: []string{}, Sources: []string{"umbra-lookalike: " + f.Explain()}, Actors: []indicator.Actor{}})
	}
	switch ev.Kind {
	case event.KindDNS:
		check("dns.query", ev.Domain)
	case event.KindTLS:
		check("tls.sni", ev.SNI)
	case event.KindHTTP:
		check("http.host", ev.Host)
	case event.KindX509:
		for _, n := range ev.CertNames {
			check("x509.san", n)
		}
	}
	return out
}
