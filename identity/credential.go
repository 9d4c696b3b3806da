package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azmsi/azmsi/internal/azhttp"
)

const (
	defaultDialTimeout = 500 * time.Millisecond
	defaultRetryBudget = 90 * time.Second
)

// Options configures a Credential. The zero value selects the
// system-assigned identity through IMDS at its default address.
type Options struct {
	// ID selects the identity; the zero ID is the system-assigned one.
	// ClientID(""), ObjectID("") and ResourceID("") are errors, never a
	// silent switch to system-assigned.
	ID ID

	// Endpoint is the IMDS base URL (scheme and host, optionally a path
	// prefix; a trailing slash is dropped), e.g. "http://127.0.0.1:8079".
	// Precedence: this field, else $AZURE_POD_IDENTITY_AUTHORITY_HOST (read
	// through Getenv), else http://169.254.169.254. The scheme must be http
	// or https. "unix:///path/to.sock" reaches IMDS (an azmsi broker)
	// through that Unix socket instead.
	Endpoint string

	// HTTPClient sends the requests. nil → an own client that never uses a
	// proxy, dials with DialTimeout and follows no redirect. A client given
	// here is used as is except that redirects are never followed; its
	// transport should not use a proxy either.
	HTTPClient *http.Client

	// DialTimeout bounds connecting to the endpoint with the default client
	// (so that off Azure the credential fails fast). Default 500ms. There is
	// deliberately no response timeout: IMDS can take seconds; the caller's
	// ctx and RetryBudget bound a slow answer.
	DialTimeout time.Duration

	// RetryBudget bounds the time one token acquisition spends, retries and
	// waits included. Default 90s, enough for IMDS's "back within 70 s"
	// (410) and about five backoff retries (≈2, 6, 14, 25, 25 s). IMDS
	// retries until the budget is spent, so a larger budget buys
	// proportionally more retries; a shorter one also shortens the 410
	// window.
	RetryBudget time.Duration

	// Clock drives expiry, refresh and retry waits. nil → the real clock.
	Clock Clock

	// Logger receives a debug line per request (method, URL, status,
	// duration, attempt). Tokens, secrets and bodies are never logged.
	// nil → discard.
	Logger *slog.Logger

	// Getenv reads environment variables. nil → os.Getenv.
	Getenv func(string) string

	// Host forces a managed-identity host instead of detecting it: one of
	// "imds", "appservice", "appservice2017", "cloudshell", "arc",
	// "servicefabric", "azureml", "workload", "containerapps" (see Hosts
	// and Detect). With a
	// non-IMDS host, Endpoint (when set) replaces the token URL from the
	// environment (for workload: the authority host); the host's secrets
	// still come from the environment.
	Host string

	// ArcKeyDir is the only folder whose .key files an Azure Arc challenge
	// may name. Default: $AZMSI_ARC_KEY_DIR, else the platform's
	// (/var/opt/azcmagent/tokens on Linux,
	// %ProgramData%\AzureConnectedMachineAgent\Tokens on Windows).
	ArcKeyDir string

	// WaitReady is how long an acquisition keeps retrying, with short
	// backoff, while the endpoint refuses connections (a sidecar or agent
	// still starting). Default 0: fail fast with ErrUnavailable. The
	// RetryBudget and the caller's ctx still bound the wait (ready.go).
	WaitReady time.Duration
}

// Clock is the time seam shared by azmsi's clients: tests inject a fake to
// drive expiry, refresh and retries without sleeping.
type Clock = azhttp.Clock

// newHTTPClient builds the default client: no proxy (IMDS must not be
// proxied), a short dial timeout so a missing endpoint fails fast, no
// response-header timeout (IMDS may take seconds on a cache miss; the
// caller's ctx and the retry budget bound that), no redirects.
func newHTTPClient(dialTimeout time.Duration) (*http.Client, *http.Transport) {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:               nil,
		DialContext:         d.DialContext,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: t, CheckRedirect: noRedirect}, t
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// TokenOptions adjusts one Token call.
type TokenOptions struct {
	// ForceRefresh skips the cache and replaces the cached token. The host
	// may still answer from its own cache: after a resource rejected the
	// token, set Claims or RejectedToken instead.
	ForceRefresh bool

	// Claims is the claims challenge of a resource that rejected the token
	// (WWW-Authenticate: Bearer … claims="…", as received). It is sent
	// nowhere (managed-identity endpoints take no claims); non-empty, it
	// means the token held was rejected, and the call replaces it: on hosts
	// that can replace a token they cached (Service Fabric; App Service with
	// api-version 2025-03-30) the request carries xms_cc=cp1 and the hex
	// SHA-256 of the rejected token (token_sha256_to_refresh), elsewhere it
	// is a forced refresh.
	Claims string

	// RejectedToken is the access token the resource rejected; it implies
	// the same replacement as Claims. When it is no longer the cached token
	// (another caller replaced it meanwhile) the cached token is returned
	// without a request. Empty: the cached token is the rejected one.
	RejectedToken string
}

// Credential acquires and caches managed-identity tokens for one identity.
// It is safe for concurrent use. Close it to stop background refreshes.
type Credential struct {
	id        ID
	src       source
	client    *http.Client
	transport *http.Transport // own transport, nil when Options.HTTPClient was given
	clock     Clock
	now       func() time.Time // the cached-token check's clock: time.Now for the real clock, else clock.Now
	budget    time.Duration
	waitReady time.Duration // Options.WaitReady
	log       *slog.Logger

	ctx    context.Context // owns every fetch; cancelled by Close
	cancel context.CancelFunc
	closed atomic.Bool
	wg     sync.WaitGroup // tracks fetch goroutines

	mu    sync.Mutex    // serializes cache writes, and wg.Add vs Close (cache.go)
	cache resourceCache // per-resource tokens, lock-free reads
}

// errClosed is returned by a closed Credential.
var errClosed = errors.New("identity: the credential is closed")

// New validates o and returns a Credential. It does no I/O.
func New(o Options) (*Credential, error) {
	if err := o.ID.Validate(); err != nil {
		return nil, err
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	src, err := selectSource(o, getenv)
	if err != nil {
		return nil, err
	}
	if !src.supports(o.ID.Kind()) {
		return nil, fmt.Errorf("identity: %s cannot select an identity by %s; it supports: %s", src.info().Name, o.ID.Kind(), supportedKinds(src))
	}
	if o.DialTimeout < 0 || o.RetryBudget < 0 || o.WaitReady < 0 {
		return nil, fmt.Errorf("identity: DialTimeout (%s), RetryBudget (%s) and WaitReady (%s) must not be negative", o.DialTimeout, o.RetryBudget, o.WaitReady)
	}
	c := &Credential{id: o.ID, src: src, clock: o.Clock, budget: o.RetryBudget, log: o.Logger, waitReady: o.WaitReady, cache: newResourceCache()}
	if c.budget == 0 {
		c.budget = defaultRetryBudget
	}
	if c.clock == nil {
		c.clock = azhttp.RealClock{}
		// A direct function value, not the interface: the hit path of
		// Token is a map lookup and one clock read.
		c.now = time.Now
	} else {
		c.now = c.clock.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		dt := o.DialTimeout
		if dt == 0 {
			dt = defaultDialTimeout
		}
		c.client, c.transport = newHTTPClient(dt)
	} else {
		cl := *o.HTTPClient // shallow copy: never follow redirects, whatever the caller's client does
		cl.CheckRedirect = noRedirect
		c.client = &cl
	}
	if tn, ok := src.(clientTuner); ok {
		base := c.transport
		if base == nil {
			var ok bool
			if base, ok = c.client.Transport.(*http.Transport); !ok {
				if c.client.Transport != nil {
					return nil, fmt.Errorf("identity: %s pins its server certificate and needs an *http.Transport in Options.HTTPClient, got %T", src.info().Name, c.client.Transport)
				}
				_, base = newHTTPClient(defaultDialTimeout)
			}
		}
		c.client, c.transport = tn.tune(base)
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// Token returns a token for scopeOrResource ("https://x/.default" or
// "https://x"), from the cache when it is fresh enough.
func (c *Credential) Token(ctx context.Context, scopeOrResource string) (Token, error) {
	return c.TokenWithOptions(ctx, scopeOrResource, TokenOptions{})
}

// TokenWithOptions is Token with options.
//
// A cached token is returned without locking or allocating. After its
// RefreshOn, the cached token is still returned at once and one background
// refresh starts. With less than 30 s of validity left, or with
// o.ForceRefresh, the caller waits for a fetch; concurrent callers share one
// upstream request, and each may give up through its own ctx without
// cancelling the fetch for the others.
func (c *Credential) TokenWithOptions(ctx context.Context, scopeOrResource string, o TokenOptions) (Token, error) {
	// Fast path: a resource already in the cache was validated by
	// ScopeToResource when it was stored, so its separator scan (a large
	// share of a cached call: bench/NOTES.md) is needed only on a miss.
	// TrimSuffix is the same single trim ScopeToResource does.
	resource := strings.TrimSuffix(scopeOrResource, "/.default")
	var e *entry
	if resource != "" {
		e = c.lookup(resource)
	}
	if e == nil {
		var err error
		if resource, err = ScopeToResource(scopeOrResource); err != nil {
			return Token{}, err
		}
	}
	if c.closed.Load() {
		return Token{}, errClosed
	}
	if o.Claims != "" || o.RejectedToken != "" {
		return c.replace(ctx, resource, o.RejectedToken)
	}
	if !o.ForceRefresh {
		if e != nil {
			if t := e.tok.Load(); t != nil {
				now := c.now()
				if usable(t, now) {
					e.touch(now)
					if !now.Before(t.RefreshOn) {
						c.refreshInBackground(e, resource, now)
					}
					return t.Token, nil
				}
			}
		}
	}
	return c.wait(ctx, resource, o.ForceRefresh)
}

// Source describes the endpoint in use and why it was chosen.
func (c *Credential) Source() SourceInfo { return c.src.info() }

// ID is the identity this credential acquires tokens for.
func (c *Credential) ID() ID { return c.id }

// Close stops background refreshes and in-flight fetches and waits for
// them. Later calls return an error. Close is idempotent.
func (c *Credential) Close() error {
	c.mu.Lock()
	already := c.closed.Swap(true)
	c.mu.Unlock()
	if already {
		return nil
	}
	c.cancel()
	c.wg.Wait()
	if c.transport != nil {
		c.transport.CloseIdleConnections()
	}
	return nil
}

// String describes the credential; it holds tokens, so fmt must not walk it.
func (c *Credential) String() string {
	info := c.src.info()
	return fmt.Sprintf("identity.Credential{Source:%s, Endpoint:%s, ID:%s}", info.Name, info.Endpoint, c.id)
}

// Format keeps every fmt verb on String.
func (c *Credential) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }
