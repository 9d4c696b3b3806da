package resources

import "strings"

// Children returns the records of type fullType (case-insensitive) directly
// under parentID, such as a user-assigned identity's federated identity
// credentials, in key order; records being deleted are left out. Records
// are replaced, never modified, so the ones returned are shared read-only.
func (s *Store) Children(parentID, fullType string) []*Record {
	s.mu.RLock()
	defer s.mu.RUnlock()
	prefix := strings.ToLower(parentID) + "/"
	var out []*Record
	s.all.ascend(prefix, func(k string) bool {
		if !strings.HasPrefix(k, prefix) {
			return false
		}
		if strings.Count(k[len(prefix):], "/") != 1 { // type/name: a direct child
			return true
		}
		if r := s.getLocked(k); r != nil && strings.EqualFold(r.Type, fullType) && !r.deleting() {
			out = append(out, r)
		}
		return true
	})
	return out
}
