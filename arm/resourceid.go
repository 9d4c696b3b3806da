package arm

import (
	"fmt"
	"strings"

	"github.com/azmsi/azmsi/internal/azhttp"
)

// ResourceID is a parsed Azure resource ID (protocols.md §13).
//
//	/subscriptions/{s}
//	/subscriptions/{s}/resourceGroups/{rg}
//	/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{childType}/{childName}]…
//	/subscriptions/{s}/providers/{ns}/locations/{location}/{type}/{name}
//	/providers/{ns}/{type}/{name}
//
// Keywords match case-insensitively; values keep the caller's casing.
type ResourceID struct {
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
}

const resourceIDGrammar = "/subscriptions/{id}[/resourceGroups/{name}][/providers/{namespace}/{type}/{name}[/{childType}/{childName}]...] or /providers/{namespace}/{type}/{name}"

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
	if !strings.EqualFold(seg[i], "providers") {
		return bad("unexpected segment %q where 'providers' (or 'resourceGroups' after a subscription) was expected", seg[i])
	}
	if i+1 >= len(seg) {
		return bad("'providers' needs a namespace such as Microsoft.Compute after it")
	}
	r.Namespace = seg[i+1]
	rest := seg[i+2:]
	if len(rest) == 0 {
		return bad("provider %q needs a resource type and name after it", r.Namespace)
	}
	if len(rest)%2 != 0 {
		return bad("resource type %q has no name after it", rest[len(rest)-1])
	}
	for j := 0; j < len(rest); j += 2 {
		t, n := rest[j], rest[j+1]
		if strings.EqualFold(t, "providers") {
			return bad("extension resources (a second 'providers' segment) are not supported")
		}
		r.Types = append(r.Types, t)
		r.Names = append(r.Names, n)
	}
	if r.ResourceGroup == "" && strings.EqualFold(r.Types[0], "locations") {
		r.Location = r.Names[0]
	}
	return r, nil
}

// Type is the full resource type: "Microsoft.Network/virtualNetworks/subnets",
// "Microsoft.Resources/resourceGroups", "Microsoft.Resources/subscriptions".
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
// group (or subscription) → subscription → zero ID. ok is false at the top.
func (r ResourceID) Parent() (ResourceID, bool) {
	p := r
	switch {
	case len(r.Types) > 1:
		p.Types = r.Types[: len(r.Types)-1 : len(r.Types)-1]
		p.Names = r.Names[: len(r.Names)-1 : len(r.Names)-1]
		if len(p.Types) == 0 || !strings.EqualFold(p.Types[0], "locations") || p.ResourceGroup != "" {
			p.Location = ""
		}
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

// String formats the ID canonically ("resourceGroups", "providers").
func (r ResourceID) String() string {
	var b strings.Builder
	if r.SubscriptionID != "" {
		b.WriteString("/subscriptions/" + r.SubscriptionID)
		if r.ResourceGroup != "" {
			b.WriteString("/resourceGroups/" + r.ResourceGroup)
		}
	}
	if r.Namespace != "" {
		b.WriteString("/providers/" + r.Namespace)
		for i := range r.Types {
			b.WriteString("/" + r.Types[i] + "/" + r.Names[i])
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// Equal compares two IDs case-insensitively, as ARM does.
func (r ResourceID) Equal(o ResourceID) bool { return strings.EqualFold(r.String(), o.String()) }
