package pcap

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/umbra-cti/umbra/telemetry/communityid"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// Limits of the TCP reassembly. A stream is only buffered until its
// application parser has what it wants (a ClientHello, a certificate chain,
// request headers), so these bound memory, not what is seen.
const (
	maxStreamBytes  = 64 << 10 // unparsed bytes held per direction
	maxPendingSegs  = 32       // out-of-order segments held per direction
	maxWindowBytes  = 1 << 20  // out-of-order data further ahead than this is a gap
	maxFlows        = 1 << 18  // tracked TCP flows; the oldest are flushed beyond it
	flowIdle        = 5 * time.Minute
	evictEvery      = 30 * time.Second
	maxHandshakeLen = 1 << 16 // largest handshake message buffered (certificate chains)
	// maxBufferedBytes bounds the reassembly memory of all flows together,
	// so that a hostile capture full of half-open streams cannot exhaust
	// memory; streams that would go beyond it are given up and counted.
	maxBufferedBytes = 256 << 20
)

// flowKey identifies a TCP connection regardless of direction: the lower
// endpoint is always a.
type flowKey struct {
	a, b   [16]byte
	pa, pb uint16
}

func makeKey(src, dst netip.Addr, sp, dp uint16) (k flowKey, fromA bool) {
	s, d := src.As16(), dst.As16()
	if less(s, sp, d, dp) {
		return flowKey{a: s, b: d, pa: sp, pb: dp}, true
	}
	return flowKey{a: d, b: s, pa: dp, pb: sp}, false
}

// less orders endpoints by address bytes, then port. Big-endian words
// compare as the bytes do, eight at a time.
func less(a [16]byte, pa uint16, b [16]byte, pb uint16) bool {
	if x, y := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8]); x != y {
		return x < y
	}
	if x, y := binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:]); x != y {
		return x < y
	}
	return pa < pb
}

// parser states of one direction of a stream.
type streamState uint8

const (
	stDetect   streamState = iota // look at the first bytes to pick a parser
	stTLS                         // TLS records
	stHTTPReq                     // HTTP request headers
	stHTTPResp                    // HTTP response headers (to see past a CONNECT)
	stDNS                         // DNS over TCP, length-prefixed
	stDone                        // nothing more wanted from this direction
)

// segment is out-of-order data held until the gap before it fills.
type segment struct {
	seq  uint32
	data []byte
}

// stream is one direction of a TCP connection.
type stream struct {
	started bool
	fin     bool
	nextSeq uint32
	state   streamState
	skip    int    // bytes still to discard (an HTTP body)
	buf     []byte // in-order bytes not yet consumed by the parser
	hs      []byte // TLS handshake bytes gathered across records
	pending []segment
	addr    netip.Addr
	port    uint16
	bytes   uint64
	held    int // bytes in buf, hs and pending, as counted in Reader.buffered
}

// heldBytes is what the stream holds in memory now.
func (s *stream) heldBytes() int {
	n := len(s.buf) + len(s.hs)
	for _, p := range s.pending {
		n += len(p.data)
	}
	return n
}

// flow is one TCP connection.
type flow struct {
	key      flowKey
	dir      [2]stream // 0: from endpoint a, 1: from endpoint b
	client   int8      // index of the client direction, -1 unknown
	start    time.Time // first packet
	lastSeen time.Time
	cid      string
	tls      tlsState
}

// tlsState gathers one connection's TLS event: the ClientHello fields and
// then the server's, emitted when the server side is done or the flow ends.
type tlsState struct {
	active  bool
	emitted bool
	ev      event.Event
}

type flowTable struct {
	m       map[flowKey]*flow
	free    []*flow
	created uint64
}

func (t *flowTable) init() { t.m = make(map[flowKey]*flow, 1024) }

// create makes the flow of key, reusing a released one, and adds it to
// the table.
func (t *flowTable) create(k flowKey) *flow {
	var f *flow
	if n := len(t.free); n > 0 {
		f = t.free[n-1]
		t.free = t.free[:n-1]
		ev := f.tls.ev
		ev.Reset()
		d0, d1 := f.dir[0], f.dir[1]
		*f = flow{}
		f.tls.ev = ev
		f.dir[0] = stream{buf: d0.buf[:0], hs: d0.hs[:0], pending: d0.pending[:0]}
		f.dir[1] = stream{buf: d1.buf[:0], hs: d1.hs[:0], pending: d1.pending[:0]}
	} else {
		f = &flow{}
	}
	f.key, f.client = k, -1
	t.m[k] = f
	t.created++
	return f
}

func (t *flowTable) release(f *flow) {
	delete(t.m, f.key)
	// Keep buffers of sensible size for reuse; drop big ones.
	for i := range f.dir {
		if cap(f.dir[i].buf) > 16<<10 {
			f.dir[i].buf = nil
		}
		if cap(f.dir[i].hs) > 16<<10 {
			f.dir[i].hs = nil
		}
		for j := range f.dir[i].pending {
			f.dir[i].pending[j].data = nil
		}
	}
	if len(t.free) < 1024 {
		t.free = append(t.free, f)
	}
}

// evict flushes flows idle since before cutoff, or every flow when cutoff
// is zero, and trims the table when it is over maxFlows.
func (rd *Reader) evict(cutoff time.Time) {
	for _, f := range rd.flows.m {
		if cutoff.IsZero() || f.lastSeen.Before(cutoff) || len(rd.flows.m) > maxFlows {
			rd.closeFlow(f)
		}
	}
	rd.defrag4.DiscardOlderThan(cutoff)
	rd.defrag6.discardOlderThan(cutoff)
}

// closeFlow emits what the flow still holds and forgets it.
func (rd *Reader) closeFlow(f *flow) {
	rd.flushTLS(f)
	if rd.connEvents {
		e := rd.emit(event.KindConn)
		f.setFlow(e, rd.seed)
		e.Time = f.start
	}
	rd.buffered -= f.dir[0].held + f.dir[1].held
	rd.flows.release(f)
}

// communityID is computed once per flow, in the client-to-server order.
func (f *flow) communityID(seed uint16) string {
	if f.cid == "" {
		c, s := f.endpoints()
		f.cid = communityid.V1(seed, c.addr, s.addr, c.port, s.port, 6)
	}
	return f.cid
}

// endpoints returns the client and server directions (a guess from the
// ports when the handshake was not seen).
func (f *flow) endpoints() (client, server *stream) {
	c := f.client
	if c < 0 {
		c = 0
		if f.dir[0].port < f.dir[1].port {
			c = 1 // the lower port is more likely the server
		}
	}
	return &f.dir[c], &f.dir[1-c]
}

// setFlow fills the 5-tuple of e with the flow's client as source.
func (f *flow) setFlow(e *event.Event, seed uint16) {
	c, s := f.endpoints()
	e.Proto = 6
	e.SrcIP, e.DstIP, e.SrcPort, e.DstPort = c.addr, s.addr, c.port, s.port
	e.CommunityID = f.communityID(seed)
	e.OrigBytes, e.RespBytes = c.bytes, s.bytes
}

func (rd *Reader) handleTCP(src, dst netip.Addr) {
	t := &rd.tcp
	sp, dp := uint16(t.SrcPort), uint16(t.DstPort)
	key, fromA := makeKey(src, dst, sp, dp)
	payload := t.Payload
	f, ok := rd.flows.m[key]
	if !ok {
		if len(payload) == 0 && !t.SYN {
			// A bare ACK, FIN or RST of a flow already closed (or never
			// seen): nothing to track.
			return
		}
		// Make room before the new flow is in the table: evict closes
		// idle flows, and the new one, not yet seen, would look idle.
		if len(rd.flows.m) >= maxFlows {
			rd.evict(rd.ts.Add(-flowIdle))
		}
		f = rd.flows.create(key)
		f.start = rd.ts
	}
	f.lastSeen = rd.ts
	d := int8(1)
	if fromA {
		d = 0
	}
	s := &f.dir[d]
	if !ok || !s.addr.IsValid() { // a new flow, or a direction not seen yet
		s.addr, s.port = src, sp
		o := &f.dir[1-d]
		o.addr, o.port = dst, dp
	}
	s.bytes += uint64(len(payload))
	if t.SYN {
		if !t.ACK {
			f.client = d
		} else if f.client < 0 {
			f.client = 1 - d
		}
		s.started, s.nextSeq = true, t.Seq+1
	}
	if len(payload) > 0 && s.state != stDone {
		if rd.buffered > maxBufferedBytes {
			rd.skip(ReasonStreamGap, "TCP %s:%d: reassembly memory budget of %d bytes spent", s.addr, s.port, maxBufferedBytes)
			s.state = stDone
			s.buf, s.hs, s.pending = s.buf[:0], s.hs[:0], s.pending[:0]
			rd.streamDone(f, d)
		} else {
			rd.streamData(f, d, t.Seq, payload)
		}
		held := s.heldBytes()
		rd.buffered += held - s.held
		s.held = held
	}
	if t.FIN || t.RST {
		s.fin = true
		if t.RST || f.dir[1-d].fin {
			rd.closeFlow(f)
		}
	}
}

// streamData puts a segment in order and runs the direction's parser.
func (rd *Reader) streamData(f *flow, d int8, seq uint32, data []byte) {
	s := &f.dir[d]
	if !s.started {
		s.started, s.nextSeq = true, seq // picked up mid-stream
	}
	rel := int32(seq - s.nextSeq)
	switch {
	case rel < 0: // retransmission, maybe with new bytes at the end
		if int(-rel) >= len(data) {
			return
		}
		data = data[-rel:]
	case rel > 0:
		if rel > maxWindowBytes || len(s.pending) >= maxPendingSegs {
			rd.skip(ReasonStreamGap, "TCP %s:%d: %d bytes missing before seq %d", s.addr, s.port, rel, seq)
			s.state = stDone
			s.buf, s.hs, s.pending = s.buf[:0], s.hs[:0], s.pending[:0]
			rd.streamDone(f, d)
			return
		}
		s.pending = append(s.pending, segment{seq: seq, data: append([]byte(nil), data...)})
		return
	}
	rd.appendStream(s, data)
	// Drain held segments that now connect.
	for progress := true; progress && len(s.pending) > 0; {
		progress = false
		for i := 0; i < len(s.pending); i++ {
			p := s.pending[i]
			r := int32(p.seq - s.nextSeq)
			if r > 0 {
				continue
			}
			if int(-r) < len(p.data) {
				rd.appendStream(s, p.data[-r:])
			}
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			i--
			progress = true
		}
	}
	rd.parseStream(f, d)
}

func (rd *Reader) appendStream(s *stream, data []byte) {
	s.nextSeq += uint32(len(data))
	if s.skip > 0 {
		n := min(s.skip, len(data))
		s.skip -= n
		data = data[n:]
	}
	if s.state == stDone || len(data) == 0 {
		return
	}
	s.buf = append(s.buf, data...)
}

// parseStream runs the parser of direction d on its buffered bytes and
// drops what the parser consumed.
func (rd *Reader) parseStream(f *flow, d int8) {
	s := &f.dir[d]
	for s.state != stDone && len(s.buf) > 0 && s.skip == 0 {
		n, more := rd.parseOnce(f, d)
		if n > 0 {
			s.buf = s.buf[:copy(s.buf, s.buf[n:])]
			continue
		}
		if !more {
			break
		}
	}
	if s.skip > 0 && len(s.buf) > 0 { // a body already buffered
		n := min(s.skip, len(s.buf))
		s.skip -= n
		s.buf = s.buf[:copy(s.buf, s.buf[n:])]
		if len(s.buf) > 0 && s.state != stDone {
			rd.parseStream(f, d)
			return
		}
	}
	if s.state != stDone && len(s.buf) > maxStreamBytes {
		s.state = stDone // no parser can make sense of this much
	}
	if s.state == stDone {
		s.buf = s.buf[:0]
		s.hs = s.hs[:0]
		s.pending = s.pending[:0]
		rd.streamDone(f, d)
	}
}

// parseOnce runs one step of the parser: it returns the bytes consumed, and
// more=true when the state changed without consuming (try again).
func (rd *Reader) parseOnce(f *flow, d int8) (n int, more bool) {
	s := &f.dir[d]
	switch s.state {
	case stDetect:
		s.state = detect(s.buf, s.port, f.dir[1-d].port)
		return 0, s.state != stDetect
	case stTLS:
		return rd.parseTLS(f, d)
	case stHTTPReq:
		return rd.parseHTTPRequest(f, d)
	case stHTTPResp:
		return parseHTTPResponse(s)
	case stDNS:
		return rd.parseDNSTCP(f, d)
	}
	return 0, false
}

// streamDone is called when direction d stops being parsed: a server
// direction that is done ends the TLS handshake we can see.
func (rd *Reader) streamDone(f *flow, d int8) {
	if f.tls.active && f.client >= 0 && d != f.client {
		rd.flushTLS(f)
	}
}

var httpMethods = [...]string{"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "PATCH ", "TRACE ", "PROPFIND "}

// detect picks the parser for a stream from its first bytes.
func detect(b []byte, port, peerPort uint16) streamState {
	if len(b) == 0 {
		return stDetect
	}
	// Port 53 first: a DNS length prefix can look like a TLS record header.
	if port == 53 || peerPort == 53 {
		return stDNS
	}
	if b[0] == 0x16 {
		if len(b) < 2 {
			return stDetect
		}
		if b[1] == 3 {
			return stTLS
		}
	}
	waiting := false
	for _, m := range httpMethods {
		if hasPrefix(b, m) {
			return stHTTPReq
		}
		if len(b) < len(m) && hasPrefix([]byte(m), string(b)) {
			waiting = true
		}
	}
	if hasPrefix(b, "HTTP/1.") {
		return stHTTPResp
	}
	if waiting || (len(b) < 7 && hasPrefix([]byte("HTTP/1."), string(b))) {
		return stDetect
	}
	return stDone
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

// handleDNS decodes a DNS message carried by UDP or TCP.
func (rd *Reader) handleDNS(payload []byte, src, dst netip.Addr, sp, dp uint16, proto uint8) {
	if len(payload) == 0 {
		return
	}
	if err := rd.dns.DecodeFromBytes(payload, rd); err != nil {
		rd.skip(ReasonDNS, "DNS %s:%d -> %s:%d: %v", src, sp, dst, dp, err)
		return
	}
	m := &rd.dns
	if len(m.Questions) == 0 && len(m.Answers) == 0 {
		return
	}
	e := rd.emit(event.KindDNS)
	e.Proto = proto
	// The client is the source, as in Zeek: a response names who asked.
	if m.QR {
		src, dst, sp, dp = dst, src, dp, sp
	}
	e.SrcIP, e.DstIP, e.SrcPort, e.DstPort = src, dst, sp, dp
	e.CommunityID = rd.cids.get(rd.seed, src, dst, sp, dp, proto)
	if len(m.Questions) > 0 {
		e.Domain = string(m.Questions[0].Name)
	} else {
		e.Domain = string(m.Answers[0].Name)
	}
	for i := range m.Answers {
		a := &m.Answers[i]
		switch a.Type {
		case layers.DNSTypeA, layers.DNSTypeAAAA:
			if ip, ok := netip.AddrFromSlice(a.IP); ok {
				e.Answers = append(e.Answers, ip.Unmap())
			}
		}
	}
}

// SetTruncated lets the Reader serve as the DNS layer's DecodeFeedback.
func (rd *Reader) SetTruncated() {}

// parseDNSTCP reads one length-prefixed DNS message from a TCP stream.
func (rd *Reader) parseDNSTCP(f *flow, d int8) (int, bool) {
	s := &f.dir[d]
	if len(s.buf) < 2 {
		return 0, false
	}
	n := int(s.buf[0])<<8 | int(s.buf[1])
	if len(s.buf) < 2+n {
		return 0, false
	}
	o := &f.dir[1-d]
	rd.handleDNS(s.buf[2:2+n], s.addr, o.addr, s.port, o.port, 6)
	return 2 + n, false
}

// cidCache remembers the Community IDs of recent UDP and DNS-over-TCP
// flows: a query and its response hash alike, and SHA-1 is the largest
// cost of a DNS packet. It is direct-mapped, so it never grows.
type cidCache struct {
	slots [1024]cidSlot
}

type cidSlot struct {
	key   flowKey
	proto uint8
	seed  uint16
	cid   string
}

func (c *cidCache) get(seed uint16, src, dst netip.Addr, sp, dp uint16, proto uint8) string {
	k, _ := makeKey(src, dst, sp, dp)
	h := uint32(k.pa)*31 + uint32(k.pb)*17 + uint32(k.a[15])<<3 + uint32(k.b[15])<<7 + uint32(k.a[14]) + uint32(k.b[14])<<11
	s := &c.slots[h%uint32(len(c.slots))]
	if s.cid != "" && s.key == k && s.proto == proto && s.seed == seed {
		return s.cid
	}
	*s = cidSlot{key: k, proto: proto, seed: seed, cid: communityid.V1(seed, src, dst, sp, dp, proto)}
	return s.cid
}
