package tokens

import (
	"sync"

	"github.com/golang-jwt/jwt/v5"
)

// verifiedCache remembers the claims of access tokens whose RS256 signature
// was already checked, keyed by the exact token string, so that ARM does not
// verify the same token's signature on every request (a sixth of a list
// page's CPU). Only the signature check is skipped: issuer, audience,
// expiry and identity are checked on every request as before. A token that
// differs in any byte is a different key and is verified from scratch.
type verifiedCache struct {
	mu sync.RWMutex
	m  map[string]jwt.MapClaims // never mutated after insertion
}

// verifiedCacheMax bounds the cache; when full it is emptied (tokens are
// re-verified once), which is simpler than LRU and enough for an emulator.
const verifiedCacheMax = 1024

func (c *verifiedCache) get(raw string) (jwt.MapClaims, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	claims, ok := c.m[raw]
	return claims, ok
}

func (c *verifiedCache) put(raw string, claims jwt.MapClaims) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= verifiedCacheMax {
		c.m = make(map[string]jwt.MapClaims)
	}
	c.m[raw] = claims
}
