// Package navigator writes an ATT&CK Navigator layer (layer format 4.5)
// that scores the techniques of an actor or umbrella by how many sources
// attribute each one, so analysts can see at a glance which behaviour is
// well attested and which rests on a single report.
package navigator

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Format versions written into the layer's versions object.
const (
	LayerVersion     = "4.5"
	NavigatorVersion = "5.1.0" // the first Navigator release whose layers are 4.5
	ATTACKVersion    = "16"
)

// Technique is one technique attributed to the actor, with the sources
// (reports, feeds, vendors) that attribute it.
type Technique struct {
	ID      string // T1566 or T1566.001
	Tactic  string // optional tactic shortname, e.g. "initial-access"
	Sources []string
}

// Options describe the layer.
type Options struct {
	Name        string // required: the actor or umbrella name, e.g. "Winnti umbrella"
	Description string
	Domain      string // "enterprise-attack" (default), "mobile-attack" or "ics-attack"
	ATTACK      string // ATT&CK version; ATTACKVersion when empty
}

// Layer is a Navigator layer document (format 4.5). Every field the
// Navigator reads is written explicitly so the file does not depend on its
// defaults.
type Layer struct {
	Name                          string           `json:"name"`
	Versions                      Versions         `json:"versions"`
	Domain                        string           `json:"domain"`
	Description                   string           `json:"description"`
	Filters                       Filters          `json:"filters"`
	Sorting                       int              `json:"sorting"`
	Layout                        Layout           `json:"layout"`
	HideDisabled                  bool             `json:"hideDisabled"`
	Techniques                    []LayerTechnique `json:"techniques"`
	Gradient                      Gradient         `json:"gradient"`
	LegendItems                   []LegendItem     `json:"legendItems"`
	ShowTacticRowBackground       bool             `json:"showTacticRowBackground"`
	TacticRowBackground           string           `json:"tacticRowBackground"`
	SelectTechniquesAcrossTactics bool             `json:"selectTechniquesAcrossTactics"`
	SelectSubtechniquesWithParent bool             `json:"selectSubtechniquesWithParent"`
	SelectVisibleTechniques       bool             `json:"selectVisibleTechniques"`
	Metadata                      []Metadata       `json:"metadata"`
}

// Versions is the layer's versions object.
type Versions struct {
	ATTACK    string `json:"attack"`
	Navigator string `json:"navigator"`
	Layer     string `json:"layer"`
}

// Filters limits the platforms shown.
type Filters struct {
	Platforms []string `json:"platforms"`
}

// Layout is the matrix layout.
type Layout struct {
	Layout                string `json:"layout"`
	AggregateFunction     string `json:"aggregateFunction"`
	ShowID                bool   `json:"showID"`
	ShowName              bool   `json:"showName"`
	ShowAggregateScores   bool   `json:"showAggregateScores"`
	CountUnscored         bool   `json:"countUnscored"`
	ExpandedSubtechniques string `json:"expandedSubtechniques"`
}

// LayerTechnique is one annotated technique.
type LayerTechnique struct {
	TechniqueID       string     `json:"techniqueID"`
	Tactic            string     `json:"tactic,omitempty"`
	Score             int        `json:"score"`
	Color             string     `json:"color"`
	Comment           string     `json:"comment"`
	Enabled           bool       `json:"enabled"`
	Metadata          []Metadata `json:"metadata"`
	Links             []Link     `json:"links"`
	ShowSubtechniques bool       `json:"showSubtechniques"`
}

// Gradient maps scores to colours.
type Gradient struct {
	Colors   []string `json:"colors"`
	MinValue int      `json:"minValue"`
	MaxValue int      `json:"maxValue"`
}

// LegendItem is one legend entry.
type LegendItem struct {
	Label string `json:"label"`
	Color string `json:"color"`
}

// Metadata is a name/value note.
type Metadata struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Link is a labelled URL.
type Link struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

var techniqueID = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)

// Build makes the layer. Techniques named twice (for one tactic) are
// merged; each technique's score is its number of distinct sources, and
// the gradient runs from white at 0 to red at the highest score.
func Build(techs []Technique, opts Options) (Layer, error) {
	if strings.TrimSpace(opts.Name) == "" {
		return Layer{}, fmt.Errorf("layer name is required")
	}
	domain := opts.Domain
	if domain == "" {
		domain = "enterprise-attack"
	}
	switch domain {
	case "enterprise-attack", "mobile-attack", "ics-attack":
	default:
		return Layer{}, fmt.Errorf("domain %q: want enterprise-attack, mobile-attack or ics-attack", domain)
	}
	attack := opts.ATTACK
	if attack == "" {
		attack = ATTACKVersion
	}
	type key struct{ id, tactic string }
	sources := map[key]map[string]bool{}
	var order []key
	for i, t := range techs {
		id := strings.ToUpper(strings.TrimSpace(t.ID))
		if !techniqueID.MatchString(id) {
			return Layer{}, fmt.Errorf("technique %d: %q is not an ATT&CK technique id (T#### or T####.###)", i, t.ID)
		}
		k := key{id, strings.ToLower(strings.TrimSpace(t.Tactic))}
		if sources[k] == nil {
			sources[k] = map[string]bool{}
			order = append(order, k)
		}
		for _, s := range t.Sources {
			if s = strings.TrimSpace(s); s != "" {
				sources[k][s] = true
			}
		}
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].id != order[j].id {
			return order[i].id < order[j].id
		}
		return order[i].tactic < order[j].tactic
	})
	parents := map[string]bool{}
	for _, k := range order {
		if p, _, ok := strings.Cut(k.id, "."); ok {
			parents[p] = true
		}
	}
	maxScore := 1
	l := Layer{
		Name:        opts.Name,
		Versions:    Versions{ATTACK: attack, Navigator: NavigatorVersion, Layer: LayerVersion},
		Domain:      domain,
		Description: opts.Description,
		Filters:     Filters{Platforms: platforms[domain]},
		Sorting:     3, // descending by score: best-attested first
		Layout: Layout{Layout: "side", AggregateFunction: "max", ShowID: true, ShowName: true,
			ExpandedSubtechniques: "annotated"},
		Techniques:                    []LayerTechnique{},
		TacticRowBackground:           "#dddddd",
		SelectTechniquesAcrossTactics: true,
		SelectSubtechniquesWithParent: false,
		Metadata:                      []Metadata{{Name: "generated by", Value: "umbra"}, {Name: "score", Value: "number of sources attributing the technique"}},
	}
	for _, k := range order {
		srcs := make([]string, 0, len(sources[k]))
		for s := range sources[k] {
			srcs = append(srcs, s)
		}
		sort.Strings(srcs)
		md := make([]Metadata, 0, len(srcs))
		for _, s := range srcs {
			md = append(md, Metadata{Name: "source", Value: s})
		}
		comment := "no source named"
		if len(srcs) > 0 {
			comment = "attributed by " + strings.Join(srcs, ", ")
		}
		maxScore = max(maxScore, len(srcs))
		l.Techniques = append(l.Techniques, LayerTechnique{
			TechniqueID: k.id, Tactic: k.tactic, Score: len(srcs), Comment: comment, Enabled: true,
			Metadata: md, Links: []Link{}, ShowSubtechniques: parents[k.id],
		})
	}
	l.Gradient = Gradient{Colors: []string{"#ffffff", "#ff6666"}, MinValue: 0, MaxValue: maxScore}
	l.LegendItems = []LegendItem{
		{Label: "attributed by no source", Color: "#ffffff"},
		{Label: fmt.Sprintf("attributed by %d sources (the most)", maxScore), Color: "#ff6666"},
	}
	return l, nil
}

// platforms are the platforms the 4.5 format lists per domain; writing
// them all shows every technique.
var platforms = map[string][]string{
	"enterprise-attack": {"Windows", "Linux", "macOS", "Network", "PRE", "AWS", "GCP", "Azure", "Azure AD", "Office 365", "SaaS"},
	"mobile-attack":     {"Android", "iOS"},
	"ics-attack": {"Windows", "Control Server", "Data Historian", "Engineering Workstation", "Field Controller/RTU/PLC/IED",
		"Human-Machine Interface", "Input/Output Server", "Safety Instrumented System/Protection Relay"},
}

// Write builds the layer and writes it as indented JSON.
func Write(w io.Writer, techs []Technique, opts Options) error {
	l, err := Build(techs, opts)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
