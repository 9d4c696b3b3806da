package resources

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/apiversion"
)

// Principal is the authenticated caller.
type Principal struct {
	ObjectID string
	ClientID string // appid; named in AuthorizationFailed and systemData
	// Type is systemData's createdByType: "Application", "ManagedIdentity",
	// "User" or "Key".
	Type string
}

// Authenticator checks a request's bearer token. On failure it has written
// ARM's 401 and returns false. Tokens are never logged.
type Authenticator interface {
	Authenticate(w http.ResponseWriter, r *http.Request) (Principal, bool)
}

// Authorizer answers whether objectID may perform action
// ("Microsoft.KeyVault/vaults/read") at scope (a resource id, group or
// subscription). The roles package implements it.
type Authorizer interface {
	Allowed(objectID, action, scope string) bool
}

// PrincipalAuthorizer is an optional extension of Authorizer: For returns
// the decisions for one principal as a function, so that a list page asks
// about a hundred resources without looking the principal up each time.
// The function is used for one request only.
type PrincipalAuthorizer interface {
	For(objectID string) func(action, scope string) bool
}

// Subscription and Group are what the emulator tells about the scopes that
// hold resources.
type Subscription struct {
	ID       string // canonical casing
	ReadOnly bool   // Disabled, PastDue…: writes get 409 ReadOnlyDisabledSubscription
}

type Group struct {
	Name     string // casing as created
	Deleting bool   // writes get 409 ResourceGroupBeingDeleted
}

// Scopes answers for subscriptions and resource groups, which the emulator
// owns.
type Scopes interface {
	Subscription(id string) (Subscription, bool)
	Group(subscriptionID, name string) (Group, bool)
}

// Options are the Service's dependencies and settings.
type Options struct {
	Store    *Store              // required
	Versions *apiversion.Checker // required
	Auth     Authenticator       // required
	Authz    Authorizer          // required
	Scopes   Scopes              // required
	Clock    func() time.Time    // default time.Now
	Logger   *slog.Logger        // default: discard

	// Regions are the locations served; default DefaultRegions.
	Regions []Region
	// TenantID goes into system-assigned identities.
	TenantID string
	// PageSize is the list page size without $top; default 100.
	PageSize int
	// Async marks resource types (case-insensitive full type) whose PUT and
	// DELETE run as asynchronous operations taking the given time.
	Async map[string]time.Duration
	// Unregistered namespaces start NotRegistered in every subscription:
	// their resources get 409 MissingSubscriptionRegistration until
	// POST …/providers/{ns}/register.
	Unregistered []string
	// UserAssigned resolves a user-assigned identity's resource id to its
	// client and principal id, for identity.userAssignedIdentities; nil or
	// not found: ids derived from the resource id.
	UserAssigned func(resourceID string) (clientID, principalID string, ok bool)
	// Exists reports whether a resource the emulator keeps outside this
	// package (a configured user-assigned identity, a vault) exists, so
	// that child and extension resources can be put under it. nil: none.
	Exists func(resourceID string) bool
	// External lists a subscription's tracked resources the emulator keeps
	// outside this package (Key Vault's vaults), which the /resources
	// listings merge in by id. Records must have ID, Type and Location set;
	// nil: none. Called without this package's lock held.
	External func(subscriptionID string) []*Record
	// Cloud describes the emulated cloud for /metadata/endpoints.
	Cloud Cloud
}

// Service serves generic resources and discovery. It is safe for
// concurrent use; its state is the Store's.
type Service struct {
	o       Options
	store   *Store
	async   map[string]time.Duration
	regions map[string]Region // by name

	regMu sync.Mutex
	regs  map[string]string // "sub|ns" (lower) → registrationState, when not the default
	unreg map[string]bool   // lower-case namespaces that default to NotRegistered
}

// New checks the options and returns the service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Versions == nil || o.Auth == nil || o.Authz == nil || o.Scopes == nil {
		return nil, fmt.Errorf("resources: Store, Versions, Auth, Authz and Scopes are required")
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PageSize <= 0 {
		o.PageSize = 100
	}
	if len(o.Regions) == 0 {
		o.Regions = DefaultRegions()
	}
	s := &Service{o: o, store: o.Store, async: map[string]time.Duration{}, regions: map[string]Region{},
		regs: map[string]string{}, unreg: map[string]bool{}}
	for t, d := range o.Async {
		if d < 0 {
			return nil, fmt.Errorf("resources: async duration of %s is negative", t)
		}
		s.async[strings.ToLower(t)] = d
	}
	for _, r := range o.Regions {
		s.regions[r.Name] = r
	}
	for _, ns := range o.Unregistered {
		s.unreg[strings.ToLower(ns)] = true
	}
	return s, nil
}

// Handles reports whether the path is one this package serves (the
// emulator's ARM router sends it these and keeps its own routes).
func Handles(method, escapedPath string) bool {
	r, err := Classify(method, escapedPath)
	return err != nil || r.Kind != KindNone
}

// request carries one request through the handlers.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	route Route
	who   Principal
	api   apiversion.Result
	body  []byte
	bErr  *apiError
	sub   Subscription
}

// ServeHTTP serves a request whose path Handles accepts; anything else is
// a 404.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route, rerr := Classify(r.Method, r.URL.EscapedPath())
	if rerr != nil {
		// Authenticate first: an anonymous caller learns nothing about ids.
		if _, ok := s.o.Auth.Authenticate(w, r); !ok {
			return
		}
		writeError(w, &apiError{status: rerr.status, code: rerr.code, message: rerr.message})
		return
	}
	if route.Kind == KindNone {
		writeError(w, &apiError{status: http.StatusNotFound, code: "NotFound", message: fmt.Sprintf(
			"The requested path '%s' is not served by the emulator's resource manager.", clip(r.URL.Path))})
		return
	}
	if route.Kind == KindMetadata {
		s.metadata(w, r) // unauthenticated, as in ARM
		return
	}
	who, ok := s.o.Auth.Authenticate(w, r)
	if !ok {
		return
	}
	req := &request{w: w, r: r, route: route, who: who}
	if e := s.checkMethod(req); e != nil {
		writeError(w, e)
		return
	}
	if e := s.checkAPIVersion(req); e != nil {
		writeError(w, e)
		return
	}
	if r.Method == http.MethodPut || r.Method == http.MethodPatch || (r.Method == http.MethodPost && r.ContentLength != 0) {
		req.body, req.bErr = readBody(r)
	}
	s.dispatch(req)
}

var methodsByKind = map[Kind][]string{
	KindResource:        {http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete},
	KindCollection:      {http.MethodGet},
	KindAction:          {http.MethodPost},
	KindListResources:   {http.MethodGet},
	KindProviders:       {http.MethodGet},
	KindProvider:        {http.MethodGet},
	KindProviderAction:  {http.MethodPost},
	KindLocations:       {http.MethodGet},
	KindOperationStatus: {http.MethodGet},
	KindOperationResult: {http.MethodGet},
}

func (s *Service) checkMethod(req *request) *apiError {
	allowed := methodsByKind[req.route.Kind]
	for _, m := range allowed {
		if req.r.Method == m {
			return nil
		}
	}
	req.w.Header().Set("Allow", strings.Join(allowed, ", "))
	return &apiError{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed", message: fmt.Sprintf(
		"The requested resource does not support http method '%s'.", clip(req.r.Method))}
}

// versionType is the resource type whose table decides the request's
// api-version.
func versionType(route Route) string {
	switch route.Kind {
	case KindResource, KindCollection, KindAction:
		return route.ID.FullType()
	case KindListResources:
		return "Microsoft.Resources/resources"
	case KindProviders, KindProvider, KindProviderAction:
		return "Microsoft.Resources/providers"
	case KindLocations:
		return "Microsoft.Resources/locations"
	}
	return ""
}

func (s *Service) checkAPIVersion(req *request) *apiError {
	v := req.r.URL.Query().Get("api-version")
	if v == "" {
		return &apiError{status: http.StatusBadRequest, code: "MissingApiVersionParameter",
			message: "The api-version query parameter (?api-version=) is required for all requests."}
	}
	typ := versionType(req.route)
	if typ == "" {
		// Polling URLs are the emulator's own and carry the version of the
		// operation that issued them; only its form is checked.
		if _, err := apiversion.Parse(v); err != nil {
			return &apiError{status: http.StatusBadRequest, code: "InvalidApiVersionParameter", message: fmt.Sprintf(
				"The api-version '%s' is invalid. Poll the exact URL the operation returned.", clip(v))}
		}
		req.api = apiversion.Result{Version: v, BehavesAs: v}
		return nil
	}
	if id := req.route.ID; id != nil && s.o.Versions.Strict() {
		if _, known := s.o.Versions.Catalog().Lookup(typ); !known {
			if _, nsKnown := s.o.Versions.Catalog().Namespace(id.Namespace); nsKnown {
				// Status and text unverified (U20-10: 404 and 400 both seen).
				return &apiError{status: http.StatusNotFound, code: "InvalidResourceType", message: fmt.Sprintf(
					"The resource type '%s' could not be found in the namespace '%s' for api version '%s'.",
					clip(strings.Join(id.Types, "/")), clip(id.Namespace), clip(v))}
			}
		}
	}
	res, ref := s.o.Versions.Check(typ, v, "")
	if ref != nil {
		return &apiError{status: http.StatusBadRequest, code: ref.Code, message: ref.Message}
	}
	req.api = res
	return nil
}

func (s *Service) dispatch(req *request) {
	switch req.route.Kind {
	case KindResource:
		switch req.r.Method {
		case http.MethodGet, http.MethodHead:
			s.getResource(req)
		case http.MethodPut:
			s.putResource(req)
		case http.MethodPatch:
			s.patchResource(req)
		case http.MethodDelete:
			s.deleteResource(req)
		}
	case KindCollection:
		s.listCollection(req)
	case KindAction:
		s.action(req)
	case KindListResources:
		s.listResources(req)
	case KindProviders:
		s.listProviders(req)
	case KindProvider:
		s.getProvider(req)
	case KindProviderAction:
		s.providerAction(req)
	case KindLocations:
		s.listLocations(req)
	case KindOperationStatus, KindOperationResult:
		s.operation(req)
	}
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// subscription finds the route's subscription; on failure it has answered.
func (s *Service) subscription(req *request) bool {
	id := req.route.SubscriptionID
	if !guidRE.MatchString(id) {
		writeError(req.w, &apiError{status: http.StatusBadRequest, code: "InvalidSubscriptionId", message: fmt.Sprintf(
			"The provided subscription identifier '%s' is malformed or invalid.", clip(id))})
		return false
	}
	sub, ok := s.o.Scopes.Subscription(id)
	if !ok {
		writeError(req.w, &apiError{status: http.StatusNotFound, code: "SubscriptionNotFound", message: fmt.Sprintf(
			"The subscription '%s' could not be found.", clip(id))})
		return false
	}
	req.sub = sub
	return true
}

// forbidden is ARM's 403 AuthorizationFailed.
func forbidden(who Principal, action, scope string) *apiError {
	return &apiError{status: http.StatusForbidden, code: "AuthorizationFailed", message: fmt.Sprintf(
		"The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
		who.ClientID, who.ObjectID, action, scope)}
}

// newGUID returns a random version-4 GUID.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// baseURL is scheme://host of the request, for nextLink and polling URLs.
func baseURL(r *http.Request) string {
	if r.TLS == nil {
		// Only when served without TLS (httptest); the emulator's ARM
		// listener is always HTTPS.
		return "http://" + r.Host
	}
	return "https://" + r.Host
}

// now reads the clock once per use.
func (s *Service) now() time.Time { return s.o.Clock().UTC() }
