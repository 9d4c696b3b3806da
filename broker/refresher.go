package broker

import (
	"time"

	"github.com/azmsi/azmsi/identity"
)

const (
	// minRefreshGap spaces successful refreshes of one pair: an upstream
	// that hands back its own cached token (IMDS does) yields a RefreshOn
	// that can already be due, and the broker must not spin on it.
	minRefreshGap = 30 * time.Second
	// idleWait is the longest the refresher sleeps without being nudged.
	idleWait = time.Hour
)

// refreshLoop refreshes every tracked token ahead of its RefreshOn, so
// that clients are always answered from the cache. It runs until Close.
func (b *Broker) refreshLoop() {
	defer b.wg.Done()
	for {
		now := b.clock.Now()
		next := now.Add(idleWait)
		var due []*pair
		b.mu.Lock()
		for _, p := range b.pairs {
			m := p.meta.Load()
			if m == nil || p.refreshing {
				continue
			}
			at := b.dueAt(p, m)
			if !now.Before(at) {
				p.refreshing = true
				due = append(due, p)
			} else if at.Before(next) {
				next = at
			}
		}
		if !b.closed {
			b.wg.Add(len(due))
			b.evictIdleLocked(now, -1)
			if at := b.nextIdleLocked(); !at.IsZero() && at.Before(next) {
				// A slot in use past its idle time is looked at again a
				// minute later, not in a spin.
				if soon := now.Add(time.Minute); at.Before(soon) {
					at = soon
				}
				if at.Before(next) {
					next = at
				}
			}
		} else {
			due = nil
		}
		b.mu.Unlock()
		for _, p := range due {
			go b.refresh(p)
		}
		select {
		case <-b.ctx.Done():
			return
		case <-b.wake:
		case <-b.clock.After(next.Sub(now)):
		}
	}
}

// nextIdleLocked is when the next proven identity reaches IdleTimeout, or
// zero. b.mu is held.
func (b *Broker) nextIdleLocked() time.Time {
	var at time.Time
	for k, s := range b.slots {
		if k == idKey(identity.ID{}) || !s.proven {
			continue
		}
		if t := s.lastUsed.Add(b.idle); at.IsZero() || t.Before(at) {
			at = t
		}
	}
	return at
}

// dueAt is when p's token is refreshed: RefreshAhead before its RefreshOn,
// but no earlier than half-way from receiving it to RefreshOn, nor before
// p.nextTry (spacing and failure backoff). b.mu is held.
func (b *Broker) dueAt(p *pair, m *tokenMeta) time.Time {
	ahead := min(b.ahead, m.refreshOn.Sub(m.received)/2)
	at := m.refreshOn.Add(-ahead)
	if at.Before(p.nextTry) {
		at = p.nextTry
	}
	return at
}

// refresh fetches a new token for p, bypassing the cache. Clients keep
// getting the cached token meanwhile; on failure it stays in use while it
// is valid (the credential keeps it) and the refresh is retried with
// backoff.
func (b *Broker) refresh(p *pair) {
	defer b.wg.Done()
	tok, err := p.cred.TokenWithOptions(b.ctx, p.resource, identity.TokenOptions{ForceRefresh: true})
	now := b.clock.Now()
	b.mu.Lock()
	p.refreshing = false
	if err != nil {
		p.failures++
		p.nextTry = now.Add(refreshBackoff(p.failures))
		p.lastErr = err.Error() // identity errors never hold a token
	} else {
		p.failures = 0
		p.nextTry = now.Add(minRefreshGap)
		p.lastErr = ""
	}
	b.mu.Unlock()
	if err != nil {
		if b.ctx.Err() == nil {
			b.refreshFailures.Add(1)
			b.log.Warn("azmsi broker: token refresh failed; serving the cached token while it is valid",
				"identity", p.id.String(), "resource", p.resource, "error", err.Error())
		}
	} else {
		b.refreshes.Add(1)
		p.observe(tok, now, func() {})
	}
	b.nudge()
}

// refreshBackoff spaces retries of a failing refresh: 10 s, 20 s, 40 s, …
// capped at 5 minutes.
func refreshBackoff(failures int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < failures && d < 5*time.Minute; i++ {
		d *= 2
	}
	return min(d, 5*time.Minute)
}
