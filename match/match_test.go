package match

import (
	"encoding/csv"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/telemetry/event"
)

func ind(t indicator.Type, v string, id string) indicator.Indicator {
	return indicator.Indicator{Type: t, Value: v, IDs: []string{id}, Sources: []string{"test"}}
}

func build(t *testing.T, inds ...indicator.Indicator) *Snapshot {
	t.Helper()
	s, rej := Build(inds, nil)
	if len(rej) > 0 {
		t.Fatalf("rejects: %v", rej)
	}
	return s
}

// found is one hit reduced to what a test compares.
type found struct{ where, typ, observed, matched string }

func hitsOf(s *Snapshot, ev *event.Event) []found {
	var out []found
	s.Match(ev, func(h Hit) {
		out = append(out, found{h.Where, h.Type.String(), h.ObservedValue(), h.MatchedValue()})
	})
	return out
}

func TestDomainExactAndSubdomain(t *testing.T) {
	sub := ind(indicator.Domain, "google-statics.com", "indicator--00000000-0000-4000-8000-000000000001")
	sub.Subdomains = true
	exact := ind(indicator.Domain, "exact-only.example", "indicator--00000000-0000-4000-8000-000000000002")
	s := build(t, sub, exact)

	cases := []struct {
		name    string
		matched string // "" for no hit
	}{
		{"css.google-statics.com", "google-statics.com"},
		{"google-statics.com", "google-statics.com"},
		{"a.b.c.google-statics.com", "google-statics.com"},
		{"CSS.Google-Statics.COM.", "google-statics.com"},
		{"notgoogle-statics.com", ""},
		{"google-statics.com.evil.net", ""},
		{"google-statics.co", ""},
		{"statics.com", ""},
		{"exact-only.example", "exact-only.example"},
		{"www.exact-only.example", ""},
		{"xexact-only.example", ""},
		{"..google-statics.com", ""},
		{"", ""},
	}
	for _, c := range cases {
		ev := &event.Event{Kind: event.KindDNS, Domain: c.name}
		got := hitsOf(s, ev)
		if c.matched == "" {
			if len(got) != 0 {
				t.Errorf("%q: want no hit, got %v", c.name, got)
			}
			continue
		}
		want := []found{{"dns.query", "domain", c.name, c.matched}}
		if !slices.Equal(got, want) {
			t.Errorf("%q: got %v, want %v", c.name, got, want)
		}
	}
}

func TestDomainExactAndSubdomainOnSameValue(t *testing.T) {
	a := ind(indicator.Domain, "evil.example", "indicator--00000000-0000-4000-8000-00000000000a")
	b := ind(indicator.Domain, "evil.example", "indicator--00000000-0000-4000-8000-00000000000b")
	b.Subdomains = true
	s := build(t, a, b)
	ids := func(name string) []string {
		var out []string
		s.Match(&event.Event{Kind: event.KindDNS, Domain: name}, func(h Hit) {
			al := s.Alert(&event.Event{}, h)
			out = append(out, al.IndicatorIDs...)
		})
		return out
	}
	if got := ids("evil.example"); !slices.Equal(got, []string{a.IDs[0], b.IDs[0]}) {
		t.Errorf("exact name: ids %v, want both indicators", got)
	}
	if got := ids("www.evil.example"); !slices.Equal(got, b.IDs) {
		t.Errorf("subdomain: ids %v, want only the subdomain indicator", got)
	}
}

func TestAddressesAndCIDR(t *testing.T) {
	s := build(t,
		ind(indicator.CIDR, "221.216.0.0/13", "wide"),
		ind(indicator.CIDR, "221.218.0.0/16", "narrow"),
		ind(indicator.IPv4, "221.218.1.1", "host"),
		ind(indicator.CIDR, "2001:db8::/32", "v6net"),
		ind(indicator.IPv6, "2001:db8::1", "v6host"),
		ind(indicator.CIDR, "0.0.0.0/0", "all-v4"),
	)
	cases := []struct {
		addr string
		want []found
	}{
		{"221.218.1.1", []found{
			{"conn.id.resp_h", "ipv4", "221.218.1.1", "221.218.1.1"},
			{"conn.id.resp_h", "cidr", "221.218.1.1", "221.218.0.0/16"},
			{"conn.id.resp_h", "cidr", "221.218.1.1", "221.216.0.0/13"},
			{"conn.id.resp_h", "cidr", "221.218.1.1", "0.0.0.0/0"},
		}},
		{"221.223.255.255", []found{
			{"conn.id.resp_h", "cidr", "221.223.255.255", "221.216.0.0/13"},
			{"conn.id.resp_h", "cidr", "221.223.255.255", "0.0.0.0/0"},
		}},
		{"221.224.0.0", []found{{"conn.id.resp_h", "cidr", "221.224.0.0", "0.0.0.0/0"}}},
		{"::ffff:221.216.0.1", []found{
			{"conn.id.resp_h", "cidr", "221.216.0.1", "221.216.0.0/13"},
			{"conn.id.resp_h", "cidr", "221.216.0.1", "0.0.0.0/0"},
		}},
		{"2001:db8::1", []found{
			{"conn.id.resp_h", "ipv6", "2001:db8::1", "2001:db8::1"},
			{"conn.id.resp_h", "cidr", "2001:db8::1", "2001:db8::/32"},
		}},
		{"2001:db9::1", nil},
	}
	for _, c := range cases {
		ev := &event.Event{Kind: event.KindConn, DstIP: netip.MustParseAddr(c.addr)}
		if got := hitsOf(s, ev); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.addr, got, c.want)
		}
	}
}

func TestAddressBitmapIsNotAFilterOfTruth(t *testing.T) {
	// With one indicator the bitmap has /8 blocks, so most addresses
	// share a block with nothing and the rest must still go to the maps.
	s := build(t, ind(indicator.IPv4, "198.51.100.7", "one"))
	for _, a := range []string{"198.51.100.7", "198.51.100.8", "198.0.0.1", "10.0.0.1"} {
		got := hitsOf(s, &event.Event{Kind: event.KindConn, SrcIP: netip.MustParseAddr(a)})
		if want := a == "198.51.100.7"; (len(got) == 1) != want {
			t.Errorf("%s: hits %v, want hit=%v", a, got, want)
		}
	}
}

func TestDigests(t *testing.T) {
	md5 := "d41d8cd98f00b204e9800998ecf8427e"
	sha1 := "da39a3ee5e6b4b0d3255bfef95601890afd80709"
	sha256 := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	ja3 := "6734f37431670b3ab4292b8f60f29984"
	s := build(t,
		ind(indicator.MD5, md5, "md5"),
		ind(indicator.SHA1, sha1, "sha1"),
		ind(indicator.SHA256, sha256, "sha256"),
		ind(indicator.CertSHA256, sha256, "cert"),
		ind(indicator.JA3, ja3, "ja3"),
		ind(indicator.JA3S, ja3, "ja3s"),
	)
	ev := &event.Event{Kind: event.KindFile, MD5: strings.ToUpper(md5), SHA1: sha1, SHA256: sha256}
	want := []found{
		{"files.md5", "md5", strings.ToUpper(md5), md5},
		{"files.sha1", "sha1", sha1, sha1},
		{"files.sha256", "sha256", sha256, sha256},
	}
	if got := hitsOf(s, ev); !slices.Equal(got, want) {
		t.Errorf("file: got %v, want %v", got, want)
	}
	// A certificate fingerprint only matches certificate indicators, even
	// when a file indicator has the same digest.
	ev = &event.Event{Kind: event.KindX509, CertSHA256: sha256, CertSHA1: sha1}
	want = []found{{"x509.fingerprint", "cert-sha256", sha256, sha256}}
	if got := hitsOf(s, ev); !slices.Equal(got, want) {
		t.Errorf("x509: got %v, want %v", got, want)
	}
	ev = &event.Event{Kind: event.KindTLS, JA3: ja3, JA3S: "00000000000000000000000000000000"}
	want = []found{{"tls.ja3", "ja3", ja3, ja3}}
	if got := hitsOf(s, ev); !slices.Equal(got, want) {
		t.Errorf("tls: got %v, want %v", got, want)
	}
	ev = &event.Event{Kind: event.KindFile, MD5: md5[:31] + "g", SHA1: sha1[:38]}
	if got := hitsOf(s, ev); len(got) != 0 {
		t.Errorf("malformed digests matched: %v", got)
	}
}

func TestURL(t *testing.T) {
	s := build(t,
		ind(indicator.URL, "HTTP://Evil.Example:80/gate.php", "gate"),
		ind(indicator.URL, "https://evil.example/Login?next=1", "login"),
	)
	cases := []struct {
		ev      event.Event
		want    string // matched, "" for none
		observe string
	}{
		{event.Event{URL: "http://evil.example/gate.php"}, "http://evil.example/gate.php", ""},
		{event.Event{URL: "http://EVIL.example/gate.php?id=7#x"}, "http://evil.example/gate.php", ""},
		{event.Event{URL: "http://evil.example/Gate.php"}, "", ""},
		{event.Event{URL: "https://evil.example/gate.php"}, "", ""},
		{event.Event{URL: "https://evil.example:443/Login?next=1"}, "https://evil.example/Login?next=1", ""},
		{event.Event{URL: "https://evil.example/Login?next=2"}, "", ""},
		{event.Event{Host: "evil.example:80", URI: "/gate.php?a=b"}, "http://evil.example/gate.php", "http://evil.example:80/gate.php?a=b"},
		{event.Event{Host: "evil.example", URI: "http://evil.example/gate.php"}, "http://evil.example/gate.php", "http://evil.example/gate.php"},
	}
	for _, c := range cases {
		c.ev.Kind = event.KindHTTP
		got := hitsOf(s, &c.ev)
		if c.want == "" {
			if len(got) != 0 {
				t.Errorf("%+v: want no hit, got %v", c.ev, got)
			}
			continue
		}
		observed := c.observe
		if observed == "" {
			observed = c.ev.URL
		}
		want := []found{{"http.url", "url", observed, c.want}}
		if !slices.Equal(got, want) {
			t.Errorf("%q %q %q: got %v, want %v", c.ev.URL, c.ev.Host, c.ev.URI, got, want)
		}
	}
}

func TestSerial(t *testing.T) {
	s := build(t, ind(indicator.CertSerial, "028E1DECCF93D38ECF396118DFE908B4", "serial"))
	for _, v := range []string{"28E1DECCF93D38ECF396118DFE908B4", "028e1deccf93d38ecf396118dfe908b4", "02:8E:1D:EC:CF:93:D3:8E:CF:39:61:18:DF:E9:08:B4"} {
		want := []found{{"x509.serial", "cert-serial", v, "28E1DECCF93D38ECF396118DFE908B4"}}
		if got := hitsOf(s, &event.Event{Kind: event.KindX509, CertSerial: v}); !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", v, got, want)
		}
	}
	if got := hitsOf(s, &event.Event{Kind: event.KindX509, CertSerial: "28E1DECCF93D38ECF396118DFE908B"}); len(got) != 0 {
		t.Errorf("prefix of the serial matched: %v", got)
	}
}

func TestWhereLabels(t *testing.T) {
	sni := ind(indicator.Domain, "evil.example", "d")
	sni.Subdomains = true
	s := build(t, sni,
		ind(indicator.IPv4, "203.0.113.9", "ip"),
		ind(indicator.Email, "haveip2015@gmail.com", "mail"),
		ind(indicator.Cookie, "_phishing-framework_session", "cookie"),
		ind(indicator.UserAgent, "Mozilla/4.0 (evil)", "ua"),
		ind(indicator.FileName, "payload.exe", "file"),
		ind(indicator.JA4, "t13d1516h2_8daaf6152771_b186095e22b6", "ja4"),
	)
	ip := netip.MustParseAddr("203.0.113.9")
	cases := []struct {
		ev   event.Event
		want []string
	}{
		{event.Event{Kind: event.KindConn, SrcIP: ip, DstIP: ip}, []string{"conn.id.orig_h", "conn.id.resp_h"}},
		{event.Event{Kind: event.KindSignIn, SrcIP: ip, User: "HaveIP2015@gmail.com"}, []string{"signin.src_ip", "signin.user"}},
		{event.Event{Kind: event.KindSMTP, Emails: []string{"<haveip2015@gmail.com>", "x@y.z", "haveip2015@gmail.com"}}, []string{"smtp.mailfrom", "smtp.rcptto"}},
		{event.Event{Kind: event.KindHTTP, Host: "www.evil.example:8080", Cookies: []string{"a", "_phishing-framework_session"}, UserAgent: "Mozilla/4.0 (evil)"}, []string{"http.host", "http.user_agent", "http.cookie"}},
		{event.Event{Kind: event.KindTLS, SNI: "evil.example", JA4: "t13d1516h2_8daaf6152771_b186095e22b6"}, []string{"tls.sni", "tls.ja4"}},
		{event.Event{Kind: event.KindX509, CertNames: []string{"good.example", "*.evil.example"}}, []string{"x509.san"}},
		{event.Event{Kind: event.KindFile, FileName: "payload.exe"}, []string{"files.name"}},
		{event.Event{Kind: event.KindDNS, Answers: []netip.Addr{netip.MustParseAddr("192.0.2.1"), ip}}, []string{"dns.answers"}},
		{event.Event{Kind: event.Kind(200), SrcIP: ip}, []string{"unknown.id.orig_h"}},
	}
	for _, c := range cases {
		var got []string
		s.Match(&c.ev, func(h Hit) { got = append(got, h.Where) })
		if !slices.Equal(got, c.want) {
			t.Errorf("%v: where %v, want %v", c.ev.Kind, got, c.want)
		}
	}
}

func TestMergedProvenance(t *testing.T) {
	a := indicator.Indicator{Type: indicator.IPv4, Value: "203.0.113.9",
		IDs: []string{"indicator--11111111-1111-4111-8111-111111111111"}, Sources: []string{"401trg"},
		Actors: []indicator.Actor{{Name: "Winnti umbrella", Confidence: 60}}}
	b := indicator.Indicator{Type: indicator.IPv4, Value: "203.0.113.9",
		IDs: []string{"indicator--22222222-2222-4222-8222-222222222222", "x-custom-id"}, Sources: []string{"abuse.ch", "401trg"},
		Actors: []indicator.Actor{{Name: "Winnti umbrella", Confidence: 85}, {Name: "APT17", Confidence: 40}}}
	s := build(t, a, b)
	if st := s.Stats(); st.Indicators != 2 || st.Values != 1 {
		t.Errorf("stats %+v: want 2 indicators merged into 1 value", st)
	}
	hits := s.MatchAppend(nil, &event.Event{Kind: event.KindConn, DstIP: netip.MustParseAddr("203.0.113.9")})
	if len(hits) != 1 {
		t.Fatalf("hits %v, want 1", hits)
	}
	al := s.Alert(&event.Event{}, hits[0])
	if want := []string{a.IDs[0], b.IDs[0], "x-custom-id"}; !slices.Equal(al.IndicatorIDs, want) {
		t.Errorf("ids %v, want %v", al.IndicatorIDs, want)
	}
	if want := []string{"401trg", "abuse.ch"}; !slices.Equal(al.Sources, want) {
		t.Errorf("sources %v, want %v", al.Sources, want)
	}
	if want := []indicator.Actor{{Name: "APT17", Confidence: 40}, {Name: "Winnti umbrella", Confidence: 85}}; !slices.Equal(al.Actors, want) {
		t.Errorf("actors %v, want %v", al.Actors, want)
	}
}

func TestVersion(t *testing.T) {
	inds := []indicator.Indicator{
		ind(indicator.IPv4, "203.0.113.9", "a"),
		ind(indicator.Domain, "evil.example", "b"),
		ind(indicator.MD5, "d41d8cd98f00b204e9800998ecf8427e", "c"),
	}
	s1, _ := Build(inds, nil)
	if s1.Version().Seq != 1 {
		t.Errorf("first snapshot seq %d, want 1", s1.Version().Seq)
	}
	reversed := slices.Clone(inds)
	slices.Reverse(reversed)
	s2, _ := Build(reversed, s1)
	if s2.Version() != s1.Version() {
		t.Errorf("same content in another order: %v, want %v", s2.Version(), s1.Version())
	}
	changed := slices.Clone(inds)
	changed[0].Sources = []string{"other"}
	s3, _ := Build(changed, s2)
	if s3.Version().Seq != 2 || s3.Version().Digest == s2.Version().Digest {
		t.Errorf("provenance change: version %v after %v, want seq 2 and a new digest", s3.Version(), s2.Version())
	}
	sub := slices.Clone(inds)
	sub[1].Subdomains = true
	s4, _ := Build(sub, nil)
	if s4.Version().Digest == s1.Version().Digest {
		t.Error("turning on subdomain matching did not change the digest")
	}
	if !strings.HasPrefix(s3.Version().String(), "2-") {
		t.Errorf("version string %q", s3.Version())
	}
}

func TestRejects(t *testing.T) {
	inds := []indicator.Indicator{
		ind(indicator.IPv4, "203.0.113.9", "good"),
		ind(indicator.IPv4, "203.0.113", "bad ip"),
		ind(indicator.IPv4, "2001:db8::1", "wrong family"),
		ind(indicator.CIDR, "10.0.0.0/33", "bad cidr"),
		ind(indicator.MD5, "abc", "short md5"),
		ind(indicator.Domain, "a..example", "empty label"),
		ind(indicator.URL, "evil.example/gate", "no scheme"),
		ind(indicator.Type(200), "x", "unknown type"),
		ind(indicator.Domain, "", "empty"),
		ind(indicator.Phone, "+86 10 1234 5678", "phone"),
	}
	s, rej := Build(inds, nil)
	var idx []int
	for _, r := range rej {
		idx = append(idx, r.Index)
		if r.Reason == "" || !strings.Contains(r.Error(), r.Value) {
			t.Errorf("reject %d: unhelpful error %q", r.Index, r.Error())
		}
	}
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8}; !slices.Equal(idx, want) {
		t.Errorf("rejected %v, want %v", idx, want)
	}
	st := s.Stats()
	if st.Indicators != 2 || st.Rejected != 8 || st.Unmatchable != 1 {
		t.Errorf("stats %+v", st)
	}
	if len(hitsOf(s, &event.Event{Kind: event.KindConn, DstIP: netip.MustParseAddr("203.0.113.9")})) != 1 {
		t.Error("the good indicator was lost with the bad ones")
	}
}

// mixedEvents returns events that exercise every observable, with and
// without hits, for the allocation and concurrency tests.
func mixedEvents() ([]indicator.Indicator, []event.Event) {
	sub := ind(indicator.Domain, "evil.example", "indicator--00000000-0000-4000-8000-000000000001")
	sub.Subdomains = true
	inds := []indicator.Indicator{sub,
		ind(indicator.IPv4, "203.0.113.9", "a"), ind(indicator.CIDR, "198.51.100.0/24", "b"),
		ind(indicator.URL, "http://evil.example/gate.php", "c"), ind(indicator.MD5, "d41d8cd98f00b204e9800998ecf8427e", "d"),
		ind(indicator.CertSerial, "0A1B", "e"), ind(indicator.Email, "a@evil.example", "f"),
		ind(indicator.UserAgent, "evil/1.0", "g"), ind(indicator.Cookie, "sid", "h"), ind(indicator.JA4, "t13d", "i")}
	ip := netip.MustParseAddr("203.0.113.9")
	evs := []event.Event{
		{Kind: event.KindConn, SrcIP: netip.MustParseAddr("10.1.2.3"), DstIP: ip},
		{Kind: event.KindDNS, SrcIP: netip.MustParseAddr("10.1.2.3"), Domain: "Www.Evil.Example.", Answers: []netip.Addr{netip.MustParseAddr("198.51.100.7"), ip}},
		{Kind: event.KindHTTP, Host: "evil.example", URI: "/other", URL: "HTTP://evil.example/gate.php?x=1", UserAgent: "evil/1.0", Cookies: []string{"sid", "other"}},
		{Kind: event.KindHTTP, Host: "benign.example:8080", URI: "/gate.php"},
		{Kind: event.KindX509, CertSerial: "00:0a:1b", CertNames: []string{"*.evil.example", "benign.example"}, CertSHA1: "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{Kind: event.KindFile, MD5: "D41D8CD98F00B204E9800998ECF8427E", SHA256: "nothex"},
		{Kind: event.KindSMTP, Emails: []string{"<A@Evil.Example>", "b@benign.example"}},
		{Kind: event.KindTLS, SNI: "benign.example", JA4: "t13d", JA3: "6734f37431670b3ab4292b8f60f29984"},
		{Kind: event.KindSignIn, SrcIP: netip.MustParseAddr("2001:db8::1"), User: "a@evil.example"},
	}
	return inds, evs
}

func TestMatchDoesNotAllocate(t *testing.T) {
	inds, evs := mixedEvents()
	s := build(t, inds...)
	hits := make([]Hit, 0, 64)
	total := 0
	allocs := testing.AllocsPerRun(100, func() {
		for i := range evs {
			hits = s.MatchAppend(hits[:0], &evs[i])
			total += len(hits)
		}
	})
	if allocs != 0 {
		t.Errorf("MatchAppend: %.1f allocations per run of %d events, want 0", allocs, len(evs))
	}
	if total == 0 {
		t.Fatal("the events produced no hits, so the test proves nothing")
	}
	n := 0
	count := func(Hit) { n++ }
	allocs = testing.AllocsPerRun(100, func() {
		for i := range evs {
			s.Match(&evs[i], count)
		}
	})
	if allocs != 0 {
		t.Errorf("Match: %.1f allocations per run, want 0", allocs)
	}
	var buf []byte
	allocs = testing.AllocsPerRun(100, func() {
		for i := range evs {
			hits = s.MatchAppend(hits[:0], &evs[i])
			for _, h := range hits {
				if h.Addr.IsValid() {
					continue // formatting an address is the one allocation left
				}
				buf = s.AppendAlertJSON(buf[:0], &evs[i], h)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("AppendAlertJSON: %.1f allocations per run, want 0", allocs)
	}
}

func TestConcurrentMatch(t *testing.T) {
	inds, evs := mixedEvents()
	s := build(t, inds...)
	want := make([][]found, len(evs))
	for i := range evs {
		want[i] = hitsOf(s, &evs[i])
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				for i := range evs {
					if got := hitsOf(s, &evs[i]); !slices.Equal(got, want[i]) {
						errs <- "concurrent result differs"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestBurningUmbrella compiles the indicator CSVs of the report and checks
// that every value, put in the event field that carries it, is found.
func TestBurningUmbrella(t *testing.T) {
	dir := corpus.Path(t, "401trg-burning-umbrella")
	files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	types := map[string]indicator.Type{"DOMAIN": indicator.Domain, "IP": indicator.IPv4, "CERT SHA1": indicator.CertSHA1,
		"FILE MD5": indicator.MD5, "EMAIL": indicator.Email, "COOKIE": indicator.Cookie, "CODE SIGN CERT SERIAL": indicator.CertSerial}
	var inds []indicator.Indicator
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(fh).ReadAll()
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i, r := range recs[1:] {
			typ, ok := types[r[1]]
			if !ok {
				t.Fatalf("%s:%d: type %q not mapped", f, i+2, r[1])
			}
			inds = append(inds, indicator.Indicator{Type: typ, Value: strings.ToLower(r[0]), Sources: []string{"401trg"},
				IDs: []string{filepath.Base(f) + ":" + r[0]}, Subdomains: typ == indicator.Domain})
		}
	}
	s, rej := Build(inds, nil)
	if len(rej) > 0 {
		t.Fatalf("%d rejects, first %v", len(rej), rej[0])
	}
	if len(inds) < 600 {
		t.Fatalf("only %d indicators read", len(inds))
	}
	for _, in := range inds {
		var ev event.Event
		switch in.Type {
		case indicator.Domain:
			ev = event.Event{Kind: event.KindDNS, Domain: "x." + strings.ToUpper(in.Value)}
		case indicator.IPv4:
			ev = event.Event{Kind: event.KindConn, DstIP: netip.MustParseAddr(in.Value)}
		case indicator.CertSHA1:
			ev = event.Event{Kind: event.KindX509, CertSHA1: in.Value}
		case indicator.MD5:
			ev = event.Event{Kind: event.KindFile, MD5: in.Value}
		case indicator.Email:
			ev = event.Event{Kind: event.KindSMTP, Emails: []string{in.Value}}
		case indicator.Cookie:
			ev = event.Event{Kind: event.KindHTTP, Cookies: []string{in.Value}}
		case indicator.CertSerial:
			ev = event.Event{Kind: event.KindX509, CertSerial: strings.ToUpper(in.Value)}
		}
		ok := false
		s.Match(&ev, func(h Hit) {
			if h.Type == in.Type && slices.Contains(s.Alert(&ev, h).IndicatorIDs, in.IDs[0]) {
				ok = true
			}
		})
		if !ok {
			t.Errorf("%s %q not found in %+v", in.Type, in.Value, ev)
		}
	}
	// A name that merely ends in the same characters is not a subdomain.
	if got := hitsOf(s, &event.Event{Kind: event.KindDNS, Domain: "notgoogle-statics.com"}); len(got) != 0 {
		t.Errorf("notgoogle-statics.com matched %v", got)
	}
}

func TestHitTimeIndependent(t *testing.T) {
	// Alerts carry the event's time in UTC with milliseconds.
	s := build(t, ind(indicator.IPv4, "203.0.113.9", "a"))
	loc := time.FixedZone("CST", 8*3600)
	ev := &event.Event{Time: time.Date(2018, 3, 25, 1, 15, 20, 123456789, loc), Kind: event.KindConn, DstIP: netip.MustParseAddr("203.0.113.9")}
	h := s.MatchAppend(nil, ev)
	b := s.AppendAlertJSON(nil, ev, h[0])
	if !strings.HasPrefix(string(b), `{"ts":"2018-03-24T17:15:20.123Z",`) {
		t.Errorf("alert %s", b)
	}
}

func TestFilterHasNoFalseNegatives(t *testing.T) {
	f := newFilter(10000)
	for i := range 10000 {
		f.add(f.hashString(indicator.Domain, "in"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+time.Duration(i).String()))
	}
	for i := range 10000 {
		if !f.has(f.hashString(indicator.Domain, "in"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+time.Duration(i).String())) {
			t.Fatalf("key %d lost", i)
		}
	}
	fp := 0
	for i := range 10000 {
		if f.has(f.hashString(indicator.Domain, "out"+time.Duration(i).String())) {
			fp++
		}
	}
	// At 10 bits per key a split-block filter's false-positive rate is
	// about 1-2%; 5% would mean the bit selection is broken.
	if fp > 500 {
		t.Errorf("%d false positives in 10000", fp)
	}
}
