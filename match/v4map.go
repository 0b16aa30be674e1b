package match

// v4Map is a bitmap over IPv4 blocks of 2^shift addresses with a bit set
// wherever an exact IPv4 indicator or an IPv4 CIDR indicator lies. Most
// traffic goes to addresses in no such block, and one bit test answers
// both the exact and the CIDR question for them. BenchmarkMissPath/ipv4
// shows a miss costing a tenth of a map probe plus a bart lookup.
type v4Map struct {
	words []uint64
	shift uint8
}

// newV4Map sizes the bitmap to about 8 bits per value, between a /8 and a
// /24 per bit: at the 1M-indicator mix (350k IPv4 addresses and blocks)
// one bit per /22, 512 KiB, which stays in L2 next to the string filter.
// One bit per /24 (2 MiB, 32 bits per value) answered fewer lookups with
// a false "maybe" but missed the cache on most of them: BenchmarkMatch
// went from 1.93M to 2.25M events per CPU-second with the smaller map,
// Zeek decode+match from 111 to 189 MB per CPU-second (bench/match.md).
func newV4Map(values int) v4Map {
	bitsLog := 8
	for bitsLog < 24 && 1<<bitsLog < values*8 {
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
