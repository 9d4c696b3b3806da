package roles

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Action strings this package's own routes are authorized by.
const (
	ActionRoleAssignmentsRead   = "Microsoft.Authorization/roleAssignments/read"
	ActionRoleAssignmentsWrite  = "Microsoft.Authorization/roleAssignments/write"
	ActionRoleAssignmentsDelete = "Microsoft.Authorization/roleAssignments/delete"
	ActionRoleDefinitionsWrite  = "Microsoft.Authorization/roleDefinitions/write"
	ActionRoleDefinitionsDelete = "Microsoft.Authorization/roleDefinitions/delete"
)

// maxBody bounds a PUT body.
const maxBody = 64 << 10

// Serve answers a request for t on behalf of caller (already
// authenticated; the router has checked the api-version and that the
// scope exists). It authorizes by the route's own action:
// roleAssignments/read|write|delete at t.Scope, roleDefinitions/write on
// every assignable scope of a custom role. Role definitions are readable by
// every authenticated caller (unverified).
func (s *Store) Serve(w http.ResponseWriter, r *http.Request, t Target, caller Caller) {
	var e *Error
	switch t.Collection {
	case RoleAssignments:
		e = s.serveAssignments(w, r, t, caller)
	case RoleDefinitions:
		e = s.serveDefinitions(w, r, t, caller)
	default:
		e = errorf(http.StatusBadRequest, "InvalidResourceType", "The resource type '%s' could not be found in the namespace 'Microsoft.Authorization'.", t.Collection)
	}
	if e != nil {
		WriteError(w, e)
	}
}

func methodNotAllowed(r *http.Request) *Error {
	return errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The requested resource does not support http method '%s'.", r.Method)
}

// decodeBody reads one JSON object of at most maxBody bytes into v.
func decodeBody(r *http.Request, v any) *Error {
	invalid := func(why string) *Error {
		return errorf(http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized: '%s'.", why)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	switch {
	case err != nil:
		return invalid("reading the body failed: " + err.Error())
	case len(data) > maxBody:
		return invalid(fmt.Sprintf("the body is larger than %d bytes", maxBody))
	case len(bytes.TrimSpace(data)) == 0:
		return invalid("the body is empty; send a JSON object with properties")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return invalid(err.Error())
	}
	if dec.More() {
		return invalid("unexpected data after the JSON object")
	}
	return nil
}

func (s *Store) serveAssignments(w http.ResponseWriter, r *http.Request, t Target, caller Caller) *Error {
	scope := t.Scope.String()
	switch {
	case t.Name == "" && r.Method == http.MethodGet:
		if e := s.Authorize(caller, ActionRoleAssignmentsRead, scope); e != nil {
			return e
		}
		f, err := parseFilter(r.URL.Query().Get("$filter"), assignmentTerms)
		if err != nil {
			return errorf(http.StatusBadRequest, "InvalidFilterInQueryString", "The $filter '%s' is not valid: %v.", r.URL.Query().Get("$filter"), err)
		}
		principal := f.assignedTo
		if principal == "" {
			principal = f.principalID
		}
		out := list[assignmentJSON]{Value: []assignmentJSON{}}
		for _, a := range s.ListAssignments(t.Scope, AssignmentFilter{AtScope: f.atScope, Principal: principal}) {
			out.Value = append(out.Value, assignmentWire(a))
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	case t.Name == "":
		return methodNotAllowed(r)
	}
	switch r.Method {
	case http.MethodGet:
		if e := s.Authorize(caller, ActionRoleAssignmentsRead, scope); e != nil {
			return e
		}
		a, ok := s.GetAssignment(t.Scope, t.Name)
		if !ok {
			return errorf(http.StatusNotFound, "RoleAssignmentNotFound", "The role assignment '%s' is not found.", t.Name)
		}
		writeJSON(w, http.StatusOK, assignmentWire(a))
	case http.MethodPut:
		if e := s.Authorize(caller, ActionRoleAssignmentsWrite, scope); e != nil {
			return e
		}
		var body struct {
			Properties *struct {
				RoleDefinitionID string  `json:"roleDefinitionId"`
				PrincipalID      string  `json:"principalId"`
				PrincipalType    string  `json:"principalType"`
				Scope            string  `json:"scope"`
				Description      *string `json:"description"`
				Condition        *string `json:"condition"`
				ConditionVersion *string `json:"conditionVersion"`
			} `json:"properties"`
		}
		if e := decodeBody(r, &body); e != nil {
			return e
		}
		p := body.Properties
		switch {
		case p == nil:
			return errorf(http.StatusBadRequest, "InvalidRequestContent", "The request content has no 'properties'; send {\"properties\":{\"roleDefinitionId\":…,\"principalId\":…}}.")
		case p.RoleDefinitionID == "":
			return errorf(http.StatusBadRequest, "InvalidRequestContent", "properties.roleDefinitionId is required: the full id of the role, e.g. /subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/{guid}.")
		case p.PrincipalID == "":
			return errorf(http.StatusBadRequest, "InvalidRequestContent", "properties.principalId is required: the object id of the user, group or service principal.")
		}
		if p.Scope != "" {
			// Older api-versions and templates send the scope in the body;
			// it must agree with the route (wording unverified).
			if bs, err := ParseScope(p.Scope); err != nil || bs.Key() != t.Scope.Key() {
				return errorf(http.StatusBadRequest, "InvalidCreateRoleAssignmentRequest",
					"The request to create role assignment '%s' is not valid. Role assignment scope '%s' must match the scope specified on the URI '%s'.", t.Name, p.Scope, scope)
			}
		}
		a, created, e := s.PutAssignment(caller, AssignmentRequest{
			Name: t.Name, Scope: t.Scope, RoleDefinitionID: p.RoleDefinitionID,
			PrincipalID: p.PrincipalID, PrincipalType: p.PrincipalType,
			Description: deref(p.Description), Condition: deref(p.Condition), ConditionVersion: deref(p.ConditionVersion),
		})
		if e != nil {
			return e
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		writeJSON(w, status, assignmentWire(a))
	case http.MethodDelete:
		if e := s.Authorize(caller, ActionRoleAssignmentsDelete, scope); e != nil {
			return e
		}
		a, ok, e := s.DeleteAssignment(t.Scope, t.Name)
		if e != nil {
			return e
		}
		if !ok {
			writeEmpty(w, http.StatusNoContent)
			return nil
		}
		writeJSON(w, http.StatusOK, assignmentWire(a))
	default:
		return methodNotAllowed(r)
	}
	return nil
}

func (s *Store) serveDefinitions(w http.ResponseWriter, r *http.Request, t Target, caller Caller) *Error {
	root := roleDefinitionRoot(t.Scope.String())
	switch {
	case t.Name == "" && r.Method == http.MethodGet:
		f, err := parseFilter(r.URL.Query().Get("$filter"), definitionTerms)
		if err != nil {
			return errorf(http.StatusBadRequest, "InvalidFilterInQueryString", "The $filter '%s' is not valid: %v.", r.URL.Query().Get("$filter"), err)
		}
		out := list[definitionJSON]{Value: []definitionJSON{}}
		for _, d := range s.ListDefinitions(t.Scope, DefinitionFilter{RoleName: f.roleName, Type: f.roleType, AtScopeAndBelow: f.atScopeAndBelow}) {
			out.Value = append(out.Value, definitionWire(d, root))
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	case t.Name == "":
		return methodNotAllowed(r)
	}
	switch r.Method {
	case http.MethodGet:
		d, ok := s.Definition(t.Name)
		if !ok {
			return errorf(http.StatusNotFound, "RoleDefinitionDoesNotExist", "The specified role definition with ID '%s' does not exist.", t.Name)
		}
		writeJSON(w, http.StatusOK, definitionWire(d, root))
	case http.MethodPut:
		var body struct {
			Properties *struct {
				RoleName         string       `json:"roleName"`
				Description      string       `json:"description"`
				Type             string       `json:"type"`
				Permissions      []Permission `json:"permissions"`
				AssignableScopes []string     `json:"assignableScopes"`
			} `json:"properties"`
		}
		if e := decodeBody(r, &body); e != nil {
			return e
		}
		p := body.Properties
		if p == nil {
			return errorf(http.StatusBadRequest, "InvalidRequestContent", "The request content has no 'properties'; send {\"properties\":{\"roleName\":…,\"permissions\":[…],\"assignableScopes\":[…]}}.")
		}
		// Writing a custom role needs roleDefinitions/write at every scope
		// it can be assigned in (Learn, custom roles), and at the route's.
		for _, sc := range append([]string{t.Scope.String()}, p.AssignableScopes...) {
			if _, err := ParseScope(sc); err != nil {
				continue // reported by validation below
			}
			if e := s.Authorize(caller, ActionRoleDefinitionsWrite, sc); e != nil {
				return e
			}
		}
		d, _, e := s.PutCustomRole(caller, t.Name, Definition{
			RoleName: p.RoleName, Description: p.Description, Type: p.Type,
			Permissions: p.Permissions, AssignableScopes: p.AssignableScopes,
		})
		if e != nil {
			return e
		}
		// The spec lists only 201, for updates as well.
		writeJSON(w, http.StatusCreated, definitionWire(d, root))
	case http.MethodDelete:
		d, ok := s.Definition(t.Name)
		if !ok {
			writeEmpty(w, http.StatusNoContent)
			return nil
		}
		for _, sc := range append([]string{t.Scope.String()}, d.AssignableScopes...) {
			if d.Type == BuiltInRole {
				break // refused by DeleteCustomRole with a clearer message
			}
			if e := s.Authorize(caller, ActionRoleDefinitionsDelete, sc); e != nil {
				return e
			}
		}
		d, ok, e := s.DeleteCustomRole(t.Name)
		if e != nil {
			return e
		}
		if !ok {
			writeEmpty(w, http.StatusNoContent)
			return nil
		}
		writeJSON(w, http.StatusOK, definitionWire(d, root))
	default:
		return methodNotAllowed(r)
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
