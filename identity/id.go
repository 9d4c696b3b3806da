package identity

import (
	"fmt"
	"strings"
	"unicode"
)

// IDKind says how a managed identity is selected.
type IDKind int

// The ways to select a managed identity. A host accepts at most one selector
// per request, which is why ID holds exactly one kind and one value.
const (
	SystemAssigned IDKind = iota // no selector: the host's system-assigned identity
	ClientIDKind                 // a user-assigned identity by its client (application) ID
	ObjectIDKind                 // a user-assigned identity by its object (principal) ID
	ResourceIDKind               // a user-assigned identity by its ARM resource ID
)

// String returns "system-assigned", "client ID", "object ID" or "resource ID".
func (k IDKind) String() string {
	switch k {
	case SystemAssigned:
		return "system-assigned"
	case ClientIDKind:
		return "client ID"
	case ObjectIDKind:
		return "object ID"
	case ResourceIDKind:
		return "resource ID"
	}
	return fmt.Sprintf("IDKind(%d)", int(k))
}

// ID selects a managed identity. The zero value selects the system-assigned
// identity; ClientID, ObjectID and ResourceID select a user-assigned one.
// Because an ID carries a single kind, asking for two selectors at once is
// impossible by construction.
type ID struct {
	kind  IDKind
	value string
}

// ClientID selects a user-assigned identity by its client ID (a GUID).
func ClientID(v string) ID { return ID{kind: ClientIDKind, value: v} }

// ObjectID selects a user-assigned identity by its object (principal) ID (a GUID).
func ObjectID(v string) ID { return ID{kind: ObjectIDKind, value: v} }

// ResourceID selects a user-assigned identity by its ARM resource ID:
// /subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}.
func ResourceID(v string) ID { return ID{kind: ResourceIDKind, value: v} }

// Kind reports how the identity is selected.
func (id ID) Kind() IDKind { return id.kind }

// Value is the client ID, object ID or resource ID; "" for system-assigned.
func (id ID) Value() string { return id.value }

// IsUserAssigned reports whether id selects a user-assigned identity.
func (id ID) IsUserAssigned() bool { return id.kind != SystemAssigned }

// String returns "system-assigned" or e.g. "client ID 11111111-…".
// IDs are not secrets, so the value is printed in full.
func (id ID) String() string {
	if id.kind == SystemAssigned {
		return "system-assigned"
	}
	return id.kind.String() + " " + id.value
}

const (
	guidForm       = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (32 hex digits)"
	resourceIDForm = "/subscriptions/{subscription GUID}/resourceGroups/{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
)

// Validate checks the syntax of the ID: GUIDs for client and object IDs, the
// user-assigned identity resource ID grammar for resource IDs. The error
// names the bad value and the expected form. It never contacts the network.
func (id ID) Validate() error {
	switch id.kind {
	case SystemAssigned:
		if id.value != "" {
			return fmt.Errorf("identity: a system-assigned ID carries no value, got %q", id.value)
		}
		return nil
	case ClientIDKind, ObjectIDKind:
		if id.value == "" {
			return fmt.Errorf("identity: empty %s; pass the user-assigned identity's %s in the form %s, or use the zero ID for the system-assigned identity", id.kind, id.kind, guidForm)
		}
		if !isGUID(id.value) {
			return fmt.Errorf("identity: %s %q is not a GUID; expected the form %s", id.kind, id.value, guidForm)
		}
		return nil
	case ResourceIDKind:
		if id.value == "" {
			return fmt.Errorf("identity: empty resource ID; expected %s, or use the zero ID for the system-assigned identity", resourceIDForm)
		}
		if why := checkUAMIResourceID(id.value); why != "" {
			return fmt.Errorf("identity: resource ID %q is not a user-assigned identity ID (%s); expected %s", id.value, why, resourceIDForm)
		}
		return nil
	}
	return fmt.Errorf("identity: unknown ID kind %d; build IDs with ClientID, ObjectID or ResourceID", int(id.kind))
}

// isGUID accepts the canonical 8-4-4-4-12 hex form, either case.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// checkUAMIResourceID returns "" when s is a user-assigned identity resource
// ID, else a short reason. Keywords, namespace and type match
// case-insensitively, as ARM does (protocols.md §13).
func checkUAMIResourceID(s string) string {
	if !strings.HasPrefix(s, "/") {
		return "it must start with /subscriptions/"
	}
	parts := strings.Split(s[1:], "/")
	if len(parts) != 8 {
		return fmt.Sprintf("it has %d path segments, want 8", len(parts))
	}
	want := [...]string{"subscriptions", "", "resourceGroups", "", "providers", "Microsoft.ManagedIdentity", "userAssignedIdentities", ""}
	for i, w := range want {
		if w != "" && !strings.EqualFold(parts[i], w) {
			return fmt.Sprintf("segment %d is %q, want %q", i+1, parts[i], w)
		}
	}
	if !isGUID(parts[1]) {
		return fmt.Sprintf("subscription %q is not a GUID", parts[1])
	}
	if why := checkGroupName(parts[3]); why != "" {
		return why
	}
	return checkIdentityName(parts[7])
}

// checkGroupName applies the resource-group rules of protocols.md §12.7:
// 1-90 of letters, digits, _ - . ( ), not ending in a period.
func checkGroupName(g string) string {
	if g == "" || len([]rune(g)) > 90 {
		return fmt.Sprintf("resource group %q must be 1-90 characters", g)
	}
	for _, r := range g {
		if !(isLetterOrDigit(r) || strings.ContainsRune("_-.()", r)) {
			return fmt.Sprintf("resource group %q contains %q", g, r)
		}
	}
	if strings.HasSuffix(g, ".") {
		return fmt.Sprintf("resource group %q ends with a period", g)
	}
	return ""
}

// checkIdentityName: 3-128 alphanumerics, hyphens, underscores, starting with
// a letter or digit (protocols.md §12.7).
func checkIdentityName(n string) string {
	if len(n) < 3 || len(n) > 128 {
		return fmt.Sprintf("identity name %q must be 3-128 characters", n)
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if i == 0 && !alnum {
			return fmt.Sprintf("identity name %q must start with a letter or digit", n)
		}
		if !alnum && c != '-' && c != '_' {
			return fmt.Sprintf("identity name %q contains %q", n, c)
		}
	}
	return ""
}

func isLetterOrDigit(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
