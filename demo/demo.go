// Package demo runs umbra's pipeline end to end on a data dir and narrates
// what it finds: it loads the knowledge base, simulates a studio with a
// Winnti umbrella intrusion, imports the first intel feed, matches the
// telemetry and scores the alerts against the scenario's ground truth.
package demo

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/kb"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/simulate"
)

// Options configure a demo run.
type Options struct {
	DataDir string
}

// Run executes the demo, writing its narration to w.
func Run(ctx context.Context, w io.Writer, opt Options) error {
	start := time.Now()
	fmt.Fprintf(w, "umbra demo: a game studio, a Winnti umbrella intrusion, and what umbra finds\n")
	fmt.Fprintf(w, "data dir: %s\n\n", opt.DataDir)
	st, err := sqlite.Open(opt.DataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := kb.Ensure(ctx, st, st); err != nil {
		return err
	}
	stats, err := st.Stats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "[1] knowledge base: %d objects, %d intrusion sets, the Winnti umbrella and its names (%s)\n",
		stats.Objects, stats.ByType["intrusion-set"], since(start))

	scen := filepath.Join(opt.DataDir, "scenario")
	sum, err := simulate.Generate(ctx, simulate.Options{Out: scen, Hosts: 50, Days: 7, Seed: 2018})
	if err != nil {
		return fmt.Errorf("simulating: %w", err)
	}
	fmt.Fprintf(w, "[2] simulated %d hosts over %d days from %s: %d Zeek records, %d cloud sign-ins; %d of them malicious (%s)\n",
		sum.Hosts, sum.Days, sum.Start.Format("2006-01-02"), sum.Conn+sum.DNS+sum.HTTP+sum.SSL+sum.X509+sum.Files, sum.SignIns, sum.Truth, since(start))

	res, err := intel.Import(ctx, st, filepath.Join(scen, "intel", "initial.stix.json"), intel.Options{
		Source: "initial-feed", Actor: kb.UmbrellaName, Confidence: 70, Report: "Initial report on the intrusion"})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "[3] imported the first intel feed (published mid-intrusion): %d indicators, attributed to the %s (%s)\n",
		res.ByType["indicator"], kb.UmbrellaName, since(start))

	org, err := simulate.NewOrg(sum.Hosts)
	if err != nil {
		return err
	}
	mem, err := memory.Open(opt.DataDir)
	if err != nil {
		return err
	}
	defer mem.Close()
	// The studio's own domain is a brand to protect, and names under it
	// (DNS search-suffix lookups such as login.microsoftonline.com.corp.<it>)
	// are its own, not look-alikes.
	telemetry := []string{filepath.Join(scen, "zeek"), filepath.Join(scen, "signin")}
	m, err := Ingest(ctx, st, mem, telemetry, org.Domain)
	if err != nil {
		return err
	}
	truth := filepath.Join(scen, "truth.jsonl")
	score, err := Score(truth, m)
	if err != nil {
		return err
	}
	ms := mem.Stats()
	fmt.Fprintf(w, "[4] ingested %d events into the network memory (%.1f bytes/event) and matched them: %d intel alerts, %d look-alike domains, %d sightings (%s)\n",
		m.Events, ms.BytesPerEvent, m.IntelAlerts, m.Lookalikes, m.Sightings, since(start))
	writeCounts(w, "    by actor", m.ByActor)
	writeCounts(w, "    by field", m.ByWhere)
	writeCounts(w, "    look-alikes", m.LookalikeNames)
	fmt.Fprintf(w, "    against the scenario's ground truth: precision %.3f, recall %.3f of %d malicious records\n",
		score.Precision, score.Recall, score.Truth)
	fmt.Fprintf(w, "    not found yet: %s (the first feed knew only part of the infrastructure)\n", missedKinds(score))

	if err := Attribute(ctx, w, st, m, filepath.Join(scen, "geo.mmdb")); err != nil {
		return err
	}
	fmt.Fprintf(w, "    (%s)\n", since(start))

	if err := Retro(ctx, w, st, mem, filepath.Join(scen, "intel", "later.stix.json"), truth, m); err != nil {
		return err
	}
	fmt.Fprintf(w, "    (%s)\n\n", since(start))

	u, err := knowledge.ResolveActor(ctx, st, kb.UmbrellaName)
	if err != nil {
		return err
	}
	if err := Overview(ctx, w, st, u); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nDone in %s: built the knowledge base, simulated an intrusion, imported the first feed, stored and matched the telemetry, attributed it, and re-hunted the history when the later feed arrived.\n", since(start))
	fmt.Fprintf(w, "Next:\n")
	fmt.Fprintf(w, "  umbra --data %s match %s/zeek | head        (the alerts as JSON lines)\n", opt.DataDir, scen)
	fmt.Fprintf(w, "  umbra --data %s hunt --json | head          (retro hits with first_seen, intel_added, dwell_seconds)\n", opt.DataDir)
	fmt.Fprintf(w, "  umbra --data %s attribute\n", opt.DataDir)
	fmt.Fprintf(w, "  umbra --data %s memory stats\n", opt.DataDir)
	fmt.Fprintf(w, "  umbra --data %s actor show \"wicked panda\"\n", opt.DataDir)
	fmt.Fprintf(w, "  umbra --data %s intel lookup %s\n", opt.DataDir, firstIndicator(m))
	fmt.Fprintf(w, "  umbra --data %s pe scan %s/pe\n", opt.DataDir, scen)
	fmt.Fprintf(w, "  umbra --data %s hunt talked-to %s          (every host that contacted it)\n", opt.DataDir, firstIndicator(m))
	fmt.Fprintf(w, "  umbra --data %s report --actor \"Winnti umbrella\" -o winnti.html   (or .pdf through headless Chromium)\n", opt.DataDir)
	fmt.Fprintf(w, "  umbra demo --serve                           (this story in the web UI, REST API and TAXII 2.1)\n")
	return nil
}

func since(t time.Time) string { return time.Since(t).Round(10 * time.Millisecond).String() }

func writeCounts(w io.Writer, title string, m map[string]int) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for i, k := range keys {
		if i == 8 {
			parts = append(parts, fmt.Sprintf("... %d more", len(keys)-8))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	fmt.Fprintf(w, "%s: %s\n", title, strings.Join(parts, ", "))
}

func missedKinds(s ScoreResult) string {
	if len(s.MissedByKind) == 0 {
		return "nothing"
	}
	var parts []string
	for k, n := range s.MissedByKind {
		parts = append(parts, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func firstIndicator(m *MatchResult) string {
	best, n := "", 0
	for v, c := range m.ByIndicator {
		if c > n || c == n && v < best {
			best, n = v, c
		}
	}
	if best == "" {
		return "221.216.0.1"
	}
	return best
}

// Overview prints an umbrella: its confidence, members with their names
// and who coined them, techniques, targets and conflicts.
func Overview(ctx context.Context, w io.Writer, st knowledge.Store, u *knowledge.Actor) error {
	fmt.Fprintf(w, "%s  (umbrella, confidence %d: %s)", u.Name, u.Confidence, u.ConfidenceWords)
	if u.FirstSeen != "" {
		fmt.Fprintf(w, ", active since %s", u.FirstSeen[:4])
	}
	fmt.Fprintf(w, "\n  members, with the names each vendor gave them:\n")
	members := append([]knowledge.Link(nil), u.Members...)
	sort.Slice(members, func(i, j int) bool {
		if members[i].Confidence != members[j].Confidence {
			return members[i].Confidence > members[j].Confidence
		}
		return members[i].Name < members[j].Name
	})
	var conflicts []string
	for _, m := range members {
		a, err := knowledge.ResolveActor(ctx, st, m.Name)
		if err != nil {
			return err
		}
		var names []string
		for _, al := range a.Aliases {
			if al.Kind == knowledge.ClaimAlias {
				var who []string
				for _, u := range al.Users {
					if u.Until == "" {
						who = append(who, u.Source)
					}
				}
				if len(who) > 0 {
					names = append(names, fmt.Sprintf("%s (%s)", al.Name, strings.Join(who, ", ")))
				}
			}
		}
		fmt.Fprintf(w, "    %-13s membership %d (%s)\n", m.Name, m.Confidence, m.ConfidenceWords)
		if len(names) > 0 {
			fmt.Fprintf(w, "      aka %s\n", strings.Join(names, "; "))
		}
		for _, c := range a.Conflicts {
			var sides []string
			for _, cl := range c.Claims {
				sides = append(sides, cl.Actor+" per "+strings.Join(cl.Sources, ", "))
			}
			conflicts = append(conflicts, fmt.Sprintf("%q: %s", c.Name, strings.Join(sides, " | ")))
		}
	}
	if len(u.Techniques) > 0 {
		fmt.Fprintf(w, "  techniques:\n")
		for _, t := range u.Techniques {
			fmt.Fprintf(w, "    %-10s %s\n", t.ExternalID, t.Name)
		}
	}
	if len(u.Targets) > 0 {
		var ts []string
		for _, t := range u.Targets {
			ts = append(ts, t.Name)
		}
		fmt.Fprintf(w, "  targets: %s\n", strings.Join(ts, "; "))
	}
	fmt.Fprintf(w, "  operator netblock: %s (China Unicom Beijing, Xicheng District): direct sessions from it are opsec slips\n", kb.OperatorNetblock)
	if len(conflicts) > 0 {
		sort.Strings(conflicts)
		fmt.Fprintf(w, "  conflicts kept, not merged:\n")
		for _, c := range dedupe(conflicts) {
			fmt.Fprintf(w, "    %s\n", c)
		}
	}
	return nil
}

func dedupe(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
