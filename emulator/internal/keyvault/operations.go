package keyvault

// Data actions for secrets (Learn, Microsoft.KeyVault data actions).
const (
	ActionGetSecret    = "Microsoft.KeyVault/vaults/secrets/getSecret/action"
	ActionReadMetadata = "Microsoft.KeyVault/vaults/secrets/readMetadata/action"
	ActionSetSecret    = "Microsoft.KeyVault/vaults/secrets/setSecret/action"
	ActionUpdate       = "Microsoft.KeyVault/vaults/secrets/update/action"
	ActionDelete       = "Microsoft.KeyVault/vaults/secrets/delete"
	ActionRecover      = "Microsoft.KeyVault/vaults/secrets/recover/action"
	ActionPurge        = "Microsoft.KeyVault/vaults/secrets/purge/action"
)

// operation is one data-plane operation: the data action RBAC vaults
// require and the access-policy permission the others require.
type operation struct {
	name         string // for logs
	action       string
	policyPerm   string
	secretScoped bool // a role assignment on the secret itself counts
}

// The action for PATCH (update/action) and for reading deleted secrets
// (readMetadata/action) is unverified; the access-policy permissions are
// the REST reference's (update needs set, deleted reads need list).
var (
	opSet          = operation{"SetSecret", ActionSetSecret, "set", true}
	opGet          = operation{"GetSecret", ActionGetSecret, "get", true}
	opUpdate       = operation{"UpdateSecret", ActionUpdate, "set", true}
	opList         = operation{"ListSecrets", ActionReadMetadata, "list", false}
	opListVersions = operation{"ListSecretVersions", ActionReadMetadata, "list", true}
	opDelete       = operation{"DeleteSecret", ActionDelete, "delete", true}
	opListDeleted  = operation{"ListDeletedSecrets", ActionReadMetadata, "list", false}
	opGetDeleted   = operation{"GetDeletedSecret", ActionReadMetadata, "list", true}
	opRecover      = operation{"RecoverDeletedSecret", ActionRecover, "recover", true}
	opPurge        = operation{"PurgeDeletedSecret", ActionPurge, "purge", true}
)
