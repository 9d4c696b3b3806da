package roles

import (
	"reflect"
	"testing"
)

// The names and GUIDs are Learn's (protocols-2026 §21.5), written out here
// rather than taken from the constants under test.
func TestBuiltInRolesNamesAndGUIDs(t *testing.T) {
	want := map[string]string{
		"Owner":                     "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
		"Contributor":               "b24988ac-6180-42a0-ab88-20f7382dd24c",
		"Reader":                    "acdd72a7-3385-48ef-bd42-f606fba81ae7",
		"User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
		"Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
		"Managed Identity Operator":               "f1a07417-d97a-45cb-824c-7a7467783830",
		"Key Vault Administrator":                 "00482a5a-887f-4fb3-b363-3b7fe8e74483",
		"Key Vault Secrets Officer":               "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
		"Key Vault Secrets User":                  "4633458b-17de-408a-b874-0445c86b69e6",
		"Key Vault Reader":                        "21090545-7ca7-4776-b22c-e363652d74d2",
		"Storage Blob Data Owner":                 "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
		"Storage Blob Data Contributor":           "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
		"Storage Blob Data Reader":                "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
	}
	got := map[string]string{}
	for _, d := range BuiltInRoles() {
		got[d.RoleName] = d.Name
		if d.Type != "BuiltInRole" || !reflect.DeepEqual(d.AssignableScopes, []string{"/"}) || len(d.Permissions) != 1 {
			t.Errorf("%s: type %q, assignableScopes %v, %d permission entries; want BuiltInRole, [/], 1", d.RoleName, d.Type, d.AssignableScopes, len(d.Permissions))
		}
		if p := d.Permissions[0]; p.Actions == nil || p.NotActions == nil || p.DataActions == nil || len(p.NotDataActions) != 0 || p.NotDataActions == nil {
			t.Errorf("%s: a permission list is nil (encodes as null) or notDataActions is not empty: %+v", d.RoleName, p)
		}
		if d.Description == "" {
			t.Errorf("%s has no description", d.RoleName)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("built-in roles = %v\nwant %v", got, want)
	}
}

func TestBuiltInPermissionsSpotChecks(t *testing.T) {
	byName := map[string]Definition{}
	for _, d := range BuiltInRoles() {
		byName[d.RoleName] = d
	}
	if got := byName["Contributor"].Permissions[0].NotActions; len(got) != 11 || got[0] != "Microsoft.Authorization/*/Delete" || got[1] != "Microsoft.Authorization/*/Write" {
		t.Errorf("Contributor notActions = %v", got)
	}
	if got := byName["Key Vault Secrets User"].Permissions[0]; len(got.Actions) != 0 || !reflect.DeepEqual(got.DataActions, []string{
		"Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"}) {
		t.Errorf("Key Vault Secrets User = %+v", got)
	}
	if got := byName["Key Vault Secrets Officer"].Permissions[0]; len(got.Actions) != 10 || !reflect.DeepEqual(got.DataActions, []string{"Microsoft.KeyVault/vaults/secrets/*"}) {
		t.Errorf("Key Vault Secrets Officer = %+v", got)
	}
	if got := byName["Storage Blob Data Reader"].Permissions[0].DataActions; !reflect.DeepEqual(got, []string{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"}) {
		t.Errorf("Storage Blob Data Reader dataActions = %v", got)
	}
	// BuiltInRoles returns copies: changing one does not change the next.
	byName["Reader"].Permissions[0].Actions[0] = "*"
	for _, d := range BuiltInRoles() {
		if d.RoleName == "Reader" && d.Permissions[0].Actions[0] != "*/read" {
			t.Fatal("BuiltInRoles shares its slices between calls")
		}
	}
}
