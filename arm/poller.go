package arm

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/azmsi/azmsi/internal/azhttp"
)

// Poller follows an ARM long-running operation (async-operations rules,
// protocols.md §12.5, §20.3): it prefers Azure-AsyncOperation, whose body
// carries a status, else polls Location until it stops answering 202; a PUT
// or PATCH answered 200/201 without either header but with a non-terminal
// properties.provisioningState is followed by reading the resource until
// the state ends (Succeeded, Failed, Canceled), as azcore does.
//
// Poll makes one request; Wait polls until the operation ends, sleeping the
// server's Retry-After (0 allowed) or Options.PollInterval between polls. A
// Poller is not safe for concurrent use.
type Poller struct {
	c        *Client
	method   string   // of the original request
	origURL  *url.URL // of the original request (final GET for PUT/PATCH)
	asyncURL *url.URL // Azure-AsyncOperation, if any
	locURL   *url.URL // Location, if any
	viaBody  bool     // no headers: poll origURL's provisioningState
	delay    time.Duration
	done     bool
	result   *Response
	err      error
}

// begin sends the request that starts a long-running operation and returns
// its Poller.
func (c *Client) begin(ctx context.Context, method string, u *url.URL, body []byte) (*Poller, error) {
	resp, err := c.send(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	return c.PollerFromResponse(resp)
}

// PollerFromResponse starts following the operation begun by resp, the
// answer to a PUT, PATCH, POST or DELETE sent through Do. A response that is
// already final (200/201/204 without polling headers) gives a Poller that is
// Done at once.
func (c *Client) PollerFromResponse(resp *Response) (*Poller, error) {
	if resp == nil {
		return nil, errors.New("arm: PollerFromResponse: nil response")
	}
	p := &Poller{c: c, method: resp.Method, origURL: resp.reqURL}
	var err error
	if p.origURL == nil && strings.TrimSpace(resp.URL) != "" {
		// Built by a caller or from a resume token: the final GET of a PUT
		// goes there with the token, so check it like any link.
		if p.origURL, err = c.sameOrigin(resp.URL, "operation URL"); err != nil {
			return nil, err
		}
	}
	if v := strings.TrimSpace(resp.Header.Get("Azure-AsyncOperation")); v != "" {
		if p.asyncURL, err = c.sameOrigin(v, "Azure-AsyncOperation URL"); err != nil {
			return nil, err
		}
	}
	if v := strings.TrimSpace(resp.Header.Get("Location")); v != "" {
		if p.locURL, err = c.sameOrigin(v, "Location URL"); err != nil {
			return nil, err
		}
	}
	p.setDelay(resp.Header)
	if p.asyncURL == nil && p.locURL == nil {
		if resp.StatusCode == http.StatusAccepted {
			return nil, fmt.Errorf("arm: %s %s answered 202 Accepted without a Location or Azure-AsyncOperation header; cannot follow the operation", resp.Method, resp.URL)
		}
		if (p.method == http.MethodPut || p.method == http.MethodPatch) && p.origURL != nil && !terminalState(provisioningState(resp.Body)) {
			p.viaBody = true
			return p, nil
		}
		p.done, p.result = true, resp
	}
	return p, nil
}

func (p *Poller) setDelay(h http.Header) {
	if d, ok := azhttp.RetryAfter(h, p.c.clock.Now(), p.c.maxRetryAfer); ok {
		p.delay = d
	} else {
		p.delay = p.c.pollInterval
	}
}

// origText is the original request's URL as text, "" if unknown.
func (p *Poller) origText() string {
	if p.origURL == nil {
		return ""
	}
	return p.origURL.String()
}

// Done reports whether the operation has ended (successfully or not).
func (p *Poller) Done() bool { return p.done }

// Result returns the final response or error once Done.
func (p *Poller) Result() (*Response, error) {
	if !p.done {
		return nil, errors.New("arm: the operation is still running; call Wait or Poll")
	}
	return p.result, p.err
}

// Poll makes one status request. It returns the final response (or the
// operation's error) when the operation has ended, and (nil, nil) while it
// is still running. A transport failure or ctx cancellation is returned but
// does not end the operation: Poll may be called again.
func (p *Poller) Poll(ctx context.Context) (*Response, error) {
	if p.done {
		return p.result, p.err
	}
	switch {
	case p.asyncURL != nil:
		return p.pollAsync(ctx)
	case p.viaBody:
		return p.pollBody(ctx)
	}
	return p.pollLocation(ctx)
}

func (p *Poller) finish(r *Response, err error) (*Response, error) {
	p.done, p.result, p.err = true, r, err
	return r, err
}

// get makes one GET for the operation. An error answer from ARM ends the
// operation; a transport failure or cancellation does not, so Poll may be
// called again.
func (p *Poller) get(ctx context.Context, u *url.URL) (*Response, error) {
	resp, err := p.c.send(ctx, http.MethodGet, u, nil)
	if re := (*ResponseError)(nil); errors.As(err, &re) {
		return p.finish(nil, err)
	}
	return resp, err
}

// pollLocation: 202 → running; 200/201/204 → done; an error status ends
// the operation with that *ResponseError.
func (p *Poller) pollLocation(ctx context.Context) (*Response, error) {
	resp, err := p.get(ctx, p.locURL)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusAccepted {
		if v := strings.TrimSpace(resp.Header.Get("Location")); v != "" {
			u, err := p.c.sameOrigin(v, "Location URL")
			if err != nil {
				return p.finish(nil, err)
			}
			p.locURL = u
		}
		p.setDelay(resp.Header)
		return nil, nil
	}
	return p.finish(resp, nil)
}

// provisioningState reads properties.provisioningState of a resource body;
// "" when there is none (ARM: treated as Succeeded).
func provisioningState(body []byte) string {
	var r struct {
		Properties struct {
			ProvisioningState string `json:"provisioningState"`
		} `json:"properties"`
	}
	if json.Unmarshal(body, &r) != nil {
		return ""
	}
	return r.Properties.ProvisioningState
}

// terminalState: Succeeded, Failed, Canceled (any case), or no state.
func terminalState(s string) bool {
	switch strings.ToLower(s) {
	case "", "succeeded", "failed", "canceled", "cancelled":
		return true
	}
	return false
}

// pollBody reads the resource: a terminal state ends the operation (Failed
// and Canceled as a *ResponseError), anything else keeps it running.
func (p *Poller) pollBody(ctx context.Context) (*Response, error) {
	resp, err := p.get(ctx, p.origURL)
	if err != nil {
		return nil, err
	}
	switch st := provisioningState(resp.Body); {
	case !terminalState(st):
		p.setDelay(resp.Header)
		return nil, nil
	case strings.EqualFold(st, "Failed"), strings.EqualFold(st, "Canceled"), strings.EqualFold(st, "Cancelled"):
		e := &ResponseError{
			StatusCode: resp.StatusCode, Method: p.method, URL: p.origText(), OperationStatus: st,
			Message:   "the resource's provisioningState is " + st,
			RequestID: resp.Header.Get("x-ms-request-id"), CorrelationID: resp.Header.Get("x-ms-correlation-request-id"),
		}
		e.Hint = hintFor(e, p.origURL)
		return p.finish(nil, e)
	}
	return p.finish(resp, nil)
}

type asyncStatus struct {
	Status string       `json:"status"`
	Error  *ErrorDetail `json:"error"`
}

func (p *Poller) pollAsync(ctx context.Context) (*Response, error) {
	resp, err := p.get(ctx, p.asyncURL)
	if err != nil {
		return nil, err
	}
	var st asyncStatus
	if err := json.Unmarshal(resp.Body, &st); err != nil || st.Status == "" {
		return p.finish(nil, fmt.Errorf("arm: Azure-AsyncOperation status from %s is not {\"status\": ...} JSON", p.asyncURL))
	}
	switch {
	case strings.EqualFold(st.Status, "Succeeded"):
		return p.final(ctx, resp)
	case strings.EqualFold(st.Status, "Failed"), strings.EqualFold(st.Status, "Canceled"), strings.EqualFold(st.Status, "Cancelled"):
		e := &ResponseError{
			StatusCode: resp.StatusCode, Method: p.method, URL: p.origText(), OperationStatus: st.Status,
			RequestID: resp.Header.Get("x-ms-request-id"), CorrelationID: resp.Header.Get("x-ms-correlation-request-id"),
		}
		if st.Error != nil {
			e.fill(st.Error)
		}
		e.Hint = hintFor(e, p.origURL)
		return p.finish(nil, e)
	}
	p.setDelay(resp.Header)
	return nil, nil
}

// final fetches the resource after a successful async operation: the
// original URL for PUT/PATCH, Location for POST; for DELETE (and when there
// is nothing to fetch) the status response itself is the result.
func (p *Poller) final(ctx context.Context, status *Response) (*Response, error) {
	var target *url.URL
	switch p.method {
	case http.MethodPut, http.MethodPatch:
		target = p.origURL // nil when unknown: the status is the result
	case http.MethodPost:
		target = p.locURL
	}
	if target == nil {
		return p.finish(status, nil)
	}
	resp, err := p.get(ctx, target)
	if err != nil {
		return nil, err
	}
	return p.finish(resp, nil)
}

// Wait polls until the operation ends or ctx is done.
func (p *Poller) Wait(ctx context.Context) (*Response, error) {
	for !p.done {
		if err := azhttp.Sleep(ctx, p.c.clock, p.delay); err != nil {
			return nil, fmt.Errorf("arm: waiting for the operation: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("arm: waiting for the operation: %w", err)
		}
		if _, err := p.Poll(ctx); err != nil && !p.done {
			return nil, err
		}
	}
	return p.result, p.err
}

type resumeState struct {
	Method   string `json:"method"`
	URL      string `json:"url"`
	Async    string `json:"async,omitempty"`
	Location string `json:"location,omitempty"`
	Body     bool   `json:"body,omitempty"` // poll URL's provisioningState
}

// ResumeToken serializes a running operation so that another process can
// continue it with ResumePoller. It holds URLs only, no credentials.
func (p *Poller) ResumeToken() (string, error) {
	if p.done {
		return "", errors.New("arm: the operation has ended; nothing to resume")
	}
	st := resumeState{Method: p.method, URL: p.origText()}
	if p.asyncURL != nil {
		st.Async = p.asyncURL.String()
	}
	if p.locURL != nil {
		st.Location = p.locURL.String()
	}
	st.Body = p.viaBody
	b, _ := json.Marshal(st)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ResumePoller continues an operation from a ResumeToken. The URLs are
// checked against this client's endpoint like any other link.
func (c *Client) ResumePoller(token string) (*Poller, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(token))
	var st resumeState
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	if err != nil || (st.Async == "" && st.Location == "" && (!st.Body || st.URL == "")) {
		return nil, errors.New("arm: not a poller resume token (expected the string returned by Poller.ResumeToken)")
	}
	if st.Async == "" && st.Location == "" {
		u, err := c.sameOrigin(st.URL, "operation URL")
		if err != nil {
			return nil, err
		}
		return &Poller{c: c, method: st.Method, origURL: u, viaBody: true}, nil
	}
	h := http.Header{}
	if st.Async != "" {
		h.Set("Azure-AsyncOperation", st.Async)
	}
	if st.Location != "" {
		h.Set("Location", st.Location)
	}
	h.Set("Retry-After", "0")
	return c.PollerFromResponse(&Response{StatusCode: http.StatusAccepted, Header: h, Method: st.Method, URL: st.URL})
}
