package resources

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/apiversion"
)

// Discovery (protocols-2026 §20.6, §20.7): resource providers from the
// api-version tables, their registration per subscription, and locations.

type providerJSON struct {
	ID                 string             `json:"id"`
	Namespace          string             `json:"namespace"`
	RegistrationState  string             `json:"registrationState,omitempty"`
	RegistrationPolicy string             `json:"registrationPolicy,omitempty"`
	ResourceTypes      []resourceTypeJSON `json:"resourceTypes"`
}

type resourceTypeJSON struct {
	ResourceType      string   `json:"resourceType"`
	Locations         []string `json:"locations"`
	APIVersions       []string `json:"apiVersions"`
	DefaultAPIVersion string   `json:"defaultApiVersion"`
	Capabilities      string   `json:"capabilities,omitempty"`
	Aliases           []string `json:"aliases,omitempty"`
}

type listJSON[T any] struct {
	Value []T `json:"value"`
}

const (
	stateRegistered    = "Registered"
	stateNotRegistered = "NotRegistered"
)

// knownNamespace finds ns in the catalog, or among the namespaces the
// options start unregistered (which have no types of their own).
func (s *Service) knownNamespace(ns string) (*apiversion.Namespace, bool) {
	if n, ok := s.o.Versions.Catalog().Namespace(ns); ok {
		return n, true
	}
	if s.unreg[strings.ToLower(ns)] {
		return &apiversion.Namespace{Name: ns}, true
	}
	return nil, false
}

func (s *Service) registrationState(sub, ns string) string {
	if n, ok := s.o.Versions.Catalog().Namespace(ns); ok && n.RegistrationFree {
		return stateRegistered
	}
	s.regMu.Lock()
	st, ok := s.regs[strings.ToLower(sub)+"|"+strings.ToLower(ns)]
	s.regMu.Unlock()
	if ok {
		return st
	}
	if s.unreg[strings.ToLower(ns)] {
		return stateNotRegistered
	}
	return stateRegistered
}

// registered is the 409 azcore reacts to by registering the provider
// (message from Learn; details[] shape unverified, U20-8).
func (s *Service) registered(sub, ns string) *apiError {
	if s.registrationState(sub, ns) == stateRegistered {
		return nil
	}
	n, _ := s.knownNamespace(ns)
	msg := fmt.Sprintf("The subscription is not registered to use namespace '%s'. See https://aka.ms/rps-not-found for how to register subscriptions.", n.Name)
	return &apiError{status: http.StatusConflict, code: "MissingSubscriptionRegistration", message: msg,
		details: []errorBody{{Code: "MissingSubscriptionRegistration", Target: n.Name, Message: msg}}}
}

// withSeen adds to ns the types the store has held that ns does not list
// (a namespace the catalog lacks entirely gets only those), so that clients
// that look a type's api-versions up in its provider before GET or DELETE
// (az resource show/delete, azmsi resources) find the ones it was written
// with. ok=false: nothing to show.
func (s *Service) withSeen(ns *apiversion.Namespace, name string) (*apiversion.Namespace, bool) {
	seen := s.store.seenTypes(name)
	if ns == nil && len(seen) == 0 {
		return nil, false
	}
	out := &apiversion.Namespace{Name: name}
	if ns != nil {
		c := *ns
		c.Types = slices.Clone(ns.Types)
		out = &c
	}
	for _, st := range seen {
		if slices.ContainsFunc(out.Types, func(t apiversion.Type) bool { return strings.EqualFold(t.Name, st.name) }) {
			continue
		}
		vs := slices.Clone(st.versions)
		slices.SortFunc(vs, func(a, b string) int { return compareVersions(b, a) })
		if len(vs) == 0 {
			continue
		}
		out.Types = append(out.Types, apiversion.Type{Name: st.name, Versions: vs, Tracked: st.tracked})
	}
	return out, true
}

// compareVersions orders api-versions as apiversion does; malformed ones
// (never stored: requests are checked) sort first.
func compareVersions(a, b string) int {
	va, ea := apiversion.Parse(a)
	vb, eb := apiversion.Parse(b)
	switch {
	case ea != nil || eb != nil:
		return strings.Compare(a, b)
	}
	return va.Compare(vb)
}

func (s *Service) provider(ns *apiversion.Namespace, sub string, aliases bool) providerJSON {
	p := providerJSON{ID: "/providers/" + ns.Name, Namespace: ns.Name, ResourceTypes: []resourceTypeJSON{}}
	if sub != "" {
		p.ID = "/subscriptions/" + sub + "/providers/" + ns.Name
		p.RegistrationState = s.registrationState(sub, ns.Name)
		p.RegistrationPolicy = "RegistrationRequired"
		if ns.RegistrationFree {
			p.RegistrationPolicy = "RegistrationFree"
		}
	}
	for i := range ns.Types {
		t := &ns.Types[i]
		rt := resourceTypeJSON{ResourceType: t.Name, Locations: []string{}, APIVersions: t.Versions,
			DefaultAPIVersion: typeDefault(t), Capabilities: t.Capabilities}
		if t.Tracked {
			rt.Locations = DisplayNames(s.o.Regions)
		}
		if aliases {
			rt.Aliases = []string{}
		}
		p.ResourceTypes = append(p.ResourceTypes, rt)
	}
	return p
}

// typeDefault is t's defaultApiVersion: the newest stable one.
func typeDefault(t *apiversion.Type) string {
	for _, v := range t.Versions {
		if pv, err := apiversion.Parse(v); err == nil && pv.Stable() {
			return v
		}
	}
	return t.Versions[0]
}

func wantsAliases(r *http.Request) bool {
	e, _ := queryParam(r.URL.Query(), "$expand")
	return strings.Contains(strings.ToLower(e), "aliases")
}

func (s *Service) listProviders(req *request) {
	sub := ""
	if req.route.SubscriptionID != "" {
		if !s.subscription(req) {
			return
		}
		sub = req.sub.ID
	}
	out := listJSON[providerJSON]{Value: []providerJSON{}}
	for _, ns := range s.o.Versions.Catalog().Namespaces() {
		out.Value = append(out.Value, s.provider(ns, sub, wantsAliases(req.r)))
	}
	writeJSON(req.w, http.StatusOK, marshal(out))
}

// namespaceNotFound: 404 InvalidResourceNamespace (unverified, U20-4).
func namespaceNotFound(ns string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "InvalidResourceNamespace", message: fmt.Sprintf(
		"The resource namespace '%s' is invalid.", clip(ns))}
}

func (s *Service) getProvider(req *request) {
	sub := ""
	if req.route.SubscriptionID != "" {
		if !s.subscription(req) {
			return
		}
		sub = req.sub.ID
	}
	known, _ := s.knownNamespace(req.route.Namespace)
	ns, ok := s.withSeen(known, req.route.Namespace)
	if !ok {
		writeError(req.w, namespaceNotFound(req.route.Namespace))
		return
	}
	writeJSON(req.w, http.StatusOK, marshal(s.provider(ns, sub, wantsAliases(req.r))))
}

// providerAction registers or unregisters a namespace. The answer says
// Registering/Unregistering and the change is immediate, so a client that
// polls (azcore does, at once) sees Registered on its first GET.
func (s *Service) providerAction(req *request) {
	if !s.subscription(req) {
		return
	}
	ns, ok := s.knownNamespace(req.route.Namespace)
	if !ok {
		writeError(req.w, namespaceNotFound(req.route.Namespace))
		return
	}
	action := ns.Name + "/" + req.route.Action + "/action"
	scope := "/subscriptions/" + req.sub.ID
	if !s.o.Authz.Allowed(req.who.ObjectID, action, scope) {
		writeError(req.w, forbidden(req.who, action, scope))
		return
	}
	if req.bErr != nil {
		writeError(req.w, req.bErr)
		return
	}
	if len(strings.TrimSpace(string(req.body))) > 0 {
		if _, e := decodeBody(req.body, nil); e != nil {
			writeError(req.w, e)
			return
		}
	}
	p := s.provider(ns, req.sub.ID, false)
	if !ns.RegistrationFree {
		st, shown := stateRegistered, "Registering"
		if req.route.Action == "unregister" {
			st, shown = stateNotRegistered, "Unregistering"
		}
		// Bounded: existing subscriptions × known namespaces.
		s.regMu.Lock()
		s.regs[strings.ToLower(req.sub.ID)+"|"+strings.ToLower(ns.Name)] = st
		s.regMu.Unlock()
		p.RegistrationState = shown
	}
	writeJSON(req.w, http.StatusOK, marshal(p))
}

type locationJSON struct {
	ID                  string           `json:"id"`
	SubscriptionID      string           `json:"subscriptionId"`
	Name                string           `json:"name"`
	Type                string           `json:"type"`
	DisplayName         string           `json:"displayName"`
	RegionalDisplayName string           `json:"regionalDisplayName"`
	Metadata            locationMetadata `json:"metadata"`
}

type locationMetadata struct {
	RegionType       string       `json:"regionType"`
	RegionCategory   string       `json:"regionCategory"`
	Geography        string       `json:"geography"`
	GeographyGroup   string       `json:"geographyGroup"`
	Longitude        string       `json:"longitude"`
	Latitude         string       `json:"latitude"`
	PhysicalLocation string       `json:"physicalLocation"`
	PairedRegion     []pairedJSON `json:"pairedRegion"`
}

type pairedJSON struct {
	Name           string `json:"name"`
	ID             string `json:"id"`
	SubscriptionID string `json:"subscriptionId"`
}

func (s *Service) listLocations(req *request) {
	if !s.subscription(req) {
		return
	}
	out := listJSON[locationJSON]{Value: []locationJSON{}}
	base := "/subscriptions/" + req.sub.ID + "/locations/"
	for _, r := range s.o.Regions {
		l := locationJSON{ID: base + r.Name, SubscriptionID: req.sub.ID, Name: r.Name, Type: "Region",
			DisplayName: r.DisplayName, RegionalDisplayName: r.RegionalDisplayName,
			Metadata: locationMetadata{RegionType: "Physical", RegionCategory: "Recommended", Geography: r.Geography,
				GeographyGroup: r.GeographyGroup, Longitude: r.Longitude, Latitude: r.Latitude,
				PhysicalLocation: r.PhysicalLocation, PairedRegion: []pairedJSON{}}}
		if r.Paired != "" {
			l.Metadata.PairedRegion = append(l.Metadata.PairedRegion, pairedJSON{Name: r.Paired, ID: base + r.Paired, SubscriptionID: req.sub.ID})
		}
		out.Value = append(out.Value, l)
	}
	writeJSON(req.w, http.StatusOK, marshal(out))
}
