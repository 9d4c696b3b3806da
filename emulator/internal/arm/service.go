package arm

import (
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/apiversion"
	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/resources"
	"github.com/azmsi/azmsi/emulator/internal/roles"
	"github.com/azmsi/azmsi/emulator/internal/stats"
	"github.com/azmsi/azmsi/emulator/internal/store"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
)

// Service emulates the Azure Resource Manager subset of protocols §12:
// subscriptions, tenants and resource groups, with bearer-token auth, RBAC,
// paging, long-running deletes and optional throttling.
//
// State: subscriptions and role assignments come from the config snapshot
// taken at start or reset; resource groups live in a store.Store (memory
// or bbolt) with an in-memory index for listing. mu guards everything below
// it: requests that only read hold it for reading, so reads run in
// parallel; writes and delete sweeps hold it exclusively, and store writes
// happen under it so the index never runs ahead of the disk. Responses are
// encoded and written after mu is released (router.go).
type Service struct {
	store          store.Store
	tokens         *tokens.Authority
	stats          *stats.Counters
	logger         *slog.Logger
	now            func() time.Time
	pageSize       int
	deleteDuration time.Duration
	routes         *routeTable
	versions       *apiversion.Checker
	generic        *resources.Service // nil: no generic resources
	genericStore   *resources.Store
	externalExists func(resourceID string) bool // Generic.ExternalExists
	roles          *roles.Store                 // role definitions and assignments; evaluates every request
	groupRemoved   func(sub, group string) error

	mu       sync.RWMutex
	cfg      *config.Config
	groups   map[string]*store.Group // store.Key → group
	deleting int                     // number of groups with DeleteAt set
	closed   bool

	sorted     groupIndex // sorted keys per subscription, for listing
	nextDelete time.Time  // earliest DeleteAt of a deleting group; zero if none

	throttle *throttler
}

// Deps is what the ARM service needs from the server.
type Deps struct {
	Store          store.Store       // owned by the Service from New on (Close closes it)
	Config         *config.Config    // the configuration to seed and serve
	Tokens         *tokens.Authority // verifies bearer tokens
	Stats          *stats.Counters
	Logger         *slog.Logger
	Clock          func() time.Time
	PageSize       int           // list page size
	DeleteDuration time.Duration // how long a deleted group stays "Deleting"
	RequestBudget  int           // requests per identity before 429 (0 = unlimited)
	Routes         []Route       // the route table
	// Versions decides api-versions by the routes' types; nil: the
	// built-in tables, unknown newer versions served as the newest known.
	Versions *apiversion.Checker
	// Generic serves resources of any type (generic.go).
	Generic Generic
	Roles   *roles.Store // authorization (seeded and persisted by the server); nil: no assignments
	// GroupRemoved runs, under the service's lock, when a deleted group
	// goes, for resources kept outside this package (Key Vault's vaults);
	// it must not call back into the service.
	GroupRemoved func(sub, group string) error
}

// New loads the store's groups, or seeds it from the config when it was
// never seeded. On error the store is closed.
func New(d Deps) (*Service, error) {
	st := d.Store
	routes, err := newRouteTable(d.Routes)
	if err != nil {
		st.Close()
		return nil, err
	}
	versions := d.Versions
	if versions == nil {
		versions = apiversion.NewChecker(apiversion.MustBuiltin(nil), false, d.Logger)
	}
	if d.Roles == nil {
		d.Roles = roles.New(roles.Options{})
	}
	a := &Service{
		store: st, tokens: d.Tokens, stats: d.Stats, logger: d.Logger, now: d.Clock,
		pageSize: d.PageSize, deleteDuration: d.DeleteDuration, routes: routes, versions: versions, roles: d.Roles, groupRemoved: d.GroupRemoved,
		throttle: newThrottler(d.RequestBudget),
	}
	if err := a.newGeneric(d); err != nil {
		st.Close()
		return nil, err
	}
	cfg := d.Config
	groups, seeded, err := st.Load()
	if err != nil {
		st.Close()
		return nil, err
	}
	if !seeded {
		if err := a.Reset(cfg); err != nil {
			st.Close()
			return nil, err
		}
		return a, nil
	}
	a.mu.Lock()
	a.cfg = cfg
	a.index(groups)
	// Finish deletes whose deadline passed while the emulator was down.
	err = a.sweepLocked(a.now())
	a.mu.Unlock()
	if err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// Reset replaces all ARM state with cfg's subscriptions and resource groups.
func (a *Service) Reset(cfg *config.Config) error {
	if cfg == nil {
		return fmt.Errorf("emulator: ARM reset: no config")
	}
	var groups []store.Group
	for _, sub := range cfg.Subscriptions {
		for _, rg := range sub.ResourceGroups {
			groups = append(groups, store.Group{
				SubscriptionID: sub.SubscriptionID,
				Name:           rg.Name,
				Location:       normalizeLocation(rg.Location),
				Tags:           maps.Clone(rg.Tags),
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
	if err := a.seedGenericLocked(cfg); err != nil {
		return fmt.Errorf("emulator: ARM reset: %w", err)
	}
	a.throttle.reset()
	return nil
}

// Close closes the store; later requests get 503.
func (a *Service) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	return a.store.Close()
}

func (a *Service) index(groups []store.Group) {
	a.groups = make(map[string]*store.Group, len(groups))
	a.deleting = 0
	for i := range groups {
		g := groups[i].Clone()
		a.groups[store.Key(g.SubscriptionID, g.Name)] = &g
		if g.Deleting() {
			a.deleting++
		}
	}
	a.rebuildIndexLocked()
}

// sweepDueLocked reports whether a group's delete deadline has passed; it
// only reads, so it runs under the read lock.
func (a *Service) sweepDueLocked(now time.Time) bool {
	return a.deleting > 0 && !now.Before(a.nextDelete)
}

// sweepLocked removes groups whose delete deadline has passed, durably.
func (a *Service) sweepLocked(now time.Time) error {
	if a.deleting == 0 {
		return nil
	}
	for k, g := range a.groups {
		if g.Deleting() && !now.Before(g.DeleteAt) {
			// What the group holds goes first: a crash in between leaves
			// the group Deleting, and the next sweep finishes both.
			if a.genericStore != nil {
				if err := a.genericStore.DeleteGroup(g.SubscriptionID, g.Name); err != nil {
					return err
				}
			}
			if a.groupRemoved != nil {
				if err := a.groupRemoved(g.SubscriptionID, g.Name); err != nil {
					return err
				}
			}
			if err := a.store.Delete(g.SubscriptionID, g.Name); err != nil {
				return err
			}
			// The group's role assignments (and those below it) go with it
			// (unverified, U20-3).
			if sc, err := roles.ParseScope("/subscriptions/" + g.SubscriptionID + "/resourceGroups/" + g.Name); err == nil {
				if _, err := a.roles.RemoveScope(sc); err != nil {
					return err
				}
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
