package tokens

import (
	"sync"
	"time"
)

// cache returns the same token for the same identity and resource
// until it is near expiry, as IMDS does (protocols.md §10).
type cache struct {
	mu      sync.Mutex
	entries map[[2]string]Minted // {object id, resource}
	bytes   int                  // of the keys and tokens in entries
}

// cacheReuseMargin: a cached token is handed out only while it has more
// than this left, so that clients treating "5 min before expiry" as expired
// get a fresh one.
const cacheReuseMargin = 5 * time.Minute

// maxCachedTokens and maxCachedBytes bound the cache: resources are
// caller-chosen strings. When either would be exceeded the cache starts
// over (tokens are minted again), which is simpler than LRU and enough for
// an emulator.
const (
	maxCachedTokens = 10000
	maxCachedBytes  = 16 << 20
)

func entrySize(oid, resource string, t Minted) int { return len(oid) + len(resource) + len(t.Raw) }

func newCache() *cache { return &cache{entries: map[[2]string]Minted{}} }

func (c *cache) get(oid, resource string, now time.Time) (Minted, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.entries[[2]string{oid, resource}]
	if !ok || !now.Before(t.ExpiresAt.Add(-cacheReuseMargin)) || now.Before(t.Issued) {
		return Minted{}, false
	}
	return t, true
}

func (c *cache) put(oid, resource string, t Minted) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := [2]string{oid, resource}
	if old, ok := c.entries[k]; ok {
		c.bytes -= entrySize(oid, resource, old)
		delete(c.entries, k)
	}
	n := entrySize(oid, resource, t)
	if len(c.entries) >= maxCachedTokens || c.bytes+n > maxCachedBytes {
		clear(c.entries)
		c.bytes = 0
	}
	c.entries[k] = t
	c.bytes += n
}

func (c *cache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.bytes = 0
}
