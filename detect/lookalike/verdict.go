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
//
// Most names are not look-alikes, and a name seen for the first time must
// not cost an allocation: a "no" is kept as the name's 64-bit hash in an
// atomic word (a different name with the same hash in the same slot, about
// one chance in 2^50 per lookup, would be answered "no" in error). A "yes"
// keeps the name and the Find behind a pointer.
type verdictCache struct {
	no  [1 << 14]atomic.Uint64
	yes [1 << 12]atomic.Pointer[verdict]
}

type verdict struct {
	key  string
	find Find // Domain is left empty: the caller's spelling is filled in
}

var verdictSeed = maphash.MakeSeed()

// lookup returns the remembered verdict for name: known reports whether
// there is one.
func (c *verdictCache) lookup(name string, h uint64) (f Find, ok, known bool) {
	if c.no[h&(uint64(len(c.no))-1)].Load() == h|1 {
		return Find{}, false, true
	}
	if e := c.yes[h&(uint64(len(c.yes))-1)].Load(); e != nil && e.key == name {
		return e.find, true, true
	}
	return Find{}, false, false
}

// store remembers a verdict; only a "yes" allocates.
func (c *verdictCache) store(name string, h uint64, f Find, ok bool) {
	if !ok {
		// h|1 is never zero, the empty slot.
		c.no[h&(uint64(len(c.no))-1)].Store(h | 1)
		return
	}
	c.yes[h&(uint64(len(c.yes))-1)].Store(&verdict{key: name, find: f})
}

func hashName(name string) uint64 { return maphash.String(verdictSeed, name) }
