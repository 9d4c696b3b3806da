package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

const (
	kvAPI      = "?api-version=2026-04-01"
	vaultARMID = "/subscriptions/" + sub1 + "/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/"
)

// kvDo sends one request with the emulator's own client (it dials
// *.vault.localhost on loopback).
func kvDo(t *testing.T, s *Server, method, url, token, body string) armResp {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return armResp{status: resp.StatusCode, header: resp.Header, body: b}
}

func mustKV(t *testing.T, r armResp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

// createVault PUTs a vault in rg-data as vm-system (Contributor).
func createVault(t *testing.T, e *armEnv, name, properties string) map[string]any {
	t.Helper()
	r := kvDo(t, e.s, "PUT", e.base+vaultARMID+name+kvAPI, e.token("vm-system"), `{"location":"westeurope","properties":`+properties+`}`)
	mustKV(t, r, 201)
	var v map[string]any
	_ = json.Unmarshal(r.body, &v)
	return v
}

func TestKeyVaultThroughARMAndDataPlane(t *testing.T) {
	e := startARM(t, Options{})
	policy := `{"tenantId":"` + defaultTID + `","sku":{"family":"A","name":"standard"},"enableRbacAuthorization":false,` +
		`"accessPolicies":[{"tenantId":"` + defaultTID + `","objectId":"` + sysObjectID + `","permissions":{"secrets":["get","list","set","delete"]}}]}`
	v := createVault(t, e, "kv1", policy)
	uri, _ := v["properties"].(map[string]any)["vaultUri"].(string)
	if uri != "https://kv1"+e.s.VaultSuffix()+"/" || e.s.VaultURL("KV1") != uri {
		t.Fatalf("vaultUri %q, suffix %q", uri, e.s.VaultSuffix())
	}
	vault := strings.TrimSuffix(uri, "/")
	vaultTok := e.tokenFor("vm-system", "https://vault.azure.net")

	// The challenge names the loopback resource and the tenant.
	r := kvDo(t, e.s, "GET", vault+"/secrets/db-password/"+kvAPI, "", "")
	mustKV(t, r, 401)
	port := e.s.VaultSuffix()[len(".vault.localhost:"):]
	if got := r.header.Get("WWW-Authenticate"); got != `Bearer authorization="https://login.microsoftonline.com/`+defaultTID+`", resource="https://vault.localhost:`+port+`"` {
		t.Errorf("challenge %s", got)
	}
	// An ARM token is refused by the vault.
	r = kvDo(t, e.s, "GET", vault+"/secrets/db-password/"+kvAPI, e.token("vm-system"), "")
	mustKV(t, r, 401)
	if !strings.Contains(r.errMessage(), "AKV10022") {
		t.Errorf("ARM token: %s", r.body)
	}
	// Set and get with the vault token, also for the loopback audience.
	mustKV(t, kvDo(t, e.s, "PUT", vault+"/secrets/db-password"+kvAPI, vaultTok, `{"value":"s3cr3t"}`), 200)
	for _, tok := range []string{vaultTok, e.tokenFor("vm-system", "https://vault.localhost:"+port)} {
		r = kvDo(t, e.s, "GET", vault+"/secrets/db-password/"+kvAPI, tok, "")
		mustKV(t, r, 200)
		if !bytes.Contains(r.body, []byte(`"value":"s3cr3t"`)) {
			t.Errorf("get: %s", r.body)
		}
	}
	// No policy for app-reader: AccessDenied.
	r = kvDo(t, e.s, "GET", vault+"/secrets/db-password/"+kvAPI, e.tokenFor("app-reader", "https://vault.azure.net"), "")
	mustKV(t, r, 403)
	if !strings.Contains(string(r.body), "AccessDenied") {
		t.Errorf("reader: %s", r.body)
	}
	// ARM Reader sees the vault resource but cannot write it.
	mustKV(t, kvDo(t, e.s, "GET", e.base+vaultARMID+"kv1"+kvAPI, e.token("app-reader"), ""), 200)
	mustKV(t, kvDo(t, e.s, "DELETE", e.base+vaultARMID+"kv1"+kvAPI, e.token("app-reader"), ""), 403)

	// A vault of another tenant refuses this tenant's tokens.
	other := strings.Replace(policy, `"tenantId":"`+defaultTID+`","sku"`, `"tenantId":"eeeeeeee-0000-4000-8000-000000000009","sku"`, 1)
	createVault(t, e, "kvother", other)
	r = kvDo(t, e.s, "GET", "https://kvother"+e.s.VaultSuffix()+"/secrets"+kvAPI, vaultTok, "")
	mustKV(t, r, 401)
	if !strings.Contains(r.errMessage(), "AKV10032") || !strings.Contains(r.header.Get("WWW-Authenticate"), "eeeeeeee-0000-4000-8000-000000000009") {
		t.Errorf("other tenant: %s %s", r.header.Get("WWW-Authenticate"), r.body)
	}

	// Deleting the vault soft-deletes it; recovering brings the secrets back.
	mustKV(t, kvDo(t, e.s, "DELETE", e.base+vaultARMID+"kv1"+kvAPI, e.token("vm-system"), ""), 200)
	mustKV(t, kvDo(t, e.s, "GET", vault+"/secrets/db-password/"+kvAPI, vaultTok, ""), 404)
	r = kvDo(t, e.s, "PUT", e.base+vaultARMID+"kv1"+kvAPI, e.token("vm-system"), `{"location":"westeurope","properties":{"createMode":"recover"}}`)
	mustKV(t, r, 200)
	mustKV(t, kvDo(t, e.s, "GET", vault+"/secrets/db-password/"+kvAPI, vaultTok, ""), 200)
	// Purge takes the secrets with it.
	mustKV(t, kvDo(t, e.s, "DELETE", e.base+vaultARMID+"kv1"+kvAPI, e.token("vm-system"), ""), 200)
	mustKV(t, kvDo(t, e.s, "POST", e.base+"/subscriptions/"+sub1+"/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/kv1/purge"+kvAPI, e.token("vm-system"), ""), 200)
	createVault(t, e, "kv1", policy)
	mustKV(t, kvDo(t, e.s, "GET", vault+"/secrets/db-password/"+kvAPI, vaultTok, ""), 404)
}

func TestKeyVaultStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	policy := `{"tenantId":"` + defaultTID + `","sku":{"family":"A","name":"standard"},"enableRbacAuthorization":false,` +
		`"accessPolicies":[{"tenantId":"` + defaultTID + `","objectId":"` + sysObjectID + `","permissions":{"secrets":["all"]}}]}`
	e := startARM(t, Options{StateDir: dir})
	createVault(t, e, "kv1", policy)
	tok := e.tokenFor("vm-system", "https://vault.azure.net")
	mustKV(t, kvDo(t, e.s, "PUT", e.s.VaultURL("kv1")+"secrets/db-password"+kvAPI, tok, `{"value":"kept"}`), 200)
	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := startARM(t, Options{StateDir: dir})
	r := kvDo(t, e2.s, "GET", e2.base+vaultARMID+"kv1"+kvAPI, e2.token("vm-system"), "")
	mustKV(t, r, 200)
	if !strings.Contains(string(r.body), `"vaultUri":"`+e2.s.VaultURL("kv1")+`"`) {
		t.Errorf("vaultUri after restart: %s", r.body)
	}
	r = kvDo(t, e2.s, "GET", e2.s.VaultURL("kv1")+"secrets/db-password"+kvAPI, e2.tokenFor("vm-system", "https://vault.azure.net"), "")
	mustKV(t, r, 200)
	if !bytes.Contains(r.body, []byte(`"value":"kept"`)) {
		t.Errorf("after restart: %s", r.body)
	}
}

// TestKeyVaultValuesNeverLogged: the emulator's request log (at debug)
// never holds a secret value, whatever the request.
func TestKeyVaultValuesNeverLogged(t *testing.T) {
	const canary = "CANARY-emulator-log-4d2f"
	var logs testenv.SyncBuffer
	e := startARM(t, Options{Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	policy := `{"tenantId":"` + defaultTID + `","sku":{"family":"A","name":"standard"},"enableRbacAuthorization":false,` +
		`"accessPolicies":[{"tenantId":"` + defaultTID + `","objectId":"` + sysObjectID + `","permissions":{"secrets":["get","set","list"]}}]}`
	createVault(t, e, "kv1", policy)
	tok := e.tokenFor("vm-system", "https://vault.azure.net")
	url := e.s.VaultURL("kv1") + "secrets/db-password" + kvAPI
	mustKV(t, kvDo(t, e.s, "PUT", url, tok, `{"value":"`+canary+`"}`), 200)
	mustKV(t, kvDo(t, e.s, "GET", url, tok, ""), 200)
	for _, body := range []string{`{"value":"` + canary + `"`, `{"value":"` + canary + strings.Repeat("x", 26000) + `"}`} {
		kvDo(t, e.s, "PUT", url, tok, body)
		kvDo(t, e.s, "PUT", url, e.tokenFor("app-reader", "https://vault.azure.net"), body)
		kvDo(t, e.s, "PUT", url, "", body)
	}
	if out := logs.String(); strings.Contains(out, canary) || !strings.Contains(out, "keyvault request") {
		t.Errorf("logs hold the value, or no data-plane request was logged:\n%s", out)
	}
}

// TestKeyVaultRBAC: an RBAC vault decided by the roles store with roles
// from the config: Secrets User (on the vault) reads but cannot write,
// Secrets Officer writes, the control-plane Contributor and Reader get
// ForbiddenByRbac naming the data action.
func TestKeyVaultRBAC(t *testing.T) {
	cfg := DefaultConfig()
	vaultID := vaultARMID + "kvrbac"
	cfg.RoleAssignments = append(cfg.RoleAssignments,
		RoleAssignment{Identity: "app-contributor", Scope: vaultID, Role: "Key Vault Secrets Officer"},
		RoleAssignment{Identity: "app-reader", Scope: vaultID + "/secrets/db-password", Role: "Key Vault Secrets User"})
	e := startARM(t, Options{Config: cfg})
	v := createVault(t, e, "kvrbac", `{"tenantId":"`+defaultTID+`","sku":{"family":"A","name":"standard"}}`) // 2026-04-01: RBAC by default
	if v["properties"].(map[string]any)["enableRbacAuthorization"] != true {
		t.Fatalf("RBAC not on by default: %v", v["properties"])
	}
	url := e.s.VaultURL("kvrbac") + "secrets/db-password" + kvAPI
	tok := func(name string) string { return e.tokenFor(name, "https://vault.azure.net") }

	mustKV(t, kvDo(t, e.s, "PUT", url, tok("app-contributor"), `{"value":"s3cr3t"}`), 200)
	mustKV(t, kvDo(t, e.s, "GET", url, tok("app-reader"), ""), 200)
	r := kvDo(t, e.s, "PUT", url, tok("app-reader"), `{"value":"x"}`)
	mustKV(t, r, 403)
	if !strings.Contains(r.errMessage(), "Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'") {
		t.Errorf("reader set: %s", r.body)
	}
	// vm-system is Contributor on the subscription: no data actions.
	r = kvDo(t, e.s, "GET", url, tok("vm-system"), "")
	mustKV(t, r, 403)
	if !strings.Contains(string(r.body), `"ForbiddenByRbac"`) || !strings.Contains(r.errMessage(), "getSecret/action") {
		t.Errorf("contributor get: %s", r.body)
	}
	// app-reader's role is on one secret only.
	mustKV(t, kvDo(t, e.s, "GET", e.s.VaultURL("kvrbac")+"secrets"+kvAPI, tok("app-reader"), ""), 403)
	mustKV(t, kvDo(t, e.s, "GET", e.s.VaultURL("kvrbac")+"secrets"+kvAPI, tok("app-contributor"), ""), 200)
}

// TestKeyVaultDeleteDropsItsRoleAssignments: a vault's delete removes the
// role assignments at its scope and below, so a vault made again under the
// same name does not inherit them.
func TestKeyVaultDeleteDropsItsRoleAssignments(t *testing.T) {
	cfg := DefaultConfig()
	vaultID := vaultARMID + "kvgone"
	cfg.RoleAssignments = append(cfg.RoleAssignments,
		RoleAssignment{Identity: "app-contributor", Scope: vaultID, Role: "Key Vault Secrets Officer"},
		RoleAssignment{Identity: "app-reader", Scope: vaultID + "/secrets/s1", Role: "Key Vault Secrets User"})
	e := startARM(t, Options{Config: cfg})
	createVault(t, e, "kvgone", `{"tenantId":"`+defaultTID+`","sku":{"family":"A","name":"standard"}}`)
	const get = "Microsoft.KeyVault/vaults/secrets/getSecret/action"
	if !e.s.roles.DataAllowed(conObjectID, get, vaultID) || !e.s.roles.DataAllowed(rdrObjectID, get, vaultID+"/secrets/s1") {
		t.Fatal("seeded vault roles do not apply")
	}
	mustKV(t, kvDo(t, e.s, "DELETE", e.base+vaultID+kvAPI, e.token("vm-system"), ""), 200)
	if e.s.roles.DataAllowed(conObjectID, get, vaultID) || e.s.roles.DataAllowed(rdrObjectID, get, vaultID+"/secrets/s1") {
		t.Error("role assignments at a deleted vault's scope survived")
	}
	// The subscription-level roles stay.
	if !e.s.roles.Allowed(conObjectID, "Microsoft.KeyVault/vaults/write", vaultID) {
		t.Error("Contributor at the subscription went with the vault")
	}
}

// TestKeyVaultGoesWithItsGroup: deleting the resource group soft-deletes
// its vaults; their secrets come back with a recover.
func TestKeyVaultGoesWithItsGroup(t *testing.T) {
	e := startARM(t, Options{DeleteDuration: time.Second})
	policy := `{"tenantId":"` + defaultTID + `","sku":{"family":"A","name":"standard"},"enableRbacAuthorization":false,` +
		`"accessPolicies":[{"tenantId":"` + defaultTID + `","objectId":"` + sysObjectID + `","permissions":{"secrets":["all"]}}]}`
	createVault(t, e, "kvgroup", policy)
	tok := e.tokenFor("vm-system", "https://vault.azure.net")
	mustKV(t, kvDo(t, e.s, "PUT", e.s.VaultURL("kvgroup")+"secrets/a"+kvAPI, tok, `{"value":"v"}`), 200)
	expect(t, e.do("DELETE", groupPath(sub1, "rg-data"), e.token("vm-system"), ""), 202, "")
	e.clk.Advance(2 * time.Second)
	expect(t, e.do("GET", groupPath(sub1, "rg-data"), e.token("vm-system"), ""), 404, "ResourceGroupNotFound")
	mustKV(t, kvDo(t, e.s, "GET", e.s.VaultURL("kvgroup")+"secrets/a"+kvAPI, tok, ""), 404)
	r := kvDo(t, e.s, "GET", e.base+"/subscriptions/"+sub1+"/providers/Microsoft.KeyVault/deletedVaults"+kvAPI, e.token("vm-system"), "")
	mustKV(t, r, 200)
	if !strings.Contains(string(r.body), `"vaultId":"`+vaultARMID+`kvgroup"`) {
		t.Errorf("deleted vaults: %s", r.body)
	}
}

// TestKeyVaultReset: /_emulator/reset forgets vaults and secrets.
func TestKeyVaultReset(t *testing.T) {
	e := startARM(t, Options{})
	createVault(t, e, "kvreset", `{"tenantId":"`+defaultTID+`","sku":{"family":"A","name":"standard"}}`)
	if err := e.s.reset(); err != nil {
		t.Fatal(err)
	}
	mustKV(t, kvDo(t, e.s, "GET", e.base+vaultARMID+"kvreset"+kvAPI, e.token("vm-system"), ""), 404)
	createVault(t, e, "kvreset", `{"tenantId":"`+defaultTID+`","sku":{"family":"A","name":"standard"}}`) // 201 again
}
