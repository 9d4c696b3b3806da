package emulator

import (
	"crypto/x509"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/httpx"
)

// refuseBrowsers wraps a listener's handler against the two ways a web
// page reaches a loopback service. DNS rebinding: a page on a name the
// attacker controls, resolved to 127.0.0.1, is same-origin with the
// emulator and could read tokens or reset state; so the Host must be one
// of the listener's names (an IP address, localhost or *.localhost, or a
// name in the ARM certificate: ExtraHostnames, the vault names, a user's
// certificate's names). Cross-origin requests: a page may send simple
// POSTs to any origin; so a request whose Origin is another origin, or
// whose Sec-Fetch-Site says it came from another site, is refused. No
// client of the emulator is a browser, so every route is guarded, not only
// those that change state.
func (s *Server) refuseBrowsers(h http.Handler) http.Handler {
	names := s.certNames()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostAllowed(r.Host, names) {
			refuse(w, "the Host "+httpx.Clip(r.Host)+" is not a name of this emulator (use 127.0.0.1, localhost or a name given in ExtraHostnames)")
			return
		}
		if why := crossOrigin(r); why != "" {
			refuse(w, why)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func refuse(w http.ResponseWriter, why string) {
	httpx.WriteOAuthError(w, http.StatusForbidden, "forbidden", "Refused: "+why+". The emulator does not serve browsers.")
}

// certNames are the DNS names of the ARM certificate, lower case.
func (s *Server) certNames() []string {
	if s.certs == nil || len(s.certs.Leaf.Certificate) == 0 {
		return nil
	}
	cert, err := x509.ParseCertificate(s.certs.Leaf.Certificate[0])
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(cert.DNSNames))
	for _, n := range cert.DNSNames {
		out = append(out, strings.ToLower(n))
	}
	return out
}

// hostAllowed reports whether the Host header names this emulator. An
// empty Host (HTTP/1.0) comes from no browser and is allowed.
func hostAllowed(hostport string, names []string) bool {
	if hostport == "" {
		return true
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	for _, n := range names {
		if n == host {
			return true
		}
		// A wildcard covers exactly one label, as in a certificate.
		if rest, ok := strings.CutPrefix(n, "*."); ok {
			if label, parent, found := strings.Cut(host, "."); found && label != "" && parent == rest {
				return true
			}
		}
	}
	return false
}

// crossOrigin says why r came from another origin, or "".
func crossOrigin(r *http.Request) string {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return "Sec-Fetch-Site is " + httpx.Clip(site)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return ""
	}
	u, err := url.Parse(origin)
	if err != nil || origin == "null" || !strings.EqualFold(u.Host, r.Host) {
		return "the request comes from the origin " + httpx.Clip(origin)
	}
	return ""
}
