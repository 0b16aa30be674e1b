package signin

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/kb"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/stix"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// IntelMatch is one intel indicator that a sign-in's source address matched.
type IntelMatch struct {
	// Indicator is the indicator value that matched: the address or the
	// prefix containing it.
	Indicator string
	IDs       []string
	Sources   []string
	// Actor is the most confident attribution the indicator carries, and
	// ActorConfidence that attribution's confidence; empty when none.
	Actor           string
	ActorConfidence int
}

// IntelLookup returns the intel matches of a sign-in's source address.
// It lets tests pass a plain predicate instead of a compiled snapshot.
type IntelLookup func(ev *event.Event) []IntelMatch

// SnapshotIntel looks sign-in source addresses up in a compiled intel
// snapshot (the signin.src_ip field of match.Snapshot). The lookup it returns
// reuses a buffer, so it is for one Detector, which is not used concurrently.
func SnapshotIntel(s *match.Snapshot) IntelLookup {
	var hits []match.Hit
	return func(ev *event.Event) []IntelMatch {
		hits = s.MatchAppend(hits[:0], ev)
		var out []IntelMatch
		for _, h := range hits {
			if h.Where != "signin.src_ip" {
				continue
			}
			a := s.Alert(ev, h)
			m := IntelMatch{Indicator: a.Matched, IDs: a.IndicatorIDs, Sources: a.Sources}
			if m.Indicator == "" {
				m.Indicator = a.Indicator
			}
			for _, ac := range a.Actors {
				if m.Actor == "" || ac.Confidence > m.ActorConfidence {
					m.Actor, m.ActorConfidence = ac.Name, ac.Confidence
				}
			}
			out = append(out, m)
		}
		return out
	}
}

// AddrIntel looks sign-in source addresses up with a predicate, for callers
// that hold their intel in another form (and for tests). hit returns the
// matching indicator and its actor, or ok false.
func AddrIntel(hit func(ip netip.Addr) (indicator, actor string, ok bool)) IntelLookup {
	return func(ev *event.Event) []IntelMatch {
		ind, actor, ok := hit(ev.SrcIP)
		if !ok {
			return nil
		}
		return []IntelMatch{{Indicator: ind, Actor: actor}}
	}
}

// Netblock is an actor's home network: sign-ins from it are operators who
// skipped their proxies.
type Netblock struct {
	Actor  string       `json:"actor"`
	Prefix netip.Prefix `json:"prefix"`
	// ActorID is the actor's STIX id when the netblock came from the
	// knowledge store, so findings can be recorded as its evidence.
	ActorID string `json:"actor_id,omitempty"`
}

// DefaultNetblocks is the built-in knowledge: the Winnti umbrella operators'
// China Unicom Beijing netblock from the Burning Umbrella report.
func DefaultNetblocks() []Netblock {
	return []Netblock{{Actor: kb.UmbrellaName, Prefix: netip.MustParsePrefix(kb.OperatorNetblock)}}
}

// ParseNetblock reads "actor=prefix" (or a bare prefix, actor unknown), the
// form the command line takes.
func ParseNetblock(s string) (Netblock, error) {
	actor, pfx, ok := strings.Cut(s, "=")
	if !ok {
		actor, pfx = "", s
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(pfx))
	if err != nil {
		return Netblock{}, fmt.Errorf("netblock %q: %v", clip(s), err)
	}
	return Netblock{Actor: strings.TrimSpace(actor), Prefix: p.Masked()}, nil
}

func (m IntelMatch) evidence(ip netip.Addr) string {
	var b strings.Builder
	fmt.Fprintf(&b, "source %s matched indicator %s", ip, m.Indicator)
	if len(m.Sources) > 0 {
		fmt.Fprintf(&b, " from %s", strings.Join(m.Sources, ", "))
	}
	if len(m.IDs) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(m.IDs, ", "))
	}
	if m.Actor != "" {
		fmt.Fprintf(&b, ", attributed to %s", m.Actor)
		if m.ActorConfidence > 0 {
			fmt.Fprintf(&b, " with confidence %d", m.ActorConfidence)
		}
	}
	return b.String()
}

// StoreNetblocks reads the operator netblocks the knowledge store holds:
// infrastructure objects carrying kb.OperatorNetblockProp (the built-in
// knowledge's 221.216.0.0/13 and any an analyst imported), each attributed
// to the intrusion sets and campaigns that use it. An object whose netblock
// does not parse is described in bad and skipped.
func StoreNetblocks(ctx context.Context, st knowledge.Store) (nbs []Netblock, bad []error, err error) {
	var infra []stix.Object
	err = st.Each(ctx, []string{"infrastructure"}, func(o stix.Object) error {
		if !o.Common.Revoked {
			infra = append(infra, o)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading operator netblocks: %w", err)
	}
	for _, o := range infra {
		var s string
		if ok, perr := o.Property(kb.OperatorNetblockProp, &s); !ok {
			continue
		} else if perr != nil {
			bad = append(bad, fmt.Errorf("%s: %s: %v", o.ID, kb.OperatorNetblockProp, perr))
			continue
		}
		p, perr := netip.ParsePrefix(strings.TrimSpace(s))
		if perr != nil {
			bad = append(bad, fmt.Errorf("%s: %s: bad prefix %q", o.ID, kb.OperatorNetblockProp, clip(s)))
			continue
		}
		rels, err := st.Relations(ctx, o.ID)
		if err != nil {
			return nil, bad, fmt.Errorf("reading the users of %s: %w", o.ID, err)
		}
		n := len(nbs)
		for _, r := range rels {
			if r.Type != "uses" || r.TargetRef != o.ID {
				continue
			}
			actor, err := st.Object(ctx, r.SourceRef)
			if err != nil || actor.Common.Revoked {
				continue // a dangling or withdrawn claim attributes nothing
			}
			var name string
			if _, err := actor.Property("name", &name); err != nil || name == "" {
				name = actor.ID
			}
			nbs = append(nbs, Netblock{Actor: name, ActorID: actor.ID, Prefix: p.Masked()})
		}
		if len(nbs) == n {
			nbs = append(nbs, Netblock{Prefix: p.Masked()})
		}
	}
	return nbs, bad, nil
}
