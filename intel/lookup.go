package intel

import (
	"context"
	"encoding/json"
	"net/netip"
	"sort"
	"strings"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// Correlator is the store's correlation index.
type Correlator interface {
	Correlate(ctx context.Context, value string) (ids []string, over bool, count int, err error)
	Containers(ctx context.Context, id string) ([]string, error)
}

// Sighting of a value: one object that carries it, with its provenance.
type Sighting struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
	// Within is set when the object carries a network holding the
	// looked-up address rather than the address itself.
	Within  string   `json:"within,omitempty"`
	Sources []string `json:"sources"`
	Actors  []string `json:"actors,omitempty"`
	Reports []string `json:"reports,omitempty"`
	// Observed lists the STIX sightings of the object: where umbra's
	// matcher (or a source) saw it in telemetry, oldest first.
	Observed []Observed `json:"observed,omitempty"`
}

// Observed is one STIX sighting of an object that carries the value.
type Observed struct {
	ID        string   `json:"id"`
	Count     int      `json:"count"`
	FirstSeen string   `json:"first_seen,omitempty"`
	LastSeen  string   `json:"last_seen,omitempty"`
	Sensor    string   `json:"sensor,omitempty"`
	Where     []string `json:"where,omitempty"`
	Hosts     []string `json:"hosts,omitempty"`
}

// LookupResult answers "where else has this value been seen".
type LookupResult struct {
	Query          string     `json:"query"`
	Type           string     `json:"type"`
	Value          string     `json:"value"`
	OverCorrelated bool       `json:"over_correlated"`
	Count          int        `json:"count"`
	Seen           []Sighting `json:"seen"`
}

// Lookup finds every source, report, actor and sighting of a value, in any
// spelling an analyst pastes it (defanged, mixed case); for an address, also
// those of the networks (CIDR indicators) that hold it.
func Lookup(ctx context.Context, st knowledge.Store, idx Correlator, query string) (LookupResult, error) {
	res := LookupResult{Query: query}
	q := indicator.Refang(strings.TrimSpace(query))
	t, v, err := indicator.Detect(q)
	// Hex alone cannot say whether it is a hash or a certificate serial
	// (a 16-byte serial is as long as an MD5), and serials are written
	// with colons or odd lengths that no hash has: look it up as a serial
	// too, and answer with the reading the store knows.
	if sv, serr := indicator.Normalize(indicator.CertSerial, q); serr == nil && (err != nil || hexDigest(t)) {
		if err != nil {
			t, v, err = indicator.CertSerial, sv, nil
		} else if onlyKnownAs(ctx, idx, v, sv) {
			t, v = indicator.CertSerial, sv
		}
	}
	// A name under a TLD the public suffix list does not know (evil.example,
	// host.corp) reads as a file name; intel lists such names as domains.
	// Look it up as a domain too, and answer with the reading the store knows.
	if err == nil && t == indicator.FileName {
		if dv, derr := indicator.Normalize(indicator.Domain, q); derr == nil && onlyKnownAs(ctx, idx, v, dv) {
			t, v = indicator.Domain, dv
		}
	}
	if err != nil {
		return res, err
	}
	res.Type, res.Value = t.String(), v
	ids, over, count, err := idx.Correlate(ctx, v)
	if err != nil {
		return res, err
	}
	res.OverCorrelated, res.Count = over, count
	if res.Seen, err = carriers(ctx, st, idx, v, "", ids, nil); err != nil {
		return res, err
	}
	// An address is also seen wherever a network that holds it is: the
	// operator netblock a session came from directly. Every prefix of it
	// is one exact lookup, as CIDR indicators are keyed by their network.
	if t == indicator.IPv4 || t == indicator.IPv6 {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return res, err
		}
		for bits := a.BitLen(); bits >= minWithin(a); bits-- {
			p := netip.PrefixFrom(a, bits).Masked().String()
			ids, over, _, err := idx.Correlate(ctx, p)
			if err != nil {
				return res, err
			}
			if over {
				continue // a network everybody lists says nothing
			}
			if res.Seen, err = carriers(ctx, st, idx, p, p, ids, res.Seen); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// onlyKnownAs reports whether the store knows nothing of the value v but
// something of another reading alt of the same query.
func onlyKnownAs(ctx context.Context, idx Correlator, v, alt string) bool {
	if _, _, n, err := idx.Correlate(ctx, v); err != nil || n > 0 {
		return false
	}
	_, _, n, err := idx.Correlate(ctx, alt)
	return err == nil && n > 0
}

// minWithin is the widest network Lookup looks for an address in: /8 for
// IPv4, /16 for IPv6; wider ones are too broad to say where it was seen.
func minWithin(a netip.Addr) int {
	if a.Is4() {
		return 8
	}
	return 16
}

// carriers appends to out every object of ids that carries value, with its
// sources, actors, reports and sightings; within names the network the
// looked-up address is in, when value is that network.
func carriers(ctx context.Context, st knowledge.Store, idx Correlator, value, within string, ids []string, out []Sighting) ([]Sighting, error) {
	for _, id := range ids {
		o, err := st.Object(ctx, id)
		if err != nil {
			return out, err
		}
		if !carries(&o, value) {
			continue // a hash collision in the index
		}
		s := Sighting{ID: id, Type: o.Type, Name: o.Common.Name, Within: within}
		if s.Sources, err = st.Sources(ctx, id); err != nil {
			return out, err
		}
		rels, err := st.Relations(ctx, id)
		if err != nil {
			return out, err
		}
		for _, r := range rels {
			switch {
			case r.Type == "indicates" && r.SourceRef == id:
				if a, err := st.Object(ctx, r.TargetRef); err == nil {
					s.Actors = append(s.Actors, a.Common.Name)
				}
			case r.Type == knowledge.RelSighted && r.TargetRef == id:
				if sg, err := st.Object(ctx, r.SourceRef); err == nil {
					s.Observed = append(s.Observed, observedOf(&sg))
				}
			}
		}
		sort.SliceStable(s.Observed, func(i, j int) bool { return s.Observed[i].FirstSeen < s.Observed[j].FirstSeen })
		reps, err := idx.Containers(ctx, id)
		if err != nil {
			return out, err
		}
		for _, rid := range reps {
			if r, err := st.Object(ctx, rid); err == nil {
				s.Reports = append(s.Reports, r.Common.Name)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// hexDigest reports whether values of t are bare hex digests, which a
// certificate serial can look like.
func hexDigest(t indicator.Type) bool {
	switch t {
	case indicator.MD5, indicator.SHA1, indicator.SHA256, indicator.SHA512,
		indicator.CertSHA1, indicator.CertSHA256, indicator.JA3, indicator.JA3S:
		return true
	}
	return false
}

// observedOf reads a STIX sighting, with the properties umbra's matcher
// adds (sensor, where in the telemetry, which hosts).
func observedOf(sg *stix.Object) Observed {
	var p struct {
		Count  int      `json:"count"`
		Sensor string   `json:"x_umbra_sensor"`
		Where  []string `json:"x_umbra_where"`
		Hosts  []string `json:"x_umbra_hosts"`
	}
	json.Unmarshal(sg.Raw, &p) // a property of the wrong type is left out
	return Observed{ID: sg.ID, Count: p.Count, FirstSeen: sg.Common.FirstSeen, LastSeen: sg.Common.LastSeen,
		Sensor: p.Sensor, Where: p.Where, Hosts: p.Hosts}
}

func carries(o *stix.Object, v string) bool { return indicator.CorrelationValue(o) == v }
