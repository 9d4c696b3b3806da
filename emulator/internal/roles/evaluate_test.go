package roles

import (
	"testing"
	"time"
)

const (
	actRGRead     = "Microsoft.Resources/subscriptions/resourceGroups/read"
	actRGWrite    = "Microsoft.Resources/subscriptions/resourceGroups/write"
	actVaultRead  = "Microsoft.KeyVault/vaults/read"
	actVaultWrite = "Microsoft.KeyVault/vaults/write"
	actRAWrite    = "Microsoft.Authorization/roleAssignments/write"
	dataGet       = "Microsoft.KeyVault/vaults/secrets/getSecret/action"
	dataList      = "Microsoft.KeyVault/vaults/secrets/readMetadata/action"
	dataSet       = "Microsoft.KeyVault/vaults/secrets/setSecret/action"
)

// The evaluation cases of protocols-2026 §21.6, and inheritance.
func TestEvaluation(t *testing.T) {
	s := New(Options{Principals: lookup, TenantID: tenant})
	const (
		reader      = "11111111-0000-4000-8000-000000000001"
		contributor = "11111111-0000-4000-8000-000000000002"
		owner       = "11111111-0000-4000-8000-000000000003"
		kvUser      = "11111111-0000-4000-8000-000000000004"
		kvReader    = "11111111-0000-4000-8000-000000000005"
		rgReader    = "11111111-0000-4000-8000-000000000006"
	)
	for _, oid := range []string{reader, contributor, owner, kvUser, kvReader, rgReader} {
		directory[oid] = Principal{ObjectID: oid, Type: "ServicePrincipal"}
	}
	assign(t, s, reader, "acdd72a7-3385-48ef-bd42-f606fba81ae7", subID)
	assign(t, s, contributor, "b24988ac-6180-42a0-ab88-20f7382dd24c", subID)
	assign(t, s, owner, "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", subID)
	assign(t, s, kvUser, "4633458b-17de-408a-b874-0445c86b69e6", kv1)
	assign(t, s, kvReader, "21090545-7ca7-4776-b22c-e363652d74d2", kv1)
	assign(t, s, rgReader, "acdd72a7-3385-48ef-bd42-f606fba81ae7", rg1)
	assign(t, s, uamiOID, "acdd72a7-3385-48ef-bd42-f606fba81ae7", rg1)

	rg10 := subID + "/resourceGroups/rg10"
	tests := []struct {
		name              string
		principal, action string
		scope             string
		data, want        bool
	}{
		{"contributor cannot write role assignments", contributor, actRAWrite, subID, false, false},
		{"contributor writes groups", contributor, actRGWrite, rg1, false, true},
		{"contributor writes vaults below", contributor, actVaultWrite, kv1, false, true},
		{"owner writes role assignments", owner, actRAWrite, rg1, false, true},
		{"reader reads the vault", reader, actVaultRead, kv1, false, true},
		{"reader cannot write the vault", reader, actVaultWrite, kv1, false, false},
		{"owner has no data action", owner, dataGet, kv1 + "/secrets/s1", true, false},
		{"control actions do not grant data", owner, actVaultRead, kv1, true, false},
		{"secrets user gets a secret at the vault", kvUser, dataGet, kv1, true, true},
		{"secrets user gets a secret below the vault", kvUser, dataGet, kv1 + "/secrets/s1", true, true},
		{"secrets user cannot set", kvUser, dataSet, kv1, true, false},
		{"secrets user has no control-plane read", kvUser, actVaultRead, kv1, false, false},
		{"secrets user not on another vault", kvUser, dataGet, rg1 + "/providers/Microsoft.KeyVault/vaults/kv2", true, false},
		{"kv reader lists", kvReader, dataList, kv1, true, true},
		{"kv reader cannot get", kvReader, dataGet, kv1 + "/secrets/s1", true, false},
		{"kv reader reads the vault resource", kvReader, actVaultRead, kv1, false, true},
		{"kv reader reads its group", kvReader, actRGRead, rg1, false, false}, // assigned at the vault, not the group
		{"rg reader inherits into the vault", rgReader, actVaultRead, kv1, false, true},
		{"rg reader not in rg10 (segment boundary)", rgReader, actRGRead, rg10, false, false},
		{"rg reader not at the subscription", rgReader, actRGRead, subID, false, false},
		{"case-insensitive scope and action", rgReader, "MICROSOFT.KEYVAULT/VAULTS/READ", "/SUBSCRIPTIONS/" + sub + "/resourcegroups/RG1/providers/microsoft.keyvault/vaults/KV1/", false, true},
		{"upper-case principal", "DDDDDDDD-0000-4000-8000-000000000004", actRGRead, rg1, false, true},
		{"unknown principal", userOID, actRGRead, rg1, false, false},
		{"empty action", owner, "", rg1, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got bool
			if tt.data {
				got = s.DataAllowed(tt.principal, tt.action, tt.scope)
			} else {
				got = s.Allowed(tt.principal, tt.action, tt.scope)
			}
			if got != tt.want {
				t.Errorf("allowed = %v; want %v", got, tt.want)
			}
			if !tt.data {
				if got := s.For(tt.principal)(tt.action, tt.scope); got != tt.want {
					t.Errorf("For(…) = %v; want %v (as Allowed)", got, tt.want)
				}
			}
		})
	}
}

func TestNotActionsAreNotDeny(t *testing.T) {
	s := New(Options{})
	const p = "22222222-0000-4000-8000-000000000001"
	assign(t, s, p, ContributorID, subID)
	if s.Allowed(p, actRAWrite, rg1) {
		t.Fatal("Contributor alone may write role assignments")
	}
	// Another role granting the action allows it: notActions only narrow
	// their own entry.
	assign(t, s, p, RoleBasedAccessControlAdministratorID, rg1)
	if !s.Allowed(p, actRAWrite, rg1) {
		t.Fatal("RBAC Administrator at the group does not allow roleAssignments/write there")
	}
	if s.Allowed(p, actRAWrite, subID) {
		t.Fatal("an assignment at the group grants at the subscription")
	}
}

func TestAuthorizeMessage(t *testing.T) {
	s := New(Options{})
	e := s.Authorize(Caller{ObjectID: uamiOID, ClientID: "cccccccc-0000-4000-8000-000000000003"}, actRGWrite, rg1+"/")
	if e == nil {
		t.Fatal("no error for a principal without assignments")
	}
	want := "The client 'cccccccc-0000-4000-8000-000000000003' with object id 'dddddddd-0000-4000-8000-000000000004' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourceGroups/write' over scope '/subscriptions/bbbbbbbb-0000-4000-8000-000000000002/resourceGroups/rg1' or the scope is invalid. If access was recently granted, please refresh your credentials."
	if e.Status != 403 || e.Code != "AuthorizationFailed" || e.Message != want {
		t.Fatalf("got %d %s %q\nwant 403 AuthorizationFailed %q", e.Status, e.Code, e.Message, want)
	}
}

func TestPropagationDelay(t *testing.T) {
	c := newClock()
	s := New(Options{Now: c.Now, Delay: 30 * time.Second})
	name := assign(t, s, uamiOID, ReaderID, rg1)
	if _, ok := s.GetAssignment(mustScope(t, rg1), name); !ok {
		t.Fatal("the API does not show the new assignment at once")
	}
	if s.Allowed(uamiOID, actRGRead, rg1) {
		t.Fatal("the assignment grants before the delay")
	}
	c.Advance(29 * time.Second)
	if s.Allowed(uamiOID, actRGRead, rg1) {
		t.Fatal("the assignment grants 1 s before the delay ends")
	}
	c.Advance(time.Second)
	if !s.Allowed(uamiOID, actRGRead, rg1) {
		t.Fatal("the assignment does not grant once the delay has passed")
	}
	if _, ok, e := s.DeleteAssignment(mustScope(t, rg1), name); !ok || e != nil {
		t.Fatalf("delete: %v %v", ok, e)
	}
	if _, ok := s.GetAssignment(mustScope(t, rg1), name); ok {
		t.Fatal("the API still shows the deleted assignment")
	}
	c.Advance(29 * time.Second)
	if !s.Allowed(uamiOID, actRGRead, rg1) {
		t.Fatal("a deleted assignment stops granting before the delay")
	}
	c.Advance(time.Second)
	if s.Allowed(uamiOID, actRGRead, rg1) {
		t.Fatal("a deleted assignment still grants after the delay")
	}
	// The leaving grant is purged by the next change.
	assign(t, s, ownerOID, ReaderID, subID)
	if len(s.leaving) != 0 || len(s.eval[uamiOID]) != 0 {
		t.Fatalf("leaving grants not purged: %d leaving, %d scopes for the principal", len(s.leaving), len(s.eval[uamiOID]))
	}
}

func TestNoDelayAppliesAtOnce(t *testing.T) {
	s := New(Options{})
	name := assign(t, s, uamiOID, ContributorID, rg1)
	if !s.Allowed(uamiOID, actRGWrite, rg1) {
		t.Fatal("not granted at once")
	}
	s.DeleteAssignment(mustScope(t, rg1), name)
	if s.Allowed(uamiOID, actRGWrite, rg1) {
		t.Fatal("still granted after delete")
	}
}

func TestHasAssignmentWithin(t *testing.T) {
	s := New(Options{})
	assign(t, s, uamiOID, ReaderID, rg1)
	if !s.HasAssignmentWithin(uamiOID, subID) || !s.HasAssignmentWithin(uamiOID, kv1) {
		t.Fatal("an assignment at rg1 is not seen from the subscription or the vault")
	}
	if s.HasAssignmentWithin(uamiOID, "/subscriptions/other") || s.HasAssignmentWithin(uamiOID, subID+"/resourceGroups/rg10") {
		t.Fatal("an assignment at rg1 is seen from an unrelated scope")
	}
}

func TestAtOnceIgnoresDelay(t *testing.T) {
	c := newClock()
	s := New(Options{Now: c.Now, Delay: time.Hour})
	if _, _, e := s.PutAssignment(Caller{}, AssignmentRequest{Name: NameFor("seed"), Scope: mustScope(t, rg1), RoleDefinitionID: ReaderID, PrincipalID: uamiOID, AtOnce: true}); e != nil {
		t.Fatal(e)
	}
	if !s.Allowed(uamiOID, actRGRead, rg1) {
		t.Fatal("an AtOnce assignment waits for the delay")
	}
}
