package arm

import (
	"fmt"
	"strings"

	"github.com/azmsi/azmsi/internal/azhttp"
)

// ResourceID is a parsed Azure resource ID (protocols.md §13, §20.1).
//
//	/subscriptions/{s}
//	/subscriptions/{s}/resourceGroups/{rg}
//	/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{childType}/{childName}]…
//	/subscriptions/{s}/providers/{ns}/locations/{location}/{type}/{name}
//	/providers/{ns}/{type}/{name}
//	{resource ID}/providers/{ns}/{type}/{name}[/{childType}/{childName}]…   (an extension resource)
//
// An extension resource (a lock, a role assignment, a diagnostic setting)
// extends another resource: its ID is that resource's ID, then its own
// /providers/ part; the last /providers/ starts it, and Scope holds the
// resource it extends, which may itself be an extension. Extensions of a
// subscription or group need no Scope: they are ordinary IDs at that level.
//
// Keywords match case-insensitively; values keep the caller's casing.
type ResourceID struct {
	// SubscriptionID and ResourceGroup say where the resource lives; for an
	// extension resource they are those of the resource it extends.
	SubscriptionID string
	ResourceGroup  string
	// Namespace is the provider, e.g. "Microsoft.Network"; empty for
	// subscription and resource-group IDs.
	Namespace string
	// Types and Names are the type/name pairs after the namespace, outermost
	// first: ["virtualNetworks","subnets"], ["vnet1","default"].
	Types, Names []string
	// Location is set for location-scoped IDs (…/locations/{location}/…).
	Location string
	// Scope is the resource an extension resource extends, nil otherwise.
	// When set, String and the request URL start with Scope's ID.
	Scope *ResourceID
}

const resourceIDGrammar = "/subscriptions/{id}[/resourceGroups/{name}][/providers/{namespace}/{type}/{name}[/{childType}/{childName}]...]" +
	" or /providers/{namespace}/{type}/{name}, optionally followed by /providers/{namespace}/{type}/{name}... for an extension resource"

// maxScopeDepth bounds how many extensions an ID may stack; ARM has no
// resource that deep, and it keeps a hostile ID from building a long chain.
const maxScopeDepth = 8

// ParseResourceID parses id. Errors name the offending part and the grammar.
func ParseResourceID(id string) (ResourceID, error) {
	var r ResourceID
	bad := func(format string, a ...any) (ResourceID, error) {
		return ResourceID{}, fmt.Errorf("arm: invalid resource ID %q: %s; expected %s", azhttp.Clip(id, 300), fmt.Sprintf(format, a...), resourceIDGrammar)
	}
	s := strings.TrimSpace(id)
	if s == "" {
		return bad("it is empty")
	}
	if !strings.HasPrefix(s, "/") {
		return bad("it must start with '/'")
	}
	s = strings.TrimSuffix(s[1:], "/")
	if strings.ContainsAny(s, "?#") {
		return bad("it contains '?' or '#'")
	}
	seg := strings.Split(s, "/")
	for i, v := range seg {
		if v == "" {
			return bad("segment %d is empty (double '/')", i+1)
		}
	}
	i := 0
	if strings.EqualFold(seg[0], "subscriptions") {
		if len(seg) < 2 {
			return bad("'subscriptions' needs a subscription ID after it")
		}
		r.SubscriptionID = seg[1]
		i = 2
		if i < len(seg) && strings.EqualFold(seg[i], "resourceGroups") {
			if i+1 >= len(seg) {
				return bad("'resourceGroups' needs a name after it")
			}
			r.ResourceGroup = seg[i+1]
			i += 2
		}
		if i == len(seg) {
			return r, nil
		}
	}
	// One /providers/{ns}/{type}/{name}… part per pass; each further
	// 'providers' in a type position starts an extension of what came before.
	for depth := 0; ; depth++ {
		if !strings.EqualFold(seg[i], "providers") {
			return bad("unexpected segment %q where 'providers' (or 'resourceGroups' after a subscription) was expected", seg[i])
		}
		if i+1 >= len(seg) {
			return bad("'providers' needs a namespace such as Microsoft.Compute after it")
		}
		if depth > maxScopeDepth {
			return bad("more than %d extension levels", maxScopeDepth)
		}
		ns := seg[i+1]
		i += 2
		var types, names []string
		for i < len(seg) && !strings.EqualFold(seg[i], "providers") {
			if i+1 >= len(seg) {
				return bad("resource type %q has no name after it", seg[i])
			}
			types, names = append(types, seg[i]), append(names, seg[i+1])
			i += 2
		}
		if len(types) == 0 {
			return bad("provider %q needs a resource type and name after it", ns)
		}
		if r.Namespace != "" {
			scope := r
			r = ResourceID{SubscriptionID: scope.SubscriptionID, ResourceGroup: scope.ResourceGroup, Scope: &scope}
		}
		r.Namespace, r.Types, r.Names = ns, types, names
		if r.Scope == nil && r.ResourceGroup == "" && strings.EqualFold(types[0], "locations") {
			r.Location = names[0]
		}
		if i == len(seg) {
			return r, nil
		}
	}
}

// Type is the full resource type: "Microsoft.Network/virtualNetworks/subnets",
// "Microsoft.Resources/resourceGroups", "Microsoft.Resources/subscriptions";
// an extension resource's own type ("Microsoft.Authorization/locks").
func (r ResourceID) Type() string {
	switch {
	case r.Namespace != "":
		return r.Namespace + "/" + strings.Join(r.Types, "/")
	case r.ResourceGroup != "":
		return "Microsoft.Resources/resourceGroups"
	case r.SubscriptionID != "":
		return "Microsoft.Resources/subscriptions"
	}
	return "Microsoft.Resources/tenants"
}

// Name is the last name in the ID: the resource, group or subscription.
func (r ResourceID) Name() string {
	switch {
	case len(r.Names) > 0:
		return r.Names[len(r.Names)-1]
	case r.ResourceGroup != "":
		return r.ResourceGroup
	}
	return r.SubscriptionID
}

// Parent drops the innermost level: child → parent resource → resource
// group (or subscription) → subscription → zero ID; an extension resource's
// parent is the resource it extends. ok is false at the top.
func (r ResourceID) Parent() (ResourceID, bool) {
	p := r
	switch {
	case len(r.Types) > 1:
		p.Types = r.Types[: len(r.Types)-1 : len(r.Types)-1]
		p.Names = r.Names[: len(r.Names)-1 : len(r.Names)-1]
		if len(p.Types) == 0 || !strings.EqualFold(p.Types[0], "locations") || p.ResourceGroup != "" {
			p.Location = ""
		}
		return p, true
	case r.Scope != nil:
		return *r.Scope, true
	case len(r.Types) == 1:
		p.Namespace, p.Types, p.Names, p.Location = "", nil, nil, ""
	case r.ResourceGroup != "":
		p.ResourceGroup = ""
	case r.SubscriptionID != "":
		p.SubscriptionID = ""
	default:
		return ResourceID{}, false
	}
	if p.SubscriptionID == "" && p.Namespace == "" {
		return ResourceID{}, r.SubscriptionID != "" || r.Namespace != ""
	}
	return p, true
}

// segments are the ID's path segments, unescaped: "subscriptions", s,
// "resourceGroups", rg, "providers", ns, type, name….
func (r ResourceID) segments() []string {
	var segs []string
	if r.Scope != nil {
		segs = r.Scope.segments()
	} else if r.SubscriptionID != "" {
		segs = append(segs, "subscriptions", r.SubscriptionID)
		if r.ResourceGroup != "" {
			segs = append(segs, "resourceGroups", r.ResourceGroup)
		}
	}
	if r.Namespace != "" {
		segs = append(segs, "providers", r.Namespace)
		for i := range r.Types {
			segs = append(segs, r.Types[i], r.Names[i])
		}
	}
	return segs
}

// String formats the ID canonically ("resourceGroups", "providers").
func (r ResourceID) String() string {
	segs := r.segments()
	if len(segs) == 0 {
		return "/"
	}
	return "/" + strings.Join(segs, "/")
}

// Equal compares two IDs case-insensitively, as ARM does.
func (r ResourceID) Equal(o ResourceID) bool { return strings.EqualFold(r.String(), o.String()) }
