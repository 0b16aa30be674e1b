package signin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/umbra-cti/umbra/detect/lookalike"
	"github.com/umbra-cti/umbra/intel/allowlist"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/simulate"
	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"

	_ "github.com/umbra-cti/umbra/telemetry/signin"
	_ "github.com/umbra-cti/umbra/telemetry/zeek"
)

// geoNet is one network of a test MMDB; lat/lon 0,0 means country only.
type geoNet struct {
	prefix   string
	country  string
	lat, lon float64
}

// testNets places the fixtures' addresses: city coordinates where a
// GeoLite2-City would have them, country only elsewhere.
var testNets = []geoNet{
	{"203.0.113.0/24", "US", 34.05, -118.24}, // Los Angeles
	{"81.2.69.0/24", "GB", 51.51, -0.13},     // London
	{"221.216.0.0/13", "CN", 39.90, 116.40},  // Beijing
	{"185.220.101.0/24", "DE", 0, 0},
	{"45.76.33.0/24", "SG", 0, 0},
	{"198.51.100.0/24", "US", 0, 0},
	{"192.0.2.0/24", "FR", 48.86, 2.35}, // Paris
	{"203.0.114.0/24", "CA", 0, 0},
}

// writeMMDB builds a GeoLite2-City-shaped database of nets.
func writeMMDB(t testing.TB, nets []geoNet) []byte {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "umbra-test-City", IncludeReservedNetworks: true, IPVersion: 6, RecordSize: 28})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nets {
		_, ipnet, err := net.ParseCIDR(n.prefix)
		if err != nil {
			t.Fatal(err)
		}
		rec := mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(n.country)}}
		if n.lat != 0 || n.lon != 0 {
			rec["location"] = mmdbtype.Map{"latitude": mmdbtype.Float64(n.lat), "longitude": mmdbtype.Float64(n.lon)}
		}
		if err := tree.Insert(ipnet, rec); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if _, err := tree.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testGeo(t testing.TB) *MMDB {
	t.Helper()
	m, err := OpenMMDBBytes("test.mmdb", writeMMDB(t, testNets))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func testLookalike(t testing.TB) *lookalike.Detector {
	t.Helper()
	la, err := lookalike.New(nil, lookalike.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return la
}

// erinIntel stands in for a snapshot: one address is known bad.
var erinIntel = AddrIntel(func(ip netip.Addr) (string, string, bool) {
	if ip == netip.MustParseAddr("198.51.100.77") {
		return "198.51.100.77", "APT17", true
	}
	return "", "", false
})

// runScenario decodes testdata/scenario through telemetry/source, merged
// by time, and returns the findings and the problems reported.
func runScenario(t *testing.T, cfg Config) ([]Finding, []error) {
	t.Helper()
	inputs, err := source.Open(filepath.Join("testdata", "scenario"))
	if err != nil {
		t.Fatal(err)
	}
	var decs []source.Decoder
	for _, in := range inputs {
		st, err := in.Open()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		dec, err := st.Decoder()
		if err != nil {
			t.Fatalf("%s: %v", in.Path, err)
		}
		decs = append(decs, dec)
	}
	var problems []error
	m := NewMerge(decs, func(err error) { problems = append(problems, err) })
	d := New(cfg)
	var out []Finding
	var ev event.Event
	last := time.Time{}
	for {
		err := m.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Time.Before(last) {
			t.Errorf("merge went back in time: %s after %s", ev.Time, last)
		}
		last = ev.Time
		out = append(out, d.Observe(&ev)...)
	}
	return out, problems
}

// key is what the scenario tests compare: which sign-in, which rule.
func key(f Finding) string {
	return fmt.Sprintf("%s %s %s %s", f.Time.UTC().Format("15:04:05"), f.User, f.SrcIP, f.Kind)
}

func keys(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, key(f))
	}
	slices.Sort(out)
	return out
}

// wantScenario lists the findings the fixture was written to contain (see
// testdata/README.md); Bob's and Dave's sign-ins must not appear.
var wantScenario = []string{
	"10:06:10 hana.rossi@lanternpeak.example 45.76.33.20 after-lookalike-visit",
	"10:07:31 hana.rossi@lanternpeak.example 45.76.33.20 after-lookalike-visit",
	"10:30:00 alice.chen@lanternpeak.example 221.216.3.4 operator-netblock",
	"11:35:00 carol.diaz@lanternpeak.example 185.220.101.7 impossible-travel",
	"12:00:00 erin.wu@lanternpeak.example 198.51.100.77 intel-ip",
	"14:02:09 grace.park@lanternpeak.example 221.218.40.9 operator-netblock",
}

func find(t *testing.T, fs []Finding, user string, k Kind, hhmmss string) Finding {
	t.Helper()
	for _, f := range fs {
		if f.User == user && f.Kind == k && f.Time.UTC().Format("15:04:05") == hhmmss {
			return f
		}
	}
	t.Fatalf("no %s finding for %s at %s", k, user, hhmmss)
	return Finding{}
}

func TestScenarioWithUsersList(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "users.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hosts, st, err := LoadUsers(f, "users.csv")
	if err != nil || st.Bad != 0 {
		t.Fatalf("users.csv: %v %v", err, st.Errors)
	}
	fs, problems := runScenario(t, Config{Intel: erinIntel, Netblocks: DefaultNetblocks(), Lookalike: testLookalike(t), Hosts: hosts, Geo: testGeo(t)})
	if got := keys(fs); !slices.Equal(got, wantScenario) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantScenario, "\n"))
	}
	// The bad Google record is reported with its place, not dropped.
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), "google_login.json") || !strings.Contains(problems[0].Error(), "221.218.40.300") {
		t.Errorf("problems = %v, want the bad address in google_login.json", problems)
	}

	ok := find(t, fs, "hana.rossi@lanternpeak.example", KindAfterLookalike, "10:07:31")
	failed := find(t, fs, "hana.rossi@lanternpeak.example", KindAfterLookalike, "10:06:10")
	ev := strings.Join(ok.Evidence, "\n")
	for _, want := range []string{"visited account.microsoftssonline.com from 10.20.1.15 at 2018-05-24T09:14:02Z", "microsoftonline.com", "53m29s before", "new for hana.rossi", "10.20.1.15 is a workstation of hana.rossi@lanternpeak.example: per the host list"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	// The AAAA lookup a millisecond later is the same visit, not a second one.
	if len(ok.Related) != 1 || ok.Related[0].UID != "CpX4tZ1n9gDq3yVh2" || ok.Related[0].Kind != "dns" {
		t.Errorf("related = %+v, want the A lookup CpX4tZ1n9gDq3yVh2", ok.Related)
	}
	if ok.Confidence <= failed.Confidence {
		t.Errorf("successful sign-in confidence %d not above the failed one's %d", ok.Confidence, failed.Confidence)
	}

	nb := find(t, fs, "alice.chen@lanternpeak.example", KindOperatorNetblock, "10:30:00")
	if nb.Actor != "Winnti umbrella" || !strings.Contains(nb.Evidence[0], "221.216.0.0/13") {
		t.Errorf("netblock finding = %+v", nb)
	}
	tr := find(t, fs, "carol.diaz@lanternpeak.example", KindImpossibleTravel, "11:35:00")
	if len(tr.Related) != 1 || tr.Related[0].SrcIP != netip.MustParseAddr("203.0.113.10") {
		t.Errorf("travel related = %+v, want the 11:00 sign-in from 203.0.113.10", tr.Related)
	}
	if in := find(t, fs, "erin.wu@lanternpeak.example", KindIntelIP, "12:00:00"); in.Actor != "APT17" {
		t.Errorf("intel actor = %q", in.Actor)
	}
}

// Without a users list, Hana's workstation is learned from her own
// sign-in from 10.20.1.15 that morning.
func TestScenarioLearnsWorkstations(t *testing.T) {
	fs, _ := runScenario(t, Config{Intel: erinIntel, Netblocks: DefaultNetblocks(), Lookalike: testLookalike(t), Geo: testGeo(t)})
	if got := keys(fs); !slices.Equal(got, wantScenario) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantScenario, "\n"))
	}
	f := find(t, fs, "hana.rossi@lanternpeak.example", KindAfterLookalike, "10:07:31")
	if want := "successfully at 2018-05-24T07:58:12Z"; !strings.Contains(strings.Join(f.Evidence, "\n"), want) {
		t.Errorf("evidence lacks %q: %q", want, f.Evidence)
	}
}

// Each rule can be switched off by leaving its knowledge out.
func TestScenarioNothingConfigured(t *testing.T) {
	fs, _ := runScenario(t, Config{})
	if len(fs) != 0 {
		t.Errorf("findings with no knowledge: %v", keys(fs))
	}
}

var t0 = time.Date(2018, 5, 24, 9, 0, 0, 0, time.UTC)

func dnsEv(at time.Duration, src, name string) *event.Event {
	return &event.Event{Kind: event.KindDNS, Time: t0.Add(at), SrcIP: netip.MustParseAddr(src), Domain: name, Sensor: "zeek", UID: "C" + name}
}

func signinEv(at time.Duration, user, src, result string) *event.Event {
	return &event.Event{Kind: event.KindSignIn, Time: t0.Add(at), User: user, SrcIP: netip.MustParseAddr(src), Result: result, Sensor: "entra", App: "OfficeHome"}
}

func kinds(fs []Finding) []Kind {
	var out []Kind
	for _, f := range fs {
		out = append(out, f.Kind)
	}
	return out
}

func TestLookalikeJoinOrders(t *testing.T) {
	hosts := Hosts{}
	hosts.Add("hana@x.example", netip.MustParseAddr("10.0.0.5"))
	visit := func() *event.Event { return dnsEv(0, "10.0.0.5", "accounts.google-acc.com") }
	attack := func() *event.Event { return signinEv(50*time.Minute, "hana@x.example", "45.76.33.20", "success") }

	t.Run("visit then sign-in", func(t *testing.T) {
		d := New(Config{Lookalike: testLookalike(t), Hosts: hosts})
		if fs := d.Observe(visit()); len(fs) != 0 {
			t.Fatalf("visit alone: %v", keys(fs))
		}
		if fs := d.Observe(attack()); !slices.Equal(kinds(fs), []Kind{KindAfterLookalike}) {
			t.Fatalf("sign-in: %v", keys(fs))
		}
	})
	t.Run("sign-in read before the visit", func(t *testing.T) {
		d := New(Config{Lookalike: testLookalike(t), Hosts: hosts})
		if fs := d.Observe(attack()); len(fs) != 0 {
			t.Fatalf("sign-in alone: %v", keys(fs))
		}
		fs := d.Observe(visit())
		if !slices.Equal(kinds(fs), []Kind{KindAfterLookalike}) || fs[0].Time != t0.Add(50*time.Minute) {
			t.Fatalf("visit: %v", keys(fs))
		}
		// A second look-alike does not report the same sign-in again.
		if fs := d.Observe(dnsEv(time.Minute, "10.0.0.5", "account.microsoftssonline.com")); len(fs) != 0 {
			t.Fatalf("second visit: %v", keys(fs))
		}
	})
	t.Run("workstation learned after the sign-in", func(t *testing.T) {
		d := New(Config{Lookalike: testLookalike(t)})
		d.Observe(visit())
		if fs := d.Observe(attack()); len(fs) != 0 {
			t.Fatalf("unknown workstation yet: %v", keys(fs))
		}
		fs := d.Observe(signinEv(2*time.Hour, "hana@x.example", "10.0.0.5", "success"))
		if !slices.Equal(kinds(fs), []Kind{KindAfterLookalike}) || fs[0].SrcIP != netip.MustParseAddr("45.76.33.20") {
			t.Fatalf("learning: %v", keys(fs))
		}
	})
	t.Run("visit outside the window", func(t *testing.T) {
		d := New(Config{Lookalike: testLookalike(t), Hosts: hosts, Window: 30 * time.Minute})
		d.Observe(visit())
		if fs := d.Observe(attack()); len(fs) != 0 {
			t.Fatalf("50 min after with a 30 min window: %v", keys(fs))
		}
	})
	t.Run("sign-in from the visiting workstation", func(t *testing.T) {
		d := New(Config{Lookalike: testLookalike(t), Hosts: hosts})
		d.Observe(visit())
		if fs := d.Observe(signinEv(time.Minute, "hana@x.example", "10.0.0.5", "success")); len(fs) != 0 {
			t.Fatalf("the user herself: %v", keys(fs))
		}
	})
	t.Run("search suffix and allow list", func(t *testing.T) {
		d := New(Config{Lookalike: testLookalike(t), Hosts: hosts, Allow: func(n string) bool { return n == "wns.windows.com" }})
		d.Observe(dnsEv(0, "10.0.0.5", "login.microsoftonline.com.corp.x.example"))
		d.Observe(dnsEv(0, "10.0.0.5", "LOGIN.microsoftonline.com.Corp.X.example."))
		d.Observe(dnsEv(0, "10.0.0.5", "wns.windows.com"))
		if fs := d.Observe(attack()); len(fs) != 0 || d.Stats().LookalikeVisits != 0 {
			t.Fatalf("own domain or allowed name taken for a visit: %v", keys(fs))
		}
	})
	t.Run("hand-made host map", func(t *testing.T) {
		d := New(Config{Lookalike: testLookalike(t), Hosts: Hosts{"Hana@X.Example": {netip.MustParseAddr("::ffff:10.0.0.5")}}})
		d.Observe(visit())
		if fs := d.Observe(attack()); len(fs) != 1 {
			t.Fatalf("findings %v", keys(fs))
		}
	})
	t.Run("other user's workstation", func(t *testing.T) {
		d := New(Config{Lookalike: testLookalike(t), Hosts: hosts})
		d.Observe(dnsEv(0, "10.0.0.6", "accounts.google-acc.com"))
		if fs := d.Observe(attack()); len(fs) != 0 {
			t.Fatalf("visit by someone else: %v", keys(fs))
		}
	})
	t.Run("http host with port and tls sni", func(t *testing.T) {
		d := New(Config{Lookalike: testLookalike(t), Hosts: hosts})
		d.Observe(&event.Event{Kind: event.KindHTTP, Time: t0, SrcIP: netip.MustParseAddr("10.0.0.5"), Host: "login.microsoftonline.com:443"})
		if fs := d.Observe(attack()); len(fs) != 0 {
			t.Fatalf("the real login page: %v", keys(fs))
		}
		d.Observe(&event.Event{Kind: event.KindTLS, Time: t0.Add(time.Hour), SrcIP: netip.MustParseAddr("10.0.0.5"), SNI: "account.microsoftssonline.com"})
		fs := d.Observe(signinEv(70*time.Minute, "Hana@X.example", "45.76.33.21", "success"))
		if !slices.Equal(kinds(fs), []Kind{KindAfterLookalike}) || !strings.Contains(strings.Join(fs[0].Evidence, "\n"), "(tls), 10m0s before the sign-in: look-alike of microsoftonline.com") {
			t.Fatalf("sni visit: %+v", fs)
		}
	})
}

func TestImpossibleTravel(t *testing.T) {
	geo := testGeo(t)
	cases := []struct {
		name   string
		second *event.Event
		want   bool
	}{
		{"LA to Paris in 2 h", signinEv(2*time.Hour, "u@x", "192.0.2.8", "success"), true},
		{"LA to Paris in 11 h", signinEv(11*time.Hour, "u@x", "192.0.2.8", "success"), false}, // 9100 km: 830 km/h
		{"LA to Paris at the same instant", signinEv(0, "u@x", "192.0.2.8", "success"), true},
		{"LA to US country centre", signinEv(time.Minute, "u@x", "198.51.100.9", "success"), false},
		{"failed sign-in from Paris", signinEv(time.Hour, "u@x", "192.0.2.8", "failure"), false},
		{"unknown address", signinEv(time.Hour, "u@x", "100.64.1.1", "success"), false},
		{"other user from Paris", signinEv(time.Hour, "v@x", "192.0.2.8", "success"), false},
		{"US to Canada, country centres, in 1 h", signinEv(time.Hour, "u@x", "203.0.114.9", "success"), false}, // 2200 km between centres
		{"US to Canada, country centres, at once", signinEv(0, "u@x", "203.0.114.9", "success"), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := New(Config{Geo: geo})
			first := "203.0.113.10"
			if strings.Contains(c.name, "country centres") {
				first = "198.51.100.9"
			}
			d.Observe(signinEv(0, "u@x", first, "success"))
			fs := d.Observe(c.second)
			if got := len(fs) == 1 && fs[0].Kind == KindImpossibleTravel; got != c.want || len(fs) > 1 {
				t.Fatalf("findings %+v, want travel %v", fs, c.want)
			}
		})
	}
}

func TestMMDBLocate(t *testing.T) {
	geo := testGeo(t)
	p, ok := geo.Locate(netip.MustParseAddr("81.2.69.142"))
	if !ok || p.Country != "GB" || p.Centroid || p.Lat != 51.51 {
		t.Errorf("London = %+v %v", p, ok)
	}
	p, ok = geo.Locate(netip.MustParseAddr("::ffff:185.220.101.7"))
	if !ok || p.Country != "DE" || !p.Centroid || !p.HasCoords {
		t.Errorf("DE = %+v %v, want the country centre", p, ok)
	}
	if _, ok := geo.Locate(netip.MustParseAddr("8.8.8.8")); ok {
		t.Errorf("address outside the database located")
	}
	if _, err := OpenMMDB(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil || !strings.Contains(err.Error(), "missing.mmdb") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := OpenMMDBBytes("junk.mmdb", []byte("not an mmdb")); err == nil || !strings.Contains(err.Error(), "junk.mmdb") {
		t.Errorf("junk: %v", err)
	}
}

// Distances checked against published great-circle figures.
func TestDistance(t *testing.T) {
	la := Place{Lat: 34.05, Lon: -118.24}
	london := Place{Lat: 51.51, Lon: -0.13}
	if km := distanceKm(la, london); km < 8700 || km > 8800 {
		t.Errorf("LA-London = %.0f km, want about 8750", km)
	}
	if km := distanceKm(london, london); km != 0 {
		t.Errorf("London-London = %f", km)
	}
}

func TestSnapshotIntel(t *testing.T) {
	snap, rej := match.Build([]indicator.Indicator{
		{Type: indicator.CIDR, Value: "45.76.33.0/24", IDs: []string{"indicator--7f3c1b6e-6f2a-4f3e-9c1d-2b9a8e5d4c01"}, Sources: []string{"401trg"},
			Actors: []indicator.Actor{{Name: "BARIUM", Confidence: 40}, {Name: "Winnti umbrella", Confidence: 85}}},
		{Type: indicator.Email, Value: "hana@x.example", IDs: []string{"indicator--7f3c1b6e-6f2a-4f3e-9c1d-2b9a8e5d4c02"}},
	}, nil)
	if len(rej) != 0 {
		t.Fatal(rej)
	}
	d := New(Config{Intel: SnapshotIntel(snap)})
	fs := d.Observe(signinEv(0, "hana@x.example", "45.76.33.20", "success"))
	if len(fs) != 1 || fs[0].Kind != KindIntelIP || fs[0].Actor != "Winnti umbrella" || fs[0].Confidence != 85 {
		t.Fatalf("findings %+v", fs)
	}
	if ev := fs[0].Evidence[0]; !strings.Contains(ev, "45.76.33.0/24") || !strings.Contains(ev, "401trg") {
		t.Errorf("evidence %q", ev)
	}
	// An indicator that is a configured operator netblock is reported once,
	// by the netblock rule.
	snap, _ = match.Build([]indicator.Indicator{
		{Type: indicator.CIDR, Value: "221.216.0.0/13", Actors: []indicator.Actor{{Name: "Winnti umbrella", Confidence: 85}}},
		{Type: indicator.IPv4, Value: "221.216.3.4"},
	}, nil)
	d2 := New(Config{Intel: SnapshotIntel(snap), Netblocks: DefaultNetblocks()})
	fs = d2.Observe(signinEv(0, "alice@x.example", "221.216.3.4", "success"))
	if got := kinds(fs); !slices.Equal(got, []Kind{KindIntelIP, KindOperatorNetblock}) || len(fs[0].Evidence) != 2 || !strings.Contains(fs[0].Evidence[0], "indicator 221.216.3.4") {
		t.Errorf("netblock indicator: %+v", fs)
	}
	// The user name is not a source address: no finding from it alone.
	if fs := d.Observe(signinEv(0, "hana@x.example", "203.0.113.5", "success")); len(fs) != 0 {
		t.Errorf("user-only hit gave %+v", fs)
	}
}

func TestSkippedSignIns(t *testing.T) {
	d := New(Config{Netblocks: DefaultNetblocks()})
	d.Observe(&event.Event{Kind: event.KindSignIn, Time: t0, SrcIP: netip.MustParseAddr("221.216.1.1")})
	d.Observe(&event.Event{Kind: event.KindSignIn, Time: t0, User: "a@x"})
	if st := d.Stats(); st.SignIns != 2 || st.SkippedSignIns != 2 {
		t.Errorf("stats %+v", st)
	}
}

// Memory stays bounded with many users, and old state is forgotten as
// event time moves on.
func TestBoundedState(t *testing.T) {
	d := New(Config{Lookalike: testLookalike(t), Geo: testGeo(t), MaxUsers: 1000, MaxHosts: 500})
	var ev event.Event
	for i := range 8000 {
		ev = event.Event{Kind: event.KindSignIn, Time: t0.Add(time.Duration(i) * time.Second), User: fmt.Sprintf("user%d@x", i),
			SrcIP: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), Result: "success"}
		d.Observe(&ev)
		ev = event.Event{Kind: event.KindDNS, Time: ev.Time, SrcIP: netip.AddrFrom4([4]byte{10, 200, byte(i >> 8), byte(i)}), Domain: fmt.Sprintf("login-micros0ft%d.com", i%7)}
		d.Observe(&ev)
	}
	if len(d.users) > 1000 || len(d.visits) > 500 {
		t.Errorf("users %d visits %d over their caps", len(d.users), len(d.visits))
	}
	if n := d.Stats().LookalikeVisits; n != 8000 {
		t.Errorf("look-alike visits = %d, want 8000 (the names must look alike)", n)
	}
	for u, s := range d.users {
		for _, h := range s.hosts {
			if !slices.ContainsFunc(d.learned[h.ip], func(x stamp) bool { return x.user == u }) {
				t.Fatalf("learned index lost %s at %s", u, h.ip)
			}
		}
	}
	// One record with a broken clock does not expire everything...
	ev = event.Event{Kind: event.KindConn, Time: t0.Add(30 * 24 * time.Hour)}
	d.Observe(&ev)
	ev = event.Event{Kind: event.KindConn, Time: t0.Add(8000 * time.Second)}
	d.Observe(&ev)
	if len(d.users) == 0 {
		t.Fatalf("one far-future event expired all state")
	}
	// ...but two in a row are a real gap in time.
	ev = event.Event{Kind: event.KindConn, Time: t0.Add(30 * 24 * time.Hour)}
	d.Observe(&ev)
	ev = event.Event{Kind: event.KindConn, Time: t0.Add(30*24*time.Hour + time.Minute)}
	d.Observe(&ev)
	if len(d.users) != 0 || len(d.visits) != 0 || len(d.learned) != 0 {
		t.Errorf("after a month: users %d visits %d learned %d", len(d.users), len(d.visits), len(d.learned))
	}
}

type sliceDecoder struct {
	evs []event.Event
	err []error // returned before the event of the same index
}

func (s *sliceDecoder) Next(e *event.Event) error {
	if len(s.err) > 0 {
		err := s.err[0]
		s.err = s.err[1:]
		if err != nil {
			return err
		}
	}
	if len(s.evs) == 0 {
		return io.EOF
	}
	e.Reset()
	*e = s.evs[0].Clone()
	s.evs = s.evs[1:]
	return nil
}

func TestMerge(t *testing.T) {
	at := func(min int, uid string) event.Event {
		return event.Event{Time: t0.Add(time.Duration(min) * time.Minute), UID: uid}
	}
	a := &sliceDecoder{evs: []event.Event{at(1, "a1"), at(5, "a5"), at(9, "a9")},
		err: []error{nil, &source.RecordError{Name: "a", Line: 2, Reason: "bad"}}}
	b := &sliceDecoder{evs: []event.Event{at(2, "b2"), at(5, "b5")}}
	c := &sliceDecoder{err: []error{errors.New("c: broken gzip")}}
	var problems []string
	m := NewMerge([]source.Decoder{a, b, c}, func(err error) { problems = append(problems, err.Error()) })
	var got []string
	var ev event.Event
	for m.Next(&ev) == nil {
		got = append(got, ev.UID)
	}
	if want := []string{"a1", "b2", "a5", "b5", "a9"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if len(problems) != 2 {
		t.Errorf("problems %v, want the bad record and the broken input", problems)
	}
}

// TestSimulatedIntrusion runs the detector over umbra simulate's scenario
// and scores it against the scenario's ground truth: every attacker
// sign-in (truth kind cloud-signin) must be flagged as following a
// look-alike visit. A phished user's own sign-ins are flagged only from an
// address the detector never saw the user use (a first sign-in from home
// on the day after the click): without history the two cannot be told
// apart, and such false positives must stay a minority.
func TestSimulatedIntrusion(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a scenario")
	}
	const hosts = 30
	dir := t.TempDir()
	if _, err := simulate.Generate(context.Background(), simulate.Options{Out: dir, Hosts: hosts, Days: 4, Seed: 7, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	org, err := simulate.NewOrg(hosts)
	if err != nil {
		t.Fatal(err)
	}
	hm := Hosts{}
	for _, h := range org.Hosts {
		if h.User != "" {
			hm.Add(h.User, h.Addr)
		}
	}
	attack := map[string]bool{}
	tf, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	if _, err := simulate.ReadTruth(tf, "truth.jsonl", func(tr simulate.Truth) error {
		if tr.Kind == "cloud-signin" {
			attack[tr.UID] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(attack) == 0 {
		t.Fatal("scenario has no attacker sign-ins")
	}
	var decs []source.Decoder
	for _, sub := range []string{"signin", "zeek"} {
		inputs, err := source.Open(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range inputs {
			st, err := in.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			dec, err := st.Decoder()
			if err != nil {
				t.Fatalf("%s: %v", in.Path, err)
			}
			decs = append(decs, dec)
		}
	}
	m := NewMerge(decs, func(err error) { t.Errorf("bad record in simulated telemetry: %v", err) })
	allow := allowlist.Default()
	d := New(Config{Lookalike: testLookalike(t), Hosts: hm, Allow: func(name string) bool {
		_, ok := allow.Covers(&indicator.Indicator{Type: indicator.Domain, Value: name})
		return ok
	}})
	flagged := map[string]bool{}
	falsePos := 0
	var ev event.Event
	for m.Next(&ev) == nil {
		for _, f := range d.Observe(&ev) {
			flagged[f.UID] = true
			if attack[f.UID] {
				continue
			}
			falsePos++
			if !slices.ContainsFunc(f.Evidence, func(e string) bool { return strings.Contains(e, " is new for ") }) {
				t.Errorf("user's own sign-in from a known address flagged: %s %v", key(f), f.Evidence)
			}
		}
	}
	if falsePos*3 > len(attack) {
		t.Errorf("%d false positives for %d attacker sign-ins", falsePos, len(attack))
	}
	for uid := range attack {
		if !flagged[uid] {
			t.Errorf("attacker sign-in %s not flagged", uid)
		}
	}
	t.Logf("%d attacker sign-ins, %d sign-ins flagged, %d of them the users' own; %+v", len(attack), len(flagged), falsePos, d.Stats())
}

var update = flag.Bool("update", false, "rewrite the golden files")

// The JSON lines `umbra signins --json` prints for the scenario; scripts
// rely on the names. Regenerate with go test -run Golden -update after a
// deliberate change, and read the diff.
func TestScenarioGolden(t *testing.T) {
	hosts := Hosts{}
	hosts.Add("hana.rossi@lanternpeak.example", netip.MustParseAddr("10.20.1.15"))
	fs, _ := runScenario(t, Config{Intel: erinIntel, Netblocks: DefaultNetblocks(), Lookalike: testLookalike(t), Hosts: hosts, Geo: testGeo(t)})
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, f := range fs {
		if err := enc.Encode(f); err != nil {
			t.Fatal(err)
		}
	}
	golden := filepath.Join("testdata", "scenario.golden.jsonl")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("output differs from %s:\n%s", golden, b.String())
	}
}
