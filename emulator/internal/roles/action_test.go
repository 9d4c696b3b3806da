package roles

import (
	"strings"
	"testing"
)

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"*", "Microsoft.Resources/subscriptions/resourceGroups/write", true},
		{"*/read", "Microsoft.KeyVault/vaults/read", true},
		{"*/read", "Microsoft.KeyVault/vaults/write", false},
		{"*/read", "Microsoft.Authorization/roleAssignments/read", true},
		{"Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/write", true},
		{"Microsoft.Authorization/*/Delete", "microsoft.authorization/roleassignments/DELETE", true},
		{"Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/read", false},
		{"Microsoft.Compute/*", "Microsoft.Compute/virtualMachines/start/action", true},
		{"Microsoft.Compute/*", "Microsoft.ComputeX/virtualMachines/read", false},
		{"Microsoft.Network/*/read", "Microsoft.Network/virtualNetworks/subnets/read", true},
		{"Microsoft.KeyVault/vaults/secrets/*", "Microsoft.KeyVault/vaults/secrets/getSecret/action", true},
		{"Microsoft.KeyVault/vaults/secrets/*", "Microsoft.KeyVault/vaults/keys/read", false},
		// "/*/" also matches one "/" (how Key Vault Reader reads the vault
		// and Managed Identity Operator the identity).
		{"Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/read", true},
		{"Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/secrets/read", true},
		{"Microsoft.ManagedIdentity/userAssignedIdentities/*/read", "Microsoft.ManagedIdentity/userAssignedIdentities/read", true},
		{"Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action", "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", true},
		{"Microsoft.ManagedIdentity/userAssignedIdentities/*/read", "Microsoft.ManagedIdentity/userAssignedIdentitiesread", false},
		{"a/*/b/*/c", "a/b/c", true},
		{"a/*/b/*/c", "a/x/b/c", true},
		{"a/*/b/*/c", "a/b/y/c", true},
		{"a/*/b/*/c", "a/bc", false},
		{"Microsoft.Support/*", "Microsoft.Support", false},
		{"Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Resources/subscriptions/resourcegroups/read", true},
		{"Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Resources/subscriptions/resourceGroups/reader", false},
		{"**", "x", true},
		{"*a*a*a*a*a*a*b", strings.Repeat("a", 200), false},
	}
	for _, tt := range tests {
		if got := compilePattern(tt.pattern).match(tt.action); got != tt.want {
			t.Errorf("%q matches %q = %v; want %v", tt.pattern, tt.action, got, tt.want)
		}
	}
}

func TestCheckActionSyntax(t *testing.T) {
	for _, ok := range []string{"*", "Microsoft.Compute/virtualMachines/start/action", "Microsoft.Web/sites/*/read", "Foo_Bar-1.x/y"} {
		if err := checkActionSyntax("actions", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Microsoft.Compute/virtualMachines read", "a'b", "x\n", strings.Repeat("a", maxActionLen+1)} {
		if err := checkActionSyntax("properties.permissions[0].actions", bad); err == nil || !strings.Contains(err.Error(), "properties.permissions[0].actions") {
			t.Errorf("%q: error %v; want one naming the field", bad, err)
		}
	}
}
