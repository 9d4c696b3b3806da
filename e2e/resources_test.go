package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResourcesRoundTrip creates, finds, shows and deletes a resource of a
// type the emulator knows only generically, and an extension resource on
// it, with `azmsi resources`; the Reader gets a clear 403, and the
// extension goes with the resource it extends.
func TestResourcesRoundTrip(t *testing.T) {
	em := startEmulator(t, t.TempDir())
	const (
		rg     = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-web"
		widget = rg + "/providers/Contoso.Widgets/widgets/w1"
		diag   = widget + "/providers/Microsoft.Insights/diagnosticSettings/ds1"
	)
	c := []string{"--client-id", contributorID}
	run := func(code int, args ...string) cliResult {
		t.Helper()
		args = append(args, c...)
		r := azmsi(t, em.env, args...)
		want(t, r, code, args...)
		return r
	}

	r := run(0, "resources", "create", widget, "--api-version", "2024-01-01", "--body", `{"location":"eastus","tags":{"team":"e2e"},"properties":{"size":3}}`)
	var got struct {
		ID, Name, Type, Location string
		Properties               struct {
			Size              int    `json:"size"`
			ProvisioningState string `json:"provisioningState"`
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("create output: %v\n%s", err, r.stdout)
	}
	if !strings.EqualFold(got.ID, widget) || got.Name != "w1" || !strings.EqualFold(got.Type, "Contoso.Widgets/widgets") || got.Properties.Size != 3 || got.Properties.ProvisioningState != "Succeeded" {
		t.Fatalf("created: %s", r.stdout)
	}
	run(0, "resources", "create", diag, "--api-version", "2021-05-01-preview", "--body", `{"properties":{"logs":[]}}`)

	// Without --api-version, show asks the provider, which lists the
	// version the widget was written with.
	r = run(0, "resources", "show", widget, "--query", "tags.team", "-o", "tsv")
	if r.stdout != "e2e\n" {
		t.Errorf("show --query tags.team: %q", r.stdout)
	}
	r = run(0, "resources", "show", diag, "--api-version", "2021-05-01-preview", "-o", "tsv", "--query", "name")
	if r.stdout != "ds1\n" {
		t.Errorf("show the extension resource: %q", r.stdout)
	}
	r = run(0, "resources", "list", "-g", "rg-web", "--resource-type", "Contoso.Widgets/widgets", "--query", "[].name", "-o", "tsv")
	if r.stdout != "w1\n" {
		t.Errorf("list by type: %q", r.stdout)
	}
	r = run(0, "resources", "list", "--tag", "team=e2e", "--query", "[].name", "-o", "tsv")
	if r.stdout != "w1\n" {
		t.Errorf("list by tag: %q", r.stdout)
	}

	r = azmsi(t, em.env, "resources", "delete", widget, "--api-version", "2024-01-01", "--client-id", readerID)
	want(t, r, 1)
	for _, s := range []string{"azmsi: ", "AuthorizationFailed", readerID} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("403 message lacks %q: %s", s, r.stderr)
		}
	}

	r = run(0, "resources", "delete", widget, "--api-version", "2024-01-01")
	if r.stdout != "deleted "+widget+"\n" {
		t.Errorf("delete: %q", r.stdout)
	}
	r = run(1, "resources", "show", widget, "--api-version", "2024-01-01")
	if !strings.Contains(r.stderr, "ResourceNotFound") || !strings.Contains(r.stderr, "\nhint: ") {
		t.Errorf("show after delete: %s", r.stderr)
	}
	r = run(1, "resources", "show", diag, "--api-version", "2021-05-01-preview")
	if !strings.Contains(r.stderr, "NotFound") {
		t.Errorf("the extension resource outlived its resource: %s", r.stderr)
	}
}

// TestResourcesAsyncType runs `azmsi resources create` and `delete` on a
// type the emulator's config makes asynchronous: the CLI follows
// Azure-AsyncOperation to Succeeded, then the deletion to its end.
func TestResourcesAsyncType(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("..", "emulator", "internal", "config", "default.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["resourceTypes"] = []map[string]any{{"type": "Contoso.Widgets/gadgets", "async": "300ms", "apiVersions": []string{"2024-01-01"}}}
	b, _ = json.Marshal(cfg)
	cfgFile := filepath.Join(dir, "world.json")
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	em := startEmulator(t, dir, "--config", cfgFile)
	const gadget = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-web/providers/Contoso.Widgets/gadgets/g1"

	args := []string{"resources", "create", gadget, "--api-version", "2024-01-01", "--body", `{"location":"eastus"}`, "--client-id", contributorID, "--debug"}
	r := azmsi(t, em.env, args...)
	want(t, r, 0, args...)
	var got struct {
		Properties struct {
			ProvisioningState string `json:"provisioningState"`
		} `json:"properties"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Properties.ProvisioningState != "Succeeded" {
		t.Fatalf("create did not wait for Succeeded (%v): %s", err, r)
	}
	if !strings.Contains(strings.ToLower(r.stderr), "operationstatuses") {
		t.Errorf("create did not poll Azure-AsyncOperation:\n%s", r.stderr)
	}

	args = []string{"resources", "delete", gadget, "--api-version", "2024-01-01", "--client-id", contributorID}
	r = azmsi(t, em.env, args...)
	want(t, r, 0, args...)
	args = []string{"resources", "show", gadget, "--api-version", "2024-01-01", "--client-id", contributorID}
	r = azmsi(t, em.env, args...)
	want(t, r, 1, args...)
	if !strings.Contains(r.stderr, "ResourceNotFound") {
		t.Errorf("after the deletion ended: %s", r.stderr)
	}
}
