package match

import "github.com/umbra-cti/umbra/telemetry/event"

// Matcher matches events against one snapshot, as Snapshot.Match and
// MatchAppend do, and remembers the addresses that recently matched
// nothing. Traffic repeats its hosts (RITA's real cluster logs: 18
// originators and 772 responders in 7,260 conn records), and an address
// that passes the snapshot's IPv4 bitmap, or any IPv6 address, costs two
// or three filter probes, each a likely cache miss, every time it is
// seen; a remembered one costs one lookup in a small table that stays in
// L1/L2. Addresses with a hit are never remembered, so every hit is
// reported as without a Matcher. A Matcher is not safe for concurrent
// use; each goroutine that matches takes its own.
type Matcher struct {
	s      *Snapshot
	recent recentAddrs
}

// NewMatcher returns a Matcher over s.
func (s *Snapshot) NewMatcher() *Matcher { return &Matcher{s: s} }

// Snapshot returns the snapshot m matches against.
func (m *Matcher) Snapshot() *Snapshot { return m.s }

// Match calls fn for every indicator hit in ev. It does not allocate.
func (m *Matcher) Match(ev *event.Event, fn func(Hit)) {
	k := sink{fn: fn, recent: &m.recent}
	m.s.match(ev, &k)
}

// MatchAppend appends every indicator hit in ev to dst and returns the
// extended slice. It does not allocate while dst has room.
func (m *Matcher) MatchAppend(dst []Hit, ev *event.Event) []Hit {
	k := sink{dst: dst, recent: &m.recent}
	m.s.match(ev, &k)
	return k.dst
}

// recentBits sizes the memory: 4,096 addresses, 96 KiB.
const recentBits = 12

// recentAddrs is a direct-mapped table of addresses (as 16 bytes, IPv4
// mapped) that matched nothing.
type recentAddrs [1 << recentBits]recentSlot

type recentSlot struct {
	hi, lo uint64
	set    bool
}

func (r *recentAddrs) slot(hi, lo uint64) *recentSlot {
	return &r[(hi*0x9e3779b97f4a7c15^lo)*0xbf58476d1ce4e5b9>>(64-recentBits)]
}
