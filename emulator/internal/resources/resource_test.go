package resources

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

const widget = rg1 + "/providers/Contoso.Widgets/widgets/w1"

func TestPutGetPatchDelete(t *testing.T) {
	e := newEnv(t)
	r := e.must("PUT", widget, `{"location":"East US","tags":{"env":"dev"},"kind":"big","sku":{"name":"S1","capacity":2},
		"identity":{"type":"systemassigned"},"properties":{"color":"red","size":{"w":1,"h":2},"provisioningState":"Bogus"}}`, 201)
	got := r.json(t)
	want := map[string]any{
		"id": widget, "name": "w1", "type": "Contoso.Widgets/widgets", "location": "eastus",
		"tags": map[string]any{"env": "dev"}, "kind": "big", "sku": map[string]any{"capacity": 2.0, "name": "S1"},
		"properties": map[string]any{"provisioningState": "Succeeded", "color": "red", "size": map[string]any{"h": 2.0, "w": 1.0}},
	}
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("PUT response %s = %#v, want %#v", k, got[k], v)
		}
	}
	ident := got["identity"].(map[string]any)
	if ident["type"] != "SystemAssigned" || ident["tenantId"] != tenant1 || len(ident["principalId"].(string)) != 36 {
		t.Errorf("identity = %v", ident)
	}
	sd := got["systemData"].(map[string]any)
	if sd["createdBy"] != "client-4" || sd["createdByType"] != "Application" || sd["createdAt"] != "2026-01-01T12:00:00Z" {
		t.Errorf("systemData = %v", sd)
	}

	// GET with other casing finds it; the stored casing is answered.
	g := e.must("GET", strings.ToLower(widget), "", 200).json(t)
	if g["id"] != widget || g["properties"].(map[string]any)["color"] != "red" {
		t.Errorf("GET = %v", g)
	}
	if r := e.must("HEAD", widget, "", 204); len(r.body) != 0 {
		t.Errorf("HEAD has a body: %q", r.body)
	}
	e.must("HEAD", rg1+"/providers/Contoso.Widgets/widgets/none", "", 404)

	// Replace: 200, creation data kept, identity principal kept.
	e.clock.Advance(time.Minute)
	r2 := e.must("PUT", widget, `{"location":"eastus","identity":{"type":"SystemAssigned"},"properties":{"color":"blue"}}`, 200).json(t)
	if r2["identity"].(map[string]any)["principalId"] != ident["principalId"] {
		t.Error("system-assigned principalId changed on replace")
	}
	if r2["tags"] == nil || len(r2["tags"].(map[string]any)) != 0 {
		t.Errorf("replace without tags: tags = %v, want {}", r2["tags"])
	}
	sd2 := r2["systemData"].(map[string]any)
	if sd2["createdAt"] != "2026-01-01T12:00:00Z" || sd2["lastModifiedAt"] != "2026-01-01T12:01:00Z" {
		t.Errorf("systemData after replace = %v", sd2)
	}
	if _, ok := r2["properties"].(map[string]any)["size"]; ok {
		t.Error("PUT merged properties; it must replace them")
	}

	// PATCH: tags replace the map, properties merge (null removes).
	p := e.must("PATCH", widget, `{"tags":{"a":"1"},"properties":{"size":{"w":3},"color":null,"shape":"round"}}`, 200).json(t)
	if !reflect.DeepEqual(p["tags"], map[string]any{"a": "1"}) {
		t.Errorf("PATCH tags = %v", p["tags"])
	}
	if !reflect.DeepEqual(p["properties"], map[string]any{"provisioningState": "Succeeded", "size": map[string]any{"w": 3.0}, "shape": "round"}) {
		t.Errorf("PATCH properties = %v", p["properties"])
	}
	if r := e.do("PATCH", widget, owner, `{"location":"westus"}`); r.status != 409 || r.code() != "InvalidResourceLocation" {
		t.Errorf("PATCH moving location: %d %s", r.status, r.body)
	}
	if r := e.do("PUT", widget, owner, `{"location":"westus"}`); r.status != 409 || r.code() != "InvalidResourceLocation" {
		t.Errorf("PUT moving location: %d %s", r.status, r.body)
	}
	if r := e.do("PATCH", rg1+"/providers/Contoso.Widgets/widgets/none", owner, `{"tags":{}}`); r.status != 404 || r.code() != "ResourceNotFound" {
		t.Errorf("PATCH absent: %d %s", r.status, r.body)
	}

	e.must("DELETE", widget, "", 200)
	e.must("DELETE", widget, "", 204)
	nf := e.do("GET", widget, owner, "")
	if nf.status != 404 || nf.code() != "ResourceNotFound" ||
		!strings.Contains(string(nf.body), "The Resource 'Contoso.Widgets/widgets/w1' under resource group 'rg1' was not found.") {
		t.Errorf("GET after delete: %d %s", nf.status, nf.body)
	}
}

func TestChildAndExtensionResources(t *testing.T) {
	e := newEnv(t)
	child := widget + "/gears/g1"
	r := e.do("PUT", child, owner, `{"properties":{}}`)
	if r.status != 404 || r.code() != "ParentResourceNotFound" || !strings.Contains(string(r.body), "Parent resource 'w1' not found.") {
		t.Fatalf("child without parent: %d %s", r.status, r.body)
	}
	e.must("PUT", widget, `{"location":"eastus"}`, 201)
	c := e.must("PUT", child, `{"properties":{"teeth":12}}`, 201).json(t)
	if c["type"] != "Contoso.Widgets/widgets/gears" || c["name"] != "g1" || c["location"] != nil {
		t.Errorf("child = %v", c)
	}
	grand := child + "/teeth/t1"
	e.must("PUT", grand, `{}`, 201)
	lock := widget + "/providers/Microsoft.Authorization/locks/nodelete"
	l := e.must("PUT", lock, `{"properties":{"level":"CanNotDelete"}}`, 201).json(t)
	if l["id"] != lock || l["type"] != "Microsoft.Authorization/locks" {
		t.Errorf("extension = %v", l)
	}
	// An extension's scope must exist.
	if r := e.do("PUT", rg1+"/providers/Contoso.Widgets/widgets/none/providers/Microsoft.Authorization/locks/x", owner, `{}`); r.status != 404 || r.code() != "ResourceNotFound" {
		t.Errorf("extension on missing resource: %d %s", r.status, r.body)
	}
	// Collections: children of w1, extensions of w1.
	gears := e.must("GET", widget+"/gears", "", 200).json(t)["value"].([]any)
	if len(gears) != 1 || gears[0].(map[string]any)["id"] != child {
		t.Errorf("children = %v", gears)
	}
	locks := e.must("GET", widget+"/providers/Microsoft.Authorization/locks", "", 200).json(t)["value"].([]any)
	if len(locks) != 1 {
		t.Errorf("extensions = %v", locks)
	}
	if r := e.do("GET", rg1+"/providers/Contoso.Widgets/widgets/none/gears", owner, ""); r.status != 404 || r.code() != "ParentResourceNotFound" {
		t.Errorf("children of missing parent: %d %s", r.status, r.body)
	}
	// Deleting the parent takes children, grandchildren and extensions.
	e.must("DELETE", widget, "", 200)
	for _, id := range []string{child, grand, lock} {
		if r := e.do("GET", id, owner, ""); r.status != 404 {
			t.Errorf("%s survived its parent's delete: %d", id, r.status)
		}
	}
	if n := e.store.Len(); n != 0 {
		t.Errorf("store holds %d records after delete", n)
	}
}

func TestScopesAndAuthorization(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, method, path, oid, body string
		status                        int
		code                          string
	}{
		{"missing group", "PUT", "/subscriptions/" + sub1 + "/resourceGroups/nope/providers/Contoso.Widgets/widgets/w", owner, `{}`, 404, "ResourceGroupNotFound"},
		{"missing group GET", "GET", "/subscriptions/" + sub1 + "/resourceGroups/nope/providers/Contoso.Widgets/widgets/w", owner, ``, 404, "ResourceGroupNotFound"},
		{"group being deleted", "PUT", "/subscriptions/" + sub1 + "/resourceGroups/gone/providers/Contoso.Widgets/widgets/w", owner, `{}`, 409, "ResourceGroupBeingDeleted"},
		{"unknown subscription", "GET", "/subscriptions/bbbbbbbb-0000-4000-8000-00000000000f/resourceGroups/rg1/providers/Contoso.Widgets/widgets/w", owner, ``, 404, "SubscriptionNotFound"},
		{"malformed subscription", "GET", "/subscriptions/not-a-guid/resourceGroups/rg1/providers/Contoso.Widgets/widgets/w", owner, ``, 400, "InvalidSubscriptionId"},
		{"read-only subscription", "PUT", "/subscriptions/" + sub2 + "/resourceGroups/rg1/providers/Contoso.Widgets/widgets/w", owner, `{}`, 409, "ReadOnlyDisabledSubscription"},
		{"reader cannot write", "PUT", widget, reader, `{}`, 403, "AuthorizationFailed"},
		{"nobody cannot read", "GET", widget, nobody, ``, 403, "AuthorizationFailed"},
		{"group contributor elsewhere", "PUT", "/subscriptions/" + sub1 + "/resourceGroups/rg2/providers/Contoso.Widgets/widgets/w", rgOnly, `{}`, 403, "AuthorizationFailed"},
		{"group contributor in its group", "PUT", widget, rgOnly, `{}`, 201, ""},
		{"no token", "GET", widget, "", ``, 401, "AuthenticationFailed"},
		{"subscription-level resource", "PUT", "/subscriptions/" + sub1 + "/providers/Contoso.Widgets/policies/p1", owner, `{}`, 201, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.oid, tc.body)
			if r.status != tc.status || r.code() != tc.code {
				t.Fatalf("%d %s (code %q), want %d %s", r.status, r.body, r.code(), tc.status, tc.code)
			}
		})
	}
	if !e.authz.asked("Contoso.Widgets/widgets/write @ " + widget) {
		t.Error("PUT did not ask for Contoso.Widgets/widgets/write over the resource id")
	}
	r := e.do("PUT", widget, reader, `{}`)
	if !strings.Contains(string(r.body), "does not have authorization to perform action 'Contoso.Widgets/widgets/write' over scope '"+widget+"'") {
		t.Errorf("403 message: %s", r.body)
	}
	e.must("DELETE", widget+"/gears/g1", "", 204)
	if !e.authz.asked("Contoso.Widgets/widgets/gears/delete @ " + widget + "/gears/g1") {
		t.Error("child delete did not ask for the child type's delete action")
	}
}

func TestAsyncOperations(t *testing.T) {
	e := newEnv(t)
	id := rg1 + "/providers/Contoso.Widgets/slowWidgets/s1"
	r := e.must("PUT", id+"?api-version=2024-01-01", `{"location":"eastus","properties":{}}`, 201)
	if st := r.json(t)["properties"].(map[string]any)["provisioningState"]; st != "Accepted" {
		t.Fatalf("state = %v, want Accepted", st)
	}
	ao, loc := r.header.Get("Azure-AsyncOperation"), r.header.Get("Location")
	if !strings.HasPrefix(ao, "http://arm.test/subscriptions/"+sub1+"/providers/Contoso.Widgets/locations/eastus/operationStatuses/") ||
		!strings.HasSuffix(ao, "?api-version=2024-01-01") || r.header.Get("Retry-After") != "1" ||
		!strings.Contains(loc, "/operationResults/") {
		t.Fatalf("headers: AO=%s Location=%s", ao, loc)
	}
	path := func(u string) string { return strings.TrimPrefix(u, "http://arm.test") }
	sr := e.must("GET", path(ao), "", 200)
	if st := sr.json(t); st["status"] != "InProgress" || st["startTime"] != "2026-01-01T12:00:00Z" {
		t.Errorf("status = %v", st)
	}
	if ra := sr.header.Get("Retry-After"); ra != "1" {
		t.Errorf("InProgress status Retry-After = %q, want 1", ra)
	}
	e.must("GET", path(loc), "", 202)
	e.clock.Advance(10 * time.Second)
	if r := e.do("PUT", id, owner, `{"location":"eastus"}`); r.status != 200 {
		t.Errorf("re-PUT while creating: %d", r.status) // allowed: a new operation replaces it
	}
	e.clock.Advance(11 * time.Second)
	// The first operation's URL reports by its own end time; the resource
	// follows the operation that replaced it (ends at 12:00:30).
	done := e.must("GET", path(ao), "", 200)
	if st := done.json(t); st["status"] != "Succeeded" || st["endTime"] != "2026-01-01T12:00:20Z" {
		t.Errorf("status after = %v", st)
	}
	if ra := done.header.Get("Retry-After"); ra != "" {
		t.Errorf("Succeeded status Retry-After = %q, want none", ra)
	}
	if st := e.must("GET", id, "", 200).json(t)["properties"].(map[string]any)["provisioningState"]; st != "Accepted" {
		t.Errorf("state during the second operation = %v", st)
	}
	e.clock.Advance(10 * time.Second)
	if st := e.must("GET", id, "", 200).json(t)["properties"].(map[string]any)["provisioningState"]; st != "Succeeded" {
		t.Errorf("state after = %v", st)
	}
	if got := e.must("GET", path(loc), "", 200).json(t)["id"]; got != id {
		t.Errorf("Location final = %v", got)
	}

	d := e.must("DELETE", id, "", 202)
	if d.header.Get("Azure-AsyncOperation") == "" || d.header.Get("Location") == "" {
		t.Fatal("async DELETE without polling headers")
	}
	if st := e.must("GET", id, "", 200).json(t)["properties"].(map[string]any)["provisioningState"]; st != "Deleting" {
		t.Errorf("state while deleting = %v", st)
	}
	if r := e.do("PATCH", id, owner, `{"tags":{}}`); r.status != 409 {
		t.Errorf("PATCH while deleting: %d", r.status)
	}
	e.must("DELETE", id, "", 202) // repeated: the running operation
	e.clock.Advance(20 * time.Second)
	e.must("GET", id, "", 404)
	e.must("GET", path(d.header.Get("Location")), "", 200)
	if r := e.do("GET", "/subscriptions/"+sub1+"/providers/Contoso.Widgets/locations/eastus/operationStatuses/garbage?api-version=2024-01-01", owner, ""); r.status != 404 || r.code() != "OperationNotFound" {
		t.Errorf("bad operation: %d %s", r.status, r.body)
	}
}

func TestGroupCascade(t *testing.T) {
	e := newEnv(t)
	e.must("PUT", widget, `{"location":"eastus"}`, 201)
	e.must("PUT", widget+"/gears/g1", `{}`, 201)
	other := "/subscriptions/" + sub1 + "/resourceGroups/rg2/providers/Contoso.Widgets/widgets/w1"
	e.must("PUT", other, `{"location":"eastus"}`, 201)
	// A group whose name is a prefix of rg1's must not be touched.
	e.scopes.groups[strings.ToLower(sub1+"/rg10")] = Group{Name: "rg10"}
	e.must("PUT", "/subscriptions/"+sub1+"/resourceGroups/rg10/providers/Contoso.Widgets/widgets/w1", `{"location":"eastus"}`, 201)
	if n := e.store.GroupHolds(sub1, "RG1"); n != 2 {
		t.Fatalf("rg1 holds %d, want 2", n)
	}
	if err := e.store.DeleteGroup(sub1, "RG1"); err != nil {
		t.Fatal(err)
	}
	if n := e.store.GroupHolds(sub1, "rg1"); n != 0 || e.store.Len() != 2 {
		t.Fatalf("after cascade: rg1 holds %d, store %d (want 0, 2)", n, e.store.Len())
	}
}

func TestProviderRegistration(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Unregistered = []string{"Microsoft.KeyVault"} })
	kv := rg1 + "/providers/Microsoft.KeyVault/vaults/kv1?api-version=2024-11-01"
	r := e.do("PUT", kv, owner, `{"location":"eastus","properties":{"tenantId":"`+tenant1+`","sku":{"family":"A","name":"standard"}}}`)
	if r.status != 409 || r.code() != "MissingSubscriptionRegistration" {
		t.Fatalf("unregistered: %d %s", r.status, r.body)
	}
	var body struct {
		Error errorBody `json:"error"`
	}
	_ = json.Unmarshal(r.body, &body)
	if len(body.Error.Details) != 1 || body.Error.Details[0].Target != "Microsoft.KeyVault" ||
		body.Error.Message != "The subscription is not registered to use namespace 'Microsoft.KeyVault'. See https://aka.ms/rps-not-found for how to register subscriptions." {
		t.Errorf("error = %+v", body.Error)
	}
	prov := "/subscriptions/" + sub1 + "/providers/microsoft.keyvault"
	if st := e.must("GET", prov+"?api-version=2019-05-01", "", 200).json(t)["registrationState"]; st != "NotRegistered" {
		t.Errorf("state before = %v", st)
	}
	if r := e.do("POST", prov+"/register?api-version=2019-05-01", reader, ""); r.status != 403 || !strings.Contains(string(r.body), "'Microsoft.KeyVault/register/action'") {
		t.Errorf("reader registering: %d %s", r.status, r.body)
	}
	reg := e.must("POST", prov+"/register?api-version=2019-05-01", "", 200).json(t)
	if reg["registrationState"] != "Registering" || reg["namespace"] != "Microsoft.KeyVault" || reg["id"] != "/subscriptions/"+sub1+"/providers/Microsoft.KeyVault" {
		t.Errorf("register = %v", reg)
	}
	if st := e.must("GET", prov+"?api-version=2025-04-01", "", 200).json(t)["registrationState"]; st != "Registered" {
		t.Errorf("state after = %v", st)
	}
	e.must("PUT", kv, `{"location":"eastus","properties":{}}`, 201)
}

func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	p := e.must("GET", "/subscriptions/"+sub1+"/providers/Microsoft.ManagedIdentity?api-version=2025-04-01", "", 200).json(t)
	var uami map[string]any
	for _, rt := range p["resourceTypes"].([]any) {
		if m := rt.(map[string]any); m["resourceType"] == "userAssignedIdentities" {
			uami = m
		}
	}
	if uami == nil || uami["defaultApiVersion"] != "2026-05-31" || uami["apiVersions"].([]any)[0] != "2026-05-31" ||
		uami["locations"].([]any)[0] != "East US" || p["registrationPolicy"] != "RegistrationRequired" {
		t.Errorf("provider = %v", p)
	}
	list := e.must("GET", "/subscriptions/"+sub1+"/providers?api-version=2025-04-01", "", 200).json(t)["value"].([]any)
	if len(list) != 4 {
		t.Errorf("%d providers, want 4", len(list))
	}
	tenant := e.must("GET", "/providers/Microsoft.Resources?api-version=2025-04-01", "", 200).json(t)
	if tenant["id"] != "/providers/Microsoft.Resources" || tenant["registrationState"] != nil {
		t.Errorf("tenant provider = %v", tenant)
	}
	if r := e.do("GET", "/subscriptions/"+sub1+"/providers/Contoso.Nothing?api-version=2025-04-01", owner, ""); r.status != 404 || r.code() != "InvalidResourceNamespace" {
		t.Errorf("unknown namespace: %d %s", r.status, r.body)
	}
	// Types the catalog lacks are discovered with the versions they were
	// written with, so clients that look the version up (az resource
	// show/delete) find one.
	e.must("PUT", widget+"?api-version=2023-05-01", `{"location":"eastus"}`, 201)
	e.must("PUT", widget+"?api-version=2024-02-01-preview", `{"location":"eastus"}`, 200)
	e.must("PUT", rg1+"/providers/Microsoft.KeyVault/managedHSMs/h1?api-version=2025-01-01", `{"location":"eastus"}`, 201)
	cw := e.must("GET", "/subscriptions/"+sub1+"/providers/Contoso.Widgets?api-version=2025-04-01", "", 200).json(t)
	rts := cw["resourceTypes"].([]any)
	if len(rts) != 1 {
		t.Fatalf("Contoso.Widgets = %v", cw)
	}
	wt := rts[0].(map[string]any)
	if wt["resourceType"] != "widgets" || !reflect.DeepEqual(wt["apiVersions"], []any{"2024-02-01-preview", "2023-05-01"}) ||
		wt["defaultApiVersion"] != "2023-05-01" || len(wt["locations"].([]any)) == 0 {
		t.Errorf("seen type = %v", wt)
	}
	kvp := e.must("GET", "/subscriptions/"+sub1+"/providers/Microsoft.KeyVault?api-version=2025-04-01", "", 200).json(t)
	if !strings.Contains(fmt.Sprint(kvp["resourceTypes"]), "managedHSMs") || !strings.Contains(fmt.Sprint(kvp["resourceTypes"]), "vaults") {
		t.Errorf("Microsoft.KeyVault lacks a seen type: %v", kvp["resourceTypes"])
	}
	locs := e.must("GET", "/subscriptions/"+sub1+"/locations?api-version=2022-12-01", "", 200).json(t)["value"].([]any)
	first := locs[0].(map[string]any)
	if first["name"] != "eastus" || first["displayName"] != "East US" || first["id"] != "/subscriptions/"+sub1+"/locations/eastus" {
		t.Errorf("location = %v", first)
	}
	if r := e.do("GET", "/subscriptions/"+sub1+"/locations?api-version=2025-04-01", owner, ""); r.status != 200 {
		t.Errorf("locations with a newer version than the table: %d (want served as 2022-12-01)", r.status)
	}
}

func TestMetadataEndpoints(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Cloud.LoginEndpoint = "https://127.0.0.1:9443" })
	obj := e.do("GET", "/metadata/endpoints?api-version=2022-09-01", "", "")
	if obj.status != 200 {
		t.Fatalf("%d %s", obj.status, obj.body)
	}
	m := obj.json(t)
	if m["resourceManager"] != "http://arm.test/" || m["authentication"].(map[string]any)["loginEndpoint"] != "https://127.0.0.1:9443/" ||
		m["suffixes"].(map[string]any)["keyVaultDns"] != "vault.azure.net" || m["name"] != "AzureCloud" {
		t.Errorf("object form = %v", m)
	}
	arr := e.do("GET", "/metadata/endpoints?api-version=2019-05-01", "", "")
	var list []map[string]any
	if err := json.Unmarshal(arr.body, &list); err != nil || len(list) != 1 || list[0]["resourceManager"] != "http://arm.test/" || list[0]["gallery"] == nil {
		t.Errorf("array form = %s (%v)", arr.body, err)
	}
	if r := e.do("GET", "/metadata/endpoints?api-version=x", "", ""); r.status != 400 {
		t.Errorf("bad version: %d", r.status)
	}
	if r := e.do("GET", "/metadata/endpoints?x=1", "", ""); r.status != 400 || r.code() != "MissingApiVersionParameter" {
		t.Errorf("no version: %d", r.status)
	}
}

func TestAPIVersions(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		path   string
		status int
		code   string
	}{
		{widget + "?api-version=2024-01-01", 404, "ResourceNotFound"},
		{widget, 404, "ResourceNotFound"},
		{widget + "?x=1", 400, "MissingApiVersionParameter"},
		{widget + "?api-version=garbage", 400, "InvalidApiVersionParameter"},
		{rg1 + "/providers/Microsoft.KeyVault/vaults/kv?api-version=2001-01-01", 400, "NoRegisteredProviderFound"},
		{rg1 + "/providers/Microsoft.KeyVault/vaults/kv?api-version=2030-01-01", 404, "ResourceNotFound"},
		{"/subscriptions/" + sub1 + "/resources?api-version=2015-11-01", 200, ""},
		{"/subscriptions/" + sub1 + "/resources?api-version=2014-01-01", 400, "InvalidApiVersionParameter"},
	}
	for _, tc := range tests {
		r := e.do("GET", tc.path, owner, "")
		if r.status != tc.status || r.code() != tc.code {
			t.Errorf("GET %s: %d %q, want %d %q", tc.path, r.status, r.code(), tc.status, tc.code)
		}
	}
	strict := newEnv(t, func(o *Options) { o.Versions = newStrictChecker() })
	for _, tc := range []struct {
		path   string
		status int
		code   string
	}{
		{widget + "?api-version=2024-01-01", 400, "NoRegisteredProviderFound"},
		{rg1 + "/providers/Microsoft.KeyVault/vaults/kv?api-version=2030-01-01", 400, "NoRegisteredProviderFound"},
		{rg1 + "/providers/Microsoft.KeyVault/nosuch/x?api-version=2024-11-01", 404, "InvalidResourceType"},
		{rg1 + "/providers/Microsoft.KeyVault/vaults/kv?api-version=2024-11-01", 404, "ResourceNotFound"},
	} {
		r := strict.do("GET", tc.path, owner, "")
		if r.status != tc.status || r.code() != tc.code {
			t.Errorf("strict GET %s: %d %q, want %d %q", tc.path, r.status, r.code(), tc.status, tc.code)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", widget, owner, "")
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") == "" {
		t.Errorf("POST on a resource: %d", r.status)
	}
	r = e.do("POST", widget+"/listKeys", owner, "")
	if r.status != 400 || r.code() != "UnsupportedAction" || !e.authz.asked("Contoso.Widgets/widgets/listKeys/action @ "+widget) {
		t.Errorf("action: %d %s", r.status, r.body)
	}
}
