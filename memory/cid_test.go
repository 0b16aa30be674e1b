package memory

import (
	"fmt"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/telemetry/communityid"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// cidEvents are flows whose community id the store can give back from the
// 5-tuple (seed 0, as Zeek and Suricata write it) and flows whose id it
// must keep as it came: another seed, a wrong value, no addresses, mixed
// address families.
func cidEvents() []event.Event {
	a, b := netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("198.51.100.7")
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	mapped := netip.MustParseAddr("::ffff:198.51.100.7")
	ev := func(uid string, proto uint8, src, dst netip.Addr, sp, dp uint16, cid string) event.Event {
		return event.Event{Time: day0.Add(time.Minute), Kind: event.KindConn, Sensor: "zeek", UID: uid,
			Proto: proto, SrcIP: src, DstIP: dst, SrcPort: sp, DstPort: dp, CommunityID: cid}
	}
	return []event.Event{
		ev("tcp", 6, a, b, 49152, 443, communityid.V1(0, a, b, 49152, 443, 6)),
		ev("udp-reply", 17, b, a, 53, 51000, communityid.V1(0, b, a, 53, 51000, 17)),
		ev("icmp", 1, a, b, 8, 0, communityid.V1(0, a, b, 8, 0, 1)),
		ev("v6", 6, v6a, v6b, 1, 2, communityid.V1(0, v6a, v6b, 1, 2, 6)),
		ev("mapped", 6, a, mapped, 40000, 80, communityid.V1(0, a, mapped, 40000, 80, 6)),
		ev("seed1", 6, a, b, 49152, 443, communityid.V1(1, a, b, 49152, 443, 6)),
		ev("wrong", 6, a, b, 49153, 443, communityid.V1(0, a, b, 49152, 443, 6)),
		ev("noaddr", 6, netip.Addr{}, netip.Addr{}, 0, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="),
		ev("mixed", 6, v6a, b, 1, 2, "1:AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
		ev("short", 6, a, b, 1, 2, "1:abc"),
		ev("none", 6, a, b, 1, 2, ""),
	}
}

// TestCommunityIDsComeBack stores flows with and without derivable
// community ids and reads them back through both row paths: the full
// scan and the late-materialised one (MatchRows).
func TestCommunityIDsComeBack(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := cidEvents()
	for i := range want {
		if err := s.Append(&want[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	full, _ := scanAll(t, s, Filter{})
	rows, _ := scanAll(t, s, Filter{Values: []string{"10.1.2.3", "2001:db8::1"}, MatchRows: true})
	for name, got := range map[string][]event.Event{"full scan": full, "MatchRows": rows} {
		gm := byUID(t, got)
		for _, w := range want {
			if w.UID == "noaddr" && name == "MatchRows" {
				continue // no address to be found by
			}
			g, ok := gm[w.UID]
			if !ok {
				t.Fatalf("%s: %s missing", name, w.UID)
			}
			if w = norm(w); !reflect.DeepEqual(g, w) {
				t.Errorf("%s: %s:\n got %+v\nwant %+v", name, w.UID, g, w)
			}
		}
	}
}

// TestDerivedCommunityIDsCostNothing stores the same conn events with and
// without their community ids: a derivable id must not cost the 20-odd
// bytes of entropy it would as a value.
func TestDerivedCommunityIDsCostNothing(t *testing.T) {
	size := func(withCID bool) float64 {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		gen := newTraffic(3, day0)
		var e event.Event
		n := 0
		for n < 50000 {
			gen.next(&e)
			if e.Kind != event.KindConn {
				continue
			}
			e.CommunityID = ""
			if withCID {
				e.CommunityID = communityid.V1(0, e.SrcIP, e.DstIP, e.SrcPort, e.DstPort, e.Proto)
			}
			if err := s.Append(&e); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		st := s.Stats()
		return float64(st.Bytes) / float64(st.Events)
	}
	without, with := size(false), size(true)
	t.Logf("conn events: %.2f B/event without community ids, %.2f with", without, with)
	if with > without+0.5 {
		t.Fatalf("community ids cost %.2f B/event", with-without)
	}
	if fmt.Sprint(without) == "NaN" || without <= 0 {
		t.Fatalf("no size measured")
	}
}
