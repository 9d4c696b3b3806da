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
		{"/subscriptions/s/resourceGroups/rg/providers/A.B/t/n/providers", "'providers' needs a namespace"},
		{"/subscriptions/s/resourceGroups/rg/providers/A.B/t/n/providers/C.D", "provider \"C.D\" needs a resource type and name"},
		{"/subscriptions/s/resourceGroups/rg/providers/A.B/t/n/providers/C.D/e", "resource type \"e\" has no name"},
		{"/subscriptions/s" + strings.Repeat("/providers/A.B/t/n", 10), "more than 8 extension levels"},
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

func TestParseExtensionResourceID(t *testing.T) {
	const vm = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
	for _, tc := range []struct {
		in                   string
		sub, rg, typ, name   string
		scopeType, scopeName string
		canon                string
		parents              []string // the Parent chain after the ID itself
	}{
		{
			in:  "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/PROVIDERS/Microsoft.Authorization/locks/nodelete",
			sub: "s", rg: "rg", typ: "Microsoft.Authorization/locks", name: "nodelete",
			scopeType: "Microsoft.Compute/virtualMachines", scopeName: "vm1",
			canon:   vm + "/providers/Microsoft.Authorization/locks/nodelete",
			parents: []string{vm, "/subscriptions/s/resourceGroups/rg", "/subscriptions/s", "/"},
		},
		{
			in:  vm + "/providers/Microsoft.Insights/diagnosticSettings/d1/rules/r1",
			sub: "s", rg: "rg", typ: "Microsoft.Insights/diagnosticSettings/rules", name: "r1",
			scopeType: "Microsoft.Compute/virtualMachines", scopeName: "vm1",
			parents: []string{vm + "/providers/Microsoft.Insights/diagnosticSettings/d1", vm, "/subscriptions/s/resourceGroups/rg", "/subscriptions/s", "/"},
		},
		{
			in:  "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/default/providers/Microsoft.Authorization/roleAssignments/ra1",
			sub: "s", rg: "rg", typ: "Microsoft.Authorization/roleAssignments", name: "ra1",
			scopeType: "Microsoft.Network/virtualNetworks/subnets", scopeName: "default",
			parents: []string{"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/default",
				"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v", "/subscriptions/s/resourceGroups/rg", "/subscriptions/s", "/"},
		},
		{
			in:  "/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/roleAssignments/ra2",
			typ: "Microsoft.Authorization/roleAssignments", name: "ra2",
			scopeType: "Microsoft.Management/managementGroups", scopeName: "mg1",
			parents: []string{"/providers/Microsoft.Management/managementGroups/mg1", "/"},
		},
		{ // an extension of an extension
			in:  vm + "/providers/A.B/x/x1/providers/C.D/y/y1",
			sub: "s", rg: "rg", typ: "C.D/y", name: "y1", scopeType: "A.B/x", scopeName: "x1",
			parents: []string{vm + "/providers/A.B/x/x1", vm, "/subscriptions/s/resourceGroups/rg", "/subscriptions/s", "/"},
		},
		{ // a name that is the word "providers" is a name
			in:  "/subscriptions/s/resourceGroups/rg/providers/A.B/t/providers",
			sub: "s", rg: "rg", typ: "A.B/t", name: "providers",
			parents: []string{"/subscriptions/s/resourceGroups/rg", "/subscriptions/s", "/"},
		},
	} {
		id, err := ParseResourceID(tc.in)
		if err != nil {
			t.Errorf("ParseResourceID(%q): %v", tc.in, err)
			continue
		}
		if id.SubscriptionID != tc.sub || id.ResourceGroup != tc.rg || id.Type() != tc.typ || id.Name() != tc.name {
			t.Errorf("ParseResourceID(%q): sub %q rg %q type %q name %q", tc.in, id.SubscriptionID, id.ResourceGroup, id.Type(), id.Name())
		}
		switch {
		case tc.scopeType == "" && id.Scope != nil:
			t.Errorf("%q: unexpected scope %v", tc.in, id.Scope)
		case tc.scopeType != "" && (id.Scope == nil || id.Scope.Type() != tc.scopeType || id.Scope.Name() != tc.scopeName):
			t.Errorf("%q: scope %v, want %s %s", tc.in, id.Scope, tc.scopeType, tc.scopeName)
		}
		canon := tc.canon
		if canon == "" {
			canon = tc.in
		}
		if id.String() != canon {
			t.Errorf("String() = %q want %q", id.String(), canon)
		}
		var chain []string
		for p, ok := id.Parent(); ok; p, ok = p.Parent() {
			chain = append(chain, p.String())
		}
		if strings.Join(chain, " ") != strings.Join(tc.parents, " ") {
			t.Errorf("%q parents:\n got %v\nwant %v", tc.in, chain, tc.parents)
		}
		again, err := ParseResourceID(strings.ToUpper(id.String()))
		if err != nil || !again.Equal(id) {
			t.Errorf("upper-case re-parse of %q: %v %v", id, again, err)
		}
	}
}
