package entra

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

// Placeholders of protocols-2026.md.
const (
	tenantID  = "aaaaaaaa-0000-4000-8000-000000000001"
	clientID  = "cccccccc-0000-4000-8000-000000000003"
	otherApp  = "eeeeeeee-0000-4000-8000-000000000005"
	issuerURL = "https://127.0.0.1:9999/oidc/"
	armScope  = "https://management.azure.com/.default"
	// tokenCanary is the access token the test mint returns; it must never
	// reach a log.
	tokenCanary = "ACCESS-TOKEN-CANARY-7f3a"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

var workloadSA = ServiceAccount{Namespace: "default", Name: "workload-sa", UID: "sa-uid-1", PodName: "web-0", PodUID: "pod-uid-1"}

// world is an issuer, an endpoint trusting it for one app, and a TLS
// server in front of the endpoint.
type world struct {
	t      *testing.T
	clock  *testenv.FakeClock
	issuer *Issuer
	ep     *Endpoint
	srv    *httptest.Server
	logs   *testenv.SyncBuffer
	mu     sync.Mutex
	minted []string // "app resource" per mint
}

func (w *world) mints() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.minted...)
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, clock: testenv.NewFakeClock(t0), logs: &testenv.SyncBuffer{}}
	iss, err := NewIssuer(issuerURL, w.clock)
	if err != nil {
		t.Fatal(err)
	}
	w.issuer = iss
	apps := map[string]App{
		clientID: {ClientID: clientID, Name: "id1", FederatedCredentials: []FederatedCredential{
			{Name: "other", Issuer: issuerURL, Subject: "system:serviceaccount:default:other", Audiences: []string{TokenExchangeAudience}},
			{Name: "fic1", Issuer: issuerURL, Subject: "system:serviceaccount:default:workload-sa", Audiences: []string{TokenExchangeAudience}},
		}},
		otherApp: {ClientID: otherApp, Name: "bare"},
	}
	ep, err := NewEndpoint(EndpointOptions{
		TenantID:      tenantID,
		TenantDomains: []string{"contoso.onmicrosoft.com"},
		Apps:          func(id string) (App, bool) { a, ok := apps[id]; return a, ok },
		Keys:          iss.PublicKey,
		Mint: func(app App, resource string) (AccessToken, error) {
			w.mu.Lock()
			w.minted = append(w.minted, app.Name+" "+resource)
			w.mu.Unlock()
			return AccessToken{Raw: tokenCanary, ExpiresAt: w.clock.Now().Add(24 * time.Hour)}, nil
		},
		Now:    w.clock.Now,
		Logger: slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	w.ep = ep
	w.srv = httptest.NewTLSServer(ep.Handler())
	t.Cleanup(w.srv.Close)
	return w
}

// assertion mints a projected token for sa with o.
func (w *world) assertion(sa ServiceAccount, o MintOptions) string {
	w.t.Helper()
	raw, _, err := w.issuer.Mint(sa, o)
	if err != nil {
		w.t.Fatal(err)
	}
	return raw
}

// form is a valid token request for assertion, as MSAL Go sends it.
func form(assertion string) url.Values {
	return url.Values{
		"client_id":             {clientID},
		"grant_type":            {"client_credentials"},
		"scope":                 {armScope + " openid offline_access profile"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
		"client_info":           {"1"},
	}
}

type answer struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (w *world) post(path string, f url.Values) answer {
	w.t.Helper()
	return w.do(http.MethodPost, path, "application/x-www-form-urlencoded; charset=utf-8", f.Encode())
}

func (w *world) do(method, path, contentType, body string) answer {
	w.t.Helper()
	req, err := http.NewRequest(method, w.srv.URL+path, strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	_ = d.Decode(&a.json)
	return a
}

func (a answer) str(k string) string { s, _ := a.json[k].(string); return s }

// codes returns error_codes as text, e.g. "[70021]".
func (a answer) codes() string {
	b, _ := json.Marshal(a.json["error_codes"])
	return string(b)
}

func decodeJSON(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
