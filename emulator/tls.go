package emulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// CACertPEM returns the PEM certificate clients must trust to reach ARM over
// HTTPS: the emulator's CA, or the user's certificate (TLSCertFile).
func (s *Server) CACertPEM() []byte { return append([]byte(nil), s.certs.CAPEM...) }

// CACertFile is the path of CACertPEM on disk: in StateDir, or in a
// temporary directory removed by Close.
func (s *Server) CACertFile() string { return s.certs.CAPath }

// HTTPClient returns a client that trusts CACertPEM, dials only loopback
// addresses and the emulator's own listeners, ignores proxies and never
// follows redirects. Every call returns the same client, so connections
// are reused across callers.
func (s *Server) HTTPClient() *http.Client {
	s.clientOnce.Do(func() { s.client = s.newHTTPClient() })
	return s.client
}

func (s *Server) newHTTPClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.certs.CAPEM)
	own := map[string]bool{}
	for _, a := range s.listenAddrs {
		own[a] = true
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if host == "localhost" || strings.HasSuffix(host, ".localhost") { // RFC 6761: vault hosts
				addr = net.JoinHostPort("127.0.0.1", port)
			} else if ip := net.ParseIP(host); !own[addr] && (ip == nil || !ip.IsLoopback()) {
				return nil, fmt.Errorf("emulator client: refusing to dial %s: only loopback and the emulator's own addresses", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
