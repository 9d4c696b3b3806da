package arm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/azmsi/azmsi/internal/azhttp"
)

// MaxBodyBytes caps how much of a response body is read.
const MaxBodyBytes = 16 << 20

// Response is a successful (2xx) ARM answer, body fully read.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	// Method and URL of the request that produced it (pollers need them).
	Method, URL string

	// reqURL is the URL the request went to, kept parsed so that a poller
	// follows it without parsing URL again; nil in a Response a caller built.
	reqURL *url.URL
}

// Do sends one request and returns the 2xx response, or a *ResponseError.
//
// path is relative to the endpoint ("/subscriptions/…", may carry a query)
// or an absolute URL on the ARM host. apiVersion is set as the api-version
// query parameter; it may be empty only if path already has one. body, when
// not nil, is sent as JSON and replayed on retries.
func (c *Client) Do(ctx context.Context, method, path, apiVersion string, body []byte) (*Response, error) {
	method = strings.ToUpper(strings.TrimSpace(method))
	if method == "" {
		return nil, errors.New("arm: empty HTTP method")
	}
	u, err := c.resolve(path)
	if err != nil {
		return nil, err
	}
	if err := setAPIVersion(u, apiVersion); err != nil {
		return nil, err
	}
	return c.send(ctx, method, u, body)
}

func setAPIVersion(u *url.URL, apiVersion string) error {
	q := u.Query()
	if apiVersion = strings.TrimSpace(apiVersion); apiVersion != "" {
		q.Set("api-version", apiVersion)
		u.RawQuery = q.Encode()
		return nil
	}
	if q.Get("api-version") == "" {
		return fmt.Errorf("arm: no api-version for %s; ARM requires one (e.g. 2021-04-01 for resource groups)", u.Path)
	}
	return nil
}

// send runs the retry loop for one logical request to u, a URL on the
// endpoint (resolved, or checked by sameOrigin); it is not modified.
func (c *Client) send(ctx context.Context, method string, u *url.URL, body []byte) (*Response, error) {
	target := u.String() // for logs and messages only; the request uses u
	force, refreshed := false, false
	var claims, rejected string // a claims challenge and the token it rejected
	retries := 0
	for attempt := 1; ; attempt++ {
		tok, err := c.token(ctx, force, claims, rejected)
		if err != nil {
			return nil, fmt.Errorf("arm: getting a token for %s: %w", c.cloud.Audience, err)
		}
		if tok.Token == "" {
			return nil, fmt.Errorf("arm: the credential returned an empty token for %s", c.cloud.Audience)
		}
		resp, rerr := c.roundTrip(ctx, method, u, target, body, tok.Token, attempt)
		if rerr != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("arm: %s %s: %w", method, target, ctx.Err())
			}
			if retries < c.maxRetries && retryableTransportError(ctx, method, rerr) {
				d := backoff(retries, c.baseDelay, c.maxDelay, nil)
				retries++
				if err := azhttp.Sleep(ctx, c.clock, d); err != nil {
					return nil, fmt.Errorf("arm: %s %s: %w (while waiting to retry after: %v)", method, target, err, rerr)
				}
				continue
			}
			if retries > 0 {
				return nil, fmt.Errorf("arm: %s %s failed after %d retries: %w", method, target, retries, rerr)
			}
			return nil, fmt.Errorf("arm: %s %s: %w", method, target, rerr)
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		if resp.StatusCode == http.StatusUnauthorized && !refreshed {
			if cl, ok := claimsChallenge(resp.Header.Values("WWW-Authenticate")); ok {
				// Revoked or no longer sufficient: replace that token once.
				refreshed, claims, rejected = true, cl, tok.Token
				continue
			}
			if tokenRejected(resp) {
				// The cached token may have expired or been revoked early:
				// fetch a fresh one once. A second 401 is final.
				refreshed, force = true, true
				continue
			}
		}
		force, claims, rejected = false, "", ""
		if retries < c.maxRetries && retryableStatus(method, resp.StatusCode, resp.Header) {
			d, ok := azhttp.RetryAfter(resp.Header, c.clock.Now(), c.maxRetryAfer)
			if !ok {
				d = backoff(retries, c.baseDelay, c.maxDelay, nil)
			}
			retries++
			if err := azhttp.Sleep(ctx, c.clock, d); err != nil {
				return nil, fmt.Errorf("arm: %s %s: %w (while waiting to retry a %d)", method, target, err, resp.StatusCode)
			}
			continue
		}
		e := newResponseError(method, u, resp.StatusCode, resp.Header, resp.Body, tok.Token)
		e.Retries = retries
		return nil, e
	}
}

// token asks the credential for a token: after a claims challenge through
// ClaimsTokenCredential when the credential has it, else (and after other
// rejections) as a forced refresh.
func (c *Client) token(ctx context.Context, force bool, claims, rejected string) (AccessToken, error) {
	if claims != "" {
		if cc, ok := c.cred.(ClaimsTokenCredential); ok {
			return cc.ARMTokenForClaims(ctx, c.cloud.Audience, claims, rejected)
		}
		force = true
	}
	return c.cred.ARMToken(ctx, c.cloud.Audience, force)
}

// tokenRejected reports whether a 401 says the token itself is expired or
// invalid, so that a fresh token could help. A wrong audience or tenant would
// come back the same, so those are not retried.
func tokenRejected(r *Response) bool {
	e := newResponseError("", nil, r.StatusCode, r.Header, r.Body, "")
	switch e.Code {
	case "ExpiredAuthenticationToken", "InvalidAuthenticationToken":
		return true
	case "InvalidAuthenticationTokenAudience", "InvalidAuthenticationTokenTenant":
		return false
	}
	for _, ch := range r.Header.Values("WWW-Authenticate") {
		if strings.Contains(strings.ToLower(strings.ReplaceAll(ch, " ", "")), `error="invalid_token"`) {
			return true
		}
	}
	return false
}

// roundTrip sends one attempt to u and reads the body (up to MaxBodyBytes);
// target is u as text, for the log.
func (c *Client) roundTrip(ctx context.Context, method string, u *url.URL, target string, body []byte, token string, attempt int) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	// An empty URL, then the parsed one: the request is built from u itself
	// rather than from its text parsed once more. The copy keeps the
	// transport from sharing the caller's URL.
	req, err := http.NewRequestWithContext(ctx, method, "", rd)
	if err != nil {
		return nil, &permanentError{fmt.Errorf("building request: %w", err)}
	}
	reqURL := *u
	req.URL = &reqURL
	reqID := azhttp.NewRequestID()
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set(azhttp.HeaderClientRequestID, reqID)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	debug := c.log.Enabled(ctx, slog.LevelDebug) // per attempt: build the trace line only when it is wanted
	start := c.clock.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		if debug {
			c.log.DebugContext(ctx, "arm request", "method", method, "url", target, "attempt", attempt,
				"client_request_id", reqID, "authorization", redactedAuth, "error", scrub(err.Error(), token),
				"duration", c.clock.Now().Sub(start))
		}
		return nil, err
	}
	defer resp.Body.Close()
	data, err := readBody(resp)
	if err == nil && len(data) > MaxBodyBytes {
		err = &permanentError{fmt.Errorf("response body exceeds %d MiB", MaxBodyBytes>>20)}
	}
	if debug {
		c.log.DebugContext(ctx, "arm request", "method", method, "url", target, "status", resp.StatusCode,
			"attempt", attempt, "duration", c.clock.Now().Sub(start), "request_id", scrub(resp.Header.Get("x-ms-request-id"), token),
			"client_request_id", reqID, "authorization", redactedAuth)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %d response: %w", resp.StatusCode, err)
	}
	if err := ctx.Err(); err != nil {
		// The caller gave up before the answer was in: an answer written
		// after the connection closed under it (an empty 200) must not pass
		// for a result.
		return nil, err
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: data, Method: method, URL: target, reqURL: u}, nil
}

// readBody reads up to MaxBodyBytes+1 bytes of the body, into a buffer
// sized once from Content-Length when the server sent one (a list page is
// tens of KB: io.ReadAll would grow and copy it a dozen times).
func readBody(resp *http.Response) ([]byte, error) {
	lr := io.LimitReader(resp.Body, MaxBodyBytes+1)
	if resp.ContentLength <= 0 || resp.ContentLength > MaxBodyBytes {
		return io.ReadAll(lr)
	}
	buf := bytes.NewBuffer(make([]byte, 0, resp.ContentLength+bytes.MinRead))
	_, err := buf.ReadFrom(lr)
	return buf.Bytes(), err
}

// redactedAuth shows in the debug log that a bearer token was sent,
// without revealing it.
const redactedAuth = "Bearer <redacted>"
