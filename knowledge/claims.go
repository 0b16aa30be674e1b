package knowledge

import (
	"strings"

	"github.com/umbra-cti/umbra/stix"
)

// IsActorType reports whether objects of type t are actors that carry names.
func IsActorType(t string) bool {
	return t == "intrusion-set" || t == "threat-actor"
}

// AliasClaimProp is the custom property in which umbra records, on an actor
// object, which source uses which name since when. STIX's own aliases list
// cannot say who coined a name.
const AliasClaimProp = "x_umbra_alias_claims"

// UmbrellaProp marks an intrusion set that is an umbrella: a grouping of
// intrusion sets believed to serve one sponsor.
const UmbrellaProp = "x_umbra_umbrella"

// RelationProp refines a relationship's type beyond the STIX vocabulary
// (member-of), keeping relationship_type interoperable (related-to).
const RelationProp = "x_umbra_relation"

// SourceName returns the short name of a well-known publisher found in an
// object's external references (mitre-attack), or "".
func SourceName(o *stix.Object) string {
	for _, r := range o.Common.ExternalRefs {
		switch r.SourceName {
		case "mitre-attack", "mitre-mobile-attack", "mitre-ics-attack":
			return "mitre-attack"
		}
	}
	return ""
}

// Claims derives the name claims an actor object makes: its name and
// aliases (attributed to the sources that published it), ATT&CK-style
// external ids, and the explicit per-source claims in x_umbra_alias_claims.
func Claims(o *stix.Object, sources []string) []NameClaim {
	if !IsActorType(o.Type) {
		return nil
	}
	since := ""
	if len(o.Created) >= 4 {
		since = o.Created[:10]
	}
	var out []NameClaim
	add := func(name, kind, source, since, until, note string) {
		n := NormName(name)
		if n == "" {
			return
		}
		for _, c := range out {
			if c.Norm == n && c.Source == source && c.Kind == kind {
				return
			}
		}
		out = append(out, NameClaim{Name: name, Norm: n, ObjectID: o.ID, ObjectName: o.Common.Name,
			Kind: kind, Source: source, Since: since, Until: until, Note: note})
	}
	if len(sources) == 0 {
		sources = []string{"unknown"}
	}
	// Explicit per-source claims say who uses a name better than the
	// publisher of the object does, so they come first and cover the
	// object's plain aliases list.
	var explicit []AliasClaim
	if ok, err := o.Property(AliasClaimProp, &explicit); ok && err == nil {
		for _, c := range explicit {
			kind := ClaimAlias
			if NormName(c.Name) == NormName(o.Common.Name) {
				kind = ClaimName
			}
			add(c.Name, kind, c.Source, c.Since, c.Until, c.Note)
		}
	}
	covered := map[string]bool{}
	for _, c := range out {
		covered[c.Norm] = true
	}
	// The object's creation date says since when its publisher uses the
	// names, unless explicit claims say better.
	pubSince := since
	if len(explicit) > 0 {
		pubSince = ""
	}
	for _, src := range sources {
		add(o.Common.Name, ClaimName, src, pubSince, "", "")
		for _, a := range o.Common.Aliases {
			if n := NormName(a); n != NormName(o.Common.Name) && !covered[n] {
				add(a, ClaimAlias, src, pubSince, "", "")
			}
		}
	}
	idSince := ""
	if SourceName(o) == "mitre-attack" && o.Common.CreatedByRef != "" && len(explicit) == 0 {
		idSince = since
	}
	for _, r := range o.Common.ExternalRefs {
		if r.ExternalID != "" && strings.HasPrefix(r.SourceName, "mitre-") {
			add(r.ExternalID, ClaimExternalID, "mitre-attack", idSince, "", "")
		}
	}
	return out
}

// RelationOf reads a STIX relationship as a graph edge.
func RelationOf(o *stix.Object, sources []string) (Relation, bool) {
	if o.Type == "sighting" && o.Common.SightingOfRef != "" {
		// A sighting is an edge from the sighting to what was sighted.
		return Relation{ID: o.ID, Type: RelSighted, SourceRef: o.ID, TargetRef: o.Common.SightingOfRef, Sources: sources}, true
	}
	if o.Type != "relationship" || o.Common.SourceRef == "" || o.Common.TargetRef == "" {
		return Relation{}, false
	}
	r := Relation{ID: o.ID, Type: o.Common.RelationshipType, SourceRef: o.Common.SourceRef, TargetRef: o.Common.TargetRef,
		Description: o.Common.Description, Sources: sources}
	if o.Common.Confidence != nil {
		r.Confidence = *o.Common.Confidence
	}
	var refined string
	if ok, _ := o.Property(RelationProp, &refined); ok && refined != "" {
		r.Type = refined
	}
	return r, true
}

// IsUmbrella reports whether an intrusion set is an umbrella.
func IsUmbrella(o *stix.Object) bool {
	if o.Type != "intrusion-set" {
		return false
	}
	var v bool
	ok, _ := o.Property(UmbrellaProp, &v)
	return ok && v
}

// AliasClaim is one entry of x_umbra_alias_claims: a source's use of a name.
type AliasClaim struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Since  string `json:"since,omitempty"`
	Until  string `json:"until,omitempty"`
	Note   string `json:"note,omitempty"`
}
