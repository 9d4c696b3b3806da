package apiversion

// The built-in tables. Sources are in docs/arm-resources.md; lists that are
// not confirmed in a primary source are marked "unverified" there and here.

// resourcesAPI is Microsoft.Resources' stable resources.json versions (spec
// repo, protocols-2026 §20.10) plus 2015-11-01, which armkeyvault still
// sends to /resources (that ARM honours it is unverified, U20-12), and the
// 2025-08-01-preview.
var resourcesAPI = []string{
	"2015-11-01", "2016-02-01", "2017-05-10", "2018-02-01", "2018-05-01",
	"2019-03-01", "2019-05-01", "2019-05-10", "2019-07-01", "2019-08-01", "2019-10-01",
	"2020-06-01", "2020-08-01", "2020-10-01", "2021-01-01", "2021-04-01", "2022-09-01",
	"2023-07-01", "2024-03-01", "2024-07-01", "2024-11-01", "2025-03-01", "2025-04-01",
	"2025-08-01-preview",
}

// subscriptionsAPI is subscriptions.json (stable); armsubscriptions/v2 and
// @azure/arm-resources-subscriptions 3.0.0 send 2022-12-01.
var subscriptionsAPI = []string{
	"2016-06-01", "2018-06-01", "2019-06-01", "2019-11-01", "2020-01-01", "2021-01-01", "2022-12-01",
}

// authorizationAPI: 2022-04-01 is what armauthorization/v2 v2.2.0 and
// @azure/arm-authorization 9.0.0 send for role assignments and definitions
// (§21); 2015-07-01 is the first stable. The previews are from the spec
// repo's folder names (unverified).
var roleAssignmentsAPI = []string{
	"2015-07-01", "2018-09-01-preview", "2020-04-01-preview", "2020-10-01-preview",
	"2022-01-01-preview", "2022-04-01",
}

var roleDefinitionsAPI = []string{
	"2015-07-01", "2018-01-01-preview", "2022-04-01", "2022-05-01-preview",
}

// keyVaultAPI: 2024-11-01 (armkeyvault v1.5.0), 2026-02-01 (sent by
// @azure/arm-keyvault 5.0.0, read from its tarball), 2025-05-01 and
// 2026-04-01 (§22.7). The versions before 2023-07-01 are from memory of
// the spec folders (unverified).
var keyVaultAPI = []string{
	"2015-06-01", "2016-10-01", "2018-02-14", "2019-09-01", "2021-10-01", "2022-07-01",
	"2022-11-01", "2023-02-01", "2023-07-01", "2024-11-01", "2025-05-01", "2026-02-01", "2026-04-01",
}

// managedIdentityAPI: §19.9. armmsi v1.3.0 and @azure/arm-msi 2.2.0 send
// 2024-11-30. 2018-11-30 serves identities but not federated credentials.
var managedIdentityAPI = []string{
	"2018-11-30", "2022-01-31-preview", "2023-01-31", "2024-11-30", "2025-01-31-preview", "2026-04-30", "2026-05-31",
}

var ficAPI = []string{
	"2022-01-31-preview", "2023-01-31", "2024-11-30", "2025-01-31-preview", "2026-04-30", "2026-05-31",
}

// defaultOldest is the oldest api-version the emulator accepts for a type it
// has no table for: ARM's first public api-versions date from 2014
// (unverified; chosen so that no real version is refused).
const defaultOldest = "2014-01-01"

// builtin lists every namespace and type the emulator knows. Tracked types
// take a location and appear in /resources listings.
func builtin() []Namespace {
	return []Namespace{
		{
			Name: "Microsoft.Resources", RegistrationFree: true,
			Types: []Type{
				{Name: "resourceGroups", Versions: resourcesAPI, Tracked: true, Capabilities: "SupportsTags, SupportsLocation"},
				{Name: "resources", Versions: resourcesAPI},
				{Name: "providers", Versions: resourcesAPI},
				{Name: "subscriptions", Versions: subscriptionsAPI},
				{Name: "tenants", Versions: subscriptionsAPI},
				{Name: "locations", Versions: subscriptionsAPI},
				{Name: "operationresults", Versions: resourcesAPI},
				{Name: "tags", Versions: resourcesAPI, Capabilities: "SupportsExtension"},
			},
		},
		{
			Name: "Microsoft.Authorization", RegistrationFree: true,
			Types: []Type{
				{Name: "roleAssignments", Versions: roleAssignmentsAPI, Capabilities: "SupportsExtension"},
				{Name: "roleDefinitions", Versions: roleDefinitionsAPI, Capabilities: "SupportsExtension"},
				{Name: "locks", Versions: []string{"2015-01-01", "2016-09-01", "2020-05-01"}, Capabilities: "SupportsExtension"},
			},
		},
		{
			Name: "Microsoft.KeyVault",
			Types: []Type{
				{Name: "vaults", Versions: keyVaultAPI, Tracked: true, Capabilities: "CrossResourceGroupResourceMove, CrossSubscriptionResourceMove, SupportsTags, SupportsLocation"},
				{Name: "vaults/secrets", Versions: keyVaultAPI},
				{Name: "vaults/accessPolicies", Versions: keyVaultAPI},
				{Name: "deletedVaults", Versions: keyVaultAPI},
				{Name: "locations", Versions: keyVaultAPI},
				{Name: "locations/deletedVaults", Versions: keyVaultAPI},
				{Name: "locations/operationResults", Versions: keyVaultAPI},
				{Name: "checkNameAvailability", Versions: keyVaultAPI},
			},
		},
		{
			Name: "Microsoft.ManagedIdentity",
			Types: []Type{
				{Name: "userAssignedIdentities", Versions: managedIdentityAPI, Tracked: true, Capabilities: "CrossResourceGroupResourceMove, CrossSubscriptionResourceMove, SupportsTags, SupportsLocation"},
				{Name: "userAssignedIdentities/federatedIdentityCredentials", Versions: ficAPI},
				{Name: "identities", Versions: managedIdentityAPI, Capabilities: "SupportsExtension"},
				{Name: "operations", Versions: managedIdentityAPI},
			},
		},
	}
}
