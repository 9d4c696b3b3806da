package emulator

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const widgetsV = "2024-01-01"

func widgetPath(group, name string) string {
	return "/subscriptions/" + sub1 + "/resourceGroups/" + group + "/providers/Contoso.Widgets/widgets/" + name + "?api-version=" + widgetsV
}

// TestGenericResourcesEndToEnd: over HTTPS, with real tokens and the
// config's roles: create, read, list, change, delete a resource of a type
// the emulator has never heard of; the group delete takes it along and
// answers with both polling headers.
func TestGenericResourcesEndToEnd(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ResourceTypes = []ResourceType{{Type: "Contoso.Widgets/slowWidgets", Async: Duration(10 * time.Second)}}
	e := startARM(t, Options{Config: cfg})
	tok := e.token("app-contributor")
	reader := e.token("app-reader")

	expect(t, e.do("PUT", groupPath(sub1, "rg-gen"), tok, `{"location":"eastus"}`), 201, "")
	r := e.do("PUT", widgetPath("rg-gen", "w1"), tok, `{"location":"eastus","tags":{"k":"v"},"properties":{"size":3}}`)
	expect(t, r, 201, "")
	var got map[string]any
	mustJSON(t, r.body, &got)
	if got["id"] != "/subscriptions/"+sub1+"/resourceGroups/rg-gen/providers/Contoso.Widgets/widgets/w1" ||
		got["systemData"].(map[string]any)["createdBy"] != "22222222-2222-2222-2222-222222222222" {
		t.Errorf("created = %v", got)
	}
	expect(t, e.do("PUT", widgetPath("rg-gen", "w2"), reader, `{"location":"eastus"}`), 403, "AuthorizationFailed")
	expect(t, e.do("GET", widgetPath("rg-gen", "w1"), reader, ""), 200, "")
	expect(t, e.do("PUT", widgetPath("no-such-group", "w1"), tok, `{"location":"eastus"}`), 404, "ResourceGroupNotFound")
	expect(t, e.do("PATCH", widgetPath("rg-gen", "w1"), tok, `{"tags":{"a":"b"}}`), 200, "")
	// Contributor's NotActions: no writes to Microsoft.Authorization.
	lock := "/subscriptions/" + sub1 + "/resourceGroups/rg-gen/providers/Contoso.Widgets/widgets/w1/providers/Microsoft.Authorization/locks/l1?api-version=2020-05-01"
	expect(t, e.do("PUT", lock, tok, `{"properties":{"level":"CanNotDelete"}}`), 403, "AuthorizationFailed")

	// The config's user-assigned identities are resources too: listed by
	// type, and able to hold federated credentials.
	list := e.do("GET", "/subscriptions/"+sub1+"/resources?api-version=2025-04-01&%24filter="+
		"resourceType%20eq%20%27Microsoft.ManagedIdentity%2FuserAssignedIdentities%27", tok, "")
	expect(t, list, 200, "")
	if !strings.Contains(string(list.body), `"name":"app-contributor"`) || strings.Contains(string(list.body), "widgets") {
		t.Errorf("identities by type: %s", list.body)
	}
	fic := "/subscriptions/" + sub1 + "/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-reader/federatedIdentityCredentials/fic1?api-version=2023-01-31"
	expect(t, e.do("PUT", fic, tok, `{"properties":{"issuer":"https://issuer.example","subject":"system:serviceaccount:ns:sa","audiences":["api://AzureADTokenExchange"]}}`), 201, "")

	// Asynchronous type from the config.
	slow := "/subscriptions/" + sub1 + "/resourceGroups/rg-gen/providers/Contoso.Widgets/slowWidgets/s1?api-version=" + widgetsV
	a := e.do("PUT", slow, tok, `{"location":"eastus"}`)
	expect(t, a, 201, "")
	if a.header.Get("Azure-AsyncOperation") == "" || !strings.HasPrefix(a.header.Get("Azure-AsyncOperation"), e.base+"/subscriptions/") {
		t.Fatalf("async PUT headers: %v", a.header)
	}

	// Group delete: 202 with Location and Azure-AsyncOperation; the group
	// and everything in it go.
	d := e.do("DELETE", groupPath(sub1, "rg-gen"), tok, "")
	expect(t, d, 202, "")
	ao := d.header.Get("Azure-AsyncOperation")
	if ao == "" || d.header.Get("Location") == "" {
		t.Fatalf("group delete headers: %v", d.header)
	}
	var st struct{ Status string }
	running := e.do("GET", ao, tok, "")
	mustJSON(t, running.body, &st)
	if st.Status != "InProgress" || running.header.Get("Retry-After") != "1" {
		t.Errorf("status while deleting = %q, Retry-After %q (want InProgress, 1)", st.Status, running.header.Get("Retry-After"))
	}
	expect(t, e.do("PUT", widgetPath("rg-gen", "w3"), tok, `{"location":"eastus"}`), 409, "ResourceGroupBeingDeleted")
	e.clk.Advance(3 * e.s.opts.DeleteDuration)
	done := e.do("GET", ao, tok, "")
	mustJSON(t, done.body, &st)
	if st.Status != "Succeeded" || done.header.Get("Retry-After") != "" {
		t.Errorf("status after = %q, Retry-After %q", st.Status, done.header.Get("Retry-After"))
	}
	expect(t, e.do("GET", widgetPath("rg-gen", "w1"), tok, ""), 404, "ResourceGroupNotFound")
	expect(t, e.do("PUT", groupPath(sub1, "rg-gen"), tok, `{"location":"eastus"}`), 201, "")
	expect(t, e.do("GET", widgetPath("rg-gen", "w1"), tok, ""), 404, "ResourceNotFound")
	expect(t, e.do("GET", "/subscriptions/"+sub1+"/resourceGroups/rg-gen/providers/Contoso.Widgets/slowWidgets/s1?api-version="+widgetsV, tok, ""), 404, "ResourceNotFound")

	// Discovery and cloud metadata (the latter without a token).
	expect(t, e.do("GET", "/subscriptions/"+sub1+"/providers/Microsoft.ManagedIdentity?api-version=2019-05-01", tok, ""), 200, "")
	md := e.do("GET", "/metadata/endpoints?api-version=2022-09-01", "", "")
	expect(t, md, 200, "")
	var cloud struct{ ResourceManager string }
	mustJSON(t, md.body, &cloud)
	if cloud.ResourceManager != e.base+"/" {
		t.Errorf("resourceManager = %q, want %q", cloud.ResourceManager, e.base+"/")
	}
	expect(t, e.do("GET", widgetPath("rg-web", "w1"), "", ""), 401, "AuthenticationFailed")
}

// TestGenericResourcesSurviveRestart: with a state directory, an
// acknowledged resource is there after a restart, in the same state file.
func TestGenericResourcesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	e := startARM(t, Options{StateDir: dir})
	tok := e.token("app-contributor")
	expect(t, e.do("PUT", widgetPath("rg-web", "keep"), tok, `{"location":"eastus","properties":{"n":1}}`), 201, "")
	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := startARM(t, Options{StateDir: dir})
	r := e2.do("GET", widgetPath("rg-web", "keep"), e2.token("app-contributor"), "")
	expect(t, r, 200, "")
	var got struct {
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil || got.Properties["n"] != 1.0 {
		t.Errorf("after restart: %s", r.body)
	}
}

// TestGenericResourcesThrottled: generic requests spend the same
// per-identity budget as the other ARM routes.
func TestGenericResourcesThrottled(t *testing.T) {
	e := startARM(t, Options{ARMRequestBudget: 3})
	tok := e.token("app-contributor")
	for range 3 {
		expect(t, e.do("GET", widgetPath("rg-web", "none"), tok, ""), 404, "ResourceNotFound")
	}
	r := e.do("GET", widgetPath("rg-web", "none"), tok, "")
	expect(t, r, 429, "TooManyRequests")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

// TestResourcesListIncludesVaults: vaults (served by the Key Vault
// package) appear in /resources, as armkeyvault's vault listing expects.
func TestResourcesListIncludesVaults(t *testing.T) {
	e := startARM(t, Options{})
	createVault(t, e, "kvlisted", `{"tenantId":"`+e.s.config().TenantID+`","sku":{"family":"A","name":"standard"}}`)
	tok := e.token("vm-system")
	r := e.do("GET", "/subscriptions/"+sub1+"/resources?api-version=2015-11-01&%24filter="+
		"resourceType%20eq%20%27Microsoft.KeyVault%2Fvaults%27", tok, "")
	expect(t, r, 200, "")
	var page struct {
		Value []struct{ ID, Type, Location string }
	}
	mustJSON(t, r.body, &page)
	if len(page.Value) != 1 || page.Value[0].ID != "/subscriptions/"+sub1+"/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/kvlisted" ||
		page.Value[0].Location != "westeurope" {
		t.Fatalf("vaults listed: %s", r.body)
	}
	g := e.do("GET", "/subscriptions/"+sub1+"/resourceGroups/rg-data/resources?api-version=2025-04-01", tok, "")
	if !strings.Contains(string(g.body), "kvlisted") {
		t.Errorf("group listing lacks the vault: %s", g.body)
	}
}

// TestKeyVaultProviderDiscovery: the Microsoft.KeyVault namespace is the
// provider's (the Azure CLI reads it for the api-version before az
// resource create on a vault), while its vault types stay Key Vault's.
func TestKeyVaultProviderDiscovery(t *testing.T) {
	e := startARM(t, Options{})
	tok := e.token("app-contributor")
	r := e.do("GET", "/subscriptions/"+sub1+"/providers/Microsoft.KeyVault?api-version=2022-12-01", tok, "")
	expect(t, r, 200, "")
	var p struct {
		Namespace     string `json:"namespace"`
		ResourceTypes []struct {
			ResourceType string   `json:"resourceType"`
			APIVersions  []string `json:"apiVersions"`
		} `json:"resourceTypes"`
	}
	mustJSON(t, r.body, &p)
	found := false
	for _, rt := range p.ResourceTypes {
		found = found || (rt.ResourceType == "vaults" && len(rt.APIVersions) > 0)
	}
	if p.Namespace != "Microsoft.KeyVault" || !found {
		t.Errorf("provider = %s", r.body)
	}
	expect(t, e.do("GET", "/subscriptions/"+sub1+"/providers/Microsoft.KeyVault/vaults?api-version=2026-04-01", tok, ""), 200, "")
}
