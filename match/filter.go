package match

import (
	"hash/maphash"
	"math/bits"
	"net/netip"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// filter is a split-block Bloom filter in front of the large tables: a
// snapshot has one for the string-keyed maps (domains, URLs,
// user-agents, ...), one for IPv4 (addr4 and the IPv4 blocks in cidrs)
// and one for IPv6. Almost every value on real traffic misses, and a
// domain costs a lookup per label-boundary suffix; a miss in a map of
// hundreds of thousands of values is a trip to DRAM, while the filter, at
// 10 bits per value, answers a miss from one cache line.
//
// In front of the blocks sits a second, smaller Bloom filter (quick, 4
// bits per key, two bits in one word): at 1M indicators it is 225 KiB for
// the strings and stays in L2 while events stream through the matcher,
// so most misses never reach the blocks' cache line in L3 or DRAM. The
// IPv4 lookups use the v4Map bitmap as their first level instead.
//
// Addresses: an IPv4 address is looked up in the block of its /24, where
// two keys can be present: the address itself (an exact indicator) and
// the /24 (some CIDR indicator of /20 or longer overlaps it), so that one
// cache line answers both questions. Shorter IPv4 blocks are marked per
// /16 in Snapshot.short4. IPv6 addresses have a key per address and a key
// per /cidr6Bits prefix of every IPv6 CIDR indicator.
//
// BenchmarkMissPath and BenchmarkMatchKind measure them (bench/match.md).
type filter struct {
	quick  []uint64 // first level: quickBitsPerKey bits per key
	blocks []filterBlock
	seed   maphash.Seed // per snapshot, so intel cannot aim collisions
	k      [4]uint64    // per-snapshot keys of the address hashes, from seed
	dseed  uint64       // per-snapshot start of the domain hashes (domainhash.go)
}

type filterBlock [8]uint64

const (
	filterBitsPerKey = 10
	quickBitsPerKey  = 4
)

func newFilter(keys int) filter {
	n := (keys*filterBitsPerKey + 511) / 512
	f := filter{blocks: make([]filterBlock, max(n, 1)), seed: maphash.MakeSeed(),
		quick: make([]uint64, max(1, (keys*quickBitsPerKey+63)/64))}
	for i := range f.k {
		f.k[i] = maphash.Comparable(f.seed, i) | 1
	}
	f.dseed = maphash.Comparable(f.seed, "domain")
	return f
}

// fmix is MurmurHash3's 64-bit finaliser: every input bit reaches every
// output bit, so the block index does not reuse the bits that pick the
// bits inside the block.
func fmix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// hashString hashes a value of type t; the type keeps equal strings of
// different types (a cookie and a file name) apart.
func (f *filter) hashString(t indicator.Type, s string) uint64 {
	return maphash.String(f.seed, s) ^ uint64(t)*0x9e3779b97f4a7c15
}

func (f *filter) hashBytes(t indicator.Type, b []byte) uint64 {
	return maphash.Bytes(f.seed, b) ^ uint64(t)*0x9e3779b97f4a7c15
}

// v4 returns the block of IPv4 address a (big-endian) and the in-block
// hashes of its exact key and of its /24's CIDR key.
func (f *filter) v4(a uint32) (b *filterBlock, exact, cidr uint64) {
	net := uint64(a >> 8)
	b = f.blockAt(fmix(uint64(a>>8) ^ f.k[0]))
	return b, fmix(uint64(a) ^ f.k[1]), fmix(net ^ f.k[2])
}

// hash6 hashes the 128-bit value hi:lo; key tells exact addresses and
// CIDR prefixes apart.
func (f *filter) hash6(hi, lo uint64, key int) uint64 {
	return fmix(fmix(hi^f.k[3]) ^ lo ^ uint64(key+1)*0x9e3779b97f4a7c15)
}

func addr6Halves(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	return beUint64(b[:8]), beUint64(b[8:])
}

func beUint64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[7]) | uint64(b[6])<<8 | uint64(b[5])<<16 | uint64(b[4])<<24 |
		uint64(b[3])<<32 | uint64(b[2])<<40 | uint64(b[1])<<48 | uint64(b[0])<<56
}

// salts pick one bit in each word of a block (the constants of the
// split-block Bloom filter in Apache Parquet's specification).
var salts = [8]uint32{0x47b6137b, 0x44974d91, 0x8824ad5b, 0xa2b7289d, 0x705495c7, 0x2df1424b, 0x9efc4947, 0x5c6bfb31}

// mask returns the bit of word i that key hash h sets.
func mask(h uint64, i int) uint64 { return 1 << (uint32(h) * salts[i] >> 26) }

// blockAt returns the block that hash h selects.
func (f *filter) blockAt(h uint64) *filterBlock {
	hi, _ := bits.Mul64(h, uint64(len(f.blocks)))
	return &f.blocks[hi]
}

func (f *filter) block(h uint64) *filterBlock { return f.blockAt(fmix(h)) }

func (b *filterBlock) set(h uint64) {
	for i := range b {
		b[i] |= mask(h, i)
	}
}

// has tests all eight words without an early exit: a miss then costs one
// well-predicted branch instead of a data-dependent exit from a loop,
// which mispredicts about half the time on a half-full block and throws
// away the work the processor did ahead (the next probes' loads).
func (b *filterBlock) has(h uint64) bool {
	miss := ^b[0]&mask(h, 0) | ^b[1]&mask(h, 1) | ^b[2]&mask(h, 2) | ^b[3]&mask(h, 3) |
		^b[4]&mask(h, 4) | ^b[5]&mask(h, 5) | ^b[6]&mask(h, 6) | ^b[7]&mask(h, 7)
	return miss == 0
}

// quickWord returns the first-level word of h and the two bits h sets
// in it.
func (f *filter) quickWord(h uint64) (*uint64, uint64) {
	g := h * 0x9e3779b97f4a7c15
	i, _ := bits.Mul64(g, uint64(len(f.quick)))
	return &f.quick[i], 1<<(g&63) | 1<<(g>>6&63)
}

func (f *filter) add(h uint64) {
	w, m := f.quickWord(h)
	*w |= m
	f.block(h).set(h)
}

func (f *filter) has(h uint64) bool {
	return f.quickHas(h) && f.block(h).has(h)
}

// quickHas is has's first level alone.
func (f *filter) quickHas(h uint64) bool {
	w, m := f.quickWord(h)
	return *w&m == m
}
