package roles

import (
	"fmt"
	"strings"
)

// Kind is the level of a scope in ARM's hierarchy.
type Kind int

const (
	KindTenant          Kind = iota // "/"
	KindManagementGroup             // /providers/Microsoft.Management/managementGroups/{mg}
	KindSubscription                // /subscriptions/{s}
	KindResourceGroup               // /subscriptions/{s}/resourceGroups/{rg}
	KindResource                    // …/providers/{ns}/{type}/{name}
	KindChild                       // …/{type}/{name}/{childType}/{childName}… (also extension resources)
)

func (k Kind) String() string {
	switch k {
	case KindTenant:
		return "tenant"
	case KindManagementGroup:
		return "management group"
	case KindSubscription:
		return "subscription"
	case KindResourceGroup:
		return "resource group"
	case KindResource:
		return "resource"
	}
	return "child resource"
}

// Scope is a parsed ARM scope: the tenant root, a management group, a
// subscription, a resource group or a resource id (at any depth). Its text
// keeps the caller's spelling; comparisons use the lower-cased key, since
// ARM ids are case-insensitive.
type Scope struct {
	path          string
	key           string
	kind          Kind
	subscription  string
	resourceGroup string
}

// maxScopeLen bounds what is parsed and stored (ARM ids are far shorter).
const maxScopeLen = 2048

// ParseScope parses an ARM scope path. "" and "/" are the tenant root; a
// trailing slash is ignored. An error says which segment is wrong and what
// was expected.
func ParseScope(s string) (Scope, error) {
	if len(s) > maxScopeLen {
		return Scope{}, fmt.Errorf("the scope is %d characters long; ARM scopes are at most %d", len(s), maxScopeLen)
	}
	trimmed := strings.TrimRight(s, "/")
	if trimmed == "" {
		return Scope{path: "/", key: "/", kind: KindTenant}, nil
	}
	if trimmed[0] != '/' {
		return Scope{}, fmt.Errorf("the scope %q must start with '/' (for example /subscriptions/{id})", s)
	}
	for i := 0; i < len(trimmed); i++ {
		if c := trimmed[i]; c < 0x20 || c == 0x7f || c == '?' || c == '#' || c == '\\' {
			return Scope{}, fmt.Errorf("the scope %q contains the character %q, which ARM ids never contain", s, c)
		}
	}
	segs := strings.Split(trimmed[1:], "/")
	for i, seg := range segs {
		if seg == "" {
			return Scope{}, fmt.Errorf("the scope %q has an empty segment at position %d", s, i+1)
		}
	}
	sc := Scope{path: trimmed, key: strings.ToLower(trimmed)}
	switch {
	case strings.EqualFold(segs[0], "providers"):
		if len(segs) == 4 && strings.EqualFold(segs[1], "Microsoft.Management") && strings.EqualFold(segs[2], "managementGroups") {
			sc.kind = KindManagementGroup
			return sc, nil
		}
		return Scope{}, fmt.Errorf("the scope %q is not valid: a scope starting with /providers must be /providers/Microsoft.Management/managementGroups/{name}", s)
	case !strings.EqualFold(segs[0], "subscriptions"):
		return Scope{}, fmt.Errorf("the scope %q is not valid: expected /subscriptions/{id}[/resourceGroups/{name}[/providers/{namespace}/{type}/{name}…]]", s)
	case len(segs) < 2:
		return Scope{}, fmt.Errorf("the scope %q names no subscription: expected /subscriptions/{id}", s)
	}
	sc.subscription = segs[1]
	sc.kind = KindSubscription
	rest := segs[2:]
	if len(rest) > 0 && strings.EqualFold(rest[0], "resourceGroups") {
		if len(rest) < 2 {
			return Scope{}, fmt.Errorf("the scope %q names no resource group after /resourceGroups", s)
		}
		sc.resourceGroup = rest[1]
		sc.kind = KindResourceGroup
		rest = rest[2:]
	}
	// Then zero or more provider blocks: providers/{ns}/{type}/{name}[/{type}/{name}…].
	// A second block is an extension resource (…/vaults/kv1/providers/Microsoft.Insights/…).
	pairs := 0
	for len(rest) > 0 {
		if !strings.EqualFold(rest[0], "providers") || len(rest) < 4 {
			return Scope{}, fmt.Errorf("the scope %q is not valid after %q: expected /providers/{namespace}/{type}/{name}", s, strings.Join(segs[:len(segs)-len(rest)], "/"))
		}
		rest = rest[2:]
		for len(rest) > 0 && !strings.EqualFold(rest[0], "providers") {
			if len(rest) < 2 {
				return Scope{}, fmt.Errorf("the scope %q ends with the type %q but no name: resource ids alternate {type}/{name}", s, rest[0])
			}
			rest = rest[2:]
			pairs++
		}
	}
	switch {
	case pairs == 1:
		sc.kind = KindResource
	case pairs > 1:
		sc.kind = KindChild
	}
	return sc, nil
}

// String is the scope as given (trailing slash removed; "/" for the tenant).
func (s Scope) String() string {
	if s.path == "" {
		return "/"
	}
	return s.path
}

// Key is the scope in lower case, the form it is compared and indexed by.
func (s Scope) Key() string {
	if s.key == "" {
		return "/"
	}
	return s.key
}

// Kind is the scope's level.
func (s Scope) Kind() Kind { return s.kind }

// Subscription is the subscription id, "" above subscriptions.
func (s Scope) Subscription() string { return s.subscription }

// ResourceGroup is the resource group name, "" above resource groups.
func (s Scope) ResourceGroup() string { return s.resourceGroup }

// Contains reports whether other is s or lies below it. The tenant root
// contains everything; otherwise containment is a prefix at a segment
// boundary, so /subscriptions/S/resourceGroups/rg1 does not contain …/rg10.
func (s Scope) Contains(other Scope) bool { return keyContains(s.Key(), other.Key()) }

func keyContains(outer, inner string) bool {
	if outer == "/" {
		return true
	}
	return strings.HasPrefix(inner, outer) && (len(inner) == len(outer) || inner[len(outer)] == '/')
}

// normalizeKey is the lower-cased key of a scope string without a full
// parse, for the evaluation fast path.
func normalizeKey(scope string) string {
	for len(scope) > 1 && scope[len(scope)-1] == '/' {
		scope = scope[:len(scope)-1]
	}
	if scope == "" {
		return "/"
	}
	return strings.ToLower(scope)
}
