// Package synth writes synthetic but well-formed packet captures — DNS
// lookups, TLS handshakes with a real certificate, HTTP requests, split and
// reordered TCP segments, IP fragments, VLAN and Linux cooked headers — for
// the pcap package's tests and for the benchmark against tshark. Nothing in
// it is used on real traffic.
package synth

import (
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"io"
	"math/big"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/crypto/cryptobyte"
)

// Link selects the link-layer framing of the written packets.
type Link int

// Framings the Writer can produce.
const (
	Ethernet Link = iota
	VLAN          // one 802.1Q tag
	QinQ          // two stacked tags (802.1ad outer, 802.1Q inner)
	SLL           // Linux cooked capture v1
	SLL2          // Linux cooked capture v2
	RawIP         // no link header
)

// Writer writes packets to a classic pcap file.
type Writer struct {
	w    *pcapgo.Writer
	link Link
	ts   time.Time
	buf  gopacket.SerializeBuffer
	// Snap, when non-zero, cuts every packet to that many bytes as a capture
	// with a small snap length would.
	Snap int
}

// NewWriter writes the pcap file header for link to w.
func NewWriter(w io.Writer, link Link) (*Writer, error) {
	pw := pcapgo.NewWriter(w)
	lt := layers.LinkTypeEthernet
	switch link {
	case SLL:
		lt = layers.LinkTypeLinuxSLL
	case SLL2:
		lt = layers.LinkTypeLinuxSLL2
	case RawIP:
		lt = layers.LinkTypeRaw
	}
	if err := pw.WriteFileHeader(65535, lt); err != nil {
		return nil, err
	}
	return &Writer{w: pw, link: link, ts: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), buf: gopacket.NewSerializeBuffer()}, nil
}

// Time is the timestamp the next packet gets; each packet advances it.
func (w *Writer) Time() time.Time { return w.ts }

// Raw writes data as one packet record as it is.
func (w *Writer) Raw(data []byte) error {
	w.ts = w.ts.Add(137 * time.Microsecond)
	ci := gopacket.CaptureInfo{Timestamp: w.ts, CaptureLength: len(data), Length: len(data)}
	if w.Snap > 0 && len(data) > w.Snap {
		ci.CaptureLength = w.Snap
		data = data[:w.Snap]
	}
	return w.w.WritePacket(ci, data)
}

// IP writes one IP packet (ip is *layers.IPv4 or *layers.IPv6) carrying the
// given layers, framed as the Writer's link says.
func (w *Writer) IP(ip gopacket.SerializableLayer, rest ...gopacket.SerializableLayer) error {
	ethType := layers.EthernetTypeIPv4
	if _, ok := ip.(*layers.IPv6); ok {
		ethType = layers.EthernetTypeIPv6
	}
	var ls []gopacket.SerializableLayer
	mac1 := net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	mac2 := net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
	switch w.link {
	case Ethernet:
		ls = append(ls, &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: ethType})
	case VLAN:
		ls = append(ls, &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 42, Type: ethType})
	case QinQ:
		ls = append(ls, &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: layers.EthernetTypeQinQ},
			&layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 42, Type: ethType})
	case SLL:
		w.buf.Clear()
		if err := gopacket.SerializeLayers(w.buf, opts, append([]gopacket.SerializableLayer{ip}, rest...)...); err != nil {
			return err
		}
		hdr := make([]byte, 16)
		binary.BigEndian.PutUint16(hdr[0:], 4) // sent by us
		binary.BigEndian.PutUint16(hdr[2:], 1) // ARPHRD_ETHER
		binary.BigEndian.PutUint16(hdr[4:], 6)
		copy(hdr[6:], mac1)
		binary.BigEndian.PutUint16(hdr[14:], uint16(ethType))
		return w.Raw(append(hdr, w.buf.Bytes()...))
	case SLL2:
		w.buf.Clear()
		if err := gopacket.SerializeLayers(w.buf, opts, append([]gopacket.SerializableLayer{ip}, rest...)...); err != nil {
			return err
		}
		hdr := make([]byte, 20)
		binary.BigEndian.PutUint16(hdr[0:], uint16(ethType))
		binary.BigEndian.PutUint32(hdr[4:], 2) // interface index
		binary.BigEndian.PutUint16(hdr[8:], 1) // ARPHRD_ETHER
		hdr[10] = 4                            // outgoing
		hdr[11] = 6
		copy(hdr[12:], mac1)
		return w.Raw(append(hdr, w.buf.Bytes()...))
	}
	ls = append(ls, ip)
	ls = append(ls, rest...)
	w.buf.Clear()
	if err := gopacket.SerializeLayers(w.buf, opts, ls...); err != nil {
		return err
	}
	return w.Raw(w.buf.Bytes())
}

var opts = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}

// IPHeader returns the IPv4 or IPv6 header for a packet from src to dst.
func IPHeader(src, dst netip.Addr, proto layers.IPProtocol) gopacket.NetworkLayer {
	if src.Is4() {
		return &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice(), Flags: layers.IPv4DontFragment}
	}
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
}

// UDP writes one UDP datagram.
func (w *Writer) UDP(src, dst netip.Addr, sp, dp uint16, payload []byte) error {
	ip := IPHeader(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
	u.SetNetworkLayerForChecksum(ip)
	return w.IP(ip.(gopacket.SerializableLayer), u, gopacket.Payload(payload))
}

// DNSQuery returns a DNS query message for name.
func DNSQuery(id uint16, name string, typ layers.DNSType) []byte {
	d := &layers.DNS{ID: id, RD: true, QDCount: 1,
		Questions: []layers.DNSQuestion{{Name: []byte(name), Type: typ, Class: layers.DNSClassIN}}}
	return serialize(d)
}

// DNSResponse returns the response to DNSQuery(id, name) answering with
// addrs (A or AAAA records by family).
func DNSResponse(id uint16, name string, addrs ...netip.Addr) []byte {
	d := &layers.DNS{ID: id, QR: true, RD: true, RA: true,
		Questions: []layers.DNSQuestion{{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
	for _, a := range addrs {
		rr := layers.DNSResourceRecord{Name: []byte(name), Class: layers.DNSClassIN, TTL: 300, IP: a.AsSlice()}
		rr.Type = layers.DNSTypeA
		if a.Is6() {
			rr.Type = layers.DNSTypeAAAA
		}
		d.Answers = append(d.Answers, rr)
	}
	return serialize(d)
}

func serialize(l gopacket.SerializableLayer) []byte {
	b := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(b, opts, l); err != nil {
		panic(err) // only reachable through a bug in this package
	}
	return append([]byte(nil), b.Bytes()...)
}

// TCPConn writes one TCP connection packet by packet, keeping the sequence
// numbers of both sides.
type TCPConn struct {
	w                *Writer
	cli, srv         netip.Addr
	cport, sport     uint16
	cseq, sseq       uint32
	MSS              int // largest payload per segment; 1460 by default
	ReorderFirstPair bool
}

// NewTCPConn starts a connection from cli:cport to srv:sport and writes the
// three-way handshake.
func (w *Writer) NewTCPConn(cli netip.Addr, cport uint16, srv netip.Addr, sport uint16) (*TCPConn, error) {
	c := &TCPConn{w: w, cli: cli, srv: srv, cport: cport, sport: sport, cseq: 1000, sseq: 500000, MSS: 1460}
	if err := c.segment(true, &layers.TCP{SYN: true}, nil); err != nil {
		return nil, err
	}
	if err := c.segment(false, &layers.TCP{SYN: true, ACK: true}, nil); err != nil {
		return nil, err
	}
	return c, c.segment(true, &layers.TCP{ACK: true}, nil)
}

// Midstream returns a connection whose handshake is not in the capture.
func (w *Writer) Midstream(cli netip.Addr, cport uint16, srv netip.Addr, sport uint16) *TCPConn {
	return &TCPConn{w: w, cli: cli, srv: srv, cport: cport, sport: sport, cseq: 77, sseq: 99, MSS: 1460}
}

// segment writes one segment and advances the sender's sequence number.
func (c *TCPConn) segment(fromClient bool, t *layers.TCP, payload []byte) error {
	src, dst, sp, dp := c.cli, c.srv, c.cport, c.sport
	seq, ack := &c.cseq, c.sseq
	if !fromClient {
		src, dst, sp, dp = c.srv, c.cli, c.sport, c.cport
		seq, ack = &c.sseq, c.cseq
	}
	t.SrcPort, t.DstPort, t.Seq, t.Window = layers.TCPPort(sp), layers.TCPPort(dp), *seq, 65535
	if !t.SYN || t.ACK {
		t.ACK, t.Ack = true, ack
	}
	ip := IPHeader(src, dst, layers.IPProtocolTCP)
	t.SetNetworkLayerForChecksum(ip)
	*seq += uint32(len(payload))
	if t.SYN || t.FIN {
		*seq++
	}
	return c.w.IP(ip.(gopacket.SerializableLayer), t, gopacket.Payload(payload))
}

// Send writes data from the client (fromClient) or the server, cut into
// MSS-sized segments, and the peer's ACK. With ReorderFirstPair the first
// two segments are written in swapped order.
func (c *TCPConn) Send(fromClient bool, data []byte) error {
	seq := &c.cseq
	if !fromClient {
		seq = &c.sseq
	}
	start := *seq
	var offs []int
	for off := 0; off < len(data); off += c.MSS {
		offs = append(offs, off)
	}
	if c.ReorderFirstPair && len(offs) >= 2 {
		offs[0], offs[1] = offs[1], offs[0]
	}
	for _, off := range offs {
		*seq = start + uint32(off)
		if err := c.segment(fromClient, &layers.TCP{PSH: true}, data[off:min(off+c.MSS, len(data))]); err != nil {
			return err
		}
	}
	*seq = start + uint32(len(data))
	return c.segment(!fromClient, &layers.TCP{}, nil)
}

// Close writes FIN from both sides and the last ACK.
func (c *TCPConn) Close() error {
	if err := c.segment(true, &layers.TCP{FIN: true}, nil); err != nil {
		return err
	}
	if err := c.segment(false, &layers.TCP{FIN: true}, nil); err != nil {
		return err
	}
	return c.segment(true, &layers.TCP{}, nil)
}

// HelloSpec is the content of a synthetic ClientHello.
type HelloSpec struct {
	SNI     string
	ALPN    []string
	Ciphers []uint16
	TLS13   bool // offer TLS 1.3 in supported_versions
	GREASE  bool // add GREASE values as browsers do
}

// ClientHello returns a TLS record holding a ClientHello built from s.
func ClientHello(s HelloSpec) []byte {
	ciphers := s.Ciphers
	if ciphers == nil {
		ciphers = []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035}
	}
	var b cryptobyte.Builder
	b.AddUint16(0x0303)
	b.AddBytes(make([]byte, 32))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, 32)) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		if s.GREASE {
			b.AddUint16(0x3a3a)
		}
		for _, c := range ciphers {
			b.AddUint16(c)
		}
	})
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		ext := func(typ uint16, body func(b *cryptobyte.Builder)) {
			b.AddUint16(typ)
			b.AddUint16LengthPrefixed(body)
		}
		if s.GREASE {
			ext(0x9a9a, func(*cryptobyte.Builder) {})
		}
		if s.SNI != "" {
			ext(0, func(b *cryptobyte.Builder) {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
					b.AddUint8(0)
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(s.SNI)) })
				})
			})
		}
		ext(0x0017, func(*cryptobyte.Builder) {})
		ext(0xff01, func(b *cryptobyte.Builder) { b.AddUint8(0) })
		ext(0x000a, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(0x001d); b.AddUint16(0x0017); b.AddUint16(0x0018) })
		})
		ext(0x000b, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
		})
		ext(0x0023, func(*cryptobyte.Builder) {})
		if len(s.ALPN) > 0 {
			ext(0x0010, func(b *cryptobyte.Builder) {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
					for _, p := range s.ALPN {
						b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(p)) })
					}
				})
			})
		}
		ext(0x000d, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, a := range []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601} {
					b.AddUint16(a)
				}
			})
		})
		if s.TLS13 {
			ext(0x002b, func(b *cryptobyte.Builder) {
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
					if s.GREASE {
						b.AddUint16(0x5a5a)
					}
					b.AddUint16(0x0304)
					b.AddUint16(0x0303)
				})
			})
		}
	})
	return Record(22, Handshake(1, b.BytesOrPanic()))
}

// ServerHello returns a ServerHello handshake message (not a record) for
// TLS 1.2 choosing cipher, with renegotiation_info and extended master
// secret extensions.
func ServerHello(cipher uint16) []byte {
	var b cryptobyte.Builder
	b.AddUint16(0x0303)
	b.AddBytes(make([]byte, 32))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {})
	b.AddUint16(cipher)
	b.AddUint8(0)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(0xff01)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
		b.AddUint16(0x0017)
		b.AddUint16(0)
	})
	return Handshake(2, b.BytesOrPanic())
}

// Certificate returns a TLS 1.2 Certificate handshake message with the
// given DER certificates.
func Certificate(ders ...[]byte) []byte {
	var b cryptobyte.Builder
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, d := range ders {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(d) })
		}
	})
	return Handshake(11, b.BytesOrPanic())
}

// Handshake frames a handshake message body with its 4-byte header.
func Handshake(typ uint8, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

// Record wraps payload in TLS records of at most 16 KiB each.
func Record(typ uint8, payload []byte) []byte {
	var out []byte
	for len(payload) > 0 || out == nil {
		n := min(len(payload), 1<<14)
		out = append(out, typ, 3, 3, byte(n>>8), byte(n))
		out = append(out, payload[:n]...)
		payload = payload[n:]
	}
	return out
}

// SelfSigned makes a deterministic self-signed Ed25519 certificate for
// names (the first is the CN) with the given serial.
func SelfSigned(serial int64, names ...string) []byte {
	// Ed25519 from a fixed seed signs deterministically, so the same
	// arguments give the same certificate in every run.
	var seed [ed25519.SeedSize]byte
	binary.BigEndian.PutUint64(seed[:], uint64(serial))
	key := ed25519.NewKeyFromSeed(seed[:])
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: names[0], Organization: []string{"Umbra Test, Inc."}, Country: []string{"US"}},
		NotBefore:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		DNSNames:     names,
	}
	der, err := x509.CreateCertificate(zeroReader{}, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	return der
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// HTTPRequest returns a GET request with the given headers.
func HTTPRequest(host, uri, userAgent, cookie string) []byte {
	s := "GET " + uri + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: " + userAgent + "\r\nAccept: */*\r\n"
	if cookie != "" {
		s += "Cookie: " + cookie + "\r\n"
	}
	return []byte(s + "\r\n")
}

// HTTPResponse returns a 200 response with a body of n bytes.
func HTTPResponse(n int) []byte {
	body := make([]byte, n)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	return append([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "+itoa(n)+"\r\n\r\n"), body...)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// Mix writes n connections of a typical client network, for benchmarks:
// per connection a DNS lookup, then either a TLS 1.2 session (handshake
// with a certificate, then application data) or an HTTP request with a
// response body, the bulk of packets being data segments and ACKs, as on
// a real link. Hosts, names and ports vary with i; the output is the same
// for the same n.
func Mix(w *Writer, n int) error {
	certs := [][]byte{SelfSigned(1001, "cdn.example.net", "static.example.net"), SelfSigned(1002, "login.example.org")}
	appData := Record(23, make([]byte, 1200))
	for i := range n {
		client := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		server := netip.AddrFrom4([4]byte{93, 184, byte(i >> 8 % 200), byte(i%250 + 1)})
		resolver := netip.AddrFrom4([4]byte{10, 1, 255, 53})
		name := "host" + itoa(i%5000) + ".example" + itoa(i%7) + ".com"
		cport := uint16(20000 + i%40000)
		id := uint16(i)
		if err := w.UDP(client, resolver, cport, 53, DNSQuery(id, name, layers.DNSTypeA)); err != nil {
			return err
		}
		if err := w.UDP(resolver, client, 53, cport, DNSResponse(id, name, server)); err != nil {
			return err
		}
		if i%3 == 2 {
			c, err := w.NewTCPConn(client, cport+1, server, 80)
			if err != nil {
				return err
			}
			if err := c.Send(true, HTTPRequest(name, "/assets/"+itoa(i)+".js?v=3", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "sid="+itoa(i)+"; pref=1")); err != nil {
				return err
			}
			if err := c.Send(false, HTTPResponse(8000+i%4000)); err != nil {
				return err
			}
			if err := c.Close(); err != nil {
				return err
			}
			continue
		}
		c, err := w.NewTCPConn(client, cport+1, server, 443)
		if err != nil {
			return err
		}
		if err := c.Send(true, ClientHello(HelloSpec{SNI: name, ALPN: []string{"h2", "http/1.1"}, TLS13: i%2 == 0, GREASE: i%4 == 0})); err != nil {
			return err
		}
		flight := append(ServerHello(0xc02f), Certificate(certs[i%2])...)
		flight = append(flight, Handshake(14, nil)...)
		if err := c.Send(false, Record(22, flight)); err != nil {
			return err
		}
		if err := c.Send(true, Record(20, []byte{1})); err != nil {
			return err
		}
		for range 6 {
			if err := c.Send(false, appData); err != nil {
				return err
			}
		}
		if err := c.Close(); err != nil {
			return err
		}
	}
	return nil
}
