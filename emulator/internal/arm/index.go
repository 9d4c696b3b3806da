package arm

import (
	"slices"
	"strings"
	"time"
)

// groupIndex keeps every subscription's group keys (groupKey form) sorted,
// so that a list page is a binary search plus PageSize steps instead of a
// scan and sort of every group on every page. Every change of a.groups
// updates it (under a.mu held for writing), so listing only reads it and
// runs under the read lock. lower-case subscription ID → sorted keys.
type groupIndex map[string][]string

// rebuildIndexLocked builds the index and the next delete deadline from
// a.groups.
func (a *Service) rebuildIndexLocked() {
	m := make(groupIndex)
	for k := range a.groups {
		sub, _, _ := strings.Cut(k, "/")
		m[sub] = append(m[sub], k)
	}
	for _, ks := range m {
		slices.Sort(ks)
	}
	a.sorted = m
	a.nextDeleteLocked()
}

// indexAddLocked records a new key of a.groups.
func (a *Service) indexAddLocked(k string) {
	sub, _, _ := strings.Cut(k, "/")
	ks := a.sorted[sub]
	if i, found := slices.BinarySearch(ks, k); !found {
		a.sorted[sub] = slices.Insert(ks, i, k)
	}
}

// indexRemoveLocked records that k left a.groups.
func (a *Service) indexRemoveLocked(k string) {
	sub, _, _ := strings.Cut(k, "/")
	ks := a.sorted[sub]
	if i, found := slices.BinarySearch(ks, k); found {
		ks = slices.Delete(ks, i, i+1)
		if len(ks) == 0 {
			delete(a.sorted, sub)
		} else {
			a.sorted[sub] = ks
		}
	}
}

// sortedKeysLocked returns the sorted keys of subLower's groups. The slice
// is shared and changes with the next write: use it only under a.mu, and
// do not modify it.
func (a *Service) sortedKeysLocked(subLower string) []string {
	return a.sorted[subLower]
}

// nextDeleteLocked recomputes a.nextDelete, the earliest delete deadline
// (zero when no group is being deleted), so that a request can tell under
// the read lock whether a sweep is due.
func (a *Service) nextDeleteLocked() {
	a.nextDelete = time.Time{}
	if a.deleting == 0 {
		return
	}
	for _, g := range a.groups {
		if g.Deleting() && (a.nextDelete.IsZero() || g.DeleteAt.Before(a.nextDelete)) {
			a.nextDelete = g.DeleteAt
		}
	}
}
