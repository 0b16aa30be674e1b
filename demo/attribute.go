package demo

import (
	"context"
	"fmt"
	"io"
	"sort"
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
	// Opsec slips are sightings too: on the host or account they reached,
	// they join the incident there and count for the actor.
	leads := attribution.Slips(in, m.Sessions, db)
	incidents, _ := attribution.Incidents(append(append([]attribution.Sighting(nil), m.Seen...), attribution.LeadSightings(leads)...), 0)
	res := attribution.Run(in, incidents, attribution.Options{Geo: db})
	var incs []*attribution.Attribution
	for i := range res.Attributions {
		a := &res.Attributions[i]
		if a.Subject.Type == attribution.Incident && len(a.Candidates) > 0 {
			incs = append(incs, a)
		}
	}
	sort.SliceStable(incs, func(i, j int) bool { return incs[i].Candidates[0].Confidence > incs[j].Candidates[0].Confidence })
	fmt.Fprintf(w, "[5] attribution: %d incidents from %d sightings and %d opsec-slip leads\n", len(incidents), len(m.Seen), len(leads))
	for i, a := range incs {
		if i == 3 {
			fmt.Fprintf(w, "    ... and %d more incidents\n", len(incs)-3)
			break
		}
		c := a.Candidates[0]
		label, shown := "strongest", 4
		if i > 0 {
			label, shown = "also", 2
		}
		fmt.Fprintf(w, "    %s: %s -> %s, confidence %d (%s)\n", label, a.Subject.Name, c.Actor, c.Confidence, c.ConfidenceWords)
		for k, e := range c.Evidence {
			if k < shown || e.Kind == attribution.KindOpsecSlip {
				fmt.Fprintf(w, "      %s %s (%s, weight %.2f)\n", e.Kind, e.Value, e.Source, e.Weight)
			}
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
