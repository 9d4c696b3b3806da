package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// armService emulates the Azure Resource Manager subset of protocols §12:
// subscriptions, tenants and resource groups, with bearer-token auth, RBAC,
// paging, long-running deletes and optional throttling.
//
// State: subscriptions and role assignments come from the config snapshot
// taken at start or reset; resource groups live in an armStore (memory or
// bbolt) with an in-memory index for listing. mu guards everything below it:
// requests that only read hold it for reading, so reads run in parallel;
// writes and delete sweeps hold it exclusively, and store writes happen under
// it so the index never runs ahead of the disk. Responses are encoded and
// written after mu is released (arm_router.go).
type armService struct {
	s     *Server
	store armStore

	mu       sync.RWMutex
	cfg      *Config
	groups   map[string]*storedGroup // groupKey → group
	deleting int                     // number of groups with DeleteAt set
	closed   bool

	sorted     groupIndex // sorted keys per subscription, for listing
	nextDelete time.Time  // earliest DeleteAt of a deleting group; zero if none

	throttle *throttler
}

// newARM opens the store (bbolt under s.opts.StateDir, else memory), loads
// its groups and seeds it from the config when it was never seeded.
func newARM(s *Server) (*armService, error) {
	var st armStore
	if s.opts.StateDir != "" {
		b, err := openBoltStore(s.opts.StateDir)
		if err != nil {
			return nil, err
		}
		st = b
	} else {
		st = newMemStore()
	}
	a := &armService{s: s, store: st, throttle: newThrottler(s.opts.ARMRequestBudget)}
	cfg := s.config()
	groups, seeded, err := st.Load()
	if err != nil {
		st.Close()
		return nil, err
	}
	if !seeded {
		if err := a.reset(cfg); err != nil {
			st.Close()
			return nil, err
		}
		return a, nil
	}
	a.mu.Lock()
	a.cfg = cfg
	a.index(groups)
	// Finish deletes whose deadline passed while the emulator was down.
	err = a.sweepLocked(s.now())
	a.mu.Unlock()
	if err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// reset replaces all ARM state with cfg's subscriptions and resource groups.
func (a *armService) reset(cfg *Config) error {
	if cfg == nil {
		return fmt.Errorf("emulator: ARM reset: no config")
	}
	var groups []storedGroup
	for _, sub := range cfg.Subscriptions {
		for _, rg := range sub.ResourceGroups {
			groups = append(groups, storedGroup{
				SubscriptionID: sub.SubscriptionID,
				Name:           rg.Name,
				Location:       normalizeLocation(rg.Location),
				Tags:           copyTags(rg.Tags),
			})
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return fmt.Errorf("emulator: ARM reset after Close")
	}
	if err := a.store.Replace(groups); err != nil {
		return fmt.Errorf("emulator: ARM reset: %w", err)
	}
	a.cfg = cfg
	a.index(groups)
	a.throttle.reset()
	return nil
}

// Close closes the store; later requests get 503.
func (a *armService) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	return a.store.Close()
}

func (a *armService) index(groups []storedGroup) {
	a.groups = make(map[string]*storedGroup, len(groups))
	a.deleting = 0
	for i := range groups {
		g := groups[i].clone()
		a.groups[groupKey(g.SubscriptionID, g.Name)] = &g
		if g.deleting() {
			a.deleting++
		}
	}
	a.rebuildIndexLocked()
}

// sweepDueLocked reports whether a group's delete deadline has passed; it
// only reads, so it runs under the read lock.
func (a *armService) sweepDueLocked(now time.Time) bool {
	return a.deleting > 0 && !now.Before(a.nextDelete)
}

// sweepLocked removes groups whose delete deadline has passed, durably.
func (a *armService) sweepLocked(now time.Time) error {
	if a.deleting == 0 {
		return nil
	}
	for k, g := range a.groups {
		if g.deleting() && !now.Before(g.DeleteAt) {
			if err := a.store.Delete(g.SubscriptionID, g.Name); err != nil {
				return err
			}
			delete(a.groups, k)
			a.indexRemoveLocked(k)
			a.deleting--
		}
	}
	a.nextDeleteLocked()
	return nil
}

func normalizeLocation(loc string) string {
	// ARM answers "eastus" for "East US" (protocols §16 item 10: unverified).
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(loc), " ", ""))
}

func copyTags(t map[string]string) map[string]string {
	if t == nil {
		return nil
	}
	c := make(map[string]string, len(t))
	for k, v := range t {
		c[k] = v
	}
	return c
}

// ServeHTTP answers every ARM request; see arm_router.go.
func (a *armService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.serve(w, r)
}
