package match

import (
	"hash/maphash"
	"math/bits"
)

// filter is a split-block Bloom filter in front of the hash maps. Almost
// every lookup on real traffic misses, and a miss in a map of hundreds of
// thousands of entries costs a trip to DRAM; the filter, at 12 bits per
// value, stays in L2/L3 and answers most misses with one cache line.
// BenchmarkMatch with and without it (see bench/match.md) is the reason
// it exists.
type filter struct {
	blocks []filterBlock
	seed   maphash.Seed
	mix    uint64 // seeds the integer hashes, so intel cannot aim collisions
}

type filterBlock [8]uint64

const filterBitsPerKey = 12

// Hash tags keep equal bytes of different families apart.
const (
	tagIPv4 uint64 = iota + 1
	tagIPv6
	tagDomain
	tagURL
	tagEmail
	tagCookie
	tagUserAgent
	tagJA4
	tagSerial
	tagFileName
	tagMD5
	tagJA3
	tagJA3S
	tagSHA1
	tagCertSHA1
	tagSHA256
	tagCertSHA256
)

func newFilter(keys int) filter {
	n := (keys*filterBitsPerKey + 511) / 512
	return filter{blocks: make([]filterBlock, max(n, 1)), seed: maphash.MakeSeed(), mix: maphash.Comparable(maphash.MakeSeed(), 0)}
}

// fmix is MurmurHash3's 64-bit finaliser: every input bit reaches every
// output bit, which the block index and the bit positions both need.
func fmix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

func (f *filter) hashUint(tag, v uint64) uint64 { return fmix(v ^ f.mix ^ tag<<56) }

func (f *filter) hash16(tag uint64, b *[16]byte) uint64 {
	lo := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 | uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
	hi := uint64(b[8]) | uint64(b[9])<<8 | uint64(b[10])<<16 | uint64(b[11])<<24 | uint64(b[12])<<32 | uint64(b[13])<<40 | uint64(b[14])<<48 | uint64(b[15])<<56
	return fmix(fmix(lo^f.mix^tag<<56) ^ hi)
}

func (f *filter) hashString(tag uint64, s string) uint64 {
	return maphash.String(f.seed, s) ^ tag*0x9e3779b97f4a7c15
}

func (f *filter) hashBytes(tag uint64, b []byte) uint64 {
	return maphash.Bytes(f.seed, b) ^ tag*0x9e3779b97f4a7c15
}

// salts pick one bit in each word of a block (from Parquet's SBBF).
var salts = [8]uint64{0x47b6137b, 0x44974d91, 0x8824ad5b, 0xa2b7289d, 0x705495c7, 0x2df1424b, 0x9efc4947, 0x5c6bfb31}

func (f *filter) block(h uint64) *filterBlock {
	hi, _ := bits.Mul64(fmix(h), uint64(len(f.blocks)))
	return &f.blocks[hi]
}

func (f *filter) add(h uint64) {
	b := f.block(h)
	x := h & 0xffffffff
	for i := range b {
		b[i] |= 1 << ((x * salts[i] & 0xffffffff) >> 26)
	}
}

func (f *filter) has(h uint64) bool {
	b := f.block(h)
	x := h & 0xffffffff
	for i := range b {
		if b[i]&(1<<((x*salts[i]&0xffffffff)>>26)) == 0 {
			return false
		}
	}
	return true
}

// v4Map is a bitmap over IPv4 blocks of 2^shift addresses with a bit set
// wherever an exact IPv4 indicator or an IPv4 CIDR indicator lies. Most
// traffic goes to addresses in no such block, and one bit test answers
// both the exact and the CIDR question for them; at a million indicators
// the map is 2 MiB, one bit per /24.
type v4Map struct {
	words []uint64
	shift uint8
}

// newV4Map sizes the bitmap to about 32 bits per value, between a /8 and
// a /24 per bit.
func newV4Map(values int) v4Map {
	bitsLog := 8
	for bitsLog < 24 && 1<<bitsLog < values*32 {
		bitsLog++
	}
	return v4Map{words: make([]uint64, (1<<bitsLog)/64+1), shift: uint8(32 - bitsLog)}
}

func (m *v4Map) addAddr(a uint32) {
	i := a >> m.shift
	m.words[i/64] |= 1 << (i % 64)
}

// addPrefix marks every block that overlaps the prefix a/bits.
func (m *v4Map) addPrefix(a uint32, bits int) {
	first := a >> m.shift
	last := first
	if host := 32 - bits; host > int(m.shift) {
		last = (a | (1<<host - 1)) >> m.shift
	}
	for i := first; i <= last; i++ {
		m.words[i/64] |= 1 << (i % 64)
	}
}

func (m *v4Map) has(a uint32) bool {
	i := a >> m.shift
	return m.words[i/64]&(1<<(i%64)) != 0
}
