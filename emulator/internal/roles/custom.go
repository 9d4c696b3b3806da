package roles

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// maxRoleNameLen bounds a custom role's name and description.
const (
	maxRoleNameLen     = 512
	maxDescriptionLen  = 2048
	maxPatternsPerRole = 1000
)

// PutCustomRole creates or updates the custom role name. It does not
// authorize: the HTTP handler checks
// Microsoft.Authorization/roleDefinitions/write on every assignable scope.
// created reports a new role. A change applies to evaluation at once.
func (s *Store) PutCustomRole(by Caller, name string, d Definition) (out Definition, created bool, e *Error) {
	g, ok := ParseGUID(name)
	if !ok {
		return Definition{}, false, errorf(http.StatusBadRequest, "InvalidRoleDefinitionId",
			"The role definition ID '%s' is not valid. The role definition ID must be a GUID.", name)
	}
	d.Name = g
	if d.Type == "" {
		d.Type = CustomRole
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.roles[g]
	if old != nil && old.def.Type == BuiltInRole {
		return Definition{}, false, errorf(http.StatusBadRequest, "RoleDefinitionUpdateNotPermitted",
			"The role definition '%s' is the built-in role '%s'; built-in roles cannot be changed. Create a custom role under a new GUID.", g, old.def.RoleName)
	}
	if e := s.validateCustomLocked(&d); e != nil {
		return Definition{}, false, e
	}
	if old == nil && s.custom >= s.opts.MaxCustomRoles {
		return Definition{}, false, errorf(http.StatusBadRequest, "RoleDefinitionLimitExceeded",
			"No more custom roles can be created: the limit is %d per tenant. Delete custom roles you no longer need.", s.opts.MaxCustomRoles)
	}
	now := s.now().UTC()
	d.CreatedOn, d.UpdatedOn, d.UpdatedBy = now, now, strings.ToLower(by.ObjectID)
	d.CreatedBy = d.UpdatedBy
	if old != nil {
		d.CreatedOn, d.CreatedBy = old.def.CreatedOn, old.def.CreatedBy
	}
	if s.opts.Persister != nil {
		if err := s.opts.Persister.PutDefinition(d); err != nil {
			return Definition{}, false, errorf(http.StatusInternalServerError, "InternalServerError",
				"The emulator could not save role definition %s: %v", g, err)
		}
	}
	stored := d
	s.putRoleLocked(&stored)
	return d, old == nil, nil
}

// validateCustomLocked checks a custom role and normalises it (type,
// empty lists as []).
func (s *Store) validateCustomLocked(d *Definition) *Error {
	bad := func(code, format string, args ...any) *Error {
		return errorf(http.StatusBadRequest, code, format, args...)
	}
	if _, ok := ParseGUID(d.Name); !ok {
		return bad("InvalidRoleDefinitionId", "The role definition ID '%s' is not valid. The role definition ID must be a GUID.", d.Name)
	}
	if !strings.EqualFold(d.Type, CustomRole) {
		return bad("InvalidRoleDefinition", "properties.type is '%s'; only roles of type 'CustomRole' can be created.", d.Type)
	}
	d.Type = CustomRole
	d.RoleName = strings.TrimSpace(d.RoleName)
	switch {
	case d.RoleName == "":
		return bad("InvalidRoleDefinition", "properties.roleName is required: give the custom role a name.")
	case len(d.RoleName) > maxRoleNameLen:
		return bad("InvalidRoleDefinition", "properties.roleName is %d characters long; at most %d are allowed.", len(d.RoleName), maxRoleNameLen)
	case len(d.Description) > maxDescriptionLen:
		return bad("InvalidRoleDefinition", "properties.description is %d characters long; at most %d are allowed.", len(d.Description), maxDescriptionLen)
	}
	if other, taken := s.roleNames[strings.ToLower(d.RoleName)]; taken && other != d.Name {
		return errorf(http.StatusConflict, "RoleDefinitionWithSameNameExists",
			"A role definition named '%s' already exists (%s). Role names are unique in the directory.", d.RoleName, other)
	}
	if len(d.Permissions) == 0 {
		return bad("InvalidRoleDefinition", "properties.permissions is empty: a custom role needs one entry with actions or dataActions.")
	}
	grantsSomething, total := false, 0
	for i := range d.Permissions {
		p := &d.Permissions[i]
		for _, f := range []struct {
			name string
			list *[]string
		}{{"actions", &p.Actions}, {"notActions", &p.NotActions}, {"dataActions", &p.DataActions}, {"notDataActions", &p.NotDataActions}} {
			if *f.list == nil {
				*f.list = []string{}
			}
			total += len(*f.list)
			for _, a := range *f.list {
				if err := checkActionSyntax(fmt.Sprintf("properties.permissions[%d].%s", i, f.name), a); err != nil {
					return bad("InvalidActionOrNotAction", "%s", err.Error())
				}
			}
		}
		grantsSomething = grantsSomething || len(p.Actions) > 0 || len(p.DataActions) > 0
	}
	if total > maxPatternsPerRole {
		return bad("InvalidRoleDefinition", "the role lists %d actions in all; at most %d are allowed.", total, maxPatternsPerRole)
	}
	if !grantsSomething {
		return bad("InvalidRoleDefinition", "the role grants nothing: list at least one entry in properties.permissions[].actions or .dataActions.")
	}
	if len(d.AssignableScopes) == 0 {
		return bad("InvalidRoleDefinition", "properties.assignableScopes is empty: list the subscriptions, resource groups or management groups the role may be assigned in.")
	}
	for i, a := range d.AssignableScopes {
		sc, err := ParseScope(a)
		if err != nil {
			return bad("InvalidRoleDefinition", "properties.assignableScopes[%d]: %v", i, err)
		}
		if sc.Kind() == KindTenant {
			return bad("InvalidRoleDefinition", "properties.assignableScopes[%d] is the root scope '/'; custom roles must name subscriptions, resource groups, resources or management groups.", i)
		}
		d.AssignableScopes[i] = sc.String()
	}
	return nil
}

func (s *Store) putRoleLocked(d *Definition) {
	if old := s.roles[d.Name]; old != nil {
		delete(s.roleNames, strings.ToLower(old.def.RoleName))
	} else if d.Type == CustomRole {
		s.custom++
	}
	s.roles[d.Name] = compileRole(d)
	s.roleNames[strings.ToLower(d.RoleName)] = d.Name
}

// DeleteCustomRole deletes a custom role; false if there is none of that
// name. A role still assigned is refused.
func (s *Store) DeleteCustomRole(name string) (Definition, bool, *Error) {
	g, ok := ParseGUID(name)
	if !ok {
		return Definition{}, false, errorf(http.StatusBadRequest, "InvalidRoleDefinitionId",
			"The role definition ID '%s' is not valid. The role definition ID must be a GUID.", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.roles[g]
	if r == nil {
		return Definition{}, false, nil
	}
	if r.def.Type == BuiltInRole {
		return Definition{}, false, errorf(http.StatusBadRequest, "RoleDefinitionUpdateNotPermitted",
			"The role definition '%s' is the built-in role '%s'; built-in roles cannot be deleted.", g, r.def.RoleName)
	}
	n := 0
	for _, a := range s.assignments {
		if a.RoleDefinitionID == g {
			n++
		}
	}
	if n > 0 {
		return Definition{}, false, errorf(http.StatusBadRequest, "RoleDefinitionHasAssignments",
			"The role definition '%s' ('%s') is used by %d role assignment(s); delete them first.", g, r.def.RoleName, n)
	}
	if s.opts.Persister != nil {
		if err := s.opts.Persister.DeleteDefinition(g); err != nil {
			return Definition{}, false, errorf(http.StatusInternalServerError, "InternalServerError",
				"The emulator could not delete role definition %s from its state: %v", g, err)
		}
	}
	delete(s.roles, g)
	delete(s.roleNames, strings.ToLower(r.def.RoleName))
	s.custom--
	return *r.def, true, nil
}

// Definition returns the role definition with that GUID (built-in or custom).
func (s *Store) Definition(name string) (Definition, bool) {
	g, ok := ParseGUID(name)
	if !ok {
		return Definition{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if r := s.roles[g]; r != nil {
		return *r.def, true
	}
	return Definition{}, false
}

// DefinitionByName finds a role by its roleName, case-insensitively.
func (s *Store) DefinitionByName(roleName string) (Definition, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if g, ok := s.roleNames[strings.ToLower(strings.TrimSpace(roleName))]; ok {
		return *s.roles[g].def, true
	}
	return Definition{}, false
}

// DefinitionFilter selects role definitions in ListDefinitions.
type DefinitionFilter struct {
	RoleName        string // exact, case-insensitive
	Type            string // BuiltInRole | CustomRole
	AtScopeAndBelow bool   // also custom roles assignable only below scope
}

// ListDefinitions returns the roles visible at scope: every built-in role,
// and the custom roles assignable there (or below, with AtScopeAndBelow),
// sorted by role name.
func (s *Store) ListDefinitions(scope Scope, f DefinitionFilter) []Definition {
	s.mu.RLock()
	var out []Definition
	for _, r := range s.roles {
		d := r.def
		if f.RoleName != "" && !strings.EqualFold(d.RoleName, f.RoleName) {
			continue
		}
		if f.Type != "" && !strings.EqualFold(d.Type, f.Type) {
			continue
		}
		if d.Type == CustomRole && !r.assignableAt(scope) && !(f.AtScopeAndBelow && r.assignableBelow(scope)) {
			continue
		}
		out = append(out, *d)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].RoleName) < strings.ToLower(out[j].RoleName) })
	return out
}

func (c *compiledRole) assignableBelow(scope Scope) bool {
	for _, a := range c.assignable {
		if scope.Contains(a) {
			return true
		}
	}
	return false
}
