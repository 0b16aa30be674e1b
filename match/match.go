package match

import (
	"net/netip"
	"strings"
	"unsafe"

	"golang.org/x/net/publicsuffix"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// Hit is one indicator value seen in one event field. It refers to the
// event's strings, so it is valid only until the event is reset; turn it
// into an Alert (Snapshot.Alert) or JSON (Snapshot.AppendAlertJSON) to keep it.
type Hit struct {
	// Where is the event field that held the value, as "<kind>.<field>"
	// (dns.query, conn.id.resp_h, x509.fingerprint, ...).
	Where string
	// Type is the type of the indicator that matched.
	Type indicator.Type
	// Observed is the value as the event spelled it; for address hits it
	// is empty and Addr holds the address.
	Observed string
	Addr     netip.Addr
	// Matched is the indicator value that matched when it is a string (the
	// parent domain for a subdomain match); for address and CIDR hits it is
	// empty and Prefix holds the indicator; for digests it is empty and
	// equals the lowercase observed value.
	Matched string
	Prefix  netip.Prefix
	ref     uint32
}

// ObservedValue returns the observed value as text.
func (h *Hit) ObservedValue() string {
	if h.Addr.IsValid() {
		return h.Addr.String()
	}
	return h.Observed
}

// MatchedValue returns the indicator value that matched, as text.
func (h *Hit) MatchedValue() string {
	switch {
	case h.Prefix.IsValid() && h.Type == indicator.CIDR:
		return h.Prefix.String()
	case h.Prefix.IsValid():
		return h.Prefix.Addr().String()
	case h.Matched != "":
		return h.Matched
	}
	return strings.ToLower(h.Observed)
}

// RegisteredDomain returns the registered domain (eTLD+1 by the public
// suffix list) of the observed name of a domain hit, or "" when there is
// none; analysts group look-alike subdomains by it.
func (h *Hit) RegisteredDomain() string {
	if h.Type != indicator.Domain {
		return ""
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(strings.ToLower(strings.TrimSuffix(h.Observed, ".")))
	if err != nil {
		return ""
	}
	return d
}

// field names an event field in a "where" label.
type field uint8

const (
	fOrig field = iota
	fResp
	fAnswers
	fQuery
	fHost
	fURL
	fUserAgent
	fCookie
	fSNI
	fFingerprint
	fSerial
	fSAN
	fJA3
	fJA3S
	fJA4
	fMD5
	fSHA1
	fSHA256
	fName
	fMailFrom
	fRcptTo
	fUser
	fCN
	numFields
)

var fieldNames = [numFields]string{"id.orig_h", "id.resp_h", "answers", "query", "host", "url", "user_agent", "cookie",
	"sni", "fingerprint", "serial", "san", "ja3", "ja3s", "ja4", "md5", "sha1", "sha256", "name", "mailfrom", "rcptto", "user", "cn"}

// numKinds covers every event.Kind; later kinds fall back to "unknown".
const numKinds = int(event.KindGeneric) + 1

// whereLabels holds every "<kind>.<field>" label, built once so that a hit
// never concatenates strings.
var whereLabels = func() (l [numKinds][numFields]string) {
	for k := range numKinds {
		for f := range numFields {
			name := fieldNames[f]
			if event.Kind(k) == event.KindSignIn {
				switch field(f) {
				case fOrig:
					name = "src_ip"
				case fResp:
					name = "dst_ip"
				}
			}
			l[k][f] = event.Kind(k).String() + "." + name
		}
	}
	return l
}()

// sink receives hits: either a callback or an append buffer. A pointer to
// a stack sink lets Match and MatchAppend share one walk without a closure
// allocation.
type sink struct {
	fn     func(Hit)
	dst    []Hit
	n      int          // hits emitted so far
	recent *recentAddrs // a Matcher's memory of addresses without hits; nil for plain Snapshot calls
}

func (k *sink) emit(h Hit) {
	k.n++
	if k.fn != nil {
		k.fn(h)
		return
	}
	k.dst = append(k.dst, h)
}

// Match calls fn for every indicator hit in ev. It does not allocate.
func (s *Snapshot) Match(ev *event.Event, fn func(Hit)) {
	k := sink{fn: fn}
	s.match(ev, &k)
}

// MatchAppend appends every indicator hit in ev to dst and returns the
// extended slice. It does not allocate while dst has room.
func (s *Snapshot) MatchAppend(dst []Hit, ev *event.Event) []Hit {
	k := sink{dst: dst}
	s.match(ev, &k)
	return k.dst
}

func (s *Snapshot) match(ev *event.Event, k *sink) {
	kind := int(ev.Kind)
	if kind >= numKinds {
		kind = int(event.KindUnknown)
	}
	where := &whereLabels[kind]
	if ev.SrcIP.IsValid() {
		s.matchAddr(k, ev.SrcIP, where[fOrig])
	}
	if ev.DstIP.IsValid() {
		s.matchAddr(k, ev.DstIP, where[fResp])
	}
	for _, a := range ev.Answers {
		s.matchAddr(k, a, where[fAnswers])
	}
	if len(s.domains) > 0 {
		if ev.Domain != "" {
			s.matchDomain(k, ev.Domain, where[fQuery])
		}
		if ev.Host != "" {
			s.matchDomain(k, hostOnly(ev.Host), where[fHost])
		}
		if ev.SNI != "" {
			s.matchDomain(k, ev.SNI, where[fSNI])
		}
		for _, n := range ev.CertNames {
			// A wildcard certificate for *.evil.example is a certificate
			// for names under evil.example.
			s.matchDomain(k, strings.TrimPrefix(n, "*."), where[fSAN])
		}
		// Certificates without a SAN extension name their host only in the
		// subject's CN; Zeek's intel framework checks it too.
		if ev.CertSubject != "" {
			if cn := subjectCN(ev.CertSubject); cn != "" && strings.IndexByte(cn, '.') > 0 {
				s.matchDomain(k, strings.TrimPrefix(cn, "*."), where[fCN])
			}
		}
	}
	if len(s.urls) > 0 && (ev.URL != "" || ev.URI != "") {
		s.matchURL(k, ev, where[fURL])
	}
	if ev.UserAgent != "" {
		s.matchString(k, s.userAgents, ev.UserAgent, where[fUserAgent], indicator.UserAgent)
	}
	for _, c := range ev.Cookies {
		s.matchString(k, s.cookies, c, where[fCookie], indicator.Cookie)
	}
	if ev.CertSHA1 != "" {
		s.match20(k, s.certSHA1, ev.CertSHA1, where[fFingerprint], indicator.CertSHA1)
	}
	if ev.CertSHA256 != "" {
		s.match32(k, s.certSHA256, ev.CertSHA256, where[fFingerprint], indicator.CertSHA256)
	}
	if ev.CertSerial != "" && len(s.serials) > 0 {
		var buf [maxSerialLen]byte
		if b, ok := appendSerial(buf[:0], ev.CertSerial); ok {
			if ref, ok := s.lookupBytes(s.serials, indicator.CertSerial, b); ok {
				s.emitString(k, where[fSerial], indicator.CertSerial, ev.CertSerial, ref)
			}
		}
	}
	if ev.JA3 != "" {
		s.match16(k, s.ja3, ev.JA3, where[fJA3], indicator.JA3)
	}
	if ev.JA3S != "" {
		s.match16(k, s.ja3s, ev.JA3S, where[fJA3S], indicator.JA3S)
	}
	if ev.JA4 != "" {
		s.matchString(k, s.ja4, ev.JA4, where[fJA4], indicator.JA4)
	}
	if ev.MD5 != "" {
		s.match16(k, s.md5, ev.MD5, where[fMD5], indicator.MD5)
	}
	if ev.SHA1 != "" {
		s.match20(k, s.sha1, ev.SHA1, where[fSHA1], indicator.SHA1)
	}
	if ev.SHA256 != "" {
		s.match32(k, s.sha256, ev.SHA256, where[fSHA256], indicator.SHA256)
	}
	if ev.FileName != "" {
		s.matchString(k, s.fileNames, ev.FileName, where[fName], indicator.FileName)
	}
	if len(s.emails) > 0 {
		// event.Event keeps SMTP addresses in one list: the envelope
		// sender first, then the recipients.
		for i, e := range ev.Emails {
			f := fRcptTo
			if i == 0 {
				f = fMailFrom
			}
			s.matchEmail(k, e, where[f])
		}
		if ev.User != "" && strings.IndexByte(ev.User, '@') > 0 {
			s.matchEmail(k, ev.User, where[fUser])
		}
	}
}

// lookupBytes looks b up in the map of type t behind the filter; the
// conversion does not allocate.
func (s *Snapshot) lookupBytes(m map[string]uint32, t indicator.Type, b []byte) (uint32, bool) {
	if len(m) == 0 || !s.filter.has(s.filter.hashBytes(t, b)) {
		return 0, false
	}
	ref, ok := m[string(b)]
	return ref, ok
}

// lookupString is lookupBytes for a string.
func (s *Snapshot) lookupString(m map[string]uint32, t indicator.Type, v string) (uint32, bool) {
	if len(m) == 0 || !s.filter.has(s.filter.hashString(t, v)) {
		return 0, false
	}
	ref, ok := m[v]
	return ref, ok
}

// matchString reports v when it is, byte for byte, a value in m.
func (s *Snapshot) matchString(k *sink, m map[string]uint32, v, where string, t indicator.Type) {
	if len(m) == 0 || !s.filter.has(s.filter.hashString(t, v)) {
		return
	}
	if ref, ok := m[v]; ok {
		s.emitString(k, where, t, v, ref)
	}
}

func (s *Snapshot) emitString(k *sink, where string, t indicator.Type, observed string, ref uint32) {
	k.emit(Hit{Where: where, Type: t, Observed: observed, Matched: s.prov.value(ref), ref: ref})
}

// matchAddr reports an exact address indicator and every CIDR indicator
// containing a, longest first. Exact addresses live in hash maps rather
// than in the bart table: for 400k host routes BenchmarkExactAddr measured
// the map at 12 bytes per address against bart's 89, and about four times
// faster.
func (s *Snapshot) matchAddr(k *sink, a netip.Addr, where string) {
	a = a.Unmap()
	if a.Is4() && !s.v4.has(addr4Key(a)) {
		return // no exact or CIDR indicator anywhere near a
	}
	if k.recent == nil {
		s.probeAddr(k, a, where)
		return
	}
	// What passed the bitmap costs two or three filter probes, and IPv6
	// has no bitmap: a Matcher remembers the addresses that had no hit.
	// Like the probes, the memory ignores an IPv6 zone.
	hi, lo := addr6Halves(a)
	sl := k.recent.slot(hi, lo)
	if sl.set && sl.hi == hi && sl.lo == lo {
		return
	}
	n := k.n
	s.probeAddr(k, a, where)
	if k.n == n {
		sl.hi, sl.lo, sl.set = hi, lo, true
	}
}

// probeAddr asks the address filters, maps and CIDR table about a, an
// unmapped address that, if IPv4, passed the bitmap.
func (s *Snapshot) probeAddr(k *sink, a netip.Addr, where string) {
	if a.Is4() {
		key := addr4Key(a)
		b, exact, cidr := s.addrs.v4(key)
		if len(s.addr4) > 0 && b.has(exact) {
			if ref, ok := s.addr4[key]; ok {
				k.emit(Hit{Where: where, Type: indicator.IPv4, Addr: a, Prefix: netip.PrefixFrom(a, 32), ref: ref})
			}
		}
		if !s.cidr4 || !b.has(cidr) && (s.short4 == nil || s.short4[key>>22]&(1<<((key>>16)%64)) == 0) {
			return // no CIDR indicator overlaps a's /24
		}
	} else {
		hi, lo := addr6Halves(a)
		if len(s.addr6) > 0 && s.addrs6.has(s.addrs6.hash6(hi, lo, 0)) {
			if ref, ok := s.addr6[a.As16()]; ok {
				k.emit(Hit{Where: where, Type: indicator.IPv6, Addr: a, Prefix: netip.PrefixFrom(a.WithZone(""), 128), ref: ref})
			}
		}
		switch {
		case s.cidr6Bits == 0:
			return
		case s.cidr6Bits > 0 && !s.addrs6.has(s.addrs6.hash6(hi&(^uint64(0)<<(64-s.cidr6Bits)), 0, 1)):
			return
		}
	}
	idx, ok := s.cidrs.Lookup(a)
	for ok {
		e := &s.cidrList[idx]
		k.emit(Hit{Where: where, Type: indicator.CIDR, Addr: a, Prefix: e.prefix, ref: e.ref})
		idx, ok = uint32(e.parent), e.parent >= 0
	}
}

// matchDomain looks up every suffix of name that starts at a label
// boundary: the name itself against exact and subdomain indicators, each
// parent against subdomain indicators only. Suffixes with more or fewer
// labels than any indicator are skipped without a lookup.
//
// Decoders mostly hand over names that are already canonical (lowercase,
// no trailing dot); one pass validates the name and asks the filter about
// its suffixes (scanSuffixes), and only names with capitals are copied,
// lowered and scanned again. The map is asked only about the suffixes the
// filter passes, longest first.
func (s *Snapshot) matchDomain(k *sink, name, where string) {
	var cand [maxSuffixes]uint8
	c, n, st := s.filter.domainCandidates(name, s.minLabels, s.maxLabels, &cand)
	switch st {
	case domainCanonical:
		s.emitSuffixes(k, c, cand[:n], name, where)
	case domainUpper:
		s.matchDomainFold(k, c, name, where)
	}
}

// domainCandidates returns name without its trailing dot and, when that
// is a canonical DNS name, the suffixes of it the filter passes (see
// scanSuffixes). It returns domainUpper, with no suffixes, for a valid
// name with capitals.
func (f *filter) domainCandidates(name string, minLabels, maxLabels int, cand *[maxSuffixes]uint8) (string, int, domainState) {
	c := strings.TrimSuffix(name, ".")
	if c == "" || len(c) > maxDomainLen || c[0] == '.' || c[len(c)-1] == '.' {
		return "", 0, domainBad
	}
	n, st := f.scanSuffixes(c, minLabels, maxLabels, cand)
	return c, n, st
}

// matchDomainFold lowers c into a stack buffer and matches that. The
// string aliases the buffer only for the lookups: hits keep observed, and
// take the matched value from the provenance table.
func (s *Snapshot) matchDomainFold(k *sink, c, observed, where string) {
	var buf [maxDomainLen]byte
	var cand [maxSuffixes]uint8
	b := appendLower(buf[:0], c)
	lower := unsafe.String(&b[0], len(b)) // c is not empty
	n, st := s.filter.scanSuffixes(lower, s.minLabels, s.maxLabels, &cand)
	if st == domainCanonical {
		s.emitSuffixes(k, lower, cand[:n], observed, where)
	}
}

// emitSuffixes looks up the suffixes of c that start at cand, longest
// first: c itself against exact and subdomain indicators, a parent
// against subdomain indicators only.
func (s *Snapshot) emitSuffixes(k *sink, c string, cand []uint8, observed, where string) {
	for n := len(cand); n > 0; n-- {
		i := int(cand[n-1])
		if v, ok := s.domains[c[i:]]; ok {
			ref := uint32(v)
			if i > 0 {
				ref = uint32(v >> 32)
			}
			if ref != 0 {
				k.emit(Hit{Where: where, Type: indicator.Domain, Observed: observed, Matched: s.prov.value(ref), ref: ref})
			}
		}
	}
}

type domainState uint8

const (
	domainBad domainState = iota
	domainCanonical
	domainUpper // valid, with upper-case letters
)

// hostOnly strips the port from an HTTP Host header ("evil.example:8080",
// "[2001:db8::1]:80").
func hostOnly(h string) string {
	i := strings.IndexByte(h, ':') // vectorised; most hosts have no port
	switch {
	case i < 0:
		return h
	case h[0] == '[':
		if j := strings.IndexByte(h, ']'); j > 0 {
			return h[:j+1]
		}
		return h
	case strings.IndexByte(h[i+1:], ':') < 0:
		return h[:i]
	}
	return h // a bare IPv6 address
}

// matchURL looks up the canonical URL, and again without its query so that
// an indicator for a path also matches requests to it with parameters.
// When the event has no full URL it is rebuilt from Host and URI; only a
// hit on such a rebuilt URL allocates (its observed string).
func (s *Snapshot) matchURL(k *sink, ev *event.Event, where string) {
	u := ev.URL
	if u == "" && strings.Contains(ev.URI, "://") {
		u = ev.URI
	}
	if u != "" && canonicalURL(u) {
		// Already in the form appendURL would produce: look it up as it
		// is, without copying it.
		ref, found := s.lookupString(s.urls, indicator.URL, u)
		if !found {
			if q := strings.IndexByte(u, '?'); q >= 0 {
				ref, found = s.lookupString(s.urls, indicator.URL, u[:q])
			}
		}
		if found {
			s.emitString(k, where, indicator.URL, u, ref)
		}
		return
	}
	// Most URLs are short; a smaller buffer saves clearing 2 KiB per event.
	if len(ev.URL)+len(ev.Host)+len(ev.URI) <= shortURLLen {
		var buf [shortURLLen + 8]byte
		s.matchURLBuf(k, ev, where, buf[:0])
		return
	}
	var buf [maxURLLen + 8]byte
	s.matchURLBuf(k, ev, where, buf[:0])
}

const shortURLLen = 256

// canonicalURL reports whether appendURL would return u unchanged: an
// http or https URL in lower case up to its path, without a port, a
// fragment, surrounding spaces or bytes outside printable ASCII at
// either end. It errs towards false; those URLs take the copying path.
func canonicalURL(u string) bool {
	if len(u) > maxURLLen || u[0] <= ' ' || u[0] >= 0x7f || u[len(u)-1] <= ' ' || u[len(u)-1] >= 0x7f {
		return false
	}
	var rest string
	switch {
	case strings.HasPrefix(u, "http://"):
		rest = u[len("http://"):]
	case strings.HasPrefix(u, "https://"):
		rest = u[len("https://"):]
	default:
		return false
	}
	end := 0
	for ; end < len(rest); end++ {
		if c := urlHostByte[rest[end]]; c != 0 {
			if c == hostEnd {
				break
			}
			return false
		}
	}
	return end > 0 && end < len(rest) && strings.IndexByte(rest[end:], '#') < 0
}

// urlHostByte classifies the bytes of a URL's authority for canonicalURL:
// the '/' that ends it, and the bytes that appendURL would change or that
// make it something else (a port, a query or fragment with no path, a
// capital letter). A table lookup per byte instead of five comparisons.
var urlHostByte = func() (t [256]uint8) {
	t['/'] = hostEnd
	for _, c := range "?:#ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
		t[c] = hostNotCanonical
	}
	return t
}()

const (
	hostEnd          = 1
	hostNotCanonical = 2
)

// matchURLBuf canonicalises into buf, whose capacity exceeds any URL
// appendURL accepts, so that append never leaves the stack.
func (s *Snapshot) matchURLBuf(k *sink, ev *event.Event, where string, buf []byte) {
	var b []byte
	var ok bool
	u := ev.URL
	if u == "" && strings.Contains(ev.URI, "://") {
		u = ev.URI // absolute-form request target, as sent to proxies
	}
	rebuilt := u == ""
	if rebuilt {
		b, ok = appendHostURI(buf, hostOnlyHTTP(ev.Host), ev.URI)
	} else {
		b, ok = appendURL(buf, u)
	}
	if !ok {
		return
	}
	ref, found := s.lookupBytes(s.urls, indicator.URL, b)
	if !found {
		if q := indexByte(b, '?'); q >= 0 {
			ref, found = s.lookupBytes(s.urls, indicator.URL, b[:q])
		}
	}
	if !found {
		return
	}
	if rebuilt {
		u = "http://" + ev.Host + ev.URI
	}
	s.emitString(k, where, indicator.URL, u, ref)
}

// appendHostURI appends the canonical URL of an origin-form HTTP request.
func appendHostURI(dst []byte, host, uri string) ([]byte, bool) {
	if host == "" || len(host)+len(uri) > maxURLLen {
		return dst, false
	}
	if i := strings.IndexByte(uri, '#'); i >= 0 {
		uri = uri[:i]
	}
	dst = appendLower(append(dst, "http://"...), host)
	if uri == "" || uri[0] != '/' {
		dst = append(dst, '/')
	}
	return append(dst, uri...), true
}

// hostOnlyHTTP strips the default port from a Host header of a plain HTTP
// request, keeping any other port as part of the URL.
func hostOnlyHTTP(h string) string {
	return strings.TrimSuffix(h, ":80")
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func (s *Snapshot) matchEmail(k *sink, e, where string) {
	var buf [maxEmailLen]byte
	if b, ok := appendEmail(buf[:0], e); ok {
		if ref, ok := s.lookupBytes(s.emails, indicator.Email, b); ok {
			s.emitString(k, where, indicator.Email, e, ref)
		}
	}
}

func (s *Snapshot) match16(k *sink, m map[[16]byte]uint32, v, where string, t indicator.Type) {
	var key [16]byte
	if len(m) > 0 && decodeHex(key[:], v) {
		if ref, ok := m[key]; ok {
			k.emit(Hit{Where: where, Type: t, Observed: v, ref: ref})
		}
	}
}

func (s *Snapshot) match20(k *sink, m map[[20]byte]uint32, v, where string, t indicator.Type) {
	var key [20]byte
	if len(m) > 0 && decodeHex(key[:], v) {
		if ref, ok := m[key]; ok {
			k.emit(Hit{Where: where, Type: t, Observed: v, ref: ref})
		}
	}
}

func (s *Snapshot) match32(k *sink, m map[[32]byte]uint32, v, where string, t indicator.Type) {
	var key [32]byte
	if len(m) > 0 && decodeHex(key[:], v) {
		if ref, ok := m[key]; ok {
			k.emit(Hit{Where: where, Type: t, Observed: v, ref: ref})
		}
	}
}

// subjectCN returns the common name of an RFC 2253 subject
// ("CN=www.example.com,O=Example"), or "". It does not allocate.
func subjectCN(subject string) string {
	for len(subject) > 0 {
		part := subject
		if i := strings.IndexByte(subject, ','); i >= 0 {
			part, subject = subject[:i], subject[i+1:]
		} else {
			subject = ""
		}
		part = strings.TrimSpace(part)
		if len(part) > 3 && (part[:3] == "CN=" || part[:3] == "cn=") {
			return strings.ToLower(part[3:])
		}
	}
	return ""
}
