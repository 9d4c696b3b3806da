package keyvault

import (
	"encoding/json"
	"regexp"
	"strings"
)

// vaultProperties are the properties of Microsoft.KeyVault/vaults the
// emulator keeps (spec §22.7); others are dropped.
type vaultProperties struct {
	TenantID                     string              `json:"tenantId"`
	Sku                          *vaultSku           `json:"sku"`
	AccessPolicies               []vaultAccessPolicy `json:"accessPolicies"`
	VaultURI                     string              `json:"vaultUri,omitempty"`
	EnabledForDeployment         *bool               `json:"enabledForDeployment,omitempty"`
	EnabledForDiskEncryption     *bool               `json:"enabledForDiskEncryption,omitempty"`
	EnabledForTemplateDeployment *bool               `json:"enabledForTemplateDeployment,omitempty"`
	EnableSoftDelete             *bool               `json:"enableSoftDelete,omitempty"`
	SoftDeleteRetentionInDays    *int                `json:"softDeleteRetentionInDays,omitempty"`
	EnableRbacAuthorization      *bool               `json:"enableRbacAuthorization,omitempty"`
	EnablePurgeProtection        *bool               `json:"enablePurgeProtection,omitempty"`
	CreateMode                   string              `json:"createMode,omitempty"`
	PublicNetworkAccess          string              `json:"publicNetworkAccess,omitempty"`
	ProvisioningState            string              `json:"provisioningState,omitempty"`
}

type vaultSku struct {
	Family string `json:"family"`
	Name   string `json:"name"`
}

type vaultAccessPolicy struct {
	TenantID      string            `json:"tenantId"`
	ObjectID      string            `json:"objectId"`
	ApplicationID string            `json:"applicationId,omitempty"`
	Permissions   policyPermissions `json:"permissions"`
}

type policyPermissions struct {
	Keys         []string `json:"keys,omitempty"`
	Secrets      []string `json:"secrets,omitempty"`
	Certificates []string `json:"certificates,omitempty"`
	Storage      []string `json:"storage,omitempty"`
}

// clone copies p deeply (its pointers and slices too), so that decoding a
// PATCH into the copy leaves the stored record alone.
func (p vaultProperties) clone() vaultProperties {
	var c vaultProperties
	b, err := json.Marshal(p)
	if err == nil && json.Unmarshal(b, &c) == nil {
		return c
	}
	return vaultProperties{} // unreachable: p encodes and decodes as itself
}

func (p vaultProperties) retention() int {
	if p.SoftDeleteRetentionInDays != nil {
		return *p.SoftDeleteRetentionInDays
	}
	return 90
}

func (p vaultProperties) purgeProtected() bool {
	return p.EnablePurgeProtection != nil && *p.EnablePurgeProtection
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// secretPermissions are the access-policy permissions for secrets.
var secretPermissions = map[string]bool{"all": true, "get": true, "list": true, "set": true, "delete": true,
	"recover": true, "backup": true, "restore": true, "purge": true}

// maxAccessPolicies is Azure's limit per vault.
const maxAccessPolicies = 1024

// validate checks the properties of a create or update (texts
// unverified); it returns "" when they are acceptable.
func (p *vaultProperties) validate() string {
	if !guidRE.MatchString(p.TenantID) {
		return "The property 'tenantId' is required and must be a GUID."
	}
	if p.Sku == nil || !strings.EqualFold(p.Sku.Family, "A") || !(strings.EqualFold(p.Sku.Name, "standard") || strings.EqualFold(p.Sku.Name, "premium")) {
		return "The property 'sku' is required: {\"family\": \"A\", \"name\": \"standard\" or \"premium\"}."
	}
	if p.EnableSoftDelete != nil && !*p.EnableSoftDelete {
		return "The property \"enableSoftDelete\" cannot be set to false. Enabling the soft delete for the vault is an irreversible action."
	}
	if d := p.SoftDeleteRetentionInDays; d != nil && (*d < 7 || *d > 90) {
		return "The property 'softDeleteRetentionInDays' must be from 7 to 90."
	}
	if len(p.AccessPolicies) > maxAccessPolicies {
		return "A vault has at most 1024 access policies."
	}
	for _, ap := range p.AccessPolicies {
		if !guidRE.MatchString(ap.TenantID) || !guidRE.MatchString(ap.ObjectID) {
			return "Every access policy needs 'tenantId' and 'objectId' GUIDs."
		}
		for _, perm := range ap.Permissions.Secrets {
			if !secretPermissions[strings.ToLower(perm)] {
				return "The access policy secret permission '" + clip(perm) + "' is not one of all, get, list, set, delete, recover, backup, restore, purge."
			}
		}
	}
	switch strings.ToLower(p.CreateMode) {
	case "", "default", "recover":
	default:
		return "The property 'createMode' must be 'default' or 'recover'."
	}
	return ""
}
