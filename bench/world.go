package bench

import (
	"fmt"

	"github.com/azmsi/azmsi/emulator"
)

// World returns an emulator configuration with subs subscriptions of groups
// resource groups each, readable by the default system-assigned identity
// (Reader on every subscription). The rest (tenant, VM, identities) is the
// emulator's default.
func World(subs, groups int) *emulator.Config {
	c := emulator.DefaultConfig()
	sys := c.SystemIdentity()
	c.Subscriptions = make([]emulator.Subscription, subs)
	c.RoleAssignments = c.RoleAssignments[:0]
	locations := []string{"eastus", "westeurope", "westus2", "northeurope"}
	for i := range c.Subscriptions {
		id := fmt.Sprintf("00000000-0000-0000-0001-%012d", i+1)
		rgs := make([]emulator.ResourceGroup, groups)
		for j := range rgs {
			rgs[j] = emulator.ResourceGroup{
				Name:     fmt.Sprintf("rg-%03d-%06d", i, j),
				Location: locations[j%len(locations)],
				Tags:     map[string]string{"env": []string{"dev", "prod"}[j%2]},
			}
		}
		c.Subscriptions[i] = emulator.Subscription{
			SubscriptionID: id,
			DisplayName:    fmt.Sprintf("Bench Subscription %d", i+1),
			State:          "Enabled",
			ResourceGroups: rgs,
		}
		c.RoleAssignments = append(c.RoleAssignments, emulator.RoleAssignment{
			Identity: sys.Name, Scope: "/subscriptions/" + id, Role: "Reader",
		})
	}
	// The VM lives in the first subscription (the config requires its
	// subscription to be listed).
	c.Instance.SubscriptionID = c.Subscriptions[0].SubscriptionID
	if groups > 0 {
		c.Instance.ResourceGroupName = c.Subscriptions[0].ResourceGroups[0].Name
	}
	sys.ResourceID = "" // derived again from the instance
	return c
}
