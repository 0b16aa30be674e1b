package match

import (
	"cmp"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/match/synth"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// TestAddressesAgainstReference checks the address filter (exact keys,
// per-/24 CIDR keys, the /16 map of short IPv4 blocks, IPv6 prefix keys)
// against the definition: an exact hit when the address is an indicator,
// then every CIDR indicator containing it, longest first. Probes are the
// indicators themselves, addresses at and just past both ends of every
// block, and random addresses.
func TestAddressesAgainstReference(t *testing.T) {
	base := synth.Indicators(synth.Mix{IPv4: 2000, IPv6: 500, CIDRs: 1000}, 7)
	extra := []string{"10.0.0.0/8", "172.16.0.0/17", "198.18.0.0/19", "100.64.0.0/20", "192.0.2.0/23",
		"203.0.113.128/25", "203.0.113.7/32", "2001:db8:40::/44", "2001:db8::/32", "2400:cb00::/29"}
	for _, withShort6 := range []bool{false, true} {
		inds := slices.Clone(base)
		for _, p := range extra {
			inds = append(inds, indicator.Indicator{Type: indicator.CIDR, Value: p})
		}
		if withShort6 {
			inds = append(inds, indicator.Indicator{Type: indicator.CIDR, Value: "2000::/12"})
		}
		s := build(t, inds...)
		exact := map[netip.Addr]bool{}
		var prefixes []netip.Prefix
		for _, in := range inds {
			if in.Type == indicator.CIDR {
				prefixes = append(prefixes, netip.MustParsePrefix(in.Value).Masked())
			} else if in.Type == indicator.IPv4 || in.Type == indicator.IPv6 {
				exact[netip.MustParseAddr(in.Value)] = true
			}
		}
		slices.SortFunc(prefixes, func(a, b netip.Prefix) int { return cmp.Compare(b.Bits(), a.Bits()) })
		prefixes = slices.Compact(prefixes)

		r := rand.New(rand.NewPCG(1, 2))
		var probes []netip.Addr
		for a := range exact {
			probes = append(probes, a, a.Next())
		}
		for _, p := range prefixes {
			last := lastAddr(p)
			probes = append(probes, p.Addr(), p.Addr().Prev(), last, last.Next())
		}
		for range 5000 {
			var b [16]byte
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			probes = append(probes, netip.AddrFrom4([4]byte(b[:4])), netip.AddrFrom16(b))
		}
		for _, a := range probes {
			if !a.IsValid() {
				continue
			}
			var want []found
			if exact[a] {
				typ := "ipv4"
				if a.Is6() {
					typ = "ipv6"
				}
				want = append(want, found{"conn.id.resp_h", typ, a.String(), a.String()})
			}
			for _, p := range prefixes {
				if p.Contains(a) {
					want = append(want, found{"conn.id.resp_h", "cidr", a.String(), p.String()})
				}
			}
			got := hitsOf(s, &event.Event{Kind: event.KindConn, DstIP: a})
			if !slices.Equal(got, want) {
				t.Fatalf("short6=%v %s: got %v, want %v", withShort6, a, got, want)
			}
		}
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := range b {
		if bit := i * 8; bit+8 > p.Bits() {
			keep := max(0, p.Bits()-bit)
			b[i] |= byte(0xff >> keep)
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
