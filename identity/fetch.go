package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/azmsi/azmsi/internal/azhttp"
)

// The fetch path: every request this package sends goes through here.
//
//	acquire              one token acquisition for a resource (a revocation request when asked)
//	  fallBack           a versionFallback source's switch to an older api-version, then send again
//	  send               the retry loop: build (the source's tokenRequest), roundTrip, the retryPolicy decides, wait
//	  answerChallenge    a challenger's second round trip (Arc's 401 naming a key file), through send again
//	  tokenFromExchange  the answer mapped to a token (parsed, expiry, echo and identity checked) or an error
//	    authError        a non-2xx answer as *AuthError
//
// Instance (instance.go) reuses send. Nothing here logs a header or a body.

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

// acquire runs one token acquisition: request with retries, then mapping
// and checks.
//
// rev, when not nil, asks a revoker host to replace the token it cached.
func (c *Credential) acquire(ctx context.Context, resource string, rev *revocation) (Token, error) {
	build := func(ctx context.Context) (*http.Request, error) {
		return c.src.tokenRequest(ctx, resource, c.id)
	}
	if r, ok := c.src.(revoker); ok && rev != nil {
		build = func(ctx context.Context) (*http.Request, error) {
			return r.revocationRequest(ctx, resource, c.id, rev.rejectedSHA256)
		}
	}
	ex, err := c.send(ctx, build, c.src.retryPolicy())
	if err != nil {
		return Token{}, err
	}
	if fb, ok := c.src.(versionFallback); ok && !looksForeign(ex) && fb.fallBack(ex, c.id) {
		c.log.Debug("identity: the host refused the api-version; asking again with the older one", "source", c.src.info().Name, "status", ex.status)
		if ex, err = c.send(ctx, build, c.src.retryPolicy()); err != nil {
			return Token{}, err
		}
	}
	if ch, ok := c.src.(challenger); ok {
		if ex, err = c.answerChallenge(ctx, ch, ex, build); err != nil {
			return Token{}, err
		}
	}
	return c.tokenFromExchange(ex, resource, c.clock.Now())
}

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
		req.Header.Set("User-Agent", azhttp.UserAgent())
		req.Header.Set(azhttp.HeaderClientRequestID, azhttp.NewRequestID())
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
		if err := azhttp.Sleep(ctx, c.clock, delay); err != nil {
			return nil, fmt.Errorf("identity: waiting to retry the %s request: %w", c.src.info().Name, err)
		}
	}
}

// brokenError reports connections that broke after connecting (reset,
// truncated answer) on every attempt: the endpoint is there but unhealthy,
// so it is not ErrUnavailable.
func (c *Credential) brokenError(err error, attempts int, why string) error {
	what := "is dropping connections"
	var pe textproto.ProtocolError
	if errors.As(err, &pe) {
		what = "answers with malformed HTTP (" + sanitize(string(pe), 120) + ")"
	}
	return fmt.Errorf("identity: %s at %s gave no complete answer in %d attempts (%s); the endpoint or a proxy in between %s: %w",
		c.src.info().Name, c.endpoint(), attempts, why, what, err)
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

// answerChallenge runs the second round trip of a challenger source after
// the first exchange ex: anything but a 401 is returned as is (an error
// status is mapped by tokenFromExchange), except a premature 200, which
// would mean the endpoint skipped the proof of local access.
func (c *Credential) answerChallenge(ctx context.Context, ch challenger, ex *exchange, build func(context.Context) (*http.Request, error)) (*exchange, error) {
	name := c.src.info().Name
	if looksForeign(ex) {
		return ex, nil
	}
	switch ex.status {
	case http.StatusUnauthorized:
	case http.StatusOK:
		return nil, fmt.Errorf("identity: %s at %s answered 200 without the expected 401 challenge; refusing a token from an endpoint that does not check local access", name, c.endpoint())
	default:
		return ex, nil
	}
	auth, err := ch.answer(ex)
	if err != nil {
		return nil, err
	}
	return c.send(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := build(ctx)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", auth)
		return req, nil
	}, c.src.retryPolicy())
}

// looksForeign reports an answer that cannot come from a managed-identity
// endpoint: a redirect, a 200 or 5xx whose non-empty body is not a JSON
// object (an HTML captive portal or proxy page), or the 403 "unreachable" of
// Docker Desktop's proxy (protocols.md §3.3).
func looksForeign(ex *exchange) bool {
	if ex.status >= 300 && ex.status < 400 {
		return true
	}
	if ex.status == http.StatusForbidden && strings.Contains(strings.ToLower(string(ex.body)), "unreachable") {
		return true
	}
	b := bytes.TrimSpace(ex.body)
	if len(b) == 0 || b[0] == '{' {
		return false
	}
	// A plain-text 4xx is still the endpoint's own HTTP answer (a 431 for
	// oversized headers, a 400 from its HTTP server): an error, not absence.
	// A non-JSON 200 or 5xx is a portal's page or a gateway's.
	return ex.status < 400 || ex.status >= 500
}

// describeForeign says what was seen instead of the endpoint, quoting at most
// 80 sanitized characters and nothing at all if the body might hold a token.
func describeForeign(ex *exchange, want string) string {
	if ex.status >= 300 && ex.status < 400 {
		return fmt.Sprintf("the endpoint answered %d with a redirect to %q; redirects are never followed", ex.status, sanitize(ex.header.Get("Location"), 120))
	}
	if ex.status == http.StatusForbidden && strings.Contains(strings.ToLower(string(ex.body)), "unreachable") {
		return fmt.Sprintf("the endpoint answered 403 saying the metadata address is unreachable (a local proxy such as Docker Desktop's, not IMDS): %q", sanitize(string(ex.body), 160))
	}
	ct := ex.header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		ct = mt
	}
	if ct == "" {
		ct = "no content type"
	}
	snippet := "<body withheld>"
	if !mayHoldToken(ex.body) {
		snippet = fmt.Sprintf("%q", sanitize(string(ex.body), 80))
	}
	return fmt.Sprintf("the endpoint answered %d with %s, not %s: %s", ex.status, sanitize(ct, 60), want, snippet)
}

// wireError is the union of error bodies: IMDS/OAuth {"error",
// "error_description"}, the IMDS metadata {"error":"<message>"} and App
// Service's {"statusCode","message","correlationId"}.
type wireError struct {
	Error            json.RawMessage `json:"error"`
	ErrorDescription string          `json:"error_description"`
	Message          string          `json:"message"`
	CorrelationID    string          `json:"correlationId"`
}

// authError maps a non-2xx exchange to *AuthError.
func (c *Credential) authError(ex *exchange, resource string) *AuthError {
	info := c.src.info()
	e := &AuthError{
		Source:     info.Name,
		StatusCode: ex.status,
		RequestID:  sanitize(c.redactSecrets(ex.header.Get("x-ms-request-id")), 64),
		ID:         c.id,
		Resource:   resource,
		Attempts:   ex.tries,
		host:       c.src.hostNoun(),
	}
	var w wireError
	if json.Unmarshal(ex.body, &w) == nil {
		if code, ok, _ := rawString(w.Error); ok {
			e.Code = sanitize(c.redactSecrets(code), 80)
		} else if len(w.Error) > 0 && w.Error[0] == '{' {
			// {"error":{"code":…,"message":…}} as Azure front ends send.
			// Service Fabric adds correlationId inside.
			var inner struct {
				Code, Message string
				CorrelationID string `json:"correlationId"`
			}
			if json.Unmarshal(w.Error, &inner) == nil {
				e.Code, w.Message = sanitize(c.redactSecrets(inner.Code), 80), inner.Message
				if w.CorrelationID == "" {
					w.CorrelationID = inner.CorrelationID
				}
			}
		}
		desc := w.ErrorDescription
		if desc == "" {
			desc = w.Message
		}
		// Redact before clipping: a clipped secret would no longer match.
		e.Description = sanitize(c.redactSecrets(desc), 300)
		if e.RequestID == "" {
			e.RequestID = sanitize(c.redactSecrets(w.CorrelationID), 64)
		}
	} else if !mayHoldToken(ex.body) {
		e.Description = sanitize(c.redactSecrets(string(ex.body)), 160)
	}
	if ex.status == http.StatusBadRequest && !c.id.IsUserAssigned() && isIdentityNotFound(e.Code, e.Description) {
		e.unavailable = true // a VM without system-assigned identity: no managed identity here
	}
	if x, ok := c.src.(errorExplainer); ok {
		e.explained = x.explain(e)
	}
	return e
}

// tokenFromExchange turns the final exchange of an acquisition into a token
// or an error, and checks that the token is for the requested identity.
func (c *Credential) tokenFromExchange(ex *exchange, resource string, now time.Time) (Token, error) {
	name := c.src.info().Name
	if looksForeign(ex) {
		return Token{}, unavailableError(name, c.endpoint(), "%s", c.redactSecrets(describeForeign(ex, "a token")))
	}
	if ex.status != http.StatusOK {
		return Token{}, c.authError(ex, resource)
	}
	r, err := parseTokenResponse(ex.body, now)
	if err != nil {
		return Token{}, fmt.Errorf("identity: %s at %s returned an unusable token response: %v", name, c.endpoint(), err)
	}
	if !r.ExpiresOn.After(now) {
		return Token{}, fmt.Errorf("identity: %s at %s returned a token that expired at %s (now %s); check the clock of this machine", name, c.endpoint(), r.ExpiresOn.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if ec, ok := c.src.(echoChecker); ok {
		if err := ec.checkEcho(c.id, r); err != nil {
			return Token{}, err
		}
	}
	if err := checkIdentity(c.id, r.AccessToken, name); err != nil {
		return Token{}, err
	}
	if r.Resource == "" {
		r.Resource = resource
	}
	return r.Token, nil
}

// checkIdentity verifies, without trusting it further, that a token issued
// for a user-assigned identity names that identity (appid, oid or
// xms_mirid). xms_mirid is issued only for some audiences (protocols.md
// §11), so an absent xms_mirid is accepted; absent appid/oid are not, as
// every managed-identity token carries them.
func checkIdentity(id ID, accessToken, source string) error {
	if !id.IsUserAssigned() {
		return nil
	}
	cl, err := ParseClaims(accessToken)
	if err != nil {
		return fmt.Errorf("identity: %s returned a token that is not a JWT, so it cannot be checked against the requested %s", source, id)
	}
	var got, claim string
	switch id.Kind() {
	case ClientIDKind:
		got, claim = cl.AppID, "appid"
	case ObjectIDKind:
		got, claim = cl.ObjectID, "oid"
	case ResourceIDKind:
		if cl.MIResourceID == "" {
			return nil
		}
		got, claim = cl.MIResourceID, "xms_mirid"
	}
	if !strings.EqualFold(got, id.Value()) {
		if got == "" {
			got = "none"
		}
		return fmt.Errorf("identity: %s returned a token for a different identity: asked %s, got %s %s", source, id, claim, sanitize(got, 300))
	}
	return nil
}

// unreachableHint says what to check when the endpoint cannot be reached:
// off Azure for IMDS, the host's variables and agent otherwise.
func (c *Credential) unreachableHint() string {
	info := c.src.info()
	if info.Host == HostIMDS || info.Host == "" {
		return "not running on an Azure host? To use an emulator, set " + envPodIdentityHost + " to its address (in Go: identity.Options.Endpoint)"
	}
	return "is the " + info.Name + " identity endpoint running? It was chosen because " + info.Reason
}

// redactSecrets removes the source's secrets from text taken from a
// response, in case an endpoint echoes them back.
func (c *Credential) redactSecrets(s string) string {
	sh, ok := c.src.(secretHolder)
	if !ok {
		return s
	}
	for _, sec := range sh.secrets() {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}

func (c *Credential) endpoint() string { return c.src.info().Endpoint }

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
