package arm

import (
	"reflect"
	"testing"
)

func TestBuiltinRolesGranting(t *testing.T) {
	for _, tc := range []struct {
		action string
		want   []string
	}{
		{"Microsoft.Authorization/roleAssignments/write", []string{"Owner", "User Access Administrator", "Role Based Access Control Administrator"}},
		{"microsoft.authorization/roleassignments/DELETE", []string{"Owner", "User Access Administrator", "Role Based Access Control Administrator"}},
		{"Microsoft.Authorization/locks/write", []string{"Owner", "User Access Administrator"}},
		{"Microsoft.Authorization/elevateAccess/Action", []string{"Owner", "User Access Administrator"}},
		{"Microsoft.Resources/subscriptions/resourceGroups/write", []string{"Owner", "Contributor"}},
		{"Microsoft.Resources/subscriptions/resourcegroups/delete", []string{"Owner", "Contributor"}},
		{"Microsoft.Compute/galleries/share/action", []string{"Owner"}},
		{"Microsoft.Subscription/cancel/action", []string{"Owner"}},
		{"Microsoft.Authorization/roleAssignments/read", []string{"Owner", "Contributor", "User Access Administrator", "Role Based Access Control Administrator", "Reader", "Managed Identity Operator", "Key Vault Administrator", "Key Vault Secrets Officer", "Key Vault Reader"}},
		{"Microsoft.Compute/virtualMachines/read", []string{"Owner", "Contributor", "User Access Administrator", "Role Based Access Control Administrator", "Reader"}},
		{"Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", []string{"Owner", "Contributor"}},
		{"Microsoft.ManagedIdentity/userAssignedIdentities/x/assign/action", []string{"Owner", "Contributor", "Managed Identity Operator"}},
		{"Microsoft.Storage/storageAccounts/blobServices/containers/write", []string{"Owner", "Contributor", "Storage Blob Data Owner", "Storage Blob Data Contributor"}},
		{"Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action", []string{"Owner", "Contributor", "Storage Blob Data Owner", "Storage Blob Data Contributor", "Storage Blob Data Reader"}},
		{"Microsoft.Support/supportTickets/write", []string{"Owner", "Contributor", "User Access Administrator", "Role Based Access Control Administrator", "Managed Identity Operator", "Key Vault Administrator", "Key Vault Secrets Officer", "Key Vault Reader"}},
		{"", nil},
		{"  ", nil},
	} {
		if got := BuiltinRolesGranting(tc.action); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("BuiltinRolesGranting(%q) = %q, want %q", tc.action, got, tc.want)
		}
	}
}

func TestActionMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, action string
		want            bool
	}{
		{"*", "Microsoft.Compute/virtualMachines/read", true},
		{"*", "", true},
		{"*/read", "Microsoft.Compute/virtualMachines/read", true},
		{"*/read", "Microsoft.Compute/virtualMachines/write", false},
		{"*/read", "read", false}, // the slash is part of the pattern
		{"Microsoft.Authorization/*/Write", "microsoft.authorization/roleassignments/write", true},
		{"Microsoft.Authorization/*/Write", "Microsoft.Authorization/write", false},
		{"Microsoft.Network/*/read", "Microsoft.Network/virtualNetworks/subnets/read", true},
		{"Microsoft.Compute/*", "Microsoft.Compute/virtualMachines/start/action", true},
		{"Microsoft.Compute/*", "Microsoft.ComputeX/a/read", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false},
		{"a*bc", "abc", true},
		{"ab*bc", "abc", false}, // prefix and suffix may not overlap
		{"**", "x", true},
		{"Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/getSecret/action", true},
		{"Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/getSecret", false},
	} {
		if got := ActionMatches(tc.pattern, tc.action); got != tc.want {
			t.Errorf("ActionMatches(%q, %q) = %v, want %v", tc.pattern, tc.action, got, tc.want)
		}
	}
}

func TestParseAuthorizationFailed(t *testing.T) {
	for _, tc := range []struct {
		name, msg string
		want      AuthorizationFailure
		ok        bool
	}{
		{"ARM's wording", "The client 'c1' with object id 'o1' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Authorization/roleAssignments/r1' or the scope is invalid. If access was recently granted, please refresh your credentials.",
			AuthorizationFailure{ClientID: "c1", ObjectID: "o1", Action: "Microsoft.Authorization/roleAssignments/write", Scope: "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Authorization/roleAssignments/r1"}, true},
		{"user token", "The client 'alice@contoso.com' with object id 'o2' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/read' over scope '/subscriptions/s1'",
			AuthorizationFailure{ClientID: "alice@contoso.com", ObjectID: "o2", Action: "Microsoft.Resources/subscriptions/resourcegroups/read", Scope: "/subscriptions/s1"}, true},
		{"action only", "does not have authorization to perform action 'a/write'", AuthorizationFailure{Action: "a/write"}, true},
		{"scope not a path", "perform action 'a/write' over scope 'somewhere'", AuthorizationFailure{Action: "a/write"}, true},
		{"action with a space", "perform action 'a write' over scope '/s'", AuthorizationFailure{}, false},
		{"empty action", "perform action '' over scope '/s'", AuthorizationFailure{}, false},
		{"no action", "The client 'c' is not allowed", AuthorizationFailure{}, false},
		{"control character", "perform action 'a/\x1bwrite'", AuthorizationFailure{}, false},
		{"empty", "", AuthorizationFailure{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseAuthorizationFailed(tc.msg)
			if got != tc.want || ok != tc.ok {
				t.Errorf("got %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
