package arm

import (
	"net/http"
	"strings"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/resources"
	"github.com/azmsi/azmsi/emulator/internal/store"
)

// Generic resources (emulator/internal/resources) are served for every
// path the route table does not match and resources.Handles accepts. The
// service gives them what they need through the adapters below: the
// caller (the verified token), subscriptions and groups (the config and
// the group store, under a.mu), and authorization. The resources package
// never calls back into the ARM service while holding its own lock, and the
// ARM service calls it (the group-delete cascade) while holding a.mu, so
// the lock order is always a.mu before the resource store's.

// genericAuth authenticates for the resources package, and spends the
// caller's request budget (429 when it is exhausted).
type genericAuth struct{ a *Service }

func (g genericAuth) Authenticate(w http.ResponseWriter, r *http.Request) (resources.Principal, bool) {
	tok, ok := g.a.authenticate(w, r)
	if !ok {
		return resources.Principal{}, false
	}
	req := &Request{r: r, hdr: w.Header(), tok: tok}
	appID, oid := req.principal()
	// The same per-identity request budget as the ARM service's own routes.
	if !g.a.admit(req) {
		req.res.flush(w)
		return resources.Principal{}, false
	}
	// systemData.createdByType for a service principal or managed identity
	// (unverified which of "Application" and "ManagedIdentity" ARM writes
	// for managed identities).
	return resources.Principal{ObjectID: oid, ClientID: appID, Type: "Application"}, true
}

// genericScopes answers for subscriptions (the config) and groups (the
// group store).
type genericScopes struct{ a *Service }

func (g genericScopes) Subscription(id string) (resources.Subscription, bool) {
	g.a.mu.RLock()
	defer g.a.mu.RUnlock()
	if g.a.cfg == nil {
		return resources.Subscription{}, false
	}
	s := findSubscription(g.a.cfg, id)
	if s == nil {
		return resources.Subscription{}, false
	}
	ro := s.State == "Disabled" || s.State == "Deleted" || s.State == "PastDue"
	return resources.Subscription{ID: s.SubscriptionID, ReadOnly: ro}, true
}

func (g genericScopes) Group(sub, name string) (resources.Group, bool) {
	g.a.mu.RLock()
	defer g.a.mu.RUnlock()
	grp := g.a.groups[store.Key(sub, name)]
	if grp == nil {
		return resources.Group{}, false
	}
	return resources.Group{Name: grp.Name, Deleting: grp.Deleting()}, true
}

// scopeParts is the subscription and resource group of an id. It cuts
// without allocating.
func scopeParts(id string) (sub, group string) {
	rest, ok := cutPrefixFold(id, "/subscriptions/")
	if !ok {
		return "", ""
	}
	sub, rest, _ = strings.Cut(rest, "/")
	if sub == "" {
		return "", ""
	}
	if rest, ok = cutPrefixFold(rest, "resourceGroups/"); ok {
		group, _, _ = strings.Cut(rest, "/")
	}
	return sub, group
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// userAssigned resolves a configured user-assigned identity.
func (a *Service) userAssigned(resourceID string) (clientID, principalID string, ok bool) {
	a.mu.RLock()
	cfg := a.cfg
	a.mu.RUnlock()
	if cfg == nil {
		return "", "", false
	}
	for _, id := range cfg.Identities {
		if id.Kind == config.KindUser && strings.EqualFold(id.ResourceID, resourceID) {
			return id.ClientID, id.ObjectID, true
		}
	}
	return "", "", false
}

// Generic configures the generic resources of Deps.
type Generic struct {
	Store *resources.Store // required to serve generic resources; nil: none
	// Authorizer decides generic requests; nil: the service's roles store
	// (Deps.Roles), which decides everything else.
	Authorizer   resources.Authorizer
	Async        map[string]time.Duration // type → operation time (config resourceTypes)
	Unregistered []string                 // namespaces that start NotRegistered
	Cloud        resources.Cloud          // /metadata/endpoints
	// External lists tracked resources kept elsewhere (vaults) for the
	// /resources listings (resources.Options.External).
	External func(subscriptionID string) []*resources.Record
	// ExternalExists reports whether one of those exists (a live vault),
	// for the scopes of role assignments; nil: none.
	ExternalExists func(resourceID string) bool
	Regions        []resources.Region // default resources.DefaultRegions()
}

// newGeneric builds the resources service over d.Generic.
func (a *Service) newGeneric(d Deps) error {
	g := d.Generic
	if g.Store == nil {
		return nil
	}
	authz := g.Authorizer
	if authz == nil {
		authz = a.roles
	}
	tenant := ""
	if d.Config != nil {
		tenant = d.Config.TenantID
	}
	svc, err := resources.New(resources.Options{
		Store: g.Store, Versions: a.versions, Auth: genericAuth{a}, Authz: authz, Scopes: genericScopes{a},
		Clock: a.now, Logger: a.logger, Regions: g.Regions, TenantID: tenant, PageSize: a.pageSize,
		Async: g.Async, Unregistered: g.Unregistered, UserAssigned: a.userAssigned, Cloud: g.Cloud,
		External: g.External,
	})
	if err != nil {
		return err
	}
	a.generic, a.genericStore, a.externalExists = svc, g.Store, g.ExternalExists
	return nil
}

// serveGeneric hands the request to the resources package.
func (a *Service) serveGeneric(w http.ResponseWriter, r *http.Request) {
	a.mu.RLock()
	closed := a.closed
	a.mu.RUnlock()
	if closed {
		writeARMError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "The ARM emulator is shutting down.")
		return
	}
	a.generic.ServeHTTP(w, r)
}

// seedGenericLocked replaces the generic resources with the config's
// user-assigned identities (Microsoft.ManagedIdentity/userAssignedIdentities
// in their groups), so that they can be read, listed and hold federated
// credentials like any resource.
func (a *Service) seedGenericLocked(cfg *config.Config) error {
	if a.genericStore == nil {
		return nil
	}
	var recs []*resources.Record
	for _, id := range cfg.Identities {
		if id.Kind != config.KindUser || id.ResourceID == "" {
			continue
		}
		sub, group := scopeParts(id.ResourceID)
		g := a.groups[store.Key(sub, group)]
		if g == nil {
			continue // its group is not in the config: nothing to hold it
		}
		if r := resources.IdentityRecord(id.ResourceID, g.Location, cfg.TenantID, id.ClientID, id.ObjectID, a.now()); r != nil {
			recs = append(recs, r)
		}
	}
	return a.genericStore.Replace(recs)
}
