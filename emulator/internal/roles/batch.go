package roles

import (
	"strings"
	"time"
)

// For returns Allowed for one principal, for many checks in a row (a page
// of a resource list asks about a hundred resources): the principal's
// grants and their roles are copied once under the lock, so each check is
// a walk of the scope's ancestors in a small local map, without locking.
// It decides as Allowed would have when For was called; use it for one
// request only.
func (s *Store) For(principalObjectID string) func(action, scope string) bool {
	type held struct {
		g grant
		r *compiledRole // compiled roles are replaced, never changed
	}
	principal := strings.ToLower(principalObjectID)
	s.mu.RLock()
	local := make(map[string][]held, len(s.eval[principal]))
	for k, gs := range s.eval[principal] {
		for _, g := range gs {
			local[k] = append(local[k], held{g, s.roles[g.role]})
		}
	}
	var now time.Time
	if s.opts.Delay > 0 {
		now = s.now()
	}
	s.mu.RUnlock()
	return func(action, scope string) bool {
		if principal == "" || action == "" || len(local) == 0 {
			return false
		}
		key := normalizeKey(scope)
		for end := len(key); end > 0; end = strings.LastIndexByte(key[:end], '/') {
			for _, h := range local[key[:end]] {
				if !now.IsZero() && (now.Before(h.g.from) || (!h.g.until.IsZero() && !now.Before(h.g.until))) {
					continue
				}
				if h.r != nil && h.r.grants(action, false) {
					return true
				}
			}
		}
		return false
	}
}
