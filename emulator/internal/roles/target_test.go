package roles

import "testing"

func TestParseTargetSlashes(t *testing.T) {
	const sub = "/subscriptions/00000000-0000-0000-0000-000000000001"
	tests := []struct {
		name, path, scope, collection, item string
	}{
		{"plain", sub + "/providers/Microsoft.Authorization/roleDefinitions", sub, RoleDefinitions, ""},
		{"JavaScript SDK's leading double slash", "/" + sub + "/providers/Microsoft.Authorization/roleDefinitions", sub, RoleDefinitions, ""},
		{"double slash inside", sub + "//resourceGroups/rg//providers/Microsoft.Authorization//roleAssignments/a1",
			sub + "/resourceGroups/rg", RoleAssignments, "a1"},
		{"tenant root", "//providers/Microsoft.Authorization/roleDefinitions", "/", RoleDefinitions, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, e := ParseTarget(tt.path)
			if e != nil {
				t.Fatalf("ParseTarget(%q): %v", tt.path, e.Message)
			}
			if tg.Scope.String() != tt.scope || tg.Collection != tt.collection || tg.Name != tt.item {
				t.Fatalf("ParseTarget(%q) = scope %q, %q, %q; want %q, %q, %q", tt.path, tg.Scope.String(), tg.Collection, tg.Name, tt.scope, tt.collection, tt.item)
			}
		})
	}
}
