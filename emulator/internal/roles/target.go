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

// APIVersions are the api-versions the emulator accepts on these routes
// (checked by the router). 2022-04-01 is what armauthorization/v2 and the
// Learn REST pages use; the others are older or preview versions peers
// pin (the Azure CLI's role definitions: 2022-05-01-preview; unverified).
var APIVersions = []string{
	"2015-07-01", "2018-01-01-preview", "2018-07-01", "2018-09-01-preview",
	"2020-04-01-preview", "2020-08-01-preview", "2020-10-01-preview",
	"2021-04-01-preview", "2022-04-01", "2022-05-01-preview",
}

// Target is a request path split into the scope and what under
// /providers/Microsoft.Authorization it names.
type Target struct {
	Scope      Scope
	Collection string // RoleAssignments | RoleDefinitions
	Name       string // "" for the collection; as given otherwise
}

const authzMarker = "/providers/microsoft.authorization/"

// IsAuthorizationPath reports whether path addresses the
// Microsoft.Authorization provider at some scope (ARM routes such a path
// to this package whatever precedes it).
func IsAuthorizationPath(path string) bool {
	return strings.Contains(strings.ToLower(path), authzMarker) ||
		strings.HasPrefix(strings.ToLower(path), authzMarker[1:])
}

// ParseTarget splits path at its last /providers/Microsoft.Authorization/.
// An unknown collection is 400 InvalidResourceType; a malformed scope 400
// InvalidScope (both unverified wording).
func ParseTarget(path string) (Target, *Error) {
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
