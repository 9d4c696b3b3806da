package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azmsi/azmsi/identity"
)

// Defaults of Options.
const (
	DefaultRefreshAhead  = time.Minute
	DefaultMaxIdentities = 64
	DefaultMaxTokens     = 1024
	DefaultIdleTimeout   = time.Hour
	DefaultRejectTTL     = 30 * time.Second
	DefaultMaxConns      = 2048
	defaultDialTimeout   = 500 * time.Millisecond
)

// Options configures a Broker. The zero value serves every identity of
// the host's managed-identity endpoint within IMDS's documented limits.
type Options struct {
	// Upstream configures the credential the broker creates for each
	// identity: Endpoint (else $AZURE_POD_IDENTITY_AUTHORITY_HOST read
	// through Getenv, else the VM's IMDS), HTTPClient, DialTimeout,
	// RetryBudget, Clock, Logger and Getenv. Its ID is ignored: the ID
	// comes from each client request. The HTTP client's transport (nil →
	// one without proxy that dials with DialTimeout, default 500ms) is
	// wrapped by the broker's rate and concurrency limiter.
	Upstream identity.Options

	// AllowIdentities, when not empty, limits the identities handed out:
	// "system", client or object IDs (GUIDs) and user-assigned identity
	// resource IDs. A request for any other identity is answered 403.
	AllowIdentities []string

	// UpstreamRate is the most upstream token requests started in any one
	// second (default 20, IMDS's documented limit).
	UpstreamRate int
	// UpstreamConcurrency is the most upstream requests in flight
	// (default 5, IMDS's documented limit).
	UpstreamConcurrency int

	// RefreshAhead is how long before a token's RefreshOn the broker
	// refreshes it (default 1 minute, at most half the time between
	// receiving the token and its RefreshOn), so that no client ever waits
	// for a refresh.
	RefreshAhead time.Duration

	// MaxIdentities bounds the credentials the broker creates (default 64):
	// identities are client-chosen. An identity holds a slot for good only
	// once the upstream gave it a token, and loses it after IdleTimeout
	// without a request; identities not yet proven take at most half of
	// the slots, and only while their first request is in flight. A request
	// that finds no slot gets 503 (clients retry it).
	MaxIdentities int
	// IdleTimeout is how long an identity keeps its slot (and its tokens
	// refreshed) without a client request (default 1 hour).
	IdleTimeout time.Duration
	// RejectTTL is how long the upstream's refusal of an identity (a 4xx
	// such as 400 "Identity not found") is answered from memory, without
	// asking again (default 30 s). At most 4×MaxIdentities refusals are
	// remembered.
	RejectTTL time.Duration
	// MaxTokens bounds the identity/resource pairs refreshed ahead and
	// listed in Stats (default 1024). Tokens beyond it are still served,
	// from the credential's cache, but refreshed only on demand.
	MaxTokens int

	// MaxConnections bounds the connections Serve keeps open per listener
	// (default 2048); at the limit the connection idle longest is closed,
	// and with none idle further clients wait in the listen backlog until one
	// closes, so that no number of idle or slow clients exhausts the
	// broker's file descriptors.
	MaxConnections int

	// Logger receives one line per request (peer kind, identity, resource,
	// status, duration) and refresh failures. Tokens are never logged.
	// nil → discard.
	Logger *slog.Logger
}

// Broker is an IMDS-compatible caching token endpoint for one host. It is
// an http.Handler; Serve runs it on a listener. Close stops everything it
// started.
type Broker struct {
	upstream  identity.Options
	allow     allowList
	lim       *limiter
	clock     identity.Clock
	log       *slog.Logger
	ahead     time.Duration
	maxIDs    int
	maxToks   int
	maxConns  int
	idle      time.Duration
	rejectTTL time.Duration
	started   time.Time
	endpoint  string

	ctx    context.Context // cancelled by Close; owns the refresher
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{} // nudges the refresher (buffered, 1)

	mu      sync.Mutex
	closed  bool
	slots   map[string]*slot // by normalized ID
	pending int              // slots not yet proven
	refused map[string]refusal
	pairs   map[pairKey]*pair
	servers map[*http.Server]struct{}

	requests, served, hits, rejected, errs atomic.Int64
	refreshes, refreshFailures, untracked  atomic.Int64
	refusedHits, evicted, openConns        atomic.Int64
}

// slot is one identity's credential. Its fields are guarded by Broker.mu.
type slot struct {
	cred     *identity.Credential
	proven   bool // the upstream gave this identity a token
	inFlight int  // client requests using cred now
	lastUsed time.Time
}

// refusal is a remembered upstream refusal of an identity.
type refusal struct {
	err   *identity.AuthError
	until time.Time
}

type pairKey struct{ id, resource string }

// pair is one identity and resource: its token's metadata (never the token)
// and counters. nextTry, failures, lastErr and refreshing are guarded by
// Broker.mu.
type pair struct {
	id       identity.ID
	resource string
	cred     *identity.Credential
	meta     atomic.Pointer[tokenMeta]
	served   atomic.Int64
	hits     atomic.Int64

	refreshing bool
	nextTry    time.Time
	failures   int
	lastErr    string
}

// tokenMeta is what the broker remembers about a token besides the token.
type tokenMeta struct {
	expiresOn, refreshOn time.Time
	received             time.Time
	issuedAt, notBefore  time.Time // from the JWT; zero when not a JWT
	clientID             string    // appid claim
}

// New validates o and returns a Broker. It does no I/O; the first request
// for an identity creates its credential.
func New(o Options) (*Broker, error) {
	if o.UpstreamRate < 0 || o.UpstreamConcurrency < 0 || o.RefreshAhead < 0 || o.MaxIdentities < 0 || o.MaxTokens < 0 || o.IdleTimeout < 0 || o.RejectTTL < 0 || o.MaxConnections < 0 {
		return nil, errors.New("broker: UpstreamRate, UpstreamConcurrency, RefreshAhead, MaxIdentities, MaxTokens, IdleTimeout, RejectTTL and MaxConnections must not be negative")
	}
	allow, err := parseAllowList(o.AllowIdentities)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	b := &Broker{
		upstream:  o.Upstream,
		allow:     allow,
		clock:     o.Upstream.Clock,
		log:       o.Logger,
		ahead:     o.RefreshAhead,
		maxIDs:    o.MaxIdentities,
		maxToks:   o.MaxTokens,
		idle:      o.IdleTimeout,
		maxConns:  o.MaxConnections,
		rejectTTL: o.RejectTTL,
		wake:      make(chan struct{}, 1),
		slots:     map[string]*slot{},
		refused:   map[string]refusal{},
		pairs:     map[pairKey]*pair{},
		servers:   map[*http.Server]struct{}{},
	}
	b.upstream.ID = identity.ID{}
	if b.clock == nil {
		b.clock = realClock{}
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.ahead == 0 {
		b.ahead = DefaultRefreshAhead
	}
	if b.maxIDs == 0 {
		b.maxIDs = DefaultMaxIdentities
	}
	if b.maxToks == 0 {
		b.maxToks = DefaultMaxTokens
	}
	if b.maxConns == 0 {
		b.maxConns = DefaultMaxConns
	}
	if b.idle == 0 {
		b.idle = DefaultIdleTimeout
	}
	if b.rejectTTL == 0 {
		b.rejectTTL = DefaultRejectTTL
	}
	rate, conc := o.UpstreamRate, o.UpstreamConcurrency
	if rate == 0 {
		rate = DefaultUpstreamRate
	}
	if conc == 0 {
		conc = DefaultUpstreamConcurrency
	}
	var base http.RoundTripper
	if hc := o.Upstream.HTTPClient; hc != nil {
		base = hc.Transport
		if base == nil {
			base = http.DefaultTransport
		}
	} else {
		dt := o.Upstream.DialTimeout
		if dt == 0 {
			dt = defaultDialTimeout
		}
		// Like identity's own client: never a proxy (IMDS must not be
		// proxied), fail fast when nothing listens.
		base = &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: dt, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: conc,
			IdleConnTimeout:     90 * time.Second,
		}
	}
	b.lim = newLimiter(base, rate, conc, b.clock)
	b.upstream.HTTPClient = &http.Client{Transport: b.lim}

	// The system-assigned credential doubles as the check of the upstream
	// configuration (identity.New does no I/O).
	sys, err := identity.New(b.upstream)
	if err != nil {
		return nil, fmt.Errorf("broker: upstream: %w", err)
	}
	b.started = b.clock.Now()
	// The system-assigned identity is the host's own: its slot is never
	// given up (proven from the start, and exempt from idle eviction).
	b.slots[idKey(identity.ID{})] = &slot{cred: sys, proven: true, lastUsed: b.started}
	b.endpoint = sys.Source().Endpoint
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.wg.Add(1)
	go b.refreshLoop()
	return b, nil
}

// Upstream is the base URL of the managed-identity endpoint behind the
// broker.
func (b *Broker) Upstream() string { return b.endpoint }

// ErrClosed is returned once the broker is closed.
var ErrClosed = errors.New("broker: closed")

// idKey normalizes an ID: GUIDs and ARM IDs compare case-insensitively.
func idKey(id identity.ID) string {
	return fmt.Sprintf("%d:%s", id.Kind(), strings.ToLower(id.Value()))
}

// errTooManyIdentities: no slot for another identity.
var errTooManyIdentities = errors.New("the broker serves too many identities already; retry later")

// acquire returns the slot of id for one client request, creating it when
// there is room: a free slot, else the one of the identity idle longest
// (IdleTimeout or more), and for an identity not yet proven, only while
// fewer than half the slots are pending. A refusal the upstream gave for
// id within RejectTTL is returned instead, as the *identity.AuthError it
// was. release must follow.
func (b *Broker) acquire(id identity.ID) (*slot, error) {
	k := idKey(id)
	now := b.clock.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	if s := b.slots[k]; s != nil {
		s.inFlight++
		s.lastUsed = now
		return s, nil
	}
	if r, ok := b.refused[k]; ok {
		if now.Before(r.until) {
			b.refusedHits.Add(1)
			return nil, r.err
		}
		delete(b.refused, k)
	}
	if b.pending >= max(b.maxIDs/2, 1) {
		return nil, errTooManyIdentities
	}
	if len(b.slots) >= b.maxIDs && !b.evictIdleLocked(now, 1) {
		return nil, errTooManyIdentities
	}
	o := b.upstream
	o.ID = id
	c, err := identity.New(o)
	if err != nil {
		return nil, err
	}
	s := &slot{cred: c, inFlight: 1, lastUsed: now}
	b.slots[k] = s
	b.pending++
	return s, nil
}

// release ends a client request on s with the outcome of its token
// request. A token proves the identity. An identity never proven gives its
// slot up once no request uses it, and a 4xx refusal from the upstream is
// remembered for RejectTTL, so that a flood of unknown identities neither
// keeps slots nor reaches the upstream twice per identity.
func (b *Broker) release(id identity.ID, s *slot, tokErr error) {
	k := idKey(id)
	var closeCred *identity.Credential
	b.mu.Lock()
	s.inFlight--
	switch {
	case tokErr == nil:
		if !s.proven {
			s.proven = true
			b.pending--
		}
	case !s.proven && s.inFlight == 0 && b.slots[k] == s:
		delete(b.slots, k)
		b.pending--
		closeCred = s.cred
		var ae *identity.AuthError
		if errors.As(tokErr, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500 && ae.StatusCode != 429 {
			b.rememberRefusalLocked(k, ae)
		}
	}
	b.mu.Unlock()
	if closeCred != nil {
		_ = closeCred.Close()
	}
}

// rememberRefusalLocked records a refusal, dropping the one nearest its
// end when 4×MaxIdentities are remembered. b.mu is held.
func (b *Broker) rememberRefusalLocked(k string, ae *identity.AuthError) {
	now := b.clock.Now()
	if len(b.refused) >= 4*b.maxIDs {
		var oldest string
		var at time.Time
		for key, r := range b.refused {
			if oldest == "" || r.until.Before(at) {
				oldest, at = key, r.until
			}
		}
		delete(b.refused, oldest)
	}
	e := *ae
	b.refused[k] = refusal{err: &e, until: now.Add(b.rejectTTL)}
}

// evictIdleLocked gives up the slots of proven identities (never the
// system-assigned one) that no request used for IdleTimeout, oldest first,
// at most n of them (n < 0: all), with their tracked tokens; it reports
// whether it gave any up. b.mu is held; the credentials are closed in the
// background by the broker's wait group.
func (b *Broker) evictIdleLocked(now time.Time, n int) bool {
	sys := idKey(identity.ID{})
	type cand struct {
		k string
		s *slot
	}
	var cands []cand
	for k, s := range b.slots {
		if k == sys || !s.proven || s.inFlight > 0 || now.Sub(s.lastUsed) < b.idle || b.refreshingLocked(s) {
			continue
		}
		cands = append(cands, cand{k, s})
	}
	if len(cands) == 0 {
		return false
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].s.lastUsed.Before(cands[j].s.lastUsed) })
	if n >= 0 && len(cands) > n {
		cands = cands[:n]
	}
	var creds []*identity.Credential
	for _, c := range cands {
		delete(b.slots, c.k)
		for pk, p := range b.pairs {
			if p.cred == c.s.cred {
				delete(b.pairs, pk)
			}
		}
		creds = append(creds, c.s.cred)
		b.evicted.Add(1)
	}
	// Closing waits for the credential's background work: not under b.mu.
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for _, c := range creds {
			_ = c.Close()
		}
	}()
	return true
}

// refreshingLocked reports whether a proactive refresh uses s's
// credential now. b.mu is held.
func (b *Broker) refreshingLocked(s *slot) bool {
	for _, p := range b.pairs {
		if p.cred == s.cred && p.refreshing {
			return true
		}
	}
	return false
}

// token gets a token for id and resource from id's credential (its cache,
// single-flight and on-demand refresh), and records its metadata. hit
// reports that the token was already known to the broker, i.e. served from
// cache rather than fetched for this request.
func (b *Broker) token(ctx context.Context, id identity.ID, resource string) (tok identity.Token, m *tokenMeta, hit bool, err error) {
	s, err := b.acquire(id)
	if err != nil {
		return identity.Token{}, nil, false, err
	}
	defer func() { b.release(id, s, err) }()
	cred := s.cred
	key := pairKey{idKey(id), resource}
	b.mu.Lock()
	p := b.pairs[key]
	b.mu.Unlock()
	var prev *tokenMeta
	if p != nil {
		prev = p.meta.Load()
	}
	tok, err = cred.Token(ctx, resource)
	if err != nil {
		return identity.Token{}, nil, false, err
	}
	hit = prev != nil && prev.expiresOn.Equal(tok.ExpiresOn)
	if p == nil {
		p = b.track(key, id, resource, cred)
	}
	if p != nil {
		m = p.observe(tok, b.clock.Now(), b.nudge)
		p.served.Add(1)
		if hit {
			p.hits.Add(1)
		}
	} else {
		b.untracked.Add(1)
		m = newMeta(tok, b.clock.Now())
	}
	return tok, m, hit, nil
}

// track registers a pair for proactive refresh and stats, or returns nil
// when MaxTokens pairs are tracked already.
func (b *Broker) track(key pairKey, id identity.ID, resource string, cred *identity.Credential) *pair {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p := b.pairs[key]; p != nil {
		return p
	}
	if len(b.pairs) >= b.maxToks || b.closed {
		return nil
	}
	p := &pair{id: id, resource: resource, cred: cred}
	b.pairs[key] = p
	return p
}

// observe records tok as the pair's current token when it is new and
// returns the current metadata; onNew is called for a new token.
func (p *pair) observe(tok identity.Token, now time.Time, onNew func()) *tokenMeta {
	for {
		old := p.meta.Load()
		if old != nil && old.expiresOn.Equal(tok.ExpiresOn) {
			return old
		}
		if old != nil && old.expiresOn.After(tok.ExpiresOn) {
			// A slower request finishing after a refresh: keep the newer.
			return newMeta(tok, now)
		}
		m := newMeta(tok, now)
		if p.meta.CompareAndSwap(old, m) {
			onNew()
			return m
		}
	}
}

func newMeta(tok identity.Token, now time.Time) *tokenMeta {
	m := &tokenMeta{expiresOn: tok.ExpiresOn, refreshOn: tok.RefreshOn, received: now}
	if c, err := identity.ParseClaims(tok.AccessToken); err == nil {
		m.issuedAt, m.notBefore, m.clientID = c.IssuedAt, c.NotBefore, c.AppID
	}
	return m
}

// nudge wakes the refresher to reconsider its schedule.
func (b *Broker) nudge() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Shutdown stops accepting connections, waits for requests in flight
// (until ctx is done), then closes the broker.
func (b *Broker) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	srvs := make([]*http.Server, 0, len(b.servers))
	for s := range b.servers {
		srvs = append(srvs, s)
	}
	b.mu.Unlock()
	var first error
	for _, s := range srvs {
		if err := s.Shutdown(ctx); err != nil && first == nil {
			first = err
		}
	}
	if err := b.Close(); err != nil && first == nil {
		first = err
	}
	return first
}

// Close stops the servers started by Serve, the refresher and every
// credential, and waits for them. It is idempotent.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	srvs := b.servers
	b.servers = map[*http.Server]struct{}{}
	slots := b.slots
	b.mu.Unlock()

	b.cancel()
	for s := range srvs {
		_ = s.Close()
	}
	for _, s := range slots {
		_ = s.cred.Close()
	}
	b.wg.Wait()
	return nil
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
