package keyvault

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/apiversion"
)

// The vault resource, Microsoft.KeyVault/vaults, as the emulated ARM serves
// it (spec §22.7): create, read, update, soft delete, list, deleted vaults
// and purge. VaultService is also the data plane's Registry.

// ARMCaller is the authenticated caller of an ARM request.
type ARMCaller struct {
	ObjectID string
	ClientID string
}

// ARMAuthenticator checks an ARM bearer token; on failure it has written
// ARM's 401.
type ARMAuthenticator interface {
	Authenticate(w http.ResponseWriter, r *http.Request) (ARMCaller, bool)
}

// ARMAuthorizer answers control-plane questions (the roles package's
// Allowed).
type ARMAuthorizer interface {
	Allowed(objectID, action, scope string) bool
}

// VaultPersister keeps vault records durably (keys: lower-case names).
type VaultPersister interface {
	LoadVaults() ([][]byte, error)
	PutVault(name string, data []byte) error
	DeleteVault(name string) error
}

// VaultServiceOptions configures a VaultService.
type VaultServiceOptions struct {
	Auth     ARMAuthenticator    // required
	Authz    ARMAuthorizer       // required
	Versions *apiversion.Checker // required
	// GroupExists reports whether a resource group exists; required.
	GroupExists func(subscriptionID, group string) bool
	Persister   VaultPersister // nil: memory only
	Now         func() time.Time
	// VaultURI is the data-plane URL of a vault (with the trailing slash
	// Azure writes); nil → https://{name}.vault.azure.net/.
	VaultURI func(name string) string
	// OnPurge runs when a deleted vault is purged (its secrets go).
	OnPurge func(name string) error
	// OnRemove hears of the ARM id of every vault deleted or purged through
	// the API or by expiry (the emulator drops the role assignments at that
	// scope); a group's removal is not reported, the group's scope covers
	// it. It runs under the service's lock and must not call back.
	OnRemove func(resourceID string)
	// MaxVaults bounds the vaults kept, deleted ones included (default 1,000).
	MaxVaults int
}

// vaultRecord is one vault, persisted as JSON.
type vaultRecord struct {
	Subscription       string            `json:"subscription"`
	Group              string            `json:"group"`
	Name               string            `json:"name"`
	Location           string            `json:"location"`
	Tags               map[string]string `json:"tags,omitempty"`
	Properties         vaultProperties   `json:"properties"`
	Deleted            bool              `json:"deleted,omitempty"`
	DeletionDate       time.Time         `json:"deletionDate,omitzero"`
	ScheduledPurgeDate time.Time         `json:"scheduledPurgeDate,omitzero"`
}

func (v *vaultRecord) id() string {
	return "/subscriptions/" + v.Subscription + "/resourceGroups/" + v.Group + "/providers/Microsoft.KeyVault/vaults/" + v.Name
}

// VaultService serves the vault resource and answers Registry.
type VaultService struct {
	o  VaultServiceOptions
	mu sync.RWMutex
	// vaults by lower-case name: vault names are global, like their DNS names.
	vaults map[string]*vaultRecord
}

// NewVaultService builds the service and loads persisted vaults.
func NewVaultService(o VaultServiceOptions) (*VaultService, error) {
	if o.Auth == nil || o.Authz == nil || o.Versions == nil || o.GroupExists == nil {
		return nil, errors.New("keyvault: VaultServiceOptions needs Auth, Authz, Versions and GroupExists")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.VaultURI == nil {
		o.VaultURI = func(name string) string { return "https://" + strings.ToLower(name) + PublicSuffix + "/" }
	}
	if o.MaxVaults <= 0 {
		o.MaxVaults = 1000
	}
	s := &VaultService{o: o, vaults: map[string]*vaultRecord{}}
	if o.Persister != nil {
		recs, err := o.Persister.LoadVaults()
		if err != nil {
			return nil, fmt.Errorf("keyvault: loading vaults: %w", err)
		}
		for _, b := range recs {
			var v vaultRecord
			if err := json.Unmarshal(b, &v); err != nil || !validVaultName(v.Name) {
				return nil, errors.New("keyvault: a stored vault record is corrupt; delete it from the state to continue")
			}
			s.vaults[strings.ToLower(v.Name)] = &v
		}
	}
	return s, nil
}

// Vault implements Registry: the vault by name, for the data plane.
func (s *VaultService) Vault(name string) (Vault, bool) {
	s.mu.RLock()
	v := s.vaults[strings.ToLower(name)]
	s.mu.RUnlock()
	if v == nil {
		return Vault{}, false
	}
	out := Vault{Name: v.Name, TenantID: v.Properties.TenantID, ResourceID: v.id(), Location: v.Location,
		RBAC:                    v.Properties.EnableRbacAuthorization != nil && *v.Properties.EnableRbacAuthorization,
		SoftDeleteRetentionDays: v.Properties.retention(), PurgeProtection: v.Properties.purgeProtected(), Deleted: v.Deleted}
	for _, p := range v.Properties.AccessPolicies {
		out.AccessPolicies = append(out.AccessPolicies, AccessPolicy{TenantID: p.TenantID, ObjectID: p.ObjectID, Secrets: p.Permissions.Secrets})
	}
	return out, true
}

// Exists reports whether resourceID is a live vault (for child resources
// kept elsewhere).
func (s *VaultService) Exists(resourceID string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.vaults {
		if !v.Deleted && strings.EqualFold(v.id(), strings.TrimRight(resourceID, "/")) {
			return true
		}
	}
	return false
}

// GroupRemoved soft-deletes every live vault of a resource group that was
// deleted (their secrets stay recoverable, as in Azure).
func (s *VaultService) GroupRemoved(sub, group string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Now().UTC().Truncate(time.Second)
	for _, v := range s.sortedVaults(func(v *vaultRecord) bool {
		return !v.Deleted && strings.EqualFold(v.Subscription, sub) && strings.EqualFold(v.Group, group)
	}) {
		rec := *v
		rec.Deleted, rec.DeletionDate = true, now
		rec.ScheduledPurgeDate = now.AddDate(0, 0, rec.Properties.retention())
		if err := s.save(rec.Name, &rec); err != nil {
			return err
		}
	}
	return nil
}

// Reset forgets every vault and its secrets (the emulator's reset and
// configuration reload start from the configuration, which has none).
func (s *VaultService) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.sortedVaults(func(*vaultRecord) bool { return true }) {
		if err := s.purgeLocked(v); err != nil {
			return err
		}
	}
	return nil
}

// save persists and installs rec (nil removes name); callers hold mu.
func (s *VaultService) save(name string, rec *vaultRecord) error {
	key := strings.ToLower(name)
	if s.o.Persister != nil {
		var err error
		if rec == nil {
			err = s.o.Persister.DeleteVault(key)
		} else {
			var b []byte
			if b, err = json.Marshal(rec); err == nil {
				err = s.o.Persister.PutVault(key, b)
			}
		}
		if err != nil {
			return err
		}
	}
	if rec == nil {
		delete(s.vaults, key)
	} else {
		s.vaults[key] = rec
	}
	return nil
}

// expireLocked purges deleted vaults past their scheduled purge date.
func (s *VaultService) expireLocked(now time.Time) {
	for _, v := range s.vaults {
		if v.Deleted && !now.Before(v.ScheduledPurgeDate) {
			if s.purgeLocked(v) == nil { // on failure kept; the next access tries again
				s.removed(v)
			}
		}
	}
}

func (s *VaultService) purgeLocked(v *vaultRecord) error {
	if s.o.OnPurge != nil {
		if err := s.o.OnPurge(v.Name); err != nil {
			return err
		}
	}
	return s.save(v.Name, nil)
}

// removed reports a vault that went through the API or by expiry.
func (s *VaultService) removed(v *vaultRecord) {
	if s.o.OnRemove != nil {
		s.o.OnRemove(v.id())
	}
}

// sortedVaults returns the records matching keep, by name.
func (s *VaultService) sortedVaults(keep func(*vaultRecord) bool) []*vaultRecord {
	var out []*vaultRecord
	for _, v := range s.vaults {
		if keep(v) {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}
