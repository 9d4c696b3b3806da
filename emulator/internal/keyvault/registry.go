package keyvault

import "strings"

// Vault is what the data plane needs to know of one vault resource.
type Vault struct {
	Name       string // as created; compared case-insensitively
	TenantID   string // the tenant whose tokens the vault accepts
	ResourceID string // ARM id, the scope of RBAC checks
	Location   string
	// RBAC: permissions come from data actions (Authorizer) when true, from
	// AccessPolicies when false.
	RBAC           bool
	AccessPolicies []AccessPolicy
	// SoftDeleteRetentionDays is how long deleted secrets stay recoverable
	// (7–90; 0 means the default, 90).
	SoftDeleteRetentionDays int
	PurgeProtection         bool
	// Deleted: the vault resource is soft-deleted; its secrets are kept
	// for a recovery but the data plane refuses every request.
	Deleted bool
}

// AccessPolicy grants secret permissions to one principal of a tenant.
type AccessPolicy struct {
	TenantID string
	ObjectID string
	// Secrets are permission names: get, list, set, delete, recover,
	// backup, restore, purge, or all (case-insensitive).
	Secrets []string
}

// Registry finds vaults by name (case-insensitive).
type Registry interface {
	Vault(name string) (Vault, bool)
}

// retentionDays is the vault's soft-delete retention, defaulted.
func (v Vault) retentionDays() int {
	if v.SoftDeleteRetentionDays >= 7 && v.SoftDeleteRetentionDays <= 90 {
		return v.SoftDeleteRetentionDays
	}
	return 90
}

// recoveryLevel maps the vault's settings to Key Vault's recoveryLevel
// (mapping unverified: purge protection → "Recoverable").
func (v Vault) recoveryLevel() string {
	if v.PurgeProtection {
		return "Recoverable"
	}
	return "Recoverable+Purgeable"
}

// policyAllows reports whether an access policy of the vault grants perm
// to the principal.
func (v Vault) policyAllows(p Principal, perm string) bool {
	for _, ap := range v.AccessPolicies {
		if !strings.EqualFold(ap.ObjectID, p.ObjectID) || !strings.EqualFold(ap.TenantID, v.TenantID) {
			continue
		}
		for _, s := range ap.Secrets {
			if strings.EqualFold(s, perm) || strings.EqualFold(s, "all") {
				return true
			}
		}
	}
	return false
}
