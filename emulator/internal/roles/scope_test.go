package roles

import (
	"strings"
	"testing"
)

const (
	sub   = "bbbbbbbb-0000-4000-8000-000000000002"
	subID = "/subscriptions/" + sub
	rg1   = subID + "/resourceGroups/rg1"
	kv1   = rg1 + "/providers/Microsoft.KeyVault/vaults/kv1"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		in      string
		kind    Kind
		sub, rg string
		errHas  string
	}{
		{in: "", kind: KindTenant},
		{in: "/", kind: KindTenant},
		{in: "/providers/Microsoft.Management/managementGroups/mg1", kind: KindManagementGroup},
		{in: subID, kind: KindSubscription, sub: sub},
		{in: subID + "/", kind: KindSubscription, sub: sub},
		{in: rg1, kind: KindResourceGroup, sub: sub, rg: "rg1"},
		{in: "/SUBSCRIPTIONS/" + sub + "/RESOURCEGROUPS/RG1", kind: KindResourceGroup, sub: sub, rg: "RG1"},
		{in: kv1, kind: KindResource, sub: sub, rg: "rg1"},
		{in: kv1 + "/secrets/s1", kind: KindChild, sub: sub, rg: "rg1"},
		{in: kv1 + "/providers/Microsoft.Insights/diagnosticSettings/d1", kind: KindChild, sub: sub, rg: "rg1"},
		{in: subID + "/providers/Microsoft.Web/sites/app", kind: KindResource, sub: sub},
		{in: "subscriptions/" + sub, errHas: "must start with '/'"},
		{in: "/subscriptions", errHas: "names no subscription"},
		{in: subID + "/resourceGroups", errHas: "names no resource group"},
		{in: rg1 + "/providers/Microsoft.KeyVault/vaults", errHas: "expected /providers/{namespace}/{type}/{name}"},
		{in: kv1 + "/secrets", errHas: "but no name"},
		{in: rg1 + "/vaults/kv1", errHas: "expected /providers"},
		{in: "/subscriptions//resourceGroups/rg1", errHas: "empty segment"},
		{in: "/tenants/t1", errHas: "not valid"},
		{in: "/providers/Microsoft.Compute/virtualMachines/vm", errHas: "managementGroups"},
		{in: rg1 + "?x=1", errHas: "character"},
		{in: "/" + strings.Repeat("a", maxScopeLen), errHas: "at most"},
	}
	for _, tt := range tests {
		sc, err := ParseScope(tt.in)
		if tt.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("ParseScope(%q) error = %v; want one containing %q", tt.in, err, tt.errHas)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseScope(%q): %v", tt.in, err)
			continue
		}
		if sc.Kind() != tt.kind || sc.Subscription() != tt.sub || sc.ResourceGroup() != tt.rg {
			t.Errorf("ParseScope(%q) = kind %v sub %q rg %q; want %v %q %q", tt.in, sc.Kind(), sc.Subscription(), sc.ResourceGroup(), tt.kind, tt.sub, tt.rg)
		}
	}
}

func TestScopeContains(t *testing.T) {
	tests := []struct {
		outer, inner string
		want         bool
	}{
		{"/", kv1, true},
		{subID, kv1, true},
		{"/SUBSCRIPTIONS/" + strings.ToUpper(sub), rg1, true},
		{rg1, rg1, true},
		{rg1, subID + "/resourceGroups/rg10", false},
		{rg1, subID, false},
		{kv1, kv1 + "/secrets/s1", true},
		{kv1 + "/secrets/s1", kv1, false},
	}
	for _, tt := range tests {
		o, _ := ParseScope(tt.outer)
		i, _ := ParseScope(tt.inner)
		if got := o.Contains(i); got != tt.want {
			t.Errorf("%q contains %q = %v; want %v", tt.outer, tt.inner, got, tt.want)
		}
	}
}
