package keyvault

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// store holds every vault's secrets in memory, writing each change
// through to a Persister before it becomes visible.
type store struct {
	mu      sync.RWMutex
	vaults  map[string]map[string]*secretRecord // lower vault → lower name → record
	persist Persister                           // nil: memory only
}

func newStore(p Persister) (*store, error) {
	s := &store{vaults: map[string]map[string]*secretRecord{}, persist: p}
	if p == nil {
		return s, nil
	}
	recs, err := p.LoadSecrets()
	if err != nil {
		return nil, fmt.Errorf("keyvault: loading stored secrets: %w", err)
	}
	for _, r := range recs {
		var rec secretRecord
		if err := json.Unmarshal(r.Data, &rec); err != nil || len(rec.Versions) == 0 || !strings.EqualFold(rec.Name, r.Name) {
			// The decoder's text could quote bytes of a value: not included.
			return nil, fmt.Errorf("keyvault: the stored record of secret %q in vault %q is corrupt; delete it from the state to continue", clip(r.Name), clip(r.Vault))
		}
		s.vault(strings.ToLower(r.Vault))[strings.ToLower(r.Name)] = &rec
	}
	return s, nil
}

// vault returns the map of a vault, creating it; callers hold mu for writing.
func (s *store) vault(v string) map[string]*secretRecord {
	m := s.vaults[v]
	if m == nil {
		m = map[string]*secretRecord{}
		s.vaults[v] = m
	}
	return m
}

// get returns the record of a secret, or nil; an expired deleted record
// counts as absent.
func (s *store) get(vault, name string, now int64) *secretRecord {
	s.mu.RLock()
	rec := s.vaults[vault][strings.ToLower(name)]
	s.mu.RUnlock()
	if rec == nil || rec.expired(now) {
		return nil
	}
	return rec
}

// list returns the records of a vault whose lower-case name sorts after
// `after`, in name order, matching keep.
func (s *store) list(vault, after string, now int64, keep func(*secretRecord) bool) []*secretRecord {
	s.mu.RLock()
	out := make([]*secretRecord, 0, len(s.vaults[vault]))
	for k, rec := range s.vaults[vault] {
		if k > after && !rec.expired(now) && keep(rec) {
			out = append(out, rec)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

// count is how many records (live or deleted) a vault holds.
func (s *store) count(vault string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.vaults[vault])
}

// errPersist marks a failure of the Persister (the change was not made).
var errPersist = errors.New("keyvault: the secret could not be stored")

// update runs fn on the current record of a secret (nil if absent or
// expired) under the write lock. fn returns the record to install (nil to
// remove it) and changed=false to leave everything as it was. The change is
// persisted before it is installed.
func (s *store) update(vault, name string, now int64, fn func(old *secretRecord) (rec *secretRecord, changed bool)) error {
	key := strings.ToLower(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.vault(vault)
	old := m[key]
	stale := old != nil && old.expired(now)
	if stale {
		old = nil
	}
	rec, changed := fn(old)
	if !changed && !stale {
		return nil
	}
	if !changed {
		rec = nil // only the expired record goes
	}
	if s.persist != nil {
		var err error
		if rec == nil {
			err = s.persist.DeleteSecret(vault, key)
		} else {
			var b []byte
			if b, err = json.Marshal(rec); err == nil {
				err = s.persist.PutSecret(vault, key, b)
			}
		}
		if err != nil {
			return errPersist
		}
	}
	if rec == nil {
		delete(m, key)
	} else {
		m[key] = rec
	}
	return nil
}

// dropVault forgets every secret of a purged vault.
func (s *store) dropVault(vault string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key := range s.vaults[vault] {
		if s.persist != nil {
			if err := s.persist.DeleteSecret(vault, key); err != nil {
				return errPersist
			}
		}
		delete(s.vaults[vault], key)
	}
	delete(s.vaults, vault)
	return nil
}
