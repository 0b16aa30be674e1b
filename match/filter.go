package match

import (
	"hash/maphash"
	"math/bits"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// filter is a split-block Bloom filter in front of the string-keyed maps
// (domains, URLs, user-agents, ...). Almost every value on real traffic
// misses, and a domain costs a lookup per label-boundary suffix; a miss in
// a map of hundreds of thousands of strings is a trip to DRAM, while the
// filter, at 10 bits per value (about 0.5 MiB at 450k values), mostly
// stays in cache and answers a miss from one cache line.
// BenchmarkMissPath/domain and BenchmarkMatchKind measure it.
type filter struct {
	blocks []filterBlock
	seed   maphash.Seed // per snapshot, so intel cannot aim collisions
}

type filterBlock [8]uint64

const filterBitsPerKey = 10

func newFilter(keys int) filter {
	n := (keys*filterBitsPerKey + 511) / 512
	return filter{blocks: make([]filterBlock, max(n, 1)), seed: maphash.MakeSeed()}
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

// salts pick one bit in each word of a block (the constants of the
// split-block Bloom filter in Apache Parquet's specification).
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
