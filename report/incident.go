package report

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/attribution"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
)

// Incidents lists the incidents a report can be about, oldest first: the
// stored sightings grouped by attribution.Incidents, as `umbra attribute`
// and the API group them, so an incident has one id everywhere. A store
// that holds no sightings yet (telemetry matched with --no-record) falls
// back to the matches observed in the network memory.
func Incidents(ctx context.Context, st Store, obs *Observed) ([]attribution.Node, error) {
	in, err := attribution.Load(ctx, st)
	if err != nil {
		return nil, err
	}
	seen, err := ownSightings(ctx, st, in, obs)
	if err != nil {
		return nil, err
	}
	nodes, _ := attribution.Incidents(seen, 0)
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].First.Before(nodes[j].First) })
	return nodes, nil
}

// ownSightings are the sightings incidents are made of: the stored ones,
// else those of the observed matches.
func ownSightings(ctx context.Context, st knowledge.Store, in *attribution.Input, obs *Observed) ([]attribution.Sighting, error) {
	seen, _, err := attribution.LoadSightings(ctx, st, in)
	if err != nil || len(seen) > 0 || obs == nil {
		return seen, err
	}
	return sightings(obs.Alerts), nil
}

func (b *builder) findIncident() (*attribution.Node, error) {
	want := strings.TrimSpace(b.opt.Incident)
	var hits []*attribution.Node
	var all []*attribution.Node
	for _, n := range b.nodeByID {
		if n.Type != attribution.Incident {
			continue
		}
		all = append(all, n)
		if n.ID == want {
			return n, nil
		}
		if strings.HasPrefix(n.ID, want) || strings.HasPrefix(strings.TrimPrefix(n.ID, "incident--"), want) {
			hits = append(hits, n)
		}
	}
	if len(hits) == 1 {
		return hits[0], nil
	}
	sort.Slice(all, func(i, j int) bool { return all[i].First.Before(all[j].First) })
	var known []string
	for i, n := range all {
		if i == 10 {
			known = append(known, fmt.Sprintf("... and %d more", len(all)-10))
			break
		}
		known = append(known, n.ID+" ("+n.Name+")")
	}
	list := "none: no intel matched the stored telemetry"
	if len(known) > 0 {
		list = strings.Join(known, "; ")
	}
	if len(hits) > 1 {
		return nil, fmt.Errorf("report: incident %q is ambiguous (%d match); incidents: %s", want, len(hits), list)
	}
	return nil, fmt.Errorf("report: no incident %q; incidents: %s", want, list)
}

func (b *builder) incident() error {
	if b.opt.Observed == nil {
		return errors.New("report: an incident report needs the network memory, and none was read")
	}
	if !b.own {
		return fmt.Errorf("report: our own telemetry is marked TLP:%s, above the ceiling TLP:%s: an incident report cannot be written under it",
			strings.ToUpper(b.ownTLP.String()), strings.ToUpper(b.opt.TLPMax.String()))
	}
	inc, err := b.findIncident()
	if err != nil {
		return err
	}
	r := b.r
	r.Kind = "incident"
	r.Title = strings.ToUpper(inc.Name[:1]) + inc.Name[1:]
	r.Subtitle = "Incident report"
	info := &IncidentInfo{ID: inc.ID, Name: inc.Name, First: inc.First, Last: inc.Last, Values: len(inc.Observables)}
	r.Incident = info
	values := map[string]bool{}
	for _, o := range inc.Observables {
		values[o.Type.String()+"\x00"+o.Value] = true
	}
	hosts := map[string]bool{}
	var ids []string
	idSeen := map[string]bool{}
	var mine []Alert
	for _, a := range b.alerts {
		if !values[a.Type+"\x00"+a.Value] || a.Time.Before(inc.First) || a.Time.After(inc.Last) {
			continue
		}
		mine = append(mine, a)
		hosts[a.Host] = true
		for _, id := range a.IndicatorIDs {
			if !idSeen[id] {
				idSeen[id] = true
				ids = append(ids, id)
			}
		}
	}
	info.Alerts = len(mine)
	for h := range hosts {
		info.Hosts = append(info.Hosts, h)
	}
	sort.Strings(info.Hosts)
	sort.Strings(ids)
	if ad, ok := b.raw.(intel.AddedReader); ok {
		for _, id := range ids {
			if t, ok := intel.EnteredIntel(b.ctx, b.st, ad, id); ok && (info.IntelAdded.IsZero() || t.Before(info.IntelAdded)) {
				info.IntelAdded = t
			}
		}
		if !info.IntelAdded.IsZero() && info.IntelAdded.After(info.First) {
			info.Dwell = info.IntelAdded.Sub(info.First)
		}
	}

	var cands []attribution.Candidate
	for _, at := range b.res.Attributions {
		if at.Subject.ID == inc.ID {
			cands = at.Candidates
		}
	}
	for i, c := range cands {
		j := judgement(fmt.Sprintf("The %s was carried out by the %s.", inc.Name, c.Actor), c)
		if i > 0 {
			j.Statement = fmt.Sprintf("Alternative: the %s was carried out by %s.", inc.Name, c.Actor)
			j.Alternative = true
		}
		r.Judgements = append(r.Judgements, j)
		b.use(c.ActorID)
	}
	if len(cands) > 0 {
		a, err := knowledge.ResolveActor(b.ctx, b.st, cands[0].Actor)
		if err != nil && !errors.Is(err, knowledge.ErrNotFound) {
			return err
		}
		if a != nil {
			r.Actor = a
			b.use(a.IDs...)
			if err := b.members(a); err != nil {
				return err
			}
			b.conflicts(a)
			if err := b.techniques(a); err != nil {
				return err
			}
		}
	}
	window := attribution.IncidentWindow
	for _, l := range b.leads {
		if hosts[l.Target] || (!l.Time.Before(inc.First.Add(-window)) && !l.Time.After(inc.Last.Add(window))) {
			r.Leads = append(r.Leads, l)
		}
	}
	r.Judgements = append(r.Judgements, leadJudgements(r.Leads)...)
	byConfidence(r.Judgements)
	if err := b.indicatorRows(ids); err != nil {
		return err
	}
	var ev []Event
	ev = append(ev, Event{Time: inc.First, Precision: "minute", Kind: "seen", Label: "incident begins"},
		Event{Time: inc.Last, Precision: "minute", Kind: "seen", Label: "last activity"})
	ev = append(ev, b.observedEvents(mine)...)
	var times []time.Time
	for _, a := range mine {
		times = append(times, a.Time)
	}
	b.r.Timeline = buildTimeline(ev, times, false)
	b.r.Graph = b.incidentGraph(inc, mine, cands)
	b.incidentSummary(info, cands)
	return nil
}

// observedEvents dates our first and last contact with each indicator
// family, when intel arrived, and the opsec slips.
func (b *builder) observedEvents(alerts []Alert) []Event {
	var ev []Event
	var first, last *Alert
	for i := range alerts {
		a := &alerts[i]
		if !b.shown[a.Type+"\x00"+a.Value] {
			continue
		}
		if first == nil || a.Time.Before(first.Time) {
			first = a
		}
		if last == nil || a.Time.After(last.Time) {
			last = a
		}
	}
	if first != nil {
		ev = append(ev, Event{Time: first.Time, Precision: "minute", Kind: "seen",
			Label: "first contact: " + first.Host + " -> " + indicator.Defang(indicator.ParseType(first.Type), first.Value)})
		if last != first {
			ev = append(ev, Event{Time: last.Time, Precision: "minute", Kind: "seen",
				Label: "last contact: " + last.Host + " -> " + indicator.Defang(indicator.ParseType(last.Type), last.Value)})
		}
	}
	srcs := make([]string, 0, len(b.added))
	for s := range b.added {
		srcs = append(srcs, s)
	}
	sort.Strings(srcs)
	for _, s := range srcs {
		a := b.added[s]
		ev = append(ev, Event{Time: a.at, Precision: "minute", Kind: "intel-added",
			Label: fmt.Sprintf("intel from %s: %s", s, plural(a.n, "indicator", "indicators"))})
	}
	for _, l := range b.r.Leads {
		ev = append(ev, Event{Time: l.Time, Precision: "minute", Kind: "slip",
			Label: "opsec slip: " + indicator.DefangText(l.Source) + " -> " + l.Target})
	}
	return ev
}

func (b *builder) incidentSummary(info *IncidentInfo, cands []attribution.Candidate) {
	var s []string
	s = append(s, fmt.Sprintf("Between %s and %s, %s on our network matched intel %s (%s).",
		info.First.UTC().Format("2006-01-02 15:04"), info.Last.UTC().Format("2006-01-02 15:04 UTC"),
		plural(len(info.Hosts), "host", "hosts"), plural(info.Alerts, "time", "times"), plural(info.Values, "distinct indicator", "distinct indicators")))
	if len(cands) > 0 {
		c := cands[0]
		line := fmt.Sprintf("We attribute it to the %s with %s confidence (%d/100)", c.Actor, c.ConfidenceWords, c.Confidence)
		if len(c.Evidence) > 0 {
			e := c.Evidence[0]
			line += fmt.Sprintf("; the strongest evidence is %s %s (weight %.2f)", e.Kind, e.Value, e.Weight)
		}
		s = append(s, line+".")
		if len(cands) > 1 {
			s = append(s, fmt.Sprintf("The next candidate, %s, scores %d (%s).", cands[1].Actor, cands[1].Confidence, cands[1].ConfidenceWords))
		}
	} else {
		s = append(s, "No known actor shares enough evidence with it to be named: it is unattributed.")
	}
	if info.Dwell > 0 {
		s = append(s, fmt.Sprintf("The activity went unseen for %s: the intel that matched it arrived on %s.",
			days(info.Dwell), info.IntelAdded.UTC().Format("2006-01-02")))
	}
	if n := len(b.r.Leads); n > 0 {
		s = append(s, fmt.Sprintf("%s: operators reached our targets directly from a netblock tied to them.", plural(n, "opsec-slip lead", "opsec-slip leads")))
	}
	b.r.Summary = s
}

func days(d time.Duration) string {
	if d < 48*time.Hour {
		return plural(int(d.Hours()+0.5), "hour", "hours")
	}
	return plural(int(d.Hours()/24+0.5), "day", "days")
}
