package resources

import (
	"net/url"
	"strings"
)

// ID is a parsed ARM resource id, or the id of a collection of resources
// (a resource id whose last name is missing).
//
//	/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{childType}/{childName}…]
//	/subscriptions/{s}/providers/{ns}/{type}/{name}…            (subscription-level resource)
//	{resource id}/providers/{extNs}/{extType}/{extName}…        (extension resource)
//
// Keywords ("subscriptions", "resourceGroups", "providers") match without
// regard to case, as ARM does; names keep the casing sent.
type ID struct {
	SubscriptionID string
	ResourceGroup  string   // "" for a subscription-level resource or scope
	Namespace      string   // "" when the ID is only a scope (subscription or group)
	Types          []string // type segments after the namespace
	Names          []string // one per type; one fewer for a collection
	// Scope is the resource an extension resource sits on (its own
	// Scope may be set too); nil for resources that are not extensions.
	Scope *ID
}

// IsResource reports whether the id names one resource.
func (id *ID) IsResource() bool { return id.Namespace != "" && len(id.Names) == len(id.Types) }

// FullType is "ns/type[/childType…]".
func (id *ID) FullType() string {
	if id.Namespace == "" {
		return ""
	}
	return id.Namespace + "/" + strings.Join(id.Types, "/")
}

// Name is the last name segment ("" for a collection or a scope).
func (id *ID) Name() string {
	if !id.IsResource() {
		return ""
	}
	return id.Names[len(id.Names)-1]
}

// String is the canonical id: "resourceGroups" and "providers" in ARM's
// casing, everything else as parsed.
func (id *ID) String() string {
	var b strings.Builder
	id.write(&b)
	return b.String()
}

func (id *ID) write(b *strings.Builder) {
	if id.Scope != nil {
		id.Scope.write(b)
	} else {
		b.WriteString("/subscriptions/")
		b.WriteString(id.SubscriptionID)
		if id.ResourceGroup != "" {
			b.WriteString("/resourceGroups/")
			b.WriteString(id.ResourceGroup)
		}
	}
	if id.Namespace == "" {
		return
	}
	b.WriteString("/providers/")
	b.WriteString(id.Namespace)
	for i, t := range id.Types {
		b.WriteByte('/')
		b.WriteString(t)
		if i < len(id.Names) {
			b.WriteByte('/')
			b.WriteString(id.Names[i])
		}
	}
}

// Key is the case-insensitive identity of the id: ARM compares ids without
// regard to case.
func (id *ID) Key() string { return strings.ToLower(id.String()) }

// Parent is the resource a child resource is nested in, or the resource an
// extension sits on; ok=false for a top-level resource (its parent is a
// group or subscription) or a scope.
func (id *ID) Parent() (*ID, bool) {
	if id.Namespace == "" {
		return nil, false
	}
	if len(id.Types) > 1 {
		p := *id
		p.Types = id.Types[:len(id.Types)-1]
		p.Names = id.Names[:len(id.Types)-1]
		return &p, true
	}
	if id.Scope != nil {
		return id.Scope, true
	}
	return nil, false
}

// Collection is the collection the resource belongs to (its id without
// the last name).
func (id *ID) Collection() *ID {
	c := *id
	if id.IsResource() {
		c.Names = id.Names[:len(id.Names)-1]
	}
	return &c
}

// IsExtension reports whether the id is an extension resource (or a
// collection of them) on another resource.
func (id *ID) IsExtension() bool { return id.Scope != nil }

// segments splits an escaped URL path into unescaped segments. Each segment
// is unescaped on its own, so an encoded '/' inside a name cannot change the
// route; empty segments (repeated or trailing slashes) are dropped, as ARM
// does. ok=false for an unescapable segment.
func segments(escaped string) ([]string, bool) {
	parts := strings.Split(escaped, "/")
	out := make([]string, 0, len(parts))
	for _, s := range parts {
		if s == "" {
			continue
		}
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			return nil, false
		}
		out = append(out, u)
	}
	return out, true
}
