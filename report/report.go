// Package report writes what a CTI team hands to leadership: a
// self-contained HTML report (inline CSS and SVG, nothing fetched, no
// script) on an actor or on one of our incidents, with key judgements and
// their confidence, the evidence chain behind each, a timeline, an
// infrastructure map, techniques and a defanged indicator appendix, under
// the TLP marking of its most restricted content. PDF renders the same
// HTML through headless Chromium.
//
// Everything is read through a view of the store clamped to the
// requested TLP ceiling, so content above it cannot reach the report by
// any path.
package report

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/attribution"
	"github.com/umbra-cti/umbra/attribution/geo"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// Options say what to report on and what may go in.
type Options struct {
	// Actor (any name of it) or Incident (an incident id, or a unique
	// prefix of one) is the subject; exactly one is set.
	Actor    string
	Incident string
	// TLPMax leaves out everything marked above it. Its zero value,
	// TLP:CLEAR, keeps only what may be published: a caller that forgets
	// it leaks nothing.
	TLPMax stix.TLP
	// Observed is our telemetry's matches and sessions (see Observe); nil
	// when there is no network memory. Incident reports need it.
	Observed *Observed
	// OwnTLP marks what comes from our own telemetry (hosts, sightings,
	// incidents): it names our network, so TLP:AMBER unless told.
	OwnTLP *stix.TLP
	// Geo enriches opsec-slip leads; Allow lists values of no weight.
	Geo   *geo.DB
	Allow *attribution.AllowList
	// Now is when the report is written; zero means time.Now.
	Now time.Time
	// Author names who issues the report (a team), shown in the header.
	Author string
}

// Report is a built report, ready for WriteHTML.
type Report struct {
	Kind      string // "actor" or "incident"
	Title     string
	Subtitle  string
	Author    string
	Generated time.Time
	// TLP is the marking of the report: the most restrictive marking of
	// its content. TLPMax is the ceiling it was built under, and Withheld
	// counts objects above it that were not read.
	TLP      stix.TLP
	TLPMax   stix.TLP
	Withheld int

	Summary    []string
	Judgements []Judgement
	Leads      []attribution.Lead

	Actor      *knowledge.Actor // the actor, or the incident's best candidate
	Members    []Member
	Conflicts  []knowledge.Conflict // the actor's and its members' naming conflicts
	Techniques Techniques
	Timeline   Timeline
	Graph      Graph
	Indicators []IndicatorRow
	Incident   *IncidentInfo
	Sources    []string
}

// Judgement is one assessment with its confidence and the chain of
// evidence behind it, strongest first.
type Judgement struct {
	Statement  string
	Confidence int // STIX 0-100
	Words      string
	Evidence   []attribution.Evidence
	// Alternative marks a competing hypothesis (a lower-ranked candidate).
	Alternative bool
}

// Member is one group under an umbrella, with the names others give it.
type Member struct {
	Name       string
	Confidence int
	Words      string
	Sources    []string
	Why        string
	Aliases    []string
}

// IncidentInfo describes an incident: a cluster of our own sightings.
type IncidentInfo struct {
	ID          string
	Name        string
	First, Last time.Time
	Hosts       []string
	Values      int
	Alerts      int
	// IntelAdded is when the earliest intel that matched it entered our
	// store, when the store keeps that; Dwell is the gap to first contact.
	IntelAdded time.Time
	Dwell      time.Duration
}

// IndicatorRow is one line of the appendix. Value is the normalised
// value, which is live: show Defanged.
type IndicatorRow struct {
	Type       string
	Value      string
	Confidence int
	Sources    []string
	TLP        stix.TLP
	ValidFrom  string
	Alerts     int
	FirstSeen  time.Time
	LastSeen   time.Time
	Hosts      int
}

// Figure numbers the report's figures in order: "history", "recent",
// "map"; a figure that is absent takes no number.
func (r *Report) Figure(name string) int {
	n := 0
	for _, f := range []struct {
		name    string
		present bool
	}{{"history", r.Timeline.History != nil}, {"recent", r.Timeline.Recent != nil}, {"map", len(r.Graph.Nodes) > 0}} {
		if f.present {
			n++
		}
		if f.name == name {
			return n
		}
	}
	return n
}

// Defanged is the value as the report shows it.
func (r IndicatorRow) Defanged() string {
	return indicator.Defang(indicator.ParseType(r.Type), r.Value)
}

type builder struct {
	ctx   context.Context
	st    *clamped
	raw   Store
	opt   Options
	r     *Report
	in    *attribution.Input
	res   *attribution.Result
	leads []attribution.Lead
	// alerts are the observed matches whose intel the view allows.
	alerts []Alert
	own    bool // our telemetry may go in
	ownTLP stix.TLP
	// valueTLP is the marking of each indicator value (the most
	// restrictive of the indicators that carry it).
	valueTLP map[string]stix.TLP
	nodeByID map[string]*attribution.Node
	nodeIDs  map[string][]string // node name -> ids
	used     map[string]bool     // object ids whose marking the report carries

	memberViews []*knowledge.Actor
	// shown holds the appendix's (type, value) keys; indicates the actor
	// names each of them indicates; added, per source, when its intel
	// entered the store and how many indicators it brought.
	shown     map[string]bool
	indicates map[string][]string
	added     map[string]*arrival
}

type arrival struct {
	at time.Time
	n  int
}

// Build reads the store (through a view clamped to opt.TLPMax) and the
// observed telemetry and assembles the report.
func Build(ctx context.Context, st Store, opt Options) (*Report, error) {
	if (opt.Actor == "") == (opt.Incident == "") {
		return nil, errors.New("report: give an actor or an incident, not both or neither")
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	b := &builder{ctx: ctx, st: clamp(st, opt.TLPMax), raw: st, opt: opt, used: map[string]bool{},
		shown: map[string]bool{}, indicates: map[string][]string{}, added: map[string]*arrival{},
		r: &Report{Generated: opt.Now.UTC(), TLPMax: opt.TLPMax, Author: opt.Author}}
	b.ownTLP = stix.TLPAmber
	if opt.OwnTLP != nil {
		b.ownTLP = *opt.OwnTLP
	}
	b.own = opt.Observed != nil && b.ownTLP <= opt.TLPMax
	if err := b.load(); err != nil {
		return nil, err
	}
	var err error
	if opt.Actor != "" {
		err = b.actor()
	} else {
		err = b.incident()
	}
	if err != nil {
		return nil, err
	}
	b.finish()
	return b.r, nil
}

func (b *builder) load() error {
	ctx := b.ctx
	b.valueTLP = map[string]stix.TLP{}
	err := b.st.Each(ctx, []string{"indicator"}, func(o stix.Object) error {
		ind, ok := indicator.FromSTIX(o)
		if !ok {
			return nil
		}
		t, _ := b.st.marking(o.ID)
		if cur, ok := b.valueTLP[ind.Value]; !ok || t > cur {
			b.valueTLP[ind.Value] = t
		}
		return nil
	})
	if err != nil {
		return err
	}
	if b.own {
		for _, a := range b.opt.Observed.Alerts {
			for _, id := range a.IndicatorIDs {
				if ok, err := b.st.allowed(ctx, id); err != nil {
					return err
				} else if ok {
					b.alerts = append(b.alerts, a)
					break
				}
			}
		}
	}
	in, err := attribution.Load(ctx, b.st)
	if err != nil {
		return err
	}
	b.in = in
	var incidents []attribution.Node
	var sessions []attribution.Session
	if b.own {
		seen, err := ownSightings(ctx, b.st, in, &Observed{Alerts: b.alerts})
		if err != nil {
			return err
		}
		incidents, _ = attribution.Incidents(seen, 0)
		sessions = b.opt.Observed.Sessions
	}
	b.res = attribution.Run(in, incidents, attribution.Options{Allow: b.opt.Allow, Geo: b.opt.Geo})
	b.leads = attribution.Slips(in, sessions, b.opt.Geo)
	b.nodeByID = map[string]*attribution.Node{}
	b.nodeIDs = map[string][]string{}
	for i := range in.Nodes {
		n := &in.Nodes[i]
		b.nodeByID[n.ID] = n
		b.nodeIDs[n.Name] = append(b.nodeIDs[n.Name], n.ID)
	}
	for i := range incidents {
		n := &incidents[i]
		b.nodeByID[n.ID] = n
	}
	return nil
}

func sightings(alerts []Alert) []attribution.Sighting {
	out := make([]attribution.Sighting, len(alerts))
	for i, a := range alerts {
		out[i] = attribution.Sighting{Value: a.Value, Type: indicator.ParseType(a.Type), Time: a.Time, Host: a.Host}
	}
	return out
}

// use records that the report carries object id's content.
func (b *builder) use(ids ...string) {
	for _, id := range ids {
		b.used[id] = true
	}
}

// judgement turns a candidate into a judgement on subject.
func judgement(statement string, c attribution.Candidate) Judgement {
	return Judgement{Statement: statement, Confidence: c.Confidence, Words: knowledge.ConfidenceWords(c.Confidence), Evidence: c.Evidence}
}

// useEvidence records the marking of the values and nodes evidence names.
func (b *builder) useEvidence(ev []attribution.Evidence) {
	for _, e := range ev {
		if t, ok := b.valueTLP[e.Value]; ok {
			b.raiseTLP(t)
		}
		for name, ids := range b.nodeIDs {
			if name != "" && (strings.Contains(e.Source, name) || e.Value == name || e.Via == name) {
				b.use(ids...)
			}
		}
	}
}

func (b *builder) raiseTLP(t stix.TLP) {
	if t > b.r.TLP {
		b.r.TLP = t
	}
}

// leadJudgements states opsec-slip leads as judgements, one per actor
// and netblock: a dozen sessions that skipped the proxies are one finding
// for a reader, with the union of their evidence and the confidence of
// the strongest.
func leadJudgements(leads []attribution.Lead) []Judgement {
	type key struct{ actor, netblock string }
	var order []key
	groups := map[key][]attribution.Lead{}
	for _, l := range leads {
		k := key{l.Actor, l.Netblock}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], l)
	}
	var out []Judgement
	for _, k := range order {
		ls := groups[k]
		best := ls[0]
		sessions := 0
		targets := map[string]bool{}
		sources := map[string]bool{}
		first := ls[0].Time
		var ev []attribution.Evidence
		seen := map[string]bool{}
		for _, l := range ls {
			if l.Confidence > best.Confidence {
				best = l
			}
			sessions += l.Sessions
			targets[l.Target] = true
			sources[l.Source] = true
			if l.Time.Before(first) {
				first = l.Time
			}
			for _, e := range l.Evidence {
				if id := e.Kind + "\x00" + e.Value; !seen[id] {
					seen[id] = true
					ev = append(ev, e)
				}
			}
		}
		sort.SliceStable(ev, func(i, j int) bool { return ev[i].Weight > ev[j].Weight })
		if len(ev) > 12 {
			ev = ev[:12]
		}
		where := k.netblock
		if best.ASN != 0 {
			where += fmt.Sprintf(", AS%d %s", best.ASN, best.Org)
		}
		if best.Country != "" {
			where += ", " + best.Country
		}
		out = append(out, Judgement{
			Statement: fmt.Sprintf("Opsec slip: %s operators reached %s directly from their own netblock %s (%s), bypassing their proxies: %s from %s, first on %s.",
				k.actor, plural(len(targets), "target", "targets"), k.netblock, where, plural(sessions, "session", "sessions"),
				plural(len(sources), "address", "addresses"), first.UTC().Format("2006-01-02 15:04 UTC")),
			Confidence: best.Confidence, Words: knowledge.ConfidenceWords(best.Confidence), Evidence: ev})
	}
	return out
}

func (b *builder) finish() {
	r := b.r
	for id := range b.used {
		if t, ok := b.st.marking(id); ok {
			b.raiseTLP(t)
		}
	}
	for _, row := range r.Indicators {
		b.raiseTLP(row.TLP)
	}
	for _, j := range r.Judgements {
		b.useEvidence(j.Evidence)
	}
	for id := range b.used {
		if t, ok := b.st.marking(id); ok {
			b.raiseTLP(t)
		}
	}
	if b.own && (r.Incident != nil || r.Timeline.Recent != nil || len(r.Leads) > 0 || hasHosts(r.Graph)) {
		b.raiseTLP(b.ownTLP)
	}
	r.Withheld = len(b.st.dropped)
	srcs := map[string]bool{}
	for _, row := range r.Indicators {
		for _, s := range row.Sources {
			srcs[s] = true
		}
	}
	if r.Actor != nil {
		for _, s := range r.Actor.Sources {
			srcs[s] = true
		}
	}
	for s := range srcs {
		r.Sources = append(r.Sources, s)
	}
	sort.Strings(r.Sources)
}

func hasHosts(g Graph) bool {
	for _, n := range g.Nodes {
		if n.Kind == "host" {
			return true
		}
	}
	return false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
