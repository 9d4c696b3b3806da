package broker

import (
	"sort"
	"time"
)

// Stats describes the broker's work. It never holds a token.
type Stats struct {
	StartedAt time.Time `json:"startedAt"`
	Upstream  string    `json:"upstream"` // base URL of the managed-identity endpoint

	Requests      int64 `json:"requests"`      // every HTTP request received
	ClientsServed int64 `json:"clientsServed"` // token requests answered with a token
	CacheHits     int64 `json:"cacheHits"`     // … of which with a token the broker already had
	Rejected      int64 `json:"rejected"`      // refused by the broker (peer, headers, query, allow list)
	Errors        int64 `json:"errors"`        // upstream errors passed on to clients

	UpstreamRequests     int64   `json:"upstreamRequests"`     // HTTP requests sent upstream
	UpstreamFailures     int64   `json:"upstreamFailures"`     // … that failed or answered an error
	ThrottledWaits       int64   `json:"throttledWaits"`       // upstream requests delayed by the limiter
	ThrottledWaitSeconds float64 `json:"throttledWaitSeconds"` // total delay
	MaxUpstreamInFlight  int64   `json:"maxUpstreamInFlight"`
	UpstreamRate         int     `json:"upstreamRate"`        // limit: starts per second
	UpstreamConcurrency  int     `json:"upstreamConcurrency"` // limit: requests in flight

	Refreshes       int64 `json:"refreshes"`       // proactive refreshes done
	RefreshFailures int64 `json:"refreshFailures"` // … failed (the cached token stays in use)
	Untracked       int64 `json:"untracked"`       // tokens served beyond MaxTokens pairs

	OpenConnections int64 `json:"openConnections"` // client connections open now

	Identities        int   `json:"identities"`        // identities holding a slot
	PendingIdentities int   `json:"pendingIdentities"` // … of which not yet given a token upstream
	EvictedIdentities int64 `json:"evictedIdentities"` // slots given up after IdleTimeout
	RefusedIdentities int   `json:"refusedIdentities"` // upstream refusals remembered now
	RefusalsReplayed  int64 `json:"refusalsReplayed"`  // requests answered with a remembered refusal

	Tokens []TokenStats `json:"tokens"`
}

// TokenStats is one identity and resource.
type TokenStats struct {
	Identity  string `json:"identity"` // e.g. "system-assigned", "client ID 2222…"
	Resource  string `json:"resource"`
	Served    int64  `json:"served"`
	CacheHits int64  `json:"cacheHits"`

	IssuedAt         time.Time `json:"issuedAt,omitzero"` // iat claim; zero when not a JWT
	ReceivedAt       time.Time `json:"receivedAt"`
	ExpiresOn        time.Time `json:"expiresOn"`
	RefreshOn        time.Time `json:"refreshOn"`
	AgeSeconds       float64   `json:"ageSeconds"` // since issued (else received)
	ExpiresInSeconds float64   `json:"expiresInSeconds"`
	NextRefresh      time.Time `json:"nextRefresh"`

	RefreshFailures  int    `json:"refreshFailures,omitempty"` // consecutive
	LastRefreshError string `json:"lastRefreshError,omitempty"`
}

// Stats returns a snapshot of the counters and of every tracked token's
// timing, sorted by identity and resource.
func (b *Broker) Stats() Stats {
	now := b.clock.Now()
	s := Stats{
		StartedAt:            b.started,
		Upstream:             b.endpoint,
		Requests:             b.requests.Load(),
		ClientsServed:        b.served.Load(),
		CacheHits:            b.hits.Load(),
		Rejected:             b.rejected.Load(),
		Errors:               b.errs.Load(),
		UpstreamRequests:     b.lim.requests.Load(),
		UpstreamFailures:     b.lim.failures.Load(),
		ThrottledWaits:       b.lim.throttled.Load(),
		ThrottledWaitSeconds: time.Duration(b.lim.waitNanos.Load()).Seconds(),
		MaxUpstreamInFlight:  b.lim.maxInFlight.Load(),
		UpstreamRate:         b.lim.rate,
		UpstreamConcurrency:  cap(b.lim.concurrency),
		Refreshes:            b.refreshes.Load(),
		RefreshFailures:      b.refreshFailures.Load(),
		Untracked:            b.untracked.Load(),
		OpenConnections:      b.openConns.Load(),
		Tokens:               []TokenStats{},
	}
	b.mu.Lock()
	s.Identities, s.PendingIdentities, s.RefusedIdentities = len(b.slots), b.pending, len(b.refused)
	s.EvictedIdentities, s.RefusalsReplayed = b.evicted.Load(), b.refusedHits.Load()
	for _, p := range b.pairs {
		m := p.meta.Load()
		if m == nil {
			continue
		}
		ts := TokenStats{
			Identity:         p.id.String(),
			Resource:         p.resource,
			Served:           p.served.Load(),
			CacheHits:        p.hits.Load(),
			IssuedAt:         m.issuedAt,
			ReceivedAt:       m.received,
			ExpiresOn:        m.expiresOn,
			RefreshOn:        m.refreshOn,
			ExpiresInSeconds: max(m.expiresOn.Sub(now).Seconds(), 0),
			NextRefresh:      b.dueAt(p, m),
			RefreshFailures:  p.failures,
			LastRefreshError: p.lastErr,
		}
		born := m.issuedAt
		if born.IsZero() {
			born = m.received
		}
		ts.AgeSeconds = max(now.Sub(born).Seconds(), 0)
		s.Tokens = append(s.Tokens, ts)
	}
	b.mu.Unlock()
	sort.Slice(s.Tokens, func(i, j int) bool {
		if s.Tokens[i].Identity != s.Tokens[j].Identity {
			return s.Tokens[i].Identity < s.Tokens[j].Identity
		}
		return s.Tokens[i].Resource < s.Tokens[j].Resource
	})
	return s
}
