package communityid

import (
	"net/netip"
	"testing"
)

// Vectors from the Community ID specification's baseline data (also used by
// Zeek's community_id_v1 btest).
func TestV1SpecVectors(t *testing.T) {
	ip := netip.MustParseAddr
	cases := []struct {
		name     string
		seed     uint16
		src, dst string
		sp, dp   uint16
		proto    uint8
		want     string
	}{
		{"tcp", 0, "1.2.3.4", "5.6.7.8", 1122, 3344, 6, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
		{"tcp reversed", 0, "5.6.7.8", "1.2.3.4", 3344, 1122, 6, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
		{"udp", 0, "1.2.3.4", "5.6.7.8", 1122, 3344, 17, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
		{"udp reversed", 0, "5.6.7.8", "1.2.3.4", 3344, 1122, 17, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
		{"icmp echo", 0, "1.2.3.4", "5.6.7.8", 8, 0, 1, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="},
		{"icmp echo reply", 0, "5.6.7.8", "1.2.3.4", 0, 0, 1, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="},
		{"icmp6 echo", 0, "fe80:1:203:405:607:809:a0b:c0d", "fe80:1011:1213:1415:1617:1819:1a1b:1c1d", 128, 0, 58, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="},
		{"rsvp no ports", 0, "1.2.3.4", "5.6.7.8", 0, 0, 46, "1:ikv3kmf89luf73WPz1jOs49S768="},
		{"tcp seed 1", 1, "1.2.3.4", "5.6.7.8", 1122, 3344, 6, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
		{"udp seed 1", 1, "1.2.3.4", "5.6.7.8", 1122, 3344, 17, "1:OShq+iKDAMVouh/4bMxB9Sz4amw="},
		{"icmp seed 1", 1, "1.2.3.4", "5.6.7.8", 8, 0, 1, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="},
	}
	for _, c := range cases {
		got := V1(c.seed, ip(c.src), ip(c.dst), c.sp, c.dp, c.proto)
		if got != c.want {
			t.Errorf("%s: V1 = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestV1RejectsBadAddresses(t *testing.T) {
	if got := V1(0, netip.Addr{}, netip.MustParseAddr("1.2.3.4"), 1, 2, 6); got != "" {
		t.Errorf("invalid src: got %q, want empty", got)
	}
	if got := V1(0, netip.MustParseAddr("::1"), netip.MustParseAddr("1.2.3.4"), 1, 2, 6); got != "" {
		t.Errorf("mixed families: got %q, want empty", got)
	}
	// A v4-mapped v6 address is the same host as its v4 form.
	a := V1(0, netip.MustParseAddr("::ffff:1.2.3.4"), netip.MustParseAddr("5.6.7.8"), 1122, 3344, 6)
	if a != "1:wCb3OG7yAFWelaUydu0D+125CLM=" {
		t.Errorf("v4-mapped: got %q", a)
	}
}

func BenchmarkV1(b *testing.B) {
	src, dst := netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("93.184.216.34")
	b.ReportAllocs()
	for b.Loop() {
		V1(0, src, dst, 51234, 443, 6)
	}
}
