// Package loopback gives the Azure SDK for Go a way to reach the azmsi
// emulator without ever reaching Azure.
//
// azidentity (through MSAL) always asks IMDS at http://169.254.169.254 and
// has no option to change that address. Client returns an *http.Client,
// usable as azcore's policy.ClientOptions.Transport, whose RoundTripper
// rewrites that host to the emulator's IMDS listener before anything is
// dialed, and whose dialer refuses every address that is not a loopback IP.
// A request that escaped the rewrite (a new SDK endpoint, a typo) fails with
// ErrNotLoopback instead of leaving the machine.
//
// The check mirrors internal/testenv of the main module, which another
// module cannot import.
package loopback

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// IMDSHost is the link-local address of the Instance Metadata Service, the
// only host the rewrite maps.
const IMDSHost = "169.254.169.254"

// ErrNotLoopback is wrapped by every refused dial.
var ErrNotLoopback = errors.New("loopback: refusing to dial a non-loopback address (benchmarks may only reach the emulator on 127.0.0.1 or ::1)")

// Check returns an error wrapping ErrNotLoopback unless address (host:port)
// is a loopback IP literal or "localhost". Names are refused without a DNS
// lookup, since resolving one may already leave the machine.
func Check(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q: %v", ErrNotLoopback, address, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: %q", ErrNotLoopback, address)
	}
	return nil
}

// Transport returns an *http.Transport that ignores proxies and dials only
// loopback addresses. caPEM, when not empty, is the only TLS root trusted;
// otherwise the system roots are (with $SSL_CERT_FILE).
func Transport(caPEM []byte) (*http.Transport, error) {
	d := &net.Dialer{Timeout: 2 * time.Second}
	t := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			if err := Check(address); err != nil {
				return nil, err
			}
			if host, port, _ := net.SplitHostPort(address); host == "localhost" {
				address = net.JoinHostPort("127.0.0.1", port) // not /etc/hosts
			}
			return d.DialContext(ctx, network, address)
		},
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	}
	if len(caPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("loopback: the CA PEM holds no certificate")
		}
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return t, nil
}

// Rewriter maps requests for IMDSHost (any port) to IMDS, a loopback
// "host:port", then hands them to Next. Every other request goes to Next
// unchanged, where the loopback dialer refuses it unless it is loopback.
type Rewriter struct {
	IMDS string
	Next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (r *Rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL != nil && req.URL.Hostname() == IMDSHost {
		if r.IMDS == "" {
			return nil, fmt.Errorf("%w: %s has no emulator to map to", ErrNotLoopback, IMDSHost)
		}
		req = req.Clone(req.Context())
		req.URL.Host = r.IMDS
		req.Host = r.IMDS
	}
	return r.Next.RoundTrip(req)
}

// Client returns a client for azcore's ClientOptions.Transport: requests for
// http://169.254.169.254 go to imdsEndpoint (the emulator's IMDS base URL,
// "http://127.0.0.1:PORT"), TLS trusts caPEM, only loopback is dialed and
// redirects are never followed. imdsEndpoint "" rewrites nothing, so an IMDS
// request is refused.
func Client(imdsEndpoint string, caPEM []byte) (*http.Client, error) {
	var imds string
	if imdsEndpoint != "" {
		u, err := url.Parse(imdsEndpoint)
		if err != nil || u.Host == "" || !strings.EqualFold(u.Scheme, "http") {
			return nil, fmt.Errorf("loopback: IMDS endpoint %q: want http://127.0.0.1:PORT", imdsEndpoint)
		}
		if err := Check(hostPort(u)); err != nil {
			return nil, err
		}
		imds = u.Host
	}
	t, err := Transport(caPEM)
	if err != nil {
		return nil, err
	}
	return &http.Client{
		Transport: &Rewriter{IMDS: imds, Next: t},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "80")
}
