// Package roles is the emulator's Azure RBAC: built-in and custom role
// definitions, role assignments at subscription, resource-group, resource
// and child scope, and the evaluation that decides whether a principal may
// perform an action (control plane) or a data action (data planes such as
// Key Vault) at a scope.
//
// A Store holds both tables. Its Allowed and DataAllowed answer in well
// under a microsecond with thousands of assignments: assignments are
// indexed by principal and then by lower-cased scope, and a request walks
// only the segment-boundary prefixes of its own scope. Serve answers the
// Microsoft.Authorization routes (roleDefinitions, roleAssignments) for a
// scope the caller has already split off the path (ParseTarget).
//
// What is modelled and what is assumed is written up in docs/rbac.md; every
// assumption not confirmed in a primary source is marked "unverified" there
// and at the code that relies on it.
package roles
