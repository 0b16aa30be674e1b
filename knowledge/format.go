package knowledge

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText prints the actor view for a terminal: canonical name, every
// alias with who uses it, umbrella membership, relations, techniques,
// targets and conflicts.
func (a *Actor) WriteText(w io.Writer) error {
	kind := "intrusion set"
	if a.Umbrella {
		kind = "umbrella"
	}
	fmt.Fprintf(w, "%s  (%s; sources: %s)\n", a.Name, kind, strings.Join(a.Sources, ", "))
	if a.ResolvedFrom != "" {
		fmt.Fprintf(w, "  resolved from the alias %q\n", a.ResolvedFrom)
	}
	if a.Confidence > 0 {
		fmt.Fprintf(w, "  confidence: %d (%s)\n", a.Confidence, a.ConfidenceWords)
	}
	if a.FirstSeen != "" {
		fmt.Fprintf(w, "  active since: %s\n", a.FirstSeen[:min(10, len(a.FirstSeen))])
	}
	if a.Description != "" {
		fmt.Fprintf(w, "\n%s\n", wrap(a.Description, 96, "  "))
	}
	fmt.Fprintf(w, "\nNames, and who uses them:\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, al := range a.Aliases {
		var users []string
		for _, u := range al.Users {
			s := u.Source
			if u.Since != "" {
				s += " since " + u.Since
			}
			if u.Until != "" {
				s += " until " + u.Until
			}
			if u.Note != "" {
				s += " (" + u.Note + ")"
			}
			users = append(users, s)
		}
		label := al.Name
		if al.Kind == ClaimExternalID {
			label += " [id]"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", label, strings.Join(users, "; "))
	}
	tw.Flush()
	section := func(title string, links []Link) {
		if len(links) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s:\n", title)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, l := range links {
			name := l.Name
			if l.ExternalID != "" {
				name = l.ExternalID + " " + name
			}
			conf := ""
			if l.Confidence > 0 {
				conf = fmt.Sprintf("confidence %d (%s)", l.Confidence, l.ConfidenceWords)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t[%s]\n", name, l.Relation, conf, strings.Join(l.Sources, ", "))
		}
		tw.Flush()
	}
	section("Umbrellas", a.Umbrellas)
	section("Members", a.Members)
	section("Related", a.Related)
	section("Techniques", a.Techniques)
	section("Targets", a.Targets)
	if len(a.Evidence) > 0 {
		fmt.Fprintf(w, "\nEvidence pointing at %s:\n", a.Name)
		for _, e := range a.Evidence {
			what := "indicators indicate it"
			if e.Kind == "attributed-to" {
				what = "reports, campaigns or incidents are attributed to it"
			}
			fmt.Fprintf(w, "  %d %s (up to confidence %d; sources: %s)\n", e.Count, what, e.MaxConf, strings.Join(e.Sources, ", "))
			if len(e.Examples) > 0 {
				fmt.Fprintf(w, "    e.g. %s\n", strings.Join(e.Examples, "; "))
			}
		}
	}
	if len(a.Conflicts) > 0 {
		fmt.Fprintf(w, "\nConflicts (sources disagree; nothing was merged):\n")
		for _, c := range a.Conflicts {
			var sides []string
			for _, cl := range c.Claims {
				how := "an alias of"
				switch cl.Kind {
				case ClaimName:
					how = "the name of"
				case ClaimExternalID:
					how = "the id of"
				}
				sides = append(sides, fmt.Sprintf("%s %s per %s", how, cl.Actor, strings.Join(cl.Sources, ", ")))
			}
			fmt.Fprintf(w, "  %q is %s\n", c.Name, strings.Join(sides, "; "))
		}
	}
	return nil
}

func wrap(s string, width int, indent string) string {
	var b strings.Builder
	line := 0
	b.WriteString(indent)
	for i, word := range strings.Fields(s) {
		if i > 0 && line+1+len(word) > width {
			b.WriteString("\n" + indent)
			line = 0
		} else if i > 0 {
			b.WriteByte(' ')
			line++
		}
		b.WriteString(word)
		line += len(word)
	}
	return b.String()
}
