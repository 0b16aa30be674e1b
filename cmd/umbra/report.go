package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/allowlist"
	"github.com/umbra-cti/umbra/internal/atomicfile"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/report"
	"github.com/umbra-cti/umbra/stix"
)

func init() {
	cmd := &cobra.Command{
		Use:   "report (--actor NAME | --incident ID) -o FILE",
		Short: "Write an HTML or PDF report on an actor or one of our incidents",
		Long: `report writes what a CTI team hands to leadership: key judgements with their
confidence (STIX 0-100 and none/low/medium/high) and the evidence chain behind
each, the actor's names and who uses them, conflicts and umbrella membership,
a timeline, an infrastructure map, ATT&CK techniques and an appendix of
defanged indicators, under the TLP marking of its most restricted content.

The HTML is one self-contained file: inline CSS and SVG, no script, nothing
fetched. PDF renders it through headless Chromium.

An incident is a cluster of our own sightings (intel matches in the network
memory on the same host or of the same value within 72 hours); --list-incidents
prints their ids.`,
		Example: `  umbra report --actor "Winnti umbrella" -o winnti.html
  umbra report --actor apt41 --format pdf -o apt41.pdf --tlp-max green
  umbra report --list-incidents
  umbra report --incident incident--3f1c -o incident.pdf`,
		Args: cobra.NoArgs,
		RunE: runReport,
	}
	f := cmd.Flags()
	f.String("actor", "", "report on this actor or umbrella (any of its names)")
	f.String("incident", "", "report on this incident (its id, or a unique prefix)")
	f.Bool("list-incidents", false, "list the incidents in the network memory and exit")
	f.String("format", "", "html or pdf (default: from the -o file's extension, else html)")
	f.StringP("output", "o", "", "file to write ('-' writes HTML to standard output)")
	f.String("tlp-max", "red", "leave out everything marked above this TLP (clear, green, amber, amber+strict, red)")
	f.String("own-tlp", "amber", "the marking of what comes from our own telemetry (hosts, sightings, incidents)")
	f.StringArray("mmdb", nil, "MaxMind DB file to enrich opsec-slip leads with ASN and country (repeatable)")
	f.String("author", "", "who issues the report (shown in its header)")
	f.String("since", "", "read the network memory from this age (90d, 12h) or RFC 3339 time only")
	f.String("until", "", "read the network memory up to this RFC 3339 time only")
	f.String("chromium", "", "Chromium binary for PDF (default /usr/bin/chromium, else chromium on PATH)")
	f.Duration("timeout", 90*time.Second, "give up on the PDF render after this long")
	rootCmd.AddCommand(cmd)
}

func runReport(cmd *cobra.Command, _ []string) error {
	ctx := ctxOf(cmd)
	fl := cmd.Flags()
	actor, _ := fl.GetString("actor")
	incident, _ := fl.GetString("incident")
	list, _ := fl.GetBool("list-incidents")
	out, _ := fl.GetString("output")
	format, _ := fl.GetString("format")
	if !list {
		if (actor == "") == (incident == "") {
			return exitCode(2, errors.New("report: give --actor NAME or --incident ID"))
		}
		if out == "" {
			return exitCode(2, errors.New("report: give -o FILE"))
		}
	}
	if format == "" {
		format = "html"
		if strings.EqualFold(filepath.Ext(out), ".pdf") {
			format = "pdf"
		}
	}
	format = strings.ToLower(format)
	if format != "html" && format != "pdf" {
		return exitCode(2, fmt.Errorf("report: --format %q: want html or pdf", format))
	}
	if format == "pdf" && out == "-" {
		return exitCode(2, errors.New("report: a PDF needs a file: give -o FILE.pdf"))
	}
	tlpMax, err := tlpFlag(cmd, "tlp-max")
	if err != nil {
		return err
	}
	ownTLP, err := tlpFlag(cmd, "own-tlp")
	if err != nil {
		return err
	}
	if format == "pdf" {
		// Fail before the work when the renderer is missing.
		bin, _ := fl.GetString("chromium")
		if _, err := report.FindChromium(bin); err != nil {
			return err
		}
	}
	db, err := openGeo(cmd)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := openStore(cmd)
	if err != nil {
		return err
	}
	defer st.Close()
	obs, err := observe(ctx, cmd, st, tlpMax)
	if err != nil {
		return err
	}
	if list {
		return listIncidents(ctx, cmd.OutOrStdout(), st, obs)
	}
	author, _ := fl.GetString("author")
	r, err := report.Build(ctx, st, report.Options{Actor: actor, Incident: incident, TLPMax: tlpMax, OwnTLP: &ownTLP,
		Observed: obs, Geo: db, Author: author})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, r); err != nil {
		return err
	}
	switch {
	case out == "-":
		_, err = cmd.OutOrStdout().Write(buf.Bytes())
	case format == "html":
		err = atomicfile.Write(out, buf.Bytes(), 0o644)
	default:
		bin, _ := fl.GetString("chromium")
		timeout, _ := fl.GetDuration("timeout")
		err = report.PDF(ctx, buf.Bytes(), out, report.PDFOptions{Chromium: bin, Timeout: timeout})
	}
	if err != nil {
		return err
	}
	if out != "-" {
		fmt.Fprintf(os.Stderr, "wrote %s (%s, TLP:%s, %d judgements, %d indicators)\n", out, format,
			strings.ToUpper(r.TLP.String()), len(r.Judgements), len(r.Indicators))
	}
	return nil
}

func tlpFlag(cmd *cobra.Command, name string) (stix.TLP, error) {
	s, _ := cmd.Flags().GetString(name)
	t, err := stix.ParseTLP(s)
	if err != nil {
		return t, exitCode(2, fmt.Errorf("--%s: %w", name, err))
	}
	return t, nil
}

// observe scans the network memory with the intel at or below tlpMax;
// nil when nothing is stored.
func observe(ctx context.Context, cmd *cobra.Command, st *sqlite.Store, tlpMax stix.TLP) (*report.Observed, error) {
	since, _ := cmd.Flags().GetString("since")
	until, _ := cmd.Flags().GetString("until")
	from, err := parseSince(since, time.Now())
	if err != nil {
		return nil, exitCode(2, err)
	}
	var to time.Time
	if until != "" {
		if to, err = time.Parse(time.RFC3339, until); err != nil {
			return nil, exitCode(2, fmt.Errorf("--until %q: want an RFC 3339 time", until))
		}
	}
	dir, err := dataDir(cmd)
	if err != nil {
		return nil, err
	}
	if ms, err := memory.ReadStats(dir); err != nil || ms.Events == 0 {
		return nil, nil
	}
	mem, err := memory.Open(dir)
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	allow, bad, err := allowlist.Load(dir)
	if err != nil {
		return nil, err
	}
	for _, b := range bad {
		fmt.Fprintf(os.Stderr, "allow-list: %s\n", b)
	}
	inds, err := intel.ActiveIndicators(ctx, st, st, intel.Selection{TLPMax: tlpMax, Allow: allow})
	if err != nil {
		return nil, err
	}
	snap, _ := match.Build(inds, nil)
	return report.Observe(ctx, mem, snap, from, to)
}

func listIncidents(ctx context.Context, w io.Writer, st report.Store, obs *report.Observed) error {
	incs, err := report.Incidents(ctx, st, obs)
	if err != nil {
		return err
	}
	if len(incs) == 0 {
		fmt.Fprintln(w, "no incidents: no intel matched the stored telemetry")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFIRST\tLAST\tVALUES\tNAME")
	for _, n := range incs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", n.ID, n.First.UTC().Format("2006-01-02 15:04"), n.Last.UTC().Format("2006-01-02 15:04"),
			len(n.Observables), n.Name)
	}
	return tw.Flush()
}
