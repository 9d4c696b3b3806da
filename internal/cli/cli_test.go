package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

func TestToken(t *testing.T) {
	e := startEmulator(t, emulator.Options{})
	r := e.run(t, "token")
	wantCode(t, r, ExitOK)
	var tok map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &tok); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	for _, k := range []string{"accessToken", "expiresOn", "expires_on", "tokenType", "resource"} {
		if _, ok := tok[k]; !ok {
			t.Errorf("missing %q in %s", k, r.stdout)
		}
	}
	if tok["resource"] != ARMResource || tok["tokenType"] != "Bearer" {
		t.Errorf("resource/tokenType = %v/%v", tok["resource"], tok["tokenType"])
	}
	exp, err := time.Parse(time.RFC3339, tok["expiresOn"].(string))
	if err != nil {
		t.Fatalf("expiresOn not RFC 3339: %v", err)
	}
	if n := tok["expires_on"].(float64); int64(n) != exp.Unix() {
		t.Errorf("expires_on %v != expiresOn %v", n, exp.Unix())
	}
	c, err := identity.ParseClaims(tok["accessToken"].(string))
	if err != nil || c.AppID != "11111111-1111-1111-1111-111111111111" {
		t.Errorf("claims %+v, %v; want the system-assigned identity", c, err)
	}

	// tsv: the token alone, for $(...).
	r = e.run(t, "token", "-o", "tsv", "--scope", "https://vault.azure.net/.default", "--client-id", contributorID)
	wantCode(t, r, ExitOK)
	c, err = identity.ParseClaims(strings.TrimSpace(r.stdout))
	if err != nil || c.AppID != contributorID || c.Audience != "https://vault.azure.net" {
		t.Errorf("tsv token claims %+v, %v", c, err)
	}

	r = e.run(t, "token", "--query", "tokenType", "-o", "tsv")
	wantCode(t, r, ExitOK)
	if r.stdout != "Bearer\n" {
		t.Errorf("--query tokenType: %q", r.stdout)
	}
}

func TestTokenFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"token", "--resource", "x", "--scope", "y/.default"},
		{"token", "--scope", "a/.default b/.default"},
		{"token", "-o", "table"},
		{"token", "--query", "[["},
		{"token", "extra"},
	} {
		r := (*testEnv)(nil).run(t, args...)
		wantCode(t, r, ExitUsage)
		if !strings.HasPrefix(r.stderr, "azmsi: ") {
			t.Errorf("%v: stderr %q", args, r.stderr)
		}
	}
}

// Every form of identity selection reaches the right identity.
func TestWhoamiIdentityForms(t *testing.T) {
	e := startEmulator(t, emulator.Options{})
	cfg := e.srv.Config()
	for _, id := range cfg.Identities {
		forms := [][]string{}
		if id.Kind == "system" {
			forms = append(forms, nil)
		} else {
			forms = append(forms, []string{"--client-id", id.ClientID}, []string{"--object-id", id.ObjectID}, []string{"--resource-id", id.ResourceID})
		}
		for _, form := range forms {
			r := e.run(t, append([]string{"whoami", "-o", "json"}, form...)...)
			wantCode(t, r, ExitOK)
			var w whoamiJSON
			if err := json.Unmarshal([]byte(r.stdout), &w); err != nil {
				t.Fatalf("%v: %v", form, err)
			}
			if w.Claims.AppID != id.ClientID || w.Claims.ObjectID != id.ObjectID {
				t.Errorf("%v: claims %+v, want identity %s", form, w.Claims, id.Name)
			}
			if w.Source.Name != "IMDS" || w.Instance == nil || w.Instance.SubscriptionID != sub1 {
				t.Errorf("%v: source %+v instance %+v", form, w.Source, w.Instance)
			}
			notContains(t, r.stdout, "eyJ") // never the token
		}
	}
	r := e.run(t, "whoami")
	wantCode(t, r, ExitOK)
	for _, s := range []string{"Identity ", "system-assigned", "IMDS (" + e.srv.IMDSEndpoint() + ")", "vm-emulated"} {
		contains(t, r.stdout, s)
	}

	// Off a VM the instance part is skipped with a note, not an error.
	e.transport = noInstanceTransport{testenv.LoopbackOnlyClient(e.srv.CACertPEM()).Transport}
	r = e.run(t, "whoami")
	wantCode(t, r, ExitOK)
	contains(t, r.stdout, "instance metadata not available")
}

func TestExitCodes(t *testing.T) {
	e := startEmulator(t, emulator.Options{})
	down := &testEnv{srv: e.srv, env: map[string]string{"AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.1:1"}}
	// An endpoint that answers, even in plain text, is there: exit 1, not 3.
	tooLarge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusRequestHeaderFieldsTooLarge)
		fmt.Fprint(w, "431 Request Header Fields Too Large")
	}))
	t.Cleanup(tooLarge.Close)
	answers431 := &testEnv{srv: e.srv, env: map[string]string{"AZURE_POD_IDENTITY_AUTHORITY_HOST": tooLarge.URL}}
	tests := []struct {
		name   string
		env    *testEnv
		args   []string
		code   int
		stderr string
	}{
		{"ok", e, []string{"version"}, ExitOK, ""},
		{"unknown command", e, []string{"frobnicate"}, ExitUsage, "unknown command"},
		{"unknown flag", e, []string{"groups", "list", "--nope"}, ExitUsage, "unknown flag"},
		{"bad output", e, []string{"groups", "list", "-o", "yaml"}, ExitUsage, "unknown output format"},
		{"missing location", e, []string{"groups", "create", "rg-z"}, ExitUsage, "--location is required"},
		{"placeholder group", e, []string{"groups", "show", "<name>"}, ExitUsage, "not usable"},
		{"dots group", e, []string{"groups", "create", "..", "-l", "eastus"}, ExitUsage, "not usable"},
		{"malformed client ID", e, []string{"token", "--client-id", "not-a-guid"}, ExitUsage, "--client-id"},
		{"empty flag", e, []string{"groups", "list", "--subscription", ""}, ExitUsage, "empty value"},
		{"repeated identity flag", e, []string{"token", "--client-id", contributorID, "--client-id", readerID}, ExitUsage, "more than once"},
		{"bad subscription", e, []string{"groups", "show", "rg-web", "--subscription", sub1 + "/x"}, ExitUsage, "not a usable subscription ID"},
		{"bad subscription argument", e, []string{"subscriptions", "show", ".."}, ExitUsage, "not usable"},
		{"two scopes", e, []string{"token", "--resource", "https://a https://b"}, ExitUsage, "more than one scope"},
		{"overlong resource", e, []string{"token", "--resource", "https://x/" + strings.Repeat("a", 4096)}, ExitUsage, "bytes long"},
		{"delete without --yes", e, []string{"groups", "delete", "rg-web"}, ExitUsage, "pass --yes"},
		{"broker off loopback", e, []string{"broker", "--listen", "0.0.0.0:8078"}, ExitUsage, "not loopback"},
		{"broker stats off loopback", e, []string{"broker", "stats", "--listen", "10.0.0.1:80"}, ExitUsage, "not loopback"},
		{"emulator off loopback", e, []string{"emulator", "--imds-addr", "0.0.0.0:0"}, ExitUsage, "not a loopback address"},
		{"unavailable", down, []string{"token"}, ExitUnavailable, "managed identity is unavailable"},
		{"unavailable via arm", down, []string{"groups", "list", "--subscription", sub1}, ExitUnavailable, "unavailable"},
		{"endpoint answers 431", answers431, []string{"token"}, ExitError, "431"},
		{"unknown identity", e, []string{"token", "--client-id", "44444444-4444-4444-4444-444444444444"}, ExitError, "not assigned"},
		{"not found", e, []string{"groups", "show", "no-such-group", "--subscription", sub1}, ExitError, "ResourceGroupNotFound"},
		{"forbidden", e, []string{"groups", "create", "rg-nope", "-l", "eastus", "--client-id", readerID}, ExitError, "AuthorizationFailed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.env.run(t, tt.args...)
			wantCode(t, r, tt.code)
			if tt.stderr != "" {
				contains(t, r.stderr, tt.stderr)
				if !strings.HasPrefix(r.stderr, "azmsi: ") {
					t.Errorf("stderr does not start with 'azmsi: ': %q", r.stderr)
				}
				if n := strings.Count(strings.TrimRight(r.stderr, "\n"), "\n"); n > 1 {
					t.Errorf("error takes %d lines, want at most 2:\n%s", n+1, r.stderr)
				}
			}
		})
	}

	// "Unavailable" is explained once: identity's message says what to do,
	// and no hint line repeats it.
	r := down.run(t, "token")
	wantCode(t, r, ExitUnavailable)
	if n := strings.Count(r.stderr, "\n"); n != 1 || strings.Contains(r.stderr, "hint:") {
		t.Errorf("want one line, no hint:\n%s", r.stderr)
	}
	contains(t, r.stderr, "azmsi: managed identity is unavailable: ")
	contains(t, r.stderr, "AZURE_POD_IDENTITY_AUTHORITY_HOST")
}

// ARM's advice is the hint line, with the azmsi command that lists what the
// identity can see; the error line itself carries no second hint.
func TestARMErrorHints(t *testing.T) {
	e := startEmulator(t, emulator.Options{})
	for _, tc := range []struct {
		args []string
		hint string
	}{
		{[]string{"groups", "show", "no-such-group", "--subscription", sub1},
			"hint: check the resource group name (case-insensitive) and that the group is in subscription " + sub1 + "; 'azmsi groups list' shows the groups the identity can see\n"},
		{[]string{"subscriptions", "show", "00000000-0000-0000-0000-000000000009"},
			"hint: check the subscription ID; a managed identity sees a subscription only where it holds a role: assign it one such as Reader at /subscriptions/00000000-0000-0000-0000-000000000009; 'azmsi subscriptions list' shows the subscriptions the identity can see\n"},
	} {
		r := e.run(t, tc.args...)
		wantCode(t, r, ExitError)
		lines := strings.SplitAfter(r.stderr, "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "azmsi: arm: GET ") || lines[1] != tc.hint {
			t.Errorf("%v: stderr\n%s\nwant the error line, then\n%s", tc.args, r.stderr, tc.hint)
		}
	}
}

func TestGroupsRoundTrip(t *testing.T) {
	e := startEmulator(t, emulator.Options{DeleteDuration: 50 * time.Millisecond})
	as := []string{"--client-id", contributorID}
	r := e.run(t, append([]string{"groups", "create", "rg-round", "--location", "westus2", "--tag", "env=test", "-o", "json"}, as...)...)
	wantCode(t, r, ExitOK)
	contains(t, r.stdout, `"name": "rg-round"`)
	contains(t, r.stdout, `"env": "test"`)

	r = e.run(t, append([]string{"groups", "exists", "rg-round"}, as...)...)
	if r.stdout != "true\n" {
		t.Fatalf("exists: %s", r)
	}
	r = e.run(t, append([]string{"groups", "update", "rg-round", "--tag", "owner=me", "--remove-tag", "ENV", "--query", "tags", "-o", "json"}, as...)...)
	wantCode(t, r, ExitOK)
	if strings.Join(strings.Fields(r.stdout), "") != `{"owner":"me"}` {
		t.Errorf("tags after update: %s", r.stdout)
	}
	r = e.run(t, append([]string{"groups", "list", "--query", "[].name", "-o", "tsv"}, as...)...)
	contains(t, r.stdout, "rg-round\n")

	// No --yes and no terminal: refuse, touch nothing.
	r = e.run(t, append([]string{"groups", "delete", "rg-round"}, as...)...)
	wantCode(t, r, ExitUsage)
	contains(t, r.stderr, "pass --yes")

	r = e.run(t, append([]string{"groups", "delete", "rg-round", "--yes"}, as...)...)
	wantCode(t, r, ExitOK)
	if r.stdout != "deleted resource group rg-round\n" {
		t.Errorf("delete confirmation: %s", r)
	}
	r = e.run(t, append([]string{"groups", "exists", "rg-round"}, as...)...)
	if r.stdout != "false\n" {
		t.Fatalf("exists after delete: %s", r)
	}

	// --no-wait returns while the group is still Deleting.
	wantCode(t, e.run(t, append([]string{"groups", "create", "rg-nowait", "-l", "eastus"}, as...)...), ExitOK)
	r = e.run(t, append([]string{"groups", "delete", "rg-nowait", "--yes", "--no-wait"}, as...)...)
	wantCode(t, r, ExitOK)
	if r.stdout != "deletion of rg-nowait started; check with azmsi groups exists rg-nowait\n" {
		t.Errorf("--no-wait confirmation: %s", r)
	}

	// json prints nothing, as az group delete does; the group is gone all the same.
	wantCode(t, e.run(t, append([]string{"groups", "create", "rg-json", "-l", "eastus"}, as...)...), ExitOK)
	r = e.run(t, append([]string{"groups", "delete", "rg-json", "--yes", "-o", "json"}, as...)...)
	wantCode(t, r, ExitOK)
	if r.stdout != "" {
		t.Errorf("delete -o json printed %q", r.stdout)
	}
	if r = e.run(t, append([]string{"groups", "exists", "rg-json"}, as...)...); r.stdout != "false\n" {
		t.Errorf("exists after delete -o json: %s", r)
	}
}

func TestGroupsDeletePrompt(t *testing.T) {
	e := startEmulator(t, emulator.Options{DeleteDuration: 10 * time.Millisecond})
	wantCode(t, e.run(t, "groups", "create", "rg-prompt", "-l", "eastus"), ExitOK)
	ios, in, out, errOut := TestIOStreams()
	ios.SetTTY(true, true)
	in.WriteString("n\n")
	f := NewFactory(ios)
	f.Getenv = func(k string) string { return e.env[k] }
	f.LookupEnv = func(k string) (string, bool) { v, ok := e.env[k]; return v, ok }
	f.HTTPClient = testenv.LoopbackOnlyClient(e.srv.CACertPEM())
	if code := Execute(t.Context(), f, []string{"groups", "delete", "rg-prompt"}); code != ExitError {
		t.Fatalf("declined prompt: exit %d, stderr %s", code, errOut)
	}
	contains(t, out.String(), "[y/N]")
	if r := e.run(t, "groups", "exists", "rg-prompt"); r.stdout != "true\n" {
		t.Fatalf("group deleted although the prompt was declined: %s", r)
	}
}

func TestGroupsListAcrossSubscriptions(t *testing.T) {
	e := startEmulator(t, emulator.Options{})
	e.transport = noInstanceTransport{testenv.LoopbackOnlyClient(e.srv.CACertPEM()).Transport}
	// app-contributor sees both subscriptions; nothing chooses one.
	r := e.run(t, "groups", "list", "--client-id", contributorID)
	wantCode(t, r, ExitOK)
	golden(t, "groups_list_across.table", r.stdout)
	r = e.run(t, "groups", "show", "rg-web", "--client-id", contributorID)
	wantCode(t, r, ExitError)
	contains(t, r.stderr, "several subscriptions are visible ("+sub1+", "+sub2+"); pass --subscription")
	// The system identity sees one: it is used.
	r = e.run(t, "groups", "show", "rg-web")
	wantCode(t, r, ExitOK)
	// AZURE_SUBSCRIPTION_ID chooses.
	e.env["AZURE_SUBSCRIPTION_ID"] = sub2
	r = e.run(t, "groups", "list", "--client-id", contributorID)
	wantCode(t, r, ExitOK)
	contains(t, r.stdout, "rg-sandbox")
	notContains(t, r.stdout, "rg-web")
}

func TestGolden(t *testing.T) {
	e := startEmulator(t, emulator.Options{})
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"subscriptions_list.table", []string{"subscriptions", "list", "--client-id", contributorID}},
		{"subscriptions_list.json", []string{"subscriptions", "list", "--client-id", contributorID, "-o", "json"}},
		{"subscriptions_show.table", []string{"subscriptions", "show"}},
		{"groups_list.table", []string{"groups", "list"}},
		{"groups_list.json", []string{"groups", "list", "-o", "json"}},
		{"groups_list.tsv", []string{"groups", "list", "-o", "tsv"}},
		{"groups_list_tag.table", []string{"groups", "list", "--tag", "env=prod"}},
		{"groups_list_query.table", []string{"groups", "list", "--query", "[].{name:name, loc:location}"}},
		{"groups_show.json", []string{"groups", "show", "rg-data", "-o", "json"}},
		{"rest_paginate.json", []string{"rest", "/subscriptions/{subscriptionId}/resourcegroups", "--api-version", "2021-04-01", "--paginate", "--query", "value[].id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(t, tc.args...)
			wantCode(t, r, ExitOK)
			golden(t, tc.name, r.stdout)
		})
	}
}

func TestRest(t *testing.T) {
	e := startEmulator(t, emulator.Options{PageSize: 2, DeleteDuration: 20 * time.Millisecond})
	base := "/subscriptions/{subscriptionId}/resourcegroups/rg-rest"
	r := e.runStdin(t, `{"location":"eastus","tags":{"k":"v"}}`, "rest", "-X", "PUT", base, "--api-version", "2021-04-01", "--body", "-")
	wantCode(t, r, ExitOK)
	contains(t, r.stdout, `"name": "rg-rest"`)

	// Paging with page size 2 over 4 groups: one merged list.
	r = e.run(t, "rest", "/subscriptions/"+sub1+"/resourcegroups?api-version=2021-04-01", "--paginate", "--query", "length(value)")
	wantCode(t, r, ExitOK)
	if strings.TrimSpace(r.stdout) != "4" {
		t.Errorf("paginated count: %s", r)
	}
	r = e.run(t, "rest", "-X", "DELETE", base+"?api-version=2021-04-01", "--wait")
	wantCode(t, r, ExitOK)
	r = e.run(t, "groups", "exists", "rg-rest")
	if r.stdout != "false\n" {
		t.Errorf("after rest DELETE --wait: %s", r)
	}

	for _, args := range [][]string{
		{"rest", "/subscriptions"},                         // no api-version
		{"rest", "-X", "BREW", "/x", "--api-version", "1"}, // method
		{"rest", "/subscriptions", "--api-version", "1", "--body", "{not json"},
		{"rest", "-X", "POST", "/x", "--api-version", "1", "--paginate"},
	} {
		wantCode(t, e.run(t, args...), ExitUsage)
	}
	// The token goes only to the ARM endpoint.
	r = e.run(t, "rest", "https://example.com/subscriptions", "--api-version", "2022-12-01")
	wantCode(t, r, ExitError)
	contains(t, r.stderr, "refusing to send the token")
}

// --debug traces HTTP on stderr without the token.
func TestDebugRedacts(t *testing.T) {
	e := startEmulator(t, emulator.Options{})
	r := e.run(t, "token", "--debug")
	wantCode(t, r, ExitOK)
	var tok tokenJSON
	if err := json.Unmarshal([]byte(r.stdout), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %v", err)
	}
	if r.stderr == "" {
		t.Errorf("--debug printed no trace")
	}
	r2 := e.run(t, "groups", "list", "--debug")
	wantCode(t, r2, ExitOK)
	for _, s := range []string{r.stderr, r2.stderr} {
		notContains(t, s, tok.AccessToken)
		notContains(t, s, tok.AccessToken[strings.LastIndexByte(tok.AccessToken, '.')+1:]) // the signature alone
	}
}

func TestDemo(t *testing.T) {
	r := (*testEnv)(nil).run(t, "demo")
	wantCode(t, r, ExitOK)
	for _, s := range []string{
		"== system-assigned identity", "appid 11111111-1111-1111-1111-111111111111",
		"== user-assigned identity app-contributor", "appid " + contributorID,
		"subscription:    " + sub1, "  rg-web\n",
	} {
		contains(t, r.stdout, s)
	}
	notContains(t, r.stdout, "eyJ")
}

func TestVersion(t *testing.T) {
	r := (*testEnv)(nil).run(t, "version")
	wantCode(t, r, ExitOK)
	// A test binary is not linked with a release and records "(devel)":
	// the same "dev" that arm's User-Agent carries.
	if !strings.HasPrefix(r.stdout, "azmsi dev (go1.") {
		t.Errorf("version: %q", r.stdout)
	}
}

func TestResourcesListAcrossSubscriptions(t *testing.T) {
	cfg := emulator.DefaultConfig()
	// So that app-contributor can put a resource into the second subscription.
	cfg.RoleAssignments = append(cfg.RoleAssignments, emulator.RoleAssignment{Identity: "app-contributor", Scope: "/subscriptions/" + sub2, Role: "Contributor"})
	e := startEmulator(t, emulator.Options{Config: cfg})
	e.transport = noInstanceTransport{testenv.LoopbackOnlyClient(e.srv.CACertPEM()).Transport}
	id2 := "/subscriptions/" + sub2 + "/resourceGroups/rg-sandbox/providers/Microsoft.ManagedIdentity/userAssignedIdentities/sandbox-id"
	r := e.run(t, "resources", "create", id2, "--api-version", "2023-01-31", "--body", `{"location":"westus"}`, "--client-id", contributorID)
	wantCode(t, r, ExitOK)
	// app-contributor sees both subscriptions; nothing chooses one: both are listed.
	r = e.run(t, "resources", "list", "--client-id", contributorID, "-o", "tsv")
	wantCode(t, r, ExitOK)
	want := "00000000-0000-0000-0000-000000000001\tapp-contributor\tidentities\teastus\tMicrosoft.ManagedIdentity/userAssignedIdentities\n" +
		"00000000-0000-0000-0000-000000000001\tapp-reader\tidentities\teastus\tMicrosoft.ManagedIdentity/userAssignedIdentities\n" +
		"00000000-0000-0000-0000-000000000002\tsandbox-id\trg-sandbox\twestus\tMicrosoft.ManagedIdentity/userAssignedIdentities\n"
	if r.stdout != want {
		t.Errorf("resources list across subscriptions:\n%s\nwant:\n%s", r.stdout, want)
	}
	r = e.run(t, "resources", "list", "--client-id", contributorID)
	wantCode(t, r, ExitOK)
	contains(t, r.stdout, "Subscription")
	// A group name alone does not say which subscription.
	r = e.run(t, "resources", "list", "-g", "rg-sandbox", "--client-id", contributorID)
	wantCode(t, r, ExitError)
	contains(t, r.stderr, "several subscriptions are visible ("+sub1+", "+sub2+"); pass --subscription")
	// A chosen subscription: its resources only, without the column.
	r = e.run(t, "resources", "list", "--client-id", contributorID, "--subscription", sub2, "-o", "tsv")
	wantCode(t, r, ExitOK)
	if want := "sandbox-id\trg-sandbox\twestus\tMicrosoft.ManagedIdentity/userAssignedIdentities\n"; r.stdout != want {
		t.Errorf("resources list --subscription %s: %q, want %q", sub2, r.stdout, want)
	}
}
