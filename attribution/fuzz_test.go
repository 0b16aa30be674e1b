package attribution

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/stix"
)

func TestAllowListParse(t *testing.T) {
	a, err := ParseAllowList(strings.NewReader("# shared hosting\ncidr 192.0.2.0/24\n203.0.113.5\nhosting.test # comment\nissuer Example CA\nbogus x y\ncidr 300.1.1.1\n"), "allow.txt")
	if err == nil || !strings.Contains(err.Error(), "allow.txt:6: unknown kind") || !strings.Contains(err.Error(), "allow.txt:7: bad address") {
		t.Fatalf("errors: %v", err)
	}
	for _, c := range []struct {
		t    indicator.Type
		v    string
		want bool
	}{
		{indicator.IPv4, "192.0.2.77", true}, {indicator.IPv4, "203.0.113.5", true}, {indicator.IPv4, "203.0.113.6", false},
		{indicator.Domain, "a.b.hosting.test", true}, {indicator.Domain, "nothosting.test", false},
		{indicator.URL, "http://x.hosting.test/a", true},
	} {
		if got := a.Allowed(c.t, c.v); got != c.want {
			t.Errorf("Allowed(%v, %s) = %v", c.t, c.v, got)
		}
	}
	if !a.AllowedIssuer("example ca") || a.AllowedIssuer("Other") {
		t.Error("issuer")
	}
	d := DefaultAllowList()
	if !d.AllowedIssuer("Let's Encrypt") || !d.Allowed(indicator.IPv4, "1.1.1.1") || d.Allowed(indicator.IPv4, "221.216.1.1") {
		t.Error("built-in list")
	}
}

func FuzzParseAllowList(f *testing.F) {
	f.Add("cidr 10.0.0.0/8\ndomain example.test\nissuer Let's Encrypt\nvalue abc\n")
	f.Add("1.2.3.4\n::1\nexample.test # c\n")
	f.Add("bogus\n\x00\xff\n")
	f.Fuzz(func(t *testing.T, s string) {
		a, _ := ParseAllowList(strings.NewReader(s), "fuzz")
		a.Allowed(indicator.IPv4, "10.1.2.3")
		a.Allowed(indicator.Domain, "a.example.test")
		a.Allowed(indicator.URL, "http://[::1]/x")
	})
}

func FuzzReadSessions(f *testing.F) {
	f.Add("time,source,target\n2018-02-01T03:00:00Z,221.222.1.2,victim@o365.test\n")
	f.Add("2018-02-01T03:00:00Z,::ffff:1.2.3.4,h\nx,y\n")
	f.Fuzz(func(t *testing.T, s string) {
		ss, bad := ReadSessions(strings.NewReader(s), "fuzz")
		for _, x := range ss {
			if !x.Src.IsValid() || x.Dst == "" {
				t.Fatalf("bad session kept: %+v", x)
			}
		}
		for _, e := range bad {
			if !strings.HasPrefix(e.Error(), "fuzz:") {
				t.Fatalf("error without position: %v", e)
			}
		}
	})
}

// FuzzSightedValues feeds hostile sightings and sighted objects (any
// type, any properties) through what LoadSightings reads of them, and
// the result through Incidents: no panic, and every sighting kept holds a
// value, an actor or a technique.
func FuzzSightedValues(f *testing.F) {
	f.Add([]byte(`{"type":"sighting","id":"sighting--6b4a3c1e-0000-4000-8000-000000000001","sighting_of_ref":"x509-certificate--6b4a3c1e-0000-4000-8000-000000000002","first_seen":"2018-03-01T00:00:00Z","x_umbra_host":"build-01"}`),
		[]byte(`{"type":"x509-certificate","id":"x509-certificate--6b4a3c1e-0000-4000-8000-000000000002","serial_number":"028E1DECCF93D38ECF396118DFE908B4","hashes":{"SHA-1":"12eb8a9f1a7cd1cc10e57847dd5476c6062b9e58"}}`))
	f.Add([]byte(`{"type":"sighting","id":"sighting--6b4a3c1e-0000-4000-8000-000000000003","sighting_of_ref":"infrastructure--6b4a3c1e-0000-4000-8000-000000000004","x_umbra_hosts":[1,2],"where_sighted_refs":"x"}`),
		[]byte(`{"type":"infrastructure","id":"infrastructure--6b4a3c1e-0000-4000-8000-000000000004","name":"n"}`))
	f.Add([]byte(`{"type":"sighting"}`), []byte(`{"type":"domain-name","value":"\u0000..xn--"}`))
	f.Add([]byte(`{}`), []byte(`{"type":"attack-pattern","external_references":[{"source_name":"mitre-attack","external_id":"T1553.002"}]}`))
	f.Fuzz(func(t *testing.T, sraw, oraw []byte) {
		sg, err := stix.Parse(sraw)
		if err != nil {
			return
		}
		target, err := stix.Parse(oraw)
		if err != nil {
			return
		}
		x := readSightingExtra(&sg)
		hosts := x.hosts()
		if len(hosts) == 0 || len(hosts) > maxSightingHosts {
			t.Fatalf("%d hosts", len(hosts))
		}
		base := Sighting{Ref: target.ID, Host: hosts[0], Time: time.Unix(1520000000, 0)}
		nbs := map[string][]Netblock{target.ID: {{Prefix: netip.MustParsePrefix("221.216.0.0/13"), Actor: "intrusion-set--x", Infra: target.ID}}}
		got := sightedValues(&target, base, 0, nbs)
		for _, s := range got {
			if s.Value == "" && len(s.Actors) == 0 && s.Technique == "" {
				t.Fatalf("empty sighting kept: %+v", s)
			}
		}
		Incidents(got, 0)
	})
}

// FuzzStateJSON: a damaged or hostile state file is an error or a state
// an update can start from; either way the update equals a full run.
func FuzzStateJSON(f *testing.F) {
	good, _ := json.Marshal(Run(fixtureInput(), nil, Options{}).State)
	f.Add(good)
	f.Add([]byte(`{"version":1,"labels":{"intrusion-set--a":"zzz"},"edges":{"intrusion-set--a":"ffffffffffffffff"}}`))
	f.Add([]byte(`{"version":1,"edges":{"x":"not hex"}}`))
	full, _ := json.Marshal(Run(fixtureInput(), nil, Options{}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var s State
		if json.Unmarshal(raw, &s) != nil {
			return
		}
		got, _ := json.Marshal(Run(fixtureInput(), nil, Options{Previous: &s}))
		if string(got) != string(full) {
			t.Fatalf("update from %s differs from a full run", raw)
		}
	})
}
