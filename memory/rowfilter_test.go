package memory

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// names reports whether e names v the way a matcher could: a domain field
// equal to v or under it (ignoring case, a root dot and a Host port), a
// certificate name or subject CN, an e-mail, a hash, an address equal to
// v or inside it when v is a prefix. It is written independently of the
// row filter, which must pass every event it accepts.
func names(e *event.Event, v string) bool {
	if a, err := netip.ParseAddr(v); err == nil {
		if e.SrcIP == a || e.DstIP == a {
			return true
		}
		for _, x := range e.Answers {
			if x == a {
				return true
			}
		}
		return false
	}
	if p, err := netip.ParsePrefix(v); err == nil {
		if p.Contains(e.SrcIP) || p.Contains(e.DstIP) {
			return true
		}
		for _, x := range e.Answers {
			if p.Contains(x) {
				return true
			}
		}
		return false
	}
	under := func(s string) bool {
		s = strings.TrimSuffix(strings.ToLower(s), ".")
		if i := strings.LastIndexByte(s, ':'); i > 0 {
			s = s[:i]
		}
		s = strings.TrimPrefix(s, "*.")
		return s == v || strings.HasSuffix(s, "."+v)
	}
	if under(e.Domain) || under(e.Host) || under(e.SNI) {
		return true
	}
	for _, n := range e.CertNames {
		if under(n) {
			return true
		}
	}
	if i := strings.Index(e.CertSubject, "CN="); i >= 0 && under(strings.SplitN(e.CertSubject[i+3:], ",", 2)[0]) {
		return true
	}
	for _, m := range e.Emails {
		if strings.EqualFold(m, v) {
			return true
		}
	}
	return strings.EqualFold(e.JA3, v) || strings.EqualFold(e.JA3S, v) || strings.EqualFold(e.MD5, v)
}

func TestMatchRowsKeepsEveryNamingRow(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	tr := newTraffic(7, start)
	var evs []event.Event
	for range 40_000 {
		var e event.Event
		tr.next(&e)
		evs = append(evs, e.Clone())
	}
	// Rows that only an odd spelling or a rarely stored field names.
	odd := []event.Event{
		{Kind: event.KindDNS, Domain: "WWW.Rare-Target.EXAMPLE.", SrcIP: netip.MustParseAddr("10.9.9.9")},
		{Kind: event.KindHTTP, Host: "rare-target.example:8080", URI: "/x", SrcIP: netip.MustParseAddr("10.9.9.8")},
		{Kind: event.KindX509, CertSubject: "CN=api.rare-target.example,O=Evil"},
		{Kind: event.KindTLS, CertNames: []string{"", "*.Rare-Target.example"}},
		{Kind: event.KindSMTP, Emails: []string{"a@b.example", "boss@rare-target.example"}},
		{Kind: event.KindDNS, Domain: "x.example", Answers: []netip.Addr{netip.MustParseAddr("198.51.100.77")}},
	}
	for i := range odd {
		odd[i].Time = start.Add(time.Duration(i) * time.Minute)
		evs = append(evs[:len(evs)/(i+2)], append([]event.Event{odd[i]}, evs[len(evs)/(i+2):]...)...)
	}
	for i := range evs {
		evs[i].UID = "U" + strconv.Itoa(i)
	}
	s, err := OpenOptions(t.TempDir(), Options{SegmentEvents: 5000})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range evs {
		if err := s.Append(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	all, _ := scanAll(t, s, Filter{})
	stored := byUID(t, all)
	popular := evs[0].Domain
	for _, e := range evs {
		if e.SNI != "" {
			popular = e.SNI
			break
		}
	}
	for _, v := range []string{
		"rare-target.example", popular, evs[3].DstIP.String(), "198.51.100.77", "10.0.1.0/24", tr.ja3[2], "boss@rare-target.example",
	} {
		t.Run(v, func(t *testing.T) {
			got, st := scanAll(t, s, Filter{Values: []string{v}, MatchRows: true})
			gotU := byUID(t, got)
			want := 0
			for uid, e := range stored {
				if !names(&e, v) {
					continue
				}
				want++
				g, ok := gotU[uid]
				if !ok {
					t.Fatalf("row %s names %s but MatchRows dropped it: %+v", uid, v, e)
				}
				if !equalEvents(g, e) {
					t.Fatalf("row %s built as %+v, stored as %+v", uid, g, e)
				}
			}
			if want == 0 {
				t.Fatalf("no stored row names %s: the test proves nothing", v)
			}
			if len(got) >= len(all) {
				t.Fatalf("MatchRows passed all %d rows for %s", len(got), v)
			}
			t.Logf("%s: %d rows name it, %d built, %d of %d read (%d segments)", v, want, len(got), st.Decoded, len(all), st.Segments)
		})
	}
}

func equalEvents(a, b event.Event) bool {
	return a.Time.Equal(b.Time) && a.Kind == b.Kind && a.SrcIP == b.SrcIP && a.DstIP == b.DstIP && a.SrcPort == b.SrcPort &&
		a.DstPort == b.DstPort && a.OrigBytes == b.OrigBytes && a.RespBytes == b.RespBytes && a.Domain == b.Domain &&
		a.Host == b.Host && a.URI == b.URI && a.URL == b.URL && a.SNI == b.SNI && a.JA3 == b.JA3 && a.UserAgent == b.UserAgent &&
		a.CertSubject == b.CertSubject && strings.Join(a.CertNames, "|") == strings.Join(b.CertNames, "|") &&
		strings.Join(a.Emails, "|") == strings.Join(b.Emails, "|") && strings.Join(a.ALPN, "|") == strings.Join(b.ALPN, "|") &&
		len(a.Answers) == len(b.Answers)
}

func TestContainsFold(t *testing.T) {
	for _, c := range []struct {
		s, k string
		want bool
	}{
		{"www.example.com", "example.com", true},
		{"WWW.EXAMPLE.COM", "example.com", true},
		{"CN=Api.Example.Com,O=X", "example.com", true},
		{"CN=Api.Example.Co,O=X", "example.com", false},
		{"Example.co", "example.com", false},
		{"exAmple.coM", "example.com", true},
		{"", "a", false},
		{"ABC", "", true},
	} {
		if got := containsFold(c.s, c.k); got != c.want {
			t.Errorf("containsFold(%q, %q) = %v, want %v", c.s, c.k, got, c.want)
		}
	}
}
