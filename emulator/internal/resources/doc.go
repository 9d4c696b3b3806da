// Package resources serves generic Azure Resource Manager resources for the
// emulator: any resource type under a subscription or resource group, child
// and extension resources, PUT/GET/HEAD/PATCH/DELETE with ARM's status codes
// and asynchronous operations, the /resources listings with $filter and
// keyset paging, and discovery (resource providers, locations and the
// /metadata/endpoints cloud description).
//
// The package owns its state (Store, persisted through a Persister) and
// takes everything else as explicit dependencies: authentication,
// authorization, subscription and resource-group existence, the clock and
// the logger (Options). The emulator's ARM service routes to it every path
// that is not one of its own (subscriptions, resource groups).
//
// Wire details are in docs/arm-resources.md; facts marked "unverified" there
// are marked so in the code as well.
package resources
