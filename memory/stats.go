package memory

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
)

// segStats is what a hunt knows about a segment without decoding it: the
// time range, the address range, which kinds it holds and a bloom filter
// over its observables (domains and their parents, SNI, hosts, hashes,
// fingerprints, addresses).
type segStats struct {
	Events     uint64
	MinT, MaxT int64 // Unix nanoseconds
	KindSet    uint32
	MinAddr    netip.Addr
	MaxAddr    netip.Addr
	bloom      bloom
}

const statsVersion = 1

func (b *builder) stats() segStats {
	st := segStats{Events: uint64(b.n), MinT: b.minT, MaxT: b.maxT, KindSet: b.kindSet}
	nvals := len(b.addrs.vals)
	for i := range strFields {
		if strFields[i].bloom != bloomNone {
			nvals += b.strs[i].len() * int(strFields[i].bloom)
		}
	}
	for i := range listFields {
		if listFields[i].bloom != bloomNone {
			nvals += b.lists[i].len() * int(listFields[i].bloom)
		}
	}
	st.bloom = newBloom(nvals)
	for _, a := range b.addrs.vals {
		if !st.MinAddr.IsValid() || a.Less(st.MinAddr) {
			st.MinAddr = a
		}
		if !st.MaxAddr.IsValid() || st.MaxAddr.Less(a) {
			st.MaxAddr = a
		}
		st.bloom.add(addrKey(a))
	}
	for i := range strFields {
		addBloom(&st.bloom, strFields[i].bloom, &b.strs[i])
	}
	for i := range listFields {
		addBloom(&st.bloom, listFields[i].bloom, &b.lists[i])
	}
	return st
}

func addBloom(bl *bloom, mode bloomMode, c *strCol) {
	if mode == bloomNone {
		return
	}
	for i := range c.len() {
		// normValue's form, hashed from the dictionary's bytes: no copy
		// and no lower-cased string per entry (the community ids alone,
		// base64 with upper-case letters, were 7% of an ingest's CPU in
		// strings.ToLower before they lost their statistics).
		v := c.entry(uint32(i))
		if n := len(v); n > 0 && v[n-1] == '.' {
			v = v[:n-1]
		}
		bl.addHash(bloomHashLower(v))
		if mode == bloomDomain {
			// An HTTP Host header may carry a port ("evil.example:8080");
			// the matcher and the pivots look the name up without it.
			if j := bytes.IndexByte(v, ':'); j > 0 && bytes.LastIndexByte(v, ':') == j {
				v = v[:j]
				bl.addHash(bloomHashLower(v))
			}
			for {
				i := bytes.IndexByte(v, '.')
				if i < 0 || i == len(v)-1 {
					break
				}
				v = v[i+1:]
				bl.addHash(bloomHashLower(v))
			}
		}
	}
}

// normValue is the form in which observables enter and query the bloom
// filter: lower case, without a DNS root dot.
func normValue(v string) string {
	return lowerValue(strings.TrimSuffix(v, "."))
}

// lowerValue is v with ASCII upper-case letters lowered, as the matcher
// folds names; other bytes are kept. (Until 2026-11-27 a value with an
// ASCII capital was lowered whole by strings.ToLower, non-ASCII letters
// too: only such mixed names in older segments hash differently now.)
func lowerValue(v string) string {
	for i := 0; i < len(v); i++ {
		if v[i]-'A' < 26 {
			b := []byte(v)
			for j := i; j < len(b); j++ {
				if b[j]-'A' < 26 {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return v
}

// addrKey is the bloom key of an address: its 16-byte form, which no
// printable observable can collide with in practice.
func addrKey(a netip.Addr) string {
	v := a.Unmap().As16()
	return "\x00ip" + string(v[:])
}

// probe is one Filter value compiled for testing segment statistics:
// parsed and hashed once per scan, not once per segment. A hunt with a
// million indicator values over a month of segments spent 850 ns a value
// and segment parsing (and allocating errors) before this
// (BenchmarkSkipMillionValues).
type probe struct {
	addr       netip.Addr   // an address value
	prefix     netip.Prefix // a CIDR value (masked)
	last       netip.Addr   // the prefix's last address
	h1, h2     uint64       // bloom hashes of the address key or the normalised value
	key        string       // the normalised value, for a name, hash or other string
	prefixOnly bool
}

func compileProbes(values []string) []probe {
	out := make([]probe, 0, len(values))
	for _, v := range values {
		var p probe
		if mayBeAddr(v) {
			if a, err := netip.ParseAddr(v); err == nil {
				p.addr = a.WithZone("").Unmap()
				p.h1, p.h2 = bloomHash(addrKey(p.addr))
				out = append(out, p)
				continue
			}
		}
		if strings.IndexByte(v, '/') > 0 {
			if pf, err := netip.ParsePrefix(v); err == nil {
				if pf.Addr().Is4In6() && pf.Bits() >= 96 {
					// ::ffff:10.0.0.0/104 is 10.0.0.0/8, which is how
					// segments keep IPv4 addresses.
					pf = netip.PrefixFrom(pf.Addr().Unmap(), pf.Bits()-96)
				}
				if pf = pf.Masked(); pf.IsValid() {
					p.prefix, p.last, p.prefixOnly = pf, lastAddr(pf), true
					out = append(out, p)
					continue
				}
			}
		}
		p.key = normValue(v)
		p.h1, p.h2 = bloomHash(p.key)
		out = append(out, p)
	}
	return out
}

// mayBeAddr is a cheap test that v could parse as an address, so that
// names are not put through netip's parser (and its error allocation).
func mayBeAddr(v string) bool {
	if v == "" {
		return false
	}
	if c := v[0]; c >= '0' && c <= '9' {
		return true
	}
	return strings.IndexByte(v, ':') >= 0
}

// mayContain reports whether the segment may hold the probe's value: an
// IP address or CIDR prefix is tested against the address range (and an
// address against the bloom filter), anything else against the bloom
// filter.
func (st *segStats) mayContain(p *probe) bool {
	switch {
	case p.addr.IsValid():
		if !st.MinAddr.IsValid() || p.addr.Less(st.MinAddr) || st.MaxAddr.Less(p.addr) {
			return false
		}
		return st.bloom.hasHash(p.h1, p.h2)
	case p.prefixOnly:
		// The prefix overlaps [MinAddr, MaxAddr] unless it lies wholly
		// below or above it (netip orders all IPv4 before all IPv6).
		return st.MinAddr.IsValid() && !(p.last.Less(st.MinAddr) || st.MaxAddr.Less(p.prefix.Addr()))
	}
	return st.bloom.hasHash(p.h1, p.h2)
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range a {
		for b := 0; b < 8; b++ {
			if i*8+b >= bits {
				a[i] |= 0x80 >> b
			}
		}
	}
	r, _ := netip.AddrFromSlice(a)
	return r
}

func (st *segStats) appendBinary(b []byte) []byte {
	b = append(b, statsVersion)
	b = binary.AppendUvarint(b, st.Events)
	b = binary.AppendVarint(b, st.MinT)
	b = binary.AppendVarint(b, st.MaxT)
	b = binary.AppendUvarint(b, uint64(st.KindSet))
	for _, a := range []netip.Addr{st.MinAddr, st.MaxAddr} {
		switch {
		case !a.IsValid():
			b = append(b, 0)
		case a.Is4():
			v := a.As4()
			b = append(append(b, 4), v[:]...)
		default:
			v := a.As16()
			b = append(append(b, 6), v[:]...)
		}
	}
	b = append(b, st.bloom.k)
	b = binary.AppendUvarint(b, uint64(len(st.bloom.words)))
	for _, w := range st.bloom.words {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return b
}

func parseStats(b []byte) (segStats, error) {
	var st segStats
	c := cursor{b: b, name: "stats"}
	v, err := c.byte1()
	if err != nil {
		return st, err
	}
	if v != statsVersion {
		return st, corruptf("stats version %d", v)
	}
	if st.Events, err = c.uvarint(); err != nil {
		return st, err
	}
	if st.MinT, err = c.varint(); err != nil {
		return st, err
	}
	if st.MaxT, err = c.varint(); err != nil {
		return st, err
	}
	ks, err := c.uvarint()
	if err != nil {
		return st, err
	}
	st.KindSet = uint32(ks)
	for _, dst := range []*netip.Addr{&st.MinAddr, &st.MaxAddr} {
		fam, err := c.byte1()
		if err != nil {
			return st, err
		}
		n := map[byte]int{0: 0, 4: 4, 6: 16}[fam]
		if (fam != 0 && n == 0) || len(c.b) < n {
			return st, corruptf("stats: bad address family %d", fam)
		}
		if n > 0 {
			*dst, _ = netip.AddrFromSlice(c.b[:n])
			c.b = c.b[n:]
		}
	}
	if st.bloom.k, err = c.byte1(); err != nil {
		return st, err
	}
	nw, err := c.uvarint()
	if err != nil {
		return st, err
	}
	if nw*8 != uint64(len(c.b)) || st.bloom.k == 0 || st.bloom.k > 16 || nw == 0 {
		return st, corruptf("stats: bloom filter of %d words, k %d, in %d bytes", nw, st.bloom.k, len(c.b))
	}
	st.bloom.words = make([]uint64, nw)
	for i := range st.bloom.words {
		st.bloom.words[i] = binary.LittleEndian.Uint64(c.b[8*i:])
	}
	if st.MinT > st.MaxT {
		return st, corruptf("stats: time range %d..%d", st.MinT, st.MaxT)
	}
	return st, nil
}

// bloom is a classic bloom filter with double hashing. A hunt tests
// hundreds or thousands of indicator values against every segment, and
// one false positive among them is enough to read the segment: at the
// textbook 1% a 1,000-value hunt skipped nothing (BenchmarkRareOverMonth).
// 24 bits a value and 16 probes give about 1 in 100,000 per value, so such
// a hunt reads about 1% of the segments that hold none of its values, for
// 3 bytes a distinct value in the stats.
type bloom struct {
	k     uint8
	words []uint64
}

func newBloom(n int) bloom {
	bits := n * 24
	words := max((bits+63)/64, 1)
	return bloom{k: 16, words: make([]uint64, words)}
}

func bloomHash(s string) (uint64, uint64) {
	// FNV-1a, then a splitmix finaliser for the second hash.
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return bloomMix(h)
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// bloomHashLower is bloomHash of lowerValue(v), computed from v's bytes.
func bloomHashLower(v []byte) (uint64, uint64) {
	h := uint64(fnvOffset)
	for _, c := range v {
		if c-'A' < 26 {
			c += 'a' - 'A'
		}
		h ^= uint64(c)
		h *= fnvPrime
	}
	return bloomMix(h)
}

func bloomMix(h uint64) (uint64, uint64) {
	h2 := h
	h2 ^= h2 >> 30
	h2 *= 0xbf58476d1ce4e5b9
	h2 ^= h2 >> 27
	h2 *= 0x94d049bb133111eb
	h2 ^= h2 >> 31
	return h, h2 | 1
}

func (b *bloom) add(s string) {
	b.addHash(bloomHash(s))
}

func (b *bloom) addHash(h1, h2 uint64) {
	m := uint64(len(b.words) * 64)
	for i := uint64(0); i < uint64(b.k); i++ {
		bit := (h1 + i*h2) % m
		b.words[bit/64] |= 1 << (bit % 64)
	}
}

func (b *bloom) has(s string) bool {
	h1, h2 := bloomHash(s)
	return b.hasHash(h1, h2)
}

func (b *bloom) hasHash(h1, h2 uint64) bool {
	if len(b.words) == 0 {
		return true
	}
	m := uint64(len(b.words) * 64)
	for i := uint64(0); i < uint64(b.k); i++ {
		bit := (h1 + i*h2) % m
		if b.words[bit/64]&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}
