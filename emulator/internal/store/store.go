// Package store persists the ARM emulator's resource groups: in memory, or
// in a bbolt file under the state directory that survives restarts and
// kill -9. Every write returns only once it is durable.
package store

import (
	"sort"
	"strings"
	"sync"
	"time"
)

// Group is one resource group as the ARM emulator keeps it. It is the
// unit of persistence: the bbolt store writes it as JSON under Key.
type Group struct {
	SubscriptionID string            `json:"subscriptionId"`
	Name           string            `json:"name"` // casing as created
	Location       string            `json:"location"`
	Tags           map[string]string `json:"tags,omitempty"`
	ManagedBy      string            `json:"managedBy,omitempty"`
	// Created marks a group made through ARM rather than seeded from the
	// configuration: the configuration's roles on a group's scope apply
	// only to the group it seeded, not to one created again in its place.
	Created bool `json:"created,omitempty"`
	// DeleteAt is set while the group is "Deleting": the group disappears at
	// this instant. Persisting it lets a restarted emulator finish the delete.
	DeleteAt time.Time `json:"deleteAt,omitzero"`
}

func (g *Group) Deleting() bool { return !g.DeleteAt.IsZero() }

func (g *Group) Clone() Group {
	c := *g
	if g.Tags != nil {
		c.Tags = make(map[string]string, len(g.Tags))
		for k, v := range g.Tags {
			c.Tags[k] = v
		}
	}
	return c
}

// Key is the case-insensitive identity of a group: ARM compares
// subscription ids and group names without regard to case (protocols §12.7).
func Key(sub, name string) string {
	return strings.ToLower(sub) + "/" + strings.ToLower(name)
}

// Store persists resource groups. Every method returns only after the
// change is durable (for the bbolt store: committed and fsynced), so the ARM
// handler can acknowledge a write only once it would survive a crash.
type Store interface {
	// Load returns every stored group and whether the store was ever seeded.
	Load() (groups []Group, seeded bool, err error)
	// Put creates or replaces one group.
	Put(g Group) error
	// Delete removes one group; deleting a missing group is not an error.
	Delete(sub, name string) error
	// Replace drops all groups, stores groups and marks the store seeded.
	Replace(groups []Group) error
	Close() error
}

// Mem is the Store used when Options.StateDir is empty.
type Mem struct {
	mu     sync.Mutex
	groups map[string]Group
	seeded bool
}

func NewMem() *Mem { return &Mem{groups: map[string]Group{}} }

func (m *Mem) Load() ([]Group, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Group, 0, len(m.groups))
	for _, g := range m.groups {
		out = append(out, g.Clone())
	}
	sort.Slice(out, func(i, j int) bool {
		return Key(out[i].SubscriptionID, out[i].Name) < Key(out[j].SubscriptionID, out[j].Name)
	})
	return out, m.seeded, nil
}

func (m *Mem) Put(g Group) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.groups[Key(g.SubscriptionID, g.Name)] = g.Clone()
	return nil
}

func (m *Mem) Delete(sub, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.groups, Key(sub, name))
	return nil
}

func (m *Mem) Replace(groups []Group) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.groups = make(map[string]Group, len(groups))
	for _, g := range groups {
		m.groups[Key(g.SubscriptionID, g.Name)] = g.Clone()
	}
	m.seeded = true
	return nil
}

func (m *Mem) Close() error { return nil }
