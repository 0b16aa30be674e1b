package demo

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/umbra-cti/umbra/attribution"
	"github.com/umbra-cti/umbra/attribution/geo"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
)

// Attribute groups the demo's sightings into incidents, ranks candidate
// actors for each with their evidence, and looks for opsec slips in the
// inbound sessions, printing the strongest results.
func Attribute(ctx context.Context, w io.Writer, st *sqlite.Store, m *MatchResult, mmdb string) error {
	in, err := attribution.Load(ctx, st)
	if err != nil {
		return err
	}
	db, err := geo.Open(mmdb)
	if err != nil {
		return err
	}
	incidents, _ := attribution.Incidents(m.Seen, 0)
	res := attribution.Run(in, incidents, attribution.Options{Geo: db})
	leads := attribution.Slips(in, m.Sessions, db)
	var best *attribution.Attribution
	bestConf := -1
	n := 0
	for i := range res.Attributions {
		a := &res.Attributions[i]
		if string(a.Subject.Type) != "incident" || len(a.Candidates) == 0 {
			continue
		}
		n++
		if a.Candidates[0].Confidence > bestConf {
			best, bestConf = a, a.Candidates[0].Confidence
		}
	}
	fmt.Fprintf(w, "[5] attribution: %d incidents from %d sightings; %d opsec-slip leads\n", len(incidents), len(m.Seen), len(leads))
	if best != nil {
		c := best.Candidates[0]
		fmt.Fprintf(w, "    strongest: %s -> %s, confidence %d (%s)\n", best.Subject.Name, c.Actor, c.Confidence, c.ConfidenceWords)
		for i, e := range c.Evidence {
			if i == 4 {
				break
			}
			fmt.Fprintf(w, "      %s %s (%s, weight %.2f)\n", e.Kind, e.Value, e.Source, e.Weight)
		}
	}
	if len(leads) > 0 {
		l := leads[0]
		for _, x := range leads {
			if x.Confidence > l.Confidence {
				l = x
			}
		}
		var ev []string
		for _, e := range l.Evidence {
			ev = append(ev, e.Kind)
		}
		fmt.Fprintf(w, "    opsec slip: %s (%s, AS%d %s, %s) reached %s directly, %d sessions: %s, confidence %d (%s) [%s]\n",
			l.Source, l.Netblock, l.ASN, l.Org, l.Country, l.Target, l.Sessions, l.Actor, l.Confidence, l.ConfidenceWords, strings.Join(ev, ", "))
	}
	return nil
}
