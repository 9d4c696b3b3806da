package identity

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"syscall"
	"time"
)

// maxBody caps every response body read from an endpoint.
const maxBody = 1 << 20

// errTooLarge: the body exceeded maxBody (never retried).
var errTooLarge = errors.New("response body too large")

// exchange is one completed HTTP round trip with its body read.
type exchange struct {
	status int
	header http.Header
	body   []byte
	url    string // request URL, for messages (holds no secret: selectors and resource only)
	tries  int    // attempts send made before returning this exchange
}

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

// send performs one logical request with retries: build makes a fresh
// request per attempt, pol decides what is retried, and the whole loop ends
// at start+budget (on c.clock) or when ctx is done. It returns the last
// exchange (which may be an error status the caller maps), or an error for a
// transport failure — wrapping ErrUnavailable when nothing could be reached.
func (c *Credential) send(ctx context.Context, build func(context.Context) (*http.Request, error), pol retryPolicy) (*exchange, error) {
	start := c.clock.Now()
	deadline := start.Add(c.budget)
	failures, connFailures := 0, 0
	for attempt := 1; ; attempt++ {
		req, err := build(ctx)
		if err != nil {
			return nil, fmt.Errorf("identity: building the %s request: %v", c.src.info().Name, err)
		}
		req.Header.Set("User-Agent", userAgent)
		req.Header.Set("x-ms-client-request-id", newUUID())
		t0 := c.clock.Now()
		ex, err := c.roundTrip(req)
		c.logAttempt(req, ex, err, attempt, c.clock.Now().Sub(t0))

		var delay time.Duration
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, fmt.Errorf("identity: %s request to %s: %w", c.src.info().Name, c.endpoint(), ctx.Err())
		case err != nil && errors.Is(err, ErrThumbprintMismatch):
			// A security failure, not an absent endpoint: never retried.
			return nil, fmt.Errorf("identity: %s at %s: %w; the request (and its secret) was not sent", c.src.info().Name, c.endpoint(), ErrThumbprintMismatch)
		case errors.Is(err, errTooLarge):
			return nil, unavailableError(c.src.info().Name, c.endpoint(), "the response body exceeds %d bytes; this is not a managed-identity endpoint", maxBody)
		case err != nil && isDialFailure(err):
			connFailures++
			if d, ok := c.readyDelay(start, connFailures); ok {
				delay = d
				break
			}
			if connFailures > pol.connRetries || isTimeout(err) || c.waitReady > 0 {
				return nil, unavailableError(c.src.info().Name, c.endpoint(), "cannot connect (%s)%s; %s", dialReason(err), c.waitedNote(), c.unreachableHint())
			}
			delay = pol.connDelay
		case err != nil:
			failures++
			var ok bool
			if delay, ok = pol.errorDelay(failures); !ok {
				return nil, c.brokenError(err, attempt, "retries exhausted")
			}
		case looksForeign(ex):
			return ex, nil // not the endpoint we expect; the caller explains
		default:
			if ex.status != http.StatusGone {
				failures++
			}
			var ok bool
			if delay, ok = pol.statusDelay(ex.status, failures, ex.header, c.clock.Now()); !ok {
				ex.tries = attempt
				return ex, nil
			}
		}
		if c.clock.Now().Add(delay).After(deadline) {
			if err != nil {
				return nil, c.brokenError(err, attempt, fmt.Sprintf("retry budget of %s spent", c.budget))
			}
			ex.tries = attempt
			return ex, nil
		}
		if err := sleep(ctx, c.clock, delay); err != nil {
			return nil, fmt.Errorf("identity: waiting to retry the %s request: %w", c.src.info().Name, err)
		}
	}
}

// brokenError reports connections that broke after connecting (reset,
// truncated answer) on every attempt: the endpoint is there but unhealthy,
// so it is not ErrUnavailable.
func (c *Credential) brokenError(err error, attempts int, why string) error {
	return fmt.Errorf("identity: %s at %s gave no complete answer in %d attempts (%s); the endpoint or a proxy in between is dropping connections: %w",
		c.src.info().Name, c.endpoint(), attempts, why, err)
}

// roundTrip sends req and reads at most maxBody bytes of the answer. A
// transport error is returned with the URL stripped of nothing secret (the
// query holds only the resource and selector).
func (c *Credential) roundTrip(req *http.Request) (*exchange, error) {
	// A failure before any connection was obtained is a connect failure,
	// whatever the dialer's error type (custom dialers return their own).
	var connected atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected.Store(true) }}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, err := c.client.Do(req)
	if err != nil {
		if !connected.Load() && !isDialFailure(err) && req.Context().Err() == nil {
			err = &connectError{err}
		}
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("identity: reading the %s response: %w", c.src.info().Name, err)
	}
	if len(body) > maxBody {
		return nil, errTooLarge
	}
	return &exchange{status: resp.StatusCode, header: resp.Header, body: body, url: req.URL.String()}, nil
}

// logAttempt writes one debug line per attempt: never headers or bodies.
func (c *Credential) logAttempt(req *http.Request, ex *exchange, err error, attempt int, d time.Duration) {
	if !c.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	args := []any{"source", c.src.info().Name, "method", req.Method, "url", req.URL.String(), "attempt", attempt, "duration", d}
	if ex != nil {
		args = append(args, "status", ex.status)
		if id := ex.header.Get("x-ms-request-id"); id != "" {
			args = append(args, "request_id", sanitize(c.redactSecrets(id), 64))
		}
	}
	if err != nil {
		args = append(args, "error", err.Error())
	}
	c.log.Debug("identity request", args...)
}

// connectError marks a transport error that happened before a connection
// was established.
type connectError struct{ err error }

func (e *connectError) Error() string { return e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// isDialFailure reports a failure to connect at all: refused, unreachable,
// dial timeout. Failures after connecting are not included.
func isDialFailure(err error) bool {
	var op *net.OpError
	var ce *connectError
	if errors.As(err, &op) && op.Op == "dial" || errors.As(err, &ce) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func dialReason(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to host"
	case isTimeout(err):
		return "dial timeout"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return err.Error()
}

// newUUID returns a random version-4 UUID for x-ms-client-request-id.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
