package event

import (
	"net/netip"
	"testing"
)

func TestOurSide(t *testing.T) {
	ip := netip.MustParseAddr
	for _, c := range []struct {
		ev   Event
		want string
	}{
		{Event{Kind: KindConn, SrcIP: ip("10.20.10.10"), DstIP: ip("103.97.176.40")}, "10.20.10.10"}, // outbound
		{Event{Kind: KindConn, SrcIP: ip("221.220.5.133"), DstIP: ip("192.168.1.5")}, "192.168.1.5"}, // inbound
		{Event{Kind: KindSignIn, SrcIP: ip("221.220.5.133"), User: "alex@studio.example"}, "alex@studio.example"},
		{Event{Kind: KindDNS, SrcIP: ip("198.51.100.7"), DstIP: ip("203.0.113.53")}, "198.51.100.7"}, // public both: the client
		{Event{Kind: KindX509}, ""},
	} {
		if got := c.ev.OurSide(); got != c.want {
			t.Errorf("%v %v -> %v user %q: OurSide %q, want %q", c.ev.Kind, c.ev.SrcIP, c.ev.DstIP, c.ev.User, got, c.want)
		}
	}
}
