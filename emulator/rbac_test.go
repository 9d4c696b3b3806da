package emulator

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

const (
	authzV    = "2022-04-01"
	adminOID  = "44444444-4444-4444-4444-aaaaaaaaaaaa"
	readerOID = "33333333-3333-3333-3333-aaaaaaaaaaaa"
	assignG   = "0b1c2d3e-0000-4000-8000-00000000000a"
	// Learn's GUIDs, written out rather than taken from the roles package.
	contributorRole = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	ownerRole       = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	readerRole      = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
)

// rbacConfig is the default config plus "admin", an Owner of sub1.
func rbacConfig() *Config {
	c := DefaultConfig()
	c.Identities = append(c.Identities, Identity{Name: "admin", Kind: KindUser,
		ClientID: "44444444-4444-4444-4444-444444444444", ObjectID: adminOID,
		ResourceID: "/subscriptions/" + sub1 + "/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/admin"})
	c.RoleAssignments = append(c.RoleAssignments, RoleAssignment{Identity: "admin", Scope: "/subscriptions/" + sub1, Role: "Owner"})
	return c
}

func assignmentPath(scope, name string) string {
	return scope + "/providers/Microsoft.Authorization/roleAssignments/" + name + "?api-version=" + authzV
}

func assignmentBody(role, principal string) string {
	return `{"properties":{"roleDefinitionId":"/subscriptions/` + sub1 + `/providers/Microsoft.Authorization/roleDefinitions/` + role +
		`","principalId":"` + principal + `","principalType":"ServicePrincipal"}}`
}

// The README's story: Reader gets 403 on a write; an Owner assigns
// Contributor on the group; the write succeeds; the assignment is deleted;
// 403 again.
func TestRBACStory(t *testing.T) {
	e := startARM(t, Options{Config: rbacConfig()})
	reader, admin := e.token("app-reader"), e.token("admin")
	rg := "/subscriptions/" + sub1 + "/resourceGroups/rg-web"
	write := func() armResp {
		return e.do("PUT", groupPath(sub1, "rg-web"), reader, `{"location":"eastus","tags":{"by":"reader"}}`)
	}

	r := write()
	expect(t, r, 403, "AuthorizationFailed")
	if want := "The client '33333333-3333-3333-3333-333333333333' with object id '" + readerOID + "' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/write' over scope '/subscriptions/" + sub1 + "/resourcegroups/rg-web'"; !strings.HasPrefix(r.errMessage(), want) {
		t.Fatalf("403 message %q", r.errMessage())
	}
	// The reader cannot grant itself anything.
	expect(t, e.do("PUT", assignmentPath(rg, assignG), reader, assignmentBody(contributorRole, readerOID)), 403, "AuthorizationFailed")

	r = e.do("PUT", assignmentPath(rg, assignG), admin, assignmentBody(contributorRole, readerOID))
	expect(t, r, 201, "")
	var a struct {
		ID         string
		Properties struct{ Scope, PrincipalID, RoleDefinitionID string }
	}
	mustJSON(t, r.body, &a)
	if a.Properties.Scope != rg || a.Properties.PrincipalID != readerOID || !strings.HasSuffix(a.Properties.RoleDefinitionID, "/"+contributorRole) {
		t.Fatalf("assignment %s", r.body)
	}
	expect(t, write(), 200, "")
	// Contributor still cannot escalate: its notActions exclude roleAssignments/write.
	r = e.do("PUT", assignmentPath(rg, "0b1c2d3e-0000-4000-8000-00000000000b"), reader, assignmentBody(ownerRole, readerOID))
	expect(t, r, 403, "AuthorizationFailed")
	if !strings.Contains(r.errMessage(), "'Microsoft.Authorization/roleAssignments/write'") {
		t.Fatalf("escalation 403 names %q", r.errMessage())
	}
	// Another group is still out of reach.
	expect(t, e.do("PUT", groupPath(sub1, "rg-data"), reader, `{"location":"westeurope"}`), 403, "AuthorizationFailed")

	expect(t, e.do("DELETE", assignmentPath(rg, assignG), admin, ""), 200, "")
	expect(t, write(), 403, "AuthorizationFailed")
}

func TestRBACRoutes(t *testing.T) {
	e := startARM(t, Options{Config: rbacConfig()})
	admin := e.token("admin")
	sub := "/subscriptions/" + sub1
	vault := sub + "/resourceGroups/rg-web/providers/Microsoft.KeyVault/vaults/kv1"

	// Role definitions at the subscription, a group and the tenant root.
	for _, scope := range []string{sub, sub + "/resourceGroups/rg-web", ""} {
		r := e.do("GET", scope+"/providers/Microsoft.Authorization/roleDefinitions?api-version="+authzV+"&$filter=roleName%20eq%20%27Key%20Vault%20Secrets%20User%27", admin, "")
		expect(t, r, 200, "")
		if !strings.Contains(string(r.body), `"name":"4633458b-17de-408a-b874-0445c86b69e6"`) || strings.Count(string(r.body), `"roleName"`) != 1 {
			t.Fatalf("roleName filter at %q: %s", scope, r.body)
		}
	}
	// An assignment at resource scope, found by the list below it and by
	// assignedTo from the subscription; it grants the data action.
	mustKV(t, kvDo(t, e.s, "PUT", e.base+vault+kvAPI, admin, `{"location":"westeurope","properties":{"tenantId":"`+defaultTID+`","sku":{"family":"A","name":"standard"}}}`), 201)
	expect(t, e.do("PUT", assignmentPath(vault, assignG), admin, `{"properties":{"roleDefinitionId":"/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6","principalId":"`+readerOID+`"}}`), 201, "")
	r := e.do("GET", sub+"/providers/Microsoft.Authorization/roleAssignments?api-version="+authzV+"&$filter=assignedTo('"+readerOID+"')", admin, "")
	expect(t, r, 200, "")
	if !strings.Contains(string(r.body), `"scope":"`+vault+`"`) || !strings.Contains(string(r.body), `"scope":"`+sub+`"`) {
		t.Fatalf("assignedTo list: %s", r.body)
	}
	if !e.s.roles.DataAllowed(readerOID, "Microsoft.KeyVault/vaults/secrets/getSecret/action", vault+"/secrets/s1") {
		t.Fatal("the vault-scope assignment does not grant getSecret")
	}
	r = e.do("GET", vault+"/providers/Microsoft.Authorization/roleAssignments?api-version="+authzV+"&$filter=atScope()", admin, "")
	if !strings.Contains(string(r.body), assignG) || !strings.Contains(string(r.body), `"principalId":"`+adminOID+`"`) {
		t.Fatalf("atScope at the vault lacks the vault's or the inherited assignment: %s", r.body)
	}

	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"unknown subscription", "GET", "/subscriptions/00000000-0000-0000-0000-000000000009/providers/Microsoft.Authorization/roleAssignments?api-version=" + authzV, "", 404, "SubscriptionNotFound"},
		{"unknown group", "PUT", assignmentPath(sub+"/resourceGroups/nope", assignG), assignmentBody(readerRole, readerOID), 404, "ResourceGroupNotFound"},
		{"unknown resource", "PUT", assignmentPath(sub+"/resourceGroups/rg-web/providers/Microsoft.KeyVault/vaults/kv-nope", "0b1c2d3e-0000-4000-8000-00000000000d"), assignmentBody(readerRole, readerOID), 404, "ResourceNotFound"},
		{"child of an unknown resource", "PUT", assignmentPath(sub+"/resourceGroups/rg-web/providers/Microsoft.KeyVault/vaults/kv-nope/secrets/s1", "0b1c2d3e-0000-4000-8000-00000000000d"), assignmentBody(readerRole, readerOID), 404, "ResourceNotFound"},
		{"generic resource (a configured identity)", "PUT", assignmentPath(sub+"/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/admin", "0b1c2d3e-0000-4000-8000-00000000000e"), assignmentBody(readerRole, readerOID), 201, ""},
		{"unknown generic resource", "GET", sub + "/resourceGroups/rg-web/providers/Microsoft.Storage/storageAccounts/nope/providers/Microsoft.Authorization/roleAssignments?api-version=" + authzV, "", 404, "ResourceNotFound"},
		{"no api-version", "GET", sub + "/providers/Microsoft.Authorization/roleAssignments", "", 400, "MissingApiVersionParameter"},
		{"bad api-version", "GET", sub + "/providers/Microsoft.Authorization/roleAssignments?api-version=1999-01-01", "", 400, ""},
		{"unknown principal", "PUT", assignmentPath(sub, "0b1c2d3e-0000-4000-8000-00000000000c"), assignmentBody(readerRole, "99999999-0000-4000-8000-000000000009"), 400, "PrincipalNotFound"},
		{"client id, not object id", "PUT", assignmentPath(sub, "0b1c2d3e-0000-4000-8000-00000000000c"), assignmentBody(readerRole, "33333333-3333-3333-3333-333333333333"), 400, "PrincipalNotFound"},
		{"duplicate of a seeded one", "PUT", assignmentPath(sub, "0b1c2d3e-0000-4000-8000-00000000000c"), assignmentBody(readerRole, readerOID), 409, "RoleAssignmentExists"},
		{"encoded slash", "GET", sub + "/resourceGroups/rg%2Fweb/providers/Microsoft.Authorization/roleAssignments?api-version=" + authzV, "", 400, "InvalidScope"},
		{"no token", "GET", sub + "/providers/Microsoft.Authorization/roleAssignments?api-version=" + authzV, "", 401, "AuthenticationFailed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := admin
			if tt.code == "AuthenticationFailed" {
				tok = ""
			}
			r := e.do(tt.method, tt.path, tok, tt.body)
			if tt.code == "" {
				if r.status != tt.status {
					t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
				}
				return
			}
			expect(t, r, tt.status, tt.code)
		})
	}
}

func TestRBACSeededAndPersisted(t *testing.T) {
	dir := t.TempDir()
	clk := testenv.NewFakeClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	start := func() *armEnv {
		s, err := Start(context.Background(), Options{Config: rbacConfig(), StateDir: dir, IMDSAddr: "-", Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		return &armEnv{t: t, s: s, clk: clk, client: s.HTTPClient(), base: s.ARMEndpoint()}
	}
	count := func(e *armEnv) (n int, names []string) {
		r := e.do("GET", "/subscriptions/"+sub1+"/providers/Microsoft.Authorization/roleAssignments?api-version="+authzV, e.token("admin"), "")
		expect(t, r, 200, "")
		var l struct{ Value []struct{ Name string } }
		mustJSON(t, r.body, &l)
		for _, v := range l.Value {
			names = append(names, v.Name)
		}
		return len(l.Value), names
	}
	e := start()
	seeded, names := count(e)
	if seeded != 4 { // three in sub1 from default.json, plus admin's Owner
		t.Fatalf("%d assignments seeded in sub1 (%v), want 4", seeded, names)
	}
	rg := "/subscriptions/" + sub1 + "/resourceGroups/rg-web"
	expect(t, e.do("PUT", assignmentPath(rg, assignG), e.token("admin"), assignmentBody(contributorRole, readerOID)), 201, "")
	// Delete a seeded assignment: a restart must not bring it back.
	var readerSeed string
	r := e.do("GET", "/subscriptions/"+sub1+"/providers/Microsoft.Authorization/roleAssignments?api-version="+authzV+"&$filter=principalId%20eq%20%27"+readerOID+"%27", e.token("admin"), "")
	var l struct {
		Value []struct {
			Name       string
			Properties struct{ Scope string }
		}
	}
	mustJSON(t, r.body, &l)
	for _, v := range l.Value {
		if v.Properties.Scope == "/subscriptions/"+sub1 {
			readerSeed = v.Name
		}
	}
	expect(t, e.do("DELETE", assignmentPath("/subscriptions/"+sub1, readerSeed), e.token("admin"), ""), 200, "")
	e.s.Close()

	e = start()
	defer e.s.Close()
	n, names := count(e)
	if n != seeded || !strings.Contains(strings.Join(names, ","), assignG) || strings.Contains(strings.Join(names, ","), readerSeed) {
		t.Fatalf("after restart: %d assignments %v; want %d with %s and without %s", n, names, seeded, assignG, readerSeed)
	}
	expect(t, e.do("PUT", groupPath(sub1, "rg-web"), e.token("app-reader"), `{"location":"eastus"}`), 200, "")

	// A reset starts again from the configuration.
	expect(t, e.do("POST", "/_emulator/reset", "", ""), 200, "")
	n, names = count(e)
	if n != seeded || strings.Contains(strings.Join(names, ","), assignG) || !strings.Contains(strings.Join(names, ","), readerSeed) {
		t.Fatalf("after reset: %d assignments %v; want the %d seeded ones", n, names, seeded)
	}
}

func TestRBACGroupDeleteRemovesAssignments(t *testing.T) {
	e := startARM(t, Options{Config: rbacConfig()})
	admin := e.token("admin")
	rg := "/subscriptions/" + sub1 + "/resourceGroups/rg-data"
	mustKV(t, kvDo(t, e.s, "PUT", e.base+rg+"/providers/Microsoft.KeyVault/vaults/kv1"+kvAPI, admin, `{"location":"westeurope","properties":{"tenantId":"`+defaultTID+`","sku":{"family":"A","name":"standard"}}}`), 201)
	expect(t, e.do("PUT", assignmentPath(rg+"/providers/Microsoft.KeyVault/vaults/kv1", assignG), admin, assignmentBody(readerRole, readerOID)), 201, "")
	expect(t, e.do("DELETE", groupPath(sub1, "rg-data"), admin, ""), 202, "")
	e.clk.Advance(time.Minute)
	// The next write sweeps the finished delete.
	expect(t, e.do("PUT", groupPath(sub1, "rg-new"), admin, `{"location":"eastus"}`), 201, "")
	if e.s.roles.Len() != 5 {
		t.Fatalf("%d assignments after the group's delete; want the 5 seeded ones", e.s.roles.Len())
	}
	r := e.do("GET", "/subscriptions/"+sub1+"/providers/Microsoft.Authorization/roleAssignments?api-version="+authzV, admin, "")
	if strings.Contains(string(r.body), assignG) {
		t.Fatalf("the deleted group's assignment is still listed: %s", r.body)
	}
}

func TestRBACDelay(t *testing.T) {
	e := startARM(t, Options{Config: rbacConfig(), RBACDelay: time.Minute})
	rg := "/subscriptions/" + sub1 + "/resourceGroups/rg-web"
	expect(t, e.do("PUT", assignmentPath(rg, assignG), e.token("admin"), assignmentBody(contributorRole, readerOID)), 201, "")
	write := func() armResp {
		return e.do("PUT", groupPath(sub1, "rg-web"), e.token("app-reader"), `{"location":"eastus"}`)
	}
	expect(t, write(), 403, "AuthorizationFailed")
	e.clk.Advance(59 * time.Second)
	expect(t, write(), 403, "AuthorizationFailed")
	e.clk.Advance(time.Second)
	expect(t, write(), 200, "")
}

func TestRBACListsFollowAssignments(t *testing.T) {
	e := startARM(t, Options{Config: rbacConfig()})
	admin, reader := e.token("admin"), e.token("app-reader")
	sub := "/subscriptions/" + sub1
	// Replace app-reader's Reader on sub1 by Reader on rg-data alone.
	r := e.do("GET", sub+"/providers/Microsoft.Authorization/roleAssignments?api-version="+authzV+"&$filter=atScope()%20and%20assignedTo('"+readerOID+"')", admin, "")
	var l struct{ Value []struct{ Name string } }
	mustJSON(t, r.body, &l)
	if len(l.Value) != 1 {
		t.Fatalf("app-reader's assignments at sub1: %s", r.body)
	}
	expect(t, e.do("DELETE", assignmentPath(sub, l.Value[0].Name), admin, ""), 200, "")
	expect(t, e.do("GET", "/subscriptions/"+sub1+"/resourcegroups?api-version="+rgV, reader, ""), 403, "AuthorizationFailed")
	expect(t, e.do("PUT", assignmentPath(sub+"/resourceGroups/rg-data", assignG), admin, assignmentBody(readerRole, readerOID)), 201, "")

	var subs struct {
		Value []struct{ SubscriptionID string }
	}
	mustJSON(t, e.do("GET", "/subscriptions?api-version="+subV, reader, "").body, &subs)
	if len(subs.Value) != 1 || subs.Value[0].SubscriptionID != sub1 {
		t.Fatalf("app-reader with a role on one group sees subscriptions %+v; want sub1", subs.Value)
	}
	var groups struct{ Value []struct{ Name string } }
	r = e.do("GET", "/subscriptions/"+sub1+"/resourcegroups?api-version="+rgV, reader, "")
	expect(t, r, 200, "")
	mustJSON(t, r.body, &groups)
	if len(groups.Value) != 1 || groups.Value[0].Name != "rg-data" {
		t.Fatalf("app-reader lists %s; want rg-data alone", r.body)
	}
	expect(t, e.do("GET", groupPath(sub1, "rg-web"), reader, ""), 403, "AuthorizationFailed")
	expect(t, e.do("GET", groupPath(sub1, "rg-data"), reader, ""), 200, "")
}

// Data actions reach the Key Vault data plane: an RBAC vault honours
// assignments made through the API, at the vault and at one secret.
func TestRBACKeyVaultDataActions(t *testing.T) {
	e := startARM(t, Options{Config: rbacConfig()})
	createVault(t, e, "kvr", `{"tenantId":"`+defaultTID+`","sku":{"family":"A","name":"standard"},"enableRbacAuthorization":true}`)
	vaultID := "/subscriptions/" + sub1 + "/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/kvr"
	secret := e.s.VaultURL("kvr") + "secrets/db" + kvAPI
	sysTok, readerTok := e.tokenFor("vm-system", "https://vault.azure.net"), e.tokenFor("app-reader", "https://vault.azure.net")
	admin := e.token("admin")
	kvAssign := func(scope, name, role, principal string) {
		t.Helper()
		body := `{"properties":{"roleDefinitionId":"/subscriptions/` + sub1 + `/providers/Microsoft.Authorization/roleDefinitions/` + role + `","principalId":"` + principal + `"}}`
		expect(t, e.do("PUT", assignmentPath(scope, name), admin, body), 201, "")
	}

	// Contributor on the subscription manages the vault but has no data action.
	mustKV(t, kvDo(t, e.s, "PUT", secret, sysTok, `{"value":"v1"}`), 403)
	kvAssign(vaultID, assignG, "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", sysObjectID) // Key Vault Secrets Officer
	mustKV(t, kvDo(t, e.s, "PUT", secret, sysTok, `{"value":"v1"}`), 200)

	mustKV(t, kvDo(t, e.s, "GET", secret, readerTok, ""), 403)
	kvAssign(vaultID+"/secrets/db", "0b1c2d3e-0000-4000-8000-00000000000e", "4633458b-17de-408a-b874-0445c86b69e6", readerOID) // Key Vault Secrets User on one secret
	r := kvDo(t, e.s, "GET", secret, readerTok, "")
	mustKV(t, r, 200)
	if !strings.Contains(string(r.body), `"value":"v1"`) {
		t.Fatalf("get: %s", r.body)
	}
	mustKV(t, kvDo(t, e.s, "PUT", secret, readerTok, `{"value":"v2"}`), 403)

	expect(t, e.do("DELETE", assignmentPath(vaultID, assignG), admin, ""), 200, "")
	mustKV(t, kvDo(t, e.s, "PUT", secret, sysTok, `{"value":"v3"}`), 403)
}

// An assignment at a generic resource's scope grants on that resource only.
func TestRBACResourceScope(t *testing.T) {
	e := startARM(t, Options{Config: rbacConfig()})
	admin, reader := e.token("admin"), e.token("app-reader")
	ids := "/subscriptions/" + sub1 + "/resourceGroups/rg-web/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
	const miV = "?api-version=2024-11-30"
	for _, name := range []string{"id2", "id3"} {
		if r := e.do("PUT", ids+name+miV, admin, `{"location":"eastus"}`); r.status != 201 && r.status != 200 {
			t.Fatalf("create %s: %d %s", name, r.status, r.body)
		}
	}
	tag := `{"location":"eastus","tags":{"team":"web"}}`
	expect(t, e.do("PUT", ids+"id2"+miV, reader, tag), 403, "AuthorizationFailed")
	expect(t, e.do("PUT", assignmentPath(strings.TrimSuffix(ids, "/")+"/id2", assignG), admin, assignmentBody(contributorRole, readerOID)), 201, "")
	if r := e.do("PUT", ids+"id2"+miV, reader, tag); r.status != 200 {
		t.Fatalf("Contributor on id2 writing id2: %d %s", r.status, r.body)
	}
	r := e.do("PUT", ids+"id3"+miV, reader, tag)
	expect(t, r, 403, "AuthorizationFailed")
	if !strings.Contains(r.errMessage(), "Microsoft.ManagedIdentity/userAssignedIdentities/write") || !strings.Contains(r.errMessage(), "/id3") {
		t.Fatalf("403 for id3 names %q", r.errMessage())
	}
}

// Deleting a generic resource takes the role assignments at its scope.
func TestRBACResourceDeleteRemovesAssignments(t *testing.T) {
	e := startARM(t, Options{Config: rbacConfig()})
	admin := e.token("admin")
	id := "/subscriptions/" + sub1 + "/resourceGroups/rg-web/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id2"
	const miV = "?api-version=2024-11-30"
	if r := e.do("PUT", id+miV, admin, `{"location":"eastus"}`); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	expect(t, e.do("PUT", assignmentPath(id, assignG), admin, assignmentBody(contributorRole, readerOID)), 201, "")
	before := e.s.roles.Len()
	expect(t, e.do("DELETE", id+miV, admin, ""), 200, "")
	if e.s.roles.Len() != before-1 {
		t.Fatalf("%d assignments after deleting id2; want %d", e.s.roles.Len(), before-1)
	}
	// A new id2 does not inherit the old one's assignment.
	if r := e.do("PUT", id+miV, admin, `{"location":"eastus"}`); r.status != 201 {
		t.Fatalf("re-create: %d %s", r.status, r.body)
	}
	expect(t, e.do("PUT", id+miV, e.token("app-reader"), `{"location":"eastus","tags":{"a":"b"}}`), 403, "AuthorizationFailed")
}
