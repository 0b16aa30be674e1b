// Package communityid computes the Community ID v1 flow hash, the
// vendor-neutral flow identifier that Zeek, Suricata and Elastic print, so
// that a umbra event can be joined to the same flow in a peer's logs.
//
// The hash is SHA-1 over seed, both addresses, protocol, a zero pad byte and
// (for protocols with ports) both ports, with the endpoints put in a fixed
// order so that both directions of a flow get the same ID.
package communityid

import (
	"crypto/sha1"
	"encoding/base64"
	"net/netip"
)

// IANA protocol numbers that carry ports (or ICMP type/code) in the hash.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
	protoSCTP   = 132
)

// icmpPair maps ICMP request types to their reply types and back, so that an
// echo and its reply hash to the same flow. Types not listed are one-way.
var icmpPair = map[uint8]uint8{
	8: 0, 0: 8, // echo
	13: 14, 14: 13, // timestamp
	15: 16, 16: 15, // information
	10: 9, 9: 10, // router solicitation / advertisement
	17: 18, 18: 17, // address mask
}

var icmp6Pair = map[uint8]uint8{
	128: 129, 129: 128, // echo
	133: 134, 134: 133, // router solicitation / advertisement
	135: 136, 136: 135, // neighbor solicitation / advertisement
	130: 131, 131: 130, // multicast listener query / report
	139: 140, 140: 139, // node information query / response
	144: 145, 145: 144, // home agent address discovery
}

// V1 returns the Community ID v1 string ("1:" + base64) of a flow. For ICMP
// and ICMPv6, srcPort and dstPort carry the ICMP type and code. Addresses of
// mixed families or invalid addresses give "".
func V1(seed uint16, src, dst netip.Addr, srcPort, dstPort uint16, proto uint8) string {
	var out [Len]byte
	return string(AppendV1(out[:0], seed, src, dst, srcPort, dstPort, proto))
}

// Len is the length of a Community ID v1 string.
const Len = 2 + 28

// AppendV1 is V1 appending to dst, without allocating when dst has room
// for Len more bytes; it appends nothing where V1 gives "".
func AppendV1(dst []byte, seed uint16, src, dstAddr netip.Addr, srcPort, dstPort uint16, proto uint8) []byte {
	var buf [4 + 16 + 16 + 2 + 4]byte
	sum, ok := hash(buf[:0], seed, src, dstAddr, srcPort, dstPort, proto)
	if !ok {
		return dst
	}
	dst = append(dst, '1', ':')
	return base64.StdEncoding.AppendEncode(dst, sum[:])
}

func hash(b []byte, seed uint16, src, dst netip.Addr, sp, dp uint16, proto uint8) ([sha1.Size]byte, bool) {
	if !src.IsValid() || !dst.IsValid() {
		return [sha1.Size]byte{}, false
	}
	src, dst = src.Unmap(), dst.Unmap()
	if src.Is4() != dst.Is4() {
		return [sha1.Size]byte{}, false
	}
	oneWay := false
	switch proto {
	case protoICMP:
		sp, dp, oneWay = icmpPorts(icmpPair, sp, dp)
	case protoICMPv6:
		sp, dp, oneWay = icmpPorts(icmp6Pair, sp, dp)
	}
	// Order the endpoints so both directions hash alike; one-way ICMP keeps
	// the sender first, as the spec says.
	if !oneWay {
		c := src.Compare(dst)
		if c > 0 || (c == 0 && sp > dp) {
			src, dst = dst, src
			sp, dp = dp, sp
		}
	}
	b = append(b, byte(seed>>8), byte(seed))
	b = append(b, src.AsSlice()...)
	b = append(b, dst.AsSlice()...)
	b = append(b, proto, 0)
	switch proto {
	case protoICMP, protoTCP, protoUDP, protoICMPv6, protoSCTP:
		b = append(b, byte(sp>>8), byte(sp), byte(dp>>8), byte(dp))
	}
	return sha1.Sum(b), true
}

// icmpPorts turns (type, code) into the pair the hash uses: a request type
// with a known reply is paired with that reply type so both directions
// match; anything else is hashed as type and code, one way.
func icmpPorts(pairs map[uint8]uint8, typ, code uint16) (uint16, uint16, bool) {
	if typ <= 0xff {
		if other, ok := pairs[uint8(typ)]; ok {
			return typ, uint16(other), false
		}
	}
	return typ, code, true
}
