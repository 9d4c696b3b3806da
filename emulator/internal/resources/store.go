package resources

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Persister keeps records durably. Commit returns only once the batch would
// survive a crash (bbolt: committed and fsynced), because the handlers
// acknowledge a write only after Commit returns: an acknowledged write is
// never lost. A batch applies entirely or not at all.
type Persister interface {
	// Load calls fn for every stored record, in any order.
	Load(fn func(*Record) error) error
	// Commit applies b atomically and durably.
	Commit(b Batch) error
}

// Batch is one atomic change.
type Batch struct {
	Clear  bool      // drop every record first
	Put    []*Record // create or replace, by Key
	Delete []string  // lower-case ids; deleting a missing one is no error
}

// entry is a record and its list form, encoded once per write.
type entry struct {
	rec  *Record
	list []byte
}

// Store is the set of generic resources with the indexes listing needs.
// All state is guarded by mu: handlers hold it for reading to read and
// exclusively to write, and write to the Persister under it, so the index
// never runs ahead of the disk. Records are replaced, never modified.
type Store struct {
	mu      sync.RWMutex
	p       Persister
	entries map[string]*entry // lower-case id → entry
	all     orderedSet        // every key: subtrees (children, extensions), group scope
	listed  orderedSet        // keys of Listed records: /subscriptions/{s}/resources
	byType  map[string]*orderedSet
	// pending: keys with a running operation and when it ends; nextDue is
	// the earliest (zero if none), so a reader can tell cheaply whether a
	// sweep is due.
	pending map[string]time.Time
	nextDue time.Time
	// seen: the types stored so far per lower-case namespace, with the
	// api-versions they were written with, for discovery of types the
	// catalog lacks. Bounded: maxSeenTypes per namespace, maxSeenVersions
	// per type, maxSeenNamespaces in all.
	seen map[string]map[string]*seenType
	// removed, when set, hears of every resource the store drops (deleted,
	// or gone with its parent or group), after the drop is durable.
	removed func(resourceID string)
}

// OnRemove makes f hear of every resource id the store drops from now on
// (the emulator removes role assignments at that scope). f runs under the
// store's lock and must not call back into it. Set it before serving.
func (s *Store) OnRemove(f func(resourceID string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removed = f
}

// seenType is a resource type the store has held.
type seenType struct {
	name     string // without the namespace, casing as first stored
	versions []string
	tracked  bool
}

const (
	maxSeenNamespaces = 256
	maxSeenTypes      = 64
	maxSeenVersions   = 16
)

// NewStore loads every record from p (nil: memory only, for tests and
// runs without --state).
func NewStore(p Persister) (*Store, error) {
	if p == nil {
		p = memPersister{}
	}
	s := &Store{p: p}
	s.clearLocked()
	err := p.Load(func(r *Record) error {
		if r == nil || r.ID == "" {
			return fmt.Errorf("a stored record has no id")
		}
		r.intern()
		s.indexLocked(r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("resources: load: %w", err)
	}
	return s, nil
}

// memPersister keeps nothing: the Store's maps are the only copy.
type memPersister struct{}

func (memPersister) Load(func(*Record) error) error { return nil }
func (memPersister) Commit(Batch) error             { return nil }

func (s *Store) clearLocked() {
	s.entries = map[string]*entry{}
	s.all, s.listed = orderedSet{}, orderedSet{}
	s.byType = map[string]*orderedSet{}
	s.pending = map[string]time.Time{}
	s.nextDue = time.Time{}
	s.seen = map[string]map[string]*seenType{}
}

// noteTypeLocked records r's type and api-version in s.seen.
func (s *Store) noteTypeLocked(r *Record) {
	ns, typ, ok := strings.Cut(r.Type, "/")
	if !ok {
		return
	}
	types := s.seen[strings.ToLower(ns)]
	if types == nil {
		if len(s.seen) >= maxSeenNamespaces {
			return
		}
		types = map[string]*seenType{}
		s.seen[strings.ToLower(ns)] = types
	}
	st := types[strings.ToLower(typ)]
	if st == nil {
		if len(types) >= maxSeenTypes {
			return
		}
		st = &seenType{name: typ}
		types[strings.ToLower(typ)] = st
	}
	st.tracked = st.tracked || r.Location != ""
	if v := r.APIVersion; v != "" && len(st.versions) < maxSeenVersions && !slices.Contains(st.versions, v) {
		st.versions = append(st.versions, v)
	}
}

// SeenTypes returns the types of namespace ns the store has held (types
// not in the catalog are discovered from them), with their api-versions.
func (s *Store) seenTypes(ns string) []seenType {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []seenType
	for _, st := range s.seen[strings.ToLower(ns)] {
		c := *st
		c.versions = slices.Clone(st.versions)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b seenType) int { return strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)) })
	return out
}

// Len is the number of stored resources.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.entries)
}

// Reset drops every resource, durably.
func (s *Store) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.p.Commit(Batch{Clear: true}); err != nil {
		return err
	}
	s.clearLocked()
	return nil
}

// Replace drops every resource and stores recs instead, in one durable
// batch (the emulator's reset and first start).
func (s *Store) Replace(recs []*Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.p.Commit(Batch{Clear: true, Put: recs}); err != nil {
		return err
	}
	s.clearLocked()
	for _, r := range recs {
		s.indexLocked(r)
	}
	s.recomputeDueLocked()
	return nil
}

// DeleteGroup removes every resource in the resource group (children and
// extension resources with them), durably; the emulator calls it when the
// group itself goes.
func (s *Store) DeleteGroup(subscriptionID, group string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := strings.ToLower("/subscriptions/"+subscriptionID+"/resourceGroups/"+group) + "/"
	var del []string
	s.all.ascend(prefix, func(k string) bool {
		if !strings.HasPrefix(k, prefix) {
			return false
		}
		del = append(del, k)
		return true
	})
	return s.commitLocked(nil, del)
}

// GroupHolds is the number of resources in the group (for tests and logs).
func (s *Store) GroupHolds(subscriptionID, group string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	prefix := strings.ToLower("/subscriptions/"+subscriptionID+"/resourceGroups/"+group) + "/"
	n := 0
	s.all.ascend(prefix, func(k string) bool {
		if !strings.HasPrefix(k, prefix) {
			return false
		}
		n++
		return true
	})
	return n
}

// Exists reports whether the store holds the resource (any state).
func (s *Store) Exists(resourceID string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.getLocked(strings.ToLower(strings.TrimRight(resourceID, "/"))) != nil
}

func (s *Store) getLocked(key string) *Record {
	if e := s.entries[key]; e != nil {
		return e.rec
	}
	return nil
}

// subtreeLocked is key and every key below it (children, extensions).
func (s *Store) subtreeLocked(key string) []string {
	out := []string{key}
	prefix := key + "/"
	s.all.ascend(prefix, func(k string) bool {
		if !strings.HasPrefix(k, prefix) {
			return false
		}
		out = append(out, k)
		return true
	})
	return out
}

// commitLocked persists puts and deletes, then applies them to the index.
func (s *Store) commitLocked(puts []*Record, deletes []string) error {
	if len(puts) == 0 && len(deletes) == 0 {
		return nil
	}
	if err := s.p.Commit(Batch{Put: puts, Delete: deletes}); err != nil {
		return err
	}
	for _, k := range deletes {
		if e := s.entries[k]; e != nil && s.removed != nil {
			s.removed(e.rec.ID)
		}
		s.unindexLocked(k)
	}
	for _, r := range puts {
		s.indexLocked(r)
	}
	s.recomputeDueLocked()
	return nil
}

func typeKey(id string, fullType string) string {
	// id is "/subscriptions/{s}/…": the subscription is its third segment.
	rest := strings.TrimPrefix(strings.ToLower(id), "/subscriptions/")
	sub, _, _ := strings.Cut(rest, "/")
	return sub + "|" + strings.ToLower(fullType)
}

// typed: the per-type index holds top-level resources (one type segment,
// not an extension), the members of a type's list by subscription.
func typed(key, fullType string) bool {
	return strings.Count(fullType, "/") == 1 && strings.Count(key, "/providers/") == 1
}

func (s *Store) indexLocked(r *Record) {
	k := r.Key()
	if old := s.entries[k]; old != nil {
		s.unindexLocked(k)
	}
	e := &entry{rec: r}
	if r.Listed {
		e.list = r.appendList(nil, listForm{})
		s.listed.insert(k)
	}
	if typed(k, r.Type) {
		tk := typeKey(r.ID, r.Type)
		set := s.byType[tk]
		if set == nil {
			set = &orderedSet{}
			s.byType[tk] = set
		}
		set.insert(k)
	}
	s.entries[k] = e
	s.all.insert(k)
	s.noteTypeLocked(r)
	if r.Pending != nil {
		s.pending[k] = r.Pending.Until
		if s.nextDue.IsZero() || r.Pending.Until.Before(s.nextDue) {
			s.nextDue = r.Pending.Until
		}
	}
}

func (s *Store) unindexLocked(k string) {
	e := s.entries[k]
	if e == nil {
		return
	}
	delete(s.entries, k)
	s.all.remove(k)
	if e.rec.Listed {
		s.listed.remove(k)
	}
	if typed(k, e.rec.Type) {
		tk := typeKey(e.rec.ID, e.rec.Type)
		if set := s.byType[tk]; set != nil {
			set.remove(k)
			if set.len() == 0 {
				delete(s.byType, tk)
			}
		}
	}
	delete(s.pending, k)
}

func (s *Store) recomputeDueLocked() {
	s.nextDue = time.Time{}
	for _, t := range s.pending {
		if s.nextDue.IsZero() || t.Before(s.nextDue) {
			s.nextDue = t
		}
	}
}

// dueLocked reports whether an operation's end has passed (read lock is
// enough).
func (s *Store) dueLocked(now time.Time) bool {
	return !s.nextDue.IsZero() && !now.Before(s.nextDue)
}

// sweepLocked ends the operations whose time has come: a PUT's resource
// becomes Succeeded, a DELETE's resource goes with its subtree. One durable
// batch.
func (s *Store) sweepLocked(now time.Time) error {
	if !s.dueLocked(now) {
		return nil
	}
	var puts []*Record
	var dels []string
	seen := map[string]bool{}
	for k, until := range s.pending {
		if now.Before(until) {
			continue
		}
		r := s.entries[k].rec
		if r.Pending.Op == opDelete {
			for _, d := range s.subtreeLocked(k) {
				if !seen[d] {
					seen[d] = true
					dels = append(dels, d)
				}
			}
			continue
		}
		c := r.clone()
		c.Pending = nil
		c.State = "Succeeded"
		puts = append(puts, c)
	}
	// A PUT that finished inside a subtree deleted in the same sweep goes.
	kept := puts[:0]
	for _, p := range puts {
		if !seen[p.Key()] {
			kept = append(kept, p)
		}
	}
	return s.commitLocked(kept, dels)
}
