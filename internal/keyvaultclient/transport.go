package keyvaultclient

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// loopbackFor returns the address to dial for addr: names under
// .localhost go to 127.0.0.1 (RFC 6761 §6.3), others unchanged.
func loopbackFor(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// withLocalhostDialing returns a client whose transport dials .localhost
// names on loopback. A caller's *http.Transport is cloned and wrapped (its
// own dialer, such as a loopback-only one, still makes the connection);
// any other RoundTripper is used as it is.
func withLocalhostDialing(c *http.Client) *http.Client {
	var base *http.Transport
	switch {
	case c == nil:
		base = http.DefaultTransport.(*http.Transport).Clone()
		base.Proxy = func(r *http.Request) (*url.URL, error) {
			if h := strings.ToLower(r.URL.Hostname()); h == "localhost" || strings.HasSuffix(h, ".localhost") {
				return nil, nil
			}
			return http.ProxyFromEnvironment(r)
		}
		c = &http.Client{Timeout: 30 * time.Second}
	case c.Transport == nil:
		base = http.DefaultTransport.(*http.Transport).Clone()
	default:
		t, ok := c.Transport.(*http.Transport)
		if !ok {
			return c
		}
		base = t.Clone()
	}
	dial := base.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	}
	base.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dial(ctx, network, loopbackFor(addr))
	}
	cc := *c
	cc.Transport = base
	// A redirect would carry the request (and, with Go's rules for the
	// same host, the token) elsewhere; Key Vault never redirects.
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}
