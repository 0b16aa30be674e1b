// Package demo runs umbra's pipeline end to end on a data dir and narrates
// what it finds. It grows with the pipeline: today it loads the built-in
// knowledge base and presents the Winnti umbrella.
package demo

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/kb"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
)

// Options configure a demo run.
type Options struct {
	DataDir string
}

// Run executes the demo, writing its narration to w.
func Run(ctx context.Context, w io.Writer, opt Options) error {
	start := time.Now()
	fmt.Fprintf(w, "umbra demo: the Winnti umbrella from the built-in knowledge base\n")
	fmt.Fprintf(w, "data dir: %s\n\n", opt.DataDir)
	st, err := sqlite.Open(opt.DataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	loaded, err := kb.Ensure(ctx, st, st)
	if err != nil {
		return err
	}
	stats, err := st.Stats(ctx)
	if err != nil {
		return err
	}
	verb := "already held"
	if loaded {
		verb = "loaded"
	}
	fmt.Fprintf(w, "[1] knowledge base %s: %d objects (%d intrusion sets, %d relationships) in %s\n\n",
		verb, stats.Objects, stats.ByType["intrusion-set"], stats.ByType["relationship"], time.Since(start).Round(time.Millisecond))

	u, err := knowledge.ResolveActor(ctx, st, kb.UmbrellaName)
	if err != nil {
		return err
	}
	if err := Overview(ctx, w, st, u); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nDone in %s: loaded the knowledge base and resolved the umbrella's members and names.\n", time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(w, "Next:\n")
	fmt.Fprintf(w, "  umbra --data %s actor show \"wicked panda\"\n", opt.DataDir)
	fmt.Fprintf(w, "  umbra --data %s intel import ../shared/data/misp-galaxy/clusters/threat-actor.json\n", opt.DataDir)
	fmt.Fprintf(w, "  umbra --data %s actor show APT41      (after the import: the galaxy's view and its conflicts with ATT&CK)\n", opt.DataDir)
	fmt.Fprintf(w, "  umbra --data %s intel export --format stix --actor \"Winnti umbrella\" -o winnti.json\n", opt.DataDir)
	return nil
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
