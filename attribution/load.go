package attribution

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// DerivedProp marks the relationships WriteBack writes, so that the next
// run can replace them and Load never reads its own conclusions back as
// evidence.
const DerivedProp = "x_umbra_derived"

// Netblock is a network an actor's operators work from: sessions from it
// to a victim are opsec slips.
type Netblock struct {
	Prefix    netip.Prefix
	Actor     string // intrusion-set id
	ActorName string
	ASN       uint32 // as the source recorded it, 0 when unknown
	Source    string
	// Infra is the infrastructure object that records the netblock, so
	// that a sighting of it reaches the actor; empty for netblocks given
	// on the command line.
	Infra string
}

// Input is what the engine reads from the knowledge store.
type Input struct {
	Nodes     []Node
	Netblocks []Netblock
	// TechniqueGroups counts the intrusion sets that use each technique;
	// Groups is the number of intrusion sets that use any.
	TechniqueGroups map[string]int
	Groups          int
	// Certificates are the x509-certificate objects of the store, so that
	// certificates from an allow-listed issuer (Let's Encrypt) carry no
	// weight however their fingerprints were imported.
	Certificates []Certificate
	// Claims are the name claims of each intrusion set (knowledge.ClaimsOf),
	// from which a run folds the copies of one group into one node.
	Claims map[string][]knowledge.NameClaim
}

// Certificate is what the engine needs of an x509-certificate object.
type Certificate struct {
	Issuer string
	Serial string
	Hashes []string // fingerprints, lower-case hex
}

type extra struct {
	Derived   bool        `json:"x_umbra_derived"`
	Published string      `json:"published"`
	Sectors   []string    `json:"sectors"`
	Countries []string    `json:"x_umbra_countries"`
	Netblock  string      `json:"x_umbra_operator_netblock"` // kb.OperatorNetblockProp
	ASN       json.Number `json:"x_umbra_asn"`
	Umbrella  bool        `json:"x_umbra_umbrella"`
}

// Load reads the nodes of the overlap graph from the knowledge store:
// every intrusion set, campaign and report, with the indicators,
// techniques and victims attached to each, and the operator netblocks.
// Relationships marked derived (written by WriteBack) are skipped.
func Load(ctx context.Context, st knowledge.Store) (*Input, error) {
	objs := map[string]stix.Object{}
	var actors, campaigns, reports, rels, infra []string
	types := []string{"intrusion-set", "campaign", "report", "indicator", "attack-pattern", "identity", "infrastructure", "relationship", "x509-certificate"}
	err := st.Each(ctx, types, func(o stix.Object) error {
		if o.Common.Revoked {
			return nil
		}
		objs[o.ID] = o
		switch o.Type {
		case "intrusion-set":
			actors = append(actors, o.ID)
		case "campaign":
			campaigns = append(campaigns, o.ID)
		case "report":
			reports = append(reports, o.ID)
		case "relationship":
			rels = append(rels, o.ID)
		case "infrastructure":
			infra = append(infra, o.ID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("attribution: reading the store: %w", err)
	}
	in := &Input{TechniqueGroups: map[string]int{}}
	var certs []string
	for id, o := range objs {
		if o.Type == "x509-certificate" {
			certs = append(certs, id)
		}
	}
	sort.Strings(certs)
	for _, id := range certs {
		var x struct {
			Issuer string            `json:"issuer"`
			Serial string            `json:"serial_number"`
			Hashes map[string]string `json:"hashes"`
		}
		if json.Unmarshal(objs[id].Raw, &x) != nil || x.Issuer == "" {
			continue
		}
		c := Certificate{Issuer: x.Issuer, Serial: strings.ToLower(x.Serial)}
		for _, h := range x.Hashes {
			c.Hashes = append(c.Hashes, strings.ToLower(h))
		}
		sort.Strings(c.Hashes)
		in.Certificates = append(in.Certificates, c)
	}
	nodes := map[string]*Node{}
	order := []string{}
	add := func(o stix.Object, t NodeType) *Node {
		var x extra
		json.Unmarshal(o.Raw, &x)
		n := &Node{ID: o.ID, Type: t, Name: o.Common.Name, Umbrella: x.Umbrella}
		if n.Name == "" {
			n.Name = o.ID
		}
		n.First, n.Last = parseTime(o.Common.FirstSeen), parseTime(o.Common.LastSeen)
		if t == Report {
			n.First = parseTime(x.Published)
		}
		if n.Last.IsZero() {
			n.Last = n.First
		}
		nodes[o.ID] = n
		order = append(order, o.ID)
		return n
	}
	for _, id := range actors {
		add(objs[id], IntrusionSet)
	}
	for _, id := range campaigns {
		add(objs[id], Campaign)
	}
	sources := map[string]string{}
	sourceOf := func(id string) string {
		if s, ok := sources[id]; ok {
			return s
		}
		s := ""
		if o, ok := objs[id]; ok && len(o.Common.XSources) > 0 {
			s = strings.Join(o.Common.XSources, ",")
		} else if ss, err := st.Sources(ctx, id); err == nil {
			s = strings.Join(ss, ",")
		}
		sources[id] = s
		return s
	}
	observable := func(id string) (Observable, bool) {
		o, ok := objs[id]
		if !ok || o.Type != "indicator" {
			return Observable{}, false
		}
		ind, ok := indicator.FromSTIX(o)
		if !ok {
			return Observable{}, false
		}
		return Observable{Type: ind.Type, Value: ind.Value, Source: sourceOf(id)}, true
	}
	technique := func(id string) string {
		o, ok := objs[id]
		if !ok || o.Type != "attack-pattern" {
			return ""
		}
		for _, r := range o.Common.ExternalRefs {
			if r.SourceName == "mitre-attack" && r.ExternalID != "" {
				return r.ExternalID
			}
		}
		return ""
	}
	victims := func(id string) []string {
		o, ok := objs[id]
		if !ok || o.Type != "identity" {
			return nil
		}
		var x extra
		json.Unmarshal(o.Raw, &x)
		var v []string
		for _, s := range x.Sectors {
			v = append(v, "sector:"+strings.ToLower(s))
		}
		for _, c := range x.Countries {
			v = append(v, "country:"+strings.ToLower(c))
		}
		return v
	}
	for _, id := range reports {
		o := objs[id]
		n := add(o, Report)
		conf := 0
		if o.Common.Confidence != nil {
			conf = *o.Common.Confidence
		}
		src := sourceOf(id)
		var actorRefs []string
		for _, ref := range o.Common.ObjectRefs {
			if ob, ok := observable(ref); ok {
				n.Observables = append(n.Observables, ob)
			} else if t := technique(ref); t != "" {
				n.Techniques = append(n.Techniques, t)
			} else if v := victims(ref); v != nil {
				n.Victims = append(n.Victims, v...)
			} else if a, ok := objs[ref]; ok && a.Type == "intrusion-set" {
				actorRefs = append(actorRefs, ref)
			}
		}
		// A report about one actor vouches for its indicators; a survey
		// naming six (the Burning Umbrella report itself) does not say
		// which indicator is whose, so each actor gets a share.
		c := conf
		if c <= 0 {
			c = defaultKnownConfidence
		}
		if k := len(dedupeStrings(actorRefs)); k > 1 {
			c = max(1, c/k)
		}
		for _, ref := range dedupeStrings(actorRefs) {
			n.Known = append(n.Known, KnownLink{Actor: ref, Confidence: c, Source: src, Relation: "object-ref"})
		}
	}
	techGroups := map[string]map[string]bool{}
	for _, id := range rels {
		o := objs[id]
		var x extra
		json.Unmarshal(o.Raw, &x)
		if x.Derived {
			continue
		}
		r, ok := knowledge.RelationOf(&o, nil)
		if !ok {
			continue
		}
		src, dst := nodes[r.SourceRef], nodes[r.TargetRef]
		switch r.Type {
		case "indicates":
			if dst != nil {
				if ob, ok := observable(r.SourceRef); ok {
					dst.Observables = append(dst.Observables, ob)
				}
			}
		case "uses":
			if src == nil {
				continue
			}
			if t := technique(r.TargetRef); t != "" {
				src.Techniques = append(src.Techniques, t)
				if src.Type == IntrusionSet {
					if techGroups[t] == nil {
						techGroups[t] = map[string]bool{}
					}
					techGroups[t][src.ID] = true
				}
			}
			if io, ok := objs[r.TargetRef]; ok && io.Type == "infrastructure" {
				var ix extra
				json.Unmarshal(io.Raw, &ix)
				if ix.Netblock != "" {
					if p, err := netip.ParsePrefix(ix.Netblock); err == nil {
						asn, _ := ix.ASN.Int64()
						in.Netblocks = append(in.Netblocks, Netblock{Prefix: p.Masked(), Actor: src.ID, ActorName: src.Name,
							ASN: uint32(asn), Source: sourceOf(io.ID), Infra: io.ID})
					}
				}
			}
		case "targets":
			if src != nil {
				src.Victims = append(src.Victims, victims(r.TargetRef)...)
			}
		case "attributed-to", knowledge.RelMemberOf:
			if src != nil && dst != nil && dst.Type == IntrusionSet {
				src.Known = append(src.Known, KnownLink{Actor: dst.ID, Confidence: r.Confidence, Source: sourceOf(id), Relation: r.Type})
			}
		}
	}
	for t, g := range techGroups {
		in.TechniqueGroups[t] = len(g)
	}
	groups := map[string]bool{}
	for _, g := range techGroups {
		for a := range g {
			groups[a] = true
		}
	}
	in.Groups = len(groups)
	in.Claims = map[string][]knowledge.NameClaim{}
	for _, id := range actors {
		cs, err := st.ClaimsOf(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("attribution: name claims of %s: %w", id, err)
		}
		in.Claims[id] = cs
	}
	sort.Strings(order)
	for _, id := range order {
		n := nodes[id]
		n.Observables = dedupeObservables(n.Observables)
		n.Techniques = dedupeStrings(n.Techniques)
		n.Victims = dedupeStrings(n.Victims)
		in.Nodes = append(in.Nodes, *n)
	}
	sort.Slice(in.Netblocks, func(i, j int) bool {
		a, b := in.Netblocks[i], in.Netblocks[j]
		if a.Prefix != b.Prefix {
			return a.Prefix.String() < b.Prefix.String()
		}
		return a.Actor < b.Actor
	})
	return in, nil
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := stix.ParseTime(s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func dedupeObservables(obs []Observable) []Observable {
	sort.Slice(obs, func(i, j int) bool {
		if obs[i].Type != obs[j].Type {
			return obs[i].Type < obs[j].Type
		}
		if obs[i].Value != obs[j].Value {
			return obs[i].Value < obs[j].Value
		}
		return obs[i].Source < obs[j].Source
	})
	out := obs[:0]
	for i, o := range obs {
		if i > 0 && o.Type == obs[i-1].Type && o.Value == obs[i-1].Value {
			continue
		}
		out = append(out, o)
	}
	return out
}

func dedupeStrings(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
