package roles

import (
	"strings"
	"testing"
)

func put(s *Store, req AssignmentRequest) (Assignment, bool, *Error) {
	return s.PutAssignment(Caller{ObjectID: ownerOID}, req)
}

const roleIDPrefix = subID + "/providers/Microsoft.Authorization/roleDefinitions/"

func TestPutAssignmentErrors(t *testing.T) {
	s := New(Options{Principals: lookup, TenantID: tenant, MaxPerSubscription: 3})
	good := AssignmentRequest{Name: "0b1c2d3e-0000-4000-8000-00000000000a", Scope: mustScope(t, kv1),
		RoleDefinitionID: roleIDPrefix + "4633458b-17de-408a-b874-0445c86b69e6", PrincipalID: uamiOID, PrincipalType: "ServicePrincipal"}
	a, created, e := put(s, good)
	if e != nil || !created {
		t.Fatalf("first PUT: %v created=%v", e, created)
	}
	if a.PrincipalType != "ServicePrincipal" || a.Scope != kv1 || a.RoleDefinitionID != "4633458b-17de-408a-b874-0445c86b69e6" || a.UpdatedBy != ownerOID {
		t.Fatalf("stored %+v", a)
	}
	// Re-PUT of the same name and content: an update, not a new one.
	if _, created, e := put(s, good); e != nil || created {
		t.Fatalf("re-PUT: %v created=%v", e, created)
	}
	mod := func(f func(*AssignmentRequest)) AssignmentRequest { r := good; f(&r); return r }
	customScoped := "aaaa0000-0000-4000-8000-000000000001"
	if _, _, e := s.PutCustomRole(Caller{ObjectID: ownerOID}, customScoped, Definition{
		RoleName: "rg1 only", Permissions: []Permission{{Actions: []string{"*/read"}}}, AssignableScopes: []string{rg1}}); e != nil {
		t.Fatal(e)
	}
	tests := []struct {
		name   string
		req    AssignmentRequest
		status int
		code   string
		msgHas string
	}{
		{"duplicate under another name", mod(func(r *AssignmentRequest) { r.Name = "0b1c2d3e-0000-4000-8000-00000000000b" }), 409, "RoleAssignmentExists", "The role assignment already exists."},
		{"name not a GUID", mod(func(r *AssignmentRequest) { r.Name = "my-assignment" }), 400, "InvalidRoleAssignmentId", "'my-assignment'"},
		{"unknown role", mod(func(r *AssignmentRequest) {
			r.Name = "0b1c2d3e-0000-4000-8000-00000000000c"
			r.RoleDefinitionID = roleIDPrefix + "00000000-0000-4000-8000-000000000000"
		}), 400, "RoleDefinitionDoesNotExist", "'00000000-0000-4000-8000-000000000000'"},
		{"role id malformed", mod(func(r *AssignmentRequest) {
			r.Name = "0b1c2d3e-0000-4000-8000-00000000000c"
			r.RoleDefinitionID = "Reader"
		}), 400, "InvalidRoleDefinitionId", "'Reader'"},
		{"custom role outside its assignable scopes", mod(func(r *AssignmentRequest) {
			r.Name = "0b1c2d3e-0000-4000-8000-00000000000c"
			r.Scope = mustScope(t, subID+"/resourceGroups/rg2")
			r.RoleDefinitionID = roleIDPrefix + customScoped
		}), 400, "RoleDefinitionDoesNotExist", customScoped},
		{"unknown principal", mod(func(r *AssignmentRequest) {
			r.Name = "0b1c2d3e-0000-4000-8000-00000000000c"
			r.PrincipalID = "99999999-0000-4000-8000-000000000009"
		}), 400, "PrincipalNotFound", "Principal 99999999000040008000000000000009 does not exist in the directory aaaaaaaa-0000-4000-8000-000000000001."},
		{"principal id not a GUID", mod(func(r *AssignmentRequest) {
			r.Name = "0b1c2d3e-0000-4000-8000-00000000000c"
			r.PrincipalID = "web-identity"
		}), 400, "InvalidPrincipalId", "'web-identity'"},
		{"principal type mismatch", mod(func(r *AssignmentRequest) {
			r.Name = "0b1c2d3e-0000-4000-8000-00000000000c"
			r.PrincipalType = "User"
		}), 400, "UnmatchedPrincipalType", "has type 'ServicePrincipal'"},
		{"principal type unknown", mod(func(r *AssignmentRequest) { r.Name = "0b1c2d3e-0000-4000-8000-00000000000c"; r.PrincipalType = "Robot" }), 400, "InvalidRequestContent", "'Robot'"},
		{"change the role of a name", mod(func(r *AssignmentRequest) { r.RoleDefinitionID = roleIDPrefix + ReaderID }), 400, "RoleAssignmentUpdateNotPermitted", "not allowed to be updated"},
		{"change the scope of a name", mod(func(r *AssignmentRequest) { r.Scope = mustScope(t, rg1) }), 400, "RoleAssignmentUpdateNotPermitted", "not allowed to be updated"},
		{"tenant scope", mod(func(r *AssignmentRequest) {
			r.Name = "0b1c2d3e-0000-4000-8000-00000000000c"
			r.Scope = mustScope(t, "/")
		}), 400, "InvalidScope", "tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, e := put(s, tt.req)
			if e == nil || e.Status != tt.status || e.Code != tt.code || !strings.Contains(e.Message, tt.msgHas) {
				t.Fatalf("got %v; want %d %s containing %q", e, tt.status, tt.code, tt.msgHas)
			}
		})
	}
	if n := s.Len(); n != 1 {
		t.Fatalf("%d assignments after the refused PUTs; want 1", n)
	}
	// The per-subscription limit (3 here).
	assign(t, s, uamiOID, ReaderID, rg1)
	assign(t, s, uamiOID, ReaderID, subID)
	_, _, e = put(s, mod(func(r *AssignmentRequest) {
		r.Name = "0b1c2d3e-0000-4000-8000-00000000000d"
		r.RoleDefinitionID = roleIDPrefix + OwnerID
	}))
	if e == nil || e.Code != "RoleAssignmentLimitExceeded" {
		t.Fatalf("4th assignment in the subscription: %v; want RoleAssignmentLimitExceeded", e)
	}
}

func TestPrincipalTypeFromDirectory(t *testing.T) {
	s := New(Options{Principals: lookup})
	a, _, e := put(s, AssignmentRequest{Name: "0b1c2d3e-0000-4000-8000-000000000001", Scope: mustScope(t, rg1),
		RoleDefinitionID: "/providers/Microsoft.Authorization/roleDefinitions/" + ReaderID, PrincipalID: strings.ToUpper(userOID)})
	if e != nil || a.PrincipalType != "User" || a.PrincipalID != userOID {
		t.Fatalf("%+v %v; want principalType User from the directory and a lower-case principalId", a, e)
	}
}

func TestUpdateKeepsCreation(t *testing.T) {
	c := newClock()
	s := New(Options{Now: c.Now})
	req := AssignmentRequest{Name: "0b1c2d3e-0000-4000-8000-000000000001", Scope: mustScope(t, rg1), RoleDefinitionID: ReaderID, PrincipalID: uamiOID}
	first, _, _ := put(s, req)
	c.Advance(60e9)
	req.Description = "for the web app"
	second, created, e := put(s, req)
	if e != nil || created || !second.CreatedOn.Equal(first.CreatedOn) || !second.UpdatedOn.After(first.UpdatedOn) || second.Description != "for the web app" {
		t.Fatalf("update: %+v created=%v %v", second, created, e)
	}
}

func TestRemoveScope(t *testing.T) {
	p := newMemPersister()
	s := New(Options{Persister: p})
	assign(t, s, uamiOID, ReaderID, rg1)
	assign(t, s, uamiOID, KeyVaultSecretsUserID, kv1)
	assign(t, s, uamiOID, ReaderID, subID+"/resourceGroups/rg10")
	keep := assign(t, s, ownerOID, OwnerID, subID)
	n, err := s.RemoveScope(mustScope(t, "/subscriptions/"+sub+"/RESOURCEGROUPS/RG1"))
	if err != nil || n != 2 {
		t.Fatalf("RemoveScope = %d, %v; want 2 (rg1 and its vault, not rg10)", n, err)
	}
	if s.Allowed(uamiOID, actRGRead, rg1) || s.DataAllowed(uamiOID, dataGet, kv1) {
		t.Fatal("assignments of the removed scope still grant")
	}
	if !s.Allowed(uamiOID, actRGRead, subID+"/resourceGroups/rg10") || s.Len() != 2 {
		t.Fatal("an assignment outside the removed scope went too")
	}
	if len(p.assignments) != 2 || p.assignments[keep].PrincipalID != ownerOID {
		t.Fatalf("persisted after RemoveScope: %v", p.assignments)
	}
}

func TestPersistenceFailureChangesNothing(t *testing.T) {
	p := newMemPersister()
	s := New(Options{Persister: p})
	name := assign(t, s, uamiOID, ReaderID, rg1)
	if len(p.assignments) != 1 {
		t.Fatalf("persisted %d assignments; want 1", len(p.assignments))
	}
	p.fail = true
	_, _, e := put(s, AssignmentRequest{Name: "0b1c2d3e-0000-4000-8000-000000000009", Scope: mustScope(t, rg1), RoleDefinitionID: OwnerID, PrincipalID: uamiOID})
	if e == nil || e.Status != 500 || !strings.Contains(e.Message, "disk full") {
		t.Fatalf("PUT with a failing persister: %v", e)
	}
	if s.Allowed(uamiOID, actRGWrite, rg1) || s.Len() != 1 {
		t.Fatal("a PUT that failed to persist was applied")
	}
	if _, _, e := s.DeleteAssignment(mustScope(t, rg1), name); e == nil {
		t.Fatal("DELETE with a failing persister succeeded")
	}
	if !s.Allowed(uamiOID, actRGRead, rg1) {
		t.Fatal("a DELETE that failed to persist was applied")
	}
}

func TestRestore(t *testing.T) {
	p := newMemPersister()
	s := New(Options{Persister: p})
	custom := "aaaa0000-0000-4000-8000-000000000002"
	if _, _, e := s.PutCustomRole(Caller{ObjectID: ownerOID}, custom, Definition{
		RoleName: "VM starter", Permissions: []Permission{{Actions: []string{"Microsoft.Compute/virtualMachines/start/action"}}}, AssignableScopes: []string{subID}}); e != nil {
		t.Fatal(e)
	}
	assign(t, s, uamiOID, custom, rg1)
	assign(t, s, uamiOID, KeyVaultSecretsUserID, kv1)

	var defs []Definition
	for _, d := range p.definitions {
		defs = append(defs, d)
	}
	var as []Assignment
	for _, a := range p.assignments {
		as = append(as, a)
	}
	as = append(as, Assignment{Name: "not-a-guid", Scope: rg1, RoleDefinitionID: ReaderID, PrincipalID: uamiOID},
		Assignment{Name: "0b1c2d3e-0000-4000-8000-0000000000ff", Scope: rg1, RoleDefinitionID: "00000000-0000-4000-8000-000000000000", PrincipalID: uamiOID})
	fresh := New(Options{})
	err := fresh.Restore(defs, as)
	if err == nil || !strings.Contains(err.Error(), "not-a-guid") || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Restore error = %v; want both bad entries named", err)
	}
	if !fresh.Allowed(uamiOID, "Microsoft.Compute/virtualMachines/start/action", rg1+"/providers/Microsoft.Compute/virtualMachines/vm1") ||
		!fresh.DataAllowed(uamiOID, dataGet, kv1) || fresh.Len() != 2 {
		t.Fatal("restored assignments do not grant")
	}
	if d, ok := fresh.DefinitionByName("vm STARTER"); !ok || d.Name != custom {
		t.Fatal("restored custom role not found by name")
	}
}

func TestCustomRoles(t *testing.T) {
	s := New(Options{MaxCustomRoles: 2})
	by := Caller{ObjectID: ownerOID}
	id1 := "aaaa0000-0000-4000-8000-000000000001"
	good := Definition{RoleName: "Group reader", Description: "reads groups",
		Permissions: []Permission{{Actions: []string{"Microsoft.Resources/subscriptions/resourceGroups/read"}}}, AssignableScopes: []string{subID + "/"}}
	d, created, e := s.PutCustomRole(by, id1, good)
	if e != nil || !created || d.Type != "CustomRole" || d.AssignableScopes[0] != subID || d.Permissions[0].NotActions == nil {
		t.Fatalf("PutCustomRole = %+v %v %v", d, created, e)
	}
	mod := func(f func(*Definition)) Definition {
		c := good
		c.Permissions = []Permission{{Actions: []string{"*/read"}}}
		c.AssignableScopes = []string{subID}
		f(&c)
		return c
	}
	tests := []struct {
		name, id string
		d        Definition
		code     string
		msgHas   string
	}{
		{"built-in GUID", ReaderID, good, "RoleDefinitionUpdateNotPermitted", "built-in role 'Reader'"},
		{"not a GUID", "reader2", good, "InvalidRoleDefinitionId", "'reader2'"},
		{"no name", "aaaa0000-0000-4000-8000-000000000002", mod(func(d *Definition) { d.RoleName = " " }), "InvalidRoleDefinition", "roleName is required"},
		{"name taken", "aaaa0000-0000-4000-8000-000000000002", mod(func(d *Definition) { d.RoleName = "READER" }), "RoleDefinitionWithSameNameExists", "'READER'"},
		{"no scopes", "aaaa0000-0000-4000-8000-000000000002", mod(func(d *Definition) { d.RoleName = "x"; d.AssignableScopes = nil }), "InvalidRoleDefinition", "assignableScopes is empty"},
		{"root scope", "aaaa0000-0000-4000-8000-000000000002", mod(func(d *Definition) { d.RoleName = "x"; d.AssignableScopes = []string{"/"} }), "InvalidRoleDefinition", "root scope"},
		{"bad scope", "aaaa0000-0000-4000-8000-000000000002", mod(func(d *Definition) { d.RoleName = "x"; d.AssignableScopes = []string{"/subscriptions"} }), "InvalidRoleDefinition", "assignableScopes[0]"},
		{"bad action", "aaaa0000-0000-4000-8000-000000000002", mod(func(d *Definition) {
			d.RoleName = "x"
			d.Permissions = []Permission{{Actions: []string{"read everything"}}}
		}), "InvalidActionOrNotAction", "permissions[0].actions"},
		{"grants nothing", "aaaa0000-0000-4000-8000-000000000002", mod(func(d *Definition) { d.RoleName = "x"; d.Permissions = []Permission{{NotActions: []string{"*"}}} }), "InvalidRoleDefinition", "grants nothing"},
		{"wrong type", "aaaa0000-0000-4000-8000-000000000002", mod(func(d *Definition) { d.RoleName = "x"; d.Type = "BuiltInRole" }), "InvalidRoleDefinition", "'BuiltInRole'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, e := s.PutCustomRole(by, tt.id, tt.d); e == nil || e.Code != tt.code || !strings.Contains(e.Message, tt.msgHas) {
				t.Fatalf("got %v; want %s containing %q", e, tt.code, tt.msgHas)
			}
		})
	}
	// Rename frees the old name; the limit counts roles, not updates.
	renamed := good
	renamed.RoleName = "Group viewer"
	if _, created, e := s.PutCustomRole(by, id1, renamed); e != nil || created {
		t.Fatalf("rename: %v created=%v", e, created)
	}
	if _, ok := s.DefinitionByName("Group reader"); ok {
		t.Fatal("the old name still resolves")
	}
	if _, _, e := s.PutCustomRole(by, "aaaa0000-0000-4000-8000-000000000003", mod(func(d *Definition) { d.RoleName = "Group reader" })); e != nil {
		t.Fatalf("the freed name: %v", e)
	}
	if _, _, e := s.PutCustomRole(by, "aaaa0000-0000-4000-8000-000000000004", mod(func(d *Definition) { d.RoleName = "third" })); e == nil || e.Code != "RoleDefinitionLimitExceeded" {
		t.Fatalf("third custom role with a limit of 2: %v", e)
	}
	// Assigned roles cannot be deleted; unassigned ones can.
	name := assign(t, s, uamiOID, id1, rg1)
	if !s.Allowed(uamiOID, actRGRead, rg1) || s.Allowed(uamiOID, actVaultRead, kv1) {
		t.Fatal("the custom role does not grant exactly its action")
	}
	if _, _, e := s.DeleteCustomRole(id1); e == nil || e.Code != "RoleDefinitionHasAssignments" {
		t.Fatalf("delete an assigned role: %v", e)
	}
	s.DeleteAssignment(mustScope(t, rg1), name)
	if d, ok, e := s.DeleteCustomRole(id1); !ok || e != nil || d.RoleName != "Group viewer" {
		t.Fatalf("delete: %+v %v %v", d, ok, e)
	}
	if _, ok, e := s.DeleteCustomRole(id1); ok || e != nil {
		t.Fatal("second delete found the role")
	}
	if _, _, e := s.DeleteCustomRole(OwnerID); e == nil || e.Code != "RoleDefinitionUpdateNotPermitted" {
		t.Fatalf("delete Owner: %v", e)
	}
}

func TestListDefinitionsVisibility(t *testing.T) {
	s := New(Options{})
	if _, _, e := s.PutCustomRole(Caller{}, "aaaa0000-0000-4000-8000-000000000001", Definition{RoleName: "rg1 role",
		Permissions: []Permission{{Actions: []string{"*/read"}}}, AssignableScopes: []string{rg1}}); e != nil {
		t.Fatal(e)
	}
	count := func(scope string, f DefinitionFilter) int { return len(s.ListDefinitions(mustScope(t, scope), f)) }
	if n := count(kv1, DefinitionFilter{Type: CustomRole}); n != 1 {
		t.Errorf("custom roles at the vault below rg1 = %d; want 1", n)
	}
	if n := count(subID, DefinitionFilter{Type: CustomRole}); n != 0 {
		t.Errorf("custom roles at the subscription = %d; want 0 (assignable only in rg1)", n)
	}
	if n := count(subID, DefinitionFilter{Type: CustomRole, AtScopeAndBelow: true}); n != 1 {
		t.Errorf("custom roles at and below the subscription = %d; want 1", n)
	}
	if n := count(subID, DefinitionFilter{Type: BuiltInRole}); n != 13 {
		t.Errorf("built-in roles = %d; want 13", n)
	}
	got := s.ListDefinitions(mustScope(t, subID), DefinitionFilter{RoleName: "key vault SECRETS user"})
	if len(got) != 1 || got[0].Name != "4633458b-17de-408a-b874-0445c86b69e6" {
		t.Errorf("by name = %+v", got)
	}
}

func TestListAssignments(t *testing.T) {
	s := New(Options{})
	atSub := assign(t, s, uamiOID, ReaderID, subID)
	atRG := assign(t, s, uamiOID, ContributorID, rg1)
	atKV := assign(t, s, uamiOID, KeyVaultSecretsUserID, kv1)
	other := assign(t, s, ownerOID, OwnerID, subID+"/resourceGroups/rg10")
	names := func(as []Assignment) string {
		var out []string
		for _, a := range as {
			switch a.Name {
			case atSub:
				out = append(out, "sub")
			case atRG:
				out = append(out, "rg1")
			case atKV:
				out = append(out, "kv1")
			case other:
				out = append(out, "rg10")
			}
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		scope string
		f     AssignmentFilter
		want  string
	}{
		{rg1, AssignmentFilter{}, "sub,rg1,kv1"},
		{rg1, AssignmentFilter{AtScope: true}, "sub,rg1"},
		{kv1, AssignmentFilter{AtScope: true}, "sub,rg1,kv1"},
		{subID, AssignmentFilter{}, "sub,rg1,kv1,rg10"},
		{subID, AssignmentFilter{Principal: strings.ToUpper(ownerOID)}, "rg10"},
		{rg1, AssignmentFilter{Principal: ownerOID}, ""},
	}
	for _, tt := range tests {
		if got := names(s.ListAssignments(mustScope(t, tt.scope), tt.f)); got != tt.want {
			t.Errorf("list at %s %+v = %q; want %q", tt.scope, tt.f, got, tt.want)
		}
	}
}

func TestReset(t *testing.T) {
	s := New(Options{})
	if _, _, e := s.PutCustomRole(Caller{}, "aaaa0000-0000-4000-8000-000000000001", Definition{RoleName: "Mine",
		Permissions: []Permission{{Actions: []string{"*/read"}}}, AssignableScopes: []string{subID}}); e != nil {
		t.Fatal(e)
	}
	assign(t, s, uamiOID, ReaderID, rg1)
	s.Reset()
	if s.Len() != 0 || s.Allowed(uamiOID, actRGRead, rg1) {
		t.Fatal("assignments survive Reset")
	}
	if _, ok := s.DefinitionByName("Mine"); ok {
		t.Fatal("custom role survives Reset")
	}
	if _, ok := s.DefinitionByName("Reader"); !ok {
		t.Fatal("Reset dropped a built-in role")
	}
	// The name is free again and the store works as new.
	if _, _, e := s.PutCustomRole(Caller{}, "aaaa0000-0000-4000-8000-000000000002", Definition{RoleName: "Mine",
		Permissions: []Permission{{Actions: []string{"*/read"}}}, AssignableScopes: []string{subID}}); e != nil {
		t.Fatal(e)
	}
	assign(t, s, uamiOID, ReaderID, rg1)
	if !s.Allowed(uamiOID, actRGRead, rg1) {
		t.Fatal("store unusable after Reset")
	}
}
