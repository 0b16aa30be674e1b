package hunt

import (
	"context"
	"encoding/json"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/simulate"

	_ "github.com/umbra-cti/umbra/telemetry/signin"
)

// The pivots are checked against the simulated scenario's own ground
// truth: the organisation's layout (simulate.NewOrg: patient zero, HR,
// the phished users, the jump host), the attacker infrastructure
// (simulate.Infrastructure) and truth.jsonl, which lists every malicious
// record with its time. None of the expected values comes from umbra's
// decoders, memory or matcher.

const scenarioHosts, scenarioDays = 40, 7

type scenario struct {
	dir   string // removed by TestMain
	mem   *memory.Store
	org   simulate.Org
	infra map[string][]string // purpose -> values
	truth []simulate.Truth
	err   error
}

var (
	scenarioOnce sync.Once
	theScenario  scenario
)

// TestMain removes the scenario that the pivot tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	if theScenario.mem != nil {
		theScenario.mem.Close()
	}
	if theScenario.dir != "" {
		os.RemoveAll(theScenario.dir)
	}
	os.Exit(code)
}

func loadScenario(t *testing.T) *scenario {
	t.Helper()
	if testing.Short() {
		t.Skip("generates and ingests a week of telemetry")
	}
	scenarioOnce.Do(func() {
		sc := &theScenario
		dir, err := os.MkdirTemp("", "umbra-pivot-")
		if err != nil {
			sc.err = err
			return
		}
		sc.dir = dir
		out := filepath.Join(dir, "scenario")
		ctx := context.Background()
		if _, err := simulate.Generate(ctx, simulate.Options{Out: out, Hosts: scenarioHosts, Days: scenarioDays, Seed: 7}); err != nil {
			sc.err = err
			return
		}
		if sc.org, err = simulate.NewOrg(scenarioHosts); err != nil {
			sc.err = err
			return
		}
		infra, err := simulate.Infrastructure()
		if err != nil {
			sc.err = err
			return
		}
		sc.infra = map[string][]string{}
		for _, in := range infra {
			sc.infra[in.Purpose] = append(sc.infra[in.Purpose], in.Value)
		}
		f, err := os.Open(filepath.Join(out, "truth.jsonl"))
		if err != nil {
			sc.err = err
			return
		}
		_, err = simulate.ReadTruth(f, "truth.jsonl", func(tr simulate.Truth) error {
			sc.truth = append(sc.truth, tr)
			return nil
		})
		f.Close()
		if err != nil {
			sc.err = err
			return
		}
		if sc.mem, err = memory.Open(filepath.Join(dir, "data")); err != nil {
			sc.err = err
			return
		}
		empty, _ := match.Build(nil, nil)
		_, sc.err = Ingest(ctx, sc.mem, empty, []string{filepath.Join(out, "zeek"), filepath.Join(out, "signin")}, IngestOptions{})
	})
	if theScenario.err != nil {
		t.Fatal(theScenario.err)
	}
	return &theScenario
}

func (sc *scenario) addr(i int) netip.Addr { return sc.org.Hosts[i].Addr }

func (sc *scenario) addrs(idx []int) []netip.Addr {
	var out []netip.Addr
	for _, i := range idx {
		out = append(out, sc.addr(i))
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}

func (sc *scenario) jumpHost() netip.Addr {
	for _, h := range sc.org.Hosts {
		if h.Role == simulate.RoleJumpHost {
			return h.Addr
		}
	}
	panic("no jump host")
}

// c2Used lists the C2 roots whose traffic the truth records.
func (sc *scenario) c2Used(t *testing.T) []string {
	var used []string
	for _, root := range sc.infra["C2 domain; root resolves to 127.0.0.1 while idle"] {
		for _, tr := range sc.truth {
			if tr.Kind == "c2" && strings.HasSuffix(tr.Indicator, "."+root) {
				used = append(used, root)
				break
			}
		}
	}
	if len(used) == 0 {
		t.Fatal("the scenario has no C2 traffic")
	}
	return used
}

// near says whether a stored time agrees with the truth's: Zeek stamps an
// HTTP request after the handshake the truth's session time starts, and
// sign-in logs keep milliseconds.
func near(got, want time.Time) bool { return got.Sub(want).Abs() <= 50*time.Millisecond }

func truthTime(t *testing.T, tr simulate.Truth) time.Time {
	ts, err := time.Parse(time.RFC3339Nano, tr.Time)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// hostsOf returns the sorted distinct non-inbound host addresses of cs.
func hostsOf(cs []Contact) []netip.Addr {
	var out []netip.Addr
	for _, c := range cs {
		if c.Host.IsValid() && !c.Inbound {
			out = append(out, c.Host)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}

func talked(t *testing.T, mem *memory.Store, v string, r Range) []Contact {
	t.Helper()
	cs, err := TalkedTo(context.Background(), mem, v, r)
	if err != nil {
		t.Fatalf("TalkedTo(%q): %v", v, err)
	}
	return cs
}

// Only patient zero talked to the C2 servers: by root domain (its
// per-target subdomain), by address, and by the C2 certificate; and not
// before the truth's first C2 record.
func TestTalkedToC2(t *testing.T) {
	sc := loadScenario(t)
	p0 := []netip.Addr{sc.addr(sc.org.Patient0)}
	for _, root := range sc.c2Used(t) {
		cs := talked(t, sc.mem, root, Range{})
		if got := hostsOf(cs); !slices.Equal(got, p0) {
			t.Errorf("talked to %s: %v, want patient zero %v", root, got, p0)
		}
		if len(cs) != 1 || !slices.Contains(cs[0].Observed, "lpg."+root) || !slices.Contains(cs[0].Where, "dns.query") {
			t.Errorf("talked to %s: %+v", root, cs)
		}
		var first time.Time
		for _, tr := range sc.truth {
			if tr.Kind == "c2" && (tr.Indicator == root || strings.HasSuffix(tr.Indicator, "."+root)) {
				if ts := truthTime(t, tr); first.IsZero() || ts.Before(first) {
					first = ts
				}
			}
		}
		if len(cs) == 1 && !near(cs[0].First, first) {
			t.Errorf("talked to %s first at %s, truth says %s", root, cs[0].First, first)
		}
		if before := talked(t, sc.mem, root, Range{Until: first}); len(before) != 0 {
			t.Errorf("talked to %s before its first C2 record at %s: %+v", root, first, before)
		}
		if after := talked(t, sc.mem, root, Range{Since: first}); !slices.Equal(hostsOf(after), p0) {
			t.Errorf("talked to %s since %s: %+v", root, first, after)
		}
	}
	for _, ip := range sc.infra["C2 server"] {
		cs := talked(t, sc.mem, ip, Range{})
		if got := hostsOf(cs); len(got) > 0 && !slices.Equal(got, p0) {
			t.Errorf("talked to C2 %s: %v, want patient zero", ip, got)
		}
	}
	for _, fp := range sc.infra["C2 TLS certificate"] {
		seen := false
		for _, tr := range sc.truth {
			seen = seen || tr.Indicator == fp
		}
		if !seen {
			continue
		}
		if got := hostsOf(talked(t, sc.mem, fp, Range{})); !slices.Equal(got, p0) {
			t.Errorf("talked to the C2 certificate %s: %v, want patient zero", fp, got)
		}
	}
	md5 := sc.infra["backdoor signed with a stolen certificate"][0]
	if got := hostsOf(talked(t, sc.mem, md5, Range{})); !slices.Equal(got, p0) {
		t.Errorf("received the implant %s: %v, want patient zero", md5, got)
	}
}

// Every HR workstation, and only those, got the résumé lure; the lure URLs
// together reach the same hosts; the phishing hosts' /31 reached exactly
// the phished users.
func TestTalkedToLureAndPhishing(t *testing.T) {
	sc := loadScenario(t)
	hr := sc.addrs(sc.org.HR)
	lure := sc.infra["fake resume lure site"] // domain, IP
	for _, v := range lure {
		if got := hostsOf(talked(t, sc.mem, v, Range{})); !slices.Equal(got, hr) {
			t.Errorf("talked to lure %s: %v, want HR %v", v, got, hr)
		}
	}
	var urls []string
	for _, tr := range sc.truth {
		if tr.Kind == "resume-lure" && tr.Log == "http" && !slices.Contains(urls, tr.Indicator) {
			urls = append(urls, tr.Indicator)
		}
	}
	var union []netip.Addr
	for _, u := range urls {
		got := hostsOf(talked(t, sc.mem, u, Range{}))
		if len(got) == 0 {
			t.Errorf("nobody talked to lure URL %s", u)
		}
		union = append(union, got...)
	}
	slices.SortFunc(union, netip.Addr.Compare)
	if union = slices.Compact(union); !slices.Equal(union, hr) {
		t.Errorf("lure URLs reached %v, want HR %v", union, hr)
	}
	phished := sc.addrs(sc.org.Phished)
	ips := sc.infra["credential phishing host"]
	a, b := netip.MustParseAddr(ips[0]), netip.MustParseAddr(ips[1])
	if a.Next() != b || a.As4()[3]%2 != 0 {
		t.Fatalf("phishing hosts %v are not one /31", ips)
	}
	cidr := netip.PrefixFrom(a, 31).String()
	if got := hostsOf(talked(t, sc.mem, cidr, Range{})); !slices.Equal(got, phished) {
		t.Errorf("talked to %s: %v, want the phished %v", cidr, got, phished)
	}
	// Defanged, as it arrives from a report.
	if got := hostsOf(talked(t, sc.mem, strings.ReplaceAll(cidr, ".", "[.]"), Range{})); !slices.Equal(got, phished) {
		t.Errorf("talked to defanged %s: %v", cidr, got)
	}
}

// The operators' netblock connected in to the jump host and signed in to
// the compromised accounts.
func TestTalkedToOperatorNetblock(t *testing.T) {
	sc := loadScenario(t)
	block := sc.infra["operator netblock (China Unicom Beijing)"][0]
	cs := talked(t, sc.mem, block, Range{})
	var inbound []netip.Addr
	var users []string
	for _, c := range cs {
		switch {
		case c.Inbound:
			inbound = append(inbound, c.Host)
		case c.User != "":
			users = append(users, strings.ToLower(c.User))
		default:
			t.Errorf("outbound contact %+v with the operators' netblock", c)
		}
	}
	if want := []netip.Addr{sc.jumpHost()}; !slices.Equal(inbound, want) {
		t.Errorf("operator netblock connected to %v, want the jump host %v", inbound, want)
	}
	var want []string
	for _, i := range sc.org.Compromised {
		want = append(want, strings.ToLower(sc.org.Hosts[i].User))
	}
	slices.Sort(want)
	slices.Sort(users)
	if !slices.Equal(slices.Compact(users), slices.Compact(want)) {
		t.Errorf("operator netblock signed in as %v, want the compromised %v", users, want)
	}
}

// First and last sightings and counts agree with the truth for values that
// only the truth's records carry.
func TestSeen(t *testing.T) {
	sc := loadScenario(t)
	ctx := context.Background()
	var values []string
	values = append(values, sc.infra["sign-ins to stolen cloud accounts"]...)
	for _, tr := range sc.truth {
		if tr.Kind == "operator-session" && !slices.Contains(values, tr.Indicator) {
			values = append(values, tr.Indicator)
		}
	}
	for _, v := range values {
		var first, last time.Time
		n := int64(0)
		for _, tr := range sc.truth {
			if tr.Indicator != v {
				continue
			}
			ts := truthTime(t, tr)
			if n == 0 || ts.Before(first) {
				first = ts
			}
			if n == 0 || ts.After(last) {
				last = ts
			}
			n++
		}
		fl, err := Seen(ctx, sc.mem, v)
		if err != nil {
			t.Fatal(err)
		}
		if !near(fl.First, first) || !near(fl.Last, last) || fl.Events != n {
			t.Errorf("seen %s: %s .. %s, %d events; truth: %s .. %s, %d", v, fl.First, fl.Last, fl.Events, first, last, n)
		}
	}
	// The lure domain: its DNS lookups and the HTTP requests to it.
	lure := sc.infra["fake resume lure site"][0]
	var first, last time.Time
	n := int64(0)
	for _, tr := range sc.truth {
		host := tr.Indicator
		if u, err := url.Parse(tr.Indicator); err == nil && u.Host != "" {
			host = u.Hostname()
		}
		if host != lure || (tr.Log != "dns" && tr.Log != "http") {
			continue
		}
		ts := truthTime(t, tr)
		if n == 0 || ts.Before(first) {
			first = ts
		}
		if n == 0 || ts.After(last) {
			last = ts
		}
		n++
	}
	fl, err := Seen(ctx, sc.mem, lure)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || !near(fl.First, first) || !near(fl.Last, last) || fl.Events != n {
		t.Errorf("seen %s: %+v; truth: %s .. %s, %d", lure, fl, first, last, n)
	}
	never, err := Seen(ctx, sc.mem, "never-seen.example.com")
	if err != nil || never.Events != 0 || !never.First.IsZero() {
		t.Fatalf("never seen: %+v %v", never, err)
	}
	b, _ := json.Marshal(never)
	if !strings.Contains(string(b), `"first":null`) {
		t.Errorf("never-seen JSON %s", b)
	}
}

// Each C2 address was the answer only for the studio's C2 name, asked only
// by patient zero; the lure's address only for the lure domain, asked by HR.
func TestResolvedTo(t *testing.T) {
	sc := loadScenario(t)
	ctx := context.Background()
	p0 := []netip.Addr{sc.addr(sc.org.Patient0)}
	infra, _ := simulate.Infrastructure()
	c2IP := map[string]string{} // root -> address, in the order Infrastructure lists them
	var roots []string
	for _, in := range infra {
		switch in.Purpose {
		case "C2 domain; root resolves to 127.0.0.1 while idle":
			roots = append(roots, in.Value)
		case "C2 server":
			c2IP[roots[len(roots)-1]] = in.Value
		}
	}
	for _, root := range sc.c2Used(t) {
		// Whether a beacon looked its name up first is chance: ask the
		// truth whether an active lookup (not the idle 127.0.0.1) exists.
		ip := netip.MustParseAddr(c2IP[root])
		res, err := ResolvedTo(ctx, sc.mem, ip, Range{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].Domain != "lpg."+root || !slices.Equal(res[0].Clients, p0) {
			t.Errorf("resolved to %s: %+v, want lpg.%s asked by patient zero", ip, res, root)
		}
	}
	lure := sc.infra["fake resume lure site"]
	res, err := ResolvedTo(ctx, sc.mem, netip.MustParseAddr(lure[1]), Range{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Domain != lure[0] || !slices.Equal(res[0].Clients, sc.addrs(sc.org.HR)) || res[0].ClientCount != len(sc.org.HR) {
		t.Errorf("resolved to the lure %s: %+v", lure[1], res)
	}
	idle, err := ResolvedTo(ctx, sc.mem, netip.MustParseAddr("127.0.0.1"), Range{})
	if err != nil {
		t.Fatal(err)
	}
	for _, root := range sc.c2Used(t) {
		if !slices.ContainsFunc(idle, func(r Resolution) bool { return r.Domain == "lpg."+root }) {
			t.Errorf("lpg.%s never parked on 127.0.0.1: %+v", root, idle)
		}
	}
}

// Around the implant download, patient zero's activity holds every record
// the truth lists for the download, in time order, each involving it.
func TestAround(t *testing.T) {
	sc := loadScenario(t)
	ctx := context.Background()
	p0 := sc.addr(sc.org.Patient0)
	var at time.Time
	want := map[string]bool{}
	for _, tr := range sc.truth {
		if tr.Kind == "signed-malware" && tr.Log != "x509" {
			if at.IsZero() {
				at = truthTime(t, tr)
			}
			if tr.Log != "files" {
				want[tr.UID] = true
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("no download in the truth")
	}
	acts, err := Around(ctx, sc.mem, p0, at, time.Minute, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for i, a := range acts {
		if a.Src != p0 && a.Dst != p0 {
			t.Errorf("activity %+v does not involve %s", a, p0)
		}
		if i > 0 && a.Time.Before(acts[i-1].Time) {
			t.Errorf("activity out of order at %d", i)
		}
		if d := a.Time.Sub(at); d < -time.Minute || d > time.Minute {
			t.Errorf("activity at %s outside %s ± 1m", a.Time, at)
		}
		got[a.UID] = true
	}
	for uid := range want {
		if !got[uid] {
			t.Errorf("download record %s missing around %s (%d activities)", uid, at, len(acts))
		}
	}
	// A limit keeps the events nearest the moment.
	few, err := Around(ctx, sc.mem, p0, at, time.Minute, 2)
	if err != nil || len(few) != 2 {
		t.Fatalf("limit 2: %d %v", len(few), err)
	}
	for _, a := range few {
		if d := a.Time.Sub(at).Abs(); d > 100*time.Millisecond {
			t.Errorf("limit 2 kept an event %s from the moment", d)
		}
	}
}

func TestPivotBadValues(t *testing.T) {
	sc := loadScenario(t)
	ctx := context.Background()
	for _, v := range []string{"", "   ", "not a value at all", "ipv4:999.1.1.1"} {
		if _, err := TalkedTo(ctx, sc.mem, v, Range{}); err == nil {
			t.Errorf("TalkedTo(%q) accepted", v)
		}
	}
	if _, err := ResolvedTo(ctx, sc.mem, netip.Addr{}, Range{}); err == nil {
		t.Error("ResolvedTo of no address accepted")
	}
	if _, err := Around(ctx, sc.mem, netip.Addr{}, time.Now(), time.Hour, 10); err == nil {
		t.Error("Around of no host accepted")
	}
}
