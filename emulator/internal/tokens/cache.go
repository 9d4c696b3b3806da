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
}

// cacheReuseMargin: a cached token is handed out only while it has more
// than this left, so that clients treating "5 min before expiry" as expired
// get a fresh one.
const cacheReuseMargin = 5 * time.Minute

// maxCachedTokens bounds the cache; resources are caller-chosen strings.
const maxCachedTokens = 10000

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
	if len(c.entries) >= maxCachedTokens {
		clear(c.entries)
	}
	c.entries[[2]string{oid, resource}] = t
}

func (c *cache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}
