package taxii

import (
	"fmt"
	"testing"
)

func TestPageCacheBounds(t *testing.T) {
	var c pageCache
	if c.get(1, "a") != nil {
		t.Fatal("empty cache returned a page")
	}
	p := &cachedPage{body: []byte("{}")}
	c.put(1, "a", p)
	if c.get(1, "a") != p {
		t.Fatal("page not kept")
	}
	// A page built before the backend changed is not kept under the new generation.
	if c.get(2, "a") != nil {
		t.Fatal("page of generation 1 served in generation 2")
	}
	c.put(1, "b", p)
	if c.get(2, "b") != nil {
		t.Fatal("stale page stored")
	}
	for i := range maxCachedPages + 10 {
		c.put(2, fmt.Sprint(i), p)
		if len(c.pages) > maxCachedPages || c.bytes > maxCachedPageBytes {
			t.Fatalf("cache past its bounds: %d pages, %d bytes", len(c.pages), c.bytes)
		}
	}
	big := &cachedPage{body: make([]byte, maxCachedPageBytes/20)}
	for i := range 45 {
		c.put(2, fmt.Sprint("big", i), big)
		if c.bytes > maxCachedPageBytes {
			t.Fatalf("cache holds %d bytes, over %d", c.bytes, maxCachedPageBytes)
		}
		if c.get(2, fmt.Sprint("big", i)) != big {
			t.Fatalf("page %d not kept", i)
		}
	}
	huge := &cachedPage{body: make([]byte, maxCachedPageBytes/8)}
	c.put(2, "huge", huge)
	if c.get(2, "huge") != nil {
		t.Fatal("a page over a sixteenth of the cache was kept")
	}
}
