package identity

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// The token cache: one entry per resource, read without locks.
//
// Invariants:
//   - c.entries only grows, by copy-on-write under c.mu: a published map is
//     never written, so lookup reads it with one atomic load and no lock.
//   - An entry, once published, stays the entry of its resource; its token
//     pointer (e.tok) is replaced whole, never mutated, so readers see a
//     complete token or none.
//   - At most one fetch per entry is in flight: e.call is set and cleared
//     under e.mu, and e.busy mirrors it so the hot path can skip e.mu.
//   - A fetch is started only under c.mu with c.closed false and counted in
//     c.wg before c.mu is released, so Close (which sets closed under c.mu,
//     then waits on c.wg) never misses one.
//   - e.failures and e.nextTry change only when a fetch ends, under e.mu;
//     nextTry (read lock-free) delays background refreshes after failures.
//
// Lock order: e.mu before c.mu (startFetch takes c.mu while holding e.mu).
// Nothing takes e.mu while holding c.mu, and no lock is held across I/O or
// while waiting for a fetch.

// expiryMargin: a token with less validity than this is treated as expired
// and fetched synchronously (a request with it could fail in flight).
const expiryMargin = 30 * time.Second

// entry caches the token of one resource. tok is read lock-free; mu guards
// call and failures.
type entry struct {
	tok     atomic.Pointer[cachedToken]
	busy    atomic.Bool  // a fetch is in flight (lets the hot path skip mu)
	nextTry atomic.Int64 // UnixNano before which no background refresh starts (after a failure)

	mu       sync.Mutex
	call     *call // in-flight fetch, shared by every waiter
	failures int   // consecutive failed fetches
}

// call is one upstream fetch; done is closed once tok/err are set.
type call struct {
	done chan struct{}
	tok  Token
	err  error
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
	if m := c.entries.Load(); m != nil {
		return (*m)[resource]
	}
	return nil
}

// entryFor returns the entry of resource, creating it (copy-on-write).
func (c *Credential) entryFor(resource string) *entry {
	if e := c.lookup(resource); e != nil {
		return e
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.entries.Load()
	if old != nil {
		if e := (*old)[resource]; e != nil {
			return e
		}
	}
	m := make(map[string]*entry, 1+lenOf(old))
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	e := &entry{}
	m[resource] = e
	c.entries.Store(&m)
	return e
}

func lenOf(m *map[string]*entry) int {
	if m == nil {
		return 0
	}
	return len(*m)
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
		if cl, err = c.startFetch(e, resource, false); err != nil {
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

// refreshInBackground starts one refresh of a still-usable token unless one
// is running or a recent failure asks to wait.
func (c *Credential) refreshInBackground(e *entry, resource string, now time.Time) {
	if e.busy.Load() || now.UnixNano() < e.nextTry.Load() {
		return
	}
	e.mu.Lock()
	if e.call == nil && now.UnixNano() >= e.nextTry.Load() {
		_, _ = c.startFetch(e, resource, true) // only fails when closed
	}
	e.mu.Unlock()
}

// startFetch launches the fetch goroutine. e.mu must be held. The fetch runs
// on the credential's context (not any caller's), bounded by the retry
// budget, and is stopped by Close.
func (c *Credential) startFetch(e *entry, resource string, background bool) (*call, error) {
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		return nil, errClosed
	}
	c.wg.Add(1)
	c.mu.Unlock()

	cl := &call{done: make(chan struct{})}
	e.call = cl
	e.busy.Store(true)
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(c.ctx, c.budget)
		tok, err := c.acquire(ctx, resource)
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
