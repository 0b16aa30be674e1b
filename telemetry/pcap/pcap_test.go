package pcap

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/umbra-cti/umbra/telemetry/communityid"
	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/pcap/synth"
	"github.com/umbra-cti/umbra/telemetry/tlshello"
)

var (
	client4 = netip.MustParseAddr("10.0.0.5")
	server4 = netip.MustParseAddr("93.184.216.34")
	dns4    = netip.MustParseAddr("10.0.0.1")
	client6 = netip.MustParseAddr("2001:db8::5")
	server6 = netip.MustParseAddr("2001:db8:1::443")
)

// capture runs build against a synth.Writer and returns the file bytes.
func capture(t testing.TB, link synth.Link, build func(w *synth.Writer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := synth.NewWriter(&buf, link)
	if err != nil {
		t.Fatal(err)
	}
	if err := build(w); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decode reads every event of a capture held in memory.
func decode(t testing.TB, data []byte) ([]event.Event, Stats) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), "test.pcap")
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Event
	var e event.Event
	for {
		err := r.Next(&e)
		if err == io.EOF {
			return out, r.Stats()
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, e.Clone())
	}
}

func ofKind(evs []event.Event, k event.Kind) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// session writes one DNS lookup, one TLS 1.2 handshake and one HTTP
// request between client and server.
func session(w *synth.Writer, client, server netip.Addr, cert []byte, mss int, reorder bool) error {
	if err := w.UDP(client, dns4ForFamily(client), 40000, 53, synth.DNSQuery(7, "www.example.com", layers.DNSTypeA)); err != nil {
		return err
	}
	if err := w.UDP(dns4ForFamily(client), client, 53, 40000, synth.DNSResponse(7, "www.example.com", server)); err != nil {
		return err
	}
	c, err := w.NewTCPConn(client, 51000, server, 443)
	if err != nil {
		return err
	}
	c.MSS, c.ReorderFirstPair = mss, reorder
	if err := c.Send(true, synth.ClientHello(synth.HelloSpec{SNI: "www.example.com", ALPN: []string{"h2", "http/1.1"}, TLS13: false, GREASE: true})); err != nil {
		return err
	}
	flight := append(synth.ServerHello(0xc02f), synth.Certificate(cert)...)
	flight = append(flight, synth.Handshake(14, nil)...) // ServerHelloDone
	if err := c.Send(false, synth.Record(22, flight)); err != nil {
		return err
	}
	if err := c.Send(true, []byte{20, 3, 3, 0, 1, 1}); err != nil { // ChangeCipherSpec
		return err
	}
	if err := c.Close(); err != nil {
		return err
	}
	h, err := w.NewTCPConn(client, 51001, server, 80)
	if err != nil {
		return err
	}
	h.MSS, h.ReorderFirstPair = mss, reorder
	if err := h.Send(true, synth.HTTPRequest("WWW.Example.com:8080", "/download/payload.bin?id=7", "Mozilla/5.0 (umbra test)", "session=abc; theme=dark")); err != nil {
		return err
	}
	if err := h.Send(false, synth.HTTPResponse(3000)); err != nil {
		return err
	}
	return h.Close()
}

func dns4ForFamily(a netip.Addr) netip.Addr {
	if a.Is4() {
		return dns4
	}
	return netip.MustParseAddr("2001:db8::53")
}

// checkSession asserts the events of one session().
func checkSession(t *testing.T, evs []event.Event, client, server netip.Addr, cert []byte) {
	t.Helper()
	dns := ofKind(evs, event.KindDNS)
	if len(dns) != 2 {
		t.Fatalf("%d DNS events, want query and response: %+v", len(dns), dns)
	}
	for _, e := range dns {
		if e.Domain != "www.example.com" || e.SrcIP != client || e.SrcPort != 40000 || e.Proto != 17 {
			t.Errorf("DNS event %+v", e)
		}
		if e.CommunityID != communityid.V1(0, client, dns4ForFamily(client), 40000, 53, 17) {
			t.Errorf("DNS community id %s", e.CommunityID)
		}
	}
	if !slices.Equal(dns[1].Answers, []netip.Addr{server}) || len(dns[0].Answers) != 0 {
		t.Errorf("DNS answers %v / %v", dns[0].Answers, dns[1].Answers)
	}

	tlsEv := ofKind(evs, event.KindTLS)
	if len(tlsEv) != 1 {
		t.Fatalf("%d TLS events, want 1", len(tlsEv))
	}
	e := tlsEv[0]
	var h tlshello.ClientHello
	rec := synth.ClientHello(synth.HelloSpec{SNI: "www.example.com", ALPN: []string{"h2", "http/1.1"}, GREASE: true})
	if err := tlshello.ParseClientHello(rec[9:], &h); err != nil {
		t.Fatal(err)
	}
	_, ja3 := h.JA3()
	s1, s256 := sha1.Sum(cert), sha256.Sum256(cert)
	checks := []struct{ name, got, want string }{
		{"SNI", e.SNI, "www.example.com"},
		{"ALPN", strings.Join(e.ALPN, ","), "h2,http/1.1"},
		{"JA3", e.JA3, ja3},
		{"JA4", e.JA4, h.JA4('t')},
		{"JA4 prefix", e.JA4[:11], "t12d1508h2_"}, // 15 ciphers, 8 extensions without GREASE
		{"JA4 ciphers", e.JA4[11:23], "8daaf6152771"},
		// 49199 = c02f; extensions ff01 and 0017 in that order.
		{"JA3S", e.JA3S, md5hex("771,49199,65281-23")},
		{"cert sha1", e.CertSHA1, hex.EncodeToString(s1[:])},
		{"cert sha256", e.CertSHA256, hex.EncodeToString(s256[:])},
		{"serial", e.CertSerial, "1F4A"}, // 8010
		{"subject", e.CertSubject, `CN=www.example.com,O=Umbra Test\, Inc.,C=US`},
		{"issuer", e.CertIssuer, `CN=www.example.com,O=Umbra Test\, Inc.,C=US`},
		{"names", strings.Join(e.CertNames, ","), "www.example.com,cdn.example.com"},
		{"src", e.SrcIP.String(), client.String()},
		{"dst", e.DstIP.String(), server.String()},
		{"cid", e.CommunityID, communityid.V1(0, client, server, 51000, 443, 6)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("TLS %s = %q, want %q", c.name, c.got, c.want)
		}
	}
	x := ofKind(evs, event.KindX509)
	if len(x) != 1 || x[0].CertSHA1 != e.CertSHA1 || x[0].SNI != "" {
		t.Errorf("x509 events %+v", x)
	}

	httpEv := ofKind(evs, event.KindHTTP)
	if len(httpEv) != 1 {
		t.Fatalf("%d HTTP events, want 1", len(httpEv))
	}
	he := httpEv[0]
	if he.Host != "www.example.com" || he.URI != "/download/payload.bin?id=7" ||
		he.URL != "http://www.example.com/download/payload.bin?id=7" || he.UserAgent != "Mozilla/5.0 (umbra test)" ||
		!slices.Equal(he.Cookies, []string{"session", "theme"}) || he.SrcPort != 51001 || he.DstPort != 80 {
		t.Errorf("HTTP event %+v", he)
	}
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestLinkTypesAndFamilies(t *testing.T) {
	cert := synth.SelfSigned(8010, "www.example.com", "cdn.example.com")
	links := map[string]synth.Link{"ethernet": synth.Ethernet, "vlan": synth.VLAN, "qinq": synth.QinQ,
		"sll": synth.SLL, "sll2": synth.SLL2, "raw": synth.RawIP}
	for name, link := range links {
		for _, fam := range []struct {
			name           string
			client, server netip.Addr
		}{{"ipv4", client4, server4}, {"ipv6", client6, server6}} {
			t.Run(name+"/"+fam.name, func(t *testing.T) {
				data := capture(t, link, func(w *synth.Writer) error {
					return session(w, fam.client, fam.server, cert, 1460, false)
				})
				evs, st := decode(t, data)
				if st.SkippedTotal() != 0 {
					t.Errorf("skipped %v: %v", st.Skipped, st.Problems)
				}
				checkSession(t, evs, fam.client, fam.server, cert)
			})
		}
	}
}

func TestTCPSplitAndReordered(t *testing.T) {
	cert := synth.SelfSigned(8010, "www.example.com", "cdn.example.com")
	// 50-byte segments split the ClientHello, the certificate flight and
	// the HTTP request headers across many packets, and the first two
	// segments of each send arrive swapped.
	data := capture(t, synth.Ethernet, func(w *synth.Writer) error {
		return session(w, client4, server4, cert, 50, true)
	})
	evs, st := decode(t, data)
	if st.SkippedTotal() != 0 {
		t.Errorf("skipped %v: %v", st.Skipped, st.Problems)
	}
	checkSession(t, evs, client4, server4, cert)
}

func TestMidstreamHTTP(t *testing.T) {
	data := capture(t, synth.Ethernet, func(w *synth.Writer) error {
		c := w.Midstream(client4, 52000, server4, 8080)
		return c.Send(true, synth.HTTPRequest("evil.example", "/a", "ua", ""))
	})
	evs, _ := decode(t, data)
	if len(evs) != 1 || evs[0].Host != "evil.example" || evs[0].SrcIP != client4 || evs[0].DstPort != 8080 {
		t.Fatalf("events %+v", evs)
	}
}

// fragmented writes a DNS response to client as IP fragments of at most
// fragBytes payload, last fragment first.
func fragmented(w *synth.Writer, client netip.Addr, fragBytes int) error {
	src := dns4ForFamily(client)
	ip := synth.IPHeader(src, client, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: 53, DstPort: 40001}
	u.SetNetworkLayerForChecksum(ip)
	var addrs []netip.Addr
	for i := range 40 { // a long answer list so the datagram needs fragments
		addrs = append(addrs, netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}))
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		u, gopacket.Payload(synth.DNSResponse(9, "frag.example.net", addrs...))); err != nil {
		return err
	}
	dgram := buf.Bytes()
	var offs []int
	for off := 0; off < len(dgram); off += fragBytes {
		offs = append(offs, off)
	}
	slices.Reverse(offs)
	for _, off := range offs {
		end := min(off+fragBytes, len(dgram))
		more := end < len(dgram)
		if client.Is4() {
			h := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: src.AsSlice(), DstIP: client.AsSlice(),
				Id: 4242, FragOffset: uint16(off / 8)}
			if more {
				h.Flags = layers.IPv4MoreFragments
			}
			if err := w.IP(h, gopacket.Payload(dgram[off:end])); err != nil {
				return err
			}
			continue
		}
		h := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolIPv6Fragment, SrcIP: src.AsSlice(), DstIP: client.AsSlice()}
		fh := &layers.IPv6Fragment{NextHeader: layers.IPProtocolUDP, FragmentOffset: uint16(off / 8), MoreFragments: more, Identification: 77}
		if err := w.IP(h, fh, gopacket.Payload(dgram[off:end])); err != nil {
			return err
		}
	}
	return nil
}

func TestIPFragmentsReassembled(t *testing.T) {
	for _, client := range []netip.Addr{client4, client6} {
		data := capture(t, synth.Ethernet, func(w *synth.Writer) error { return fragmented(w, client, 104) })
		evs, st := decode(t, data)
		if st.SkippedTotal() != 0 {
			t.Errorf("%s: skipped %v: %v", client, st.Skipped, st.Problems)
		}
		if len(evs) != 1 || evs[0].Domain != "frag.example.net" || len(evs[0].Answers) != 40 ||
			evs[0].Answers[39] != netip.MustParseAddr("198.51.100.39") {
			t.Fatalf("%s: events %+v", client, evs)
		}
	}
}

func TestOverlappingIPv6FragmentsRejected(t *testing.T) {
	data := capture(t, synth.Ethernet, func(w *synth.Writer) error {
		for _, off := range []uint16{0, 1} { // [0,16) and [8,24) overlap
			h := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolIPv6Fragment, SrcIP: dns4ForFamily(client6).AsSlice(), DstIP: client6.AsSlice()}
			fh := &layers.IPv6Fragment{NextHeader: layers.IPProtocolUDP, FragmentOffset: off, MoreFragments: true, Identification: 5}
			if err := w.IP(h, fh, gopacket.Payload(make([]byte, 16))); err != nil {
				return err
			}
		}
		return nil
	})
	evs, st := decode(t, data)
	if len(evs) != 0 || st.Skipped[ReasonFragment] != 1 || st.Problems[0].Packet != 2 {
		t.Fatalf("events %v skipped %v problems %v", evs, st.Skipped, st.Problems)
	}
}

func TestPcapngAndGzip(t *testing.T) {
	cert := synth.SelfSigned(8010, "www.example.com", "cdn.example.com")
	classic := capture(t, synth.Ethernet, func(w *synth.Writer) error {
		return session(w, client4, server4, cert, 1460, false)
	})
	// Re-write the same packets as pcapng.
	pr, err := pcapgo.NewReader(bytes.NewReader(classic))
	if err != nil {
		t.Fatal(err)
	}
	var ng bytes.Buffer
	nw, err := pcapgo.NewNgWriter(&ng, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, ci, err := pr.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ci.InterfaceIndex = 0
		if err := nw.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := nw.Flush(); err != nil {
		t.Fatal(err)
	}
	evs, _ := decode(t, ng.Bytes())
	checkSession(t, evs, client4, server4, cert)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(classic)
	zw.Close()
	evs, _ = decode(t, gz.Bytes())
	checkSession(t, evs, client4, server4, cert)
}

func TestSnapLengthTruncation(t *testing.T) {
	cert := synth.SelfSigned(8010, "www.example.com")
	data := capture(t, synth.Ethernet, func(w *synth.Writer) error {
		w.Snap = 96 // headers survive, payloads do not
		return session(w, client4, server4, cert, 1460, false)
	})
	evs, st := decode(t, data)
	if st.Skipped[ReasonTruncated] == 0 {
		t.Fatalf("no truncated packets counted: %v", st.Skipped)
	}
	for _, e := range evs {
		if e.Kind == event.KindTLS && e.SNI != "" && e.CertSHA1 != "" {
			t.Errorf("a 96-byte snap length cannot carry a whole handshake: %+v", e)
		}
	}
	if p := st.Problems[0]; p.Packet == 0 || p.Offset < 24 || !strings.Contains(p.String(), "captured 96 of") {
		t.Errorf("first problem %v does not say where", p)
	}
	if s := st.String(); !strings.Contains(s, "truncated by snap length=") || !strings.Contains(s, "test.pcap: packet ") {
		t.Errorf("stats summary %q", s)
	}
}

func TestCorruptFiles(t *testing.T) {
	good := capture(t, synth.Ethernet, func(w *synth.Writer) error {
		if err := w.UDP(client4, dns4, 40000, 53, synth.DNSQuery(1, "one.example", layers.DNSTypeA)); err != nil {
			return err
		}
		return w.UDP(client4, dns4, 40000, 53, synth.DNSQuery(2, "two.example", layers.DNSTypeA))
	})
	first := 24 + 16 + int(binary.LittleEndian.Uint32(good[24+8:]))

	t.Run("cut inside the last record", func(t *testing.T) {
		evs, st := decode(t, good[:len(good)-5])
		if len(evs) != 1 || evs[0].Domain != "one.example" || st.Skipped[ReasonCorruptFile] != 1 {
			t.Fatalf("events %v skipped %v", evs, st.Skipped)
		}
		if p := st.Problems[0]; p.Packet != 2 || p.Offset != int64(first) {
			t.Errorf("problem %v, want packet 2 at offset %d", p, first)
		}
	})

	t.Run("bogus record length", func(t *testing.T) {
		bad := bytes.Clone(good)
		binary.LittleEndian.PutUint32(bad[first+8:], 0x7fffffff) // captured length of record 2
		r, err := NewReader(bytes.NewReader(bad), "bad.pcap")
		if err != nil {
			t.Fatal(err)
		}
		var e event.Event
		if err := r.Next(&e); err != nil || e.Domain != "one.example" {
			t.Fatalf("first event %v %v", e, err)
		}
		err = r.Next(&e)
		if err == nil || errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "bad.pcap: packet 2 (offset "+strconv.Itoa(first)+")") {
			t.Fatalf("err %v, want one naming file, packet and offset", err)
		}
		if err := r.Next(&e); err != io.EOF {
			t.Fatalf("after the error: %v, want io.EOF", err)
		}
	})

	t.Run("not a capture", func(t *testing.T) {
		for _, in := range []string{"", "GET / HTTP/1.1\r\n\r\n", "\x0a\x0d\x0d\x0a\x00"} {
			if _, err := NewReader(strings.NewReader(in), "junk.bin"); err == nil || !strings.Contains(err.Error(), "junk.bin") {
				t.Errorf("%q: err %v", in, err)
			}
		}
	})

	t.Run("garbage frames", func(t *testing.T) {
		data := capture(t, synth.Ethernet, func(w *synth.Writer) error {
			for i := range 50 {
				frame := make([]byte, 14+i)
				for j := range frame {
					frame[j] = byte(i*31 + j*7)
				}
				frame[12], frame[13] = 0x08, 0x00 // claims IPv4
				if err := w.Raw(frame); err != nil {
					return err
				}
			}
			return nil
		})
		evs, st := decode(t, data)
		if len(evs) != 0 || st.Packets != 50 || st.Skipped[ReasonMalformed] == 0 {
			t.Fatalf("events %d packets %d skipped %v", len(evs), st.Packets, st.Skipped)
		}
	})
}

func TestDNSGarbageCounted(t *testing.T) {
	data := capture(t, synth.Ethernet, func(w *synth.Writer) error {
		return w.UDP(client4, dns4, 40000, 53, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
	})
	evs, st := decode(t, data)
	if len(evs) != 0 || st.Skipped[ReasonDNS] != 1 || !strings.Contains(st.Problems[0].Detail, "10.0.0.5:40000") {
		t.Fatalf("events %v stats %+v", evs, st)
	}
}

func TestClientHelloAcrossRecords(t *testing.T) {
	// One ClientHello handshake message cut into three TLS records, as
	// some stacks (and tls-client-hello-frag-01) send it.
	rec := synth.ClientHello(synth.HelloSpec{SNI: "split.example", ALPN: []string{"h2"}})
	msg := rec[5:]
	var records []byte
	for _, part := range [][]byte{msg[:3], msg[3:100], msg[100:]} {
		records = append(records, synth.Record(22, part)...)
	}
	data := capture(t, synth.Ethernet, func(w *synth.Writer) error {
		c, err := w.NewTCPConn(client4, 50000, server4, 443)
		if err != nil {
			return err
		}
		c.MSS = 64
		if err := c.Send(true, records); err != nil {
			return err
		}
		return c.Close()
	})
	evs, st := decode(t, data)
	if len(evs) != 1 || evs[0].SNI != "split.example" || !strings.HasPrefix(evs[0].JA4, "t12d") || st.SkippedTotal() != 0 {
		t.Fatalf("events %+v skipped %v", evs, st.Problems)
	}
}

func TestHTTPKeepAliveAndConnect(t *testing.T) {
	data := capture(t, synth.Ethernet, func(w *synth.Writer) error {
		c, err := w.NewTCPConn(client4, 50001, server4, 3128)
		if err != nil {
			return err
		}
		c.MSS = 40
		post := "POST /upload HTTP/1.1\r\nHost: a.example\r\nContent-Length: 11\r\n\r\nhello world"
		get := "GET http://b.example/x HTTP/1.1\r\nHost: b.example\r\n\r\n"
		connect := "CONNECT c.example:443 HTTP/1.1\r\nHost: c.example:443\r\n\r\n"
		if err := c.Send(true, []byte(post+get+connect)); err != nil {
			return err
		}
		if err := c.Send(false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
			return err
		}
		if err := c.Send(true, synth.ClientHello(synth.HelloSpec{SNI: "c.example"})); err != nil {
			return err
		}
		return c.Close()
	})
	evs, st := decode(t, data)
	var got []string
	for _, e := range evs {
		got = append(got, e.Kind.String()+" "+e.Host+e.SNI+" "+e.URL)
	}
	want := []string{"http a.example http://a.example/upload", "http b.example http://b.example/x", "http c.example ", "tls c.example "}
	if !slices.Equal(got, want) || st.SkippedTotal() != 0 {
		t.Fatalf("events\n got %q\nwant %q\nskipped %v", got, want, st.Problems)
	}
}

func TestPendingTLSFlushedAtEOF(t *testing.T) {
	// A ClientHello whose server never answers and whose connection never
	// closes must still be reported when the file ends.
	data := capture(t, synth.Ethernet, func(w *synth.Writer) error {
		c := w.Midstream(client6, 50100, server6, 443)
		return c.Send(true, synth.ClientHello(synth.HelloSpec{SNI: "quiet.example", TLS13: true}))
	})
	evs, _ := decode(t, data)
	if len(evs) != 1 || evs[0].Kind != event.KindTLS || evs[0].SNI != "quiet.example" || evs[0].JA3S != "" ||
		!strings.HasPrefix(evs[0].JA4, "t13d") || evs[0].SrcIP != client6 {
		t.Fatalf("events %+v", evs)
	}
}

func TestReassemblyMemoryReturned(t *testing.T) {
	// Every byte a stream buffered is given back when its flow ends: the
	// budget that protects against hostile captures must not leak.
	cert := synth.SelfSigned(8010, "www.example.com")
	data := capture(t, synth.Ethernet, func(w *synth.Writer) error {
		if err := session(w, client4, server4, cert, 50, true); err != nil {
			return err
		}
		c := w.Midstream(client6, 1, server6, 80) // never closed: flushed at EOF
		return c.Send(true, []byte("GET /partial HTTP/1.1\r\nHost: x"))
	})
	r, err := NewReader(bytes.NewReader(data), "mem.pcap")
	if err != nil {
		t.Fatal(err)
	}
	peak := 0
	for !r.done { // packet by packet, to see the buffers in between
		r.readPacket()
		peak = max(peak, r.buffered)
	}
	if peak == 0 || r.buffered != 0 {
		t.Fatalf("buffered peak %d, at EOF %d; want >0 then 0", peak, r.buffered)
	}
}

func TestConnEvents(t *testing.T) {
	data := capture(t, synth.Ethernet, func(w *synth.Writer) error {
		c, err := w.NewTCPConn(client4, 50200, server4, 80)
		if err != nil {
			return err
		}
		req := synth.HTTPRequest("conn.example", "/", "ua", "")
		if err := c.Send(true, req); err != nil {
			return err
		}
		if err := c.Send(false, synth.HTTPResponse(5000)); err != nil {
			return err
		}
		return c.Close()
	})
	r, err := NewReader(bytes.NewReader(data), "conn.pcap")
	if err != nil {
		t.Fatal(err)
	}
	r.SetConnEvents(true)
	var kinds []string
	var conn event.Event
	var e event.Event
	for r.Next(&e) != io.EOF {
		kinds = append(kinds, e.Kind.String())
		if e.Kind == event.KindConn {
			conn = e.Clone()
		}
	}
	reqLen := uint64(len(synth.HTTPRequest("conn.example", "/", "ua", "")))
	respLen := uint64(len(synth.HTTPResponse(5000)))
	if !slices.Equal(kinds, []string{"http", "conn"}) || conn.SrcIP != client4 || conn.DstPort != 80 ||
		conn.OrigBytes != reqLen || conn.RespBytes != respLen || conn.CommunityID == "" {
		t.Fatalf("kinds %v conn %+v (want %d/%d bytes)", kinds, conn, reqLen, respLen)
	}
}
