package config

import (
	"fmt"
	"regexp"
	"strings"
)

// FederatedCredential is a federated identity credential on a
// user-assigned identity: Entra ID accepts, for this identity, a token
// whose iss, sub and aud match (protocols-2026.md §19.9). An empty Issuer
// means the emulator's own cluster OIDC issuer, whose URL depends on the
// port it listens on.
type FederatedCredential struct {
	Name      string   `json:"name"`
	Issuer    string   `json:"issuer,omitempty"`
	Subject   string   `json:"subject"`
	Audiences []string `json:"audiences"`
}

// MaxFederatedCredentials is Entra's limit per user-assigned identity.
const MaxFederatedCredentials = 20

// ficNameRE is the ARM name pattern of a federated identity credential.
var ficNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}$`)

// normalizeFederated applies Entra's rules to id's federated credentials:
// only on user-assigned identities, at most 20, a valid name, a subject, an
// issuer URL when given, exactly one audience, 600 characters per value,
// and issuer+subject unique.
func normalizeFederated(f string, id *Identity) error {
	if len(id.FederatedCredentials) == 0 {
		return nil
	}
	if id.Kind != KindUser {
		return cfgErr(f+".federatedCredentials", "only user-assigned identities can have federated credentials")
	}
	if len(id.FederatedCredentials) > MaxFederatedCredentials {
		return cfgErr(f+".federatedCredentials", "%d credentials; Entra allows at most %d per identity", len(id.FederatedCredentials), MaxFederatedCredentials)
	}
	names, pairs := uniqueIn{}, map[string]int{}
	for i := range id.FederatedCredentials {
		fc := &id.FederatedCredentials[i]
		ff := fmt.Sprintf("%s.federatedCredentials[%d]", f, i)
		if !ficNameRE.MatchString(fc.Name) {
			return cfgErr(ff+".name", "%q must be 3-120 letters, digits, '-' or '_', starting with a letter or digit", fc.Name)
		}
		if j, dup := names.claim(fc.Name, i); dup {
			return cfgErr(ff+".name", "duplicate of federatedCredentials[%d]", j)
		}
		if fc.Issuer != "" && !strings.HasPrefix(fc.Issuer, "https://") && !strings.HasPrefix(fc.Issuer, "http://") {
			return cfgErr(ff+".issuer", "%q is not a URL; give the cluster's OIDC issuer URL, or leave it out for the emulator's own issuer", fc.Issuer)
		}
		if fc.Subject == "" {
			return cfgErr(ff+".subject", "required, e.g. system:serviceaccount:default:workload-sa")
		}
		if len(fc.Audiences) != 1 || fc.Audiences[0] == "" {
			return cfgErr(ff+".audiences", "federated identity credentials must have exactly one audience (usually api://AzureADTokenExchange)")
		}
		if len(fc.Issuer) > 600 || len(fc.Subject) > 600 || len(fc.Audiences[0]) > 600 {
			return cfgErr(ff, "issuer, subject and audience are limited to 600 characters each")
		}
		// Byte-exact, as Entra compares them (case-sensitivity unverified).
		key := fc.Issuer + "\x00" + fc.Subject
		if j, dup := pairs[key]; dup {
			return cfgErr(ff, "same issuer and subject as federatedCredentials[%d]; the pair must be unique per identity", j)
		}
		pairs[key] = i
	}
	return nil
}

// cloneFederated deep-copies the federated credentials of ids.
func cloneFederated(ids []Identity) {
	for i := range ids {
		if fcs := ids[i].FederatedCredentials; fcs != nil {
			cp := make([]FederatedCredential, len(fcs))
			for j, fc := range fcs {
				fc.Audiences = append([]string(nil), fc.Audiences...)
				cp[j] = fc
			}
			ids[i].FederatedCredentials = cp
		}
	}
}
