package arm

import (
	"testing"

	"github.com/azmsi/azmsi/emulator/internal/roles"
)

func TestTopResource(t *testing.T) {
	const rg = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1"
	for _, tc := range []struct {
		scope, want string
		ok          bool
	}{
		{"/subscriptions/00000000-0000-0000-0000-000000000001", "", false},
		{rg, "", false},
		{rg + "/providers/Microsoft.KeyVault/vaults/kv1", rg + "/providers/Microsoft.KeyVault/vaults/kv1", true},
		{rg + "/providers/Microsoft.KeyVault/vaults/kv1/secrets/s1", rg + "/providers/Microsoft.KeyVault/vaults/kv1", true},
		{rg + "/providers/Microsoft.Network/virtualNetworks/v1/providers/Microsoft.Authorization/locks/l1", rg + "/providers/Microsoft.Network/virtualNetworks/v1", true},
	} {
		sc, err := roles.ParseScope(tc.scope)
		if err != nil {
			t.Fatalf("%s: %v", tc.scope, err)
		}
		got, ok := topResource(sc)
		if got != tc.want || ok != tc.ok {
			t.Errorf("topResource(%s) = %q, %v; want %q, %v", tc.scope, got, ok, tc.want, tc.ok)
		}
	}
}
