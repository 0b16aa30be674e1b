// Package pcap turns packet captures (pcap and pcapng) into normalised
// telemetry events: DNS queries and answers, TLS client hellos with JA3 and
// JA4, server certificates and JA3S, and HTTP/1.x requests, each carrying
// the flow's Community ID.
//
// Packets are read with gopacket's pure-Go pcapgo readers and decoded with a
// DecodingLayerParser into layers that are reused for every packet, so the
// per-packet path does not allocate. TCP payload is reassembled only as far
// as the application parsers need it: a small in-order buffer per direction
// of each flow, given up as soon as the handshake or request headers have
// been read.
package pcap

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/ip4defrag"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/tlshello"
)

// Sensor is the Event.Sensor value of every event this package produces.
const Sensor = "pcap"

// Reason says why a packet, or part of one, was not used.
type Reason uint8

// Reasons a packet or a stream is skipped; see Stats.
const (
	ReasonTruncated       Reason = iota // the capture's snap length cut the packet short
	ReasonMalformed                     // a link, IP or transport header did not decode
	ReasonUnsupportedLink               // the file's link type is not decoded
	ReasonFragment                      // an IP fragment could not be reassembled
	ReasonDNS                           // a DNS message on port 53 did not decode
	ReasonTLS                           // a TLS record or handshake message did not decode
	ReasonHTTP                          // an HTTP request did not parse
	ReasonStreamGap                     // TCP data was missing, so a stream was given up
	ReasonCertificate                   // a server certificate did not parse as X.509
	ReasonCorruptFile                   // the capture file itself is damaged; reading stopped
	numReasons
)

var reasonNames = [numReasons]string{
	"truncated by snap length", "malformed header", "unsupported link type", "unreassembled fragment",
	"malformed DNS", "malformed TLS", "malformed HTTP", "TCP stream gap", "bad certificate", "corrupt file",
}

// String names the reason for reports.
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "unknown"
}

// Problem is one skipped packet or stream, with where it was in the file.
type Problem struct {
	Packet uint64 // 1-based packet number in the file
	Offset int64  // byte offset of the packet record, -1 when unknown (pcapng)
	Reason Reason
	Detail string
}

// String formats the problem as "packet N (offset X): reason: detail".
func (p Problem) String() string {
	where := fmt.Sprintf("packet %d", p.Packet)
	if p.Offset >= 0 {
		where += fmt.Sprintf(" (offset %d)", p.Offset)
	}
	return fmt.Sprintf("%s: %s: %s", where, p.Reason, p.Detail)
}

// maxProblems bounds the detailed problem list; counts stay exact.
const maxProblems = 100

// Stats counts what a Reader read and what it had to skip.
type Stats struct {
	File     string
	Packets  uint64
	Bytes    uint64 // captured bytes of all packets
	Events   uint64
	Flows    uint64 // TCP flows tracked
	Skipped  [numReasons]uint64
	Problems []Problem // the first problems, each with its packet number
}

// SkippedTotal is the number of skips of every reason.
func (s *Stats) SkippedTotal() uint64 {
	var n uint64
	for _, c := range s.Skipped {
		n += c
	}
	return n
}

// String summarises the stats for a log line or a CLI report: counts, the
// skips by reason, and the first problems with their packet numbers.
func (s *Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d packets, %d events, %d TCP flows", s.File, s.Packets, s.Events, s.Flows)
	if n := s.SkippedTotal(); n > 0 {
		fmt.Fprintf(&b, ", %d skipped:", n)
		for r, c := range s.Skipped {
			if c > 0 {
				fmt.Fprintf(&b, " %s=%d", Reason(r), c)
			}
		}
		for i, p := range s.Problems {
			if i == 5 {
				fmt.Fprintf(&b, "\n  ... %d more", len(s.Problems)-i)
				break
			}
			fmt.Fprintf(&b, "\n  %s: %s", s.File, p)
		}
	}
	return b.String()
}

// packetSource is what pcapgo's classic and ng readers have in common.
type packetSource interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// Reader reads events from one capture file. It is not safe for concurrent
// use; run one Reader per file.
type Reader struct {
	name    string
	src     packetSource
	classic bool  // offsets are exact only for classic pcap
	offset  int64 // byte offset of the next classic pcap record
	done    bool
	link    int   // link type rd.first is for
	errOut  error // a corrupt-file error not yet returned

	// Decoding state reused for every packet.
	first        gopacket.LayerType
	parsers      map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded      []gopacket.LayerType
	eth          layers.Ethernet
	dot1q        layers.Dot1Q
	sll          layers.LinuxSLL
	sll2         layers.LinuxSLL2
	loop         layers.Loopback
	ip4          layers.IPv4
	ip6          layers.IPv6
	ip6ext       layers.IPv6ExtensionSkipper
	ip6frag      layers.IPv6Fragment
	tcp          layers.TCP
	udp          layers.UDP
	dns          layers.DNS
	defrag4      *ip4defrag.IPv4Defragmenter
	defrag6      frag6Table
	hello        tlshello.ClientHello
	fingerprints *tlshello.FingerprintCache // JA3/JA4 of recent hellos
	server       tlshello.ServerHello
	certs        [][]byte
	infos        []*certInfo
	quic         map[flowKey]*quicConn // QUIC connections whose ClientHello is incomplete
	quicBuf      []byte                // decrypted Initial payload
	// certCache maps a certificate's SHA-256 to its parsed description.
	certCache map[[32]byte]*certInfo

	// The packet being handled.
	pkt uint64
	ts  time.Time
	at  int64 // offset of the current packet record

	seed uint16 // Community ID seed
	// connEvents makes every TCP flow end with a KindConn event.
	connEvents bool
	cids       cidCache
	flows      flowTable
	buffered   int // bytes held by all TCP streams, see maxBufferedBytes
	queue      []event.Event
	qhead      int
	lastEvic   time.Time
	stats      Stats
}

// NewReader reads the file header from r (pcap, pcapng, or either
// gzip-compressed) and returns a Reader; name is used in error messages and
// stats. The caller keeps ownership of r.
func NewReader(r io.Reader, name string) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("%s: not a capture file: %w", name, err)
	}
	if magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		br = bufio.NewReaderSize(zr, 64<<10)
		if magic, err = br.Peek(4); err != nil {
			return nil, fmt.Errorf("%s: not a capture file: %w", name, err)
		}
	}
	rd := &Reader{name: name, offset: 24, defrag4: ip4defrag.NewIPv4Defragmenter(), fingerprints: tlshello.NewFingerprintCache()}
	rd.stats.File = name
	rd.flows.init()
	rd.decoded = make([]gopacket.LayerType, 0, 12)
	rd.parsers = make(map[gopacket.LayerType]*gopacket.DecodingLayerParser)
	if binary.BigEndian.Uint32(magic) == 0x0a0d0d0a {
		// Mixed link types: pcapgo otherwise drops, silently, the packets of
		// every interface whose link type differs from the first one's.
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
		if err != nil {
			return nil, fmt.Errorf("%s: pcapng header: %w", name, err)
		}
		rd.src, rd.link = ng, -1 // the link type comes with each packet
		return rd, nil
	}
	pr, err := pcapgo.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%s: pcap header: %w", name, err)
	}
	rd.src, rd.classic = pr, true
	lt := pr.LinkType()
	var ok bool
	if rd.first, ok = firstLayer(lt); !ok {
		return nil, fmt.Errorf("%s: link type %d (%v) is not supported", name, int(lt), lt)
	}
	rd.link = int(lt)
	return rd, nil
}

// SetCommunityIDSeed sets the seed of the Community ID on every event
// (default 0); it must match the seed the peer sensors use, as Suricata's
// community-id-seed.
func (rd *Reader) SetCommunityIDSeed(seed uint16) { rd.seed = seed }

// SetConnEvents makes the Reader emit one KindConn event per TCP flow when
// it ends (FIN from both sides, RST, idle timeout or end of file), with the
// client as source and the payload bytes of each side. Off by default:
// most consumers want only the application events.
func (rd *Reader) SetConnEvents(on bool) { rd.connEvents = on }

// firstLayer maps a capture link type to the layer decoding starts with;
// LayerTypeZero means raw IP, whose version is read from each packet.
func firstLayer(lt layers.LinkType) (gopacket.LayerType, bool) {
	switch lt {
	case layers.LinkTypeEthernet:
		return layers.LayerTypeEthernet, true
	case layers.LinkTypeLinuxSLL:
		return layers.LayerTypeLinuxSLL, true
	case layers.LinkTypeLinuxSLL2:
		return layers.LayerTypeLinuxSLL2, true
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return layers.LayerTypeLoopback, true
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, 14:
		// 12 and 14 are the raw-IP link types of some BSD writers.
		return gopacket.LayerTypeZero, true
	}
	return gopacket.LayerTypeZero, false
}

// parser returns the parser that starts decoding at layer first. All
// parsers share the same layer values, so whichever decoded a packet, the
// fields are in rd.ip4, rd.tcp and so on.
func (rd *Reader) parser(first gopacket.LayerType) *gopacket.DecodingLayerParser {
	if p, ok := rd.parsers[first]; ok {
		return p
	}
	p := gopacket.NewDecodingLayerParser(first)
	// A slice indexed by layer type finds the next decoder faster than the
	// default map; the benchmark showed the map lookups.
	p.SetDecodingLayerContainer(gopacket.DecodingLayerSparse(nil))
	for _, l := range []gopacket.DecodingLayer{&rd.eth, &rd.dot1q, &rd.sll, &rd.sll2, &rd.loop,
		&rd.ip4, &rd.ip6, &rd.ip6ext, &rd.tcp, &rd.udp,
		// The fragment header must be decoded (to reassemble), not
		// skipped: it comes after the skipper, which claims every IPv6
		// extension type.
		&rd.ip6frag} {
		p.AddDecodingLayer(l)
	}
	p.IgnoreUnsupported = true
	rd.parsers[first] = p
	return p
}

// Next fills e with the next event and returns nil, or returns io.EOF when
// the file is exhausted. A damaged file ends with one error naming the file,
// packet number and offset; Next returns io.EOF after it. Skipped packets do
// not stop reading: they are counted in Stats.
func (rd *Reader) Next(e *event.Event) error {
	for {
		if rd.qhead < len(rd.queue) {
			copyEvent(e, &rd.queue[rd.qhead])
			rd.qhead++
			rd.stats.Events++
			return nil
		}
		rd.queue, rd.qhead = rd.queue[:0], 0
		if rd.errOut != nil {
			err := rd.errOut
			rd.errOut = nil
			return err
		}
		if rd.done {
			return io.EOF
		}
		rd.readPacket()
	}
}

// Stats returns the counts so far; call it after Next returned io.EOF for
// the totals.
func (rd *Reader) Stats() Stats {
	s := rd.stats
	s.Problems = append([]Problem(nil), rd.stats.Problems...)
	s.Flows = rd.flows.created
	return s
}

// readPacket reads and handles one packet, or finishes the file.
func (rd *Reader) readPacket() {
	data, ci, err := rd.src.ZeroCopyReadPacketData()
	if err != nil {
		rd.finish(err)
		return
	}
	rd.pkt++
	rd.at = -1
	if rd.classic {
		rd.at = rd.offset
		rd.offset += 16 + int64(len(data))
	}
	rd.stats.Packets++
	rd.stats.Bytes += uint64(len(data))
	rd.ts = ci.Timestamp
	if len(data) < ci.Length {
		// Cut by the snap length: headers may still be whole, so decode on
		// and let the layers say what is missing.
		rd.skip(ReasonTruncated, "captured %d of %d bytes", len(data), ci.Length)
	}
	if !rd.classic {
		// pcapng: each interface has its own link type.
		lt := layers.LinkType(0xffff) // unknown when pcapgo did not say
		if len(ci.AncillaryData) > 0 {
			lt, _ = ci.AncillaryData[0].(layers.LinkType)
		}
		if int(lt) != rd.link {
			first, ok := firstLayer(lt)
			if !ok {
				rd.skip(ReasonUnsupportedLink, "interface %d: link type %d (%v)", ci.InterfaceIndex, int(lt), lt)
				return
			}
			rd.first, rd.link = first, int(lt)
		}
	}
	rd.handleFrame(data)
	if rd.ts.Sub(rd.lastEvic) > evictEvery {
		rd.lastEvic = rd.ts
		rd.evict(rd.ts.Add(-flowIdle))
	}
}

// finish ends the file: flushes flows and reports a damaged file.
func (rd *Reader) finish(err error) {
	rd.done = true
	rd.evict(time.Time{}) // flush every flow: pending TLS events go out
	if errors.Is(err, io.EOF) {
		return
	}
	p := Problem{Packet: rd.pkt + 1, Offset: -1, Reason: ReasonCorruptFile}
	if rd.classic {
		p.Offset = rd.offset
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		// A capture cut off mid-record (a copy of a live file) is common:
		// count it, but it is not worth an error.
		p.Detail = "file ends inside a packet record"
		rd.problem(p)
		return
	}
	p.Detail = err.Error()
	rd.problem(p)
	rd.errOut = fmt.Errorf("%s: %s", rd.name, p)
}

// skip counts a skipped packet or stream at the current packet.
func (rd *Reader) skip(r Reason, format string, args ...any) {
	p := Problem{Packet: rd.pkt, Offset: rd.at, Reason: r}
	if len(rd.stats.Problems) < maxProblems {
		p.Detail = fmt.Sprintf(format, args...)
	}
	rd.problem(p)
}

func (rd *Reader) problem(p Problem) {
	rd.stats.Skipped[p.Reason]++
	if len(rd.stats.Problems) < maxProblems {
		rd.stats.Problems = append(rd.stats.Problems, p)
	}
}

// handleFrame decodes one link-layer frame.
func (rd *Reader) handleFrame(data []byte) {
	first := rd.first
	if first == gopacket.LayerTypeZero {
		if len(data) == 0 {
			rd.skip(ReasonMalformed, "empty raw IP packet")
			return
		}
		switch data[0] >> 4 {
		case 4:
			first = layers.LayerTypeIPv4
		case 6:
			first = layers.LayerTypeIPv6
		default:
			rd.skip(ReasonMalformed, "raw IP version %d", data[0]>>4)
			return
		}
	}
	rd.decodeFrom(first, data, 0)
}

// decodeFrom runs the parser from layer first and handles the transport
// layer it reaches. depth bounds tunnels (Teredo inside Teredo).
func (rd *Reader) decodeFrom(first gopacket.LayerType, data []byte, depth int) {
	p := rd.parser(first)
	err := p.DecodeLayers(data, &rd.decoded)
	if err != nil {
		if !p.Truncated {
			rd.skip(ReasonMalformed, "%v", err)
		}
		// A truncated packet was counted when it was read; keep what decoded.
		if len(rd.decoded) == 0 {
			return
		}
	}
	var netSrc, netDst netip.Addr
	for _, typ := range rd.decoded {
		switch typ {
		case layers.LayerTypeIPv4:
			netSrc, _ = netip.AddrFromSlice(rd.ip4.SrcIP)
			netDst, _ = netip.AddrFromSlice(rd.ip4.DstIP)
			if rd.ip4.Flags&layers.IPv4MoreFragments != 0 || rd.ip4.FragOffset != 0 {
				rd.fragment4(depth)
				return
			}
		case layers.LayerTypeIPv6:
			netSrc, _ = netip.AddrFromSlice(rd.ip6.SrcIP)
			netDst, _ = netip.AddrFromSlice(rd.ip6.DstIP)
		case layers.LayerTypeIPv6Fragment:
			if rd.ip6frag.FragmentOffset != 0 || rd.ip6frag.MoreFragments {
				rd.fragment6(netSrc, netDst, depth)
				return
			}
		case layers.LayerTypeUDP:
			rd.handleUDP(netSrc, netDst, depth)
			return
		case layers.LayerTypeTCP:
			rd.handleTCP(netSrc, netDst)
			return
		}
	}
}

// fragment4 feeds an IPv4 fragment to the defragmenter, which keeps a
// pointer to it: hand it a copy, since the packet buffer is reused.
func (rd *Reader) fragment4(depth int) {
	in := rd.ip4
	in.Payload = append([]byte(nil), rd.ip4.Payload...)
	in.SrcIP = append([]byte(nil), rd.ip4.SrcIP...)
	in.DstIP = append([]byte(nil), rd.ip4.DstIP...)
	in.Contents = nil
	out, err := rd.defrag4.DefragIPv4WithTimestamp(&in, rd.ts)
	if err != nil {
		rd.skip(ReasonFragment, "IPv4 id %d: %v", in.Id, err)
		return
	}
	if out == nil {
		return // waiting for more fragments
	}
	src, _ := netip.AddrFromSlice(out.SrcIP)
	dst, _ := netip.AddrFromSlice(out.DstIP)
	rd.transport(out.Protocol, src, dst, out.Payload, depth)
}

func (rd *Reader) fragment6(src, dst netip.Addr, depth int) {
	f := &rd.ip6frag
	whole, err := rd.defrag6.add(src, dst, f.Identification, int(f.FragmentOffset)*8, f.MoreFragments, f.Payload, rd.ts)
	if err != nil {
		rd.skip(ReasonFragment, "IPv6 id %d: %v", f.Identification, err)
		return
	}
	if whole != nil {
		rd.transport(f.NextHeader, src, dst, whole, depth)
	}
}

// transport decodes a reassembled datagram's transport header.
func (rd *Reader) transport(proto layers.IPProtocol, src, dst netip.Addr, payload []byte, depth int) {
	switch proto {
	case layers.IPProtocolUDP:
		if err := rd.udp.DecodeFromBytes(payload, gopacket.NilDecodeFeedback); err != nil {
			rd.skip(ReasonMalformed, "reassembled UDP: %v", err)
			return
		}
		rd.handleUDP(src, dst, depth)
	case layers.IPProtocolTCP:
		if err := rd.tcp.DecodeFromBytes(payload, gopacket.NilDecodeFeedback); err != nil {
			rd.skip(ReasonMalformed, "reassembled TCP: %v", err)
			return
		}
		rd.handleTCP(src, dst)
	}
}

// teredoPort is the UDP port of Teredo (RFC 4380), IPv6 tunnelled in UDP.
const teredoPort = 3544

func (rd *Reader) handleUDP(src, dst netip.Addr, depth int) {
	sp, dp := uint16(rd.udp.SrcPort), uint16(rd.udp.DstPort)
	payload := rd.udp.Payload
	switch {
	case sp == 53 || dp == 53 || sp == 5353 || dp == 5353:
		rd.handleDNS(payload, src, dst, sp, dp, 17)
	case (sp == teredoPort || dp == teredoPort) && depth < 2:
		rd.handleTeredo(payload, depth)
	case isQUICInitial(payload):
		rd.handleQUIC(payload, src, dst, sp, dp)
	}
}

// handleTeredo unwraps IPv6 from a Teredo packet, skipping the optional
// authentication and origin-indication headers in front of it.
func (rd *Reader) handleTeredo(b []byte, depth int) {
	for len(b) >= 2 && b[0] == 0 {
		switch b[1] {
		case 1: // authentication: id len, auth len, then id, auth, nonce 8, confirmation 1
			if len(b) < 4 {
				return
			}
			n := 4 + int(b[2]) + int(b[3]) + 9
			if len(b) < n {
				return
			}
			b = b[n:]
		case 0: // origin indication: 8 bytes
			if len(b) < 8 {
				return
			}
			b = b[8:]
		default:
			return
		}
	}
	if len(b) < 40 || b[0]>>4 != 6 {
		return // not IPv6: nothing to unwrap
	}
	if b[4] == 0 && b[5] == 0 && b[6] == 59 {
		return // a Teredo bubble: an empty IPv6 packet that keeps NAT state
	}
	// The shared layers hold the outer packet; it is not needed again.
	rd.decodeFrom(layers.LayerTypeIPv6, b, depth+1)
}

// copyEvent copies src into dst, reusing dst's slices so the caller's
// event never shares memory with the reader's queue.
func copyEvent(dst, src *event.Event) {
	answers, alpn, names, emails, cookies := dst.Answers[:0], dst.ALPN[:0], dst.CertNames[:0], dst.Emails[:0], dst.Cookies[:0]
	*dst = *src
	dst.Answers = append(answers, src.Answers...)
	dst.ALPN = append(alpn, src.ALPN...)
	dst.CertNames = append(names, src.CertNames...)
	dst.Emails = append(emails, src.Emails...)
	dst.Cookies = append(cookies, src.Cookies...)
}

// emit appends a fresh event to the queue and returns it for filling; its
// slices keep the capacity of the event that last used the slot.
func (rd *Reader) emit(kind event.Kind) *event.Event {
	if len(rd.queue) < cap(rd.queue) {
		rd.queue = rd.queue[:len(rd.queue)+1]
	} else {
		rd.queue = append(rd.queue, event.Event{})
	}
	e := &rd.queue[len(rd.queue)-1]
	e.Reset()
	e.Kind = kind
	e.Sensor = Sensor
	e.Time = rd.ts
	return e
}
