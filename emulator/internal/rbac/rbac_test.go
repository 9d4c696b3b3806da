package rbac

import (
	"testing"

	"github.com/azmsi/azmsi/emulator/internal/config"
)

const (
	sub1 = "00000000-0000-0000-0000-000000000001"
	sub2 = "00000000-0000-0000-0000-000000000002"
)

func TestAllowed(t *testing.T) {
	cfg := &config.Config{RoleAssignments: []config.RoleAssignment{
		{Identity: "reader", Scope: "/subscriptions/" + sub1, Role: "Reader"},
		{Identity: "rg-owner", Scope: "/subscriptions/" + sub1 + "/resourceGroups/Mine", Role: "Owner"},
		{Identity: "contrib", Scope: "/subscriptions/" + sub2, Role: "Contributor"},
	}}
	for _, c := range []struct {
		who, sub, group string
		act             Action
		want            bool
	}{
		{"reader", sub1, "any", Read, true},
		{"reader", sub1, "any", Write, false},
		{"reader", sub2, "any", Read, false},
		{"rg-owner", sub1, "mine", Delete, true}, // group names fold case
		{"rg-owner", sub1, "other", Read, false},
		{"rg-owner", sub1, "", Read, false}, // a group role is not the subscription
		{"contrib", "00000000-0000-0000-0000-00000000000A", "", Write, false},
		{"contrib", sub2, "", Delete, true},
		{"nobody", sub1, "x", Read, false},
	} {
		got := Allowed(For(cfg, &config.Identity{Name: c.who}), c.sub, c.group, c.act)
		if got != c.want {
			t.Errorf("%s %v on %s/%s = %v, want %v", c.who, c.act.Name(), c.sub, c.group, got, c.want)
		}
	}
	if For(cfg, nil) != nil {
		t.Error("no identity must have no grants")
	}
}

func TestVisibility(t *testing.T) {
	cfg := &config.Config{RoleAssignments: []config.RoleAssignment{
		{Identity: "a", Scope: "/subscriptions/" + sub1 + "/resourceGroups/G1", Role: "Reader"},
		{Identity: "a", Scope: "/subscriptions/" + sub1 + "/resourceGroups/g2", Role: "Contributor"},
	}}
	g := For(cfg, &config.Identity{Name: "a"})
	if !SeesSubscription(g, sub1) || SeesSubscription(g, sub2) {
		t.Error("a group role must make exactly its subscription visible")
	}
	all, some := ReadableGroups(g, sub1)
	if all || !some["g1"] || !some["g2"] || len(some) != 2 {
		t.Errorf("ReadableGroups = %v %v, want g1 and g2 only", all, some)
	}
	if Read.Name() != "Microsoft.Resources/subscriptions/resourcegroups/read" {
		t.Errorf("Read.Name() = %s", Read.Name())
	}
}
