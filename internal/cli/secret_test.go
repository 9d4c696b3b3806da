package cli

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/azmsi/azmsi/emulator"
)

const (
	tenantDefault = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	sysOID        = "11111111-1111-1111-1111-aaaaaaaaaaaa"
	vaultPath     = "/subscriptions/" + sub1 + "/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/"
)

// startVault starts the emulator with vault kv1 in rg-data whose access
// policy lets the VM's system identity do everything with secrets.
func startVault(t *testing.T) *testEnv {
	t.Helper()
	e := startEmulator(t, emulator.Options{})
	e.env["AZMSI_KEYVAULT_DNS_SUFFIX"] = e.srv.VaultSuffix()
	body := `{"location":"westeurope","properties":{"tenantId":"` + tenantDefault + `","sku":{"family":"A","name":"standard"},"enableRbacAuthorization":false,` +
		`"accessPolicies":[{"tenantId":"` + tenantDefault + `","objectId":"` + sysOID + `","permissions":{"secrets":["all"]}}]}}`
	r := e.run(t, "rest", "-X", "PUT", vaultPath+"kv1", "--api-version", "2026-04-01", "--body", body)
	wantCode(t, r, ExitOK)
	return e
}

func TestSecretSetShowList(t *testing.T) {
	e := startVault(t)
	const value = "CANARY-s3cr3t-5b1e"
	r := e.runStdin(t, value, "secret", "set", "--vault", "kv1", "db-password", "--value-file", "-", "--content-type", "text/plain")
	wantCode(t, r, ExitOK)
	if strings.Contains(r.stdout+r.stderr, value) {
		t.Errorf("set printed the value:\n%s", r)
	}
	var set map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &set); err != nil {
		t.Fatalf("set output: %v\n%s", err, r)
	}
	id, _ := set["id"].(string)
	m := regexp.MustCompile(`^https://kv1\.vault\.localhost:\d+/secrets/db-password/([0-9a-f]{32})$`).FindStringSubmatch(id)
	if m == nil || set["name"] != "db-password" || set["contentType"] != "text/plain" {
		t.Fatalf("set output %s", r.stdout)
	}

	r = e.run(t, "secret", "show", "--vault", "kv1", "db-password", "-o", "tsv")
	wantCode(t, r, ExitOK)
	if r.stdout != value+"\n" {
		t.Errorf("show -o tsv = %q", r.stdout)
	}
	// A second version; --version reads the first.
	wantCode(t, e.runStdin(t, "v2", "secret", "set", "--vault", "kv1", "db-password", "--value-file", "-"), ExitOK)
	r = e.run(t, "secret", "show", "--vault", "kv1", "db-password", "--version", m[1], "-o", "tsv")
	if r.code != ExitOK || r.stdout != value+"\n" {
		t.Errorf("show --version: %s", r)
	}
	r = e.run(t, "secret", "show", "--vault", e.srv.VaultURL("kv1"), "db-password")
	wantCode(t, r, ExitOK)
	var shown map[string]any
	_ = json.Unmarshal([]byte(r.stdout), &shown)
	if shown["value"] != "v2" || shown["name"] != "db-password" {
		t.Errorf("show -o json %s", r.stdout)
	}
	r = e.run(t, "secret", "show", "--vault", "kv1", "db-password", "--query", "attributes.enabled", "-o", "tsv")
	if r.code != ExitOK || r.stdout != "true\n" {
		t.Errorf("show --query: %s", r)
	}

	wantCode(t, e.runStdin(t, "x", "secret", "set", "--vault", "kv1", "api-key", "--value-file", "-"), ExitOK)
	r = e.run(t, "secret", "list", "--vault", "kv1", "-o", "tsv", "--query", "[].name")
	if r.code != ExitOK || r.stdout != "api-key\ndb-password\n" {
		t.Errorf("list: %s", r)
	}
	r = e.run(t, "secret", "list", "--vault", "kv1")
	if r.code != ExitOK || strings.Contains(r.stdout, value) || strings.Contains(r.stdout, `"value"`) {
		t.Errorf("list json: %s", r)
	}
}

func TestSecretRefusals(t *testing.T) {
	e := startVault(t)
	wantCode(t, e.runStdin(t, "s3cr3t", "secret", "set", "--vault", "kv1", "db-password", "--value-file", "-"), ExitOK)

	// app-reader has no access policy on the vault.
	r := e.run(t, "secret", "show", "--vault", "kv1", "db-password", "--client-id", readerID)
	wantCode(t, r, ExitError)
	if !strings.Contains(r.stderr, "Key Vault answered 403 Forbidden/AccessDenied") || !strings.Contains(r.stderr, "add a policy for the identity") {
		t.Errorf("reader: %s", r)
	}
	r = e.run(t, "secret", "show", "--vault", "kv1", "nope")
	wantCode(t, r, ExitError)
	if !strings.Contains(r.stderr, "404 SecretNotFound") {
		t.Errorf("missing secret: %s", r)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"secret", "show", "db-password"}, "--vault is required"},
		{[]string{"secret", "show", "--vault", "kv1"}, "needs a SECRET name"},
		{[]string{"secret", "set", "--vault", "kv1", "db-password"}, "--value-file is required"},
		{[]string{"secret", "set", "--vault", "kv1", "db-password", "--value-file", "/nonexistent/file"}, "--value-file"},
		{[]string{"secret", "set", "--vault", "kv1", "db-password", "--value", "x"}, "unknown flag: --value"},
	} {
		r := e.run(t, c.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: %s", c.args, r)
		}
	}
	r = e.run(t, "secret", "show", "--vault", "https://evil.example", "db-password")
	if r.code == ExitOK || !strings.Contains(r.stderr, "not a Key Vault host") {
		t.Errorf("foreign vault URL: %s", r)
	}
	r = e.runStdin(t, strings.Repeat("x", 25601), "secret", "set", "--vault", "kv1", "db-password", "--value-file", "-")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "more than 25600 bytes") {
		t.Errorf("too large: %s", r)
	}
	r = e.runStdin(t, "\xff\xfe", "secret", "set", "--vault", "kv1", "db-password", "--value-file", "-")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "not UTF-8") {
		t.Errorf("binary: %s", r)
	}
}

func TestRestResourceKeyVault(t *testing.T) {
	e := startVault(t)
	wantCode(t, e.runStdin(t, "s3cr3t", "secret", "set", "--vault", "kv1", "db-password", "--value-file", "-"), ExitOK)
	vault := strings.TrimSuffix(e.srv.VaultURL("kv1"), "/")
	r := e.run(t, "rest", "--resource", "https://vault.azure.net", vault+"/secrets/db-password/", "--api-version", "2026-04-01", "--query", "value", "-o", "tsv")
	if r.code != ExitOK || r.stdout != "s3cr3t\n" {
		t.Errorf("rest get: %s", r)
	}
	r = e.run(t, "rest", "--resource", "https://vault.azure.net/", vault+"/secrets?api-version=2026-04-01&maxresults=1", "--paginate", "--query", "length(value)")
	if r.code != ExitOK || strings.TrimSpace(r.stdout) != "1" {
		t.Errorf("rest paginate: %s", r)
	}
	// --paginate on one object fails after the request: exit 1, not a usage error, and the value is not quoted.
	r = e.run(t, "rest", "--resource", "https://vault.azure.net", vault+"/secrets/db-password", "--api-version", "2026-04-01", "--paginate")
	if r.code != ExitError || !strings.Contains(r.stderr, "not a list with value and nextLink") || strings.Contains(r.stderr+r.stdout, "s3cr3t") {
		t.Errorf("rest --paginate on one secret: %s", r)
	}
	// The vault token goes to vault hosts only.
	port := e.srv.VaultSuffix()[len(".vault.localhost:"):]
	for _, u := range []string{"https://127.0.0.1:" + port + "/secrets", e.srv.ARMEndpoint() + "/subscriptions", "https://kv1.vault.azure.net.evil.example/secrets", "https://kv1.blob.localhost:" + port + "/"} {
		r := e.run(t, "rest", "--resource", "https://vault.azure.net", u, "--api-version", "2026-04-01")
		if r.code != ExitUsage || !strings.Contains(r.stderr, "is not a Key Vault host") {
			t.Errorf("%s: %s", u, r)
		}
	}
	for _, c := range []struct{ args []string }{
		{[]string{"rest", "--resource", "https://storage.azure.com", "https://acct.blob.core.windows.net/", "--api-version", "1"}},
		{[]string{"rest", "--resource", "https://vault.azure.net", "/secrets", "--api-version", "2026-04-01"}},
		{[]string{"rest", "--resource", "https://vault.azure.net", vault + "/secrets", "--api-version", "2026-04-01", "--wait"}},
	} {
		if r := e.run(t, c.args...); r.code != ExitUsage {
			t.Errorf("%v: %s", c.args, r)
		}
	}
	// The ARM audience keeps rest on ARM.
	r = e.run(t, "rest", "--resource", "https://management.azure.com/", "/subscriptions", "--api-version", "2022-12-01", "--query", "length(value)")
	if r.code != ExitOK {
		t.Errorf("rest ARM: %s", r)
	}
}

// TestSecretValueNeverInDebugTrace: with --debug, the value appears on
// stdout only, where it was asked for.
func TestSecretValueNeverInDebugTrace(t *testing.T) {
	e := startVault(t)
	const value = "CANARY-debug-7c41"
	r := e.runStdin(t, value, "--debug", "secret", "set", "--vault", "kv1", "db-password", "--value-file", "-")
	wantCode(t, r, ExitOK)
	if strings.Contains(r.stdout+r.stderr, value) || !strings.Contains(r.stderr, "keyvault request") {
		t.Errorf("set --debug:\n%s", r)
	}
	r = e.run(t, "--debug", "secret", "show", "--vault", "kv1", "db-password", "-o", "tsv")
	if r.stdout != value+"\n" || strings.Contains(r.stderr, value) {
		t.Errorf("show --debug:\n%s", r)
	}
	r = e.run(t, "--debug", "rest", "--resource", "https://vault.azure.net", strings.TrimSuffix(e.srv.VaultURL("kv1"), "/")+"/secrets/db-password", "--api-version", "7.5")
	if r.code != ExitOK || strings.Contains(r.stderr, value) {
		t.Errorf("rest --debug:\n%s", r)
	}
	r = e.run(t, "--debug", "secret", "show", "--vault", "kv1", "db-password", "--client-id", readerID)
	if r.code == ExitOK || strings.Contains(r.stdout+r.stderr, value) {
		t.Errorf("refused --debug:\n%s", r)
	}
}
