package emulator

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/keyvault"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
)

// Key Vault wiring: the vault resource (Microsoft.KeyVault/vaults on the
// ARM routes) and the secrets data plane, served on the ARM listener to
// requests whose Host names a vault ({vault}.vault.localhost:PORT, or
// {vault}.vault.azure.net in a namespace that resolves it here). With a
// StateDir, vaults and secrets persist in StateDir/keyvault.db.

// VaultSuffixEnv names the vault DNS suffix in Env (azmsi builds vault
// URLs from it).
const VaultSuffixEnv = "AZMSI_KEYVAULT_DNS_SUFFIX"

// vaultHostnames are the certificate names of the data plane.
var vaultHostnames = []string{"*" + keyvault.LoopbackSuffix, "*" + keyvault.PublicSuffix}

// vaultAuthz is what the vault services ask RBAC (the roles store).
type vaultAuthz interface {
	keyvault.Authorizer
	keyvault.ARMAuthorizer
}

// vaults are the Key Vault services of a Server.
type vaults struct {
	ctl  *keyvault.VaultService
	data *keyvault.Handler
	bolt *keyvault.Bolt // nil without a StateDir
}

// buildVaults makes s.kv; it runs after ARM and RBAC are built.
func (s *Server) buildVaults(authz vaultAuthz) error {
	o := s.opts
	kv := &vaults{}
	var ctlStore keyvault.VaultPersister
	var dataStore keyvault.Persister
	if o.StateDir != "" {
		b, err := keyvault.OpenBolt(o.StateDir)
		if err != nil {
			return err
		}
		kv.bolt, ctlStore, dataStore = b, b, b
	}
	var err error
	kv.ctl, err = keyvault.NewVaultService(keyvault.VaultServiceOptions{
		Auth:        vaultARMAuth{s},
		Authz:       authz,
		Versions:    s.versions,
		GroupExists: s.arm.GroupExists,
		Persister:   ctlStore,
		Now:         o.Clock.Now,
		VaultURI:    s.vaultURI,
		OnPurge:     func(name string) error { return kv.data.PurgeVault(name) },
		OnRemove:    s.resourceRemoved,
	})
	if err == nil {
		kv.data, err = keyvault.New(keyvault.Options{
			Vaults: kv.ctl, Tokens: vaultTokens{s.tokens}, Authorizer: authz, Store: dataStore,
			Now: o.Clock.Now, Logger: s.logger,
		})
	}
	if err != nil {
		if kv.bolt != nil {
			_ = kv.bolt.Close()
		}
		return err
	}
	s.kv = kv
	return nil
}

// vaultsGroupRemoved soft-deletes the vaults of a resource group that
// went (as Azure does); ARM calls it under its lock.
func (s *Server) vaultsGroupRemoved(sub, group string) error {
	if s.kv == nil {
		return nil
	}
	return s.kv.ctl.GroupRemoved(sub, group)
}

// closeVaults releases the state file.
func (s *Server) closeVaults() error {
	if s.kv == nil || s.kv.bolt == nil {
		return nil
	}
	return s.kv.bolt.Close()
}

// VaultSuffix is the DNS suffix of the emulator's vaults,
// ".vault.localhost:PORT" (the ARM listener's port), or "" without ARM.
func (s *Server) VaultSuffix() string {
	if s.armURL == "" {
		return ""
	}
	_, port, err := net.SplitHostPort(strings.TrimPrefix(s.armURL, "https://"))
	if err != nil {
		return ""
	}
	return keyvault.LoopbackSuffix + ":" + port
}

// VaultURL is the data-plane URL of a vault, as its vaultUri says.
func (s *Server) VaultURL(name string) string { return s.vaultURI(name) }

func (s *Server) vaultURI(name string) string {
	if suffix := s.VaultSuffix(); suffix != "" {
		return "https://" + strings.ToLower(name) + suffix + "/"
	}
	return "https://" + strings.ToLower(name) + keyvault.PublicSuffix + "/"
}

// withVaults sends requests whose Host names a vault to the data plane.
func (s *Server) withVaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := keyvault.VaultName(r.Host); ok && s.kv != nil {
			s.kv.data.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// serveVaultResource serves the ARM routes under Microsoft.KeyVault.
func (s *Server) serveVaultResource(w http.ResponseWriter, r *http.Request) {
	s.kv.ctl.ServeHTTP(w, r)
}

// vaultTokens verifies data-plane tokens: the token authority's checks
// except the audience, which the vault judges.
type vaultTokens struct{ a *tokens.Authority }

func (v vaultTokens) VerifyToken(raw string) (keyvault.Principal, error) {
	t, terr := v.a.VerifyFor(raw, nil)
	if terr != nil {
		return keyvault.Principal{}, errors.New(terr.Message)
	}
	claim := func(k string) string { s, _ := t.Claims[k].(string); return s }
	return keyvault.Principal{TenantID: claim("tid"), ObjectID: claim("oid"), AppID: claim("appid"), Audience: t.Audience}, nil
}

// vaultARMAuth is ARM's authentication for the vault resource.
type vaultARMAuth struct{ s *Server }

func (a vaultARMAuth) Authenticate(w http.ResponseWriter, r *http.Request) (keyvault.ARMCaller, bool) {
	t, ok := a.s.arm.Authenticate(w, r)
	if !ok {
		return keyvault.ARMCaller{}, false
	}
	c := keyvault.ARMCaller{}
	c.ObjectID, _ = t.Claims["oid"].(string)
	c.ClientID, _ = t.Claims["appid"].(string)
	if t.Identity != nil {
		c.ObjectID, c.ClientID = t.Identity.ObjectID, t.Identity.ClientID
	}
	return c, true
}
