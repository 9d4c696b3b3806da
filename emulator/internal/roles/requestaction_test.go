package roles

import "testing"

func TestRequestAction(t *testing.T) {
	const s = "/subscriptions/" + sub
	tests := []struct {
		method, path  string
		action, scope string
		ok            bool
	}{
		{"GET", s, "Microsoft.Resources/subscriptions/read", s, true},
		{"GET", s + "/resourcegroups", "Microsoft.Resources/subscriptions/resourcegroups/read", s, true},
		{"GET", s + "/resourceGroups/rg1", "Microsoft.Resources/subscriptions/resourcegroups/read", rg1, true},
		{"HEAD", s + "/resourceGroups/rg1", "Microsoft.Resources/subscriptions/resourcegroups/read", rg1, true},
		{"PUT", s + "/resourceGroups/rg1", "Microsoft.Resources/subscriptions/resourcegroups/write", rg1, true},
		{"PATCH", s + "/resourceGroups/rg1", "Microsoft.Resources/subscriptions/resourcegroups/write", rg1, true},
		{"DELETE", s + "/resourceGroups/rg1/", "Microsoft.Resources/subscriptions/resourcegroups/delete", rg1, true},
		{"GET", s + "/resourceGroups/rg1/resources", "Microsoft.Resources/subscriptions/resourcegroups/resources/read", rg1, true},
		{"GET", s + "/resources", "Microsoft.Resources/subscriptions/resources/read", s, true},
		{"GET", s + "/providers", "Microsoft.Resources/subscriptions/providers/read", s, true},
		{"GET", s + "/providers/Microsoft.KeyVault", "Microsoft.Resources/subscriptions/providers/read", s, true},
		{"POST", s + "/providers/Microsoft.KeyVault/register", "Microsoft.KeyVault/register/action", s, true},
		{"GET", s + "/locations", "Microsoft.Resources/subscriptions/locations/read", s, true},
		{"GET", s + "/operationresults/abc", "Microsoft.Resources/subscriptions/operationresults/read", s, true},
		{"GET", kv1, "Microsoft.KeyVault/vaults/read", kv1, true},
		{"PUT", kv1, "Microsoft.KeyVault/vaults/write", kv1, true},
		{"DELETE", kv1, "Microsoft.KeyVault/vaults/delete", kv1, true},
		{"GET", rg1 + "/providers/Microsoft.KeyVault/vaults", "Microsoft.KeyVault/vaults/read", rg1, true},
		{"PUT", kv1 + "/secrets/s1", "Microsoft.KeyVault/vaults/secrets/write", kv1 + "/secrets/s1", true},
		{"GET", kv1 + "/secrets", "Microsoft.KeyVault/vaults/secrets/read", kv1, true},
		{"POST", rg1 + "/providers/Microsoft.Compute/virtualMachines/vm1/start", "Microsoft.Compute/virtualMachines/start/action", rg1 + "/providers/Microsoft.Compute/virtualMachines/vm1", true},
		{"POST", rg1 + "/providers/Microsoft.Storage/storageAccounts/sa/listKeys", "Microsoft.Storage/storageAccounts/listKeys/action", rg1 + "/providers/Microsoft.Storage/storageAccounts/sa", true},
		{"PUT", s + "/providers/Microsoft.Web/sites/app", "Microsoft.Web/sites/write", s + "/providers/Microsoft.Web/sites/app", true},
		{"PUT", kv1 + "/providers/Microsoft.Insights/diagnosticSettings/d1", "Microsoft.Insights/diagnosticSettings/write", kv1 + "/providers/Microsoft.Insights/diagnosticSettings/d1", true},
		{"GET", kv1 + "/providers/Microsoft.Insights/diagnosticSettings", "Microsoft.Insights/diagnosticSettings/read", kv1, true},
		{"PUT", rg1 + "/providers/Microsoft.Resources/deployments/d1", "Microsoft.Resources/deployments/write", rg1 + "/providers/Microsoft.Resources/deployments/d1", true},
		{"PUT", rg1 + "/providers/Microsoft.Authorization/roleAssignments/x", "", "", false},
		{"GET", "/subscriptions", "", "", false},
		{"GET", "/tenants", "", "", false},
		{"GET", "/providers/Microsoft.KeyVault", "", "", false},
		{"OPTIONS", rg1, "", "", false},
		{"POST", kv1, "", "", false},
		{"GET", rg1 + "/vaults", "", "", false},
		{"GET", s + "//resourceGroups", "", "", false},
	}
	for _, tt := range tests {
		action, scope, ok := RequestAction(tt.method, tt.path)
		if action != tt.action || scope != tt.scope || ok != tt.ok {
			t.Errorf("%s %s = %q at %q, %v; want %q at %q, %v", tt.method, tt.path, action, scope, ok, tt.action, tt.scope, tt.ok)
		}
	}
}

func FuzzRequestAction(f *testing.F) {
	f.Add("GET", kv1+"/secrets/s1")
	f.Add("POST", rg1+"/providers/Microsoft.Compute/virtualMachines/vm1/start")
	f.Add("PUT", kv1+"/providers/Microsoft.Insights/diagnosticSettings/d1")
	f.Fuzz(func(t *testing.T, method, path string) {
		action, scope, ok := RequestAction(method, path)
		if !ok {
			return
		}
		if action == "" {
			t.Fatalf("action %q", action)
		}
		if _, err := ParseScope(scope); err != nil {
			t.Fatalf("scope %q of %s %s: %v", scope, method, path, err)
		}
	})
}

func TestIsAuthorizationPath(t *testing.T) {
	for path, want := range map[string]bool{
		kv1 + "/providers/Microsoft.Authorization/roleAssignments/x":     true,
		"/providers/microsoft.authorization/ROLEDEFINITIONS":             true,
		"providers/Microsoft.Authorization/roleDefinitions/x":            true,
		rg1 + "/providers/Microsoft.Authorization/locks/l1":              false,
		subID + "/providers/Microsoft.Authorization/policyAssignments/p": false,
		rg1 + "/providers/Microsoft.KeyVault/vaults/roleAssignments":     false,
		subID + "/providers/Microsoft.Authorization":                     false,
		"/providers/Microsoft.Authorization/roleAssignmentsX/y":          false,
	} {
		if got := IsAuthorizationPath(path); got != want {
			t.Errorf("IsAuthorizationPath(%q) = %v; want %v", path, got, want)
		}
	}
}
