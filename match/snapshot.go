// Package match compiles the active indicators into an immutable, versioned
// Snapshot and matches normalised telemetry events against it at line rate.
//
// A Snapshot is built once per intel change and then shared read-only by
// every matcher goroutine; matching an event allocates nothing. Each hit
// carries a reference into a provenance side table (STIX ids, sources,
// actors) from which an Alert is produced only when one is needed.
package match

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/gaissmai/bart"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// Version identifies a snapshot. Digest is a SHA-256 over the canonical
// content (values, types and merged provenance, independent of input
// order); Seq counts content changes, so that "the version changed" means
// "the intel changed" and a retro-hunt is due.
type Version struct {
	Seq    uint64
	Digest [sha256.Size]byte
}

// String returns the short form used in logs and stored with sightings,
// e.g. "3-9f86d081884c".
func (v Version) String() string { return fmt.Sprintf("%d-%x", v.Seq, v.Digest[:6]) }

// Reject is an indicator that Build could not compile, with the reason.
// The rest of the indicators are compiled regardless.
type Reject struct {
	Index  int // position in the slice given to Build
	Type   indicator.Type
	Value  string
	Reason string
}

func (r Reject) Error() string {
	return fmt.Sprintf("indicator %d: %s %q: %s", r.Index, r.Type, r.Value, r.Reason)
}

// Stats says what a snapshot holds, for `umbra intel stats` and logs.
type Stats struct {
	Indicators int // accepted indicators
	Values     int // distinct values after merging indicators that share one
	Rejected   int
	// Unmatchable counts accepted indicators of types that no event field
	// carries (phone, asn, sha512); they are kept in the digest only.
	Unmatchable int
	// TruncatedProvenance counts values with more than 65535 sources or
	// actors, of which only the first 65535 are kept.
	TruncatedProvenance int
	ByType              map[indicator.Type]int // distinct values per type
}

// Snapshot is a compiled, immutable set of indicators. It is safe for
// concurrent use by any number of goroutines.
type Snapshot struct {
	version Version
	stats   Stats

	addr4    map[uint32]uint32
	addr6    map[[16]byte]uint32
	cidrs    bart.Table[uint32] // prefix -> index into cidrList
	cidrList []cidrEntry

	// domains maps a name to two provenance references: the low 32 bits
	// for an exact match, the high 32 bits for a match of a name below it.
	domains                  map[string]uint64
	minLabels, maxLabels     int
	urls, emails, cookies    map[string]uint32
	userAgents, ja4, serials map[string]uint32
	fileNames                map[string]uint32

	md5, ja3, ja3s     map[[16]byte]uint32
	sha1, certSHA1     map[[20]byte]uint32
	sha256, certSHA256 map[[32]byte]uint32

	prov   provTable
	filter filter // in front of the string-keyed maps
	addrs  filter // in front of addr4 and the IPv4 part of cidrs
	addrs6 filter // in front of addr6 and the IPv6 part of cidrs

	// cidr4 says whether any IPv4 CIDR indicator exists; short4, when
	// not nil, has a bit for every /16 that overlaps an IPv4 CIDR
	// indicator shorter than /short4Bits (longer ones have filter keys).
	cidr4  bool
	short4 []uint64
	v4     v4Map
	// cidr6Bits is the length of the IPv6 CIDR filter keys: 0 when there
	// is no IPv6 CIDR indicator, -1 when one is shorter than /16 and every
	// IPv6 address has to be looked up in cidrs.
	cidr6Bits int
}

// short4Bits is the shortest IPv4 CIDR prefix with filter keys: a /20
// has 16 of them, one per /24.
const short4Bits = 20

type cidrEntry struct {
	prefix netip.Prefix
	ref    uint32
	parent int32 // index of the next shorter prefix containing this one, or -1
}

// Version returns the snapshot's version.
func (s *Snapshot) Version() Version { return s.version }

// Stats returns what the snapshot holds.
func (s *Snapshot) Stats() Stats { return s.stats }

// item is one accepted indicator in canonical form while building.
type item struct {
	typ    indicator.Type
	key    string       // canonical value for string and digest types
	prefix netip.Prefix // for ipv4, ipv6 and cidr
	idx    int32
}

// Build compiles inds into a snapshot. Indicators that share a type and
// value are merged into one entry whose provenance is the union of theirs.
// Bad indicators are returned as rejects and skipped.
//
// prev, when not nil, is the snapshot being replaced: the new one gets the
// next Seq, or keeps prev's version when the content is unchanged.
func Build(inds []indicator.Indicator, prev *Snapshot) (*Snapshot, []Reject) {
	s := &Snapshot{stats: Stats{ByType: map[indicator.Type]int{}}}
	var rejects []Reject
	items := make([]item, 0, len(inds))
	var scratch []byte
	for i := range inds {
		in := &inds[i]
		it, reason := canonical(in, scratch[:0])
		if reason != "" {
			rejects = append(rejects, Reject{Index: i, Type: in.Type, Value: in.Value, Reason: reason})
			continue
		}
		it.idx = int32(i)
		items = append(items, it)
	}
	slices.SortFunc(items, func(a, b item) int {
		if c := cmp.Compare(a.typ, b.typ); c != 0 {
			return c
		}
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		if c := a.prefix.Addr().Compare(b.prefix.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.prefix.Bits(), b.prefix.Bits())
	})

	// Group runs of equal values and size the maps before filling them.
	type group struct{ start, end int }
	var groups []group
	perType := map[indicator.Type]int{}
	arenaLen := 0
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].typ == items[i].typ && items[j].key == items[i].key && items[j].prefix == items[i].prefix {
			j++
		}
		groups = append(groups, group{i, j})
		perType[items[i].typ]++
		if isStringType(items[i].typ) {
			arenaLen += len(items[i].key)
		}
		i = j
	}
	s.allocate(perType)
	strKeys, keys4, keys6 := s.filterKeys(items, perType)
	s.filter, s.addrs, s.addrs6 = newFilter(strKeys), newFilter(keys4), newFilter(keys6)
	s.v4 = newV4Map(perType[indicator.IPv4] + perType[indicator.CIDR])

	var arena strings.Builder
	arena.Grow(arenaLen)
	for _, g := range groups {
		if isStringType(items[g.start].typ) {
			arena.WriteString(items[g.start].key)
		}
	}
	values := arena.String()
	pb := newProvBuilder()
	pb.t.values = values

	digest := sha256.New()
	var dbuf []byte
	off := 0
	s.minLabels = maxDomainLen
	for _, g := range groups {
		run := items[g.start:g.end]
		typ := run[0].typ
		var key string
		var voff, vlen uint32
		if isStringType(typ) {
			key = values[off : off+len(run[0].key)]
			voff, vlen = uint32(off), uint32(len(key))
			off += len(key)
		}
		ids, sources, actors := merged(inds, run, false)
		dbuf = appendDigest(dbuf[:0], run[0], ids, sources, actors)
		ref := pb.add(voff, vlen, ids, sources, actors)
		s.stats.Values++
		s.stats.ByType[typ]++
		switch typ {
		case indicator.Domain:
			v := uint64(ref)
			if anySub(inds, run) {
				sids, ssrc, sact := merged(inds, run, true)
				dbuf = append(dbuf, "subdomains"...)
				dbuf = appendDigest(dbuf, run[0], sids, ssrc, sact)
				v |= uint64(pb.add(voff, vlen, sids, ssrc, sact)) << 32
			}
			s.domains[key] = v
			s.filter.add(s.filter.domainHash(key))
			labels := strings.Count(key, ".") + 1
			s.minLabels = min(s.minLabels, labels)
			s.maxLabels = max(s.maxLabels, labels)
		case indicator.IPv4, indicator.IPv6:
			a := run[0].prefix.Addr()
			if a.Is4() {
				s.addr4[addr4Key(a)] = ref
				s.v4.addAddr(addr4Key(a))
				b, exact, _ := s.addrs.v4(addr4Key(a))
				b.set(exact)
			} else {
				s.addr6[a.As16()] = ref
				hi, lo := addr6Halves(a)
				s.addrs6.add(s.addrs6.hash6(hi, lo, 0))
			}
		case indicator.CIDR:
			s.cidrs.Insert(run[0].prefix, uint32(len(s.cidrList)))
			s.addCIDRKeys(run[0].prefix)
			s.cidrList = append(s.cidrList, cidrEntry{prefix: run[0].prefix, ref: ref, parent: -1})
		case indicator.URL, indicator.Email, indicator.Cookie, indicator.UserAgent, indicator.JA4,
			indicator.CertSerial, indicator.FileName:
			s.stringMap(typ)[key] = ref
			s.filter.add(s.filter.hashString(typ, key))
		case indicator.MD5, indicator.JA3, indicator.JA3S:
			s.map16(typ)[[16]byte([]byte(run[0].key))] = ref
		case indicator.SHA1, indicator.CertSHA1:
			m := s.sha1
			if typ == indicator.CertSHA1 {
				m = s.certSHA1
			}
			m[[20]byte([]byte(run[0].key))] = ref
		case indicator.SHA256, indicator.CertSHA256:
			m := s.sha256
			if typ == indicator.CertSHA256 {
				m = s.certSHA256
			}
			m[[32]byte([]byte(run[0].key))] = ref
		default: // phone, asn, sha512: no event field carries them
			s.stats.Unmatchable += len(run)
		}
		s.stats.Indicators += len(run)
		digest.Write(dbuf)
	}
	if s.maxLabels == 0 {
		s.minLabels = 0
	}
	for i := range s.cidrList {
		e := &s.cidrList[i]
		if e.prefix.Bits() == 0 {
			continue
		}
		up := netip.PrefixFrom(e.prefix.Addr(), e.prefix.Bits()-1).Masked()
		if _, idx, ok := s.cidrs.LookupPrefixLPM(up); ok {
			e.parent = int32(idx)
		}
	}
	s.prov = pb.table()
	s.stats.Rejected = len(rejects)
	s.stats.TruncatedProvenance = pb.truncated
	copy(s.version.Digest[:], digest.Sum(nil))
	s.version.Seq = 1
	if prev != nil {
		s.version.Seq = prev.version.Seq
		if prev.version.Digest != s.version.Digest {
			s.version.Seq++
		}
	}
	return s, rejects
}

func (s *Snapshot) allocate(n map[indicator.Type]int) {
	s.addr4 = make(map[uint32]uint32, n[indicator.IPv4])
	s.addr6 = make(map[[16]byte]uint32, n[indicator.IPv6])
	s.domains = make(map[string]uint64, n[indicator.Domain])
	s.urls = make(map[string]uint32, n[indicator.URL])
	s.emails = make(map[string]uint32, n[indicator.Email])
	s.cookies = make(map[string]uint32, n[indicator.Cookie])
	s.userAgents = make(map[string]uint32, n[indicator.UserAgent])
	s.ja4 = make(map[string]uint32, n[indicator.JA4])
	s.serials = make(map[string]uint32, n[indicator.CertSerial])
	s.fileNames = make(map[string]uint32, n[indicator.FileName])
	s.md5 = make(map[[16]byte]uint32, n[indicator.MD5])
	s.ja3 = make(map[[16]byte]uint32, n[indicator.JA3])
	s.ja3s = make(map[[16]byte]uint32, n[indicator.JA3S])
	s.sha1 = make(map[[20]byte]uint32, n[indicator.SHA1])
	s.certSHA1 = make(map[[20]byte]uint32, n[indicator.CertSHA1])
	s.sha256 = make(map[[32]byte]uint32, n[indicator.SHA256])
	s.certSHA256 = make(map[[32]byte]uint32, n[indicator.CertSHA256])
	s.cidrList = make([]cidrEntry, 0, n[indicator.CIDR])
}

// filterKeys counts the keys of the three filters: string values; IPv4
// addresses and the /24s of IPv4 CIDR indicators; IPv6 addresses and the
// /cidr6Bits prefixes of IPv6 CIDR indicators. It sets cidr6Bits.
func (s *Snapshot) filterKeys(items []item, perType map[indicator.Type]int) (strKeys, keys4, keys6 int) {
	for t, n := range perType {
		if isStringType(t) {
			strKeys += n
		}
	}
	keys4, keys6 = perType[indicator.IPv4], perType[indicator.IPv6]
	min6 := 129
	for i := range items {
		// Duplicates count twice; the filter is a little larger for them.
		if items[i].typ != indicator.CIDR {
			continue
		}
		p := items[i].prefix
		switch {
		case p.Addr().Is4() && p.Bits() >= short4Bits:
			keys4 += 1 << max(0, 24-p.Bits())
		case !p.Addr().Is4():
			keys6++
			min6 = min(min6, p.Bits())
		}
	}
	switch {
	case min6 > 128:
		s.cidr6Bits = 0
	case min6 < 16:
		s.cidr6Bits = -1
	default:
		s.cidr6Bits = min(min6, 32)
	}
	return strKeys, keys4, keys6
}

// addCIDRKeys marks prefix p in the filter (or in short4).
func (s *Snapshot) addCIDRKeys(p netip.Prefix) {
	if !p.Addr().Is4() {
		if s.cidr6Bits > 0 {
			hi, _ := addr6Halves(p.Addr())
			s.addrs6.add(s.addrs6.hash6(hi&(^uint64(0)<<(64-s.cidr6Bits)), 0, 1))
		}
		return
	}
	s.cidr4 = true
	a, host := addr4Key(p.Addr()), 32-p.Bits()
	s.v4.addPrefix(a, p.Bits())
	if p.Bits() < short4Bits {
		if s.short4 == nil {
			s.short4 = make([]uint64, 1<<16/64)
		}
		for i := a >> 16; i <= (a|(1<<host-1))>>16; i++ {
			s.short4[i/64] |= 1 << (i % 64)
		}
		return
	}
	for i := uint32(0); i < 1<<max(0, host-8); i++ {
		b, _, cidr := s.addrs.v4(a + i<<8)
		b.set(cidr)
	}
}

// stringMap returns the map of a string-keyed type.
func (s *Snapshot) stringMap(t indicator.Type) map[string]uint32 {
	switch t {
	case indicator.URL:
		return s.urls
	case indicator.Email:
		return s.emails
	case indicator.Cookie:
		return s.cookies
	case indicator.UserAgent:
		return s.userAgents
	case indicator.JA4:
		return s.ja4
	case indicator.CertSerial:
		return s.serials
	}
	return s.fileNames
}

// map16 returns the map of a 16-byte digest type.
func (s *Snapshot) map16(t indicator.Type) map[[16]byte]uint32 {
	switch t {
	case indicator.JA3:
		return s.ja3
	case indicator.JA3S:
		return s.ja3s
	}
	return s.md5
}

func addr4Key(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func isStringType(t indicator.Type) bool {
	switch t {
	case indicator.Domain, indicator.URL, indicator.Email, indicator.Cookie, indicator.UserAgent,
		indicator.JA4, indicator.CertSerial, indicator.FileName:
		return true
	}
	return false
}

func anySub(inds []indicator.Indicator, run []item) bool {
	for _, it := range run {
		if inds[it.idx].Subdomains {
			return true
		}
	}
	return false
}

// merged returns the sorted, de-duplicated provenance of the indicators in
// run (only those with Subdomains set when subOnly). Actors named more than
// once keep their highest confidence.
func merged(inds []indicator.Indicator, run []item, subOnly bool) (ids, sources []string, actors []indicator.Actor) {
	for _, it := range run {
		in := &inds[it.idx]
		if subOnly && !in.Subdomains {
			continue
		}
		ids = append(ids, in.IDs...)
		sources = append(sources, in.Sources...)
		actors = append(actors, in.Actors...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	slices.Sort(sources)
	sources = slices.Compact(sources)
	slices.SortFunc(actors, func(a, b indicator.Actor) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(b.Confidence, a.Confidence))
	})
	actors = slices.CompactFunc(actors, func(a, b indicator.Actor) bool { return a.Name == b.Name })
	return ids, sources, actors
}

// appendDigest appends an unambiguous encoding of one value and its
// provenance (length-prefixed, so no two contents share an encoding).
func appendDigest(dst []byte, it item, ids, sources []string, actors []indicator.Actor) []byte {
	str := func(s string) {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	dst = append(dst, byte(it.typ))
	str(it.key)
	if it.prefix.IsValid() {
		b, _ := it.prefix.MarshalBinary()
		dst = append(dst, b...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(ids)))
	for _, v := range ids {
		str(v)
	}
	dst = binary.AppendUvarint(dst, uint64(len(sources)))
	for _, v := range sources {
		str(v)
	}
	dst = binary.AppendUvarint(dst, uint64(len(actors)))
	for _, a := range actors {
		str(a.Name)
		dst = binary.AppendVarint(dst, int64(a.Confidence))
	}
	return dst
}

// canonical validates one indicator and returns it in the form the maps
// use, or the reason it was rejected.
func canonical(in *indicator.Indicator, scratch []byte) (item, string) {
	it := item{typ: in.Type}
	v := in.Value
	if v == "" {
		return it, "empty value"
	}
	same := func(b []byte) string {
		if string(b) == v {
			return v
		}
		return string(b)
	}
	switch in.Type {
	case indicator.IPv4, indicator.IPv6:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return it, "not an IP address"
		}
		if a.Zone() != "" {
			return it, "address has a zone"
		}
		a = a.Unmap()
		if a.Is4() != (in.Type == indicator.IPv4) {
			return it, "address family does not match the type"
		}
		it.prefix = netip.PrefixFrom(a, a.BitLen())
	case indicator.CIDR:
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return it, "not a CIDR prefix"
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		it.prefix = p.Masked()
	case indicator.Domain:
		b, ok := appendDomain(scratch, v)
		if !ok {
			return it, "not a domain name (empty label or longer than 253 bytes)"
		}
		it.key = same(b)
	case indicator.URL:
		b, ok := appendURL(scratch, v)
		if !ok {
			return it, "not an absolute URL (scheme://host...) of at most 2048 bytes"
		}
		it.key = same(b)
	case indicator.Email:
		b, ok := appendEmail(scratch, v)
		if !ok {
			return it, "not an e-mail address"
		}
		it.key = same(b)
	case indicator.CertSerial:
		b, ok := appendSerial(scratch, v)
		if !ok {
			return it, "not a hex serial of at most 128 digits"
		}
		it.key = same(b)
	case indicator.Cookie, indicator.UserAgent, indicator.JA4, indicator.FileName:
		if len(v) > maxURLLen {
			return it, "longer than 2048 bytes"
		}
		it.key = v
	case indicator.MD5, indicator.JA3, indicator.JA3S, indicator.SHA1, indicator.CertSHA1,
		indicator.SHA256, indicator.CertSHA256, indicator.SHA512:
		n := digestLen(in.Type)
		b := make([]byte, n)
		if !decodeHex(b, v) {
			return it, fmt.Sprintf("not %d hex digits", 2*n)
		}
		it.key = string(b)
	case indicator.Phone, indicator.ASN:
		it.key = v
	default:
		return it, "unknown indicator type"
	}
	return it, ""
}

// digestLen is the byte length of the digest types, 0 for the others.
func digestLen(t indicator.Type) int {
	switch t {
	case indicator.MD5, indicator.JA3, indicator.JA3S:
		return 16
	case indicator.SHA1, indicator.CertSHA1:
		return 20
	case indicator.SHA256, indicator.CertSHA256:
		return 32
	case indicator.SHA512:
		return 64
	}
	return 0
}
