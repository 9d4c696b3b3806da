package entra

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkTokenExchange measures one exchange through the handler: form
// parsing, assertion parsing, federated-credential match, RS256
// verification and the (stub) mint; no network.
func BenchmarkTokenExchange(b *testing.B) {
	iss, err := NewIssuer(issuerURL, nil)
	if err != nil {
		b.Fatal(err)
	}
	app := App{ClientID: clientID, FederatedCredentials: []FederatedCredential{{Issuer: issuerURL, Subject: workloadSA.Subject(), Audiences: []string{TokenExchangeAudience}}}}
	ep, err := NewEndpoint(EndpointOptions{TenantID: tenantID, Apps: func(string) (App, bool) { return app, true }, Keys: iss.PublicKey,
		Mint: func(App, string) (AccessToken, error) {
			return AccessToken{Raw: "t", ExpiresAt: time.Now().Add(time.Hour)}, nil
		}})
	if err != nil {
		b.Fatal(err)
	}
	raw, _, err := iss.Mint(workloadSA, MintOptions{})
	if err != nil {
		b.Fatal(err)
	}
	body := form(raw).Encode()
	h := ep.Handler()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, tokenPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
