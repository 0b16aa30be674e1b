package signin

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// benchEvents is a day of a 5,000-person organisation as the detector sees
// it: mostly DNS lookups of ordinary names (a few look-alikes), with one
// sign-in in twenty events, from workstations, the office egress, homes and
// now and then an attacker.
func benchEvents(n int) []event.Event {
	names := []string{"www.google.com", "outlook.office365.com", "login.microsoftonline.com", "cdn.example.net",
		"slack.com", "github.com", "api.example.org", "account.microsoftssonline.com"}
	evs := make([]event.Event, n)
	for i := range evs {
		ws := netip.AddrFrom4([4]byte{10, 20, byte(i % 5000 >> 8), byte(i % 5000)})
		t := t0.Add(time.Duration(i) * 17 * time.Millisecond)
		if i%20 == 0 {
			src := ws
			switch i % 7 {
			case 1, 2:
				src = netip.MustParseAddr("203.0.113.10")
			case 3:
				src = netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})
			case 4:
				src = netip.AddrFrom4([4]byte{221, 218, 40, byte(i)})
			case 5:
				src = netip.MustParseAddr("192.0.2.8")
			}
			evs[i] = event.Event{Kind: event.KindSignIn, Time: t, User: fmt.Sprintf("user%d@lanternpeak.example", i%5000),
				SrcIP: src, Result: "success", Sensor: "entra", App: "OfficeHome"}
			continue
		}
		name := names[i%(len(names)-1)]
		if i%997 == 0 {
			name = names[len(names)-1]
		}
		evs[i] = event.Event{Kind: event.KindDNS, Time: t, SrcIP: ws, Domain: name, Sensor: "zeek"}
	}
	return evs
}

// BenchmarkObserve is the detector's throughput with every rule on, over
// traffic that keeps it busy (3.5% of events are findings, each formatted).
func BenchmarkObserve(b *testing.B) { benchObserve(b, benchEvents(200_000)) }

// BenchmarkObserveQuiet is the common case: ordinary lookups, sign-ins from
// the office, nothing to report.
func BenchmarkObserveQuiet(b *testing.B) {
	evs := benchEvents(200_000)
	for i := range evs {
		if evs[i].Kind == event.KindSignIn {
			evs[i].SrcIP = netip.MustParseAddr("203.0.113.10")
		} else if evs[i].Domain == "account.microsoftssonline.com" {
			evs[i].Domain = "www.google.com"
		}
	}
	benchObserve(b, evs)
}

func benchObserve(b *testing.B, evs []event.Event) {
	d := New(Config{Intel: erinIntel, Netblocks: DefaultNetblocks(), Lookalike: testLookalike(b), Geo: testGeo(b)})
	base := make([]time.Time, len(evs))
	for i := range evs {
		base[i] = evs[i].Time
	}
	var found int
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev := &evs[i%len(evs)]
		// Keep time moving forward across laps so eviction does its work.
		ev.Time = base[i%len(evs)].Add(time.Duration(i/len(evs)) * 24 * time.Hour)
		found += len(d.Observe(ev))
	}
	b.ReportMetric(float64(found)/float64(b.N), "findings/event")
}
