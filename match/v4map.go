package match

// v4Map is a bitmap over IPv4 blocks of 2^shift addresses with a bit set
// wherever an exact IPv4 indicator or an IPv4 CIDR indicator lies. Most
// traffic goes to addresses in no such block, and one bit test answers
// both the exact and the CIDR question for them; the rest go on to the
// address filter (one cache line answering both questions again, at about
// 1% false positives each), and only then to addr4 and bart.
type v4Map struct {
	words []uint64
	shift uint8
}

// newV4Map sizes the bitmap to about 3 bits per value, between a /8 and a
// /24 per bit: at the 1M-indicator mix (350k IPv4 addresses and blocks)
// one bit per /21, 256 KiB, small enough to stay in L2 while events
// stream through it, so that a miss costs no trip to L3. Its false
// positives (about 15%) cost a probe of the address filter. History, all
// at 1M indicators (bench/match.md): one bit per /24 (2 MiB) and no
// filter behind it, 1.93M events per CPU-second; one bit per /22
// (512 KiB), 2.25M; the address filter alone, without the bitmap, no
// better than the /22 bitmap; /21 bitmap plus filter 3.7-4.3M; a /20
// bitmap in front of the filter measured a little slower than the /21.
func newV4Map(values int) v4Map {
	bitsLog := 8
	for bitsLog < 24 && 1<<bitsLog < values*3 {
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
