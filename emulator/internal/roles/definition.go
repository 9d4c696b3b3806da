package roles

import "time"

// Role definition types (properties.type).
const (
	BuiltInRole = "BuiltInRole"
	CustomRole  = "CustomRole"
)

// Permission is one entry of a role's permissions array.
type Permission struct {
	Actions        []string `json:"actions"`
	NotActions     []string `json:"notActions"`
	DataActions    []string `json:"dataActions"`
	NotDataActions []string `json:"notDataActions"`
}

// Definition is a role definition: a built-in role or a custom role. It is
// also the persisted form of a custom role.
type Definition struct {
	Name             string       `json:"name"` // the GUID, lower case
	RoleName         string       `json:"roleName"`
	Description      string       `json:"description,omitempty"`
	Type             string       `json:"type"` // BuiltInRole | CustomRole
	Permissions      []Permission `json:"permissions"`
	AssignableScopes []string     `json:"assignableScopes"`
	CreatedOn        time.Time    `json:"createdOn,omitzero"`
	UpdatedOn        time.Time    `json:"updatedOn,omitzero"`
	CreatedBy        string       `json:"createdBy,omitempty"`
	UpdatedBy        string       `json:"updatedBy,omitempty"`
}

// compiledRole is a definition ready for evaluation.
type compiledRole struct {
	def         *Definition
	permissions []compiledPermission
	assignable  []Scope // parsed AssignableScopes; "/" = everywhere
}

type compiledPermission struct {
	actions, notActions, dataActions, notDataActions []pattern
}

func compileRole(d *Definition) *compiledRole {
	c := &compiledRole{def: d}
	for _, p := range d.Permissions {
		c.permissions = append(c.permissions, compiledPermission{
			actions:        compileAll(p.Actions),
			notActions:     compileAll(p.NotActions),
			dataActions:    compileAll(p.DataActions),
			notDataActions: compileAll(p.NotDataActions),
		})
	}
	for _, s := range d.AssignableScopes {
		if sc, err := ParseScope(s); err == nil {
			c.assignable = append(c.assignable, sc)
		}
	}
	return c
}

// grants reports whether one permissions entry allows action: it matches
// an action (data action) and no notAction (notDataAction) of the same
// entry. NotActions are no deny rule: another entry or role may still
// grant the action.
func (c *compiledRole) grants(action string, data bool) bool {
	for i := range c.permissions {
		p := &c.permissions[i]
		allow, deny := p.actions, p.notActions
		if data {
			allow, deny = p.dataActions, p.notDataActions
		}
		if anyMatch(allow, action) && !anyMatch(deny, action) {
			return true
		}
	}
	return false
}

// assignableAt reports whether the role may be assigned at scope: one of
// its assignableScopes is the scope or above it.
func (c *compiledRole) assignableAt(scope Scope) bool {
	for _, a := range c.assignable {
		if a.Contains(scope) {
			return true
		}
	}
	return false
}
