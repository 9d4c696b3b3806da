package config

import (
	"strings"
	"testing"
)

func TestFederatedCredentialRules(t *testing.T) {
	fic := func(name, issuer, subject string, aud ...string) FederatedCredential {
		return FederatedCredential{Name: name, Issuer: issuer, Subject: subject, Audiences: aud}
	}
	const sub, aud = "system:serviceaccount:default:sa", "api://AzureADTokenExchange"
	cases := []struct {
		name string
		on   int // identity index in the default config: 0 system, 1 app-contributor
		fics []FederatedCredential
		want string // "" = valid
	}{
		{"valid, emulator issuer", 1, []FederatedCredential{fic("fic1", "", sub, aud)}, ""},
		{"valid, explicit issuer", 1, []FederatedCredential{fic("fic1", "https://oidc.example/", sub, aud), fic("fic2", "", sub, aud)}, ""},
		{"on the system identity", 0, []FederatedCredential{fic("fic1", "", sub, aud)}, "only user-assigned identities"},
		{"bad name", 1, []FederatedCredential{fic("x", "", sub, aud)}, "3-120 letters"},
		{"duplicate name", 1, []FederatedCredential{fic("fic1", "", sub, aud), fic("FIC1", "", sub+"2", aud)}, "duplicate of federatedCredentials[0]"},
		{"issuer not a URL", 1, []FederatedCredential{fic("fic1", "oidc.example", sub, aud)}, "is not a URL"},
		{"no subject", 1, []FederatedCredential{fic("fic1", "", "", aud)}, "subject: required"},
		{"two audiences", 1, []FederatedCredential{fic("fic1", "", sub, aud, "api://x")}, "exactly one audience"},
		{"no audience", 1, []FederatedCredential{fic("fic1", "", sub)}, "exactly one audience"},
		{"too long", 1, []FederatedCredential{fic("fic1", "", strings.Repeat("s", 601), aud)}, "600 characters"},
		{"same issuer and subject", 1, []FederatedCredential{fic("fic1", "", sub, aud), fic("fic2", "", sub, "api://y")}, "must be unique per identity"},
	}
	var many []FederatedCredential
	for i := range 21 {
		many = append(many, fic("fic"+strings.Repeat("x", i+1), "", sub+strings.Repeat("z", i), aud))
	}
	cases = append(cases, struct {
		name string
		on   int
		fics []FederatedCredential
		want string
	}{"21 credentials", 1, many, "at most 20"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Default()
			cfg.Identities[c.on].FederatedCredentials = c.fics
			err := cfg.Normalize()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestCloneCopiesFederatedCredentials(t *testing.T) {
	c := Default()
	cp := c.Clone()
	cp.Identities[1].FederatedCredentials[0].Audiences[0] = "changed"
	cp.Identities[1].FederatedCredentials[0].Subject = "changed"
	if got := c.Identities[1].FederatedCredentials[0]; got.Audiences[0] != "api://AzureADTokenExchange" || got.Subject != "system:serviceaccount:default:workload-sa" {
		t.Fatalf("the clone shares the original's credentials: %+v", got)
	}
}
