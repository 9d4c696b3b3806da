package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/roles"
)

// Normalize validates c and fills derived values (the system identity's
// resource id, a default subscription state, nil for empty tag maps). Each
// section has its own check; later sections may rely on earlier ones.
func (c *Config) Normalize() error {
	if !GUID.MatchString(c.TenantID) {
		return cfgErr("tenantId", "%q is not a GUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", c.TenantID)
	}
	if err := c.Instance.normalize(); err != nil {
		return err
	}
	names, err := c.normalizeIdentities()
	if err != nil {
		return err
	}
	subs, err := c.normalizeSubscriptions()
	if err != nil {
		return err
	}
	if err := c.checkResourceTypes(); err != nil {
		return err
	}
	if err := c.checkHosts(); err != nil {
		return err
	}
	return c.checkRoleAssignments(names, subs)
}

func cfgErr(field, format string, args ...any) error {
	return fmt.Errorf("emulator config: %s: %s", field, fmt.Sprintf(format, args...))
}

// normalize checks the VM section.
func (in *Instance) normalize() error {
	if !GUID.MatchString(in.SubscriptionID) {
		return cfgErr("instance.subscriptionId", "%q is not a GUID", in.SubscriptionID)
	}
	if err := CheckRGName(in.ResourceGroupName); err != nil {
		return cfgErr("instance.resourceGroupName", "%v", err)
	}
	if in.Name == "" || strings.ContainsAny(in.Name, "/?#%") || len(in.Name) > 64 {
		return cfgErr("instance.name", "%q is not a VM name (1-64 characters, no / ? # %%)", in.Name)
	}
	if err := CheckLocation(in.Location); err != nil {
		return cfgErr("instance.location", "%v", err)
	}
	if !GUID.MatchString(in.VMID) {
		return cfgErr("instance.vmId", "%q is not a GUID", in.VMID)
	}
	if err := CheckTags(in.Tags); err != nil {
		return cfgErr("instance.tags", "%v", err)
	}
	if len(in.Tags) == 0 {
		in.Tags = nil // "tags": {} and no tags are the same
	}
	return nil
}

// uniqueIn records values that must not repeat within a section, keyed
// case-insensitively, with the index that used each first.
type uniqueIn map[string]int

// claim records v for index i, or returns the earlier index holding it.
func (u uniqueIn) claim(v string, i int) (earlier int, dup bool) {
	k := strings.ToLower(v)
	if j, ok := u[k]; ok {
		return j, true
	}
	u[k] = i
	return 0, false
}

// normalizeIdentities checks the identities section and returns their
// names (name → index) for the role assignments.
func (c *Config) normalizeIdentities() (map[string]int, error) {
	if len(c.Identities) == 0 {
		return nil, cfgErr("identities", "at least one identity is required")
	}
	names := map[string]int{}
	clientIDs, objectIDs, resIDs := uniqueIn{}, uniqueIn{}, uniqueIn{}
	system := -1
	for i := range c.Identities {
		id := &c.Identities[i]
		if id.Name == "" {
			return nil, cfgErr(fmt.Sprintf("identities[%d].name", i), "required (a short name that roleAssignments refer to)")
		}
		f := fmt.Sprintf("identities[%d] (%q)", i, id.Name)
		if j, dup := names[id.Name]; dup {
			return nil, cfgErr(f+".name", "duplicate of identities[%d]; names must be unique", j)
		}
		names[id.Name] = i
		if !GUID.MatchString(id.ClientID) {
			return nil, cfgErr(f+".clientId", "%q is not a GUID", id.ClientID)
		}
		if j, dup := clientIDs.claim(id.ClientID, i); dup {
			return nil, cfgErr(f+".clientId", "%s is also the clientId of identities[%d]; client ids must be unique", id.ClientID, j)
		}
		if !GUID.MatchString(id.ObjectID) {
			return nil, cfgErr(f+".objectId", "%q is not a GUID", id.ObjectID)
		}
		if j, dup := objectIDs.claim(id.ObjectID, i); dup {
			return nil, cfgErr(f+".objectId", "%s is also the objectId of identities[%d]; object ids must be unique", id.ObjectID, j)
		}
		switch id.Kind {
		case KindSystem:
			if system >= 0 {
				return nil, cfgErr(f+".kind", "identities[%d] is already the system-assigned identity; a VM has at most one", system)
			}
			system = i
			vm := c.Instance.ResourceID()
			if id.ResourceID != "" && !strings.EqualFold(id.ResourceID, vm) {
				return nil, cfgErr(f+".resourceId", "a system-assigned identity's resource id is the VM's (%s); leave it empty", vm)
			}
			id.ResourceID = vm
		case KindUser:
			if err := checkUserResourceID(id.ResourceID); err != nil {
				return nil, cfgErr(f+".resourceId", "%v", err)
			}
		default:
			return nil, cfgErr(f+".kind", "%q is not a kind (expected \"system\" or \"user\")", id.Kind)
		}
		if j, dup := resIDs.claim(id.ResourceID, i); dup {
			return nil, cfgErr(f+".resourceId", "same resource id as identities[%d]", j)
		}
		if err := normalizeFederated(f, id); err != nil {
			return nil, err
		}
	}
	// A selector by client id and one by object id must never name two
	// different identities.
	for i, id := range c.Identities {
		if j, ok := objectIDs[strings.ToLower(id.ClientID)]; ok && j != i {
			return nil, cfgErr(fmt.Sprintf("identities[%d] (%q).clientId", i, id.Name), "%s is the objectId of identities[%d]; an id must name one identity", id.ClientID, j)
		}
	}
	return names, nil
}

// checkUserResourceID applies the user-assigned identity id grammar.
func checkUserResourceID(rid string) error {
	m := uamiRE.FindStringSubmatch(rid)
	if m == nil {
		return fmt.Errorf("%q is not a user-assigned identity id (expected /subscriptions/{guid}/resourceGroups/{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name})", rid)
	}
	if !GUID.MatchString(m[1]) {
		return fmt.Errorf("subscription %q in the id is not a GUID", m[1])
	}
	if err := CheckRGName(m[2]); err != nil {
		return fmt.Errorf("resource group in the id: %v", err)
	}
	if !uamiNameRE.MatchString(m[3]) {
		return fmt.Errorf("identity name %q in the id must be 3-128 letters, digits, '-' or '_', starting with a letter or digit", m[3])
	}
	return nil
}

// normalizeSubscriptions checks the subscriptions and their resource
// groups and returns the set of subscription ids (lower case). The VM's
// subscription must be one of them.
func (c *Config) normalizeSubscriptions() (map[string]bool, error) {
	subs := uniqueIn{}
	for i := range c.Subscriptions {
		s := &c.Subscriptions[i]
		f := fmt.Sprintf("subscriptions[%d]", i)
		if !GUID.MatchString(s.SubscriptionID) {
			return nil, cfgErr(f+".subscriptionId", "%q is not a GUID", s.SubscriptionID)
		}
		if _, dup := subs.claim(s.SubscriptionID, i); dup {
			return nil, cfgErr(f+".subscriptionId", "%s is listed twice", s.SubscriptionID)
		}
		if strings.TrimSpace(s.DisplayName) == "" {
			return nil, cfgErr(f+".displayName", "required")
		}
		if s.State == "" {
			s.State = "Enabled"
		}
		if !slices.Contains(knownStates, s.State) {
			return nil, cfgErr(f+".state", "%q is not a subscription state (expected one of %s)", s.State, strings.Join(knownStates, ", "))
		}
		if err := s.normalizeGroups(f); err != nil {
			return nil, err
		}
	}
	ids := make(map[string]bool, len(subs))
	for k := range subs {
		ids[k] = true
	}
	if !ids[strings.ToLower(c.Instance.SubscriptionID)] {
		return nil, cfgErr("instance.subscriptionId", "%s is not in subscriptions; list the VM's subscription there", c.Instance.SubscriptionID)
	}
	return ids, nil
}

// normalizeGroups checks a subscription's resource groups; f names the
// subscription in messages.
func (s *Subscription) normalizeGroups(f string) error {
	groups := uniqueIn{}
	for j, g := range s.ResourceGroups {
		gf := fmt.Sprintf("%s.resourceGroups[%d]", f, j)
		if err := CheckRGName(g.Name); err != nil {
			return cfgErr(gf+".name", "%v", err)
		}
		if k, dup := groups.claim(g.Name, j); dup {
			return cfgErr(gf+".name", "%q duplicates resourceGroups[%d] (names are case-insensitive)", g.Name, k)
		}
		if err := CheckLocation(g.Location); err != nil {
			return cfgErr(gf+".location", "%v", err)
		}
		if err := CheckTags(g.Tags); err != nil {
			return cfgErr(gf+".tags", "%v", err)
		}
		if len(g.Tags) == 0 {
			s.ResourceGroups[j].Tags = nil
		}
	}
	return nil
}

// checkRoleAssignments checks every assignment against the identity names
// and subscription ids of the sections before.
func (c *Config) checkRoleAssignments(names map[string]int, subs map[string]bool) error {
	seen := map[RoleAssignment]int{}
	for i, ra := range c.RoleAssignments {
		f := fmt.Sprintf("roleAssignments[%d]", i)
		if _, ok := names[ra.Identity]; !ok {
			return cfgErr(f+".identity", "%q names no identity (expected one of %s)", ra.Identity, strings.Join(sortedKeys(names), ", "))
		}
		if !slices.Contains(KnownRoles, ra.Role) {
			return cfgErr(f+".role", "%q is not a built-in role (expected one of %s)", ra.Role, strings.Join(KnownRoles, ", "))
		}
		sc, err := roles.ParseScope(ra.Scope)
		if err == nil && sc.Kind() < roles.KindSubscription {
			err = fmt.Errorf("%q is a %s scope; role assignments go on a subscription, resource group or resource", ra.Scope, sc.Kind())
		}
		if err != nil {
			return cfgErr(f+".scope", "%v (expected /subscriptions/{guid}[/resourceGroups/{name}[/providers/{namespace}/{type}/{name}]])", err)
		}
		sub := sc.Subscription()
		if !GUID.MatchString(sub) {
			return cfgErr(f+".scope", "%q: subscription %q is not a GUID", ra.Scope, sub)
		}
		if sc.ResourceGroup() != "" {
			if err := CheckRGName(sc.ResourceGroup()); err != nil {
				return cfgErr(f+".scope", "%q: %v", ra.Scope, err)
			}
		}
		if !subs[strings.ToLower(sub)] {
			return cfgErr(f+".scope", "subscription %s is not in subscriptions", sub)
		}
		if rg := sc.ResourceGroup(); rg != "" && !c.hasGroup(sub, rg) {
			// A role on a group that does not exist would come to life
			// when someone creates a group of that name.
			return cfgErr(f+".scope", "resource group %s is not in subscription %s's resourceGroups", rg, sub)
		}
		key := RoleAssignment{Identity: ra.Identity, Scope: strings.ToLower(ra.Scope), Role: ra.Role}
		if j, dup := seen[key]; dup {
			return cfgErr(f, "duplicates roleAssignments[%d]", j)
		}
		seen[key] = i
	}
	return nil
}

// hasGroup reports whether subscription sub lists group rg (both compared
// without regard to case).
func (c *Config) hasGroup(sub, rg string) bool {
	for _, s := range c.Subscriptions {
		if !strings.EqualFold(s.SubscriptionID, sub) {
			continue
		}
		for _, g := range s.ResourceGroups {
			if strings.EqualFold(g.Name, rg) {
				return true
			}
		}
	}
	return false
}
