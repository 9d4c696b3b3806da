package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultConfigValues(t *testing.T) {
	c := Default()
	if c.TenantID != "72f988bf-86f1-41af-91ab-2d7cd011db47" {
		t.Errorf("tenant %s", c.TenantID)
	}
	wantIn := Instance{SubscriptionID: "00000000-0000-0000-0000-000000000001", ResourceGroupName: "rg-web", Name: "vm-emulated",
		Location: "eastus", VMID: "02aab8a4-74ef-476e-8182-f6d2ba4166a6", Tags: map[string]string{"env": "dev", "owner": "azmsi"}}
	if !reflect.DeepEqual(c.Instance, wantIn) {
		t.Errorf("instance = %+v", c.Instance)
	}
	wantIDs := []Identity{
		{"vm-system", "system", "11111111-1111-1111-1111-111111111111", "11111111-1111-1111-1111-aaaaaaaaaaaa", "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-emulated", nil},
		{"app-contributor", "user", "22222222-2222-2222-2222-222222222222", "22222222-2222-2222-2222-aaaaaaaaaaaa", "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-contributor",
			[]FederatedCredential{{Name: "aks-workload", Subject: "system:serviceaccount:default:workload-sa", Audiences: []string{"api://AzureADTokenExchange"}}}},
		{"app-reader", "user", "33333333-3333-3333-3333-333333333333", "33333333-3333-3333-3333-aaaaaaaaaaaa", "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-reader", nil},
	}
	if !reflect.DeepEqual(c.Identities, wantIDs) {
		t.Errorf("identities = %+v", c.Identities)
	}
	wantSubs := []Subscription{
		{"00000000-0000-0000-0000-000000000001", "Emulated Subscription One", "Enabled", []ResourceGroup{
			{"identities", "eastus", nil}, {"rg-data", "westeurope", map[string]string{"env": "prod"}}, {"rg-web", "eastus", map[string]string{"env": "dev"}}}},
		{"00000000-0000-0000-0000-000000000002", "Emulated Subscription Two", "Enabled", []ResourceGroup{{"rg-sandbox", "westus2", nil}}},
	}
	if !reflect.DeepEqual(c.Subscriptions, wantSubs) {
		t.Errorf("subscriptions = %+v", c.Subscriptions)
	}
	wantRA := []RoleAssignment{
		{"vm-system", "/subscriptions/00000000-0000-0000-0000-000000000001", "Contributor"},
		{"app-contributor", "/subscriptions/00000000-0000-0000-0000-000000000001", "Contributor"},
		{"app-contributor", "/subscriptions/00000000-0000-0000-0000-000000000002", "Reader"},
		{"app-reader", "/subscriptions/00000000-0000-0000-0000-000000000001", "Reader"},
	}
	if !reflect.DeepEqual(c.RoleAssignments, wantRA) {
		t.Errorf("roleAssignments = %+v", c.RoleAssignments)
	}
	// Copies are independent.
	c.Instance.Tags["env"] = "changed"
	if Default().Instance.Tags["env"] != "dev" {
		t.Error("DefaultConfig shares state between calls")
	}
}

// mutate returns default.json changed by f, as JSON.
func mutate(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(defaultJSON, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mutateRaw is mutate, then replaces old by new in the JSON text (for
// input json.Marshal cannot produce, such as a repeated key).
func mutateRaw(t *testing.T, f func(m map[string]any), old, new string) []byte {
	t.Helper()
	b := string(mutate(t, f))
	compact := strings.ReplaceAll(old, " ", "")
	if !strings.Contains(b, compact) {
		t.Fatalf("%s not in %s", compact, b)
	}
	return []byte(strings.Replace(b, compact, strings.ReplaceAll(new, " ", ""), 1))
}

func at(m map[string]any, path ...any) map[string]any {
	var cur any = m
	for _, p := range path {
		switch k := p.(type) {
		case string:
			cur = cur.(map[string]any)[k]
		case int:
			cur = cur.([]any)[k]
		}
	}
	return cur.(map[string]any)
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want []string // substrings of the error
	}{
		{"not JSON", []byte("{"), []string{"invalid JSON"}},
		{"trailing data", append(append([]byte{}, defaultJSON...), []byte(" {}")...), []string{"after the JSON object"}},
		{"unknown field", mutate(t, func(m map[string]any) { m["tenant"] = "x" }), []string{"unknown field", "tenant"}},
		{"duplicate key", []byte(strings.Replace(string(defaultJSON), `"tenantId"`, `"tenantId": "00000000-0000-0000-0000-0000000000ff", "tenantId"`, 1)), []string{"$", `"tenantId" is given twice`}},
		{"duplicate key in another case", []byte(strings.Replace(string(defaultJSON), `"tenantId"`, `"TenantID": "00000000-0000-0000-0000-0000000000ff", "tenantId"`, 1)), []string{`"tenantId" is given twice`}},
		{"duplicate nested key", []byte(strings.Replace(string(defaultJSON), `"name": "app-reader"`, `"name": "x", "name": "app-reader"`, 1)), []string{"$.identities[2]", `"name" is given twice`}},
		{"duplicate tag in another case", mutateRaw(t, func(m map[string]any) { at(m, "instance")["tags"] = map[string]any{"env": "a"} }, `"env": "a"`, `"env": "a", "ENV": "b"`), []string{"$.instance.tags", `"ENV" is given twice`}},
		{"VM subscription not listed", mutate(t, func(m map[string]any) {
			at(m, "instance")["subscriptionId"] = "00000000-0000-0000-0000-0000000000aa"
		}), []string{"instance.subscriptionId", "not in subscriptions"}},
		{"client id is another's object id", mutate(t, func(m map[string]any) {
			at(m, "identities", 2)["clientId"] = "22222222-2222-2222-2222-aaaaaaaaaaaa"
		}), []string{`identities[2] ("app-reader").clientId`, "objectId of identities[1]"}},
		{"role on a group not listed", mutate(t, func(m map[string]any) {
			at(m, "roleAssignments", 0)["scope"] = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-missing"
		}), []string{"roleAssignments[0].scope", "rg-missing is not in subscription"}},
		{"unknown nested field", mutate(t, func(m map[string]any) { at(m, "identities", 1)["clientSecret"] = "x" }), []string{"unknown field", "clientSecret"}},
		{"tenant not GUID", mutate(t, func(m map[string]any) { m["tenantId"] = "contoso" }), []string{"tenantId", `"contoso" is not a GUID`}},
		{"instance sub", mutate(t, func(m map[string]any) { at(m, "instance")["subscriptionId"] = "" }), []string{"instance.subscriptionId"}},
		{"instance rg", mutate(t, func(m map[string]any) { at(m, "instance")["resourceGroupName"] = "bad/rg" }), []string{"instance.resourceGroupName", "'/'"}},
		{"instance location", mutate(t, func(m map[string]any) { at(m, "instance")["location"] = "East US" }), []string{"instance.location", "eastus"}},
		{"instance vmId", mutate(t, func(m map[string]any) { at(m, "instance")["vmId"] = "1" }), []string{"instance.vmId"}},
		{"instance tag", mutate(t, func(m map[string]any) { at(m, "instance")["tags"] = map[string]any{"a/b": "x"} }), []string{"instance.tags", "a/b"}},
		{"no identities", mutate(t, func(m map[string]any) { m["identities"] = []any{}; m["roleAssignments"] = []any{} }), []string{"identities", "at least one"}},
		{"identity name empty", mutate(t, func(m map[string]any) { at(m, "identities", 1)["name"] = "" }), []string{"identities[1].name", "required"}},
		{"duplicate name", mutate(t, func(m map[string]any) { at(m, "identities", 2)["name"] = "app-contributor" }), []string{`identities[2] ("app-contributor").name`, "duplicate of identities[1]"}},
		{"client id not GUID", mutate(t, func(m map[string]any) { at(m, "identities", 1)["clientId"] = "22" }), []string{`identities[1] ("app-contributor").clientId`, "not a GUID"}},
		{"duplicate client id", mutate(t, func(m map[string]any) {
			at(m, "identities", 2)["clientId"] = strings.ToUpper("22222222-2222-2222-2222-222222222222")
		}), []string{"identities[2]", "clientId", "identities[1]"}},
		{"duplicate object id", mutate(t, func(m map[string]any) { at(m, "identities", 2)["objectId"] = "11111111-1111-1111-1111-aaaaaaaaaaaa" }), []string{"identities[2]", "objectId", "identities[0]"}},
		{"bad kind", mutate(t, func(m map[string]any) { at(m, "identities", 1)["kind"] = "User" }), []string{"identities[1]", ".kind", `"system" or "user"`}},
		{"two system", mutate(t, func(m map[string]any) {
			at(m, "identities", 1)["kind"] = "system"
			delete(at(m, "identities", 1), "resourceId")
		}), []string{"identities[1]", "at most one"}},
		{"system with other resource id", mutate(t, func(m map[string]any) {
			at(m, "identities", 0)["resourceId"] = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-contributor"
		}), []string{"identities[0]", "resourceId", "leave it empty"}},
		{"user without resource id", mutate(t, func(m map[string]any) { delete(at(m, "identities", 1), "resourceId") }), []string{"identities[1]", "resourceId", "userAssignedIdentities/{name}"}},
		{"user resource id wrong type", mutate(t, func(m map[string]any) {
			at(m, "identities", 1)["resourceId"] = strings.Replace("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-contributor", "userAssignedIdentities", "virtualMachines", 1)
		}), []string{"identities[1]", "not a user-assigned identity id"}},
		{"user resource id bad sub", mutate(t, func(m map[string]any) {
			at(m, "identities", 1)["resourceId"] = strings.Replace("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-contributor", "00000000-0000-0000-0000-000000000001", "sub", 1)
		}), []string{"identities[1]", "not a GUID"}},
		{"user resource id short name", mutate(t, func(m map[string]any) {
			at(m, "identities", 1)["resourceId"] = strings.Replace("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-contributor", "app-contributor", "ab", 1)
		}), []string{"identities[1]", "3-128"}},
		{"duplicate resource id", mutate(t, func(m map[string]any) {
			at(m, "identities", 2)["resourceId"] = strings.ToLower("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-contributor")
		}), []string{"identities[2]", "same resource id as identities[1]"}},
		{"subscription id", mutate(t, func(m map[string]any) { at(m, "subscriptions", 1)["subscriptionId"] = "two" }), []string{"subscriptions[1].subscriptionId"}},
		{"duplicate subscription", mutate(t, func(m map[string]any) {
			at(m, "subscriptions", 1)["subscriptionId"] = "00000000-0000-0000-0000-000000000001"
		}), []string{"subscriptions[1].subscriptionId", "listed twice"}},
		{"no display name", mutate(t, func(m map[string]any) { at(m, "subscriptions", 0)["displayName"] = " " }), []string{"subscriptions[0].displayName"}},
		{"bad state", mutate(t, func(m map[string]any) { at(m, "subscriptions", 0)["state"] = "On" }), []string{"subscriptions[0].state", "Enabled"}},
		{"rg trailing period", mutate(t, func(m map[string]any) { at(m, "subscriptions", 0, "resourceGroups", 1)["name"] = "rg." }), []string{"subscriptions[0].resourceGroups[1].name", "period"}},
		{"rg too long", mutate(t, func(m map[string]any) {
			at(m, "subscriptions", 0, "resourceGroups", 1)["name"] = strings.Repeat("a", 91)
		}), []string{"resourceGroups[1].name", "90"}},
		{"rg duplicate", mutate(t, func(m map[string]any) { at(m, "subscriptions", 0, "resourceGroups", 2)["name"] = "RG-DATA" }), []string{"resourceGroups[2].name", "duplicates resourceGroups[1]"}},
		{"rg location", mutate(t, func(m map[string]any) { at(m, "subscriptions", 1, "resourceGroups", 0)["location"] = "" }), []string{"subscriptions[1].resourceGroups[0].location"}},
		{"rg tag value", mutate(t, func(m map[string]any) {
			at(m, "subscriptions", 1, "resourceGroups", 0)["tags"] = map[string]any{"k": strings.Repeat("v", 257)}
		}), []string{"resourceGroups[0].tags", "256"}},
		{"role identity", mutate(t, func(m map[string]any) { at(m, "roleAssignments", 3)["identity"] = "app-writer" }), []string{"roleAssignments[3].identity", "app-writer", "app-contributor, app-reader, vm-system"}},
		{"role name", mutate(t, func(m map[string]any) { at(m, "roleAssignments", 0)["role"] = "reader" }), []string{"roleAssignments[0].role", "Owner, Contributor, Reader, User Access Administrator", "Key Vault Secrets User"}},
		{"tenant scope", mutate(t, func(m map[string]any) { at(m, "roleAssignments", 0)["scope"] = "/" }), []string{"roleAssignments[0].scope", "tenant scope"}},
		{"scope half a resource id", mutate(t, func(m map[string]any) {
			at(m, "roleAssignments", 0)["scope"] = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-web/providers/Microsoft.KeyVault/vaults"
		}), []string{"roleAssignments[0].scope", "/providers/{namespace}/{type}/{name}"}},
		{"scope subscription not a GUID", mutate(t, func(m map[string]any) { at(m, "roleAssignments", 0)["scope"] = "/subscriptions/web" }), []string{"roleAssignments[0].scope", "not a GUID"}},
		{"scope grammar", mutate(t, func(m map[string]any) { at(m, "roleAssignments", 0)["scope"] = "subscriptions/x" }), []string{"roleAssignments[0].scope", "/subscriptions/{guid}"}},
		{"scope unknown subscription", mutate(t, func(m map[string]any) {
			at(m, "roleAssignments", 0)["scope"] = "/subscriptions/00000000-0000-0000-0000-000000000009"
		}), []string{"roleAssignments[0].scope", "not in subscriptions"}},
		{"scope resource", mutate(t, func(m map[string]any) {
			at(m, "roleAssignments", 0)["scope"] = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-web/providers/x"
		}), []string{"roleAssignments[0].scope"}},
		{"duplicate assignment", mutate(t, func(m map[string]any) {
			m["roleAssignments"] = append(m["roleAssignments"].([]any), at(m, "roleAssignments", 0))
		}), []string{"roleAssignments[4]", "duplicates roleAssignments[0]"}},
		{"too large", append([]byte(`{"tenantId":"`), make([]byte, MaxSize)...), []string{"larger than"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.data)
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParseConfigAccepts(t *testing.T) {
	data := mutate(t, func(m map[string]any) {
		delete(at(m, "subscriptions", 1), "state") // defaults to Enabled
		at(m, "roleAssignments", 0)["scope"] = "/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000001/resourcegroups/rg-web"
		at(m, "identities", 0)["resourceId"] = strings.ToLower(Default().Instance.ResourceID())
	})
	c, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subscriptions[1].State != "Enabled" {
		t.Errorf("state = %q", c.Subscriptions[1].State)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate of a parsed config: %v", err)
	}
	if sub, rg, err := ParseScope(c.RoleAssignments[0].Scope); err != nil || sub != "00000000-0000-0000-0000-000000000001" || rg != "rg-web" {
		t.Errorf("ParseScope = %q %q %v", sub, rg, err)
	}
}

func TestParseConfigAcceptsResourceScopeAndAnyBuiltInRole(t *testing.T) {
	const vault = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-web/providers/Microsoft.KeyVault/vaults/kv1"
	data := mutate(t, func(m map[string]any) {
		at(m, "roleAssignments", 0)["scope"] = vault
		at(m, "roleAssignments", 0)["role"] = "Key Vault Secrets User"
	})
	c, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if ra := c.RoleAssignments[0]; ra.Scope != vault || ra.Role != "Key Vault Secrets User" {
		t.Errorf("roleAssignments[0] = %+v", ra)
	}
}

// FuzzParseConfig: ParseConfig never panics, and whatever it accepts
// re-validates and round-trips through JSON.
func FuzzParseConfig(f *testing.F) {
	f.Add(defaultJSON)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"tenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47","identities":[{"name":"a","kind":"user"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config does not re-validate: %v", err)
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := Parse(b)
		if err != nil {
			t.Fatalf("round trip rejected: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(c.Clone(), c2.Clone()) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", c, c2)
		}
	})
}
