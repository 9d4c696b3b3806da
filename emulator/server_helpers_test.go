package emulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

// newFakeClock returns a manual clock for Options.Clock (pass its Now).
func newFakeClock() *testenv.FakeClock {
	return testenv.NewFakeClock(time.Date(2025, 11, 26, 12, 0, 0, 0, time.UTC))
}

// startIdentityServer starts an emulator closed at the end of the test.
func startIdentityServer(t *testing.T, o Options) *Server {
	t.Helper()
	s, err := Start(context.Background(), o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// idResponse is a decoded HTTP response.
type idResponse struct {
	status     int
	statusLine string
	header     http.Header
	body       []byte
}

func (r idResponse) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// doRequest sends method to url (base + rawPath, the path/query sent
// verbatim) with headers ("Host" sets the Host header), over a
// loopback-only client trusting s's CA.
func doRequest(t *testing.T, s *Server, method, url string, headers map[string]string, body string) idResponse {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatalf("NewRequest %s: %v", url, err)
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v // the connection still goes to url's address
			continue
		}
		req.Header.Set(k, v)
	}
	c := testenv.LoopbackOnlyClient(s.CACertPEM())
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return idResponse{status: resp.StatusCode, statusLine: resp.Status, header: resp.Header, body: b}
}

var metaHeader = map[string]string{"Metadata": "true"}

// getToken requests a token with the given raw query.
func getToken(t *testing.T, s *Server, rawQuery string) idResponse {
	t.Helper()
	return doRequest(t, s, http.MethodGet, s.IMDSEndpoint()+"/metadata/identity/oauth2/token?"+rawQuery, metaHeader, "")
}

const armRes = "https%3A%2F%2Fmanagement.azure.com%2F"

// Identities of default.json.
const (
	sysClientID = "11111111-1111-1111-1111-111111111111"
	sysObjectID = "11111111-1111-1111-1111-aaaaaaaaaaaa"
	conClientID = "22222222-2222-2222-2222-222222222222"
	conObjectID = "22222222-2222-2222-2222-aaaaaaaaaaaa"
	conResID    = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-contributor"
	rdrClientID = "33333333-3333-3333-3333-333333333333"
	rdrObjectID = "33333333-3333-3333-3333-aaaaaaaaaaaa"
	rdrResID    = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-reader"
	defaultTID  = "72f988bf-86f1-41af-91ab-2d7cd011db47"
)
