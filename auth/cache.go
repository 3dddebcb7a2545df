package auth

import (
	"bytes"
	"crypto/sha256"
	"sync"
	"time"
)

// entry is a successful verification.
type entry struct {
	id    Identity
	kid   string    // JWKS key that signed the token; "" for HS256
	until time.Time // the token's exp plus Leeway
}

// identity returns a copy of the cached identity whose claims the caller may keep or
// modify without touching the cache.
func (e entry) identity() Identity {
	id := e.id
	id.Claims = bytes.Clone(id.Claims)
	return id
}

// resultCache holds successful verifications by token hash, up to limit entries.
type resultCache struct {
	limit int

	mu      sync.Mutex
	entries map[[sha256.Size]byte]entry
}

func newResultCache(limit int) *resultCache {
	return &resultCache{limit: limit, entries: make(map[[sha256.Size]byte]entry)}
}

func (c *resultCache) get(sum [sha256.Size]byte, now time.Time) (entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[sum]
	if !ok || !now.Before(e.until) {
		return entry{}, false
	}
	return e, true
}

func (c *resultCache) put(sum [sha256.Size]byte, e entry, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.limit {
		for k, old := range c.entries {
			if !now.Before(old.until) {
				delete(c.entries, k)
			}
		}
		// Still full of live tokens: drop an arbitrary tenth, so this sweep runs at
		// most once per limit/10 insertions.
		for k := range c.entries {
			if len(c.entries) < c.limit-c.limit/10 {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[sum] = e
}
