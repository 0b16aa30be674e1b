// Package signin flags cloud sign-ins (Entra ID / Office 365, Google
// Workspace) that look like the use of phished credentials, the way the
// Winnti umbrella phished Office 365 and Gmail accounts through look-alike
// login pages and then signed in to them.
//
// A Detector is fed every normalised event — sign-ins from
// telemetry/signin and web and DNS events from Zeek, Suricata or pcap — in
// roughly time order, and reports a sign-in whose source address
//
//   - matches intel (a match.Snapshot or any address lookup),
//   - lies in an actor's operator netblock (221.216.0.0/13 for the umbrella),
//   - follows, within a window, a visit by the same user's workstation to a
//     look-alike of a brand's login domain (detect/lookalike), or
//   - is impossibly far from the user's previous successful sign-in for the
//     time between them (geo from an MMDB).
//
// Web and DNS events are attributed to the host in their source address, so
// DNS must be seen between the workstations and their resolver, not between
// the resolver and the Internet.
//
// The detector streams: it keeps only recent sign-ins, look-alike visits and
// workstation addresses, evicted by event time and capped in number, so its
// memory stays bounded however many users and events pass through.
package signin

import (
	"net/netip"
	"time"
)

// Kind says which rule a Finding comes from. Scripts select on these names;
// keep them stable.
type Kind string

const (
	// KindIntelIP: the sign-in's source address matched an intel indicator.
	KindIntelIP Kind = "intel-ip"
	// KindOperatorNetblock: the source address lies in an actor's home
	// netblock, an operator who skipped the proxies.
	KindOperatorNetblock Kind = "operator-netblock"
	// KindAfterLookalike: the user's workstation visited a look-alike of a
	// login domain shortly before the sign-in.
	KindAfterLookalike Kind = "after-lookalike-visit"
	// KindImpossibleTravel: the user could not have travelled from the
	// previous sign-in's location in the time between them.
	KindImpossibleTravel Kind = "impossible-travel"
)

// Finding is one suspicious sign-in with the evidence for it, printed by
// `umbra signins` as one JSON object per line.
type Finding struct {
	Time   time.Time  `json:"ts"`
	User   string     `json:"user"`
	SrcIP  netip.Addr `json:"src_ip"`
	App    string     `json:"app,omitempty"`
	Result string     `json:"result,omitempty"`
	Sensor string     `json:"sensor,omitempty"`
	UID    string     `json:"uid,omitempty"`
	Kind   Kind       `json:"kind"`
	// Actor is who the evidence points to, when it points to someone, and
	// ActorID its STIX id when the knowledge store named it.
	Actor   string `json:"actor,omitempty"`
	ActorID string `json:"actor_id,omitempty"`
	// IndicatorIDs are the intel indicators an intel-ip finding matched.
	IndicatorIDs []string `json:"indicator_ids,omitempty"`
	// Confidence is how sure the rule is that the sign-in is not the
	// user's own, 0-100 like STIX confidence.
	Confidence int `json:"confidence"`
	// Evidence says in sentences why the sign-in was flagged.
	Evidence []string `json:"evidence"`
	// Related are the other events the finding rests on: the look-alike
	// visits, the previous sign-in.
	Related []Ref `json:"related,omitempty"`
}

// Ref points to an event a Finding rests on, so an analyst can find it in
// the telemetry.
type Ref struct {
	Time   time.Time  `json:"ts"`
	Kind   string     `json:"kind"` // the event kind: dns, http, tls, signin
	Sensor string     `json:"sensor,omitempty"`
	UID    string     `json:"uid,omitempty"`
	SrcIP  netip.Addr `json:"src_ip"`
	// Value is the observable: the visited domain or the sign-in's user.
	Value string `json:"value,omitempty"`
}
