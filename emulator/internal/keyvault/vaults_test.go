package keyvault

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/apiversion"
	"github.com/azmsi/azmsi/internal/testenv"
)

const (
	sub     = "bbbbbbbb-0000-4000-8000-000000000002"
	rgPath  = "/subscriptions/" + sub + "/resourceGroups/rg1"
	kvPath  = rgPath + "/providers/Microsoft.KeyVault/vaults/kv1"
	armNew  = "?api-version=2026-04-01"
	armOld  = "?api-version=2024-11-01"
	armBody = `{"location":"westeurope","properties":{"tenantId":"` + tenant + `","sku":{"family":"A","name":"standard"}}}`
)

// fakeARMAuth: "Bearer arm-<oid>" authenticates as that object id.
type fakeARMAuth struct{}

func (fakeARMAuth) Authenticate(w http.ResponseWriter, r *http.Request) (ARMCaller, bool) {
	oid, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer arm-")
	if !ok {
		writeARMError(w, armError{401, "AuthenticationFailed", "no token"})
		return ARMCaller{}, false
	}
	return ARMCaller{ObjectID: oid, ClientID: "client-" + oid}, true
}

// fakeARMAuthz: ownerOID may do anything, readerOID may read.
type fakeARMAuthz struct{}

func (fakeARMAuthz) Allowed(oid, action, scope string) bool {
	return oid == ownerOID || oid == readerOID && strings.HasSuffix(action, "/read")
}

type memVaults struct{ recs map[string][]byte }

func (m *memVaults) LoadVaults() ([][]byte, error) {
	var out [][]byte
	for _, b := range m.recs {
		out = append(out, b)
	}
	return out, nil
}
func (m *memVaults) PutVault(name string, b []byte) error { m.recs[name] = b; return nil }
func (m *memVaults) DeleteVault(name string) error        { delete(m.recs, name); return nil }

type vaultEnv struct {
	t      testing.TB
	svc    *VaultService
	clock  *testenv.FakeClock
	store  *memVaults
	purged []string
}

func newVaultEnv(t testing.TB, store *memVaults) *vaultEnv {
	t.Helper()
	if store == nil {
		store = &memVaults{recs: map[string][]byte{}}
	}
	e := &vaultEnv{t: t, clock: testenv.NewFakeClock(t0), store: store}
	svc, err := NewVaultService(VaultServiceOptions{
		Auth: fakeARMAuth{}, Authz: fakeARMAuthz{},
		Versions:    apiversion.NewChecker(apiversion.MustBuiltin([]string{"westeurope"}), false, nil),
		GroupExists: func(s, rg string) bool { return strings.EqualFold(s, sub) && strings.EqualFold(rg, "rg1") },
		Persister:   store, Now: e.clock.Now,
		VaultURI: func(name string) string { return "https://" + name + ".vault.localhost:8443/" },
		OnPurge:  func(name string) error { e.purged = append(e.purged, name); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

func (e *vaultEnv) do(method, path, oid, body string) resp {
	e.t.Helper()
	if !Handles(strings.SplitN(path, "?", 2)[0]) {
		e.t.Fatalf("Handles(%s) = false", path)
	}
	req := httptest.NewRequest(method, "https://127.0.0.1:8443"+path, bytes.NewReader([]byte(body)))
	if oid != "" {
		req.Header.Set("Authorization", "Bearer arm-"+oid)
	}
	w := httptest.NewRecorder()
	e.svc.ServeHTTP(w, req)
	return resp{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

func TestVaultCreateReadUpdate(t *testing.T) {
	e := newVaultEnv(t, nil)
	r := e.do("PUT", kvPath+armNew, ownerOID, armBody)
	mustStatus(t, r, 201)
	v := r.json(t)
	p := v["properties"].(map[string]any)
	if v["id"] != kvPath || v["type"] != "Microsoft.KeyVault/vaults" || v["location"] != "westeurope" ||
		p["vaultUri"] != "https://kv1.vault.localhost:8443/" || p["enableRbacAuthorization"] != true ||
		p["enableSoftDelete"] != true || p["softDeleteRetentionInDays"] != float64(90) || p["provisioningState"] != "Succeeded" {
		t.Errorf("created vault %s", r.body)
	}
	got, ok := e.svc.Vault("KV1")
	if !ok || got.TenantID != tenant || !got.RBAC || got.ResourceID != kvPath || got.Location != "westeurope" || got.Deleted {
		t.Errorf("registry %+v", got)
	}
	// Re-PUT: 200; older api-versions default RBAC off on create only.
	mustStatus(t, e.do("PUT", kvPath+armOld, ownerOID, armBody), 200)
	if v, _ := e.svc.Vault("kv1"); !v.RBAC {
		t.Error("an update without the property turned RBAC off")
	}
	mustStatus(t, e.do("PUT", rgPath+"/providers/Microsoft.KeyVault/vaults/kvold"+armOld, ownerOID, armBody), 201)
	if v, _ := e.svc.Vault("kvold"); v.RBAC {
		t.Error("RBAC on by default with 2024-11-01")
	}
	// PATCH: access policies, RBAC off.
	r = e.do("PATCH", kvPath+armNew, ownerOID, `{"tags":{"env":"dev"},"properties":{"enableRbacAuthorization":false,"accessPolicies":[{"tenantId":"`+tenant+`","objectId":"`+userOID+`","permissions":{"secrets":["get","list"]}}]}}`)
	mustStatus(t, r, 200)
	v2, _ := e.svc.Vault("kv1")
	if v2.RBAC || len(v2.AccessPolicies) != 1 || v2.AccessPolicies[0].ObjectID != userOID || strings.Join(v2.AccessPolicies[0].Secrets, ",") != "get,list" {
		t.Errorf("after PATCH %+v", v2)
	}
	if r.json(t)["tags"].(map[string]any)["env"] != "dev" {
		t.Errorf("tags %s", r.body)
	}
	// accessPolicies/add merges, remove drops.
	mustStatus(t, e.do("PUT", kvPath+"/accessPolicies/add"+armNew, ownerOID, `{"properties":{"accessPolicies":[{"tenantId":"`+tenant+`","objectId":"`+userOID+`","permissions":{"secrets":["set"]}}]}}`), 200)
	if v, _ := e.svc.Vault("kv1"); strings.Join(v.AccessPolicies[0].Secrets, ",") != "get,list,set" {
		t.Errorf("after add %+v", v.AccessPolicies)
	}
	mustStatus(t, e.do("PUT", kvPath+"/accessPolicies/remove"+armNew, ownerOID, `{"properties":{"accessPolicies":[{"tenantId":"`+tenant+`","objectId":"`+userOID+`","permissions":{}}]}}`), 200)
	if v, _ := e.svc.Vault("kv1"); len(v.AccessPolicies) != 0 {
		t.Errorf("after remove %+v", v.AccessPolicies)
	}
	// Reads and lists.
	mustStatus(t, e.do("GET", kvPath+armNew, readerOID, ""), 200)
	r = e.do("GET", rgPath+"/providers/Microsoft.KeyVault/vaults"+armNew, readerOID, "")
	if items := r.json(t)["value"].([]any); len(items) != 2 {
		t.Errorf("group list %s", r.body)
	}
	r = e.do("GET", "/subscriptions/"+sub+"/providers/Microsoft.KeyVault/vaults"+armNew, ownerOID, "")
	if items := r.json(t)["value"].([]any); len(items) != 2 {
		t.Errorf("subscription list %s", r.body)
	}
	if !e.svc.Exists(strings.ToLower(kvPath)) || e.svc.Exists(kvPath+"x") {
		t.Error("Exists")
	}
}

func TestVaultRefusals(t *testing.T) {
	e := newVaultEnv(t, nil)
	mustStatus(t, e.do("PUT", kvPath+armNew, ownerOID, armBody), 201)
	cases := []struct {
		name, method, path, oid, body string
		status                        int
		code                          string
	}{
		{"no token", "GET", kvPath + armNew, "", "", 401, "AuthenticationFailed"},
		{"reader writes", "PUT", kvPath + armNew, readerOID, armBody, 403, "AuthorizationFailed"},
		{"no api-version", "GET", kvPath, ownerOID, "", 400, "InvalidApiVersionParameter"},
		{"bad name", "PUT", rgPath + "/providers/Microsoft.KeyVault/vaults/k--1" + armNew, ownerOID, armBody, 400, "VaultNameNotValid"},
		{"no group", "PUT", "/subscriptions/" + sub + "/resourceGroups/rg2/providers/Microsoft.KeyVault/vaults/kv2" + armNew, ownerOID, armBody, 404, "ResourceGroupNotFound"},
		{"no tenant", "PUT", rgPath + "/providers/Microsoft.KeyVault/vaults/kv2" + armNew, ownerOID, `{"location":"westeurope","properties":{"sku":{"family":"A","name":"standard"}}}`, 400, "BadRequest"},
		{"no sku", "PUT", rgPath + "/providers/Microsoft.KeyVault/vaults/kv2" + armNew, ownerOID, `{"location":"westeurope","properties":{"tenantId":"` + tenant + `"}}`, 400, "BadRequest"},
		{"no location", "PUT", rgPath + "/providers/Microsoft.KeyVault/vaults/kv2" + armNew, ownerOID, `{"properties":{"tenantId":"` + tenant + `","sku":{"family":"A","name":"standard"}}}`, 400, "LocationRequired"},
		{"soft delete off", "PATCH", kvPath + armNew, ownerOID, `{"properties":{"enableSoftDelete":false}}`, 400, "BadRequest"},
		{"retention", "PATCH", kvPath + armNew, ownerOID, `{"properties":{"softDeleteRetentionInDays":3}}`, 400, "BadRequest"},
		{"bad permission", "PATCH", kvPath + armNew, ownerOID, `{"properties":{"accessPolicies":[{"tenantId":"` + tenant + `","objectId":"` + userOID + `","permissions":{"secrets":["read"]}}]}}`, 400, "BadRequest"},
		{"not JSON", "PUT", kvPath + armNew, ownerOID, `{`, 400, "InvalidRequestContent"},
		{"move location", "PUT", kvPath + armNew, ownerOID, strings.Replace(armBody, "westeurope", "eastus", 1), 400, "LocationNotAvailableForResourceType"},
		{"taken elsewhere", "PUT", "/subscriptions/" + sub + "/resourceGroups/RG1x/providers/Microsoft.KeyVault/vaults/kv1" + armNew, ownerOID, armBody, 404, "ResourceGroupNotFound"},
		{"patch absent", "PATCH", rgPath + "/providers/Microsoft.KeyVault/vaults/kv9" + armNew, ownerOID, `{}`, 404, "ResourceNotFound"},
		{"get absent", "GET", rgPath + "/providers/Microsoft.KeyVault/vaults/kv9" + armNew, ownerOID, "", 404, "ResourceNotFound"},
		{"method", "POST", kvPath + armNew, ownerOID, "", 405, "MethodNotAllowed"},
		{"unknown type", "GET", rgPath + "/providers/Microsoft.KeyVault/managedHSMs/h1" + armNew, ownerOID, "", 404, "InvalidResourceType"},
	}
	for _, c := range cases {
		r := e.do(c.method, c.path, c.oid, c.body)
		if r.status != c.status {
			t.Errorf("%s: %d, want %d (%s)", c.name, r.status, c.status, r.body)
			continue
		}
		if code, _ := r.errCode(t); code != c.code {
			t.Errorf("%s: code %q, want %q", c.name, code, c.code)
		}
	}
	// The name is global: another group of the subscription cannot take it.
	e.svc.o.GroupExists = func(string, string) bool { return true }
	r := e.do("PUT", "/subscriptions/"+sub+"/resourceGroups/rg2/providers/Microsoft.KeyVault/vaults/KV1"+armNew, ownerOID, armBody)
	mustStatus(t, r, 409)
	if code, _ := r.errCode(t); code != "VaultAlreadyExists" {
		t.Errorf("code %q", code)
	}
}

func TestVaultSoftDeleteRecoverPurge(t *testing.T) {
	e := newVaultEnv(t, nil)
	mustStatus(t, e.do("PUT", kvPath+armNew, ownerOID, armBody), 201)
	e.clock.Advance(time.Hour)
	mustStatus(t, e.do("DELETE", kvPath+armNew, ownerOID, ""), 200)
	mustStatus(t, e.do("DELETE", kvPath+armNew, ownerOID, ""), 204)
	mustStatus(t, e.do("GET", kvPath+armNew, ownerOID, ""), 404)
	if v, ok := e.svc.Vault("kv1"); !ok || !v.Deleted {
		t.Errorf("data plane view of a deleted vault: %+v %v", v, ok)
	}
	r := e.do("GET", "/subscriptions/"+sub+"/providers/Microsoft.KeyVault/deletedVaults"+armNew, ownerOID, "")
	mustStatus(t, r, 200)
	items := r.json(t)["value"].([]any)
	if len(items) != 1 {
		t.Fatalf("deleted list %s", r.body)
	}
	d := items[0].(map[string]any)
	dp := d["properties"].(map[string]any)
	if d["id"] != "/subscriptions/"+sub+"/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/kv1" ||
		dp["vaultId"] != kvPath || dp["deletionDate"] != "2026-01-01T13:00:00Z" || dp["scheduledPurgeDate"] != "2026-04-01T13:00:00Z" {
		t.Errorf("deleted vault %s", r.body)
	}
	deleted := "/subscriptions/" + sub + "/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/kv1"
	mustStatus(t, e.do("GET", deleted+armNew, ownerOID, ""), 200)
	mustStatus(t, e.do("GET", strings.Replace(deleted, "westeurope", "eastus", 1)+armNew, ownerOID, ""), 404)

	// The name cannot be reused, but createMode recover brings it back.
	r = e.do("PUT", kvPath+armNew, ownerOID, armBody)
	mustStatus(t, r, 409)
	if code, _ := r.errCode(t); code != "ConflictError" {
		t.Errorf("code %q", code)
	}
	mustStatus(t, e.do("PUT", kvPath+armNew, ownerOID, `{"location":"westeurope","properties":{"createMode":"recover"}}`), 200)
	if v, _ := e.svc.Vault("kv1"); v.Deleted || v.TenantID != tenant {
		t.Errorf("recovered %+v", v)
	}
	// Delete and purge: the OnPurge hook runs and the name is free.
	mustStatus(t, e.do("DELETE", kvPath+armNew, ownerOID, ""), 200)
	mustStatus(t, e.do("POST", deleted+"/purge"+armNew, readerOID, ""), 403)
	mustStatus(t, e.do("POST", deleted+"/purge"+armNew, ownerOID, ""), 200)
	if _, ok := e.svc.Vault("kv1"); ok || strings.Join(e.purged, ",") != "kv1" || len(e.store.recs) != 0 {
		t.Errorf("after purge: purged %v, records %d", e.purged, len(e.store.recs))
	}
	mustStatus(t, e.do("POST", deleted+"/purge"+armNew, ownerOID, ""), 404)
	mustStatus(t, e.do("PUT", kvPath+armNew, ownerOID, armBody), 201)
}

func TestVaultPurgeProtectionAndExpiry(t *testing.T) {
	e := newVaultEnv(t, nil)
	body := `{"location":"westeurope","properties":{"tenantId":"` + tenant + `","sku":{"family":"A","name":"premium"},"enablePurgeProtection":true,"softDeleteRetentionInDays":7}}`
	mustStatus(t, e.do("PUT", kvPath+armNew, ownerOID, body), 201)
	if v, _ := e.svc.Vault("kv1"); !v.PurgeProtection || v.SoftDeleteRetentionDays != 7 {
		t.Errorf("%+v", v)
	}
	r := e.do("PATCH", kvPath+armNew, ownerOID, `{"properties":{"enablePurgeProtection":false}}`)
	mustStatus(t, r, 400)
	mustStatus(t, e.do("DELETE", kvPath+armNew, ownerOID, ""), 200)
	deleted := "/subscriptions/" + sub + "/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/kv1"
	mustStatus(t, e.do("POST", deleted+"/purge"+armNew, ownerOID, ""), 409)
	e.clock.Advance(7 * 24 * time.Hour)
	mustStatus(t, e.do("GET", deleted+armNew, ownerOID, ""), 404)
	if strings.Join(e.purged, ",") != "kv1" {
		t.Errorf("purged %v", e.purged)
	}
}

func TestVaultsSurviveARestart(t *testing.T) {
	e := newVaultEnv(t, nil)
	mustStatus(t, e.do("PUT", kvPath+armNew, ownerOID, armBody), 201)
	e2 := newVaultEnv(t, e.store)
	if v, ok := e2.svc.Vault("kv1"); !ok || v.TenantID != tenant {
		t.Errorf("after restart %+v %v", v, ok)
	}
	e.store.recs["kv1"] = []byte("{")
	if _, err := NewVaultService(VaultServiceOptions{Auth: fakeARMAuth{}, Authz: fakeARMAuthz{}, Versions: e.svc.o.Versions,
		GroupExists: e.svc.o.GroupExists, Persister: e.store}); err == nil {
		t.Error("a corrupt vault record was accepted")
	}
}

func TestCheckNameAvailability(t *testing.T) {
	e := newVaultEnv(t, nil)
	mustStatus(t, e.do("PUT", kvPath+armNew, ownerOID, armBody), 201)
	path := "/subscriptions/" + sub + "/providers/Microsoft.KeyVault/checkNameAvailability" + armNew
	for name, want := range map[string]bool{"kv1": false, "KV1": false, "kv2": true, "k": false} {
		r := e.do("POST", path, ownerOID, `{"name":"`+name+`","type":"Microsoft.KeyVault/vaults"}`)
		mustStatus(t, r, 200)
		if r.json(t)["nameAvailable"] != want {
			t.Errorf("%s: %s", name, r.body)
		}
	}
	mustStatus(t, e.do("POST", path, ownerOID, `{"name":"x"}`), 400)
}

func TestHandles(t *testing.T) {
	for p, want := range map[string]bool{
		kvPath: true, rgPath + "/providers/microsoft.keyvault/vaults": true,
		"/subscriptions/" + sub + "/providers/Microsoft.KeyVault/deletedVaults": true,
		rgPath + "/providers/Microsoft.Storage/storageAccounts/s":               false, rgPath: false, "/subscriptions": false,
		"/subscriptions/" + sub + "/providers/Microsoft.KeyVaultX": false,
		// The provider namespace and its registration are discovery's.
		"/subscriptions/" + sub + "/providers/Microsoft.KeyVault":                                      false,
		"/subscriptions/" + sub + "/providers/microsoft.keyvault/":                                     false,
		"/subscriptions/" + sub + "/providers/Microsoft.KeyVault/register":                             false,
		"/subscriptions/" + sub + "/providers/Microsoft.KeyVault/unregister":                           false,
		"/subscriptions/" + sub + "/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/v": true,
	} {
		if Handles(p) != want {
			t.Errorf("Handles(%s) != %v", p, want)
		}
	}
}

// The vault service is the data plane's registry end to end.
func TestVaultServiceAsRegistry(t *testing.T) {
	ve := newVaultEnv(t, nil)
	mustStatus(t, ve.do("PUT", kvPath+armNew, ownerOID, armBody), 201)
	e := newEnv(t, func(o *Options) { o.Vaults = ve.svc })
	e.set("https://kv1.vault.localhost:8443/secrets/a"+av, "v")
	mustStatus(t, ve.do("DELETE", kvPath+armNew, ownerOID, ""), 200)
	r := e.do("GET", "https://kv1.vault.localhost:8443/secrets/a"+av, tokOwner, nil)
	mustStatus(t, r, 404)
	var b map[string]any
	_ = json.Unmarshal(r.body, &b)
	if code, _ := r.errCode(t); code != "VaultNotFound" {
		t.Errorf("code %q", code)
	}
}
