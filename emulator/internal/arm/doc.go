// Package arm emulates the subset of Azure Resource Manager that the
// clients use: tenants, subscriptions, resource groups (CRUD, tag filters,
// $top, key-set paging, long-running deletes with operation results),
// bearer-token authentication, RBAC through package roles, and per-identity
// throttling. Routes come from a table of patterns and handlers (Route);
// package emulator's routes.go holds it. State lives in a store.Store with
// an in-memory sorted index; reads share a lock and answers are encoded
// after it is released.
package arm
