package roles

import (
	"time"
)

// armTime is ARM's timestamp form (seven fractional digits, UTC).
func armTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format("2006-01-02T15:04:05.0000000Z")
	return &s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// roleDefinitionRoot is what role definition ids are rooted at when read
// at scope: the subscription of the scope, else the tenant.
func roleDefinitionRoot(scope string) string {
	sc, err := ParseScope(scope)
	if err != nil || sc.Subscription() == "" {
		return ""
	}
	return "/subscriptions/" + sc.Subscription()
}

type definitionJSON struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Properties definitionProps `json:"properties"`
}

type definitionProps struct {
	RoleName         string       `json:"roleName"`
	Type             string       `json:"type"`
	Description      string       `json:"description"`
	AssignableScopes []string     `json:"assignableScopes"`
	Permissions      []Permission `json:"permissions"`
	CreatedOn        *string      `json:"createdOn"`
	UpdatedOn        *string      `json:"updatedOn"`
	CreatedBy        *string      `json:"createdBy"`
	UpdatedBy        *string      `json:"updatedBy"`
}

func definitionWire(d Definition, root string) definitionJSON {
	return definitionJSON{
		ID:   root + "/providers/Microsoft.Authorization/roleDefinitions/" + d.Name,
		Name: d.Name, Type: "Microsoft.Authorization/roleDefinitions",
		Properties: definitionProps{
			RoleName: d.RoleName, Type: d.Type, Description: d.Description,
			AssignableScopes: d.AssignableScopes, Permissions: d.Permissions,
			CreatedOn: armTime(d.CreatedOn), UpdatedOn: armTime(d.UpdatedOn),
			CreatedBy: nullable(d.CreatedBy), UpdatedBy: nullable(d.UpdatedBy),
		},
	}
}

type assignmentJSON struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Properties assignmentProps `json:"properties"`
}

type assignmentProps struct {
	RoleDefinitionID                   string  `json:"roleDefinitionId"`
	PrincipalID                        string  `json:"principalId"`
	PrincipalType                      string  `json:"principalType"`
	Scope                              string  `json:"scope"`
	Condition                          *string `json:"condition"`
	ConditionVersion                   *string `json:"conditionVersion"`
	CreatedOn                          *string `json:"createdOn"`
	UpdatedOn                          *string `json:"updatedOn"`
	CreatedBy                          *string `json:"createdBy"`
	UpdatedBy                          *string `json:"updatedBy"`
	DelegatedManagedIdentityResourceID *string `json:"delegatedManagedIdentityResourceId"`
	Description                        *string `json:"description"`
}

// assignmentWire answers with the subscription-rooted roleDefinitionId, the
// form the Azure CLI shows (the spec's example is tenant-rooted; which one
// ARM really returns is unverified).
func assignmentWire(a Assignment) assignmentJSON {
	return assignmentJSON{
		ID: a.ID(), Name: a.Name, Type: "Microsoft.Authorization/roleAssignments",
		Properties: assignmentProps{
			RoleDefinitionID: roleDefinitionRoot(a.Scope) + "/providers/Microsoft.Authorization/roleDefinitions/" + a.RoleDefinitionID,
			PrincipalID:      a.PrincipalID, PrincipalType: a.PrincipalType, Scope: a.Scope,
			Condition: nullable(a.Condition), ConditionVersion: nullable(a.ConditionVersion),
			CreatedOn: armTime(a.CreatedOn), UpdatedOn: armTime(a.UpdatedOn),
			CreatedBy: nullable(a.CreatedBy), UpdatedBy: nullable(a.UpdatedBy),
			Description: nullable(a.Description),
		},
	}
}

type list[T any] struct {
	Value []T `json:"value"`
}
