package lookalike

import (
	"hash/maphash"
	"strings"
	"sync/atomic"

	"golang.org/x/net/publicsuffix"
)

// suffixCache remembers public-suffix answers per host name.
// publicsuffix.PublicSuffix costs a binary search per label and an
// allocation (it tries netip.ParseAddr first); telemetry repeats the same
// host names endlessly, so a direct-mapped, lock-free cache turns it into
// one hash and one compare. Losing a race or an eviction only costs a
// recomputation. The key must be the whole name: the rule tree has
// parent-only nodes (kawasaki.jp under *.kawasaki.jp), so no answer for a
// shorter tail settles a longer name.
type suffixCache struct {
	slots [1 << 14]atomic.Pointer[suffixEntry]
}

type suffixEntry struct {
	key    string
	labels int // labels of key that are public suffix
}

var suffixSeed = maphash.MakeSeed()

// publicSuffix returns the public suffix of name, exactly as
// publicsuffix.PublicSuffix would.
func (c *suffixCache) publicSuffix(name string) string {
	return lastLabels(name, c.labels(name))
}

// labels returns how many trailing labels of key are public suffix.
func (c *suffixCache) labels(key string) int {
	slot := &c.slots[maphash.String(suffixSeed, key)&(uint64(len(c.slots))-1)]
	if e := slot.Load(); e != nil && e.key == key {
		return e.labels
	}
	ps, _ := publicsuffix.PublicSuffix(key)
	n := strings.Count(ps, ".") + 1
	slot.Store(&suffixEntry{key: strings.Clone(key), labels: n})
	return n
}

// lastLabels returns the last n labels of name.
func lastLabels(name string, n int) string {
	i := len(name)
	for ; n > 0; n-- {
		i = strings.LastIndexByte(name[:i], '.')
		if i < 0 {
			return name
		}
	}
	return name[i+1:]
}
