package arm

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// AuthorizationFailure is what ARM's 403 AuthorizationFailed message says:
// who was refused which action over which scope. Fields the message does
// not carry (or carries in an unusable form) are "".
type AuthorizationFailure struct {
	ClientID string // the token's appid (a user's UPN for user tokens)
	ObjectID string
	Action   string // e.g. Microsoft.Authorization/roleAssignments/write
	Scope    string // e.g. /subscriptions/S/resourceGroups/rg1
}

var (
	reClient = regexp.MustCompile(`(?i)\bclient '([^']+)'`)
	reObject = regexp.MustCompile(`(?i)\bobject id '([^']+)'`)
	reAction = regexp.MustCompile(`(?i)\bperform action '([^']+)'|\baction '([^']+)'`)
	reScope  = regexp.MustCompile(`(?i)\bover scope '([^']+)'|\bscope '([^']+)'`)
)

// ParseAuthorizationFailed reads ARM's AuthorizationFailed message ("The
// client '{appid}' with object id '{oid}' does not have authorization to
// perform action '{action}' over scope '{scope}' or the scope is
// invalid…"). It is tolerant of reworded text: each piece is looked for on
// its own. ok is false when no usable action is found. An action must look
// like one (no spaces or control characters) and a scope must be a path
// starting with "/", so a garbled message is not echoed as advice.
func ParseAuthorizationFailed(message string) (f AuthorizationFailure, ok bool) {
	find := func(re *regexp.Regexp) string {
		m := re.FindStringSubmatch(message)
		for _, g := range m[min(1, len(m)):] {
			if g != "" {
				return g
			}
		}
		return ""
	}
	f.Action = find(reAction)
	if !plainToken(f.Action) {
		return AuthorizationFailure{}, false
	}
	f.ClientID, f.ObjectID = find(reClient), find(reObject)
	if !plainToken(f.ClientID) {
		f.ClientID = ""
	}
	if !plainToken(f.ObjectID) {
		f.ObjectID = ""
	}
	if s := find(reScope); strings.HasPrefix(s, "/") && plainToken(s) {
		f.Scope = s
	}
	return f, true
}

// plainToken reports whether s is non-empty, at most 2 KiB long and free of spaces, control
// and invalid characters.
func plainToken(s string) bool {
	if s == "" || len(s) > 2048 {
		return false
	}
	for _, r := range s {
		if r == unicode.ReplacementChar || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// authorizationFailed turns ARM's AuthorizationFailed message into a
// summary naming the identity, the action and the scope, or "" when the
// message names no action.
func authorizationFailed(e *ResponseError) string {
	f, ok := ParseAuthorizationFailed(e.Message)
	if !ok {
		return ""
	}
	var who []string
	if f.ClientID != "" {
		who = append(who, "client ID "+f.ClientID)
	}
	if f.ObjectID != "" {
		who = append(who, "object ID "+f.ObjectID)
	}
	id := "the managed identity"
	if len(who) > 0 {
		id += " (" + strings.Join(who, ", ") + ")"
	}
	scope := f.Scope
	if scope == "" {
		scope = "the requested scope"
	}
	s := fmt.Sprintf("arm: %s lacks permission for %s on %s (ARM %d AuthorizationFailed", id, f.Action, scope, e.StatusCode)
	if e.RequestID != "" {
		s += ", request id " + e.RequestID
	}
	return s + ")"
}

// authorizationHint names the built-in roles that grant the missing action
// and where to assign one, or "" when the message names no action.
func authorizationHint(e *ResponseError) string {
	f, ok := ParseAuthorizationFailed(e.Message)
	if !ok {
		return ""
	}
	where := "at the resource's scope or above"
	if f.Scope != "" {
		where = "at " + f.Scope + " or above"
	}
	roles := BuiltinRolesGranting(f.Action)
	return fmt.Sprintf("assign the identity a role that grants %s %s; built-in roles that do: %s (a role change can take a few minutes to apply)",
		f.Action, where, joinRoles(roles))
}

// joinRoles lists names as "A, B or C".
func joinRoles(names []string) string {
	switch len(names) {
	case 0:
		return "none of the common ones (use a custom role)"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
