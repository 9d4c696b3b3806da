package roles

import (
	"strings"
	"time"
)

// Allowed reports whether the principal (object id) may perform the
// control-plane action (e.g. "Microsoft.Resources/subscriptions/resourceGroups/write")
// at scope (a scope path or resource id, any case): some assignment of the
// principal at that scope or above grants it through a role's actions,
// not removed by notActions of the same permissions entry. Data actions
// are never granted by actions ("*" included).
func (s *Store) Allowed(principalObjectID, action, scope string) bool {
	return s.allowed(principalObjectID, action, scope, false)
}

// DataAllowed is Allowed for a data-plane action (dataActions minus
// notDataActions), e.g. "Microsoft.KeyVault/vaults/secrets/getSecret/action"
// at a vault or secret scope. Owner alone does not grant data actions.
func (s *Store) DataAllowed(principalObjectID, dataAction, scope string) bool {
	return s.allowed(principalObjectID, dataAction, scope, true)
}

// Authorize is Allowed that answers ARM's 403 AuthorizationFailed (nil
// when allowed).
func (s *Store) Authorize(caller Caller, action, scope string) *Error {
	if s.Allowed(caller.ObjectID, action, scope) {
		return nil
	}
	return AuthorizationFailed(caller, action, strings.TrimRight(scope, "/"))
}

func (s *Store) allowed(principal, action, scope string, data bool) bool {
	if principal == "" || action == "" {
		return false
	}
	principal = strings.ToLower(principal)
	s.mu.RLock()
	defer s.mu.RUnlock()
	byScope := s.eval[principal]
	if len(byScope) == 0 {
		return false
	}
	key := normalizeKey(scope)
	var now time.Time
	if s.opts.Delay > 0 {
		now = s.now()
	}
	// The scope and each ancestor at a segment boundary: …/vaults/kv1,
	// …/vaults, …/Microsoft.KeyVault, …, /subscriptions/S. Only real
	// scopes ever hold grants; the others cost one map miss.
	for end := len(key); end > 0; end = strings.LastIndexByte(key[:end], '/') {
		for _, g := range byScope[key[:end]] {
			if !now.IsZero() && (now.Before(g.from) || (!g.until.IsZero() && !now.Before(g.until))) {
				continue
			}
			if r := s.roles[g.role]; r != nil && r.grants(action, data) {
				return true
			}
		}
	}
	return false
}

// HasAssignmentWithin reports whether the principal has any assignment at
// scope, above it or below it: what makes a subscription visible in
// GET /subscriptions.
func (s *Store) HasAssignmentWithin(principalObjectID, scope string) bool {
	principal := strings.ToLower(principalObjectID)
	key := normalizeKey(scope)
	s.mu.RLock()
	defer s.mu.RUnlock()
	for k := range s.eval[principal] {
		if keyContains(k, key) || keyContains(key, k) {
			return true
		}
	}
	return false
}
