package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
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
	// identities are client-chosen. Requests for more get 503.
	MaxIdentities int
	// MaxTokens bounds the identity/resource pairs refreshed ahead and
	// listed in Stats (default 1024). Tokens beyond it are still served,
	// from the credential's cache, but refreshed only on demand.
	MaxTokens int

	// Logger receives one line per request (peer kind, identity, resource,
	// status, duration) and refresh failures. Tokens are never logged.
	// nil → discard.
	Logger *slog.Logger
}

// Broker is an IMDS-compatible caching token endpoint for one host. It is
// an http.Handler; Serve runs it on a listener. Close stops everything it
// started.
type Broker struct {
	upstream identity.Options
	allow    allowList
	lim      *limiter
	clock    identity.Clock
	log      *slog.Logger
	ahead    time.Duration
	maxIDs   int
	maxToks  int
	started  time.Time
	endpoint string

	ctx    context.Context // cancelled by Close; owns the refresher
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{} // nudges the refresher (buffered, 1)

	mu      sync.Mutex
	closed  bool
	creds   map[string]*identity.Credential // by normalized ID
	pairs   map[pairKey]*pair
	servers map[*http.Server]struct{}

	requests, served, hits, rejected, errs atomic.Int64
	refreshes, refreshFailures, untracked  atomic.Int64
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
	if o.UpstreamRate < 0 || o.UpstreamConcurrency < 0 || o.RefreshAhead < 0 || o.MaxIdentities < 0 || o.MaxTokens < 0 {
		return nil, errors.New("broker: UpstreamRate, UpstreamConcurrency, RefreshAhead, MaxIdentities and MaxTokens must not be negative")
	}
	allow, err := parseAllowList(o.AllowIdentities)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	b := &Broker{
		upstream: o.Upstream,
		allow:    allow,
		clock:    o.Upstream.Clock,
		log:      o.Logger,
		ahead:    o.RefreshAhead,
		maxIDs:   o.MaxIdentities,
		maxToks:  o.MaxTokens,
		wake:     make(chan struct{}, 1),
		creds:    map[string]*identity.Credential{},
		pairs:    map[pairKey]*pair{},
		servers:  map[*http.Server]struct{}{},
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
	b.creds[idKey(identity.ID{})] = sys
	b.endpoint = sys.Source().Endpoint
	b.started = b.clock.Now()
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

// errTooManyIdentities: MaxIdentities reached.
var errTooManyIdentities = errors.New("the broker serves too many identities already")

// credential returns the credential of id, creating it on first use.
func (b *Broker) credential(id identity.ID) (*identity.Credential, error) {
	k := idKey(id)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	if c := b.creds[k]; c != nil {
		return c, nil
	}
	if len(b.creds) >= b.maxIDs {
		return nil, errTooManyIdentities
	}
	o := b.upstream
	o.ID = id
	c, err := identity.New(o)
	if err != nil {
		return nil, err
	}
	b.creds[k] = c
	return c, nil
}

// token gets a token for id and resource from id's credential (its cache,
// single-flight and on-demand refresh), and records its metadata. hit
// reports that the token was already known to the broker, i.e. served from
// cache rather than fetched for this request.
func (b *Broker) token(ctx context.Context, id identity.ID, resource string) (identity.Token, *tokenMeta, bool, error) {
	cred, err := b.credential(id)
	if err != nil {
		return identity.Token{}, nil, false, err
	}
	key := pairKey{idKey(id), resource}
	b.mu.Lock()
	p := b.pairs[key]
	b.mu.Unlock()
	var prev *tokenMeta
	if p != nil {
		prev = p.meta.Load()
	}
	tok, err := cred.Token(ctx, resource)
	if err != nil {
		return identity.Token{}, nil, false, err
	}
	hit := prev != nil && prev.expiresOn.Equal(tok.ExpiresOn)
	if p == nil {
		p = b.track(key, id, resource, cred)
	}
	var m *tokenMeta
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
	creds := b.creds
	b.mu.Unlock()

	b.cancel()
	for s := range srvs {
		_ = s.Close()
	}
	for _, c := range creds {
		_ = c.Close()
	}
	b.wg.Wait()
	return nil
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
