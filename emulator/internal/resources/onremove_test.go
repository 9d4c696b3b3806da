package resources

import (
	"sort"
	"testing"
	"time"
)

func TestStoreOnRemove(t *testing.T) {
	s, err := NewStore(nil)
	if err != nil {
		t.Fatal(err)
	}
	const g = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	recs := []*Record{
		IdentityRecord(g+"a", "eastus", "t", "c1", "p1", now),
		IdentityRecord(g+"b", "eastus", "t", "c2", "p2", now),
	}
	var got []string
	s.OnRemove(func(id string) { got = append(got, id) })
	if err := s.Replace(recs); err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("Replace reported removals %v; it starts the store over", got)
	}
	if err := s.DeleteGroup("00000000-0000-0000-0000-000000000001", "RG1"); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	if len(got) != 2 || got[0] != g+"a" || got[1] != g+"b" {
		t.Fatalf("removed %v; want both identities", got)
	}
}
