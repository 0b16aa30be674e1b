package lookalike

import (
	"hash/maphash"
	"sync/atomic"
)

// verdictCache remembers Check's answer per normalised name. DNS, TLS and
// HTTP telemetry repeat the same host names endlessly, so most calls are
// answered by one hash and one compare. It is direct-mapped and lock-free:
// a lost race or an eviction only costs recomputing a verdict, and the
// Detector is immutable, so a verdict never goes stale.
type verdictCache struct {
	slots [1 << 14]atomic.Pointer[verdict]
}

type verdict struct {
	key  string
	find Find // Domain is left empty: the caller's spelling is filled in
	ok   bool
}

var verdictSeed = maphash.MakeSeed()

func (c *verdictCache) slot(name string) *atomic.Pointer[verdict] {
	return &c.slots[maphash.String(verdictSeed, name)&(uint64(len(c.slots))-1)]
}
