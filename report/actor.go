package report

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/attribution"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// maxAttributed bounds the "X is attributed to the actor" judgements,
// maxLinks the possible links to other groups.
const (
	maxAttributed = 8
	maxLinks      = 3
)

func (b *builder) actor() error {
	a, err := knowledge.ResolveActor(b.ctx, b.st, b.opt.Actor)
	if errors.Is(err, knowledge.ErrNotFound) && b.opt.TLPMax < stix.TLPRed {
		return fmt.Errorf("report: no actor %q at TLP:%s or below: %w", b.opt.Actor, strings.ToUpper(b.opt.TLPMax.String()), err)
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	r := b.r
	r.Kind = "actor"
	r.Actor = a
	r.Title = a.Name
	r.Subtitle = "Threat actor report"
	if a.Umbrella {
		r.Subtitle = "Umbrella report: " + plural(len(a.Members), "member group", "member groups")
	}
	b.use(a.IDs...)
	self := map[string]bool{}
	for _, id := range a.IDs {
		self[id] = true
	}
	// The actor's own groups: itself and, for an umbrella, its members.
	groups := map[string]string{}
	for _, id := range a.IDs {
		groups[id] = a.Name
	}
	for _, m := range a.Members {
		groups[m.ID] = m.Name
		b.use(m.ID)
	}
	for _, u := range a.Umbrellas {
		b.use(u.ID)
	}

	// 1. The umbrella holds together.
	for _, u := range b.res.Umbrellas {
		if self[u.ID] {
			r.Judgements = append(r.Judgements, Judgement{
				Statement: fmt.Sprintf("The %s is one cluster of related activity: %s share infrastructure, techniques or attributions closely enough to be grouped together.",
					a.Name, membersPhrase(u.Members)),
				Confidence: u.Confidence, Words: knowledge.ConfidenceWords(u.Confidence), Evidence: u.Evidence})
		}
	}
	// 2. Our own incidents attributed to the actor; 3. opsec slips; 4. reports
	// and campaigns; 5. the actor's own place under an umbrella; 6. members.
	var incidents, others, membership []Judgement
	for _, at := range b.res.Attributions {
		for rank, c := range at.Candidates {
			if !self[c.ActorID] {
				continue
			}
			subj := at.Subject
			switch {
			case self[subj.ID]:
				continue
			case subj.Type == attribution.Incident:
				j := judgement(fmt.Sprintf("Our %s is attributed to the %s.", subj.Name, a.Name), c)
				if rank > 0 {
					j = judgement(fmt.Sprintf("Alternative: our %s may be the %s's, though the %s ranks higher.", subj.Name, a.Name, at.Candidates[0].Actor), c)
					j.Alternative = true
				}
				incidents = append(incidents, j)
			case subj.Type == attribution.IntrusionSet && groups[subj.ID] != "":
				membership = append(membership, judgement(fmt.Sprintf("%s belongs to the %s.", subj.Name, a.Name), c))
				b.use(subj.ID)
			case subj.Type == attribution.Report || subj.Type == attribution.Campaign:
				j := judgement(fmt.Sprintf("The %s %q is attributed to %s.", subj.Type, subj.Name, a.Name), c)
				if rank > 0 {
					j = judgement(fmt.Sprintf("Alternative: the %s %q may be %s's, though %s ranks higher.", subj.Type, subj.Name, a.Name, at.Candidates[0].Actor), c)
					j.Alternative = true
				}
				others = append(others, j)
				b.use(subj.ID)
			}
		}
	}
	umbrellas := map[string]bool{}
	for _, u := range a.Umbrellas {
		umbrellas[u.ID] = true
	}
	links := 0
	for _, at := range b.res.Attributions {
		if !self[at.Subject.ID] {
			continue
		}
		for _, c := range at.Candidates {
			if umbrellas[c.ActorID] {
				membership = append(membership, judgement(fmt.Sprintf("%s is part of the %s.", a.Name, c.Actor), c))
				b.use(c.ActorID)
				continue
			}
			// Another group sharing evidence is a lead on a link, not a
			// finding: it goes with the competing hypotheses.
			if links == maxLinks {
				continue
			}
			links++
			j := judgement(fmt.Sprintf("Possible link: %s and %s share evidence; they may be related or overlapping groups.", a.Name, c.Actor), c)
			j.Alternative = true
			membership = append(membership, j)
			b.use(c.ActorID)
		}
	}
	byConfidence(incidents)
	byConfidence(others)
	if len(others) > maxAttributed {
		others = others[:maxAttributed]
	}
	byConfidence(membership)
	r.Judgements = append(r.Judgements, incidents...)
	for _, l := range b.leads {
		if isGroupName(groups, l.Actor) {
			r.Leads = append(r.Leads, l)
		}
	}
	r.Judgements = append(r.Judgements, leadJudgements(r.Leads)...)
	r.Judgements = append(r.Judgements, others...)
	r.Judgements = append(r.Judgements, membership...)
	// Competing hypotheses come after every firm judgement.
	sort.SliceStable(r.Judgements, func(i, j int) bool { return !r.Judgements[i].Alternative && r.Judgements[j].Alternative })

	if err := b.members(a); err != nil {
		return err
	}
	b.conflicts(a)
	if err := b.techniques(a); err != nil {
		return err
	}
	for _, t := range a.Targets {
		b.use(t.ID)
	}
	if err := b.actorIndicators(groups); err != nil {
		return err
	}
	b.actorTimeline(a, groups)
	b.r.Graph = b.actorGraph(a, groups)
	b.actorSummary(a, incidents)
	return nil
}

func isGroupName(groups map[string]string, name string) bool {
	n := knowledge.NormName(name)
	for _, g := range groups {
		if knowledge.NormName(g) == n {
			return true
		}
	}
	return false
}

func membersPhrase(members []string) string {
	kinds := map[string]int{}
	for _, m := range members {
		k, _, _ := strings.Cut(m, ": ")
		kinds[k]++
	}
	var parts []string
	for _, k := range []string{"intrusion-set", "campaign", "report", "incident"} {
		if n := kinds[k]; n > 0 {
			word := map[string][2]string{"intrusion-set": {"intrusion set", "intrusion sets"}, "campaign": {"campaign", "campaigns"},
				"report": {"report", "reports"}, "incident": {"of our incidents", "of our incidents"}}[k]
			parts = append(parts, plural(n, word[0], word[1]))
		}
	}
	if len(parts) == 0 {
		return "its members"
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func byConfidence(js []Judgement) {
	sort.SliceStable(js, func(i, j int) bool {
		if js[i].Alternative != js[j].Alternative {
			return !js[i].Alternative
		}
		return js[i].Confidence > js[j].Confidence
	})
}

// members lists an umbrella's groups with the names each vendor gives them.
func (b *builder) members(a *knowledge.Actor) error {
	for _, m := range a.Members {
		mem := Member{Name: m.Name, Confidence: m.Confidence, Words: knowledge.ConfidenceWords(m.Confidence), Sources: m.Sources, Why: m.Description}
		if v, err := knowledge.ResolveActor(b.ctx, b.st, m.Name); err == nil {
			b.memberViews = append(b.memberViews, v)
			for _, al := range v.Aliases {
				if al.Kind != knowledge.ClaimName && knowledge.NormName(al.Name) != knowledge.NormName(m.Name) {
					mem.Aliases = append(mem.Aliases, al.Name)
				}
			}
		} else if !errors.Is(err, knowledge.ErrNotFound) {
			return err
		}
		b.r.Members = append(b.r.Members, mem)
	}
	sort.SliceStable(b.r.Members, func(i, j int) bool {
		if b.r.Members[i].Confidence != b.r.Members[j].Confidence {
			return b.r.Members[i].Confidence > b.r.Members[j].Confidence
		}
		return b.r.Members[i].Name < b.r.Members[j].Name
	})
	return nil
}

// actorIndicators fills the appendix with the indicators that indicate
// the actor or (for an umbrella) one of its members.
func (b *builder) actorIndicators(groups map[string]string) error {
	ids := make([]string, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	seen := map[string]bool{}
	var indIDs []string
	for _, id := range ids {
		rels, err := b.st.Relations(b.ctx, id)
		if err != nil {
			return err
		}
		for _, rel := range rels {
			if rel.Type == "indicates" && rel.TargetRef == id && !seen[rel.SourceRef] {
				seen[rel.SourceRef] = true
				indIDs = append(indIDs, rel.SourceRef)
				b.use(rel.ID)
			}
		}
	}
	return b.indicatorRows(indIDs)
}

// indicatorRows builds appendix rows from indicator objects, one per
// (type, value), with what our telemetry saw of each.
func (b *builder) indicatorRows(ids []string) error {
	type agg struct {
		row   IndicatorRow
		hosts map[string]bool
	}
	byKey := map[string]*agg{}
	var order []string
	for _, id := range ids {
		o, err := b.st.Object(b.ctx, id)
		if errors.Is(err, knowledge.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		ind, ok := indicator.FromSTIX(o)
		if !ok || o.Common.Revoked {
			continue
		}
		b.use(id)
		t, _ := b.st.marking(id)
		srcs, err := b.st.Sources(b.ctx, id)
		if err != nil {
			return err
		}
		key := ind.Type.String() + "\x00" + ind.Value
		b.shown[key] = true
		if ad, ok := b.raw.(intel.AddedReader); ok {
			if at, ok := intel.EnteredIntel(b.ctx, b.st, ad, id); ok {
				for _, s := range srcs {
					a := b.added[s]
					if a == nil {
						a = &arrival{at: at}
						b.added[s] = a
					}
					if at.Before(a.at) {
						a.at = at
					}
					a.n++
				}
			}
		}
		rels, err := b.st.Relations(b.ctx, id)
		if err != nil {
			return err
		}
		for _, rel := range rels {
			if rel.Type != "indicates" || rel.SourceRef != id {
				continue
			}
			if t, err := b.st.Object(b.ctx, rel.TargetRef); err == nil && t.Common.Name != "" {
				b.indicates[key] = appendNew(b.indicates[key], t.Common.Name)
			}
		}
		g := byKey[key]
		if g == nil {
			g = &agg{row: IndicatorRow{Type: ind.Type.String(), Value: ind.Value, TLP: t, ValidFrom: dateOf(o.Common.ValidFrom)}, hosts: map[string]bool{}}
			byKey[key] = g
			order = append(order, key)
		}
		if t > g.row.TLP {
			g.row.TLP = t
		}
		if o.Common.Confidence != nil && *o.Common.Confidence > g.row.Confidence {
			g.row.Confidence = *o.Common.Confidence
		}
		if v := dateOf(o.Common.ValidFrom); v != "" && (g.row.ValidFrom == "" || v < g.row.ValidFrom) {
			g.row.ValidFrom = v
		}
		g.row.Sources = appendNew(g.row.Sources, srcs...)
	}
	for _, a := range b.alerts {
		g := byKey[a.Type+"\x00"+a.Value]
		if g == nil {
			continue
		}
		g.row.Alerts++
		g.hosts[a.Host] = true
		if g.row.FirstSeen.IsZero() || a.Time.Before(g.row.FirstSeen) {
			g.row.FirstSeen = a.Time
		}
		if a.Time.After(g.row.LastSeen) {
			g.row.LastSeen = a.Time
		}
	}
	for _, k := range order {
		g := byKey[k]
		g.row.Hosts = len(g.hosts)
		sort.Strings(g.row.Sources)
		b.r.Indicators = append(b.r.Indicators, g.row)
	}
	sort.SliceStable(b.r.Indicators, func(i, j int) bool {
		x, y := b.r.Indicators[i], b.r.Indicators[j]
		if x.Type != y.Type {
			return typeRank(x.Type) < typeRank(y.Type)
		}
		return x.Value < y.Value
	})
	return nil
}

// typeRank orders the appendix as analysts read it: network first.
func typeRank(t string) int {
	order := []string{"domain", "url", "ipv4", "ipv6", "cidr", "email", "phone", "cert-sha256", "cert-sha1", "cert-serial", "sha256", "sha1", "md5"}
	for i, o := range order {
		if o == t {
			return i
		}
	}
	return len(order)
}

func dateOf(s string) string {
	if len(s) >= 10 {
		return s[:10]
	}
	return s
}

func appendNew(list []string, vs ...string) []string {
	for _, v := range vs {
		found := false
		for _, x := range list {
			found = found || x == v
		}
		if !found && v != "" {
			list = append(list, v)
		}
	}
	return list
}

func (b *builder) actorSummary(a *knowledge.Actor, incidents []Judgement) {
	r := b.r
	var s []string
	if a.Umbrella {
		s = append(s, fmt.Sprintf("The %s groups %s that sources tie together; umbra keeps their names apart and reports where sources disagree (%s).",
			a.Name, plural(len(a.Members), "intrusion set", "intrusion sets"), plural(len(r.Conflicts), "naming conflict", "naming conflicts")))
	} else if len(a.Umbrellas) > 0 {
		var us []string
		for _, u := range a.Umbrellas {
			us = append(us, u.Name)
		}
		s = append(s, fmt.Sprintf("%s is a member of the %s.", a.Name, strings.Join(us, ", ")))
	}
	if a.Confidence > 0 {
		s = append(s, fmt.Sprintf("Sources assess %s with %s confidence (%d/100).", a.Name, a.ConfidenceWords, a.Confidence))
	}
	main := 0
	for _, j := range incidents {
		if !j.Alternative {
			main++
		}
	}
	seen := 0
	first, last := time.Time{}, time.Time{}
	for _, row := range r.Indicators {
		if row.Alerts > 0 {
			seen++
			if first.IsZero() || row.FirstSeen.Before(first) {
				first = row.FirstSeen
			}
			if row.LastSeen.After(last) {
				last = row.LastSeen
			}
		}
	}
	switch {
	case b.opt.Observed == nil:
		s = append(s, "No network memory was read: the report says nothing about whether this actor was seen on our network.")
	case !b.own:
		s = append(s, fmt.Sprintf("Our own telemetry is marked TLP:%s, above this report's ceiling, and was left out.", strings.ToUpper(b.ownTLP.String())))
	case seen == 0:
		s = append(s, fmt.Sprintf("None of its %s was seen in our stored telemetry.", plural(len(r.Indicators), "indicator", "indicators")))
	default:
		s = append(s, fmt.Sprintf("%d of its %s were seen on our network between %s and %s; %s attributed to it.",
			seen, plural(len(r.Indicators), "indicator", "indicators"), first.UTC().Format("2006-01-02"), last.UTC().Format("2006-01-02"),
			plural(main, "incident is", "incidents are")))
	}
	if n := len(r.Leads); n > 0 {
		s = append(s, fmt.Sprintf("%s: operators reached targets directly from the actor's own netblock.", plural(n, "opsec-slip lead", "opsec-slip leads")))
	}
	if rows := r.Techniques.Rows; len(rows) > 0 {
		line := fmt.Sprintf("Sources attribute %s to it", plural(r.Techniques.Total, "ATT&CK technique", "ATT&CK techniques"))
		if rows[0].Distinct >= 0 && rows[0].UsedBy < rows[len(rows)-1].UsedBy {
			line += fmt.Sprintf("; the most distinctive is %s %s, used by %d of %d known groups", rows[0].ID, rows[0].Name, rows[0].UsedBy, r.Techniques.Groups)
		}
		s = append(s, line+".")
	}
	r.Summary = s
}

// actorTimeline dates what sources say (first activity, who named the
// actor when, reports and campaigns) and what we saw.
func (b *builder) actorTimeline(a *knowledge.Actor, groups map[string]string) {
	var ev []Event
	add := func(when, kind, label string) {
		if t, prec, ok := parseWhen(when); ok {
			ev = append(ev, Event{Time: t, Precision: prec, Kind: kind, Label: label})
		}
	}
	add(a.FirstSeen, "intel", a.Name+" first active (per sources)")
	add(a.LastSeen, "intel", a.Name+" last seen (per sources)")
	views := append([]*knowledge.Actor{a}, b.memberViews...)
	for _, v := range views {
		for _, al := range v.Aliases {
			for _, u := range al.Users {
				if u.Since == "" {
					continue
				}
				label := u.Source + " names it " + al.Name
				if knowledge.NormName(v.Name) != knowledge.NormName(al.Name) {
					label = u.Source + ": " + al.Name + " (" + v.Name + ")"
				}
				add(u.Since, "name", label)
			}
		}
	}
	for _, n := range b.in.Nodes {
		if n.Type != attribution.Report && n.Type != attribution.Campaign {
			continue
		}
		linked := false
		for _, k := range n.Known {
			linked = linked || groups[k.Actor] != ""
		}
		if !linked || n.First.IsZero() {
			continue
		}
		_, prec, _ := parseWhen(n.First.UTC().Format(time.RFC3339Nano))
		label := "report: " + n.Name
		if n.Type == attribution.Campaign {
			label = "campaign: " + n.Name
		}
		ev = append(ev, Event{Time: n.First, Precision: prec, Kind: string(n.Type), Label: label})
		b.use(n.ID)
	}
	ev = append(ev, b.observedEvents(b.alerts)...)
	var times []time.Time
	for _, al := range b.alerts {
		if b.shown[al.Type+"\x00"+al.Value] {
			times = append(times, al.Time)
		}
	}
	b.r.Timeline = buildTimeline(ev, times, true)
}

// conflicts gathers the naming conflicts of the actor and its members:
// for an umbrella, "Winnti" meaning two groups is the umbrella's problem.
func (b *builder) conflicts(a *knowledge.Actor) {
	seen := map[string]bool{}
	for _, v := range append([]*knowledge.Actor{a}, b.memberViews...) {
		for _, c := range v.Conflicts {
			if n := knowledge.NormName(c.Name); !seen[n] {
				seen[n] = true
				b.r.Conflicts = append(b.r.Conflicts, c)
			}
		}
	}
	sort.SliceStable(b.r.Conflicts, func(i, j int) bool { return b.r.Conflicts[i].Name < b.r.Conflicts[j].Name })
}
