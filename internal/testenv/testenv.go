// Package testenv holds helpers that keep tests honest about the network: a
// transport that refuses to dial anything but loopback, so a test whose
// endpoint override is missing fails loudly instead of reaching the real
// Instance Metadata Service or Azure.
package testenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ErrNotLoopback is wrapped by every refused dial.
var ErrNotLoopback = fmt.Errorf("testenv: refusing to dial a non-loopback address (tests may only reach the emulator on 127.0.0.1 or ::1)")

// CheckLoopback reports an error unless address (host:port, host already
// resolved or a literal) is a loopback IP. Names are refused too: resolving
// them could already leave the machine.
func CheckLoopback(address string) error {
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

// LoopbackOnlyTransport returns a fresh transport whose dialer refuses every
// address that is not loopback, and which ignores proxy settings.
func LoopbackOnlyTransport() *http.Transport {
	d := &net.Dialer{Timeout: 2 * time.Second}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			if err := CheckLoopback(address); err != nil {
				return nil, err
			}
			if host, port, _ := net.SplitHostPort(address); host == "localhost" {
				address = net.JoinHostPort("127.0.0.1", port)
			}
			return d.DialContext(ctx, network, address)
		},
		MaxIdleConnsPerHost: 64,
		ForceAttemptHTTP2:   false,
	}
}

// LoopbackOnlyClient wraps LoopbackOnlyTransport in a client that never
// follows redirects. caPEM, when not empty, is the only root trusted for TLS.
func LoopbackOnlyClient(caPEM []byte) *http.Client {
	t := LoopbackOnlyTransport()
	if len(caPEM) > 0 {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(caPEM)
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
