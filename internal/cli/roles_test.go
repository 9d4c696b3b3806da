package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/azmsi/azmsi/emulator"
)

const (
	ownerID   = "66666666-6666-6666-6666-666666666666" // app-owner in examples/rbac/config.json
	nobodyID  = "55555555-5555-5555-5555-555555555555"
	readerOID = "33333333-3333-3333-3333-aaaaaaaaaaaa"
	// Contributor's GUID (Learn), written out.
	contributorRoleID = "b24988ac-6180-42a0-ab88-20f7382dd24c"
)

// startRolesEmulator serves the README's story world (examples/rbac: the
// default plus app-owner, Owner of sub1) and "nobody", with no role at all.
func startRolesEmulator(t *testing.T) *testEnv {
	t.Helper()
	c, err := emulator.LoadConfig("../../examples/rbac/config.json")
	if err != nil {
		t.Fatal(err)
	}
	c.Identities = append(c.Identities,
		emulator.Identity{Name: "nobody", Kind: emulator.KindUser, ClientID: nobodyID, ObjectID: "55555555-5555-5555-5555-aaaaaaaaaaaa",
			ResourceID: "/subscriptions/" + sub1 + "/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nobody"})
	return startEmulator(t, emulator.Options{Config: c})
}

type roleRowJSON struct {
	Role, Scope, Relation string
	Inherited             bool
}

func rolesJSON(t *testing.T, r result) []roleRowJSON {
	t.Helper()
	wantCode(t, r, ExitOK)
	var rows []roleRowJSON
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("roles list -o json: %v\n%s", err, r.stdout)
	}
	return rows
}

// The README's story, through azmsi itself: Reader gets 403 on a write; an
// Owner assigns Contributor on the group; the write succeeds; the
// assignment is deleted; 403 again.
func TestRolesStory(t *testing.T) {
	e := startRolesEmulator(t)
	rg := "/subscriptions/" + sub1 + "/resourceGroups/rg-web"
	assignment := rg + "/providers/Microsoft.Authorization/roleAssignments/0b1c2d3e-0000-4000-8000-00000000000a"
	write := func() result {
		return e.run(t, "groups", "update", "rg-web", "--tag", "team=web", "--client-id", readerID, "-s", sub1)
	}

	r := write()
	wantCode(t, r, ExitError)
	contains(t, r.stderr, "AuthorizationFailed")
	contains(t, r.stderr, "Microsoft.Resources/subscriptions/resourcegroups/write")
	contains(t, r.stderr, "\nhint: assign the identity a role that grants Microsoft.Resources/subscriptions/resourcegroups/write at "+
		"/subscriptions/"+sub1+"/resourcegroups/rg-web or above; built-in roles that do: Owner or Contributor (")

	body := `{"properties":{"roleDefinitionId":"/subscriptions/` + sub1 + `/providers/Microsoft.Authorization/roleDefinitions/` + contributorRoleID +
		`","principalId":"` + readerOID + `","principalType":"ServicePrincipal"}}`
	r = e.run(t, "rest", "-X", "PUT", assignment, "--api-version", "2022-04-01", "--body", body, "--client-id", ownerID)
	wantCode(t, r, ExitOK)
	contains(t, r.stdout, `"principalId": "`+readerOID+`"`)

	// What the reader now holds, seen from the group.
	rows := rolesJSON(t, e.run(t, "roles", "list", "--scope", rg, "-o", "json", "--client-id", readerID))
	got := map[string]roleRowJSON{}
	for _, row := range rows {
		got[row.Role] = row
	}
	if len(rows) != 2 || got["Reader"].Relation != "inherited" || !got["Reader"].Inherited || got["Reader"].Scope != "/subscriptions/"+sub1 ||
		got["Contributor"].Relation != "at scope" || got["Contributor"].Scope != rg {
		t.Fatalf("roles list at the group: %+v", rows)
	}
	wantCode(t, write(), ExitOK)

	wantCode(t, e.run(t, "rest", "-X", "DELETE", assignment, "--api-version", "2022-04-01", "--client-id", ownerID), ExitOK)
	r = write()
	wantCode(t, r, ExitError)
	contains(t, r.stderr, "AuthorizationFailed")
}

// Contributor cannot write role assignments: the hint names the roles that
// can, and not Contributor.
func TestRolesForbiddenHintNamesGrantingRoles(t *testing.T) {
	e := startRolesEmulator(t)
	rg := "/subscriptions/" + sub1 + "/resourceGroups/rg-web"
	body := `{"properties":{"roleDefinitionId":"/subscriptions/` + sub1 + `/providers/Microsoft.Authorization/roleDefinitions/` + contributorRoleID +
		`","principalId":"` + readerOID + `","principalType":"ServicePrincipal"}}`
	r := e.run(t, "rest", "-X", "PUT", rg+"/providers/Microsoft.Authorization/roleAssignments/0b1c2d3e-0000-4000-8000-00000000000b",
		"--api-version", "2022-04-01", "--body", body, "--client-id", contributorID)
	wantCode(t, r, ExitError)
	contains(t, r.stderr, "lacks permission for Microsoft.Authorization/roleAssignments/write on "+rg+" (ARM 403 AuthorizationFailed")
	contains(t, r.stderr, "built-in roles that do: Owner, User Access Administrator or Role Based Access Control Administrator (")
	if strings.Contains(r.stderr, "Contributor") {
		t.Errorf("the hint names Contributor:\n%s", r.stderr)
	}
}

func TestRolesListTableAndWhoami(t *testing.T) {
	e := startRolesEmulator(t)
	r := e.run(t, "roles", "list", "--client-id", readerID, "-s", sub1)
	wantCode(t, r, ExitOK)
	want := "Role    Scope                                                Relation\n" +
		"----    -----                                                --------\n" +
		"Reader  /subscriptions/" + sub1 + "  at scope\n"
	if r.stdout != want {
		t.Fatalf("table:\n%q\nwant\n%q", r.stdout, want)
	}
	// whoami --roles is the same list; the subscription is the only one visible.
	w := e.run(t, "whoami", "--roles", "-o", "json", "--client-id", readerID)
	l := e.run(t, "roles", "list", "-o", "json", "--client-id", readerID)
	wantCode(t, w, ExitOK)
	if w.stdout != l.stdout || !strings.Contains(w.stdout, `"roleDefinitionId": "/subscriptions/`+sub1+`/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"`) {
		t.Fatalf("whoami --roles:\n%s\nroles list:\n%s", w.stdout, l.stdout)
	}
	// Seen from the other subscription, app-contributor's Contributor on sub1 is not listed.
	rows := rolesJSON(t, e.run(t, "roles", "list", "-o", "json", "--client-id", contributorID, "-s", sub2))
	if len(rows) != 1 || rows[0].Role != "Reader" || rows[0].Scope != "/subscriptions/"+sub2 {
		t.Fatalf("app-contributor in sub2: %+v", rows)
	}
}

func TestRolesListErrors(t *testing.T) {
	e := startRolesEmulator(t)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"scope not an id", []string{"roles", "list", "--scope", "rg-web"}, ExitUsage, "must be an ARM id"},
		{"scope with a query", []string{"roles", "list", "--scope", "/subscriptions/" + sub1 + "?x=1"}, ExitUsage, "'?'"},
		{"scope with dot segment", []string{"roles", "list", "--scope", "/subscriptions/" + sub1 + "/../x"}, ExitUsage, "'..'"},
		{"scope placeholder", []string{"roles", "list", "--scope", "/subscriptions/{subscriptionId}"}, ExitUsage, "--scope"},
		{"whoami --roles with --resource", []string{"whoami", "--roles", "--resource", "https://vault.azure.net"}, ExitUsage, "--roles"},
		{"no role to read assignments", []string{"roles", "list", "-s", sub1, "--client-id", nobodyID}, ExitError, "hint: listing role assignments needs Microsoft.Authorization/roleAssignments/read at /subscriptions/" + sub1 + " or above; built-in roles that grant it: Owner, Contributor, User Access Administrator, Role Based Access Control Administrator, Reader, Managed Identity Operator, Key Vault Administrator, Key Vault Secrets Officer, Key Vault Reader (object id 55555555-5555-5555-5555-aaaaaaaaaaaa)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.run(t, tt.args...)
			wantCode(t, r, tt.code)
			contains(t, r.stderr, tt.msg)
		})
	}
}

func FuzzCheckRoleScope(f *testing.F) {
	for _, s := range []string{"/subscriptions/" + sub1, "/subscriptions/" + sub1 + "/resourceGroups/rg-web", "rg", "/subscriptions/x/../y", "/subscriptions/a?b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkRoleScope(s) != nil || s == "" {
			return
		}
		if strings.ContainsAny(s, "?#\\ \t") || !strings.HasPrefix(strings.ToLower(s), "/") {
			t.Fatalf("accepted %q", s)
		}
		for _, seg := range strings.Split(strings.Trim(s, "/"), "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("accepted %q with segment %q", s, seg)
			}
		}
	})
}

// doctor --scope lists the identity's roles there; for an identity without
// any, it names the refused action, the scope and the roles that grant it.
func TestDoctorScopeRoles(t *testing.T) {
	e := startRolesEmulator(t)
	rg := "/subscriptions/" + sub1 + "/resourceGroups/rg-web"

	r := e.run(t, "doctor", "--scope", rg, "--client-id", readerID)
	wantCode(t, r, ExitOK)
	contains(t, r.stdout, "Roles at "+rg+":\n  Reader (inherited, /subscriptions/"+sub1+")\n")

	r = e.run(t, "doctor", "--scope", rg, "-o", "json", "--client-id", nobodyID)
	wantCode(t, r, ExitOK) // the token works; the role check adds a next step
	var rep doctorReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("doctor -o json: %v\n%s", err, r.stdout)
	}
	m := rep.Roles.Missing
	if m == nil || m.Action != "Microsoft.Authorization/roleAssignments/read" || m.Scope != rg ||
		strings.Join(m.GrantedBy, ",") != "Owner,Contributor,User Access Administrator,Role Based Access Control Administrator,Reader,Managed Identity Operator,Key Vault Administrator,Key Vault Secrets Officer,Key Vault Reader" {
		t.Fatalf("doctor roles: %+v", rep.Roles)
	}
	if len(rep.NextSteps) == 0 || !strings.Contains(strings.Join(rep.NextSteps, "\n"), "may not perform Microsoft.Authorization/roleAssignments/read at "+rg+" (ARM 403 AuthorizationFailed): assign it, at that scope or above, one of the built-in roles that grant it: Owner, Contributor, User Access Administrator") {
		t.Fatalf("next steps: %q", rep.NextSteps)
	}

	r = e.run(t, "doctor", "--scope", rg, "--client-id", nobodyID)
	contains(t, r.stdout, "  MISSING Microsoft.Authorization/roleAssignments/read at "+rg+"; granted by the built-in roles Owner, Contributor,")
	wantCode(t, e.run(t, "doctor", "--scope", "not/a/scope"), ExitUsage)
}
