package identity

import (
	"context"
	"fmt"
	"hash/maphash"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// The token cache: one entry per resource, read without locks or
// allocations, bounded by entries and bytes.
//
// Layout: the entries are spread over cacheShards maps by a hash of the
// resource; each shard map is copy-on-write, so a hit is one hash, one
// atomic load and one map read, and an insert copies only its shard (about
// maxEntries/cacheShards entries), never the whole cache.
//
// Invariants:
//   - A published shard map is never written: writers copy it under c.mu
//     and publish the copy, so lookup needs no lock.
//   - c.cache.count and c.cache.bytes are the entries in the shard maps and
//     their sizes (entrySize), and stay within maxEntries and maxBytes once
//     each write under c.mu returns; beyond them the least recently used
//     entries are evicted (e.used is refreshed by hits at most once a
//     second, so hits stay read-mostly).
//   - An entry whose fetch failed and which holds no usable token is
//     removed: failed resources are never kept.
//   - An evicted or removed entry (e.cached false) may still be held by
//     callers and its fetch: it keeps working for them, and a success puts
//     it back when its resource has no entry by then.
//   - An entry's token pointer (e.tok) is replaced whole, never mutated, so
//     readers see a complete token or none.
//   - At most one fetch per entry is in flight: e.call is set and cleared
//     under e.mu, and e.busy mirrors it so the hot path can skip e.mu.
//   - A fetch is started only under c.mu with c.closed false and counted in
//     c.wg before c.mu is released, so Close (which sets closed under c.mu,
//     then waits on c.wg) never misses one.
//   - e.failures and e.nextTry change only when a fetch ends, under e.mu;
//     nextTry (read lock-free) delays background refreshes after failures.
//
// Lock order: e.mu before c.mu (startFetch and settle take c.mu while
// holding e.mu). Nothing takes e.mu while holding c.mu (eviction reads only
// atomics and c.mu-guarded fields), and no lock is held across I/O or while
// waiting for a fetch.

const (
	cacheShards = 64 // a power of two

	// defaultMaxEntries and defaultMaxBytes bound one credential's cache. A
	// program uses a handful of resources and a managed-identity token is a
	// few KB; the bounds only stop a caller that asks for unbounded distinct
	// resources (a broker serving many clients) from growing the process.
	defaultMaxEntries = 1024
	defaultMaxBytes   = 4 << 20

	// entryOverhead is counted per entry besides its strings: the entry,
	// its cached token and its map slot.
	entryOverhead = 256

	// touchEvery is how stale e.used may get before a hit rewrites it.
	touchEvery = int64(time.Second)
)

// resourceCache holds the entries; the fields after shards are guarded by
// Credential.mu.
type resourceCache struct {
	seed   maphash.Seed
	shards [cacheShards]atomic.Pointer[map[string]*entry]

	maxEntries int
	maxBytes   int64
	count      int
	bytes      int64
	seq        uint64 // insertion order, breaks ties between equal e.used
	copied     int    // shard slots copied by writes, for the bound test
}

func newResourceCache() resourceCache {
	return resourceCache{seed: maphash.MakeSeed(), maxEntries: defaultMaxEntries, maxBytes: defaultMaxBytes}
}

func (rc *resourceCache) shard(resource string) *atomic.Pointer[map[string]*entry] {
	return &rc.shards[maphash.String(rc.seed, resource)&(cacheShards-1)]
}

// expiryMargin: a token with less validity than this is treated as expired
// and fetched synchronously (a request with it could fail in flight).
const expiryMargin = 30 * time.Second

// entry caches the token of one resource. tok is read lock-free; mu guards
// call and failures; Credential.mu guards cached, size and seq.
type entry struct {
	resource string
	tok      atomic.Pointer[cachedToken]
	busy     atomic.Bool  // a fetch is in flight (lets the hot path skip mu)
	nextTry  atomic.Int64 // UnixNano before which no background refresh starts (after a failure)
	used     atomic.Int64 // UnixNano of a recent use, for eviction

	mu       sync.Mutex
	call     *call // in-flight fetch, shared by every waiter
	failures int   // consecutive failed fetches

	cached bool   // in a shard map
	size   int64  // bytes counted in resourceCache.bytes while cached
	seq    uint64 // insertion order
}

// touch records a use; hits rewrite e.used at most once per touchEvery so
// that concurrent hits on one entry do not contend on its cache line.
func (e *entry) touch(now time.Time) {
	if n := now.UnixNano(); n-e.used.Load() >= touchEvery {
		e.used.Store(n)
	}
}

// entrySize is what an entry counts against maxBytes.
func entrySize(e *entry) int64 {
	n := int64(entryOverhead + len(e.resource))
	if t := e.tok.Load(); t != nil {
		n += int64(len(t.AccessToken) + len(t.Type) + len(t.Resource))
	}
	return n
}

// call is one upstream fetch; done is closed once tok/err are set.
type call struct {
	done     chan struct{}
	tok      Token
	err      error
	revoking bool // asks the host to replace a token (revoke.go)
}

// cachedToken is a cached token with its usable-until time computed once,
// when stored, instead of on every cached read.
type cachedToken struct {
	Token
	usableUntil time.Time // ExpiresOn - expiryMargin
}

func newCachedToken(t Token) *cachedToken {
	return &cachedToken{Token: t, usableUntil: t.ExpiresOn.Add(-expiryMargin)}
}

func usable(t *cachedToken, now time.Time) bool { return now.Before(t.usableUntil) }

// lookup is the lock-free, allocation-free read of the cache.
func (c *Credential) lookup(resource string) *entry {
	if m := c.cache.shard(resource).Load(); m != nil {
		return (*m)[resource]
	}
	return nil
}

// entryFor returns the entry of resource, creating it.
func (c *Credential) entryFor(resource string) *entry {
	if e := c.lookup(resource); e != nil {
		return e
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.lookup(resource); e != nil {
		return e
	}
	e := &entry{resource: resource}
	e.used.Store(c.clock.Now().UnixNano())
	c.insertLocked(e)
	return e
}

// insertLocked publishes e (whose resource has no entry) and evicts what
// the bounds require. c.mu must be held.
func (c *Credential) insertLocked(e *entry) {
	sh := c.cache.shard(e.resource)
	old := sh.Load()
	n := 1
	if old != nil {
		n += len(*old)
	}
	m := make(map[string]*entry, n)
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
		c.cache.copied += len(*old)
	}
	m[e.resource] = e
	sh.Store(&m)
	c.cache.seq++
	e.cached, e.seq, e.size = true, c.cache.seq, entrySize(e)
	c.cache.count++
	c.cache.bytes += e.size
	c.evictLocked(e)
}

// removeLocked unpublishes cached entries, copying each shard they are in
// once. c.mu must be held.
func (c *Credential) removeLocked(es ...*entry) {
	byShard := map[*atomic.Pointer[map[string]*entry]][]*entry{}
	for _, e := range es {
		if e.cached {
			sh := c.cache.shard(e.resource)
			byShard[sh] = append(byShard[sh], e)
		}
	}
	for sh, gone := range byShard {
		old := *sh.Load()
		m := make(map[string]*entry, len(old))
		for k, v := range old {
			m[k] = v
		}
		c.cache.copied += len(old)
		for _, e := range gone {
			delete(m, e.resource)
			e.cached = false
			c.cache.count--
			c.cache.bytes -= e.size
			e.size = 0
		}
		sh.Store(&m)
	}
}

// evictLocked restores the bounds by removing the least recently used
// entries other than keep, down to 7/8 of each bound so that a full cache
// does not evict on every insert; keep goes too if it alone is over the
// byte bound. c.mu must be held.
func (c *Credential) evictLocked(keep *entry) {
	rc := &c.cache
	if rc.count <= rc.maxEntries && rc.bytes <= rc.maxBytes {
		return
	}
	type cand struct {
		e    *entry
		used int64
	}
	var all []cand
	for i := range rc.shards {
		if m := rc.shards[i].Load(); m != nil {
			for _, e := range *m {
				if e != keep {
					all = append(all, cand{e, e.used.Load()})
				}
			}
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].used != all[j].used {
			return all[i].used < all[j].used
		}
		return all[i].e.seq < all[j].e.seq
	})
	wantCount, wantBytes := rc.maxEntries-rc.maxEntries/8, rc.maxBytes-rc.maxBytes/8
	count, bytes := rc.count, rc.bytes
	var gone []*entry
	for _, x := range all {
		if count <= wantCount && bytes <= wantBytes {
			break
		}
		gone = append(gone, x.e)
		count--
		bytes -= x.e.size
	}
	if keep != nil && keep.cached && (bytes > rc.maxBytes || count > rc.maxEntries) {
		gone = append(gone, keep)
	}
	c.removeLocked(gone...)
}

// settle updates the cache after a fetch of e ended: a success is counted
// (and e put back if it was evicted meanwhile and its resource has no
// entry), a failure without a usable token removes e. e.mu must be held.
func (c *Credential) settle(e *entry, ok bool, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := e.tok.Load()
	if !ok && (t == nil || !usable(t, now)) {
		c.removeLocked(e)
		return
	}
	if !ok {
		return
	}
	e.used.Store(now.UnixNano())
	if !e.cached {
		if c.lookup(e.resource) != nil || c.closed.Load() {
			return
		}
		c.insertLocked(e)
		return
	}
	size := entrySize(e)
	c.cache.bytes += size - e.size
	e.size = size
	c.evictLocked(e)
}

// wait joins (or starts) the fetch for resource and waits for it or for ctx.
func (c *Credential) wait(ctx context.Context, resource string, force bool) (Token, error) {
	e := c.entryFor(resource)
	e.mu.Lock()
	if t := e.tok.Load(); !force && t != nil && usable(t, c.clock.Now()) {
		e.mu.Unlock()
		return t.Token, nil
	}
	cl := e.call
	if cl == nil {
		var err error
		if cl, err = c.startFetch(e, resource, false, nil); err != nil {
			e.mu.Unlock()
			return Token{}, err
		}
	}
	e.mu.Unlock()
	select {
	case <-cl.done:
		return cl.tok, cl.err
	case <-ctx.Done():
		return Token{}, fmt.Errorf("identity: gave up waiting for a %s token for %q: %w", c.src.info().Name, resource, ctx.Err())
	}
}

// replace gets a token to replace rejected (the cached token when ""),
// asking the host to replace it (revoke.go). A token already replaced by
// another caller is returned as is; a plain fetch in flight is waited for
// first, since a host with its own cache would answer it with the rejected
// token again.
func (c *Credential) replace(ctx context.Context, resource, rejected string) (Token, error) {
	e := c.entryFor(resource)
	if rejected == "" {
		if t := e.tok.Load(); t != nil {
			rejected = t.AccessToken
		}
	}
	rev := &revocation{}
	if rejected != "" {
		rev.rejectedSHA256 = tokenSHA256Hex(rejected)
	}
	var cl *call
	// A plain fetch in flight is waited for (it may bring a new token), then
	// ours runs; three rounds bound a run of background refreshes.
	for round := 0; round < 3; round++ {
		e.mu.Lock()
		if t := e.tok.Load(); t != nil && rejected != "" && t.AccessToken != rejected && usable(t, c.clock.Now()) {
			e.mu.Unlock()
			return t.Token, nil
		}
		cl = e.call
		if cl == nil {
			var err error
			if cl, err = c.startFetch(e, resource, false, rev); err != nil {
				e.mu.Unlock()
				return Token{}, err
			}
		}
		e.mu.Unlock()
		select {
		case <-cl.done:
		case <-ctx.Done():
			return Token{}, fmt.Errorf("identity: gave up waiting for a %s token to replace a rejected one for %q: %w", c.src.info().Name, resource, ctx.Err())
		}
		if cl.revoking || cl.err != nil {
			break
		}
	}
	return cl.tok, cl.err
}

// refreshInBackground starts one refresh of a still-usable token unless one
// is running or a recent failure asks to wait.
func (c *Credential) refreshInBackground(e *entry, resource string, now time.Time) {
	if e.busy.Load() || now.UnixNano() < e.nextTry.Load() {
		return
	}
	e.mu.Lock()
	if e.call == nil && now.UnixNano() >= e.nextTry.Load() {
		_, _ = c.startFetch(e, resource, true, nil) // only fails when closed
	}
	e.mu.Unlock()
}

// startFetch launches the fetch goroutine. e.mu must be held. The fetch runs
// on the credential's context (not any caller's), bounded by the retry
// budget, and is stopped by Close.
//
// rev, when not nil, makes it a revocation request (replace).
func (c *Credential) startFetch(e *entry, resource string, background bool, rev *revocation) (*call, error) {
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		return nil, errClosed
	}
	c.wg.Add(1)
	c.mu.Unlock()

	cl := &call{done: make(chan struct{}), revoking: rev != nil}
	e.call = cl
	e.busy.Store(true)
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(c.ctx, c.budget)
		tok, err := c.acquire(ctx, resource, rev)
		cancel()
		if err != nil && c.ctx.Err() != nil {
			err = fmt.Errorf("%w (closed while fetching a token for %q)", errClosed, resource)
		}
		now := c.clock.Now()
		e.mu.Lock()
		if err == nil {
			e.tok.Store(newCachedToken(tok))
			e.failures = 0
			e.nextTry.Store(0)
		} else {
			e.failures++
			e.nextTry.Store(now.Add(refreshBackoff(e.failures)).UnixNano())
		}
		c.settle(e, err == nil, now)
		cl.tok, cl.err = tok, err
		e.call = nil
		e.busy.Store(false)
		e.mu.Unlock()
		close(cl.done)
		if err != nil && background {
			c.log.Warn("identity: background token refresh failed; serving the cached token", "source", c.src.info().Name, "resource", resource, "error", err.Error())
		}
	}()
	return cl, nil
}

// refreshBackoff spaces background refresh attempts after failures: 30 s,
// 1 min, 2 min, … capped at 5 min, so a failing endpoint sees no storm.
func refreshBackoff(failures int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < failures && d < 5*time.Minute; i++ {
		d *= 2
	}
	return min(d, 5*time.Minute)
}
