package match

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// The sequence under test: a look-alike domain is resolved, then the host
// connects into the operators' home netblock within 60 seconds.
func testSequence(t *testing.T) *Sequence {
	t.Helper()
	q, err := NewSequence(SequenceRule{
		Pattern: "[domain-name:value = 'google-statics.com'] FOLLOWEDBY [ipv4-addr:value ISSUBSET '221.216.0.0/13'] WITHIN 60 SECONDS",
		First:   indicator.Indicator{Type: indicator.Domain, Value: "google-statics.com", Subdomains: true},
		Then:    indicator.Indicator{Type: indicator.CIDR, Value: "221.216.0.0/13"},
		Within:  60 * time.Second,
		IDs:     []string{"indicator--2f7a3c10-1b6e-4d5f-9a3b-6c1d2e3f4a5b"},
		Sources: []string{"401trg"},
		Actors:  []indicator.Actor{{Name: "Winnti umbrella", Confidence: 70}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

var t0 = time.Date(2018, 3, 24, 17, 15, 0, 0, time.UTC)

func dnsEvent(host string, at time.Duration, name string) *event.Event {
	return &event.Event{Time: t0.Add(at), UID: "D" + name, Kind: event.KindDNS, SrcIP: netip.MustParseAddr(host), Domain: name}
}

func connEvent(host string, at time.Duration, dst string) *event.Event {
	return &event.Event{Time: t0.Add(at), UID: "C" + dst, Kind: event.KindConn, SrcIP: netip.MustParseAddr(host), DstIP: netip.MustParseAddr(dst)}
}

func observe(c Complex, evs ...*event.Event) []Alert {
	var out []Alert
	for _, ev := range evs {
		out = c.Observe(out, ev)
	}
	return out
}

func TestSequenceFires(t *testing.T) {
	q := testSequence(t)
	alerts := observe(q,
		dnsEvent("10.0.0.5", 0, "css.google-statics.com"),
		connEvent("10.0.0.6", 10*time.Second, "221.218.1.1"), // another host
		connEvent("10.0.0.5", 59*time.Second, "221.218.1.1"),
		connEvent("10.0.0.5", 59*time.Second, "221.218.1.2"), // the first observation is used up
	)
	if len(alerts) != 1 {
		t.Fatalf("alerts %+v, want 1", alerts)
	}
	a := alerts[0]
	if a.Where != "conn.id.resp_h" || a.Indicator != "221.218.1.1" || a.Matched != "221.216.0.0/13" || a.IndicatorType != "cidr" {
		t.Errorf("alert %+v", a)
	}
	if len(a.Related) != 1 || a.Related[0].Indicator != "css.google-statics.com" || !a.Related[0].Time.Equal(t0) || a.Related[0].Where != "dns.query" {
		t.Errorf("related %+v", a.Related)
	}
	if a.Pattern == "" || len(a.IndicatorIDs) != 1 || a.Sources[0] != "401trg" || a.Actors[0].Confidence != 70 {
		t.Errorf("provenance %+v", a)
	}
}

func TestSequenceDoesNotFire(t *testing.T) {
	cases := map[string][]*event.Event{
		"wrong order": {connEvent("10.0.0.5", 0, "221.218.1.1"), dnsEvent("10.0.0.5", time.Second, "google-statics.com")},
		"too late":    {dnsEvent("10.0.0.5", 0, "google-statics.com"), connEvent("10.0.0.5", 61*time.Second, "221.218.1.1")},
		"other host":  {dnsEvent("10.0.0.5", 0, "google-statics.com"), connEvent("10.0.0.7", time.Second, "221.218.1.1")},
		"not a subdomain": {dnsEvent("10.0.0.5", 0, "notgoogle-statics.com"),
			connEvent("10.0.0.5", time.Second, "221.218.1.1")},
		"outside the block": {dnsEvent("10.0.0.5", 0, "google-statics.com"), connEvent("10.0.0.5", time.Second, "221.224.0.1")},
	}
	for name, evs := range cases {
		if alerts := observe(testSequence(t), evs...); len(alerts) != 0 {
			t.Errorf("%s: alerts %+v", name, alerts)
		}
	}
}

func TestSequenceStateIsBounded(t *testing.T) {
	q := testSequence(t)
	for i := range 1000 {
		host := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}).String()
		q.Observe(nil, dnsEvent(host, time.Duration(i)*time.Second, "google-statics.com"))
	}
	// Only hosts seen in the last two windows can still be pending.
	if n := q.Pending(); n > 120 {
		t.Errorf("%d hosts pending after 1000 s of 60 s windows", n)
	}
}

func TestSequenceRejectsBadRule(t *testing.T) {
	if _, err := NewSequence(SequenceRule{First: indicator.Indicator{Type: indicator.IPv4, Value: "x"},
		Then: indicator.Indicator{Type: indicator.IPv4, Value: "203.0.113.1"}, Within: time.Second}); err == nil {
		t.Error("bad first term accepted")
	}
	if _, err := NewSequence(SequenceRule{First: indicator.Indicator{Type: indicator.IPv4, Value: "203.0.113.1"},
		Then: indicator.Indicator{Type: indicator.IPv4, Value: "203.0.113.1"}}); err == nil {
		t.Error("zero window accepted")
	}
}

func TestSequenceConcurrent(t *testing.T) {
	q := testSequence(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			host := netip.AddrFrom4([4]byte{10, 2, 0, byte(g)}).String()
			n := 0
			for i := range 100 {
				at := time.Duration(i) * 100 * time.Millisecond // goroutines never drift a window apart
				n += len(observe(q, dnsEvent(host, at, "a.google-statics.com"), connEvent(host, at, "221.216.0.9")))
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total != 400 {
		t.Errorf("%d alerts, want one per host and step: 400", total)
	}
}
