package identity

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// unixScheme marks an IMDS endpoint reached through a Unix socket, such as
// an azmsi broker's: "unix:///run/azmsi/azmsi.sock" in Options.Endpoint or
// $AZURE_POD_IDENTITY_AUTHORITY_HOST. Only azmsi understands it; other
// SDKs need the broker's loopback TCP address.
const unixScheme = "unix://"

// unixIMDSSource speaks the IMDS protocol over a Unix socket. Requests
// carry http://localhost as their URL; the transport dials the socket.
type unixIMDSSource struct {
	*imdsSource
	socket string
}

func (s *unixIMDSSource) info() SourceInfo {
	info := s.imdsSource.info()
	info.Endpoint = unixScheme + s.socket
	return info
}

// tune makes every connection of the credential go to the socket, never
// through a proxy.
func (s *unixIMDSSource) tune(base *http.Transport) (*http.Client, *http.Transport) {
	t := base.Clone()
	t.Proxy = nil
	path := s.socket
	d := &net.Dialer{Timeout: defaultDialTimeout}
	t.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
		return d.DialContext(ctx, "unix", path)
	}
	return &http.Client{Transport: t, CheckRedirect: noRedirect}, t
}

// unixSocketSource returns the source for a "unix:///abs/path" endpoint;
// ok is false for any other scheme.
func unixSocketSource(endpoint, reason string) (src source, ok bool, err error) {
	if len(endpoint) < len(unixScheme) || !strings.EqualFold(endpoint[:len(unixScheme)], unixScheme) {
		return nil, false, nil
	}
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return nil, true, errors.New("is not a URL")
	case u.Host != "" || u.User != nil:
		return nil, true, errors.New("must name the socket by its absolute path, as in unix:///run/azmsi/azmsi.sock")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, true, errors.New("must not have a query or fragment")
	case !strings.HasPrefix(u.Path, "/") || len(u.Path) < 2:
		return nil, true, errors.New("must name the socket by its absolute path, as in unix:///run/azmsi/azmsi.sock")
	}
	return &unixIMDSSource{imdsSource: &imdsSource{endpoint: "http://localhost", reason: reason}, socket: u.Path}, true, nil
}
