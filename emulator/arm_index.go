package emulator

import (
	"slices"
	"strings"
)

// groupIndex keeps every subscription's group keys (groupKey form) sorted,
// so that a list page is a binary search plus PageSize steps instead of a
// scan and sort of every group on every page. It is rebuilt lazily, on the
// first list after a.groups gained or lost a key (a.groupsGen moved).
// Guarded by armService.mu, like a.groups.
type groupIndex struct {
	gen   uint64
	built bool
	bySub map[string][]string // lower-case subscription ID → sorted keys
}

// groupsChangedLocked records that a.groups gained or lost keys.
func (a *armService) groupsChangedLocked() { a.groupsGen++ }

// sortedKeysLocked returns the sorted keys of subLower's groups. The slice
// is shared: callers must not modify it.
func (a *armService) sortedKeysLocked(subLower string) []string {
	if !a.sorted.built || a.sorted.gen != a.groupsGen {
		m := make(map[string][]string)
		for k := range a.groups {
			sub, _, _ := strings.Cut(k, "/")
			m[sub] = append(m[sub], k)
		}
		for _, ks := range m {
			slices.Sort(ks)
		}
		a.sorted = groupIndex{gen: a.groupsGen, built: true, bySub: m}
	}
	return a.sorted.bySub[subLower]
}
