package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	systemClientID = "11111111-1111-1111-1111-111111111111"
	contributorID  = "22222222-2222-2222-2222-222222222222"
	readerID       = "33333333-3333-3333-3333-333333333333"
)

func TestTokenAndWhoamiEveryIdentityForm(t *testing.T) {
	em := startEmulator(t, t.TempDir())
	forms := []struct {
		args  []string
		appID string
	}{
		{nil, systemClientID},
		{[]string{"--client-id", contributorID}, contributorID},
		{[]string{"--object-id", "22222222-2222-2222-2222-aaaaaaaaaaaa"}, contributorID},
		{[]string{"--resource-id", "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-reader"}, readerID},
	}
	for _, f := range forms {
		args := append([]string{"token"}, f.args...)
		r := azmsi(t, em.env, args...)
		want(t, r, 0, args...)
		var tok struct {
			AccessToken string `json:"accessToken"`
			ExpiresOn   int64  `json:"expires_on"`
			Resource    string `json:"resource"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &tok); err != nil || tok.AccessToken == "" || tok.ExpiresOn == 0 {
			t.Fatalf("%v: bad token JSON (%v): %s", args, err, r.stdout)
		}

		args = append([]string{"whoami", "-o", "json"}, f.args...)
		r = azmsi(t, em.env, args...)
		want(t, r, 0, args...)
		var who struct {
			Claims struct {
				AppID string `json:"appid"`
			} `json:"claims"`
			Instance *struct {
				Name string `json:"name"`
			} `json:"instance"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &who); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if who.Claims.AppID != f.appID || who.Instance == nil || who.Instance.Name != "vm-emulated" {
			t.Errorf("%v: got %s", args, r.stdout)
		}
		if strings.Contains(r.stdout, tok.AccessToken) {
			t.Errorf("whoami printed the token")
		}
	}
	// AZURE_CLIENT_ID is the fallback for the client ID.
	r := azmsi(t, with(em.env, "AZURE_CLIENT_ID", contributorID), "whoami", "--query", "claims.appid", "-o", "tsv")
	want(t, r, 0)
	if strings.TrimSpace(r.stdout) != contributorID {
		t.Errorf("AZURE_CLIENT_ID fallback: %s", r)
	}
	// A placeholder is a usage error, never a silent system-assigned token.
	r = azmsi(t, with(em.env, "AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000000"), "token")
	want(t, r, 2)
	if r.stdout != "" {
		t.Errorf("printed something on a usage error: %q", r.stdout)
	}
}

func TestGroupsRoundTripAndReader403(t *testing.T) {
	em := startEmulator(t, t.TempDir())
	c := []string{"--client-id", contributorID}
	args := append([]string{"groups", "create", "rg-e2e", "--location", "eastus", "--tag", "team=e2e"}, c...)
	want(t, azmsi(t, em.env, args...), 0, args...)

	args = append([]string{"groups", "list", "-o", "tsv", "--query", "[].name"}, c...)
	r := azmsi(t, em.env, args...)
	want(t, r, 0, args...)
	if !strings.Contains(r.stdout, "rg-e2e\n") {
		t.Fatalf("created group not listed: %s", r)
	}

	args = append([]string{"groups", "delete", "rg-e2e", "--yes"}, c...)
	want(t, azmsi(t, em.env, args...), 0, args...)
	r = azmsi(t, em.env, append([]string{"groups", "exists", "rg-e2e"}, c...)...)
	if r.stdout != "false\n" {
		t.Fatalf("group still exists after delete: %s", r)
	}

	// The Reader can read but not write: a clear 403 and exit 1.
	r = azmsi(t, em.env, "groups", "list", "--client-id", readerID)
	want(t, r, 0)
	args = []string{"groups", "create", "rg-reader", "--location", "eastus", "--client-id", readerID}
	r = azmsi(t, em.env, args...)
	want(t, r, 1, args...)
	for _, s := range []string{"azmsi: ", "AuthorizationFailed", "403", readerID, "write"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("403 message lacks %q: %s", s, r.stderr)
		}
	}
	if r.stdout != "" {
		t.Errorf("stdout on error: %q", r.stdout)
	}
}

func TestUnavailableExit3(t *testing.T) {
	// A loopback port nobody listens on: connection refused, fast.
	env := map[string]string{"AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.1:1", "AZMSI_ARM_ENDPOINT": "https://127.0.0.1:1"}
	r := azmsi(t, env, "token")
	want(t, r, 3)
	if !strings.HasPrefix(r.stderr, "azmsi: ") {
		t.Errorf("stderr: %q", r.stderr)
	}
}

func TestDemo(t *testing.T) {
	// demo points itself at its in-process emulator; the environment only
	// makes any other request fail on loopback.
	r := run(t, offlineEnv(), bins.azmsi, "demo")
	want(t, r, 0, "demo")
	for _, s := range []string{"system-assigned", "app-contributor", "00000000-0000-0000-0000-000000000001", "rg-web"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("demo output lacks %q:\n%s", s, r.stdout)
		}
	}
}

func TestPersistenceAcrossRestartAndKill9(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	c := []string{"--client-id", contributorID}

	em := startEmulator(t, dir, "--state", state)
	want(t, azmsi(t, em.env, append([]string{"groups", "create", "rg-restart", "-l", "eastus"}, c...)...), 0)
	em.stop(t)
	if _, err := os.Stat(em.envFile); !os.IsNotExist(err) {
		t.Errorf("env file left behind after a clean stop: %v", err)
	}

	em = startEmulator(t, dir, "--state", state)
	r := azmsi(t, em.env, append([]string{"groups", "exists", "rg-restart"}, c...)...)
	if r.stdout != "true\n" {
		t.Fatalf("group lost across a clean restart: %s", r)
	}
	want(t, azmsi(t, em.env, append([]string{"groups", "create", "rg-kill9", "-l", "eastus"}, c...)...), 0)
	em.kill() // kill -9 right after the acknowledged write

	em = startEmulator(t, dir, "--state", state)
	for _, g := range []string{"rg-restart", "rg-kill9"} {
		r := azmsi(t, em.env, append([]string{"groups", "exists", g}, c...)...)
		if r.stdout != "true\n" {
			t.Errorf("%s lost across kill -9: %s", g, r)
		}
	}
}

func TestListGroupsExample(t *testing.T) {
	em := startEmulator(t, t.TempDir())
	r := run(t, em.env, bins.listgroup)
	want(t, r, 0, "listgroups")
	if r.stdout != "identities\nrg-data\nrg-web\n" {
		t.Errorf("listgroups printed:\n%s", r.stdout)
	}
	r = run(t, with(em.env, "AZURE_CLIENT_ID", readerID), bins.listgroup)
	want(t, r, 0, "listgroups as reader")
	if !strings.Contains(r.stdout, "rg-web\n") {
		t.Errorf("listgroups as reader printed:\n%s", r)
	}
}
