package rolestate

import (
	"strings"
	"testing"

	"github.com/azmsi/azmsi/emulator/internal/roles"
)

const (
	sub    = "/subscriptions/bbbbbbbb-0000-4000-8000-000000000002"
	rg1    = sub + "/resourceGroups/rg1"
	uami   = "dddddddd-0000-4000-8000-000000000004"
	custom = "aaaa0000-0000-4000-8000-000000000001"
)

func TestSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := roles.New(roles.Options{Persister: b})
	if _, _, e := s.PutCustomRole(roles.Caller{}, custom, roles.Definition{RoleName: "VM starter",
		Permissions: []roles.Permission{{Actions: []string{"Microsoft.Compute/virtualMachines/start/action"}}}, AssignableScopes: []string{sub}}); e != nil {
		t.Fatal(e)
	}
	for i, role := range []string{custom, roles.ReaderID, roles.KeyVaultSecretsUserID} {
		if _, _, e := s.PutAssignment(roles.Caller{}, roles.AssignmentRequest{Name: roles.NameFor("t", role), Scope: mustScope(t, rg1),
			RoleDefinitionID: role, PrincipalID: uami}); e != nil {
			t.Fatalf("assignment %d: %v", i, e)
		}
	}
	if _, ok, e := s.DeleteAssignment(mustScope(t, rg1), roles.NameFor("t", roles.ReaderID)); !ok || e != nil {
		t.Fatal("delete failed")
	}
	if err := b.MarkSeeded(); err != nil {
		t.Fatal(err)
	}
	b.Close()

	b, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	defs, as, seeded, err := b.Load()
	if err != nil || !seeded || len(defs) != 1 || len(as) != 2 {
		t.Fatalf("Load = %d defs, %d assignments, seeded %v, %v; want 1, 2, true", len(defs), len(as), seeded, err)
	}
	fresh := roles.New(roles.Options{Persister: b})
	if err := fresh.Restore(defs, as); err != nil {
		t.Fatal(err)
	}
	if !fresh.Allowed(uami, "Microsoft.Compute/virtualMachines/start/action", rg1+"/providers/Microsoft.Compute/virtualMachines/vm") ||
		fresh.Allowed(uami, "Microsoft.Resources/subscriptions/resourceGroups/read", rg1) ||
		!fresh.DataAllowed(uami, "Microsoft.KeyVault/vaults/secrets/getSecret/action", rg1+"/providers/Microsoft.KeyVault/vaults/kv1") {
		t.Fatal("the reopened state does not grant what was stored")
	}
	if err := b.Clear(); err != nil {
		t.Fatal(err)
	}
	if defs, as, seeded, _ := b.Load(); len(defs)+len(as) != 0 || seeded {
		t.Fatal("Clear left state behind")
	}
}

func TestLockedAndClosed(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "locked by another emulator") {
		t.Fatalf("second Open: %v", err)
	}
	b.Close()
	if err := b.PutAssignment(roles.Assignment{Name: "x"}); err == nil {
		t.Fatal("a write after Close succeeded")
	}
}

func mustScope(t *testing.T, s string) roles.Scope {
	t.Helper()
	sc, err := roles.ParseScope(s)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
