package knowledge

import (
	"context"
	"fmt"
	"sort"

	"github.com/umbra-cti/umbra/stix"
)

// Actor is the view of one actor name across every source that uses it:
// the objects whose canonical name it is, every alias with who uses it,
// umbrella membership, relations, techniques, targets and conflicts.
type Actor struct {
	Name            string     `json:"name"`
	IDs             []string   `json:"ids"`
	Umbrella        bool       `json:"umbrella"`
	Description     string     `json:"description,omitempty"`
	Confidence      int        `json:"confidence,omitempty"`
	ConfidenceWords string     `json:"confidence_words,omitempty"`
	FirstSeen       string     `json:"first_seen,omitempty"`
	LastSeen        string     `json:"last_seen,omitempty"`
	Sources         []string   `json:"sources"`
	Aliases         []Alias    `json:"aliases"`
	Umbrellas       []Link     `json:"umbrellas,omitempty"`
	Members         []Link     `json:"members,omitempty"`
	Related         []Link     `json:"related,omitempty"`
	Techniques      []Link     `json:"techniques,omitempty"`
	Targets         []Link     `json:"targets,omitempty"`
	Conflicts       []Conflict `json:"conflicts,omitempty"`
	Evidence        []Evidence `json:"evidence,omitempty"`
	ResolvedFrom    string     `json:"resolved_from,omitempty"` // the name asked for, when it was an alias
}

// Alias is one name of an actor and every source that uses it.
type Alias struct {
	Name  string      `json:"name"`
	Kind  string      `json:"kind"`
	Users []AliasUser `json:"used_by"`
}

// AliasUser is one source's use of a name.
type AliasUser struct {
	Source string `json:"source"`
	Since  string `json:"since,omitempty"`
	Until  string `json:"until,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Link is an edge from the actor to another object, with its provenance.
type Link struct {
	Name            string   `json:"name"`
	ID              string   `json:"id"`
	ExternalID      string   `json:"external_id,omitempty"`
	Relation        string   `json:"relation"`
	Confidence      int      `json:"confidence,omitempty"`
	ConfidenceWords string   `json:"confidence_words,omitempty"`
	Sources         []string `json:"sources"`
	Description     string   `json:"description,omitempty"`
}

// Evidence summarises one kind of evidence that points at the actor:
// indicators that indicate it, or reports, campaigns and incidents
// attributed to it (by a source, or derived by the attribution engine).
type Evidence struct {
	Kind     string   `json:"kind"` // "indicates" or "attributed-to"
	Count    int      `json:"count"`
	Sources  []string `json:"sources"`
	Examples []string `json:"examples,omitempty"` // a few names or values, strongest first
	MaxConf  int      `json:"max_confidence,omitempty"`
}

// Conflict is a name that sources attach to different actors.
type Conflict struct {
	Name   string          `json:"name"`
	Claims []ConflictClaim `json:"claims"`
}

// ConflictClaim is one side of a conflict: the actor a set of sources
// attach the name to.
type ConflictClaim struct {
	Actor   string   `json:"actor"`
	Kind    string   `json:"kind"` // name, alias or external-id
	Sources []string `json:"sources"`
}

// ResolveActor finds the actor a name designates, regardless of case,
// spacing and punctuation. A canonical name wins over an alias; among
// aliases, the actor that more sources attach the name to wins, and the
// others are reported as conflicts of the view.
func ResolveActor(ctx context.Context, st Store, name string) (*Actor, error) {
	norm := NormName(name)
	if norm == "" {
		return nil, fmt.Errorf("empty actor name")
	}
	claims, err := st.ClaimsByName(ctx, norm)
	if err != nil {
		return nil, err
	}
	if len(claims) == 0 {
		return nil, fmt.Errorf("no actor is known as %q: %w", name, ErrNotFound)
	}
	type cand struct {
		canonical string
		name      string
		score     int
		sources   map[string]bool
	}
	cands := map[string]*cand{}
	for _, c := range claims {
		k := NormName(c.ObjectName)
		cd := cands[k]
		if cd == nil {
			cd = &cand{canonical: k, name: c.ObjectName, sources: map[string]bool{}}
			cands[k] = cd
		}
		if c.Kind == ClaimName {
			cd.score += 1000
		}
		if c.Until == "" && !cd.sources[c.Source] {
			cd.score++
		}
		cd.sources[c.Source] = true
	}
	var best *cand
	for _, cd := range cands {
		if best == nil || cd.score > best.score || cd.score == best.score && cd.canonical < best.canonical {
			best = cd
		}
	}
	a, err := actorView(ctx, st, best.canonical)
	if err != nil {
		return nil, err
	}
	if best.canonical != norm {
		a.ResolvedFrom = name
	}
	return a, nil
}

// actorView builds the view of the actor whose canonical name is norm.
func actorView(ctx context.Context, st Store, norm string) (*Actor, error) {
	claims, err := st.ClaimsByName(ctx, norm)
	if err != nil {
		return nil, err
	}
	a := &Actor{}
	seen := map[string]bool{}
	for _, c := range claims {
		if c.Kind == ClaimName && NormName(c.ObjectName) == norm && !seen[c.ObjectID] {
			seen[c.ObjectID] = true
			a.IDs = append(a.IDs, c.ObjectID)
		}
	}
	if len(a.IDs) == 0 {
		return nil, fmt.Errorf("no actor named %q: %w", norm, ErrNotFound)
	}
	sort.Strings(a.IDs)
	aliases := map[string]*Alias{}
	var aliasOrder []string
	sources := map[string]bool{}
	for _, id := range a.IDs {
		o, err := st.Object(ctx, id)
		if err != nil {
			return nil, err
		}
		if a.Name == "" || IsUmbrella(&o) {
			a.Name = o.Common.Name
		}
		if IsUmbrella(&o) {
			a.Umbrella = true
		}
		if a.Description == "" || len(o.Common.Description) > len(a.Description) {
			a.Description = o.Common.Description
		}
		if o.Common.Confidence != nil && *o.Common.Confidence > a.Confidence {
			a.Confidence = *o.Common.Confidence
		}
		if o.Common.FirstSeen != "" && (a.FirstSeen == "" || o.Common.FirstSeen < a.FirstSeen) {
			a.FirstSeen = o.Common.FirstSeen
		}
		if o.Common.LastSeen > a.LastSeen {
			a.LastSeen = o.Common.LastSeen
		}
		srcs, err := st.Sources(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, s := range srcs {
			sources[s] = true
		}
		cs, err := st.ClaimsOf(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			al := aliases[c.Norm]
			if al == nil {
				al = &Alias{Name: c.Name, Kind: c.Kind}
				aliases[c.Norm] = al
				aliasOrder = append(aliasOrder, c.Norm)
			}
			if c.Kind == ClaimName {
				al.Kind = ClaimName
			}
			dup := false
			for _, u := range al.Users {
				if u.Source == c.Source && u.Since == c.Since && u.Until == c.Until {
					dup = true
				}
			}
			if !dup {
				al.Users = append(al.Users, AliasUser{Source: c.Source, Since: c.Since, Until: c.Until, Note: c.Note})
			}
		}
		if err := addLinks(ctx, st, a, id); err != nil {
			return nil, err
		}
	}
	if a.Confidence > 0 {
		a.ConfidenceWords = ConfidenceWords(a.Confidence)
	}
	for s := range sources {
		a.Sources = append(a.Sources, s)
	}
	sort.Strings(a.Sources)
	sort.SliceStable(aliasOrder, func(i, j int) bool {
		ai, aj := aliases[aliasOrder[i]], aliases[aliasOrder[j]]
		if (ai.Kind == ClaimName) != (aj.Kind == ClaimName) {
			return ai.Kind == ClaimName
		}
		return false
	})
	for _, n := range aliasOrder {
		al := aliases[n]
		sort.Slice(al.Users, func(i, j int) bool { return al.Users[i].Source < al.Users[j].Source })
		a.Aliases = append(a.Aliases, *al)
		conf, err := conflictOn(ctx, st, n, al.Name, norm)
		if err != nil {
			return nil, err
		}
		if conf != nil {
			a.Conflicts = append(a.Conflicts, *conf)
		}
	}
	return a, nil
}

// conflictOn reports the actors other than self that sources attach a name to.
func conflictOn(ctx context.Context, st Store, norm, display, self string) (*Conflict, error) {
	claims, err := st.ClaimsByName(ctx, norm)
	if err != nil {
		return nil, err
	}
	type side struct {
		actor, kind string
		sources     map[string]bool
	}
	sides := map[string]*side{}
	var order []string
	other := false
	for _, c := range claims {
		k := NormName(c.ObjectName)
		if k != self {
			other = true
		}
		sd := sides[k]
		if sd == nil {
			sd = &side{actor: c.ObjectName, kind: c.Kind, sources: map[string]bool{}}
			sides[k] = sd
			order = append(order, k)
		}
		if c.Kind == ClaimName {
			sd.kind = ClaimName
		}
		src := c.Source
		if c.Until != "" {
			src += " (until " + c.Until + ")"
		}
		sd.sources[src] = true
	}
	if !other {
		return nil, nil
	}
	sort.Strings(order)
	conf := &Conflict{Name: display}
	for _, k := range order {
		sd := sides[k]
		cc := ConflictClaim{Actor: sd.actor, Kind: sd.kind}
		for s := range sd.sources {
			cc.Sources = append(cc.Sources, s)
		}
		sort.Strings(cc.Sources)
		conf.Claims = append(conf.Claims, cc)
	}
	return conf, nil
}

func addLinks(ctx context.Context, st Store, a *Actor, id string) error {
	rels, err := st.Relations(ctx, id)
	if err != nil {
		return err
	}
	for _, r := range rels {
		outgoing := r.SourceRef == id
		other := r.TargetRef
		if !outgoing {
			other = r.SourceRef
		}
		l := Link{ID: other, Relation: r.Type, Confidence: r.Confidence, Sources: r.Sources, Description: r.Description}
		if r.Confidence > 0 {
			l.ConfidenceWords = ConfidenceWords(r.Confidence)
		}
		o, err := st.Object(ctx, other)
		otherType := stixType(other)
		if err == nil {
			l.Name = o.Common.Name
			for _, er := range o.Common.ExternalRefs {
				if er.ExternalID != "" && er.SourceName == "mitre-attack" {
					l.ExternalID = er.ExternalID
				}
			}
		} else {
			l.Name = other // a reference to an object we do not hold
		}
		switch {
		case (r.Type == "indicates" || r.Type == "attributed-to") && !outgoing:
			addEvidence(a, r, l.Name)
			continue
		case r.Type == RelMemberOf && outgoing:
			a.Umbrellas = appendLink(a.Umbrellas, l)
		case r.Type == RelMemberOf:
			a.Members = appendLink(a.Members, l)
		case r.Type == "uses" && outgoing && otherType == "attack-pattern":
			a.Techniques = appendLink(a.Techniques, l)
		case r.Type == "targets" && outgoing:
			a.Targets = appendLink(a.Targets, l)
		case otherType == "intrusion-set" || otherType == "threat-actor" || otherType == "campaign" || otherType == "malware" || otherType == "tool":
			if !outgoing {
				l.Relation = r.Type + " (from)"
			}
			a.Related = appendLink(a.Related, l)
		}
	}
	return nil
}

func addEvidence(a *Actor, r Relation, name string) {
	var e *Evidence
	for i := range a.Evidence {
		if a.Evidence[i].Kind == r.Type {
			e = &a.Evidence[i]
		}
	}
	if e == nil {
		a.Evidence = append(a.Evidence, Evidence{Kind: r.Type})
		e = &a.Evidence[len(a.Evidence)-1]
	}
	e.Count++
	if r.Confidence > e.MaxConf {
		e.MaxConf = r.Confidence
	}
	for _, s := range r.Sources {
		found := false
		for _, x := range e.Sources {
			found = found || x == s
		}
		if !found {
			e.Sources = append(e.Sources, s)
		}
	}
	if len(e.Examples) < 5 {
		e.Examples = append(e.Examples, name)
	}
}

// appendLink adds l, folding a link to the same object into one entry with
// the union of its sources.
func appendLink(ls []Link, l Link) []Link {
	for i := range ls {
		if ls[i].ID == l.ID && ls[i].Relation == l.Relation {
			for _, s := range l.Sources {
				found := false
				for _, t := range ls[i].Sources {
					found = found || t == s
				}
				if !found {
					ls[i].Sources = append(ls[i].Sources, s)
				}
			}
			if l.Confidence > ls[i].Confidence {
				ls[i].Confidence, ls[i].ConfidenceWords = l.Confidence, l.ConfidenceWords
			}
			return ls
		}
	}
	return append(ls, l)
}

func stixType(id string) string {
	for i := 0; i+1 < len(id); i++ {
		if id[i] == '-' && id[i+1] == '-' {
			return id[:i]
		}
	}
	return ""
}

// ActorSummary is one line of the actor list.
type ActorSummary struct {
	Name     string   `json:"name"`
	Umbrella bool     `json:"umbrella"`
	Aliases  int      `json:"aliases"`
	Sources  []string `json:"sources"`
	IDs      []string `json:"ids"`
}

// ListActors lists every actor, one entry per canonical name, sorted by name.
func ListActors(ctx context.Context, st Store) ([]ActorSummary, error) {
	byNorm := map[string]*ActorSummary{}
	aliasSeen := map[string]map[string]bool{}
	err := st.Each(ctx, []string{"intrusion-set", "threat-actor"}, func(o stix.Object) error {
		n := NormName(o.Common.Name)
		if n == "" {
			return nil
		}
		s := byNorm[n]
		if s == nil {
			s = &ActorSummary{Name: o.Common.Name}
			byNorm[n] = s
			aliasSeen[n] = map[string]bool{}
		}
		s.IDs = append(s.IDs, o.ID)
		if IsUmbrella(&o) {
			s.Umbrella = true
		}
		cs, err := st.ClaimsOf(ctx, o.ID)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if c.Kind != ClaimName && !aliasSeen[n][c.Norm] {
				aliasSeen[n][c.Norm] = true
				s.Aliases++
			}
			found := false
			for _, x := range s.Sources {
				found = found || x == c.Source
			}
			if !found {
				s.Sources = append(s.Sources, c.Source)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]ActorSummary, 0, len(byNorm))
	for _, s := range byNorm {
		sort.Strings(s.Sources)
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Umbrella != out[j].Umbrella {
			return out[i].Umbrella
		}
		return NormName(out[i].Name) < NormName(out[j].Name)
	})
	return out, nil
}
