package entra

import (
	"crypto"
	"fmt"
	"time"
)

// FederatedCredential is a federated identity credential on a
// user-assigned identity: Entra accepts an assertion whose iss equals
// Issuer, whose sub equals Subject and whose aud contains Audiences[0].
// Comparisons are byte-exact (Learn: "must exactly match"; case-sensitivity
// unverified, U19-12).
type FederatedCredential struct {
	Name      string   `json:"name,omitempty"`
	Issuer    string   `json:"issuer"`
	Subject   string   `json:"subject"`
	Audiences []string `json:"audiences"`
}

// Validate applies Entra's rules for a federated credential: issuer and
// subject present, at most 600 characters each, exactly one audience.
func (fc FederatedCredential) Validate() error {
	switch {
	case fc.Issuer == "":
		return fmt.Errorf("federated credential %q: issuer is empty; give the cluster's OIDC issuer URL", fc.Name)
	case fc.Subject == "":
		return fmt.Errorf("federated credential %q: subject is empty; give system:serviceaccount:NAMESPACE:NAME", fc.Name)
	case len(fc.Audiences) != 1:
		return fmt.Errorf("federated credential %q: has %d audiences; federated identity credentials must have exactly one audience (usually %s)", fc.Name, len(fc.Audiences), TokenExchangeAudience)
	case len(fc.Issuer) > 600 || len(fc.Subject) > 600 || len(fc.Audiences[0]) > 600:
		return fmt.Errorf("federated credential %q: issuer, subject and audience are limited to 600 characters", fc.Name)
	}
	return nil
}

// matches reports whether the assertion satisfies fc.
func (fc FederatedCredential) matches(a *assertion) bool {
	if fc.Issuer != a.Issuer || fc.Subject != a.Subject || len(fc.Audiences) == 0 {
		return false
	}
	for _, aud := range a.Audiences {
		if aud == fc.Audiences[0] {
			return true
		}
	}
	return false
}

// App is the application Entra issues tokens for: here a user-assigned
// identity, known by its client ID, with the federated credentials it
// trusts.
type App struct {
	ClientID             string
	Name                 string
	FederatedCredentials []FederatedCredential
}

// AppLookup finds the application whose client ID is clientID in the
// endpoint's tenant.
type AppLookup func(clientID string) (App, bool)

// KeyLookup returns the key issuer published under kid. The emulator
// answers from its own issuers instead of fetching their JWKS. An error
// wrapping ErrUnknownKey means the issuer is known but has no such key.
type KeyLookup func(issuer, kid string) (crypto.PublicKey, error)

// AccessToken is what a MintFunc returns.
type AccessToken struct {
	Raw       string
	ExpiresAt time.Time
}

// MintFunc issues the access token for app and resource (the scope without
// "/.default"). Returning an *Error sends it to the client as is; any other
// error is a 500.
type MintFunc func(app App, resource string) (AccessToken, error)
