package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	e2eTenant    = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	e2eSystemOID = "11111111-1111-1111-1111-aaaaaaaaaaaa"
	e2eVaultPath = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/"
)

// createVault PUTs a vault through the emulated ARM whose access policy
// lets the VM's system identity manage secrets.
func createVault(t *testing.T, em *emulatorProc, name, tenant string) {
	t.Helper()
	body := `{"location":"westeurope","properties":{"tenantId":"` + tenant + `","sku":{"family":"A","name":"standard"},"enableRbacAuthorization":false,` +
		`"accessPolicies":[{"tenantId":"` + tenant + `","objectId":"` + e2eSystemOID + `","permissions":{"secrets":["get","list","set"]}}]}}`
	args := []string{"rest", "-X", "PUT", e2eVaultPath + name, "--api-version", "2026-04-01", "--body", body}
	want(t, azmsi(t, em.env, args...), 0, args...)
}

func TestKeyVaultScriptAndRefusals(t *testing.T) {
	em := startEmulator(t, t.TempDir())
	suffix := em.env["AZMSI_KEYVAULT_DNS_SUFFIX"]
	if !strings.HasPrefix(suffix, ".vault.localhost:") {
		t.Fatalf("env file names the vault suffix %q", suffix)
	}
	createVault(t, em, "myvault", e2eTenant)
	valueFile := filepath.Join(t.TempDir(), "value")
	if err := os.WriteFile(valueFile, []byte("s3cr3t-e2e"), 0o600); err != nil {
		t.Fatal(err)
	}
	set := []string{"secret", "set", "--vault", "myvault", "db-password", "--value-file", valueFile}
	want(t, azmsi(t, em.env, set...), 0, set...)

	// What a VM script does.
	script := `export DB_PASSWORD=$("$AZMSI" secret show --vault myvault db-password -o tsv) && test "$DB_PASSWORD" = s3cr3t-e2e && echo ok`
	r := run(t, with(em.env, "AZMSI", bins.azmsi), "/bin/sh", "-c", script)
	if r.code != 0 || r.stdout != "ok\n" {
		t.Fatalf("script: %s", r)
	}

	// A Reader (control plane only, no access policy) gets 403.
	r = azmsi(t, em.env, "secret", "show", "--vault", "myvault", "db-password", "--client-id", readerID)
	if r.code != 1 || !strings.Contains(r.stderr, "403 Forbidden/AccessDenied") {
		t.Errorf("reader: %s", r)
	}
	// On an RBAC vault (the default for 2026-04-01) the control-plane roles
	// grant no data action: the Reader, and even the Contributor, get 403.
	rbac := []string{"rest", "-X", "PUT", e2eVaultPath + "rbacvault", "--api-version", "2026-04-01", "--body",
		`{"location":"westeurope","properties":{"tenantId":"` + e2eTenant + `","sku":{"family":"A","name":"standard"}}}`}
	want(t, azmsi(t, em.env, rbac...), 0, rbac...)
	for _, id := range [][]string{{"--client-id", readerID}, nil} {
		args := append([]string{"secret", "show", "--vault", "rbacvault", "db-password"}, id...)
		r = azmsi(t, em.env, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "403 Forbidden/ForbiddenByRbac") || !strings.Contains(r.stderr, "getSecret/action") {
			t.Errorf("%v: %s", args, r)
		}
	}
	// A vault of another tenant refuses this tenant's token.
	createVault(t, em, "othertenant", "eeeeeeee-0000-4000-8000-000000000009")
	r = azmsi(t, em.env, "secret", "show", "--vault", "othertenant", "db-password")
	if r.code != 1 || !strings.Contains(r.stderr, "401 Unauthorized") || !strings.Contains(r.stderr, "AKV10032") {
		t.Errorf("other tenant: %s", r)
	}
	// A token for ARM used on the vault gets 401.
	tok := azmsi(t, em.env, "token", "-o", "tsv")
	want(t, tok, 0, "token")
	status, body := vaultGET(t, em, "https://myvault"+suffix+"/secrets/db-password/?api-version=2026-04-01", strings.TrimSpace(tok.stdout))
	if status != 401 || !strings.Contains(body, "AKV10022") {
		t.Errorf("ARM token on the vault: %d %s", status, body)
	}
}

// vaultGET sends one request to the emulator's ARM listener with the
// vault's Host, dialling only the emulator's loopback address.
func vaultGET(t *testing.T, em *emulatorProc, url, token string) (int, string) {
	t.Helper()
	pem, err := os.ReadFile(em.env["SSL_CERT_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	armAddr := strings.TrimPrefix(em.env["AZMSI_ARM_ENDPOINT"], "https://")
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, armAddr)
		},
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
