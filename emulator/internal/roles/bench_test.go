package roles

import (
	"fmt"
	"testing"
)

// benchStore holds 10,000 assignments across subscription, group, resource
// and child scopes: 2,000 principals with 5 each, and the principal under
// test with a few at other places (so its scope walk meets grants that do
// not apply).
func benchStore(b *testing.B) (*Store, string) {
	b.Helper()
	s := New(Options{MaxPerSubscription: 20_000})
	roles := []string{ReaderID, ContributorID, KeyVaultSecretsUserID, StorageBlobDataReaderID, ManagedIdentityOperatorID}
	n := 0
	for p := 0; n < 10_000-4; p++ {
		oid := fmt.Sprintf("%08x-0000-4000-8000-%012x", p, p)
		for i := 0; i < 5 && n < 10_000-4; i++ {
			sub := fmt.Sprintf("/subscriptions/%08x-0000-4000-8000-00000000000%d", 0, p%4)
			var scope string
			switch i {
			case 0:
				scope = sub
			case 1:
				scope = fmt.Sprintf("%s/resourceGroups/rg%d", sub, p%50)
			case 2, 3:
				scope = fmt.Sprintf("%s/resourceGroups/rg%d/providers/Microsoft.KeyVault/vaults/kv%d", sub, p%50, p)
			default:
				scope = fmt.Sprintf("%s/resourceGroups/rg%d/providers/Microsoft.KeyVault/vaults/kv%d/secrets/s%d", sub, p%50, p, i)
			}
			if _, _, e := s.PutAssignment(Caller{}, AssignmentRequest{Name: NameFor("bench", oid, fmt.Sprint(i)), Scope: mustScope(b, scope),
				RoleDefinitionID: roles[i], PrincipalID: oid}); e != nil {
				b.Fatal(e)
			}
			n++
		}
	}
	me := "dddddddd-0000-4000-8000-000000000004"
	sub0 := "/subscriptions/00000000-0000-4000-8000-000000000000"
	for i, scope := range []string{sub0 + "/resourceGroups/rg1", sub0 + "/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/kv1",
		sub0 + "/resourceGroups/rg2", sub0} {
		role := []string{ContributorID, KeyVaultSecretsUserID, ReaderID, ReaderID}[i]
		if _, _, e := s.PutAssignment(Caller{}, AssignmentRequest{Name: NameFor("bench-me", fmt.Sprint(i)), Scope: mustScope(b, scope), RoleDefinitionID: role, PrincipalID: me}); e != nil {
			b.Fatal(e)
		}
	}
	if s.Len() != 10_000 {
		b.Fatalf("%d assignments; want 10,000", s.Len())
	}
	return s, me
}

// BenchmarkAllowed is the per-request cost of authorization (target ≤ 5 µs).
func BenchmarkAllowed(b *testing.B) {
	s, me := benchStore(b)
	secret := "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/kv1/secrets/s1"
	cases := []struct {
		name, action, scope string
		data, want          bool
	}{
		{"granted-at-group", "Microsoft.KeyVault/vaults/write", "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/kv1", false, true},
		{"denied-deep", "Microsoft.Authorization/roleAssignments/write", secret, false, false},
		{"data-granted", "Microsoft.KeyVault/vaults/secrets/getSecret/action", secret, true, true},
		{"unknown-principal", "Microsoft.KeyVault/vaults/read", secret, false, false},
	}
	for _, c := range cases {
		who := me
		if c.name == "unknown-principal" {
			who = "99999999-0000-4000-8000-000000000009"
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if s.allowed(who, c.action, c.scope, c.data) != c.want {
					b.Fatal("wrong answer")
				}
			}
		})
	}
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if !s.Allowed(me, "Microsoft.KeyVault/vaults/write", secret) {
					b.Fatal("wrong answer")
				}
			}
		})
	})
}
