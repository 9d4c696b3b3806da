package roles

// The built-in roles users assign to managed identities, as Learn's
// built-in-roles pages list them (protocols-2026 §21.5; GUIDs, permissions
// and descriptions checked against the pages' JSON). Every built-in role is
// assignable everywhere ("/") and has no notDataActions.

// GUIDs of the built-in roles, for callers that seed or test assignments.
const (
	OwnerID                               = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	ContributorID                         = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	ReaderID                              = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	UserAccessAdministratorID             = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
	RoleBasedAccessControlAdministratorID = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
	ManagedIdentityOperatorID             = "f1a07417-d97a-45cb-824c-7a7467783830"
	KeyVaultAdministratorID               = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
	KeyVaultSecretsOfficerID              = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
	KeyVaultSecretsUserID                 = "4633458b-17de-408a-b874-0445c86b69e6"
	KeyVaultReaderID                      = "21090545-7ca7-4776-b22c-e363652d74d2"
	StorageBlobDataOwnerID                = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
	StorageBlobDataContributorID          = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
	StorageBlobDataReaderID               = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
)

// keyVaultCommonActions are the control-plane actions the Key Vault data
// roles share (read the vault and its group, deployments, support).
var keyVaultCommonActions = []string{
	"Microsoft.Authorization/*/read",
	"Microsoft.Insights/alertRules/*",
	"Microsoft.Resources/deployments/*",
	"Microsoft.Resources/subscriptions/resourceGroups/read",
	"Microsoft.Support/*",
	"Microsoft.KeyVault/checkNameAvailability/read",
	"Microsoft.KeyVault/deletedVaults/read",
	"Microsoft.KeyVault/locations/*/read",
	"Microsoft.KeyVault/vaults/*/read",
	"Microsoft.KeyVault/operations/read",
}

const storageDataHint = " To learn which actions are required for a given data operation, see Permissions for calling data operations."

// BuiltInRoles returns fresh copies of the built-in role definitions, in a
// fixed order.
func BuiltInRoles() []Definition {
	kvOnly := " Only works for key vaults that use the 'Azure role-based access control' permission model."
	defs := []Definition{
		builtIn(OwnerID, "Owner",
			"Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
			Permission{Actions: []string{"*"}}),
		builtIn(ContributorID, "Contributor",
			"Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
			Permission{Actions: []string{"*"}, NotActions: []string{
				"Microsoft.Authorization/*/Delete",
				"Microsoft.Authorization/*/Write",
				"Microsoft.Authorization/elevateAccess/Action",
				"Microsoft.Blueprint/blueprintAssignments/write",
				"Microsoft.Blueprint/blueprintAssignments/delete",
				"Microsoft.Compute/galleries/share/action",
				"Microsoft.Purview/consents/write",
				"Microsoft.Purview/consents/delete",
				"Microsoft.Resources/deploymentStacks/manageDenySetting/action",
				"Microsoft.Subscription/cancel/action",
				"Microsoft.Subscription/enable/action",
			}}),
		builtIn(ReaderID, "Reader",
			"View all resources, but does not allow you to make any changes.",
			Permission{Actions: []string{"*/read"}}),
		builtIn(UserAccessAdministratorID, "User Access Administrator",
			"Lets you manage user access to Azure resources.",
			Permission{Actions: []string{"*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"}}),
		builtIn(RoleBasedAccessControlAdministratorID, "Role Based Access Control Administrator",
			"Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.",
			Permission{Actions: []string{
				"Microsoft.Authorization/roleAssignments/write",
				"Microsoft.Authorization/roleAssignments/delete",
				"*/read",
				"Microsoft.Support/*",
			}}),
		builtIn(ManagedIdentityOperatorID, "Managed Identity Operator",
			"Read and Assign User Assigned Identity",
			Permission{Actions: []string{
				"Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
				"Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
				"Microsoft.Authorization/*/read",
				"Microsoft.Insights/alertRules/*",
				"Microsoft.Resources/subscriptions/resourceGroups/read",
				"Microsoft.Resources/deployments/*",
				"Microsoft.Support/*",
			}}),
		builtIn(KeyVaultAdministratorID, "Key Vault Administrator",
			"Perform all data plane operations on a key vault and all objects in it, including certificates, keys, and secrets. Cannot manage key vault resources or manage role assignments."+kvOnly,
			Permission{Actions: clone(keyVaultCommonActions), DataActions: []string{"Microsoft.KeyVault/vaults/*"}}),
		builtIn(KeyVaultSecretsOfficerID, "Key Vault Secrets Officer",
			"Perform any action on the secrets of a key vault, except manage permissions."+kvOnly,
			Permission{Actions: clone(keyVaultCommonActions), DataActions: []string{"Microsoft.KeyVault/vaults/secrets/*"}}),
		builtIn(KeyVaultSecretsUserID, "Key Vault Secrets User",
			"Read secret contents."+kvOnly,
			Permission{DataActions: []string{
				"Microsoft.KeyVault/vaults/secrets/getSecret/action",
				"Microsoft.KeyVault/vaults/secrets/readMetadata/action",
			}}),
		builtIn(KeyVaultReaderID, "Key Vault Reader",
			"Read metadata of key vaults and its certificates, keys, and secrets. Cannot read sensitive values such as secret contents or key material."+kvOnly,
			Permission{Actions: clone(keyVaultCommonActions), DataActions: []string{
				"Microsoft.KeyVault/vaults/*/read",
				"Microsoft.KeyVault/vaults/secrets/readMetadata/action",
			}}),
		builtIn(StorageBlobDataOwnerID, "Storage Blob Data Owner",
			"Provides full access to Azure Storage blob containers and data, including assigning POSIX access control."+storageDataHint,
			Permission{
				Actions: []string{
					"Microsoft.Storage/storageAccounts/blobServices/containers/*",
					"Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
				},
				DataActions: []string{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"},
			}),
		builtIn(StorageBlobDataContributorID, "Storage Blob Data Contributor",
			"Read, write, and delete Azure Storage containers and blobs."+storageDataHint,
			Permission{
				Actions: []string{
					"Microsoft.Storage/storageAccounts/blobServices/containers/delete",
					"Microsoft.Storage/storageAccounts/blobServices/containers/read",
					"Microsoft.Storage/storageAccounts/blobServices/containers/write",
					"Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
				},
				DataActions: []string{
					"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
					"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
					"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
					"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action",
					"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
				},
			}),
		builtIn(StorageBlobDataReaderID, "Storage Blob Data Reader",
			"Read and list Azure Storage containers and blobs."+storageDataHint,
			Permission{
				Actions: []string{
					"Microsoft.Storage/storageAccounts/blobServices/containers/read",
					"Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
				},
				DataActions: []string{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"},
			}),
	}
	return defs
}

func builtIn(id, name, description string, p Permission) Definition {
	for _, l := range []*[]string{&p.Actions, &p.NotActions, &p.DataActions, &p.NotDataActions} {
		if *l == nil {
			*l = []string{} // JSON [] rather than null, as ARM answers
		}
	}
	return Definition{
		Name: id, RoleName: name, Description: description, Type: BuiltInRole,
		Permissions: []Permission{p}, AssignableScopes: []string{"/"},
	}
}

func clone(s []string) []string { return append([]string(nil), s...) }
