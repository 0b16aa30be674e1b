package zeek

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
	"unsafe"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// set stores one (unescaped) value of a mapped field in e. Multi-valued
// fields call it once per element.
func (r *Reader) set(e *event.Event, f field, val []byte) error {
	switch f {
	case fTS:
		t, err := parseTime(val)
		if err != nil {
			return err
		}
		e.Time = t
	case fUID:
		r.unique(&e.UID, val)
		r.pendingUID = true
	case fFUID, fConnUID:
		// A log's own uid column wins; otherwise the first file or
		// connection id stands in for it.
		if !r.pendingUID {
			r.unique(&e.UID, val)
			r.pendingUID = true
		}
	case fOrigH, fTxHost:
		if f == fTxHost && e.SrcIP.IsValid() {
			return nil
		}
		a, err := r.addr(val)
		if err != nil {
			return err
		}
		e.SrcIP = a
	case fRespH, fRxHost:
		if f == fRxHost && e.DstIP.IsValid() {
			return nil
		}
		a, err := r.addr(val)
		if err != nil {
			return err
		}
		e.DstIP = a
	case fOrigP, fRespP:
		p, err := parsePort(val)
		if err != nil {
			return err
		}
		if f == fOrigP {
			e.SrcPort = p
		} else {
			e.DstPort = p
		}
	case fProto:
		e.Proto = protoNumber(val, e.Proto)
	case fCommunityID:
		r.unique(&e.CommunityID, val)
	case fOrigBytes, fRespBytes:
		n, err := parseCount(val)
		if err != nil {
			return err
		}
		if f == fOrigBytes {
			e.OrigBytes = n
		} else {
			e.RespBytes = n
		}
	case fQuery:
		// Query names are mostly unique (random subdomains, PTR names):
		// one the cache lacks joins the record's own string instead of
		// taking an allocation of its own, and then fills the cache slot
		// (finish). A second query column keeps "the last one wins".
		r.internFill = nil
		if !r.pendingDomain && len(val) <= maxInternBytes {
			slot := r.internSlot(val)
			if *slot == string(val) {
				e.Domain = *slot
				break
			}
			r.internFill = slot
		}
		r.unique(&e.Domain, val)
		r.pendingDomain = true
	case fAnswers:
		// Answers mix addresses with CNAME targets and TXT data; only the
		// addresses are observables here.
		if a, ok := addrOf(val); ok {
			e.Answers = append(e.Answers, a)
		}
	case fSNI:
		e.SNI = r.str(val)
	case fJA3:
		e.JA3 = r.lowerHex(val)
	case fJA3S:
		e.JA3S = r.lowerHex(val)
	case fJA4:
		e.JA4 = r.str(val)
	case fALPN:
		e.ALPN = append(e.ALPN, r.str(val))
	case fCertFingerprint:
		// The leaf comes first in cert_chain_fps; Zeek hashes with SHA-256
		// by default but can be configured for SHA-1.
		switch {
		case len(val) == 64 && e.CertSHA256 == "" && e.CertSHA1 == "":
			e.CertSHA256 = r.lowerHex(val)
		case len(val) == 40 && e.CertSHA256 == "" && e.CertSHA1 == "":
			e.CertSHA1 = r.lowerHex(val)
		}
	case fCertSerial:
		e.CertSerial = r.str(val)
	case fCertSubject:
		e.CertSubject = r.str(val)
	case fCertIssuer:
		e.CertIssuer = r.str(val)
	case fCertNames:
		e.CertNames = append(e.CertNames, r.str(val))
	case fHost:
		e.Host = r.str(val)
	case fURI:
		e.URI = r.str(val)
	case fUserAgent:
		e.UserAgent = r.str(val)
	case fUser:
		e.User = r.str(val)
	case fCookieHeader:
		for len(val) > 0 {
			var pair []byte
			pair, val, _ = bytes.Cut(val, []byte{';'})
			name, _, _ := bytes.Cut(pair, []byte{'='})
			if name = bytes.TrimSpace(name); len(name) > 0 {
				e.Cookies = append(e.Cookies, r.str(name))
			}
		}
	case fCookieNames:
		e.Cookies = append(e.Cookies, r.str(val))
	case fMD5:
		e.MD5 = r.lowerHex(val)
	case fSHA1:
		e.SHA1 = r.lowerHex(val)
	case fSHA256:
		e.SHA256 = r.lowerHex(val)
	case fFileName:
		e.FileName = r.str(val)
	case fEmail:
		if a := emailAddress(val); len(a) > 0 {
			e.Emails = append(e.Emails, r.str(a))
		}
	}
	return nil
}

// protoNumber returns the IANA number of a Zeek transport name, or old
// for a name it does not know.
func protoNumber(val []byte, old uint8) uint8 {
	switch string(val) {
	case "tcp":
		return 6
	case "udp":
		return 17
	case "icmp":
		return 1
	}
	return old
}

// lowerHex returns a hash in the lowercase form the Event promises.
func (r *Reader) lowerHex(val []byte) string {
	for _, c := range val {
		if c >= 'A' && c <= 'F' {
			return r.str(bytes.ToLower(val))
		}
	}
	return r.str(val)
}

// emailAddress extracts the address from "Name <a@b>" or "<a@b>" as SMTP
// and mail headers write it.
func emailAddress(v []byte) []byte {
	if i := bytes.LastIndexByte(v, '<'); i >= 0 {
		v = v[i+1:]
		if j := bytes.IndexByte(v, '>'); j >= 0 {
			v = v[:j]
		}
	}
	return bytes.TrimSpace(v)
}

var errBadTime = errors.New("bad time")

// parseTime reads Zeek's epoch seconds with a fraction ("1517336042.090842")
// and, for JSON logs written with ISO 8601 timestamps, RFC 3339.
func parseTime(b []byte) (time.Time, error) {
	if len(b) == 17 && b[10] == '.' {
		// Zeek's own form, seconds and microseconds: eight digits at a
		// time instead of one.
		hi, ok1 := digits8(le64(b[0:]))
		lo, ok2 := digits8(le64(b[9:])&^0xffff | 0x3030) // "0.123456" as "00123456"
		if ok1 && ok2 && b[8]-'0' <= 9 && b[9]-'0' <= 9 {
			sec := int64(hi)*100 + int64(b[8]-'0')*10 + int64(b[9]-'0')
			return time.Unix(sec, int64(lo)*1000).UTC(), nil
		}
	}
	return parseTimeText(b)
}

// parseTimeText is parseTime for any length of either form, a digit at a
// time (FuzzTime checks parseTime's shortcut against it).
func parseTimeText(b []byte) (time.Time, error) {
	if len(b) > 10 && b[4] == '-' {
		t, err := time.Parse(time.RFC3339Nano, string(b))
		if err != nil {
			return time.Time{}, fmt.Errorf("%w %q", errBadTime, clip(b))
		}
		return t, nil
	}
	var sec, nsec int64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if i >= 12 {
			return time.Time{}, fmt.Errorf("%w %q", errBadTime, clip(b))
		}
		sec = sec*10 + int64(b[i]-'0')
	}
	if i == 0 {
		return time.Time{}, fmt.Errorf("%w %q", errBadTime, clip(b))
	}
	if i < len(b) {
		if b[i] != '.' {
			return time.Time{}, fmt.Errorf("%w %q", errBadTime, clip(b))
		}
		scale := int64(100_000_000)
		for i++; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return time.Time{}, fmt.Errorf("%w %q", errBadTime, clip(b))
			}
			nsec += int64(c-'0') * scale
			scale /= 10
		}
	}
	return time.Unix(sec, nsec).UTC(), nil
}

// digits8 returns the value of the eight ASCII digits in x, the first in
// its low byte, and whether all eight are digits.
func digits8(x uint64) (uint64, bool) {
	// A byte is a digit if its high nibble is 3 and adding 6 leaves it so.
	const hi = 0xf0f0f0f0f0f0f0f0
	if x&hi|(x+0x0606060606060606)&hi>>4 != 0x3333333333333333 {
		return 0, false
	}
	x &= 0x0f0f0f0f0f0f0f0f
	x = (x*10 + x>>8) & 0x00ff00ff00ff00ff      // pairs of digits
	x = (x*100 + x>>16) & 0x0000ffff0000ffff    // fours
	return (x*10000 + x>>32) & 0xffffffff, true // all eight
}

// parsePort reads a port number: parseUint's rules, its loop inlined for
// the usual 1-5 digits.
func parsePort(b []byte) (uint16, error) {
	if len(b) > 0 && len(b) <= 5 {
		var n uint
		for _, c := range b {
			d := uint(c - '0')
			if d > 9 {
				return 0, fmt.Errorf("bad port %q", clip(b))
			}
			n = n*10 + d
		}
		if n <= 65535 {
			return uint16(n), nil
		}
	}
	n, err := parseUint(b, 65535)
	if err != nil {
		return 0, fmt.Errorf("bad port %q", clip(b))
	}
	return uint16(n), nil
}

// parseCount reads a count: parseUint's rules, its loop inlined for up to
// 19 digits, which cannot overflow.
func parseCount(b []byte) (uint64, error) {
	if len(b) > 0 && len(b) < 20 {
		var n uint64
		for _, c := range b {
			d := uint64(c - '0')
			if d > 9 {
				return 0, fmt.Errorf("bad count %q", clip(b))
			}
			n = n*10 + d
		}
		return n, nil
	}
	n, err := parseUint(b, 1<<64-1)
	if err != nil {
		return 0, fmt.Errorf("bad count %q", clip(b))
	}
	return n, nil
}

// parseUint reads a decimal count no larger than max. Up to 19 digits
// cannot overflow a uint64, so only a 20-digit number pays for checks.
func parseUint(b []byte, max uint64) (uint64, error) {
	if len(b) == 0 || len(b) > 20 {
		return 0, errors.New("bad number")
	}
	var n uint64
	for i, c := range b {
		d := uint64(c - '0')
		if d > 9 {
			return 0, errors.New("bad number")
		}
		if i == 19 && n > (1<<64-1-d)/10 {
			return 0, errors.New("number out of range")
		}
		n = n*10 + d
	}
	if n > max {
		return 0, errors.New("number out of range")
	}
	return n, nil
}

// addr is parseAddr with a cache of recent addresses: a sensor's
// logs repeat the same hosts (the simulated studio's conn.log has 531
// distinct addresses in 400,000), and parsing a dotted quad took an
// eighth of decoding a conn log. Texts of up to 15 bytes (every IPv4
// address) are keyed by two words, longer ones by addr6Cached. A log of
// mostly new addresses turns the caches off for a while, so they cost it
// next to nothing.
func (r *Reader) addr(b []byte) (netip.Addr, error) {
	if r.addrSkip > 0 {
		r.addrSkip--
		return parseAddr(b)
	}
	return r.addrCached(b)
}

func (r *Reader) addrCached(b []byte) (netip.Addr, error) {
	n := len(b)
	if n > 15 && n < 40 {
		return r.addr6Cached(b)
	}
	if n < 7 || n > 15 || cap(b) < 16 {
		return parseAddr(b)
	}
	// The address's bytes as two words (bytes past its end cleared) and
	// its length in the top byte, which a 15-byte address leaves free.
	w := b[:16]
	lo, hi := binary.LittleEndian.Uint64(w), binary.LittleEndian.Uint64(w[8:])
	if n < 8 {
		lo &= 1<<(8*n) - 1
		hi = 0
	} else {
		hi &= 1<<(8*(n-8)) - 1
	}
	hi |= uint64(n) << 56
	if r.addrs == nil {
		r.addrs = new([addrSlots]addrSlot)
	}
	r.addrLookups++
	sl := &r.addrs[(lo*0x9e3779b97f4a7c15^hi)*0xbf58476d1ce4e5b9>>(64-addrSlotBits)]
	if sl.lo == lo && sl.hi == hi {
		return sl.a, nil
	}
	a, err := parseAddr(b)
	if err == nil {
		sl.lo, sl.hi, sl.a = lo, hi, a
	}
	r.addrMissed()
	return a, err
}

// addr6Cached is addrCached for the text of longer (IPv6) addresses, 16
// to 39 bytes: a fifth of the conn records of RITA's real cluster logs
// have IPv6 ends, four local and 363 remote addresses among 1,578 records,
// and even the plain-form parser costs ~500 instructions a 38-byte
// address.
func (r *Reader) addr6Cached(b []byte) (netip.Addr, error) {
	var buf [40]byte
	copy(buf[:], b)
	buf[39] = byte(len(b)) // free: the text is at most 39 bytes
	var k [5]uint64
	for i := range k {
		k[i] = binary.LittleEndian.Uint64(buf[8*i:])
	}
	if r.addrs6 == nil {
		r.addrs6 = new([addr6Slots]addr6Slot)
	}
	r.addrLookups++
	h := (k[0]*0x9e3779b97f4a7c15 ^ k[1]*0xc2b2ae3d27d4eb4f ^ k[2]*0x165667b19e3779f9 ^ k[3]*0x27d4eb2f165667c5 ^ k[4]) * 0xbf58476d1ce4e5b9
	sl := &r.addrs6[h>>(64-addr6SlotBits)]
	if sl.k == k {
		return sl.a, nil
	}
	a, err := parseAddr(b)
	if err == nil {
		sl.k, sl.a = k, a
	}
	r.addrMissed()
	return a, err
}

// addrMissed counts a miss of either address cache. Every addrWindow
// misses it looks at how many lookups they took: fewer than one hit in
// eight means caches that only cost, and they are skipped for a while.
func (r *Reader) addrMissed() {
	if r.addrMisses++; r.addrMisses == addrWindow {
		if r.addrLookups < addrWindow+addrWindow/8 {
			r.addrSkip = 16 * addrWindow
		}
		r.addrMisses, r.addrLookups = 0, 0
	}
}

const (
	addrSlotBits = 9
	addrSlots    = 1 << addrSlotBits
	addrWindow   = 1024
)

// addrSlot is one cached address and its text as Reader.addr keys it.
type addrSlot struct {
	lo, hi uint64
	a      netip.Addr
}

const (
	addr6SlotBits = 8
	addr6Slots    = 1 << addr6SlotBits
)

// addr6Slot is one cached address and its text (at most 39 bytes, zero
// padded, its length in the last byte) as addr6Cached keys it.
type addr6Slot struct {
	k [5]uint64
	a netip.Addr
}

// parseAddr parses an address field; see addrOf.
func parseAddr(b []byte) (netip.Addr, error) {
	if a, ok := addrOf(b); ok {
		return a, nil
	}
	return netip.Addr{}, fmt.Errorf("bad IP %q", clip(b))
}

// addrOf parses an IPv4 address at byte level (the common case, without
// allocating) and anything else with netip. It returns no error value
// because DNS answers try every element and most are names, not addresses.
func addrOf(b []byte) (netip.Addr, bool) {
	if a, ok := parseIPv4(b); ok {
		return a, true
	}
	if len(b) < 2 || len(b) > 64 || bytes.IndexByte(b, ':') < 0 {
		return netip.Addr{}, false
	}
	if a, ok := parseIPv6(b); ok {
		return a, true
	}
	if bytes.IndexByte(b, '%') < 0 {
		// Without a zone netip keeps nothing of the string, so parsing the
		// buffer in place is safe and saves an allocation per IPv6 field;
		// the error, which would keep it, is dropped.
		a, err := netip.ParseAddr(unsafe.String(unsafe.SliceData(b), len(b)))
		return a, err == nil
	}
	a, err := netip.ParseAddr(string(b))
	return a, err == nil
}

// parseIPv4 parses a dotted quad as netip does: four parts of 1-3
// digits, each at most 255, without leading zeros. ipv4Bits is assembly
// on amd64 (ipv4BitsGo elsewhere): the Go loop below took ~220
// instructions an address, a third of a conn record's decoding.
func parseIPv4(b []byte) (netip.Addr, bool) {
	ip, ok := ipv4Bits(b)
	if !ok {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}), true
}

// hexDigit maps a byte to its value as a hex digit, or to notHex.
var hexDigit = func() (t [256]byte) {
	for i := range t {
		t[i] = notHex
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c], t[c-'a'+'A'] = c-'a'+10, c-'a'+10
	}
	return t
}()

const notHex = 0xff

// parseIPv6 parses the usual IPv6 form as netip does: eight groups of one
// to four hex digits, or fewer with one "::" standing for at least one
// group of zeros. Anything else — a zone, a trailing dotted quad, a
// malformed string — gives false, and the caller asks netip, whose
// general parser took ~700 instructions an address: the largest item in
// decoding real dns.log (AAAA answers) and a fifth of real conn records.
// FuzzIPv6 holds it to netip.
func parseIPv6(b []byte) (netip.Addr, bool) {
	if len(b) < 2 || len(b) > 39 {
		return netip.Addr{}, false
	}
	var g [8]uint16
	n, ellipsis, i := 0, -1, 0
	if b[0] == ':' {
		if b[1] != ':' {
			return netip.Addr{}, false
		}
		if len(b) == 2 {
			return netip.IPv6Unspecified(), true
		}
		ellipsis, i = 0, 2
	}
	for {
		start := i
		var v uint32
		for ; i < len(b) && hexDigit[b[i]] != notHex; i++ {
			v = v<<4 | uint32(hexDigit[b[i]])
		}
		if d := i - start; d == 0 || d > 4 || n == len(g) {
			return netip.Addr{}, false
		}
		g[n] = uint16(v)
		n++
		if i == len(b) {
			break
		}
		if b[i] != ':' || i+1 == len(b) {
			return netip.Addr{}, false // '.', '%', other bytes, or a colon at the end
		}
		i++
		if b[i] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false
			}
			ellipsis = n
			if i++; i == len(b) {
				break
			}
		}
	}
	switch {
	case ellipsis < 0 && n != len(g), ellipsis >= 0 && n == len(g):
		return netip.Addr{}, false
	case ellipsis >= 0:
		tail := n - ellipsis
		copy(g[len(g)-tail:], g[ellipsis:n])
		clear(g[ellipsis : len(g)-tail])
	}
	var a [16]byte
	for k, v := range g {
		a[2*k], a[2*k+1] = byte(v>>8), byte(v)
	}
	return netip.AddrFrom16(a), true
}

// ipv4BitsGo returns the dotted quad in b as a big-endian uint32.
func ipv4BitsGo(b []byte) (uint32, bool) {
	var ip uint32
	i := 0
	for part := range 4 {
		if part > 0 {
			if i >= len(b) || b[i] != '.' {
				return 0, false
			}
			i++
		}
		if i >= len(b) || b[i]-'0' > 9 {
			return 0, false
		}
		v := uint32(b[i] - '0')
		i++
		for digits := 1; i < len(b) && b[i]-'0' <= 9; digits++ {
			if digits == 3 || v == 0 { // a fourth digit, or a leading zero
				return 0, false
			}
			v = v*10 + uint32(b[i]-'0')
			i++
		}
		if v > 255 {
			return 0, false
		}
		ip = ip<<8 | v
	}
	if i != len(b) {
		return 0, false
	}
	return ip, true
}

// unescapeZeek undoes the escaping of Zeek's ASCII writer: \xNN for bytes
// that are separators or unprintable, and \\ for a backslash.
func unescapeZeek(dst, v []byte) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) {
			switch {
			case v[i+1] == '\\':
				dst = append(dst, '\\')
				i++
				continue
			case v[i+1] == 'x' && i+3 < len(v) && hexDigit[v[i+2]] != notHex && hexDigit[v[i+3]] != notHex:
				dst = append(dst, hexDigit[v[i+2]]<<4|hexDigit[v[i+3]])
				i += 3
				continue
			}
		}
		dst = append(dst, c)
	}
	return dst
}
