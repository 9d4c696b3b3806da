package bench

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/azmsi/azmsi/emulator"
)

// rbacWorld is World(4, 1000) plus 12,000 role assignments across scopes:
// app-contributor and app-reader hold Reader on every group, and
// app-contributor Key Vault Secrets User on a vault in each (3,000 per
// subscription, under Azure's 4,000).
func rbacWorld() *emulator.Config {
	c := World(4, 1000)
	for _, s := range c.Subscriptions {
		for j, g := range s.ResourceGroups {
			scope := "/subscriptions/" + s.SubscriptionID + "/resourceGroups/" + g.Name
			for _, who := range []string{"app-contributor", "app-reader"} {
				c.RoleAssignments = append(c.RoleAssignments, emulator.RoleAssignment{Identity: who, Scope: scope, Role: "Reader"})
			}
			c.RoleAssignments = append(c.RoleAssignments, emulator.RoleAssignment{Identity: "app-contributor",
				Scope: fmt.Sprintf("%s/providers/Microsoft.KeyVault/vaults/kv%d", scope, j), Role: "Key Vault Secrets User"})
		}
	}
	return c
}

func TestRBACWorldSize(t *testing.T) {
	c := rbacWorld()
	if n := len(c.RoleAssignments); n < 10_000 {
		t.Fatalf("%d role assignments; want at least 10,000", n)
	}
	s := startEmulator(t, emulator.Options{Config: c})
	if got := len(s.Config().RoleAssignments); got != len(c.RoleAssignments) {
		t.Fatalf("the emulator serves %d assignments of %d", got, len(c.RoleAssignments))
	}
}

// BenchmarkEmulatorRBAC is list-pages of BenchmarkEmulator (the system
// identity, Reader on the subscription, pages of 100 groups) with no role
// assignments besides its own and with 12,000 more across scopes: the
// target is throughput within 10 % of the run without.
func BenchmarkEmulatorRBAC(b *testing.B) {
	for _, w := range []struct {
		name string
		cfg  *emulator.Config
	}{{"list-pages-without-assignments", World(4, 1000)}, {"list-pages-with-12000-assignments", rbacWorld()}} {
		s := startEmulator(b, emulator.Options{Config: w.cfg})
		sub := s.Config().Subscriptions[0].SubscriptionID
		tokenPath := "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" + url.QueryEscape(armAudience)
		req, _ := http.NewRequest(http.MethodGet, s.IMDSEndpoint()+tokenPath, nil)
		req.Header.Set("Metadata", "true")
		resp, err := httpClient(b, s).Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		err = json.NewDecoder(resp.Body).Decode(&tok)
		resp.Body.Close()
		if err != nil || tok.AccessToken == "" {
			b.Fatalf("no token from the emulator: %v", err)
		}
		b.Run(w.name, func(b *testing.B) {
			runLoad(b, s.ARMEndpoint(), "/subscriptions/"+sub+"/resourcegroups?api-version=2021-04-01",
				http.Header{"Authorization": {"Bearer " + tok.AccessToken}}, s.CACertPEM())
		})
	}
}
