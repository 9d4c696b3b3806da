package resources

import (
	"net/http"
	"strings"
)

// Kind is what a request path addresses.
type Kind int

const (
	KindNone            Kind = iota // not served by this package
	KindResource                    // one resource (GET, HEAD, PUT, PATCH, DELETE)
	KindCollection                  // the resources of one type under a parent (GET)
	KindAction                      // POST {resource}/{action}
	KindListResources               // /subscriptions/{s}[/resourceGroups/{rg}]/resources
	KindProviders                   // /providers, /subscriptions/{s}/providers
	KindProvider                    // /providers/{ns}, /subscriptions/{s}/providers/{ns}
	KindProviderAction              // POST /subscriptions/{s}/providers/{ns}/{register|unregister}
	KindLocations                   // /subscriptions/{s}/locations
	KindOperationStatus             // /subscriptions/{s}/providers/{ns}/locations/{loc}/operationStatuses/{op}
	KindOperationResult             // …/operationResults/{op}
	KindMetadata                    // /metadata/endpoints
)

// Route is a classified request path.
type Route struct {
	Kind           Kind
	SubscriptionID string // as sent
	ResourceGroup  string // for KindListResources at group scope
	Namespace      string // providers, operations
	Action         string // KindAction, KindProviderAction
	Location       string // operations
	Operation      string // operation token
	ID             *ID    // KindResource, KindCollection, KindAction (the resource acted on)
}

// routeError is a path that is this package's but malformed.
type routeError struct {
	status        int
	code, message string
}

// Classify parses an escaped request path. It returns KindNone (and no
// error) for paths this package does not serve, such as /subscriptions or
// /subscriptions/{s}/resourcegroups/{rg}: the emulator's own routes.
func Classify(method, escapedPath string) (Route, *routeError) {
	if len(escapedPath) > maxPathLen {
		return Route{}, &routeError{http.StatusBadRequest, "InvalidResourceId", "The request path is longer than 4096 characters."}
	}
	seg, ok := segments(escapedPath)
	if !ok {
		return Route{}, &routeError{http.StatusBadRequest, "InvalidResourceId", "The request path has a segment that is not valid percent-encoding."}
	}
	is := strings.EqualFold
	n := len(seg)
	switch {
	case n == 2 && is(seg[0], "metadata") && is(seg[1], "endpoints"):
		return Route{Kind: KindMetadata}, nil
	case n == 1 && is(seg[0], "providers"):
		return Route{Kind: KindProviders}, nil
	case n == 2 && is(seg[0], "providers"):
		return Route{Kind: KindProvider, Namespace: seg[1]}, nil
	case n < 3 || !is(seg[0], "subscriptions"):
		return Route{}, nil
	}
	sub := seg[1]
	switch {
	case n == 3 && is(seg[2], "resources"):
		return Route{Kind: KindListResources, SubscriptionID: sub}, nil
	case n == 3 && is(seg[2], "locations"):
		return Route{Kind: KindLocations, SubscriptionID: sub}, nil
	case n == 3 && is(seg[2], "providers"):
		return Route{Kind: KindProviders, SubscriptionID: sub}, nil
	case n == 4 && is(seg[2], "providers"):
		return Route{Kind: KindProvider, SubscriptionID: sub, Namespace: seg[3]}, nil
	case n == 5 && is(seg[2], "providers") && method == http.MethodPost && (is(seg[4], "register") || is(seg[4], "unregister")):
		return Route{Kind: KindProviderAction, SubscriptionID: sub, Namespace: seg[3], Action: strings.ToLower(seg[4])}, nil
	case n == 8 && is(seg[2], "providers") && is(seg[4], "locations") && (is(seg[6], "operationStatuses") || is(seg[6], "operationResults")):
		r := Route{Kind: KindOperationStatus, SubscriptionID: sub, Namespace: seg[3], Location: seg[5], Operation: seg[7]}
		if is(seg[6], "operationResults") {
			r.Kind = KindOperationResult
		}
		return r, nil
	case n == 5 && is(seg[2], "resourceGroups") && is(seg[4], "resources"):
		return Route{Kind: KindListResources, SubscriptionID: sub, ResourceGroup: seg[3]}, nil
	case is(seg[2], "resourceGroups") && (n <= 4 || !is(seg[4], "providers")):
		return Route{}, nil // the groups themselves and their actions: the emulator's
	case !is(seg[2], "providers") && !is(seg[2], "resourceGroups"):
		return Route{}, nil
	}
	id, rerr := parseID(seg)
	if rerr != nil {
		return Route{}, rerr
	}
	r := Route{SubscriptionID: sub, ResourceGroup: id.ResourceGroup, Namespace: id.Namespace, ID: id}
	switch {
	case id.IsResource():
		r.Kind = KindResource
	case method == http.MethodPost && len(id.Types) > 1:
		// POST {resource}/{action}: the last "type" is the action's name.
		act := *id
		r.Action = id.Types[len(id.Types)-1]
		act.Types = id.Types[:len(id.Types)-1]
		r.Kind, r.ID = KindAction, &act
	default:
		r.Kind = KindCollection
	}
	return r, nil
}

// parseID parses the segments of a path that starts
// /subscriptions/{s}/(resourceGroups/{rg}/)?providers/{ns}/{type}….
func parseID(seg []string) (*ID, *routeError) {
	is := strings.EqualFold
	bad := func(code, msg string) (*ID, *routeError) {
		return nil, &routeError{http.StatusBadRequest, code, msg}
	}
	cur := &ID{SubscriptionID: seg[1]}
	i := 2
	if is(seg[i], "resourceGroups") {
		cur.ResourceGroup = seg[3]
		if msg := checkGroupName(seg[3]); msg != "" {
			return bad("InvalidResourceGroup", msg)
		}
		i = 4
	}
	levels := 0
	for i < len(seg) {
		if !is(seg[i], "providers") || i+2 >= len(seg) {
			return bad("InvalidResourceId", "The resource id is invalid: expected '/providers/{namespace}/{type}' at '"+clip(strings.Join(seg[i:], "/"))+"'.")
		}
		if cur.Namespace != "" {
			// A second /providers/ after a complete resource: an extension.
			if levels++; levels > maxExtensionLen {
				return bad("InvalidResourceId", "The resource id nests extension resources too deeply.")
			}
			cur = &ID{SubscriptionID: cur.SubscriptionID, ResourceGroup: cur.ResourceGroup, Scope: cur}
		}
		cur.Namespace = seg[i+1]
		if msg := checkNamespace(cur.Namespace); msg != "" {
			return nil, &routeError{http.StatusBadRequest, "InvalidResourceNamespace", msg}
		}
		j := i + 2
		for j < len(seg) {
			if len(cur.Names) == len(cur.Types) && is(seg[j], "providers") && len(cur.Types) > 0 {
				break // the extension part starts here
			}
			if msg := checkType(seg[j]); msg != "" {
				return bad("InvalidResourceType", msg)
			}
			cur.Types = append(cur.Types, seg[j])
			if len(cur.Types) > maxTypeDepth {
				return bad("InvalidResourceId", "The resource id nests child resources more than 8 levels deep.")
			}
			if j+1 < len(seg) {
				if msg := checkName(seg[j+1]); msg != "" {
					return bad("InvalidResourceName", msg)
				}
				cur.Names = append(cur.Names, seg[j+1])
			}
			j += 2
		}
		i = j
	}
	return cur, nil
}
