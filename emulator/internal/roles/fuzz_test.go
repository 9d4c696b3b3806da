package roles

import (
	"strings"
	"testing"
)

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"atScope()", "assignedTo('dddddddd-0000-4000-8000-000000000004')", "roleName eq 'It''s'",
		"type eq 'CustomRole' and atScopeAndBelow()", "principalId eq '", "atScope() and and"} {
		f.Add(s)
	}
	all := append(append([]string{}, assignmentTerms...), definitionTerms...)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseFilter(s, all)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for _, g := range []string{got.assignedTo, got.principalID} {
			if g != "" {
				if _, ok := ParseGUID(g); !ok {
					t.Fatalf("accepted principal %q is not a GUID", g)
				}
			}
		}
		if got.roleType != "" && got.roleType != BuiltInRole && got.roleType != CustomRole {
			t.Fatalf("accepted role type %q", got.roleType)
		}
	})
}

func FuzzParseGUID(f *testing.F) {
	for _, s := range []string{"acdd72a7-3385-48ef-bd42-f606fba81ae7", "ACDD72A7-3385-48EF-BD42-F606FBA81AE7", "{x}", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, ok := ParseGUID(s)
		if !ok {
			return
		}
		if !strings.EqualFold(g, s) || g != strings.ToLower(g) {
			t.Fatalf("ParseGUID(%q) = %q", s, g)
		}
		if again, ok := ParseGUID(g); !ok || again != g {
			t.Fatalf("not idempotent: %q", g)
		}
	})
}

func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"/", subID, rg1, kv1 + "/secrets/s1", "/providers/Microsoft.Management/managementGroups/mg", "/subscriptions//x", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScope(s)
		if err != nil {
			return
		}
		again, err := ParseScope(sc.String())
		if err != nil || again.Key() != sc.Key() || again.Kind() != sc.Kind() {
			t.Fatalf("re-parse of %q: %v %q %v", sc.String(), err, again.Key(), again.Kind())
		}
		if !sc.Contains(sc) || sc.Key() != strings.ToLower(sc.Key()) {
			t.Fatalf("scope %q does not contain itself or its key is not lower case", s)
		}
		if normalizeKey(s) != sc.Key() {
			t.Fatalf("normalizeKey(%q) = %q; ParseScope key %q", s, normalizeKey(s), sc.Key())
		}
	})
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{kv1 + "/providers/Microsoft.Authorization/roleAssignments/0b1c2d3e-0000-4000-8000-00000000000a",
		"/providers/Microsoft.Authorization/roleDefinitions", subID + "/providers/microsoft.authorization/ROLEDEFINITIONS/x/y", "/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, e := ParseTarget(s)
		if e != nil {
			if e.Status < 400 || e.Code == "" || e.Message == "" {
				t.Fatalf("bad error %+v", e)
			}
			return
		}
		if tg.Collection != RoleAssignments && tg.Collection != RoleDefinitions || strings.Contains(tg.Name, "/") {
			t.Fatalf("ParseTarget(%q) = %+v", s, tg)
		}
	})
}
