package arm

import "strings"

// builtinRole is the control-plane part of one of Azure's built-in roles:
// enough to name which of them would grant a missing action. The emulator
// keeps the full definitions; this copy is independent, as the walls
// between the packages require (permissions from Learn's built-in-roles
// pages).
type builtinRole struct {
	name       string
	actions    []string
	notActions []string
}

// kvCommon are the control-plane actions every Key Vault data role but
// Secrets User carries.
var kvCommon = []string{
	"Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
	"Microsoft.Resources/deployments/*", "Microsoft.Resources/subscriptions/resourceGroups/read",
	"Microsoft.Support/*", "Microsoft.KeyVault/checkNameAvailability/read",
	"Microsoft.KeyVault/deletedVaults/read", "Microsoft.KeyVault/locations/*/read",
	"Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read",
}

// builtinRoles are listed from the most to the least privileged, the order
// the advice names them in.
var builtinRoles = []builtinRole{
	{name: "Owner", actions: []string{"*"}},
	{name: "Contributor", actions: []string{"*"}, notActions: []string{
		"Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
		"Microsoft.Authorization/elevateAccess/Action",
		"Microsoft.Blueprint/blueprintAssignments/write", "Microsoft.Blueprint/blueprintAssignments/delete",
		"Microsoft.Compute/galleries/share/action",
		"Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete",
		"Microsoft.Resources/deploymentStacks/manageDenySetting/action",
		"Microsoft.Subscription/cancel/action", "Microsoft.Subscription/enable/action",
	}},
	{name: "User Access Administrator", actions: []string{"*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"}},
	{name: "Role Based Access Control Administrator", actions: []string{
		"Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete",
		"*/read", "Microsoft.Support/*",
	}},
	{name: "Reader", actions: []string{"*/read"}},
	{name: "Managed Identity Operator", actions: []string{
		"Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
		"Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
		"Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
		"Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Resources/deployments/*",
		"Microsoft.Support/*",
	}},
	{name: "Key Vault Administrator", actions: kvCommon},
	{name: "Key Vault Secrets Officer", actions: kvCommon},
	{name: "Key Vault Reader", actions: kvCommon},
	{name: "Storage Blob Data Owner", actions: []string{
		"Microsoft.Storage/storageAccounts/blobServices/containers/*",
		"Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
	}},
	{name: "Storage Blob Data Contributor", actions: []string{
		"Microsoft.Storage/storageAccounts/blobServices/containers/delete",
		"Microsoft.Storage/storageAccounts/blobServices/containers/read",
		"Microsoft.Storage/storageAccounts/blobServices/containers/write",
		"Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
	}},
	{name: "Storage Blob Data Reader", actions: []string{
		"Microsoft.Storage/storageAccounts/blobServices/containers/read",
		"Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
	}},
}

// BuiltinRolesGranting names the common built-in roles (Owner, Contributor,
// Reader, the access administrators, Managed Identity Operator, the Key
// Vault and Storage Blob data roles) whose actions grant the control-plane
// action, most privileged first. It is advice, not evaluation: custom roles
// and built-in roles outside that list are not considered.
func BuiltinRolesGranting(action string) []string {
	action = strings.TrimSpace(action)
	if action == "" {
		return nil
	}
	var names []string
	for _, r := range builtinRoles {
		if anyMatches(r.actions, action) && !anyMatches(r.notActions, action) {
			names = append(names, r.name)
		}
	}
	return names
}

func anyMatches(patterns []string, action string) bool {
	for _, p := range patterns {
		if ActionMatches(p, action) {
			return true
		}
	}
	return false
}

// ActionMatches reports whether an action pattern of a role definition
// (actions, notActions) covers action, as Azure matches them: ignoring
// case, each "*" standing for any run of characters, "/" included.
func ActionMatches(pattern, action string) bool {
	p, a := strings.ToLower(pattern), strings.ToLower(action)
	parts := strings.Split(p, "*")
	if len(parts) == 1 {
		return p == a
	}
	if !strings.HasPrefix(a, parts[0]) {
		return false
	}
	a = a[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(a, part)
		if i < 0 {
			return false
		}
		a = a[i+len(part):]
	}
	return len(a) >= len(last) && strings.HasSuffix(a, last)
}
