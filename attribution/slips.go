package attribution

import (
	"net/netip"
	"sort"
	"strconv"
	"time"

	"github.com/umbra-cti/umbra/attribution/geo"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
)

// Session is one connection or sign-in seen in telemetry: who (source
// address) reached what (a victim host or a cloud account) and when.
type Session struct {
	Src  netip.Addr
	Dst  string
	Time time.Time
}

// Lead is an opsec slip: an operator session that reached a victim
// directly from a netblock tied to an actor's operators. Leads are for
// an analyst to confirm, so each carries its own evidence and confidence.
type Lead struct {
	Source          string     `json:"source"` // the session's source address
	Netblock        string     `json:"netblock"`
	ASN             uint32     `json:"asn,omitempty"`
	Org             string     `json:"org,omitempty"`
	Country         string     `json:"country,omitempty"`
	Actor           string     `json:"actor"`
	ActorID         string     `json:"-"`
	Target          string     `json:"target"`
	Time            time.Time  `json:"time"`     // the first such session
	Sessions        int        `json:"sessions"` // how many sessions the lead stands for
	Confidence      int        `json:"confidence"`
	ConfidenceWords string     `json:"confidence_words"`
	Evidence        []Evidence `json:"evidence"`
}

// Slips finds opsec slips in sessions. A session from an actor's operator
// netblock to a target is a lead on its own (medium confidence); it
// becomes strong when the same target also received sessions from the
// actor's known C2 or proxy addresses (the operators normally came
// through them, and here skipped them), and when the source's ASN is the
// one the netblock was recorded with.
func Slips(in *Input, sessions []Session, db *geo.DB) []Lead {
	// Known infrastructure addresses per actor, umbrellas including their
	// members' infrastructure.
	e := newEngine(in, Options{})
	infra := map[string]map[netip.Addr]bool{} // actor id -> addresses
	for i := range in.Nodes {
		actors := e.actorsOf(i)
		for _, o := range in.Nodes[i].Observables {
			if o.Type != indicator.IPv4 && o.Type != indicator.IPv6 {
				continue
			}
			a, err := netip.ParseAddr(o.Value)
			if err != nil {
				continue
			}
			for ai := range actors {
				id := in.Nodes[ai].ID
				if infra[id] == nil {
					infra[id] = map[netip.Addr]bool{}
				}
				infra[id][a.Unmap()] = true
			}
		}
	}
	// Who else reached each target, from which known infrastructure.
	proxied := map[string]map[string][]netip.Addr{} // target -> actor -> addresses
	for _, s := range sessions {
		for actor, addrs := range infra {
			if addrs[s.Src.Unmap()] {
				if proxied[s.Dst] == nil {
					proxied[s.Dst] = map[string][]netip.Addr{}
				}
				proxied[s.Dst][actor] = append(proxied[s.Dst][actor], s.Src.Unmap())
			}
		}
	}
	var out []Lead
	// One lead per (source, target, actor): a slip repeated a hundred
	// times is one thing for an analyst to look at.
	seen := map[string]int{}
	for _, s := range sessions {
		src := s.Src.Unmap()
		for _, nb := range in.Netblocks {
			if !nb.Prefix.Contains(src) {
				continue
			}
			key := src.String() + "\x00" + s.Dst + "\x00" + nb.Actor + "\x00" + nb.Prefix.String()
			if i, ok := seen[key]; ok {
				out[i].Sessions++
				if s.Time.Before(out[i].Time) {
					out[i].Time = s.Time
				}
				continue
			}
			seen[key] = len(out)
			info, _ := db.Lookup(src)
			l := Lead{Source: src.String(), Netblock: nb.Prefix.String(), ASN: info.ASN, Org: info.Org, Country: info.Country,
				Actor: nb.ActorName, ActorID: nb.Actor, Target: s.Dst, Time: s.Time, Sessions: 1}
			ws := []float64{0.5}
			l.Evidence = append(l.Evidence, Evidence{Kind: KindOpsecSlip, Value: src.String() + " in " + nb.Prefix.String(),
				Source: nb.Source, Weight: 0.5})
			if via := dedupeAddrs(proxied[s.Dst][nb.Actor]); len(via) > 0 {
				for _, a := range via {
					l.Evidence = append(l.Evidence, Evidence{Kind: KindProxied, Value: a.String() + " -> " + s.Dst,
						Source: "telemetry", Weight: 0.4})
				}
				ws = append(ws, 0.4)
			}
			if nb.ASN != 0 && info.ASN == nb.ASN {
				l.Evidence = append(l.Evidence, Evidence{Kind: "asn-match", Value: "AS" + strconv.FormatUint(uint64(info.ASN), 10) + " " + info.Org,
					Source: "mmdb", Weight: 0.2})
				ws = append(ws, 0.2)
			}
			l.Confidence = int(combine(ws...)*100 + 0.5)
			l.ConfidenceWords = knowledge.ConfidenceWords(l.Confidence)
			out = append(out, l)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Confidence != out[j].Confidence {
			return out[i].Confidence > out[j].Confidence
		}
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].Source < out[j].Source
	})
	return out
}

func dedupeAddrs(a []netip.Addr) []netip.Addr {
	sort.Slice(a, func(i, j int) bool { return a[i].Less(a[j]) })
	out := a[:0]
	for i, x := range a {
		if i == 0 || x != a[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// LeadSightings turns opsec slips into sightings on their targets, so
// that the incident on a victim host or account carries the slip as
// evidence for the actor, beside whatever intel it matched.
func LeadSightings(leads []Lead) []Sighting {
	var out []Sighting
	for _, l := range leads {
		if l.ActorID == "" {
			continue
		}
		out = append(out, Sighting{Value: l.Source, Time: l.Time, Host: l.Target, Source: KindOpsecSlip,
			Actors: []KnownLink{{Actor: l.ActorID, Confidence: l.Confidence, Source: KindOpsecSlip + " from " + l.Netblock, Relation: KindOpsecSlip}}})
	}
	return out
}
