package arm

import (
	"strings"
	"testing"
)

func TestParseResourceID(t *testing.T) {
	for _, tc := range []struct {
		in, sub, rg, typ, name, loc, canon string
	}{
		{"/subscriptions/s1", "s1", "", "Microsoft.Resources/subscriptions", "s1", "", "/subscriptions/s1"},
		{"/subscriptions/s1/", "s1", "", "Microsoft.Resources/subscriptions", "s1", "", "/subscriptions/s1"},
		{"/SUBSCRIPTIONS/s1/resourcegroups/My-RG", "s1", "My-RG", "Microsoft.Resources/resourceGroups", "My-RG", "", "/subscriptions/s1/resourceGroups/My-RG"},
		{"/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1", "s", "rg",
			"Microsoft.ManagedIdentity/userAssignedIdentities", "id1", "", ""},
		{"/subscriptions/s/resourcegroups/rg/Providers/Microsoft.Network/virtualNetworks/vnet/subnets/default", "s", "rg",
			"Microsoft.Network/virtualNetworks/subnets", "default", "", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default"},
		{"/subscriptions/s/providers/Microsoft.Compute/locations/eastus/operations/op1", "s", "", "Microsoft.Compute/locations/operations", "op1", "eastus", ""},
		{"/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/ra", "s", "", "Microsoft.Authorization/roleAssignments", "ra", "", ""},
		{"/providers/Microsoft.Management/managementGroups/mg1", "", "", "Microsoft.Management/managementGroups", "mg1", "", ""},
	} {
		id, err := ParseResourceID(tc.in)
		if err != nil {
			t.Errorf("ParseResourceID(%q): %v", tc.in, err)
			continue
		}
		if id.SubscriptionID != tc.sub || id.ResourceGroup != tc.rg || id.Type() != tc.typ || id.Name() != tc.name || id.Location != tc.loc {
			t.Errorf("ParseResourceID(%q) = %+v type %s name %s", tc.in, id, id.Type(), id.Name())
		}
		canon := tc.canon
		if canon == "" {
			canon = tc.in
		}
		if id.String() != canon {
			t.Errorf("String() = %q want %q", id.String(), canon)
		}
		again, err := ParseResourceID(strings.ToUpper(id.String()))
		if err != nil || !again.Equal(id) {
			t.Errorf("upper-case re-parse of %q: %v %v", id, again, err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "empty"},
		{"subscriptions/s", "must start with '/'"},
		{"/subscriptions", "needs a subscription ID"},
		{"/subscriptions/s/resourceGroups", "'resourceGroups' needs a name"},
		{"/subscriptions/s/rg/x", "unexpected segment \"rg\""},
		{"/subscriptions/s/providers", "needs a namespace"},
		{"/subscriptions/s/providers/Microsoft.Compute", "needs a resource type and name"},
		{"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines", "has no name"},
		{"/subscriptions//resourceGroups/rg", "empty (double '/')"},
		{"/subscriptions/s?x=1", "'?'"},
		{"/subscriptions/s/resourceGroups/rg/providers/A.B/t/n/providers/C.D/e/f", "extension resources"},
		{"/foo", "unexpected segment"},
	} {
		_, err := ParseResourceID(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "expected /subscriptions/{id}") {
			t.Errorf("ParseResourceID(%q) error = %v; want %q and the grammar", tc.in, err, tc.want)
		}
	}
}

func TestResourceIDParent(t *testing.T) {
	id, _ := ParseResourceID("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default")
	var chain []string
	for {
		chain = append(chain, id.String())
		p, ok := id.Parent()
		if !ok {
			break
		}
		id = p
	}
	want := []string{
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet",
		"/subscriptions/s/resourceGroups/rg",
		"/subscriptions/s",
		"/",
	}
	if strings.Join(chain, "\n") != strings.Join(want, "\n") {
		t.Fatalf("chain:\n%s", strings.Join(chain, "\n"))
	}
	if (ResourceID{}).Type() != "Microsoft.Resources/tenants" {
		t.Error("root type")
	}
}
