package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/attribution"
	"github.com/umbra-cti/umbra/attribution/geo"
	"github.com/umbra-cti/umbra/internal/atomicfile"
	"github.com/umbra-cti/umbra/knowledge"
)

func init() {
	cmd := &cobra.Command{
		Use:   "attribute",
		Short: "Cluster actors, reports and incidents into umbrellas and rank who is behind each",
		Long: `attribute builds the overlap graph of the knowledge store (intrusion sets, campaigns,
reports) from shared infrastructure, WHOIS registrants, certificates, hashes, C2 naming
patterns, techniques, victims and time; weighs each value by how specific it is; clusters
the graph into umbrellas; and ranks candidate actors for every report, campaign and incident
(stored sightings of the same host or value, close in time) with a
STIX confidence (0-100, low/medium/high) and the evidence behind it. With --sessions it also
reports opsec slips: sessions that reached a target directly from an actor's operator netblock;
a slip also counts as a sighting on the host or account it reached.

Copies of one group (the built-in KB's, a MISP galaxy's, ATT&CK's) are scored as one when
their name claims agree, without merging anything in the store; the evidence lists each copy
as "same-group" with the claims that folded it. The clustering is kept in the data dir
(attribution-state.json) so the next run re-clusters only the parts of the graph that changed;
the result is the same as clustering everything again.`,
		Example: `  umbra attribute
  umbra attribute --json --mmdb GeoLite2-ASN.mmdb --mmdb GeoLite2-Country.mmdb
  umbra attribute --sessions signins.csv --operator-netblock '221.216.0.0/13=Winnti umbrella'
  umbra attribute --write   # store the attributions as derived relationships`,
		Args: cobra.NoArgs,
		RunE: runAttribute,
	}
	jsonFlag(cmd)
	cmd.Flags().StringArray("mmdb", nil, "MaxMind DB file for ASN, organisation and country (repeatable)")
	cmd.Flags().StringArray("allow", nil, "allow-list file of values that carry no weight (repeatable; adds to the built-in list)")
	cmd.Flags().String("sessions", "", "CSV of sessions (time,source,target) to search for opsec slips")
	cmd.Flags().StringArray("operator-netblock", nil, "CIDR=ACTOR: a netblock of an actor's operators (repeatable)")
	cmd.Flags().Duration("incident-window", attribution.IncidentWindow, "sightings on one host, or of one value, this close in time are one incident")
	cmd.Flags().Int("min-confidence", 1, "leave out candidates below this confidence")
	cmd.Flags().Bool("write", false, "store attributions of medium confidence or more (or --min-confidence if higher) as derived relationships, revoking those of earlier runs")
	rootCmd.AddCommand(cmd)
}

func runAttribute(cmd *cobra.Command, _ []string) error {
	ctx := ctxOf(cmd)
	minConf, _ := cmd.Flags().GetInt("min-confidence")
	allow := attribution.DefaultAllowList()
	files, _ := cmd.Flags().GetStringArray("allow")
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			return exitCode(2, err)
		}
		err = allow.Read(f, p)
		f.Close()
		if err != nil {
			return exitCode(2, err)
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
	in, err := attribution.Load(ctx, st)
	if err != nil {
		return err
	}
	nbs, _ := cmd.Flags().GetStringArray("operator-netblock")
	for _, s := range nbs {
		cidr, actor, ok := strings.Cut(s, "=")
		p, perr := netip.ParsePrefix(strings.TrimSpace(cidr))
		if !ok || perr != nil {
			return exitCode(2, fmt.Errorf("--operator-netblock %q: want CIDR=ACTOR", s))
		}
		a, err := knowledge.ResolveActor(ctx, st, strings.TrimSpace(actor))
		if err != nil {
			return exitCode(2, fmt.Errorf("--operator-netblock %q: %w", s, err))
		}
		in.Netblocks = append(in.Netblocks, attribution.Netblock{Prefix: p.Masked(), Actor: a.IDs[0], ActorName: a.Name, Source: "command line"})
	}
	// Our own sightings (the matcher's, and the detectors': look-alike
	// domains, sign-ins from operator netblocks, stolen signing
	// certificates) become incidents, each attributed like a report.
	seen, skipped, err := attribution.LoadSightings(ctx, st, in)
	if err != nil {
		return err
	}
	leads := []attribution.Lead{}
	if sp, _ := cmd.Flags().GetString("sessions"); sp != "" {
		f, err := os.Open(sp)
		if err != nil {
			return exitCode(2, err)
		}
		sessions, bad := attribution.ReadSessions(f, sp)
		f.Close()
		for _, e := range bad {
			fmt.Fprintln(os.Stderr, "umbra attribute:", e)
		}
		if l := attribution.Slips(in, sessions, db); l != nil {
			leads = l
		}
		// A slip is also a sighting on the host or account it reached.
		seen = append(seen, attribution.LeadSightings(leads)...)
	}
	window, _ := cmd.Flags().GetDuration("incident-window")
	incidents, bad := attribution.Incidents(seen, window)
	if skipped+bad > 0 {
		fmt.Fprintf(os.Stderr, "umbra attribute: %d sightings say nothing comparable (object not held, or no value) and were left out\n", skipped+bad)
	}
	// The previous run's communities, kept in the data dir: components of
	// the graph that did not change keep theirs (the result is the same
	// as clustering everything again).
	dir, err := dataDir(cmd)
	if err != nil {
		return err
	}
	statePath := filepath.Join(dir, "attribution-state.json")
	var prev *attribution.State
	if raw, err := os.ReadFile(statePath); err == nil {
		prev = &attribution.State{}
		if err := json.Unmarshal(raw, prev); err != nil {
			fmt.Fprintf(os.Stderr, "umbra attribute: %s: %v; clustering everything\n", statePath, err)
			prev = nil
		}
	}
	res := attribution.Run(in, incidents, attribution.Options{Allow: allow, Geo: db, MinConfidence: minConf, Previous: prev})
	res.Leads = leads
	if err := saveState(statePath, res.State); err != nil {
		fmt.Fprintf(os.Stderr, "umbra attribute: keeping the clustering for the next run: %v\n", err)
	}
	fmt.Fprintf(os.Stderr, "umbra attribute: %d nodes, %d incidents; %d nodes clustered again\n", len(in.Nodes)+len(incidents), len(incidents), res.State.Reclustered)
	if w, _ := cmd.Flags().GetBool("write"); w {
		sum, err := attribution.WriteBack(ctx, st, res, max(minConf, 30), time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "umbra attribute: %d derived relationships written, %d revoked\n", sum.Written, sum.Revoked)
	}
	out := cmd.OutOrStdout()
	if wantJSON(cmd) {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return writeAttributionText(out, res)
}

// saveState writes the clustering state atomically: a run killed midway
// leaves the previous state, never half of one.
func saveState(path string, st *attribution.State) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, raw, 0o644)
}

func writeAttributionText(w io.Writer, res *attribution.Result) error {
	ev := func(e attribution.Evidence) string {
		s := fmt.Sprintf("%s %s (weight %.3f", e.Kind, e.Value, e.Weight)
		if e.Source != "" {
			s += ", " + e.Source
		}
		return s + ")"
	}
	fmt.Fprintf(w, "Umbrellas (%d)\n", len(res.Umbrellas))
	for _, u := range res.Umbrellas {
		fmt.Fprintf(w, "\n  %s — confidence %d (%s), %d members\n", u.Name, u.Confidence, knowledge.ConfidenceWords(u.Confidence), len(u.Members))
		for _, m := range u.Members {
			fmt.Fprintf(w, "    %s\n", m)
		}
		for i, e := range u.Evidence {
			if i == 3 {
				break
			}
			fmt.Fprintf(w, "    evidence: %s\n", ev(e))
		}
	}
	fmt.Fprintf(w, "\nAttributions (%d)\n", len(res.Attributions))
	for _, a := range res.Attributions {
		fmt.Fprintf(w, "\n  %s %s\n", a.Subject.Type, a.Subject.Name)
		for _, c := range a.Candidates {
			fmt.Fprintf(w, "    %-30s %3d %s\n", c.Actor, c.Confidence, c.ConfidenceWords)
			for i, e := range c.Evidence {
				if i == 3 {
					break
				}
				fmt.Fprintf(w, "      %s\n", ev(e))
			}
		}
	}
	if len(res.Leads) > 0 {
		fmt.Fprintf(w, "\nOpsec-slip leads (%d)\n", len(res.Leads))
		for _, l := range res.Leads {
			fmt.Fprintf(w, "\n  %s %s -> %s  %s (AS%d %s, %s) in %s: %d %s\n", l.Time.Format(time.RFC3339), l.Source, l.Target,
				l.Actor, l.ASN, l.Org, l.Country, l.Netblock, l.Confidence, l.ConfidenceWords)
			for _, e := range l.Evidence {
				fmt.Fprintf(w, "      %s\n", ev(e))
			}
		}
	}
	return nil
}

// openGeo opens the --mmdb files of cmd, or returns nil (a usable "no
// enrichment" DB: Close and lookups on nil are no-ops) when none are given.
func openGeo(cmd *cobra.Command) (*geo.DB, error) {
	mmdbs, _ := cmd.Flags().GetStringArray("mmdb")
	if len(mmdbs) == 0 {
		return nil, nil
	}
	db, err := geo.Open(mmdbs...)
	if err != nil {
		return nil, exitCode(2, err)
	}
	return db, nil
}
