package misp

import (
	"regexp"
	"sort"
	"strings"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/stix"
)

// DefaultActorConfidence is the confidence (0-100) given to an actor the
// event's author tagged without an estimative-language tag: an analyst's
// attribution with no stated certainty reads as "roughly even chance".
const DefaultActorConfidence = 50

// isActorGalaxy reports whether a galaxy cluster type names threat actors
// (the MISP threat-actor galaxy, MITRE intrusion sets, Microsoft activity
// groups) rather than tools, techniques or sectors.
func isActorGalaxy(typ string) bool {
	return strings.Contains(typ, "threat-actor") || strings.Contains(typ, "intrusion-set") || strings.Contains(typ, "activity-group")
}

// mitreSuffix is the " - G0025" ATT&CK id MISP appends to intrusion-set names.
var mitreSuffix = regexp.MustCompile(` - G\d{4}$`)

// galaxyTag splits a tag of the form misp-galaxy:TYPE="VALUE".
func galaxyTag(name string) (typ, value string, ok bool) {
	rest, ok := strings.CutPrefix(name, "misp-galaxy:")
	if !ok {
		return "", "", false
	}
	typ, value, ok = strings.Cut(rest, "=")
	if !ok {
		return "", "", false
	}
	return typ, strings.Trim(value, `"`), true
}

// estimative maps estimative-language tags to a confidence.
var estimative = map[string]int{
	`estimative-language:likelihood-probability="almost-no-chance"`:    5,
	`estimative-language:likelihood-probability="very-unlikely"`:       15,
	`estimative-language:likelihood-probability="unlikely"`:            30,
	`estimative-language:likelihood-probability="roughly-even-chance"`: 50,
	`estimative-language:likelihood-probability="likely"`:              70,
	`estimative-language:likelihood-probability="very-likely"`:         85,
	`estimative-language:likelihood-probability="almost-certain"`:      95,
	`estimative-language:confidence-in-analytic-judgment="low"`:        15,
	`estimative-language:confidence-in-analytic-judgment="moderate"`:   50,
	`estimative-language:confidence-in-analytic-judgment="high"`:       85,
}

// Actors returns the threat actors an event is attributed to, from its
// actor galaxy clusters and misp-galaxy actor tags, sorted by name. The
// confidence comes from the event's estimative-language tag if it has one.
func (e *Event) Actors() []indicator.Actor {
	conf := DefaultActorConfidence
	for _, t := range e.Tags {
		if c, ok := estimative[t.Name]; ok {
			conf = c
		}
	}
	seen := map[string]bool{}
	var out []indicator.Actor
	add := func(name string) {
		name = strings.TrimSpace(mitreSuffix.ReplaceAllString(name, ""))
		if name == "" || seen[strings.ToLower(name)] {
			return
		}
		seen[strings.ToLower(name)] = true
		out = append(out, indicator.Actor{Name: name, Confidence: conf})
	}
	for _, g := range e.Galaxies {
		for _, c := range g.Clusters {
			if isActorGalaxy(c.Type) || isActorGalaxy(g.Type) {
				add(c.Value)
			}
		}
	}
	for _, t := range e.Tags {
		if typ, v, ok := galaxyTag(t.Name); ok && isActorGalaxy(typ) {
			add(v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// TLP returns the narrowest TLP level among tags, and false when none is a
// tlp: tag.
func TLP(tags []Tag) (stix.TLP, bool) {
	var out stix.TLP
	found := false
	for _, t := range tags {
		if !strings.HasPrefix(strings.ToLower(t.Name), "tlp:") {
			continue
		}
		l, err := stix.ParseTLP(t.Name)
		if err != nil {
			continue
		}
		if !found || l > out {
			out = l
		}
		found = true
	}
	return out, found
}

// plainTags returns tag names that are neither TLP nor galaxy tags; those
// two kinds travel in STIX as markings and actor references instead.
func plainTags(tags []Tag) []string {
	var out []string
	for _, t := range tags {
		n := strings.ToLower(t.Name)
		if strings.HasPrefix(n, "tlp:") || strings.HasPrefix(n, "misp-galaxy:") {
			continue
		}
		out = append(out, t.Name)
	}
	return out
}
