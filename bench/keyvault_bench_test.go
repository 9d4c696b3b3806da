package bench

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/azmsi/azmsi/emulator"
)

// BenchmarkEmulatorSecretGets is the emulator's Key Vault data plane under
// the same load generator as list-pages: GET of one secret (latest version)
// over TLS on kept-alive connections, with a real (cached) token check and
// an access-policy decision per request. The vault is created through the
// emulated ARM and the secret set through the data plane first.
func BenchmarkEmulatorSecretGets(b *testing.B) {
	s := startEmulator(b, emulator.Options{})
	cfg := s.Config()
	sys := cfg.SystemIdentity()
	sub := cfg.Subscriptions[0].SubscriptionID
	group := "rg-data" // where the default world makes the system identity Contributor
	hc := httpClient(b, s)
	armTok := imdsToken(b, s, hc, armAudience)
	vaultTok := imdsToken(b, s, hc, "https://vault.azure.net")

	props := `{"location":"westeurope","properties":{"tenantId":"` + cfg.TenantID + `","sku":{"family":"A","name":"standard"},` +
		`"enableRbacAuthorization":false,"accessPolicies":[{"tenantId":"` + cfg.TenantID + `","objectId":"` + sys.ObjectID +
		`","permissions":{"secrets":["get","set"]}}]}}`
	vaultID := "/subscriptions/" + sub + "/resourceGroups/" + group + "/providers/Microsoft.KeyVault/vaults/kvbench"
	send(b, hc, http.MethodPut, s.ARMEndpoint()+vaultID+"?api-version=2026-04-01", "", armTok, props, http.StatusCreated)
	// The vault is named by the Host header (kvbench.vault.localhost:port);
	// the connection goes to the emulator's loopback address, so no name is
	// resolved.
	vault, err := url.Parse(s.VaultURL("kvbench"))
	if err != nil {
		b.Fatal(err)
	}
	base := vault.Scheme + "://127.0.0.1:" + vault.Port()
	path := "/secrets/db-password"
	send(b, hc, http.MethodPut, base+path+"?api-version=2026-04-01", vault.Host, vaultTok, `{"value":"bench-value"}`, http.StatusOK)
	runLoad(b, base, path+"/?api-version=2026-04-01",
		http.Header{"Authorization": {"Bearer " + vaultTok}, "Host": {vault.Host}}, s.CACertPEM())
}

func imdsToken(tb testing.TB, s *emulator.Server, hc *http.Client, resource string) string {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.IMDSEndpoint()+"/metadata/identity/oauth2/token?api-version=2018-02-01&resource="+url.QueryEscape(resource), nil)
	req.Header.Set("Metadata", "true")
	resp, err := hc.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		tb.Fatalf("no %s token from the emulator (status %d): %v", resource, resp.StatusCode, err)
	}
	return tok.AccessToken
}

func send(tb testing.TB, hc *http.Client, method, u, host, token, body string, want int) {
	tb.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if host != "" {
		req.Host = host
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	var msg json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&msg)
	resp.Body.Close()
	if resp.StatusCode != want {
		tb.Fatalf("%s %s: %d, want %d: %s", method, u, resp.StatusCode, want, msg)
	}
}
