package emulator

import (
	"fmt"
	"net/http"
	"strings"
)

// armAction is what a request needs permission for.
type armAction int

const (
	actionRead armAction = iota
	actionWrite
	actionDelete
)

// name is the ARM operation name used in AuthorizationFailed messages.
func (a armAction) name() string {
	switch a {
	case actionWrite:
		return "Microsoft.Resources/subscriptions/resourcegroups/write"
	case actionDelete:
		return "Microsoft.Resources/subscriptions/resourcegroups/delete"
	}
	return "Microsoft.Resources/subscriptions/resourcegroups/read"
}

// roleAllows: Reader may read; Contributor and Owner may also write and
// delete (the built-in roles' effect on resource groups).
func roleAllows(role string, act armAction) bool {
	switch role {
	case "Owner", "Contributor":
		return true
	case "Reader":
		return act == actionRead
	}
	return false
}

// grant is one role assignment of the caller, parsed.
type grant struct {
	sub, group string // group "" = subscription scope
	role       string
}

// grantsFor returns the role assignments of ident (nil → none).
func grantsFor(cfg *Config, ident *Identity) []grant {
	if cfg == nil || ident == nil {
		return nil
	}
	var out []grant
	for _, ra := range cfg.RoleAssignments {
		if ra.Identity != ident.Name {
			continue
		}
		sub, rg, err := ParseScope(ra.Scope)
		if err != nil {
			continue // validated at config load; never happens
		}
		out = append(out, grant{sub: sub, group: rg, role: ra.Role})
	}
	return out
}

// allowed reports whether the caller may perform act on group in sub
// (group "" = on the subscription scope itself, e.g. listing).
func allowed(grants []grant, sub, group string, act armAction) bool {
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

// seesSubscription: any role at the subscription or one of its groups makes
// the subscription visible (GET /subscriptions lists it).
func seesSubscription(grants []grant, sub string) bool {
	for _, g := range grants {
		if strings.EqualFold(g.sub, sub) {
			return true
		}
	}
	return false
}

// readableGroups returns (true, nil) if the caller may read every group in
// sub, else the set of lower-case group names it may read.
func readableGroups(grants []grant, sub string) (all bool, some map[string]bool) {
	some = map[string]bool{}
	for _, g := range grants {
		if !strings.EqualFold(g.sub, sub) || !roleAllows(g.role, actionRead) {
			continue
		}
		if g.group == "" {
			return true, nil
		}
		some[strings.ToLower(g.group)] = true
	}
	return false, some
}

// forbid writes ARM's 403 AuthorizationFailed for act over scope.
func forbid(req *armReq, act armAction, scope string) {
	appID, oid := req.principal()
	req.header().Set("x-ms-failure-cause", "gateway")
	req.fail(http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf(
		"The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
		appID, oid, act.name(), scope))
}
