package taxii

import (
	"net/http"
	"sync"
)

// Generational is a Backend that can say when what it serves changed:
// Generation returns a new value after every change. The server caches the
// pages it built for such backends until the generation moves on.
type Generational interface {
	Generation() uint64
}

// Page cache bounds: past either, the cache starts afresh.
const (
	maxCachedPages     = 4096
	maxCachedPageBytes = 64 << 20
)

// pageCache keeps finished objects and manifest responses per token and
// URL, for one backend generation. Pages are per token because paging
// tokens (next) are bound to the token, and what a token sees depends on
// its clearance and collections.
type pageCache struct {
	mu    sync.Mutex
	gen   uint64
	bytes int
	pages map[string]*cachedPage
}

type cachedPage struct {
	body        []byte
	first, last string // X-TAXII-Date-Added-First/Last, "" when the page is empty
}

// get returns the page under key when it was built in generation gen.
func (c *pageCache) get(gen uint64, key string) *cachedPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		c.gen, c.bytes, c.pages = gen, 0, nil
		return nil
	}
	return c.pages[key]
}

// put keeps a page built from what the backend held at generation gen.
func (c *pageCache) put(gen uint64, key string, p *cachedPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return // the backend changed since: the page may be stale
	}
	size := len(key) + len(p.body) + 64
	if size > maxCachedPageBytes/16 {
		return
	}
	if c.pages == nil || len(c.pages) >= maxCachedPages || c.bytes+size > maxCachedPageBytes {
		c.pages, c.bytes = map[string]*cachedPage{}, 0
	}
	c.pages[key] = p
	c.bytes += size
}

func (p *cachedPage) write(w http.ResponseWriter) error {
	if p.first != "" {
		w.Header().Set("X-TAXII-Date-Added-First", p.first)
		w.Header().Set("X-TAXII-Date-Added-Last", p.last)
	}
	return writeRaw(w, http.StatusOK, p.body)
}
