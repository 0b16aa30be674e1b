package simulate

import (
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapOut writes the packets of selected sessions: DNS queries and
// answers, and for TCP the handshake plus the client's first payload (a
// ClientHello or an HTTP request) and its acknowledgement — what the pcap
// decoder needs for names, SNI, JA3/JA4 and URLs.
type pcapOut struct {
	w       *pcapgo.Writer
	buf     gopacket.SerializeBuffer
	packets uint64
}

// newPCAPRecords writes packet records (no file header) to w: a day's part
// of the capture.
func newPCAPRecords(w io.Writer) *pcapOut {
	return &pcapOut{w: pcapgo.NewWriter(w), buf: gopacket.NewSerializeBuffer()}
}

// writePCAPHeader starts the capture file: Ethernet, 65535-byte snap
// length, microsecond timestamps (what pcapgo.NewWriter's records use).
func writePCAPHeader(w io.Writer) error {
	return pcapgo.NewWriter(w).WriteFileHeader(65535, layers.LinkTypeEthernet)
}

// mac is a stable locally administered MAC for an address.
func mac(a netip.Addr) net.HardwareAddr {
	b := a.As16()
	return net.HardwareAddr{0x02, 0x00, b[12], b[13], b[14], b[15]}
}

func (p *pcapOut) write(ts int64, src, dst netip.Addr, transport gopacket.SerializableLayer, payload []byte) {
	eth := &layers.Ethernet{SrcMAC: mac(src), DstMAC: mac(dst), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: src.AsSlice(), DstIP: dst.AsSlice(), Id: uint16(ts)}
	switch t := transport.(type) {
	case *layers.TCP:
		ip.Protocol = layers.IPProtocolTCP
		ip.Flags = layers.IPv4DontFragment
		t.SetNetworkLayerForChecksum(ip)
	case *layers.UDP:
		ip.Protocol = layers.IPProtocolUDP
		t.SetNetworkLayerForChecksum(ip)
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	var err error
	if payload != nil {
		err = gopacket.SerializeLayers(p.buf, opts, eth, ip, transport, gopacket.Payload(payload))
	} else {
		err = gopacket.SerializeLayers(p.buf, opts, eth, ip, transport)
	}
	if err != nil {
		return // only malformed input could fail, and every input here is built above
	}
	data := p.buf.Bytes()
	ci := gopacket.CaptureInfo{Timestamp: time.UnixMicro(ts).UTC(), CaptureLength: len(data), Length: len(data)}
	if p.w.WritePacket(ci, data) == nil {
		p.packets++
	}
}

// tcp writes a session's handshake, the client's payload and the ack.
func (p *pcapOut) tcp(ts int64, src netip.Addr, sport uint16, dst netip.Addr, dport uint16, payload []byte) {
	cseq, sseq := uint32(ts)*2654435761, uint32(ts>>3)*40503
	p.write(ts, src, dst, &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: cseq, SYN: true, Window: 64240}, nil)
	p.write(ts+800, dst, src, &layers.TCP{SrcPort: layers.TCPPort(dport), DstPort: layers.TCPPort(sport), Seq: sseq, Ack: cseq + 1, SYN: true, ACK: true, Window: 65535}, nil)
	p.write(ts+900, src, dst, &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: cseq + 1, Ack: sseq + 1, ACK: true, Window: 64240}, nil)
	p.write(ts+1000, src, dst, &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: cseq + 1, Ack: sseq + 1, ACK: true, PSH: true, Window: 64240}, payload)
	p.write(ts+1800, dst, src, &layers.TCP{SrcPort: layers.TCPPort(dport), DstPort: layers.TCPPort(sport), Seq: sseq + 1, Ack: cseq + 1 + uint32(len(payload)), ACK: true, Window: 65535}, nil)
}

// dns writes an A query and its answer.
func (p *pcapOut) dns(ts, rttUS int64, src netip.Addr, sport uint16, resolver netip.Addr, id uint16, name string, answers []netip.Addr, ttl int, nxdomain bool) {
	q := layers.DNSQuestion{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN}
	query := &layers.DNS{ID: id, RD: true, Questions: []layers.DNSQuestion{q}}
	p.writeDNS(ts, src, sport, resolver, 53, query)
	resp := &layers.DNS{ID: id, QR: true, RD: true, RA: true, Questions: []layers.DNSQuestion{q}}
	if nxdomain {
		resp.ResponseCode = layers.DNSResponseCodeNXDomain
	}
	for _, a := range answers {
		resp.Answers = append(resp.Answers, layers.DNSResourceRecord{Name: []byte(name), Type: layers.DNSTypeA,
			Class: layers.DNSClassIN, TTL: uint32(ttl), IP: a.AsSlice()})
	}
	p.writeDNS(ts+rttUS, resolver, 53, src, sport, resp)
}

func (p *pcapOut) writeDNS(ts int64, src netip.Addr, sport uint16, dst netip.Addr, dport uint16, msg *layers.DNS) {
	body := gopacket.NewSerializeBuffer()
	if err := msg.SerializeTo(body, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		return
	}
	p.write(ts, src, dst, &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}, body.Bytes())
}
