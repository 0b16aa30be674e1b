package match

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/match/synth"
	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/zeek"
)

// sameHits runs evs, in order, through s and through one Matcher over s,
// and fails at the first event whose hits differ.
func sameHits(t *testing.T, s *Snapshot, evs []event.Event) (hits int) {
	t.Helper()
	m := s.NewMatcher()
	var a, b []Hit
	for i := range evs {
		a = s.MatchAppend(a[:0], &evs[i])
		b = m.MatchAppend(b[:0], &evs[i])
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("event %d (%v -> %v, answers %v): snapshot %+v, matcher %+v", i, evs[i].SrcIP, evs[i].DstIP, evs[i].Answers, a, b)
		}
		hits += len(a)
	}
	return hits
}

// TestMatcherAgreesWithSnapshot: remembering addresses without hits must
// not lose a hit, whatever repeats. Every third address of a /16 is an
// indicator and a /24 in it is a CIDR indicator; every address of the /16
// is then seen three times over, so the 4,096-slot memory is full of
// neighbours that share a slot (IPv4 and IPv6 alike), and addresses with
// hits recur after ones without.
func TestMatcherAgreesWithSnapshot(t *testing.T) {
	var inds []indicator.Indicator
	for i := 0; i < 1<<16; i += 3 {
		inds = append(inds, ind(indicator.IPv4, netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}).String(), fmt.Sprint("indicator--v4-", i)))
		if i%9 == 0 {
			inds = append(inds, ind(indicator.IPv6, fmt.Sprintf("2001:db8::%x", i), fmt.Sprint("indicator--v6-", i)))
		}
	}
	inds = append(inds, ind(indicator.CIDR, "198.18.77.0/24", "indicator--c4"), ind(indicator.CIDR, "2001:db8:0:1::/64", "indicator--c6"),
		ind(indicator.CIDR, "::/8", "indicator--c6-zero"))
	s := build(t, inds...)
	// First "::", which is all zeros like an empty slot of the memory;
	// then one address in a CIDR block with a zone and without (the
	// memory keys addresses without their zone, as the probes read them).
	evs := []event.Event{{Kind: event.KindConn, DstIP: netip.IPv6Unspecified()},
		{Kind: event.KindConn, DstIP: netip.MustParseAddr("2001:db8:0:1::5%eth0")},
		{Kind: event.KindConn, DstIP: netip.MustParseAddr("2001:db8:0:1::5")}}
	for round := 0; round < 3; round++ {
		for i := 0; i < 1<<16; i++ {
			ev := event.Event{Kind: event.KindConn,
				SrcIP: netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}),
				DstIP: netip.MustParseAddr(fmt.Sprintf("2001:db8:0:%x::%x", i%3, i))}
			if i%5 == 0 {
				// Zones, and the same IPv4 address as an IPv4-mapped IPv6 one.
				ev.Kind = event.KindDNS
				ev.Answers = []netip.Addr{netip.MustParseAddr(fmt.Sprintf("2001:db8::%x%%eth0", i)), netip.AddrFrom16(ev.SrcIP.As16()), netip.IPv6Unspecified()}
			}
			evs = append(evs, ev)
		}
	}
	// Pairs that share a slot and their low half, one in the CIDR block
	// and one outside it: the one without a hit first.
	var r recentAddrs
	in, out := netip.MustParseAddr("2001:db8:0:1::"), netip.MustParseAddr("2001:db8:0:2::")
	hiIn, _ := addr6Halves(in)
	hiOut, _ := addr6Halves(out)
	pairs := 0
	for lo := uint64(1); pairs < 50; lo++ {
		if r.slot(hiIn, lo) == r.slot(hiOut, lo) {
			a, b := out.As16(), in.As16()
			binary.BigEndian.PutUint64(a[8:], lo)
			binary.BigEndian.PutUint64(b[8:], lo)
			evs = append(evs, event.Event{Kind: event.KindConn, DstIP: netip.AddrFrom16(a)}, event.Event{Kind: event.KindConn, DstIP: netip.AddrFrom16(b)})
			pairs++
		}
	}
	if hits := sameHits(t, s, evs); hits < 3*(1<<16)/3 {
		t.Fatalf("only %d hits: the test would not notice lost ones", hits)
	}
}

// TestMatcherAgreesOnTraffic replays the generated event mix (a fifth of
// the events carrying an indicator) twice through a snapshot and a
// Matcher.
func TestMatcherAgreesOnTraffic(t *testing.T) {
	inds := synth.Indicators(synth.Million.Scale(100), 1)
	s := build(t, inds...)
	evs := synth.Events(inds, 1<<13, 0.2, 3)
	evs = append(evs, evs...)
	if hits := sameHits(t, s, evs); hits == 0 {
		t.Fatal("no hits: the test would not notice lost ones")
	}
}

// TestMatcherAgreesOnRealLogs does the same with RITA's real cluster logs
// (skipped without ../shared/data), whose hosts recur.
func TestMatcherAgreesOnRealLogs(t *testing.T) {
	logs := realLogs(t)
	inds := synth.Indicators(synth.Million.Scale(100), 1)
	s := build(t, inds...)
	for _, log := range logs {
		var real []event.Event
		r := zeek.NewReader(strings.NewReader(string(log)), "x.log")
		for {
			var ev event.Event
			if r.Next(&ev) != nil {
				break
			}
			real = append(real, ev)
		}
		sameHits(t, s, real)
	}
}

func TestMatcherDoesNotAllocate(t *testing.T) {
	inds, evs := mixedEvents()
	m := build(t, inds...).NewMatcher()
	hits := make([]Hit, 0, 64)
	total := 0
	allocs := testing.AllocsPerRun(100, func() {
		for i := range evs {
			hits = m.MatchAppend(hits[:0], &evs[i])
			total += len(hits)
		}
	})
	if allocs != 0 || total == 0 {
		t.Errorf("Matcher.MatchAppend: %.1f allocations per run, %d hits; want 0 and some", allocs, total)
	}
}
