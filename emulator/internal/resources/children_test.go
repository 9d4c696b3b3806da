package resources

import (
	"encoding/json"
	"testing"
	"time"
)

func TestChildren(t *testing.T) {
	s, err := NewStore(nil)
	if err != nil {
		t.Fatal(err)
	}
	const uami = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-contributor"
	const ficType = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := func(id, typ string) *Record {
		return &Record{ID: id, Type: typ, Properties: json.RawMessage(`{}`), State: "Succeeded", CreatedAt: at, ChangedAt: at}
	}
	if err := s.Replace([]*Record{
		rec(uami, "Microsoft.ManagedIdentity/userAssignedIdentities"),
		rec(uami+"/federatedIdentityCredentials/fic-b", ficType),
		rec(uami+"/federatedIdentityCredentials/fic-a", ficType),
		rec(uami+"/federatedIdentityCredentials/fic-a/deeper/x", ficType+"/deeper"),
		rec(uami+"/otherChildren/o1", "Microsoft.ManagedIdentity/userAssignedIdentities/otherChildren"),
		rec(uami+"2/federatedIdentityCredentials/elsewhere", ficType),
	}); err != nil {
		t.Fatal(err)
	}
	got := s.Children(uami, "microsoft.managedidentity/userassignedidentities/federatedidentitycredentials")
	var names []string
	for _, r := range got {
		names = append(names, r.ID[len(uami):])
	}
	if len(names) != 2 || names[0] != "/federatedIdentityCredentials/fic-a" || names[1] != "/federatedIdentityCredentials/fic-b" {
		t.Fatalf("children %v, want fic-a and fic-b only", names)
	}
	if got := s.Children(uami+"/nothing", ficType); len(got) != 0 {
		t.Errorf("children of a missing parent: %d", len(got))
	}
}
