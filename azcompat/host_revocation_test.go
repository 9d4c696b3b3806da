package azcompat_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/azmsi/azmsi/azcompat"
	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// TestClaimsChallengeOnEmulatedHosts is the revocation flow end to end: an
// azcore pipeline → azcompat → identity → the emulator's Service Fabric or
// App Service, which cache tokens as the real hosts do. The resource
// rejects the first token with a CAE claims challenge; the next request
// must carry a token the host minted anew (a forced refresh alone would get
// the host's cached token back).
func TestClaimsChallengeOnEmulatedHosts(t *testing.T) {
	for _, host := range []string{emulator.HostServiceFabric, emulator.HostAppService} {
		t.Run(host, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			em, err := emulator.Start(ctx, emulator.Options{Hosts: []string{host}, ARMAddr: "-"})
			if err != nil {
				t.Fatal(err)
			}
			defer em.Close()
			env := map[string]string{}
			for _, v := range em.HostEnv(host) {
				env[v.Name] = v.Value
			}
			mi, err := identity.New(identity.Options{Getenv: func(k string) string { return env[k] }, HTTPClient: testenv.LoopbackOnlyClient(nil), RetryBudget: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer mi.Close()
			if mi.Source().Host != host {
				t.Fatalf("source %+v", mi.Source())
			}
			// The first token, as the host caches it.
			first, err := mi.Token(ctx, armScope)
			if err != nil {
				t.Fatal(err)
			}
			// A forced refresh gets the same token back from the host.
			if again, err := mi.TokenWithOptions(ctx, armScope, identity.TokenOptions{ForceRefresh: true}); err != nil || again.AccessToken != first.AccessToken {
				t.Fatalf("forced refresh: %v (same token: %v)", err, again.AccessToken == first.AccessToken)
			}
			var mu sync.Mutex
			var seen []string
			res := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
				mu.Lock()
				seen = append(seen, tok)
				mu.Unlock()
				if tok == first.AccessToken {
					claims := base64.StdEncoding.EncodeToString([]byte(`{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`))
					w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="`+claims+`"`)
					w.WriteHeader(http.StatusUnauthorized)
				}
			}))
			defer res.Close()
			pl := newPipeline(azcompat.New(mi), res.Client())
			req, _ := runtime.NewRequest(ctx, http.MethodGet, res.URL+"/subscriptions")
			resp, err := pl.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			if resp.StatusCode != http.StatusOK || len(seen) != 2 || seen[0] != first.AccessToken || seen[1] == first.AccessToken {
				t.Fatalf("status %d after %d requests (second token new: %v)", resp.StatusCode, len(seen), len(seen) == 2 && seen[1] != first.AccessToken)
			}
			if cc := fmt.Sprint(claimsOf(t, seen[1])["xms_cc"]); cc != "[cp1]" {
				t.Fatalf("the new token's xms_cc = %s", cc)
			}
			// identity now caches the new token.
			if now, err := mi.Token(ctx, armScope); err != nil || now.AccessToken != seen[1] {
				t.Fatalf("cached after the challenge: %v", err)
			}
		})
	}
}

// claimsOf decodes a JWT's payload without verifying it.
func claimsOf(t *testing.T, raw string) map[string]any {
	t.Helper()
	c, err := identity.ParseClaims(raw)
	if err != nil {
		t.Fatal(err)
	}
	return c.Raw
}
