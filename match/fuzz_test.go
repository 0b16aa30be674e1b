package match

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/telemetry/event"
)

var fuzzIndicators = func() []indicator.Indicator {
	sub := func(v string) indicator.Indicator {
		return indicator.Indicator{Type: indicator.Domain, Value: v, Subdomains: true, IDs: []string{v}}
	}
	return []indicator.Indicator{
		sub("google-statics.com"), sub("a.b.example.co.uk"), sub("x"),
		{Type: indicator.Domain, Value: "exact.example", IDs: []string{"exact"}},
		{Type: indicator.URL, Value: "http://evil.example/gate.php", IDs: []string{"url"}},
		{Type: indicator.CertSerial, Value: "0A1B", IDs: []string{"serial"}},
		{Type: indicator.Email, Value: "a@evil.example", IDs: []string{"mail"}},
		{Type: indicator.CIDR, Value: "198.51.100.0/24", IDs: []string{"cidr"}},
	}
}()

// referenceDomainHits is the obvious definition of domain matching, to
// check the label-skipping walk against.
func referenceDomainHits(name string) []string {
	// DNS names compare ASCII case-insensitively only: the Kelvin sign is
	// not a "k". Byte by byte: strings.Map would turn every byte of
	// invalid UTF-8 into a three-byte U+FFFD and so change the length the
	// 253-byte limit applies to (testdata/fuzz/FuzzMatch/0b2eee4b6a3ec418).
	b := []byte(strings.TrimSuffix(name, "."))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	n := string(b)
	if n == "" || len(n) > maxDomainLen || strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".") || strings.Contains(n, "..") {
		return nil
	}
	var out []string
	for _, in := range fuzzIndicators {
		if in.Type != indicator.Domain {
			continue
		}
		if n == in.Value || (in.Subdomains && strings.HasSuffix(n, "."+in.Value)) {
			out = append(out, in.Value)
		}
	}
	// Longest name first, as the walk goes from the full name upwards.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// FuzzMatch feeds arbitrary field values through every string observable:
// matching must never panic, and domain hits must equal the reference.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{"css.google-statics.com", "notgoogle-statics.com", "X.", ".x", "a..b.x", "q.a.b.example.co.uk.",
		"http://evil.example/gate.php?x", "00:0a:1b", "<A@EVIL.EXAMPLE>", "[::1]:80", "évil.example", strings.Repeat("a.", 130)} {
		f.Add(s, "/"+s)
	}
	s, rej := Build(fuzzIndicators, nil)
	if len(rej) > 0 {
		f.Fatal(rej)
	}
	f.Fuzz(func(t *testing.T, v, uri string) {
		ev := event.Event{Kind: event.KindHTTP, Domain: v, Host: v, URI: uri, URL: v, SNI: v, CertNames: []string{v},
			CertSerial: v, Emails: []string{v}, User: v, UserAgent: v, Cookies: []string{v}, JA3: v, JA4: v, MD5: v,
			SHA1: v, SHA256: v, CertSHA1: v, CertSHA256: v, FileName: v, SrcIP: netip.MustParseAddr("198.51.100.1")}
		var query []string
		s.Match(&ev, func(h Hit) {
			if h.Where == "http.query" {
				query = append(query, h.Matched)
			}
			_ = s.AppendAlertJSON(nil, &ev, h)
		})
		if want := referenceDomainHits(v); !slices.Equal(query, want) {
			t.Fatalf("%q: domain hits %q, reference %q", v, query, want)
		}
	})
}

// FuzzBuild compiles arbitrary values of every type: it must never panic,
// and every accepted value must be found again through its own event field
// when that field carries it verbatim.
func FuzzBuild(f *testing.F) {
	for _, s := range []string{"203.0.113.9", "2001:db8::1", "10.0.0.0/8", "evil.example", "http://e.x/", "a@b.c",
		"0A1B", "d41d8cd98f00b204e9800998ecf8427e", "", "\xff", "::ffff:1.2.3.4/120"} {
		f.Add(uint8(indicator.Domain), s)
		f.Add(uint8(indicator.CIDR), s)
	}
	f.Fuzz(func(t *testing.T, typ uint8, v string) {
		in := indicator.Indicator{Type: indicator.Type(typ % 24), Value: v, IDs: []string{v}, Sources: []string{v}}
		s, rej := Build([]indicator.Indicator{in}, nil)
		if len(rej) > 0 {
			if rej[0].Reason == "" {
				t.Fatal("reject without a reason")
			}
			return
		}
		var ev event.Event
		switch in.Type {
		case indicator.Domain:
			ev.Domain = v
		case indicator.UserAgent:
			ev.UserAgent = v
		case indicator.MD5:
			ev.MD5 = v
		case indicator.IPv4, indicator.IPv6:
			ev.DstIP = netip.MustParseAddr(v)
		default:
			return
		}
		n := 0
		s.Match(&ev, func(Hit) { n++ })
		if n != 1 {
			t.Fatalf("%s %q: %d hits from its own value, want 1", in.Type, v, n)
		}
	})
}
