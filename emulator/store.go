package emulator

import (
	"sort"
	"strings"
	"sync"
	"time"
)

// storedGroup is one resource group as the ARM emulator keeps it. It is the
// unit of persistence: the bbolt store writes it as JSON under groupKey.
type storedGroup struct {
	SubscriptionID string            `json:"subscriptionId"`
	Name           string            `json:"name"` // casing as created
	Location       string            `json:"location"`
	Tags           map[string]string `json:"tags,omitempty"`
	ManagedBy      string            `json:"managedBy,omitempty"`
	// DeleteAt is set while the group is "Deleting": the group disappears at
	// this instant. Persisting it lets a restarted emulator finish the delete.
	DeleteAt time.Time `json:"deleteAt,omitzero"`
}

func (g *storedGroup) deleting() bool { return !g.DeleteAt.IsZero() }

func (g *storedGroup) clone() storedGroup {
	c := *g
	if g.Tags != nil {
		c.Tags = make(map[string]string, len(g.Tags))
		for k, v := range g.Tags {
			c.Tags[k] = v
		}
	}
	return c
}

// groupKey is the case-insensitive identity of a group: ARM compares
// subscription ids and group names without regard to case (protocols §12.7).
func groupKey(sub, name string) string {
	return strings.ToLower(sub) + "/" + strings.ToLower(name)
}

// armStore persists resource groups. Every method returns only after the
// change is durable (for the bbolt store: committed and fsynced), so the ARM
// handler can acknowledge a write only once it would survive a crash.
type armStore interface {
	// Load returns every stored group and whether the store was ever seeded.
	Load() (groups []storedGroup, seeded bool, err error)
	// Put creates or replaces one group.
	Put(g storedGroup) error
	// Delete removes one group; deleting a missing group is not an error.
	Delete(sub, name string) error
	// Replace drops all groups, stores groups and marks the store seeded.
	Replace(groups []storedGroup) error
	Close() error
}

// memStore is the armStore used when Options.StateDir is empty.
type memStore struct {
	mu     sync.Mutex
	groups map[string]storedGroup
	seeded bool
}

func newMemStore() *memStore { return &memStore{groups: map[string]storedGroup{}} }

func (m *memStore) Load() ([]storedGroup, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]storedGroup, 0, len(m.groups))
	for _, g := range m.groups {
		out = append(out, g.clone())
	}
	sort.Slice(out, func(i, j int) bool {
		return groupKey(out[i].SubscriptionID, out[i].Name) < groupKey(out[j].SubscriptionID, out[j].Name)
	})
	return out, m.seeded, nil
}

func (m *memStore) Put(g storedGroup) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.groups[groupKey(g.SubscriptionID, g.Name)] = g.clone()
	return nil
}

func (m *memStore) Delete(sub, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.groups, groupKey(sub, name))
	return nil
}

func (m *memStore) Replace(groups []storedGroup) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.groups = make(map[string]storedGroup, len(groups))
	for _, g := range groups {
		m.groups[groupKey(g.SubscriptionID, g.Name)] = g.clone()
	}
	m.seeded = true
	return nil
}

func (m *memStore) Close() error { return nil }
