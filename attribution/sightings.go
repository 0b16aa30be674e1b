package attribution

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// sightedNetblockConfidence is what a sighting of an operator netblock
// says about the actor on its own: a lead, as Slips rates a lone slip.
const sightedNetblockConfidence = 50

// sightedActorConfidence is assumed for a sighting of an intrusion set
// or campaign that carries no confidence of its own.
const sightedActorConfidence = 50

// LoadSightings reads the STIX sightings in the store (ours, and any a
// detector or feed recorded) and turns each into a Sighting by what it
// is a sighting of: an indicator or observable gives its value (an IP, a
// look-alike domain, a code-signing serial...), an operator netblock or
// an intrusion set gives the actor, an attack pattern its technique. The
// hosts are the sighting's x_umbra_hosts (one Sighting each), else its
// x_umbra_host, else its sensor, else where it was sighted. Sightings whose object the store does not hold, or that
// say nothing comparable, are counted in skipped. in supplies the
// operator netblocks (from Load); it may be nil.
func LoadSightings(ctx context.Context, st knowledge.Store, in *Input) (out []Sighting, skipped int, err error) {
	netblockActors := map[string][]Netblock{}
	if in != nil {
		for _, nb := range in.Netblocks {
			if nb.Infra != "" {
				netblockActors[nb.Infra] = append(netblockActors[nb.Infra], nb)
			}
		}
	}
	var sightings []stix.Object
	err = st.Each(ctx, []string{"sighting"}, func(o stix.Object) error {
		if !o.Common.Revoked && o.Common.SightingOfRef != "" {
			sightings = append(sightings, o)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("attribution: reading sightings: %w", err)
	}
	cache := map[string]*stix.Object{}
	// Many sightings: one pass over the sighted types instead of a query
	// per object (BenchmarkLoadSightings).
	if len(sightings) > bulkSightings {
		want := map[string]bool{}
		types := map[string]bool{}
		for _, sg := range sightings {
			want[sg.Common.SightingOfRef] = true
			if t, _, ok := strings.Cut(sg.Common.SightingOfRef, "--"); ok {
				types[t] = true
			}
		}
		var tl []string
		for t := range types {
			tl = append(tl, t)
		}
		sort.Strings(tl)
		err := st.Each(ctx, tl, func(o stix.Object) error {
			if want[o.ID] {
				cache[o.ID] = &o
			}
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("attribution: reading sighted objects: %w", err)
		}
		for id := range want {
			if _, ok := cache[id]; !ok {
				cache[id] = nil
			}
		}
	}
	object := func(id string) (*stix.Object, error) {
		if o, ok := cache[id]; ok {
			return o, nil
		}
		o, err := st.Object(ctx, id)
		if errors.Is(err, knowledge.ErrNotFound) {
			cache[id] = nil
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		cache[id] = &o
		return &o, nil
	}
	for _, sg := range sightings {
		target, err := object(sg.Common.SightingOfRef)
		if err != nil {
			return nil, 0, fmt.Errorf("attribution: sighting %s: %w", sg.ID, err)
		}
		if target == nil || target.Common.Revoked {
			skipped++
			continue
		}
		x := readSightingExtra(&sg)
		base := Sighting{Ref: target.ID, Source: strings.Join(sg.Common.XSources, ",")}
		if x.Detector != "" && base.Source == "" {
			base.Source = "detector " + x.Detector
		}
		// No store query per sighting for its provenance: a store of our
		// own matcher's sightings holds hundreds of thousands.
		if base.Source == "" {
			base.Source = sg.Common.CreatedByRef
		}
		base.Time = parseTime(sg.Common.FirstSeen)
		base.Last = parseTime(sg.Common.LastSeen)
		if base.Time.IsZero() {
			base.Time = parseTime(sg.Created)
		}
		if base.Time.IsZero() {
			skipped++
			continue
		}
		conf := 0
		if sg.Common.Confidence != nil {
			conf = *sg.Common.Confidence
		}
		got := sightedValues(target, base, conf, netblockActors)
		if len(got) == 0 {
			skipped++
			continue
		}
		// One sighting per host it was seen on: incidents group by host.
		for _, h := range x.hosts() {
			for _, s := range got {
				s.Host = h
				out = append(out, s)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		if out[i].Ref != out[j].Ref {
			return out[i].Ref < out[j].Ref
		}
		return out[i].Value < out[j].Value
	})
	return out, skipped, nil
}

// bulkSightings is the number of sightings above which the sighted
// objects are read in one pass over their types.
const bulkSightings = 256

// maxSightingHosts bounds the hosts one sighting is spread over.
const maxSightingHosts = 64

// sightingExtra is what LoadSightings reads of a sighting beyond the
// common properties, in one pass over its JSON.
type sightingExtra struct {
	Detector string   `json:"x_umbra_detector"`
	Hosts    []string `json:"x_umbra_hosts"`
	Host     string   `json:"x_umbra_host"`
	Sensor   string   `json:"x_umbra_sensor"`
	Where    []string `json:"where_sighted_refs"`
}

// hosts is where a sighting happened, as precisely as it says: its
// x_umbra_hosts (the detectors' victims: clients, accounts, files), else
// x_umbra_host, else its sensor, else where it was sighted; one empty
// host when it says nothing.
func (x *sightingExtra) hosts() []string {
	if hs := dedupeStrings(append([]string(nil), x.Hosts...)); len(hs) > 0 {
		if hs[0] == "" {
			hs = hs[1:]
		}
		if len(hs) > 0 {
			return hs[:min(len(hs), maxSightingHosts)]
		}
	}
	switch {
	case x.Host != "":
		return []string{x.Host}
	case x.Sensor != "":
		return []string{x.Sensor}
	case len(x.Where) > 0:
		return dedupeStrings(append([]string(nil), x.Where...))[:1]
	}
	return []string{""}
}

// readSightingExtra reads the properties of sightingExtra. A property of
// the wrong JSON type spoils one Unmarshal into the struct, so then they
// are read one by one and the bad one ignored: the rest still says
// something.
func readSightingExtra(o *stix.Object) sightingExtra {
	var x sightingExtra
	if json.Unmarshal(o.Raw, &x) == nil {
		return x
	}
	x = sightingExtra{}
	o.Property("x_umbra_detector", &x.Detector)
	o.Property("x_umbra_hosts", &x.Hosts)
	o.Property("x_umbra_host", &x.Host)
	o.Property("x_umbra_sensor", &x.Sensor)
	o.Property("where_sighted_refs", &x.Where)
	return x
}

// sightedValues turns the sighted object into sightings: one per
// comparable value it holds, or one naming its actors or technique.
func sightedValues(target *stix.Object, base Sighting, conf int, netblocks map[string][]Netblock) []Sighting {
	var out []Sighting
	val := func(t indicator.Type, v string) {
		if v == "" {
			return
		}
		n, err := indicator.Normalize(t, v)
		if err != nil {
			return
		}
		s := base
		s.Type, s.Value = t, n
		out = append(out, s)
	}
	switch target.Type {
	case "indicator":
		if ind, ok := indicator.FromSTIX(*target); ok {
			val(ind.Type, ind.Value)
		}
	case "ipv4-addr":
		val(indicator.IPv4, scoValue(target))
	case "ipv6-addr":
		val(indicator.IPv6, scoValue(target))
	case "domain-name":
		val(indicator.Domain, scoValue(target))
	case "url":
		val(indicator.URL, scoValue(target))
	case "email-addr":
		val(indicator.Email, scoValue(target))
	case "file", "x509-certificate":
		var x struct {
			Hashes map[string]string `json:"hashes"`
			Serial string            `json:"serial_number"`
		}
		json.Unmarshal(target.Raw, &x)
		keys := make([]string, 0, len(x.Hashes))
		for k := range x.Hashes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			val(hashType(target.Type, k), x.Hashes[k])
		}
		if x.Serial != "" {
			val(indicator.CertSerial, x.Serial)
		}
	case "attack-pattern":
		for _, r := range target.Common.ExternalRefs {
			if r.SourceName == "mitre-attack" && r.ExternalID != "" {
				s := base
				s.Technique = r.ExternalID
				out = append(out, s)
				break
			}
		}
	case "intrusion-set", "campaign", "threat-actor":
		s := base
		c := conf
		if c == 0 {
			c = sightedActorConfidence
		}
		s.Actors = []KnownLink{{Actor: target.ID, Confidence: c, Source: base.Source, Relation: knowledge.RelSighted}}
		out = append(out, s)
	case "infrastructure":
		if nbs := netblocks[target.ID]; len(nbs) > 0 {
			s := base
			s.Type, s.Value = indicator.CIDR, nbs[0].Prefix.String()
			for _, nb := range nbs {
				c := conf
				if c == 0 {
					c = sightedNetblockConfidence
				}
				s.Actors = append(s.Actors, KnownLink{Actor: nb.Actor, Confidence: c, Source: base.Source, Relation: knowledge.RelSighted})
			}
			out = append(out, s)
		}
	}
	return out
}

func scoValue(o *stix.Object) string {
	var x struct {
		Value string `json:"value"`
	}
	json.Unmarshal(o.Raw, &x)
	return x.Value
}

// hashType maps a STIX hash algorithm name to the indicator type: a
// certificate's fingerprint is a certificate hash, a file's a file hash.
func hashType(objType, algo string) indicator.Type {
	a := strings.ToUpper(strings.ReplaceAll(algo, "-", ""))
	if objType == "x509-certificate" {
		switch a {
		case "SHA1":
			return indicator.CertSHA1
		case "SHA256":
			return indicator.CertSHA256
		}
		return indicator.Unknown
	}
	switch a {
	case "MD5":
		return indicator.MD5
	case "SHA1":
		return indicator.SHA1
	case "SHA256":
		return indicator.SHA256
	case "SHA512":
		return indicator.SHA512
	}
	return indicator.Unknown
}
