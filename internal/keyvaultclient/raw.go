package keyvaultclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Response is the answer to a raw request.
type Response struct {
	StatusCode int
	Body       []byte
}

// Do sends one request to a Key Vault URL with the vault token, for
// `azmsi rest --resource https://vault.azure.net`. The URL's host must be a
// Key Vault host (AllowedHost), or nothing is sent. Non-2xx answers come
// back as *Error.
func (c *Client) Do(ctx context.Context, method, rawURL string, body []byte) (Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return Response{}, fmt.Errorf("%q is not an https URL of a vault", clip(rawURL))
	}
	op := method + " " + u.Scheme + "://" + u.Host + u.Path
	if !AllowedHost(u.Host, c.suffix) {
		return Response{}, fmt.Errorf("%s: %q is not a Key Vault host (a vault token goes only to *%s%s)", op, clip(u.Host), PublicSuffix, suffixHint(c.suffix))
	}
	tok, err := c.token(ctx, Resource)
	if err != nil {
		return Response{}, fmt.Errorf("%s: getting a token for %s: %w", op, Resource, err)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return Response{}, fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("%s: %w", op, redactURLError(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	c.log.Debug("keyvault request", "method", method, "url", u.Scheme+"://"+u.Host+u.Path, "status", resp.StatusCode)
	if err != nil {
		return Response{}, fmt.Errorf("%s: reading the answer: %w", op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Response{}, parseError(op, resp.StatusCode, b)
	}
	return Response{StatusCode: resp.StatusCode, Body: b}, nil
}
