package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/imdsv2"
)

// imdsV2Timeout bounds doctor's IMDSv2 probe: it is informational.
const imdsV2Timeout = 3 * time.Second

// probeIMDSv2 asks the IMDS doctor talks to whether it offers IMDSv2
// (internal/imdsv2), only on IMDS over HTTP(S) whose port accepted a
// connection: never elsewhere, and never for a token.
func probeIMDSv2(ctx context.Context, f *Factory, src identity.SourceInfo, reachable bool) *imdsv2.Result {
	if src.Host != identity.HostIMDS || !reachable || !(strings.HasPrefix(src.Endpoint, "http://") || strings.HasPrefix(src.Endpoint, "https://")) {
		return nil
	}
	var c *http.Client
	if f.HTTPClient != nil {
		cp := *f.HTTPClient
		c = &cp
	} else {
		// As identity's own client: no proxy (IMDS must not be proxied).
		c = &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: 500 * time.Millisecond}).DialContext}}
		defer c.CloseIdleConnections()
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r := imdsv2.Probe(ctx, c, src.Endpoint, imdsV2Timeout)
	return &r
}

func writeDoctorIMDSv2(w io.Writer, r *imdsv2.Result) {
	if r == nil {
		return
	}
	state := "not offered"
	if r.Offered {
		state = "offered"
	}
	fmt.Fprintf(w, "\nIMDSv2:     %s (%s)\n", state, r.Detail)
}
