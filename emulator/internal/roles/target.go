package roles

import (
	"net/http"
	"strings"
)

// Collections under Microsoft.Authorization that Serve answers.
const (
	RoleAssignments = "roleAssignments"
	RoleDefinitions = "roleDefinitions"
)

// Target is a request path split into the scope and what under
// /providers/Microsoft.Authorization it names.
type Target struct {
	Scope      Scope
	Collection string // RoleAssignments | RoleDefinitions
	Name       string // "" for the collection; as given otherwise
}

const authzMarker = "/providers/microsoft.authorization/"

// IsAuthorizationPath reports whether path addresses role definitions or
// role assignments at some scope ({scope}/providers/Microsoft.Authorization/
// roleDefinitions|roleAssignments[/…]); the router sends those to Serve.
// Other Microsoft.Authorization types (locks, policy) are not matched.
func IsAuthorizationPath(path string) bool {
	low := strings.ToLower(path)
	if !strings.HasPrefix(low, "/") {
		low = "/" + low
	}
	i := strings.LastIndex(low, authzMarker)
	if i < 0 {
		return false
	}
	collection, _, _ := strings.Cut(low[i+len(authzMarker):], "/")
	return collection == "roleassignments" || collection == "roledefinitions"
}

// ParseTarget splits path at its last /providers/Microsoft.Authorization/.
// Repeated slashes count as one, as for every other ARM route: the
// JavaScript SDK joins its endpoint and a scope that starts with '/' into
// "//subscriptions/…". An unknown collection is 400 InvalidResourceType; a
// malformed scope 400 InvalidScope (both unverified wording).
func ParseTarget(path string) (Target, *Error) {
	path = collapseSlashes(path)
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	low := strings.ToLower(path)
	i := strings.LastIndex(low, authzMarker)
	if i < 0 {
		return Target{}, errorf(http.StatusNotFound, "InvalidResourceNamespace",
			"The path '%s' does not address the resource provider 'Microsoft.Authorization'.", path)
	}
	scope, err := ParseScope(path[:i])
	if err != nil {
		return Target{}, errorf(http.StatusBadRequest, "InvalidScope", "%v", err)
	}
	rest := strings.TrimRight(path[i+len(authzMarker):], "/")
	collection, name, _ := strings.Cut(rest, "/")
	switch {
	case strings.EqualFold(collection, RoleAssignments):
		collection = RoleAssignments
	case strings.EqualFold(collection, RoleDefinitions):
		collection = RoleDefinitions
	default:
		return Target{}, errorf(http.StatusBadRequest, "InvalidResourceType",
			"The resource type '%s' could not be found in the namespace 'Microsoft.Authorization'. The emulator serves roleAssignments and roleDefinitions.", collection)
	}
	if strings.Contains(name, "/") {
		return Target{}, errorf(http.StatusBadRequest, "InvalidResourceType",
			"The path '%s' goes below %s/%s; nothing is nested there.", path, collection, strings.SplitN(name, "/", 2)[0])
	}
	return Target{Scope: scope, Collection: collection, Name: name}, nil
}

// collapseSlashes replaces every run of '/' with one.
func collapseSlashes(path string) string {
	if !strings.Contains(path, "//") {
		return path
	}
	var b strings.Builder
	b.Grow(len(path))
	for i := 0; i < len(path); i++ {
		if path[i] == '/' && i > 0 && path[i-1] == '/' {
			continue
		}
		b.WriteByte(path[i])
	}
	return b.String()
}
