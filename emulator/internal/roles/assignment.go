package roles

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// Assignment is a role assignment; also its persisted form.
type Assignment struct {
	Name             string    `json:"name"`             // GUID, lower case
	Scope            string    `json:"scope"`            // as the creator spelled it
	RoleDefinitionID string    `json:"roleDefinitionId"` // the role's GUID
	PrincipalID      string    `json:"principalId"`      // object id, lower case
	PrincipalType    string    `json:"principalType"`
	Description      string    `json:"description,omitempty"`
	Condition        string    `json:"condition,omitempty"` // stored and returned, not evaluated
	ConditionVersion string    `json:"conditionVersion,omitempty"`
	CreatedOn        time.Time `json:"createdOn"`
	UpdatedOn        time.Time `json:"updatedOn"`
	CreatedBy        string    `json:"createdBy,omitempty"`
	UpdatedBy        string    `json:"updatedBy,omitempty"`
}

// ID is the assignment's ARM id.
func (a Assignment) ID() string { return joinID(a.Scope, "roleAssignments", a.Name) }

func (a Assignment) scopeKey() string { return normalizeKey(a.Scope) }

func (a Assignment) dupKey() dupKey {
	return dupKey{scope: a.scopeKey(), principal: a.PrincipalID, role: a.RoleDefinitionID}
}

// joinID appends /providers/Microsoft.Authorization/{collection}/{name} to scope.
func joinID(scope, collection, name string) string {
	if scope == "/" || scope == "" {
		scope = ""
	}
	return scope + "/providers/Microsoft.Authorization/" + collection + "/" + name
}

// PrincipalTypes ARM accepts in principalType.
var principalTypes = []string{"User", "Group", "ServicePrincipal", "ForeignGroup", "Device"}

func canonicalPrincipalType(t string) (string, bool) {
	for _, p := range principalTypes {
		if strings.EqualFold(p, t) {
			return p, true
		}
	}
	return "", false
}

// AssignmentRequest is what a PUT of a role assignment asks for.
type AssignmentRequest struct {
	Name             string // the GUID from the route
	Scope            Scope
	RoleDefinitionID string // full role definition id (any scope prefix) or a bare GUID
	PrincipalID      string
	PrincipalType    string // optional
	Description      string
	Condition        string
	ConditionVersion string
	// AtOnce makes the assignment grant at once whatever the Delay
	// (assignments seeded from configuration exist before any request).
	AtOnce bool
}

// PutAssignment creates the assignment, or updates the description and
// condition of the one of that name. It does not authorize: the HTTP
// handler checks Microsoft.Authorization/roleAssignments/write first, and
// configuration seeding needs no caller. created reports a new assignment.
func (s *Store) PutAssignment(by Caller, req AssignmentRequest) (a Assignment, created bool, e *Error) {
	name, ok := ParseGUID(req.Name)
	if !ok {
		return Assignment{}, false, errorf(http.StatusBadRequest, "InvalidRoleAssignmentId",
			"The role assignment ID '%s' is not valid. The role assignment ID must be a GUID.", req.Name)
	}
	if req.Scope.Kind() < KindSubscription {
		return Assignment{}, false, errorf(http.StatusBadRequest, "InvalidScope",
			"The scope '%s' is a %s; the emulator supports role assignments at subscription, resource group and resource scopes.", req.Scope, req.Scope.Kind())
	}
	roleID, ok := roleGUIDFromID(req.RoleDefinitionID)
	if !ok {
		return Assignment{}, false, errorf(http.StatusBadRequest, "InvalidRoleDefinitionId",
			"The role definition ID '%s' is not valid. Expected /subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/{guid}.", req.RoleDefinitionID)
	}
	principal, ok := ParseGUID(req.PrincipalID)
	if !ok {
		return Assignment{}, false, errorf(http.StatusBadRequest, "InvalidPrincipalId",
			"The principal ID '%s' is not valid. It must be the object id (a GUID) of a user, group or service principal; for a managed identity use its principalId, not its clientId.", req.PrincipalID)
	}
	ptype := ""
	if req.PrincipalType != "" {
		if ptype, ok = canonicalPrincipalType(req.PrincipalType); !ok {
			return Assignment{}, false, errorf(http.StatusBadRequest, "InvalidRequestContent",
				"The principalType '%s' is not valid. Expected one of %s.", req.PrincipalType, strings.Join(principalTypes, ", "))
		}
	}
	if e := s.checkPrincipal(principal, req.PrincipalID, &ptype); e != nil {
		return Assignment{}, false, e
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	role := s.roles[roleID]
	if role == nil || !role.assignableAt(req.Scope) {
		// A custom role is invisible outside its assignableScopes, so ARM
		// reports it as missing there (unverified: code and status for that case).
		return Assignment{}, false, errorf(http.StatusBadRequest, "RoleDefinitionDoesNotExist",
			"The specified role definition with ID '%s' does not exist.", roleID)
	}
	now := s.now().UTC()
	next := Assignment{
		Name: name, Scope: req.Scope.String(), RoleDefinitionID: roleID,
		PrincipalID: principal, PrincipalType: ptype,
		Description: req.Description, Condition: req.Condition, ConditionVersion: req.ConditionVersion,
		CreatedOn: now, UpdatedOn: now, UpdatedBy: strings.ToLower(by.ObjectID),
	}
	if old := s.assignments[name]; old != nil {
		if old.scopeKey() != next.scopeKey() || old.PrincipalID != principal || old.RoleDefinitionID != roleID {
			return Assignment{}, false, errorf(http.StatusBadRequest, "RoleAssignmentUpdateNotPermitted",
				"Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
		}
		next.Scope, next.CreatedOn, next.CreatedBy = old.Scope, old.CreatedOn, old.CreatedBy
		if e := s.persistAssignment(next); e != nil {
			return Assignment{}, false, e
		}
		*old = next // evaluation reads only scope, principal and role, which are unchanged
		return next, false, nil
	}
	if _, dup := s.dups[next.dupKey()]; dup {
		return Assignment{}, false, errorf(http.StatusConflict, "RoleAssignmentExists", "The role assignment already exists.")
	}
	sub := strings.ToLower(req.Scope.Subscription())
	if s.perSub[sub] >= s.opts.MaxPerSubscription || len(s.assignments) >= s.opts.MaxAssignments {
		return Assignment{}, false, errorf(http.StatusBadRequest, "RoleAssignmentLimitExceeded",
			"No more role assignments can be created: the subscription '%s' has reached the limit of %d (or the emulator its limit of %d). Delete assignments you no longer need.",
			req.Scope.Subscription(), s.opts.MaxPerSubscription, s.opts.MaxAssignments)
	}
	if e := s.persistAssignment(next); e != nil {
		return Assignment{}, false, e
	}
	var from time.Time
	if s.opts.Delay > 0 && !req.AtOnce {
		from = now.Add(s.opts.Delay)
	}
	s.purgeLocked(now)
	stored := next
	s.addLocked(&stored, from)
	return next, true, nil
}

// checkPrincipal resolves the principal through the lookup: unknown →
// PrincipalNotFound; a principalType that contradicts the directory →
// UnmatchedPrincipalType; none given → the directory's.
func (s *Store) checkPrincipal(oid, asGiven string, ptype *string) *Error {
	if s.opts.Principals == nil {
		if *ptype == "" {
			*ptype = "ServicePrincipal"
		}
		return nil
	}
	p, ok := s.opts.Principals(oid)
	if !ok {
		// ARM prints the id without hyphens here (observed; unverified).
		return errorf(http.StatusBadRequest, "PrincipalNotFound",
			"Principal %s does not exist in the directory %s. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
			strings.ReplaceAll(asGiven, "-", ""), s.opts.TenantID)
	}
	actual := p.Type
	if actual == "" {
		actual = "ServicePrincipal"
	}
	if *ptype != "" && !strings.EqualFold(*ptype, actual) {
		// Wording (spelling included) as observed in deployment errors; unverified.
		return errorf(http.StatusBadRequest, "UnmatchedPrincipalType",
			"The PrincipalId '%s' has type '%s' , which is different from specified PrinciaplType '%s'.",
			asGiven, actual, *ptype)
	}
	*ptype = actual
	return nil
}

// roleGUIDFromID takes the GUID out of a role definition id, whatever
// scope it is rooted at (clients send the subscription-rooted form, ARM's
// spec examples answer tenant-rooted), or accepts a bare GUID.
func roleGUIDFromID(id string) (string, bool) {
	if g, ok := ParseGUID(id); ok {
		return g, true
	}
	const marker = "/providers/microsoft.authorization/roledefinitions/"
	low := strings.ToLower(id)
	i := strings.LastIndex(low, marker)
	if i < 0 {
		return "", false
	}
	if i > 0 {
		if _, err := ParseScope(id[:i]); err != nil {
			return "", false
		}
	}
	return ParseGUID(id[i+len(marker):])
}

// addLocked indexes a (new) assignment; from is when it starts to grant.
func (s *Store) addLocked(a *Assignment, from time.Time) {
	s.assignments[a.Name] = a
	s.dups[a.dupKey()] = a.Name
	if sc, err := ParseScope(a.Scope); err == nil {
		s.perSub[strings.ToLower(sc.Subscription())]++
	}
	byScope := s.eval[a.PrincipalID]
	if byScope == nil {
		byScope = map[string][]grant{}
		s.eval[a.PrincipalID] = byScope
	}
	key := a.scopeKey()
	byScope[key] = append(byScope[key], grant{name: a.Name, role: a.RoleDefinitionID, from: from})
}

// removeLocked unindexes an assignment. With a Delay its grant stays until
// now+Delay (leaving); immediate drops it at once (deleted scopes).
func (s *Store) removeLocked(a *Assignment, now time.Time, immediate bool) {
	delete(s.assignments, a.Name)
	delete(s.dups, a.dupKey())
	if sc, err := ParseScope(a.Scope); err == nil {
		sub := strings.ToLower(sc.Subscription())
		if s.perSub[sub]--; s.perSub[sub] <= 0 {
			delete(s.perSub, sub)
		}
	}
	key := a.scopeKey()
	if s.opts.Delay > 0 && !immediate {
		until := now.Add(s.opts.Delay)
		gs := s.eval[a.PrincipalID][key]
		for i := range gs {
			if gs[i].name == a.Name && gs[i].until.IsZero() {
				gs[i].until = until
			}
		}
		s.leaving = append(s.leaving, leavingGrant{principal: a.PrincipalID, scope: key, name: a.Name, until: until})
		return
	}
	s.dropGrantLocked(a.PrincipalID, key, a.Name)
}

// dropGrantLocked removes grant name from the index. A name re-created
// while its old grant was leaving has two grants; the leaving one (until
// set) goes first.
func (s *Store) dropGrantLocked(principal, key, name string) {
	byScope := s.eval[principal]
	gs := byScope[key]
	idx := -1
	for i := range gs {
		if gs[i].name == name {
			if idx < 0 || !gs[i].until.IsZero() {
				idx = i
			}
		}
	}
	if idx < 0 {
		return
	}
	gs = append(gs[:idx:idx], gs[idx+1:]...)
	if len(gs) == 0 {
		delete(byScope, key)
		if len(byScope) == 0 {
			delete(s.eval, principal)
		}
		return
	}
	byScope[key] = gs
}

// purgeLocked drops leaving grants whose time has passed, so the index
// stays bounded by the live assignments plus those deleted within Delay.
func (s *Store) purgeLocked(now time.Time) {
	kept := s.leaving[:0]
	for _, l := range s.leaving {
		if now.Before(l.until) {
			kept = append(kept, l)
			continue
		}
		s.dropGrantLocked(l.principal, l.scope, l.name)
	}
	for i := len(kept); i < len(s.leaving); i++ {
		s.leaving[i] = leavingGrant{}
	}
	s.leaving = kept
}

// GetAssignment returns the assignment name at scope (an assignment of that
// name at another scope is not found there, as in ARM).
func (s *Store) GetAssignment(scope Scope, name string) (Assignment, bool) {
	g, ok := ParseGUID(name)
	if !ok {
		return Assignment{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.assignments[g]
	if a == nil || a.scopeKey() != scope.Key() {
		return Assignment{}, false
	}
	return *a, true
}

// DeleteAssignment deletes the assignment name at scope; false if absent.
func (s *Store) DeleteAssignment(scope Scope, name string) (Assignment, bool, *Error) {
	g, ok := ParseGUID(name)
	if !ok {
		return Assignment{}, false, errorf(http.StatusBadRequest, "InvalidRoleAssignmentId",
			"The role assignment ID '%s' is not valid. The role assignment ID must be a GUID.", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.assignments[g]
	if a == nil || a.scopeKey() != scope.Key() {
		return Assignment{}, false, nil
	}
	if e := s.unpersistAssignment(g); e != nil {
		return Assignment{}, false, e
	}
	now := s.now().UTC()
	s.purgeLocked(now)
	s.removeLocked(a, now, false)
	return *a, true, nil
}

// RemoveScope deletes every assignment at scope or below it: the emulator
// calls it when it deletes a resource group or a resource. The removal
// applies at once, whatever the Delay.
func (s *Store) RemoveScope(scope Scope) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	n := 0
	for _, a := range s.assignments {
		if !keyContains(scope.Key(), a.scopeKey()) {
			continue
		}
		if e := s.unpersistAssignment(a.Name); e != nil {
			return n, e
		}
		s.removeLocked(a, now, true)
		n++
	}
	return n, nil
}

// AssignmentFilter selects assignments in ListAssignments.
type AssignmentFilter struct {
	AtScope   bool   // only at the scope and above (inherited), not below
	Principal string // only this principal's (assignedTo / principalId eq)
}

// ListAssignments returns the assignments at, above and (unless AtScope)
// below scope, sorted by scope and name.
func (s *Store) ListAssignments(scope Scope, f AssignmentFilter) []Assignment {
	principal := strings.ToLower(f.Principal)
	key := scope.Key()
	s.mu.RLock()
	var out []Assignment
	for _, a := range s.assignments {
		if principal != "" && a.PrincipalID != principal {
			continue
		}
		ak := a.scopeKey()
		if keyContains(ak, key) || (!f.AtScope && keyContains(key, ak)) {
			out = append(out, *a)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		ki, kj := out[i].scopeKey(), out[j].scopeKey()
		if ki != kj {
			return ki < kj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Len is the number of role assignments.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.assignments)
}
