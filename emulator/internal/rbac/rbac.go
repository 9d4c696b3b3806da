// Package rbac decides what a caller may do from the role assignments of
// the configuration: the built-in Reader, Contributor and Owner roles on
// subscription and resource-group scopes.
package rbac

import (
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/config"
)

// Action is what a request needs permission for.
type Action int

const (
	// Read, Write and Delete are the resource-group operations.
	Read Action = iota
	Write
	Delete
)

// Name is the ARM operation name used in AuthorizationFailed messages.
func (a Action) Name() string {
	switch a {
	case Write:
		return "Microsoft.Resources/subscriptions/resourcegroups/write"
	case Delete:
		return "Microsoft.Resources/subscriptions/resourcegroups/delete"
	}
	return "Microsoft.Resources/subscriptions/resourcegroups/read"
}

// roleAllows: Reader may read; Contributor and Owner may also write and
// delete (the built-in roles' effect on resource groups).
func roleAllows(role string, act Action) bool {
	switch role {
	case "Owner", "Contributor":
		return true
	case "Reader":
		return act == Read
	}
	return false
}

// Grant is one role assignment of the caller, parsed.
type Grant struct {
	sub, group string // group "" = subscription scope
	role       string
}

// Role is the grant's role name (Owner, Contributor, Reader).
func (g Grant) Role() string { return g.role }

// For returns the role assignments of ident (nil → none).
func For(cfg *config.Config, ident *config.Identity) []Grant {
	if cfg == nil || ident == nil {
		return nil
	}
	var out []Grant
	for _, ra := range cfg.RoleAssignments {
		if ra.Identity != ident.Name {
			continue
		}
		sub, rg, err := config.ParseScope(ra.Scope)
		if err != nil {
			continue // validated at config load; never happens
		}
		out = append(out, Grant{sub: sub, group: rg, role: ra.Role})
	}
	return out
}

// Filter returns the grants whose scope keep accepts (group "" for a
// subscription scope).
func Filter(grants []Grant, keep func(sub, group string) bool) []Grant {
	out := grants[:0:0]
	for _, g := range grants {
		if keep(g.sub, g.group) {
			out = append(out, g)
		}
	}
	return out
}

// Allowed reports whether the caller may perform act on group in sub
// (group "" = on the subscription scope itself, e.g. listing).
func Allowed(grants []Grant, sub, group string, act Action) bool {
	for _, g := range grants {
		if !strings.EqualFold(g.sub, sub) || !roleAllows(g.role, act) {
			continue
		}
		if g.group == "" || (group != "" && strings.EqualFold(g.group, group)) {
			return true
		}
	}
	return false
}

// SeesSubscription: any role at the subscription or one of its groups makes
// the subscription visible (GET /subscriptions lists it).
func SeesSubscription(grants []Grant, sub string) bool {
	for _, g := range grants {
		if strings.EqualFold(g.sub, sub) {
			return true
		}
	}
	return false
}

// ReadableGroups returns (true, nil) if the caller may read every group in
// sub, else the set of lower-case group names it may read.
func ReadableGroups(grants []Grant, sub string) (all bool, some map[string]bool) {
	some = map[string]bool{}
	for _, g := range grants {
		if !strings.EqualFold(g.sub, sub) || !roleAllows(g.role, Read) {
			continue
		}
		if g.group == "" {
			return true, nil
		}
		some[strings.ToLower(g.group)] = true
	}
	return false, some
}
