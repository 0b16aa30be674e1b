// Package attribution links intrusion sets, campaigns, reports and our own
// incidents through the evidence they share — addresses, domains, WHOIS
// registrants, certificates, hashes, C2 naming patterns, techniques,
// victims and time — weighs each piece by how specific it is, clusters the
// result into umbrellas and ranks candidate actors for every report and
// incident with a STIX confidence and the chain of evidence behind it.
//
// Nothing it concludes is merged into the knowledge graph: WriteBack
// stores attributions as derived relationships that the next run revokes
// and replaces.
package attribution

import (
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// NodeType is the kind of thing a node of the overlap graph stands for.
type NodeType string

// Node types. Their names are the STIX types, plus "incident" for a
// cluster of our own sightings.
const (
	IntrusionSet NodeType = "intrusion-set"
	Campaign     NodeType = "campaign"
	Report       NodeType = "report"
	Incident     NodeType = "incident"
)

// Evidence kinds: what two nodes share.
const (
	KindIP              = "shared-ip"
	KindSubnet          = "shared-subnet" // same /24 (or /48) inside the same ASN
	KindDomain          = "shared-domain"
	KindRegDomain       = "shared-registered-domain"
	KindURL             = "shared-url"
	KindWhoisEmail      = "whois-email"
	KindWhoisPhone      = "whois-phone"
	KindCert            = "shared-cert"
	KindCodeSign        = "code-signing-serial"
	KindHash            = "shared-hash"
	KindC2Pattern       = "c2-pattern"
	KindFingerprint     = "shared-fingerprint" // JA3/JA3S/JA4
	KindArtifact        = "shared-artifact"    // cookie, user agent, file name
	KindTechnique       = "shared-technique"
	KindVictim          = "victim-overlap"
	KindTime            = "time-overlap"
	KindOpsecSlip       = "opsec-slip"
	KindProxied         = "proxied-session"
	KindSourceAttribute = "attributed-by-source" // a source's own attribution, taken as given
	KindMember          = "umbrella-member"
	KindSighted         = "sighted-actor" // our sighting of an actor's own object (its operator netblock, the group itself)
	KindSameGroup       = "same-group"    // a source's name claim that folds two objects into one group
)

// Evidence is one link of a chain: what was shared, who said so and how
// much it counts (0..1).
type Evidence struct {
	Kind   string  `json:"kind"`
	Value  string  `json:"value"`
	Source string  `json:"source"`
	Weight float64 `json:"weight"`
	// Via names the node the value was shared with, when it is not the
	// candidate itself (a report attributed to it, a member group).
	Via string `json:"via,omitempty"`
}

// Observable is one indicator value a node holds.
type Observable struct {
	Type   indicator.Type
	Value  string // normalised
	Source string
}

// Node is one vertex of the overlap graph.
type Node struct {
	ID   string
	Type NodeType
	Name string
	// Umbrella marks an intrusion set that groups others.
	Umbrella    bool
	Observables []Observable
	Techniques  []string // ATT&CK ids, e.g. T1553.002
	Victims     []string // "sector:technology", "country:JP"
	First, Last time.Time
	// Known lists the actors (intrusion-set ids) a source attributes this
	// node to, with the source's confidence.
	Known []KnownLink
	// Folded lists the other objects scored as this group, and the name
	// claims that say so (set by the run, not by Load).
	Folded []Folded
}

// KnownLink is an attribution or membership a source published.
type KnownLink struct {
	Actor      string
	Confidence int // 0..100; 0 when the source gave none
	Source     string
	Relation   string // attributed-to, member-of, object-ref, indicates
}

// Sighting is one thing our telemetry or detectors saw: an indicator
// value, what it was a sighting of, when and on which host (or cloud
// account, or sensor).
type Sighting struct {
	Value string
	Type  indicator.Type // Unknown: detected from Value
	Time  time.Time
	// Last is the last time it was seen, when the sighting spans a period
	// (a stored STIX sighting's last_seen); zero means Time.
	Last time.Time
	Host string
	// Ref is the id of the sighted object (sighting_of_ref), when known.
	Ref string
	// Source is who recorded the sighting; "sighting" when empty.
	Source string
	// Actors are the actors the sighted object itself stands for: an
	// intrusion set sighted directly, or the operators of a sighted
	// netblock. They count as the recording source's attribution.
	Actors []KnownLink
	// Technique is the ATT&CK id of a sighted attack pattern.
	Technique string
}
